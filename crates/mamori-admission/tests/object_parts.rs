//! Without catalogue rules the engine builds only the object fields Pod Security reads
//! (`JsonNode::deserialize_pod_security_fields`). These tests prove that the responses are exactly those of the
//! full build (`Engine::with_full_objects`): every upstream conformance pod, as a Pod, a Deployment and a
//! CronJob, created and updated, in namespaces enforcing, warning and auditing several levels and versions,
//! plus random values in every container field.

mod common;

use common::*;
use mamori_admission::{Engine, PodSecurityConfiguration};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn shared_dir() -> PathBuf {
    std::env::var_os("MAMORI_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

fn state() -> TestState {
    let mut state = TestState::default();
    state.add_namespace(
        "strict",
        &[
            ("pod-security.kubernetes.io/enforce", "restricted"),
            ("pod-security.kubernetes.io/warn", "restricted"),
            ("pod-security.kubernetes.io/audit", "restricted"),
        ],
    );
    state.add_namespace(
        "older",
        &[
            ("pod-security.kubernetes.io/enforce", "baseline"),
            ("pod-security.kubernetes.io/enforce-version", "v1.24"),
            ("pod-security.kubernetes.io/warn", "restricted"),
            ("pod-security.kubernetes.io/warn-version", "v1.26"),
        ],
    );
    state
}

/// The fields the lean build skips, filled in as real manifests have them (and a status, as on UPDATE).
fn with_unread_fields(mut pod: Value) -> Value {
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        if let Some(containers) = pod["spec"][list].as_array_mut() {
            for container in containers {
                if let Some(map) = container.as_object_mut() {
                    map.insert("env".into(), json!([{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]));
                    map.insert(
                        "resources".into(),
                        json!({"limits": {"cpu": "1"}, "requests": {"memory": "64Mi"}}),
                    );
                    map.insert("command".into(), json!(["/bin/app", "--flag"]));
                    map.insert(
                        "volumeMounts".into(),
                        json!([{"name": "v", "mountPath": "/v"}]),
                    );
                    map.insert("imagePullPolicy".into(), json!("IfNotPresent"));
                }
            }
        }
    }
    if let Some(spec) = pod["spec"].as_object_mut() {
        spec.insert(
            "tolerations".into(),
            json!([{"key": "k", "operator": "Exists"}]),
        );
        spec.insert("serviceAccountName".into(), json!("app"));
        spec.insert("restartPolicy".into(), json!("Always"));
        spec.insert("terminationGracePeriodSeconds".into(), json!(30));
    }
    if let Some(metadata) = pod["metadata"].as_object_mut() {
        metadata.insert("generateName".into(), json!("app-"));
        metadata.insert(
            "ownerReferences".into(),
            json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "app-1", "uid": "u"}]),
        );
    }
    if let Some(map) = pod.as_object_mut() {
        map.insert(
            "status".into(),
            json!({"phase": "Running", "containerStatuses": [{"name": "x", "ready": true}]}),
        );
    }
    pod
}

fn requests(pod: &Value, namespace: &str) -> Vec<Req> {
    let template = json!({"metadata": pod["metadata"].clone(), "spec": pod["spec"].clone()});
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"template": template.clone()}
    });
    let cronjob = json!({
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
        "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}
    });
    let mut update = Req::create_pod(namespace, pod.clone());
    update.operation = "UPDATE";
    let mut old = pod.clone();
    if let Some(first) = old["spec"]["containers"].get_mut(0) {
        first["image"] = json!("registry.example.com/older:0.9");
    }
    update.old_object = Some(old);
    vec![
        Req::create_pod(namespace, pod.clone()),
        Req::create("apps", "deployments", "Deployment", namespace, deployment),
        Req::create("batch", "cronjobs", "CronJob", namespace, cronjob),
        update,
    ]
}

fn assert_same_responses(lean: &Engine, full: &Engine, state: &TestState, pod: &Value, what: &str) {
    for namespace in ["strict", "older"] {
        for req in requests(pod, namespace) {
            let body = req.body();
            let a = lean.review(&body, state);
            let b = full.review(&body, state);
            assert_eq!(
                a, b,
                "{what}: {} {} in {namespace}",
                req.operation, req.kind
            );
        }
    }
}

#[test]
fn conformance_pods_get_the_same_responses_from_the_lean_and_the_full_build() {
    let dir = shared_dir().join("conformance/psa/testdata");
    assert!(
        dir.is_dir(),
        "conformance data missing at {} (set MAMORI_SHARED_DIR)",
        dir.display()
    );
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    files.sort();
    assert!(files.len() > 4000, "only {} fixtures found", files.len());
    let lean = engine(PodSecurityConfiguration::default());
    let full = engine(PodSecurityConfiguration::default()).with_full_objects();
    let state = state();
    let mut denied = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable fixture");
        let pod = with_unread_fields(yaml(&text));
        assert_same_responses(&lean, &full, &state, &pod, &file.display().to_string());
        let reviewed = lean
            .review(&Req::create_pod("strict", pod).body(), &state)
            .expect("a response");
        denied += usize::from(!reviewed.allowed);
    }
    // The comparison covered both verdicts.
    assert!(
        denied > 1000 && denied < files.len(),
        "{denied} of {} denied",
        files.len()
    );
}

/// Map keys: the names the lean build treats specially, or anything.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(VOCABULARY).prop_map(str::to_owned),
        "[a-zA-Z]{1,8}",
    ]
}

const VOCABULARY: &[&str] = &[
    "httpGet",
    "tcpSocket",
    "host",
    "port",
    "hostPort",
    "containerPort",
    "postStart",
    "preStop",
    "exec",
    "privileged",
    "add",
    "drop",
    "type",
    "name",
    "hostPath",
    "emptyDir",
    "configMap",
    "path",
    "annotations",
    "labels",
];

/// Any JSON value.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|i| json!(i)),
        "[a-zA-Z0-9_]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Container fields Pod Security reads and ones it does not, and keys inside the security context.
const CONTAINER_KEYS: &[&str] = &[
    "name",
    "image",
    "securityContext",
    "ports",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "env",
    "resources",
    "args",
    "volumeMounts",
    "workingDir",
];
/// Pod spec fields: read by Pod Security, skipped by the lean build, or neither.
const SPEC_KEYS: &[&str] = &[
    "hostNetwork",
    "hostPID",
    "securityContext",
    "volumes",
    "runtimeClassName",
    "os",
    "affinity",
    "tolerations",
    "selector",
    "nodeSelector",
    "hostAliases",
    "priority",
    "hostIPC",
    "hostUsers",
    "serviceAccountName",
    "metadata",
    "template",
];
const SECURITY_KEYS: &[&str] = &[
    "privileged",
    "capabilities",
    "runAsUser",
    "seccompProfile",
    "windowsOptions",
    "other",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("MAMORI_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    /// Random values in container fields (read or not, well-typed or not) and in the security context.
    #[test]
    fn random_container_fields_get_the_same_responses(
        fields in prop::collection::vec((prop::sample::select(CONTAINER_KEYS), any_json()), 0..6),
        security in prop::collection::vec((prop::sample::select(SECURITY_KEYS), any_json()), 0..3),
        list in prop::sample::select(&["containers", "initContainers", "ephemeralContainers"][..]),
        spec_fields in prop::collection::vec((prop::sample::select(SPEC_KEYS), any_json()), 0..3),
    ) {
        let mut container = json!({"name": "app", "image": "registry.example.com/app:1.0"});
        for (key, value) in fields {
            container[key] = value;
        }
        if !security.is_empty() && container["securityContext"].is_object() {
            for (key, value) in security {
                container["securityContext"][key] = value;
            }
        }
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {list: [container]}});
        for (key, value) in spec_fields {
            pod["spec"][key] = value;
        }
        let lean = engine(PodSecurityConfiguration::default());
        let full = engine(PodSecurityConfiguration::default()).with_full_objects();
        assert_same_responses(&lean, &full, &state(), &pod, &pod.to_string());
    }
}
