//! Focused tests of the workload rules: edge cases, near misses and exact messages.

mod common;

use common::{defaults, messages, paths, run_rule as run};
use mamori_model::Severity;
use mamori_rules::RuleSettings;

fn deployment(spec: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    \
         metadata:\n      labels:\n        app: web\n    spec:\n{spec}"
    )
}

#[test]
fn requests_are_reported_per_container_and_resource_with_the_exact_place() {
    let text = deployment(
        "      initContainers:\n      - name: setup\n        image: a:1\n      containers:\n      - name: web\n        \
         image: a:1\n        resources:\n          requests:\n            cpu: 100m\n      ephemeralContainers:\n      \
         - name: debug\n        image: a:1\n",
    );
    let findings = run("workload.resource-requests-missing", &defaults(), &text);
    assert_eq!(
        messages(&findings),
        [
            "init container \"setup\" of Deployment/web has no cpu request (resources.requests.cpu is not set)",
            "init container \"setup\" of Deployment/web has no memory request (resources.requests.memory is not set)",
            "container \"web\" of Deployment/web has no memory request (resources.requests.memory is not set)",
        ]
    );
    assert_eq!(
        paths(&findings),
        [
            "spec.template.spec.initContainers[0]",
            "spec.template.spec.initContainers[0]",
            "spec.template.spec.containers[0].resources.requests",
        ]
    );
    // The `requests` map of container "web" starts at its first key, `cpu: 100m`, on line 20.
    assert_eq!(findings[2].location.pos.line, 20);
}

#[test]
fn pod_level_resources_cover_every_container() {
    let text = deployment(
        "      resources:\n        requests:\n          cpu: \"1\"\n          memory: 1Gi\n        limits:\n          \
         memory: 1Gi\n      containers:\n      - name: web\n        image: a:1\n",
    );
    assert!(run("workload.resource-requests-missing", &defaults(), &text).is_empty());
    assert!(run("workload.memory-limit-missing", &defaults(), &text).is_empty());
    assert_eq!(
        run("workload.cpu-limit-missing", &defaults(), &text).len(),
        1
    );
}

#[test]
fn memory_limit_outranks_cpu_limit() {
    let memory = mamori_rules::rule("workload.memory-limit-missing").map(|r| r.meta.severity);
    let cpu = mamori_rules::rule("workload.cpu-limit-missing").map(|r| r.meta.severity);
    assert_eq!((memory, cpu), (Some(Severity::Medium), Some(Severity::Low)));
    let text = deployment("      containers:\n      - name: web\n        image: a:1\n        resources:\n          limits:\n            cpu: 500m\n");
    assert!(run("workload.cpu-limit-missing", &defaults(), &text).is_empty());
    assert_eq!(
        messages(&run("workload.memory-limit-missing", &defaults(), &text)),
        ["container \"web\" of Deployment/web has no memory limit (resources.limits.memory is not set)"]
    );
}

#[test]
fn read_only_root_filesystem_must_be_literally_true() {
    let text = deployment(
        "      containers:\n      - name: a\n        image: a:1\n      - name: b\n        image: a:1\n        \
         securityContext:\n          readOnlyRootFilesystem: false\n      - name: c\n        image: a:1\n        \
         securityContext:\n          readOnlyRootFilesystem: \"true\"\n      - name: d\n        image: a:1\n        \
         securityContext:\n          readOnlyRootFilesystem: true\n",
    );
    let findings = run("workload.writable-root-filesystem", &defaults(), &text);
    assert_eq!(
        messages(&findings),
        [
            "container \"a\" of Deployment/web does not set securityContext.readOnlyRootFilesystem=true: its root filesystem is writable",
            "container \"b\" of Deployment/web sets securityContext.readOnlyRootFilesystem=false: its root filesystem is writable",
            "container \"c\" of Deployment/web sets securityContext.readOnlyRootFilesystem to a string, not true: its root filesystem is writable",
        ]
    );
    assert_eq!(
        findings[1].location.field_path,
        "spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem"
    );
    let windows = deployment("      os:\n        name: windows\n      containers:\n      - name: a\n        image: a:1\n");
    assert!(run("workload.writable-root-filesystem", &defaults(), &windows).is_empty());
}

#[test]
fn run_as_user_zero_is_reported_where_written() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    runAsUser: 0\n  \
        containers:\n  - name: a\n    image: a:1\n    securityContext:\n      runAsUser: 1000\n  - name: b\n    \
        image: a:1\n    securityContext:\n      runAsUser: 0\n  - name: c\n    image: a:1\n    securityContext:\n      \
        runAsUser: \"0\"\n";
    let findings = run("workload.run-as-root-user", &defaults(), text);
    assert_eq!(
        paths(&findings),
        [
            "spec.securityContext.runAsUser",
            "spec.containers[1].securityContext.runAsUser"
        ]
    );
    assert_eq!(
        messages(&findings),
        [
            "Pod/p sets spec.securityContext.runAsUser=0: its containers run as root",
            "container \"b\" of Pod/p sets securityContext.runAsUser=0: it runs as root",
        ]
    );
    assert_eq!(
        (findings[0].location.pos.line, findings[0].location.pos.col),
        (7, 16)
    );
    let user_namespace = text.replace(
        "spec:\n  securityContext:",
        "spec:\n  hostUsers: false\n  securityContext:",
    );
    assert!(run("workload.run-as-root-user", &defaults(), &user_namespace).is_empty());
}

#[test]
fn token_automount_names_the_service_account() {
    let unset = deployment(
        "      serviceAccount: legacy\n      containers:\n      - name: a\n        image: a:1\n",
    );
    assert_eq!(
        messages(&run("workload.service-account-token-automount", &defaults(), &unset)),
        ["Deployment/web does not set automountServiceAccountToken: false: the API token of ServiceAccount \"legacy\" is mounted into its containers"]
    );
    let explicit = deployment("      automountServiceAccountToken: true\n      containers:\n      - name: a\n        image: a:1\n");
    assert_eq!(
        messages(&run("workload.service-account-token-automount", &defaults(), &explicit)),
        ["Deployment/web sets automountServiceAccountToken: true: the API token of ServiceAccount \"default\" is mounted into its containers"]
    );
    let off = deployment("      automountServiceAccountToken: false\n      containers:\n      - name: a\n        image: a:1\n");
    assert!(run(
        "workload.service-account-token-automount",
        &defaults(),
        &off
    )
    .is_empty());
}

#[test]
fn rules_ignore_objects_without_pod_templates() {
    let text = "apiVersion: example.com/v1\nkind: Deployment\nmetadata:\n  name: custom\nspec:\n  template:\n    spec:\n      \
        containers:\n      - name: a\n        image: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n";
    for id in [
        "workload.resource-requests-missing",
        "workload.writable-root-filesystem",
        "workload.service-account-token-automount",
        "workload.default-service-account",
        "workload.secret-in-env",
    ] {
        assert!(run(id, &defaults(), text).is_empty(), "{id}");
    }
}

#[test]
fn default_service_account_reads_the_deprecated_alias() {
    let alias = deployment(
        "      serviceAccount: web\n      containers:\n      - name: a\n        image: a:1\n",
    );
    assert!(run("workload.default-service-account", &defaults(), &alias).is_empty());
    let empty_name = deployment("      serviceAccountName: \"\"\n      serviceAccount: default\n      containers:\n      - name: a\n        image: a:1\n");
    let findings = run("workload.default-service-account", &defaults(), &empty_name);
    assert_eq!(paths(&findings), ["spec.template.spec.serviceAccount"]);
    assert_eq!(
        messages(&findings),
        ["Deployment/web sets serviceAccount: default: it runs as the namespace's shared default ServiceAccount"]
    );
    let unset = deployment("      containers:\n      - name: a\n        image: a:1\n");
    assert_eq!(
        messages(&run("workload.default-service-account", &defaults(), &unset)),
        ["Deployment/web does not set serviceAccountName: it runs as the namespace's shared default ServiceAccount"]
    );
}

#[test]
fn secrets_in_env_name_variable_secret_and_key() {
    let text = deployment(
        "      containers:\n      - name: api\n        image: a:1\n        env:\n        - name: PLAIN\n          value: x\n        \
         - name: FROM_CONFIG\n          valueFrom:\n            configMapKeyRef:\n              name: cfg\n              key: k\n        \
         - name: TOKEN\n          valueFrom:\n            secretKeyRef:\n              name: api\n              key: token\n        \
         envFrom:\n        - configMapRef:\n            name: cfg\n        - prefix: DB_\n          secretRef:\n            name: db\n",
    );
    let findings = run("workload.secret-in-env", &defaults(), &text);
    assert_eq!(
        messages(&findings),
        [
            "container \"api\" of Deployment/web gets key \"token\" of Secret \"api\" as environment variable TOKEN",
            "container \"api\" of Deployment/web gets every key of Secret \"db\" as environment variables (prefix \"DB_\")",
        ]
    );
    assert_eq!(
        paths(&findings),
        [
            "spec.template.spec.containers[0].env[2].valueFrom.secretKeyRef",
            "spec.template.spec.containers[0].envFrom[1].secretRef"
        ]
    );
}

fn sandbox_settings(classes: &[&str]) -> RuleSettings {
    RuleSettings {
        sandbox_namespaces: vec!["tenant-*".to_owned()],
        sandbox_namespace_labels: vec!["sandbox".to_owned()],
        sandbox_runtime_classes: classes.iter().map(|c| (*c).to_owned()).collect(),
        ..RuleSettings::default()
    }
}

fn pod_in(namespace: &str, runtime_class: Option<&str>) -> String {
    let class = runtime_class.map_or(String::new(), |c| format!("  runtimeClassName: {c}\n"));
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: {namespace}\nspec:\n{class}  containers:\n  - name: a\n    image: a:1\n")
}

#[test]
fn sandbox_by_namespace_glob() {
    let settings = sandbox_settings(&["gvisor"]);
    let rule = "workload.sandbox-runtime-missing";
    assert_eq!(
        messages(&run(rule, &settings, &pod_in("tenant-a", None))),
        ["Pod/p sets no runtimeClassName; it must use one of the sandbox runtime classes (gvisor) (namespace \"tenant-a\" matches sandbox_namespaces \"tenant-*\")"]
    );
    assert_eq!(
        messages(&run(rule, &settings, &pod_in("tenant-a", Some("runc")))),
        ["Pod/p uses runtimeClassName \"runc\", not one of the sandbox runtime classes (gvisor) (namespace \"tenant-a\" matches sandbox_namespaces \"tenant-*\")"]
    );
    assert!(run(rule, &settings, &pod_in("tenant-a", Some("gvisor"))).is_empty());
    assert!(run(rule, &settings, &pod_in("tenants", None)).is_empty());
    // No class list: any RuntimeClass is trusted to be a sandbox.
    assert!(run(
        rule,
        &sandbox_settings(&[]),
        &pod_in("tenant-a", Some("kata-qemu"))
    )
    .is_empty());
    assert!(run(rule, &defaults(), &pod_in("tenant-a", None)).is_empty());
    let no_namespace = pod_in("x", None).replace("  namespace: x\n", "");
    assert!(run(rule, &settings, &no_namespace).is_empty());
}

#[test]
fn sandbox_by_namespace_label_needs_the_namespace_object_and_reports_once() {
    let settings = sandbox_settings(&["gvisor"]);
    let rule = "workload.sandbox-runtime-missing-by-namespace-label";
    let namespace =
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ci\n  labels:\n    sandbox: \"yes\"\n";
    // The Namespace may come after the workload.
    let text = format!("{}\n---\n{namespace}", pod_in("ci", None));
    assert_eq!(
        messages(&run(rule, &settings, &text)),
        ["Pod/p sets no runtimeClassName; it must use one of the sandbox runtime classes (gvisor) (namespace \"ci\" has label sandbox)"]
    );
    assert!(
        run(rule, &settings, &pod_in("ci", None)).is_empty(),
        "no Namespace object, no verdict"
    );
    // A namespace matching both the glob and the label is reported by the glob rule only.
    let both = format!(
        "{}\n---\n{}",
        pod_in("tenant-b", None),
        namespace.replace("name: ci", "name: tenant-b")
    );
    assert!(run(rule, &settings, &both).is_empty());
    assert_eq!(
        run("workload.sandbox-runtime-missing", &settings, &both).len(),
        1
    );
}

fn isolation_settings() -> RuleSettings {
    RuleSettings {
        isolated_namespaces: vec!["untrusted".to_owned()],
        isolated_pod_labels: vec!["trust=none".to_owned()],
        isolation_node_label: Some("pool=untrusted".to_owned()),
        isolation_taint_key: Some("dedicated".to_owned()),
        ..RuleSettings::default()
    }
}

#[test]
fn node_isolation_requires_selector_in_every_term_and_a_toleration() {
    let rule = "workload.node-isolation-missing";
    let settings = isolation_settings();
    let pod = |spec: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: untrusted\nspec:\n{spec}  containers:\n  - name: a\n    image: a:1\n")
    };
    let toleration = "  tolerations:\n  - key: dedicated\n    operator: Exists\n";
    assert!(run(
        rule,
        &settings,
        &pod(&format!(
            "  nodeSelector:\n    pool: untrusted\n{toleration}"
        ))
    )
    .is_empty());
    assert_eq!(
        messages(&run(rule, &settings, &pod("  nodeSelector:\n    pool: untrusted\n"))),
        ["Pod/p is untrusted (namespace \"untrusted\" matches isolated_namespaces \"untrusted\") but does not tolerate the dedicated-node taint dedicated"]
    );
    let two_terms = "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        \
        - matchExpressions:\n          - {key: pool, operator: In, values: [untrusted]}\n        - matchExpressions:\n          - {key: zone, operator: In, values: [a]}\n";
    let findings = run(rule, &settings, &pod(&format!("{two_terms}{toleration}")));
    assert_eq!(
        messages(&findings),
        ["Pod/p is untrusted (namespace \"untrusted\" matches isolated_namespaces \"untrusted\") but does not require nodes labelled pool=untrusted (nodeSelector or required node affinity)"]
    );
    let one_term = two_terms
        .split("        - matchExpressions:\n          - {key: zone")
        .next()
        .unwrap_or_default();
    assert!(run(rule, &settings, &pod(&format!("{one_term}{toleration}"))).is_empty());
    let two_values = one_term.replace("values: [untrusted]", "values: [untrusted, general]");
    assert_eq!(
        run(rule, &settings, &pod(&format!("{two_values}{toleration}"))).len(),
        1
    );
    let tolerate_all = "  tolerations:\n  - operator: Exists\n";
    assert!(run(
        rule,
        &settings,
        &pod(&format!(
            "  nodeSelector:\n    pool: untrusted\n{tolerate_all}"
        ))
    )
    .is_empty());
    let both_missing = run(rule, &settings, &pod(""));
    assert!(messages(&both_missing)[0].ends_with("does not require nodes labelled pool=untrusted (nodeSelector or required node affinity) and does not tolerate the dedicated-node taint dedicated"));
}

#[test]
fn node_isolation_selects_pods_by_label() {
    let rule = "workload.node-isolation-missing";
    let labelled = deployment("      containers:\n      - name: a\n        image: a:1\n")
        .replace("app: web", "app: web\n        trust: none");
    assert_eq!(
        messages(&run(rule, &isolation_settings(), &labelled)),
        ["Deployment/web is untrusted (pod label trust=none) but does not require nodes labelled pool=untrusted (nodeSelector or required node affinity) and does not tolerate the dedicated-node taint dedicated"]
    );
    let plain = deployment("      containers:\n      - name: a\n        image: a:1\n");
    assert!(run(rule, &isolation_settings(), &plain).is_empty());
}
