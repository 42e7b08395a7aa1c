//! Control-plane rules: the example manifests under examples/control-plane, and the semantics that matter
//! (flag overrides, defaults, config-file resolution, first-match audit rules).

use mamori_load::{load_all, parse_raw, Input, Loaded, RawDocument};
use mamori_model::{Finding, K8sObject};
use mamori_rules::{evaluate_all, RuleSettings};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

fn controlplane_only(rule: &mamori_rules::Rule) -> bool {
    rule.meta.id.starts_with("controlplane.")
}

fn load_dir(dir: &str) -> Vec<K8sObject> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/control-plane"
    ))
    .join(dir);
    assert!(path.is_dir(), "{} missing", path.display());
    load_all(&[Input::Path(path)], &mamori_yaml::Limits::default())
        .into_iter()
        .map(|l| match l {
            Loaded::Object(o) => o,
            Loaded::Note(n) => panic!("unexpected note {}", n.message),
            Loaded::Error(e) => panic!("{e}"),
        })
        .collect()
}

/// Objects from one YAML text; `file` names the source (basename matching uses it).
fn objects(file: &str, text: &str) -> Vec<K8sObject> {
    let mut out = Vec::new();
    for (i, part) in text.split("\n---\n").enumerate() {
        let doc = RawDocument {
            file: Arc::from(file),
            doc_index: i as u32,
            first_line: 1,
            text: part.to_owned(),
        };
        for loaded in parse_raw(&doc, &mamori_yaml::Limits::default()) {
            match loaded {
                Loaded::Object(o) => out.push(o),
                other => panic!("{other:?}"),
            }
        }
    }
    out
}

fn run(objects: &[K8sObject], rule_id: &str) -> Vec<Finding> {
    evaluate_all(
        objects,
        &RuleSettings::default(),
        &|r: &mamori_rules::Rule| r.meta.id == rule_id,
    )
}

fn messages(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.message.as_str()).collect()
}

#[test]
fn hardened_control_plane_is_clean() {
    let findings = evaluate_all(
        &load_dir("hardened"),
        &RuleSettings::default(),
        &controlplane_only,
    );
    assert!(findings.is_empty(), "{:#?}", messages(&findings));
}

#[test]
fn insecure_control_plane_gives_the_documented_findings() {
    let findings = evaluate_all(
        &load_dir("insecure"),
        &RuleSettings::default(),
        &controlplane_only,
    );
    let fired: BTreeSet<&str> = findings.iter().map(|f| f.rule_id.as_ref()).collect();
    let expected: BTreeSet<&str> = [
        "controlplane.apiserver-admission-plugins",
        "controlplane.apiserver-anonymous-auth",
        "controlplane.apiserver-audit-log",
        "controlplane.apiserver-authorization-mode",
        "controlplane.apiserver-encryption-provider-config",
        "controlplane.apiserver-kubelet-certificate-authority",
        "controlplane.apiserver-profiling",
        "controlplane.apiserver-service-account-lookup",
        "controlplane.apiserver-tls-cipher-suites",
        "controlplane.apiserver-tls-min-version",
        "controlplane.apiserver-token-auth-file",
        "controlplane.audit-policy-catch-all",
        "controlplane.audit-policy-sensitive-resources",
        "controlplane.controller-manager-profiling",
        "controlplane.controller-manager-service-account-credentials",
        "controlplane.etcd-client-tls",
        "controlplane.etcd-peer-tls",
        "controlplane.kubelet-anonymous-auth",
        "controlplane.kubelet-authorization-mode",
        "controlplane.kubelet-certificate-rotation",
        "controlplane.kubelet-read-only-port",
        "controlplane.kubelet-webhook-authentication",
        "controlplane.scheduler-profiling",
    ]
    .into_iter()
    .collect();
    assert_eq!(fired, expected);
    // Every finding points at a real line of the example file.
    assert!(
        findings.iter().all(|f| f.location.pos.line >= 1),
        "{findings:#?}"
    );
}

const APISERVER: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n";

#[test]
fn exact_messages_and_positions_for_flags() {
    let text =
        format!("{APISERVER}    - --anonymous-auth=false\n    args:\n    - --anonymous_auth\n");
    let findings = run(
        &objects("a.yaml", &text),
        "controlplane.apiserver-anonymous-auth",
    );
    assert_eq!(
        messages(&findings),
        ["kube-apiserver in Pod kube-system/kube-apiserver-cp1 sets --anonymous-auth=true: requests without credentials are served as system:anonymous"]
    );
    assert_eq!(
        findings[0].location.field_path,
        "spec.containers[0].args[0]"
    );
    assert_eq!(findings[0].location.pos.line, 14);
}

#[test]
fn a_value_flag_swallows_the_next_argument_like_pflag() {
    // --audit-log-path takes "--profiling=false" as its value, so profiling stays at its default (true).
    let text = format!("{APISERVER}    - --audit-log-path\n    - --profiling=false\n");
    let findings = run(
        &objects("a.yaml", &text),
        "controlplane.apiserver-profiling",
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(findings[0]
        .message
        .contains("does not set --profiling (default true)"));
}

#[test]
fn admission_plugin_lists_append_across_occurrences() {
    let text = format!("{APISERVER}    - --enable-admission-plugins=PodSecurity\n    - --enable-admission-plugins=NodeRestriction\n");
    assert!(run(
        &objects("a.yaml", &text),
        "controlplane.apiserver-admission-plugins"
    )
    .is_empty());
    let text =
        format!("{APISERVER}    - --enable-admission-plugins=PodSecurity, NodeRestriction\n");
    let findings = run(
        &objects("a.yaml", &text),
        "controlplane.apiserver-admission-plugins",
    );
    assert_eq!(
        findings.len(),
        1,
        "a space makes \" NodeRestriction\" another name: {findings:#?}"
    );
    let text = format!("{APISERVER}    - --admission-control=NodeRestriction\n");
    let findings = run(
        &objects("a.yaml", &text),
        "controlplane.apiserver-admission-plugins",
    );
    assert_eq!(messages(&findings).len(), 1);
    assert!(findings[0]
        .message
        .contains("PodSecurity is not among them"));
}

#[test]
fn authorization_defaults_to_always_allow_and_config_files_resolve_by_basename() {
    let findings = run(
        &objects("a.yaml", APISERVER),
        "controlplane.apiserver-authorization-mode",
    );
    assert!(
        findings[0].message.contains("default AlwaysAllow"),
        "{findings:#?}"
    );

    let pod = format!("{APISERVER}    - --authorization-config=/etc/kubernetes/authz-prod.yaml\n");
    let good = "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Node\n  name: node\n- type: RBAC\n  name: rbac\n";
    let bad = "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: RBAC\n  name: rbac\n";
    let mut input = objects("pod.yaml", &pod);
    input.extend(objects("dir/authz-prod.yaml", good));
    input.extend(objects("dir/authz-dev.yaml", bad));
    assert!(run(&input, "controlplane.apiserver-authorization-mode").is_empty());
    let mut input = objects("pod.yaml", &pod);
    input.extend(objects("dir/authz-prod.yaml", bad));
    input.extend(objects("dir/authz-dev.yaml", good));
    let findings = run(&input, "controlplane.apiserver-authorization-mode");
    assert_eq!(messages(&findings), ["kube-apiserver in Pod kube-system/kube-apiserver-cp1 authorizes with [RBAC] (from the AuthorizationConfiguration /etc/kubernetes/authz-prod.yaml), without Node"]);
    assert_eq!(&*findings[0].location.file, "dir/authz-prod.yaml");
}

const KUBELET_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: node-agent\nspec:\n  containers:\n  - name: kubelet\n    image: example/kubelet:v1.31.0\n    command:\n    - /usr/bin/kubelet\n";

#[test]
fn kubelet_flags_override_the_config_file_and_defaults_depend_on_it() {
    let config =
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 0\n";
    // Flag overrides the file.
    let mut input = objects("kubelet.yaml", &format!("{KUBELET_POD}    - --config=/var/lib/kubelet/config.yaml\n    - --read-only-port=10255\n"));
    input.extend(objects("config.yaml", config));
    let findings = run(&input, "controlplane.kubelet-read-only-port");
    assert_eq!(messages(&findings), ["kubelet in Pod node-agent (config config.yaml): read-only port is 10255: pod specs and stats are served without authentication"]);
    // A config file alone: secure defaults.
    let bare = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n";
    assert!(run(
        &objects("c.yaml", bare),
        "controlplane.kubelet-anonymous-auth"
    )
    .is_empty());
    // No --config: the legacy flag defaults (anonymous on, AlwaysAllow, port 10255).
    let input = objects("kubelet.yaml", &format!("{KUBELET_POD}    - --v=2\n"));
    for rule in [
        "controlplane.kubelet-anonymous-auth",
        "controlplane.kubelet-authorization-mode",
        "controlplane.kubelet-read-only-port",
        "controlplane.kubelet-webhook-authentication",
    ] {
        assert_eq!(run(&input, rule).len(), 1, "{rule}");
    }
    // --config pointing outside the input: unknown, not guessed.
    let input = objects(
        "kubelet.yaml",
        &format!("{KUBELET_POD}    - --config=/var/lib/kubelet/config.yaml\n"),
    );
    assert!(run(&input, "controlplane.kubelet-read-only-port").is_empty());
}

#[test]
fn etcd_reads_env_and_stops_at_positional_arguments() {
    let etcd = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd-cp1\nspec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.5.15-0\n    command:\n    - etcd\n    - --cert-file=/a.crt\n    - --key-file=/a.key\n    - stray\n    - --client-cert-auth=true\n";
    let findings = run(&objects("e.yaml", etcd), "controlplane.etcd-client-tls");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(findings[0]
        .message
        .contains("does not set --client-cert-auth (default false)"));
}

#[test]
fn audit_rules_are_first_match() {
    let policy = |rules: &str| {
        objects(
            "p.yaml",
            &format!("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n{rules}"),
        )
    };
    // A conditional RequestResponse rule for secrets before the Metadata rule still leaks some bodies.
    let leaky = policy("- level: RequestResponse\n  users: [\"admin\"]\n- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [\"secrets\", \"configmaps\"]\n  - group: authentication.k8s.io\n    resources: [\"tokenreviews\"]\n- level: Metadata\n");
    let findings = run(&leaky, "controlplane.audit-policy-sensitive-resources");
    assert_eq!(findings.len(), 3, "{findings:#?}");
    assert!(findings[0]
        .message
        .contains("rules[0] logs some secrets requests at RequestResponse"));
    // Resource names make a rule conditional: the catch-all RequestResponse still applies to other secrets.
    let named = policy("- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [\"secrets\"]\n    resourceNames: [\"a\"]\n- level: RequestResponse\n");
    let findings = run(&named, "controlplane.audit-policy-sensitive-resources");
    assert!(findings.iter().any(|f| f
        .message
        .contains("rules[1] logs all secrets requests at RequestResponse")));
    // A catch-all before the end makes later rules dead.
    let early = policy("- level: Metadata\n- level: None\n  users: [\"x\"]\n");
    let findings = run(&early, "controlplane.audit-policy-catch-all");
    assert_eq!(messages(&findings), ["audit Policy p.yaml: rules[0] matches every request, so rules[1..1] never apply (rules are first-match)"]);
}
