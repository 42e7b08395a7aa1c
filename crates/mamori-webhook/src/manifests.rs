//! `mamori admission manifests`: everything a cluster needs to run the webhook, as one multi-document YAML.
//!
//! Objects are built as `serde_json` values (key order kept) and written by a small block-style YAML emitter
//! ([`to_yaml`]) that quotes every scalar which could be read as something else, so user-supplied text (image,
//! namespace, embedded mamori.yaml) can never change the structure. The output is itself clean under
//! `mamori scan --pss restricted` with the full rule catalogue (see `tests/deploy_manifests.rs`), given an image
//! pinned by digest.
//!
//! The ValidatingWebhookConfiguration excludes `kube-system` and the webhook's own namespace through
//! `kubernetes.io/metadata.name NotIn`, so a broken webhook can neither block the control plane's pods nor
//! the pods that would repair it.

use std::fmt::{self, Write as _};

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::certs::is_dns_label;

/// Name of the Deployment, ServiceAccount, ClusterRole(Binding), PDB, webhook configuration and (by default)
/// the Service.
pub const NAME: &str = "mamori-webhook";
/// Name of the `kubernetes.io/tls` Secret the Deployment mounts (create it from `mamori admission certs`).
pub const TLS_SECRET_NAME: &str = "mamori-webhook-tls";
/// Name of the ConfigMap holding `mamori.yaml` (only with a config).
pub const CONFIG_MAP_NAME: &str = "mamori-config";
/// The webhook's name inside the ValidatingWebhookConfiguration (must be a qualified name).
pub const WEBHOOK_NAME: &str = "validate.mamori.io";
/// Label on the ValidatingWebhookConfiguration alone, so the server can be applied (and become ready) before
/// the API server starts calling it: `kubectl apply -l 'app.kubernetes.io/component!=webhook-configuration'`.
pub const WEBHOOK_CONFIG_COMPONENT: &str = "webhook-configuration";
/// The HTTPS port the server listens on inside the pod (unprivileged, so no capability is needed).
pub const CONTAINER_PORT: u16 = 8443;
/// Longest `timeoutSeconds` the API server accepts for an admission webhook.
pub const MAX_TIMEOUT_SECONDS: u32 = 30;

const TLS_DIR: &str = "/etc/mamori/tls";
const CONFIG_DIR: &str = "/etc/mamori/config";
const CONFIG_KEY: &str = "mamori.yaml";
/// Where kube-rs (like client-go) looks for the in-cluster token, CA and namespace.
const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// An unprivileged uid/gid with no entry in the image ("nonroot" in distroless images).
const RUN_AS: u32 = 65532;

/// What the API server does when the webhook cannot be reached or does not answer in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Fail closed: the request is rejected (safe, but an outage blocks pod creation in covered namespaces).
    Fail,
    /// Fail open: the request proceeds unchecked (available, but an outage disables enforcement).
    Ignore,
}

impl FailurePolicy {
    /// The value Kubernetes expects (`Fail` / `Ignore`).
    pub fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::Fail => "Fail",
            FailurePolicy::Ignore => "Ignore",
        }
    }

    /// Parses `Fail` or `Ignore` (exact case, as the API server requires).
    pub fn parse(text: &str) -> Option<FailurePolicy> {
        match text {
            "Fail" => Some(FailurePolicy::Fail),
            "Ignore" => Some(FailurePolicy::Ignore),
            _ => None,
        }
    }
}

/// The serving certificate and key to embed as a Secret (only when asked; the recommended path is a Secret
/// created with `kubectl create secret tls` from the certs directory, so keys never land in a manifest file).
#[derive(Clone)]
pub struct TlsSecret {
    /// PEM serving certificate (chain).
    pub cert_pem: String,
    /// PEM private key.
    pub key_pem: String,
}

impl fmt::Debug for TlsSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsSecret { .. }")
    }
}

/// Everything `mamori admission manifests` can vary.
#[derive(Debug, Clone)]
pub struct ManifestOptions {
    /// Namespace for the webhook (created, labelled `restricted`, excluded from the webhook).
    pub namespace: String,
    /// Name of the Service the API server calls (must match the serving certificate's names).
    pub service: String,
    /// Container image of mamori (its entrypoint must be the `mamori` binary). Pin it by digest.
    pub image: String,
    /// PEM CA certificate(s) that signed the serving certificate: the webhook's `caBundle`. None = omitted
    /// (for an injector such as cert-manager's cainjector to fill in).
    pub ca_bundle_pem: Option<String>,
    /// Fail closed or open.
    pub failure_policy: FailurePolicy,
    /// How long the API server waits for an answer (1..=30).
    pub timeout_seconds: u32,
    /// A mamori.yaml to ship in a ConfigMap and pass with `--config`.
    pub config_yaml: Option<String>,
    /// A TLS Secret to embed (see [`TlsSecret`]).
    pub tls_secret: Option<TlsSecret>,
    /// The mamori version the manifests are generated by (labels and the header comment).
    pub version: String,
}

impl ManifestOptions {
    /// Defaults for everything but the CA bundle: namespace `mamori-system`, the release image of `version`,
    /// fail closed, 10 s timeout.
    pub fn new(version: &str) -> ManifestOptions {
        ManifestOptions {
            namespace: "mamori-system".to_owned(),
            service: NAME.to_owned(),
            image: default_image(version),
            ca_bundle_pem: None,
            failure_policy: FailurePolicy::Fail,
            timeout_seconds: 10,
            config_yaml: None,
            tls_secret: None,
            version: version.to_owned(),
        }
    }
}

/// The published image of `version` (tag only: the digest is known once it is published; pin it with `--image`).
pub fn default_image(version: &str) -> String {
    format!("ghcr.io/mamori-dev/mamori:v{version}")
}

/// Whether an image reference is pinned by digest (`…@sha256:<64 hex>` or another `algorithm:hex`).
pub fn image_has_digest(image: &str) -> bool {
    image.rsplit_once('@').is_some_and(|(_, digest)| {
        digest.split_once(':').is_some_and(|(algorithm, hex)| {
            !algorithm.is_empty() && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
        })
    })
}

/// Why manifests could not be generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError(pub String);

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ManifestError {}

fn validate(options: &ManifestOptions) -> Result<(), ManifestError> {
    if !is_dns_label(&options.namespace) {
        return Err(ManifestError(format!(
            "invalid namespace {:?}: must be a DNS label (lowercase letters, digits and '-', at most 63 characters)",
            options.namespace
        )));
    }
    if !is_dns_label(&options.service) {
        return Err(ManifestError(format!(
            "invalid service name {:?}: must be a DNS label",
            options.service
        )));
    }
    if options.namespace == "kube-system" {
        return Err(ManifestError(
            "the webhook must not run in kube-system: its namespace is excluded from the webhook and gets restricted Pod Security labels".to_owned(),
        ));
    }
    if options.image.is_empty()
        || options
            .image
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ManifestError(format!(
            "invalid image reference {:?}",
            options.image
        )));
    }
    if options.timeout_seconds == 0 || options.timeout_seconds > MAX_TIMEOUT_SECONDS {
        return Err(ManifestError(format!(
            "invalid timeout of {} seconds: the API server accepts 1 to {MAX_TIMEOUT_SECONDS}",
            options.timeout_seconds
        )));
    }
    if let Some(bundle) = &options.ca_bundle_pem {
        if !bundle.contains("-----BEGIN CERTIFICATE-----") {
            return Err(ManifestError(
                "the CA bundle holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned(),
            ));
        }
        if bundle.contains("PRIVATE KEY-----") {
            return Err(ManifestError(
                "the CA bundle contains a private key; pass the CA certificate (ca.crt), never its key".to_owned(),
            ));
        }
    }
    if let Some(secret) = &options.tls_secret {
        if !secret.cert_pem.contains("-----BEGIN CERTIFICATE-----")
            || !secret.key_pem.contains("PRIVATE KEY-----")
        {
            return Err(ManifestError(
                "the TLS secret needs a PEM certificate and a PEM private key".to_owned(),
            ));
        }
    }
    Ok(())
}

fn labels(options: &ManifestOptions, component: &str) -> Value {
    json!({
        "app.kubernetes.io/name": NAME,
        "app.kubernetes.io/part-of": "mamori",
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/version": options.version,
        "app.kubernetes.io/managed-by": "mamori",
    })
}

fn metadata(options: &ManifestOptions, name: &str, namespaced: bool) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    if namespaced {
        meta.insert("namespace".into(), json!(options.namespace));
    }
    meta.insert("labels".into(), labels(options, "admission-webhook"));
    Value::Object(meta)
}

/// The labels that select the webhook pods (stable across versions, so upgrades keep the selector).
fn selector_labels() -> Value {
    json!({ "app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "mamori" })
}

fn namespace(options: &ManifestOptions) -> Value {
    let mut meta = metadata(options, &options.namespace, false);
    if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
        for mode in ["enforce", "audit", "warn"] {
            labels.insert(
                format!("pod-security.kubernetes.io/{mode}"),
                json!("restricted"),
            );
            labels.insert(
                format!("pod-security.kubernetes.io/{mode}-version"),
                json!("latest"),
            );
        }
    }
    json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": meta })
}

fn limit_range(options: &ManifestOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": metadata(options, "mamori-limits", true),
        "spec": { "limits": [{
            "type": "Container",
            "default": { "cpu": "1", "memory": "128Mi" },
            "defaultRequest": { "cpu": "250m", "memory": "64Mi" },
            "max": { "cpu": "2", "memory": "512Mi" },
        }]},
    })
}

fn resource_quota(options: &ManifestOptions) -> Value {
    // Room for both replicas plus one surge pod during a rolling update.
    json!({
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": metadata(options, "mamori-quota", true),
        "spec": { "hard": {
            "pods": "6",
            "requests.cpu": "2",
            "requests.memory": "512Mi",
            "limits.cpu": "6",
            "limits.memory": "1Gi",
        }},
    })
}

fn network_policies(options: &ManifestOptions) -> [Value; 2] {
    let deny_all = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(options, "default-deny", true),
        "spec": { "podSelector": {}, "policyTypes": ["Ingress", "Egress"] },
    });
    // Ingress: the API server (its source address differs per cluster and provider, so only the port is pinned).
    // Egress: the Kubernetes API for the namespace/pod watch; 443 is the Service port, 6443 the usual endpoint
    // port that NetworkPolicy sees after the Service is resolved. No DNS: in-cluster config uses the Service IP.
    let webhook = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(options, NAME, true),
        "spec": {
            "podSelector": { "matchLabels": selector_labels() },
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{ "ports": [{ "protocol": "TCP", "port": CONTAINER_PORT }] }],
            "egress": [{ "ports": [
                { "protocol": "TCP", "port": 443 },
                { "protocol": "TCP", "port": 6443 },
            ]}],
        },
    });
    [deny_all, webhook]
}

fn service_account(options: &ManifestOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(options, NAME, true),
        "automountServiceAccountToken": false,
    })
}

fn rbac(options: &ManifestOptions) -> [Value; 2] {
    // Least privilege: the PSA semantics need namespace labels and, for the relabel dry run, the pods.
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": metadata(options, NAME, false),
        "rules": [{
            "apiGroups": [""],
            "resources": ["namespaces", "pods"],
            "verbs": ["get", "list", "watch"],
        }],
    });
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": metadata(options, NAME, false),
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME },
        "subjects": [{ "kind": "ServiceAccount", "name": NAME, "namespace": options.namespace }],
    });
    [role, binding]
}

fn config_map(options: &ManifestOptions, config: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(options, CONFIG_MAP_NAME, true),
        "data": { CONFIG_KEY: config },
    })
}

fn tls_secret(options: &ManifestOptions, secret: &TlsSecret) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(options, TLS_SECRET_NAME, true),
        "type": "kubernetes.io/tls",
        "data": {
            "tls.crt": b64.encode(&secret.cert_pem),
            "tls.key": b64.encode(&secret.key_pem),
        },
    })
}

fn deployment(options: &ManifestOptions) -> Value {
    let mut args = vec![
        json!("admission"),
        json!("serve"),
        json!(format!("--listen=0.0.0.0:{CONTAINER_PORT}")),
        json!(format!("--tls-cert={TLS_DIR}/tls.crt")),
        json!(format!("--tls-key={TLS_DIR}/tls.key")),
    ];
    let mut mounts = vec![
        json!({ "name": "tls", "mountPath": TLS_DIR, "readOnly": true }),
        json!({ "name": "kube-api-access", "mountPath": SERVICE_ACCOUNT_DIR, "readOnly": true }),
    ];
    // The token is mounted explicitly (the same projected volume the ServiceAccount admission plugin would
    // add) so automountServiceAccountToken can stay false for the pod: only this container gets it.
    let mut volumes = vec![
        json!({ "name": "tls", "secret": { "secretName": TLS_SECRET_NAME, "defaultMode": 0o440 } }),
        json!({ "name": "kube-api-access", "projected": { "defaultMode": 0o444, "sources": [
            { "serviceAccountToken": { "path": "token", "expirationSeconds": 3607 } },
            { "configMap": { "name": "kube-root-ca.crt", "items": [{ "key": "ca.crt", "path": "ca.crt" }] } },
            { "downwardAPI": { "items": [{ "path": "namespace", "fieldRef": { "apiVersion": "v1", "fieldPath": "metadata.namespace" } }] } },
        ]}}),
    ];
    if options.config_yaml.is_some() {
        args.push(json!(format!("--config={CONFIG_DIR}/{CONFIG_KEY}")));
        mounts.push(json!({ "name": "config", "mountPath": CONFIG_DIR, "readOnly": true }));
        volumes.push(json!({ "name": "config", "configMap": { "name": CONFIG_MAP_NAME } }));
    }
    let probe = |path: &str, period: u32| {
        json!({
            "httpGet": { "path": path, "port": "https", "scheme": "HTTPS" },
            "periodSeconds": period,
            "timeoutSeconds": 2,
            "failureThreshold": 3,
        })
    };
    let mut template_meta = Map::new();
    let mut template_labels = selector_labels();
    if let (Some(target), Some(extra)) = (
        template_labels.as_object_mut(),
        labels(options, "admission-webhook").as_object(),
    ) {
        for (key, value) in extra {
            target.insert(key.clone(), value.clone());
        }
    }
    template_meta.insert("labels".into(), template_labels);
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(options, NAME, true),
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 5,
            "selector": { "matchLabels": selector_labels() },
            // Never go below the current replica count during a rollout: admission keeps being served.
            "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": 0, "maxSurge": 1 } },
            "template": {
                "metadata": template_meta,
                "spec": {
                    "serviceAccountName": NAME,
                    "automountServiceAccountToken": false,
                    "enableServiceLinks": false,
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": RUN_AS,
                        "runAsGroup": RUN_AS,
                        "fsGroup": RUN_AS,
                        "seccompProfile": { "type": "RuntimeDefault" },
                    },
                    // Preferred, not required: a one-node cluster still runs both replicas.
                    "affinity": { "podAntiAffinity": { "preferredDuringSchedulingIgnoredDuringExecution": [{
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": { "matchLabels": selector_labels() },
                        },
                    }]}},
                    "containers": [{
                        "name": "webhook",
                        "image": options.image,
                        "imagePullPolicy": "IfNotPresent",
                        "args": args,
                        "ports": [{ "name": "https", "containerPort": CONTAINER_PORT, "protocol": "TCP" }],
                        "env": [{ "name": "RUST_LOG", "value": "info" }],
                        "resources": {
                            "requests": { "cpu": "250m", "memory": "64Mi" },
                            "limits": { "cpu": "1", "memory": "128Mi" },
                        },
                        "readinessProbe": probe("/readyz", 5),
                        "livenessProbe": probe("/healthz", 10),
                        "securityContext": {
                            "allowPrivilegeEscalation": false,
                            "privileged": false,
                            "readOnlyRootFilesystem": true,
                            "runAsNonRoot": true,
                            "runAsUser": RUN_AS,
                            "runAsGroup": RUN_AS,
                            "capabilities": { "drop": ["ALL"] },
                            "seccompProfile": { "type": "RuntimeDefault" },
                        },
                        "volumeMounts": mounts,
                    }],
                    "volumes": volumes,
                },
            },
        },
    })
}

fn pod_disruption_budget(options: &ManifestOptions) -> Value {
    json!({
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(options, NAME, true),
        "spec": { "minAvailable": 1, "selector": { "matchLabels": selector_labels() } },
    })
}

fn service(options: &ManifestOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(options, &options.service, true),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(),
            "ports": [{ "name": "https", "port": 443, "targetPort": "https", "protocol": "TCP" }],
        },
    })
}

/// The namespaces the webhook never sees: the control plane's and its own.
pub fn excluded_namespaces(options: &ManifestOptions) -> Vec<String> {
    vec!["kube-system".to_owned(), options.namespace.clone()]
}

fn webhook_configuration(options: &ManifestOptions) -> Value {
    let mut client_config = Map::new();
    client_config.insert(
        "service".into(),
        json!({ "namespace": options.namespace, "name": options.service, "path": "/validate", "port": 443 }),
    );
    if let Some(bundle) = &options.ca_bundle_pem {
        client_config.insert(
            "caBundle".into(),
            json!(base64::engine::general_purpose::STANDARD.encode(bundle)),
        );
    }
    let operations = json!(["CREATE", "UPDATE"]);
    let rule = |groups: &[&str], resources: &[&str], scope: &str| {
        json!({ "apiGroups": groups, "apiVersions": ["v1"], "operations": operations,
                "resources": resources, "scope": scope })
    };
    let mut meta = metadata(options, NAME, false);
    if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
        labels.insert(
            "app.kubernetes.io/component".into(),
            json!(WEBHOOK_CONFIG_COMPONENT),
        );
    }
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": meta,
        "webhooks": [{
            "name": WEBHOOK_NAME,
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": options.failure_policy.as_str(),
            "matchPolicy": "Equivalent",
            "timeoutSeconds": options.timeout_seconds,
            "clientConfig": client_config,
            "namespaceSelector": { "matchExpressions": [{
                "key": "kubernetes.io/metadata.name",
                "operator": "NotIn",
                "values": excluded_namespaces(options),
            }]},
            "rules": [
                rule(&[""], &["pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"], "Namespaced"),
                rule(&[""], &["namespaces"], "Cluster"),
                rule(&["apps"], &["deployments", "replicasets", "statefulsets", "daemonsets"], "Namespaced"),
                rule(&["batch"], &["jobs", "cronjobs"], "Namespaced"),
            ],
        }],
    })
}

/// The objects in apply order: namespace and its guard rails, identity and RBAC, configuration, the server,
/// and last the webhook configuration (so the API server only calls a server that exists).
pub fn objects(options: &ManifestOptions) -> Result<Vec<Value>, ManifestError> {
    validate(options)?;
    let mut objects = vec![
        namespace(options),
        limit_range(options),
        resource_quota(options),
    ];
    objects.extend(network_policies(options));
    objects.push(service_account(options));
    objects.extend(rbac(options));
    if let Some(config) = &options.config_yaml {
        objects.push(config_map(options, config));
    }
    if let Some(secret) = &options.tls_secret {
        objects.push(tls_secret(options, secret));
    }
    objects.push(deployment(options));
    objects.push(pod_disruption_budget(options));
    objects.push(service(options));
    objects.push(webhook_configuration(options));
    Ok(objects)
}

/// The manifests as one multi-document YAML stream with a header comment.
pub fn render(options: &ManifestOptions) -> Result<String, ManifestError> {
    let objects = objects(options)?;
    let mut out = String::new();
    out.push_str("# mamori admission webhook: generated by `mamori admission manifests` (mamori ");
    push_comment_text(&mut out, &options.version);
    out.push_str(").\n# Apply the server first, then the webhook configuration:\n");
    let _ = writeln!(
        out,
        "#   kubectl apply -f FILE -l 'app.kubernetes.io/component!={WEBHOOK_CONFIG_COMPONENT}'"
    );
    let _ = writeln!(
        out,
        "#   kubectl -n {} rollout status deployment/{NAME} && kubectl apply -f FILE",
        options.namespace
    );
    for object in &objects {
        out.push_str("---\n");
        out.push_str(&to_yaml(object));
    }
    Ok(out)
}

/// Keeps a comment on one line whatever the text holds.
fn push_comment_text(out: &mut String, text: &str) {
    out.extend(text.chars().filter(|c| !c.is_control()));
}

// ---------------------------------------------------------------------------------------------------------
// YAML emitter

/// Writes `value` as block-style YAML (two-space indentation, sequences indented under their key). Strings
/// that YAML 1.1 or 1.2 could read as another type, or whose characters need it, are double-quoted with
/// escapes; multi-line text uses a literal block when that is exact. Ends with a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            write_scalar(&mut out, scalar, 0);
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

fn is_collection(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    }
}

/// Map entries at `width`; the caller has already written the indentation of the first key (or "- ").
fn write_map(out: &mut String, map: &Map<String, Value>, width: usize) {
    for (index, (key, value)) in map.iter().enumerate() {
        if index > 0 {
            indent(out, width);
        }
        write_string(out, key, width, true);
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                indent(out, width + 2);
                write_map(out, inner, width + 2);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                indent(out, width + 2);
                write_seq(out, items, width + 2);
            }
            scalar => {
                out.push(' ');
                write_scalar(out, scalar, width + 2);
                out.push('\n');
            }
        }
    }
}

/// Sequence items at `width`; the caller has already written the indentation of the first "- ".
fn write_seq(out: &mut String, items: &[Value], width: usize) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            indent(out, width);
        }
        out.push_str("- ");
        match item {
            Value::Object(inner) if !inner.is_empty() => write_map(out, inner, width + 2),
            Value::Array(inner) if !inner.is_empty() => write_seq(out, inner, width + 2),
            scalar => {
                write_scalar(out, scalar, width + 2);
                out.push('\n');
            }
        }
    }
}

fn write_scalar(out: &mut String, value: &Value, width: usize) {
    debug_assert!(!is_collection(value));
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_string(out, s, width, false),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// Words YAML 1.1 (what Kubernetes' sigs.k8s.io/yaml reads) or 1.2 resolve to booleans or null.
const RESERVED_WORDS: &[&str] = &[
    "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~",
];

/// Whether `text` can be written plain and still reads back as the same string: a conservative character set,
/// no leading character that starts another construct or a number, and no reserved word.
fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if !first.is_ascii_alphabetic() && first != '/' && first != '_' {
        return false;
    }
    if RESERVED_WORDS
        .iter()
        .any(|word| text.eq_ignore_ascii_case(word))
    {
        return false;
    }
    // ".inf"/".nan" start with '.', excluded above; ':' and '#' only matter before/after a space, but a smaller
    // alphabet is easier to trust. '=' alone is YAML 1.1's "value" key: excluded by the alphabet.
    text.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/' | b':' | b'@' | b'+')
    }) && !text.ends_with(':')
        && !text.contains(": ")
}

/// Writes a string scalar: plain when safe, a literal block for multi-line text (not for keys), else quoted.
fn write_string(out: &mut String, text: &str, width: usize, is_key: bool) {
    if is_plain_safe(text) {
        out.push_str(text);
    } else if !is_key && literal_block_safe(text) {
        write_literal_block(out, text, width);
    } else {
        write_double_quoted(out, text);
    }
}

/// A literal block reproduces `text` exactly when: it has a line break; every character is printable (tabs
/// allowed, no CR, no other control characters, no BOM or line/paragraph separators that YAML treats as line
/// breaks); and it does not begin with a space or line break (that would need an indentation indicator).
fn literal_block_safe(text: &str) -> bool {
    text.contains('\n')
        && !text.starts_with([' ', '\n'])
        && text.chars().all(|c| {
            c == '\n'
                || c == '\t'
                || !(c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}'))
        })
}

fn write_literal_block(out: &mut String, text: &str, width: usize) {
    // Chomping: "|-" strips the final line break, "|" keeps exactly one, "|+" keeps them all.
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    out.push_str(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(out, width);
            out.push_str(line);
        }
    }
    // The extra line breaks kept by "|+" are empty lines.
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// A YAML double-quoted scalar: `"` and `\` escaped, everything outside printable ASCII as `\uXXXX` /
/// `\UXXXXXXXX`, so no character can end the scalar or be folded.
fn write_double_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08X}", u32::from(c));
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_only_when_unambiguous() {
        for plain in [
            "nginx",
            "apps/v1",
            "kubernetes.io/metadata.name",
            "a:b",
            "Fail",
        ] {
            assert!(is_plain_safe(plain), "{plain}");
        }
        for quoted in [
            "", "yes", "No", "ON", "null", "~", "1", "0x1f", "1e3", ".inf", "-x", "a: b", "a:",
            "#x", "a b", "*a", "&a", "!t", "@x", "%x", "'", "\"", "{", "[", "|", ">", "?", "ü",
        ] {
            assert!(!is_plain_safe(quoted), "{quoted:?}");
        }
    }

    #[test]
    fn emitter_shapes() {
        let value = json!({
            "a": 1, "b": "yes", "c": { "d": [ "x", { "e": true, "f": null } ], "g": {} , "h": [] },
            "i": "line1\nline2\n", "j": "tab\there", "k": "é\u{0007}",
        });
        assert_eq!(
            to_yaml(&value),
            concat!(
                "a: 1\n",
                "b: \"yes\"\n",
                "c:\n",
                "  d:\n",
                "    - x\n",
                "    - e: true\n",
                "      f: null\n",
                "  g: {}\n",
                "  h: []\n",
                "i: |\n",
                "  line1\n",
                "  line2\n",
                "j: \"tab\\there\"\n",
                "k: \"\\u00E9\\u0007\"\n",
            )
        );
    }

    #[test]
    fn options_are_validated() {
        let good = ManifestOptions::new("1.2.3");
        assert!(objects(&good).is_ok());
        let cases: Vec<(ManifestOptions, &str)> = vec![
            (
                ManifestOptions {
                    namespace: "Bad_NS".into(),
                    ..good.clone()
                },
                "invalid namespace",
            ),
            (
                ManifestOptions {
                    namespace: "kube-system".into(),
                    ..good.clone()
                },
                "kube-system",
            ),
            (
                ManifestOptions {
                    image: "a b".into(),
                    ..good.clone()
                },
                "invalid image",
            ),
            (
                ManifestOptions {
                    timeout_seconds: 31,
                    ..good.clone()
                },
                "timeout",
            ),
            (
                ManifestOptions {
                    ca_bundle_pem: Some("not pem".into()),
                    ..good.clone()
                },
                "no PEM certificate",
            ),
            (
                ManifestOptions {
                    ca_bundle_pem: Some(
                        "-----BEGIN CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----".into(),
                    ),
                    ..good.clone()
                },
                "private key",
            ),
        ];
        for (options, expected) in cases {
            let error = objects(&options).expect_err(expected);
            assert!(error.0.contains(expected), "{error} vs {expected}");
        }
    }

    #[test]
    fn digest_detection() {
        assert!(image_has_digest(&format!(
            "r.io/a/b@sha256:{}",
            "a".repeat(64)
        )));
        assert!(image_has_digest(&format!(
            "r.io/a/b:v1@sha256:{}",
            "0".repeat(64)
        )));
        assert!(!image_has_digest("r.io/a/b:v1"));
        assert!(!image_has_digest("r.io/a/b@sha256:xyz"));
        assert!(!image_has_digest(&default_image("0.1.0")));
    }
}
