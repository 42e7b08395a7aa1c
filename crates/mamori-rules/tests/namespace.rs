//! Focused tests of the namespace rules: managed namespaces, PSA label semantics, exact messages.

mod common;

use common::{defaults, messages, paths, run_rule as run};

fn namespace(name: &str, labels: &str) -> String {
    let labels = if labels.is_empty() {
        String::new()
    } else {
        format!("  labels:\n{labels}")
    };
    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n{labels}")
}

#[test]
fn managed_namespaces_are_skipped() {
    let text = ["kube-system", "kube-public", "kube-node-lease"]
        .map(|name| namespace(name, ""))
        .join("\n---\n");
    for id in [
        "namespace.limitrange-missing",
        "namespace.psa-enforce-missing",
        "namespace.resourcequota-missing",
    ] {
        assert!(run(id, &defaults(), &text).is_empty(), "{id}");
    }
    let privileged = namespace(
        "kube-system",
        "    pod-security.kubernetes.io/enforce: privileged\n",
    );
    assert!(run("namespace.psa-enforce-privileged", &defaults(), &privileged).is_empty());
}

#[test]
fn limit_range_must_be_in_the_namespace() {
    let range = "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: defaults\n  namespace: shop\nspec:\n  limits: []\n";
    let text = format!(
        "{}\n---\n{}\n---\n{range}",
        namespace("shop", ""),
        namespace("ops", "")
    );
    let findings = run("namespace.limitrange-missing", &defaults(), &text);
    assert_eq!(
        messages(&findings),
        ["namespace ops has no LimitRange: containers without resources run unbounded"]
    );
    assert_eq!(findings[0].object.name, "ops");
    // No Namespace object: a LimitRange alone says nothing.
    assert!(run("namespace.limitrange-missing", &defaults(), range).is_empty());
}

#[test]
fn enforce_label_absent_versus_present() {
    let rule = "namespace.psa-enforce-missing";
    let audit_only = namespace(
        "shop",
        "    pod-security.kubernetes.io/audit: restricted\n    pod-security.kubernetes.io/warn: restricted\n",
    );
    let findings = run(rule, &defaults(), &audit_only);
    assert_eq!(
        messages(&findings),
        ["namespace shop has no pod-security.kubernetes.io/enforce label: the cluster's default Pod Security level (privileged unless configured) applies"]
    );
    assert_eq!(
        (paths(&findings), findings[0].location.pos.line),
        (vec!["metadata.labels"], 6)
    );
    let unlabelled = run(rule, &defaults(), &namespace("shop", ""));
    assert_eq!(paths(&unlabelled), ["metadata"]);
    // An invalid level fails closed (PSA enforces restricted): neither missing nor privileged.
    let invalid = namespace(
        "shop",
        "    pod-security.kubernetes.io/enforce: restrictd\n",
    );
    assert!(run(rule, &defaults(), &invalid).is_empty());
    assert!(run("namespace.psa-enforce-privileged", &defaults(), &invalid).is_empty());
}

#[test]
fn enforce_privileged_points_at_the_label_value() {
    let text = namespace(
        "agents",
        "    app: x\n    pod-security.kubernetes.io/enforce: privileged\n",
    );
    let findings = run("namespace.psa-enforce-privileged", &defaults(), &text);
    assert_eq!(
        messages(&findings),
        ["namespace agents sets pod-security.kubernetes.io/enforce=privileged: Pod Security enforces nothing there"]
    );
    assert_eq!(
        paths(&findings),
        ["metadata.labels[\"pod-security.kubernetes.io/enforce\"]"]
    );
    assert_eq!(
        (findings[0].location.pos.line, findings[0].location.pos.col),
        (7, 41)
    );
    // Level names are exact: PSA does not accept `Privileged`, so it enforces restricted.
    let capitalised = namespace(
        "agents",
        "    pod-security.kubernetes.io/enforce: Privileged\n",
    );
    assert!(run(
        "namespace.psa-enforce-privileged",
        &defaults(),
        &capitalised
    )
    .is_empty());
    assert!(run("namespace.psa-enforce-missing", &defaults(), &text).is_empty());
}
