//! Pod Security on workloads (§5.6: warn and audit only, fail open) and namespaces (§5.7: label validation,
//! exempt warning, relabel dry run over existing pods).

mod common;

use common::*;
use mamori_admission::{Exemptions, ModePolicies, PodInfo, PodSecurityConfiguration};
use serde_json::{json, Value};
use std::sync::Arc;

fn deployment(privileged: bool) -> Value {
    yaml(&format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: team}}\nspec:\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/app:1.0\n        securityContext: {{privileged: {privileged}}}\n"))
}

#[test]
fn workloads_are_never_enforced_but_warned_and_audited() {
    let state = TestState::with_namespace(
        "team",
        &[
            ("pod-security.kubernetes.io/enforce", "baseline"),
            ("pod-security.kubernetes.io/audit", "baseline"),
        ],
    );
    let (reviewed, body) = review(
        &engine(PodSecurityConfiguration::default()),
        &Req::create(
            "apps",
            "deployments",
            "Deployment",
            "team",
            deployment(true),
        ),
        &state,
    );
    assert!(reviewed.allowed);
    let expected = "would violate PodSecurity \"baseline:latest\": privileged (container \"app\" must not set securityContext.privileged=true)";
    assert_eq!(warnings(&body), [expected]);
    assert_eq!(
        body["response"]["auditAnnotations"],
        json!({"audit-violations": expected})
    );
}

#[test]
fn every_template_kind_is_extracted() {
    let state =
        TestState::with_namespace("team", &[("pod-security.kubernetes.io/warn", "baseline")]);
    let spec = json!({"containers": [{"name": "app", "image": "x", "securityContext": {"privileged": true}}]});
    let template = json!({"metadata": {}, "spec": spec});
    let cases: Vec<(&str, &str, &str, Value)> = vec![
        (
            "",
            "podtemplates",
            "PodTemplate",
            json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": template}),
        ),
        (
            "",
            "replicationcontrollers",
            "ReplicationController",
            json!({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "t"}, "spec": {"template": template}}),
        ),
        (
            "apps",
            "replicasets",
            "ReplicaSet",
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "t"}, "spec": {"template": template}}),
        ),
        (
            "apps",
            "daemonsets",
            "DaemonSet",
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "t"}, "spec": {"template": template}}),
        ),
        (
            "apps",
            "statefulsets",
            "StatefulSet",
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "t"}, "spec": {"template": template}}),
        ),
        (
            "batch",
            "jobs",
            "Job",
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "t"}, "spec": {"template": template}}),
        ),
        (
            "batch",
            "cronjobs",
            "CronJob",
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "t"}, "spec": {"jobTemplate": {"spec": {"template": template}}}}),
        ),
    ];
    let engine = engine(PodSecurityConfiguration::default());
    for (group, resource, kind, object) in cases {
        let (reviewed, body) = review(
            &engine,
            &Req::create(group, resource, kind, "team", object),
            &state,
        );
        assert!(reviewed.allowed, "{resource}");
        assert_eq!(warnings(&body).len(), 1, "{resource}");
    }
    // Unknown resources and a ReplicationController without a template are not evaluated.
    let (_, body) = review(
        &engine,
        &Req::create(
            "",
            "services",
            "Service",
            "team",
            json!({"metadata": {"name": "s"}, "spec": spec}),
        ),
        &state,
    );
    assert!(warnings(&body).is_empty());
    let (_, body) = review(
        &engine,
        &Req::create(
            "",
            "replicationcontrollers",
            "ReplicationController",
            "team",
            json!({"metadata": {"name": "rc"}, "spec": {}}),
        ),
        &state,
    );
    assert!(warnings(&body).is_empty());
}

#[test]
fn workload_failures_fail_open() {
    let mut state =
        TestState::with_namespace("team", &[("pod-security.kubernetes.io/warn", "baseline")]);
    state.fail_lookup = true;
    let engine = engine(PodSecurityConfiguration::default());
    let (reviewed, body) = review(
        &engine,
        &Req::create(
            "apps",
            "deployments",
            "Deployment",
            "team",
            deployment(true),
        ),
        &state,
    );
    assert!(reviewed.allowed);
    assert_eq!(
        body["response"]["auditAnnotations"],
        json!({"error": "failed to lookup namespace \"team\": connection refused"})
    );
    state.fail_lookup = false;
    let mut broken = deployment(true);
    broken["spec"]["template"]["spec"]["containers"] = json!(7);
    let (reviewed, body) = review(
        &engine,
        &Req::create("apps", "deployments", "Deployment", "team", broken),
        &state,
    );
    assert!(reviewed.allowed);
    assert!(annotation(&body, "error")
        .is_some_and(|e| e.starts_with("failed to extract pod template: ")));
    // Subresources (scale, status) are not evaluated.
    let mut req = Req::create(
        "apps",
        "deployments",
        "Deployment",
        "team",
        deployment(true),
    );
    req.subresource = "status";
    let (_, body) = review(&engine, &req, &state);
    assert!(warnings(&body).is_empty());
}

fn namespace(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
}

fn namespace_req(
    operation: &'static str,
    name: &str,
    labels: Value,
    old_labels: Option<Value>,
) -> Req {
    let mut req = Req::create("", "namespaces", "Namespace", name, namespace(name, labels));
    req.operation = operation;
    req.name = name.to_owned();
    req.old_object = old_labels.map(|l| namespace(name, l));
    req
}

#[test]
fn invalid_namespace_labels_are_rejected_with_apimachinery_text() {
    let engine = engine(PodSecurityConfiguration::default());
    let req = namespace_req(
        "CREATE",
        "team",
        json!({"pod-security.kubernetes.io/enforce": "x"}),
        None,
    );
    let (reviewed, body) = review(&engine, &req, &TestState::default());
    assert!(!reviewed.allowed);
    assert_eq!(
        body["response"]["status"],
        json!({"metadata": {}, "status": "Failure", "reason": "Invalid", "code": 422,
               "details": {"name": "team", "kind": "Namespace", "causes": [{
                   "reason": "FieldValueInvalid",
                   "message": "Invalid value: \"x\": must be one of privileged, baseline, restricted",
                   "field": "metadata.labels[pod-security.kubernetes.io/enforce]"}]},
               "message": "Namespace \"team\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"x\": must be one of privileged, baseline, restricted"})
    );
    // Two errors: aggregated in brackets.
    let req = namespace_req(
        "CREATE",
        "team",
        json!({"pod-security.kubernetes.io/enforce": "x", "pod-security.kubernetes.io/audit-version": "v2.0"}),
        None,
    );
    let (_, body) = review(&engine, &req, &TestState::default());
    assert_eq!(
        message(&body),
        "Namespace \"team\" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"x\": must be one of privileged, baseline, restricted, metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: \"v2.0\": must be \"latest\" or \"v1.x\"]"
    );
    // UPDATE keeping the same invalid labels is allowed; a new error is rejected.
    let bad = json!({"pod-security.kubernetes.io/enforce": "x"});
    let (reviewed, _) = review(
        &engine,
        &namespace_req("UPDATE", "team", bad.clone(), Some(bad.clone())),
        &TestState::default(),
    );
    assert!(reviewed.allowed);
    let (reviewed, _) = review(
        &engine,
        &namespace_req("UPDATE", "team", bad, Some(json!({}))),
        &TestState::default(),
    );
    assert!(!reviewed.allowed);
}

#[test]
fn exempt_namespace_gets_a_warning_listing_the_ignored_policy() {
    let config = PodSecurityConfiguration {
        defaults: ModePolicies::default(),
        exemptions: Exemptions {
            namespaces: vec!["ops".to_owned()],
            ..Exemptions::default()
        },
    };
    let engine = engine(config);
    let labels = json!({
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.0",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "baseline"
    });
    let (reviewed, body) = review(
        &engine,
        &namespace_req("CREATE", "ops", labels.clone(), None),
        &TestState::default(),
    );
    assert!(reviewed.allowed);
    assert_eq!(
        warnings(&body),
        ["namespace \"ops\" is exempt from Pod Security, and the policy (enforce=restricted:v1.0, audit=restricted:latest, warn=baseline:latest) will be ignored"]
    );
    // Privileged labels: no warning. Not exempt: no warning.
    let (_, body) = review(
        &engine,
        &namespace_req(
            "CREATE",
            "ops",
            json!({"pod-security.kubernetes.io/enforce": "privileged"}),
            None,
        ),
        &TestState::default(),
    );
    assert!(warnings(&body).is_empty());
    let (_, body) = review(
        &engine,
        &namespace_req("CREATE", "team", labels.clone(), None),
        &TestState::default(),
    );
    assert!(warnings(&body).is_empty());
    // UPDATE tightening an exempt namespace: the same warning, no pod check.
    let (_, body) = review(
        &engine,
        &namespace_req("UPDATE", "ops", labels, Some(json!({}))),
        &TestState::default(),
    );
    assert_eq!(warnings(&body).len(), 1);
}

fn existing_pod(
    name: &str,
    controller: Option<&str>,
    privileged: bool,
    runtime_class: Option<&str>,
) -> Arc<PodInfo> {
    let mut object = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "team"},
        "spec": {"containers": [{"name": "app", "image": "x", "securityContext": {"privileged": privileged}}]}});
    if let Some(uid) = controller {
        object["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": uid, "controller": true}]);
    }
    if let Some(rc) = runtime_class {
        object["spec"]["runtimeClassName"] = json!(rc);
    }
    let node = mamori_yaml::parse_json(
        object.to_string().as_bytes(),
        &mamori_yaml::Limits::default(),
    )
    .expect("json");
    Arc::new(PodInfo::from_node(node).expect("pod info"))
}

#[test]
fn tightening_enforce_dry_runs_existing_pods() {
    let mut state = TestState::with_namespace("team", &[]);
    state.pods = vec![
        existing_pod("web-b", Some("rs-1"), false, None),
        existing_pod("web-a", Some("rs-1"), false, None),
        existing_pod("db", None, true, None),
        existing_pod("sandboxed", None, true, Some("kata")),
        existing_pod("ok", None, false, None),
    ];
    let config = PodSecurityConfiguration {
        defaults: ModePolicies::default(),
        exemptions: Exemptions {
            runtime_classes: vec!["kata".to_owned()],
            ..Exemptions::default()
        },
    };
    let engine = engine(config);
    let req = namespace_req(
        "UPDATE",
        "team",
        json!({"pod-security.kubernetes.io/enforce": "restricted"}),
        Some(json!({"pod-security.kubernetes.io/enforce": "baseline"})),
    );
    let (reviewed, body) = review(&engine, &req, &state);
    assert!(reviewed.allowed);
    let restricted = "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile";
    assert_eq!(
        warnings(&body),
        [
            "existing pods in namespace \"team\" violate the new PodSecurity enforce level \"restricted:latest\"".to_owned(),
            format!("db: privileged, {restricted}"),
            // web-a and web-b (one controller) and ok share the reasons; web-a is the smallest name.
            format!("ok (and 2 other pods): {restricted}"),
        ]
    );
    // Relaxing, keeping, or going privileged: no dry run.
    for (new, old) in [
        ("baseline", "restricted"),
        ("restricted", "restricted"),
        ("privileged", "baseline"),
    ] {
        let req = namespace_req(
            "UPDATE",
            "team",
            json!({"pod-security.kubernetes.io/enforce": new}),
            Some(json!({"pod-security.kubernetes.io/enforce": old})),
        );
        let (_, body) = review(&engine, &req, &state);
        assert!(warnings(&body).is_empty(), "{old} → {new}");
    }
    // A version change with the same level is checked.
    let req = namespace_req(
        "UPDATE",
        "team",
        json!({"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.30"}),
        Some(json!({"pod-security.kubernetes.io/enforce": "baseline"})),
    );
    let (_, body) = review(&engine, &req, &state);
    assert_eq!(warnings(&body), ["existing pods in namespace \"team\" violate the new PodSecurity enforce level \"baseline:v1.30\"", "db: privileged"]);
    // Listing fails: one warning.
    state.fail_list = true;
    let req = namespace_req(
        "UPDATE",
        "team",
        json!({"pod-security.kubernetes.io/enforce": "restricted"}),
        Some(json!({})),
    );
    let (reviewed, body) = review(&engine, &req, &state);
    assert!(reviewed.allowed);
    assert_eq!(
        warnings(&body),
        ["failed to list pods while checking new PodSecurity enforce level"]
    );
}

#[test]
fn dry_run_is_capped_at_3000_pods_replicas_last() {
    let mut state = TestState::with_namespace("team", &[]);
    // 3,001 replicas of one controller and two standalone pods at the end: the standalone ones and the first
    // replica are checked first; the cap cuts replicas.
    for i in 0..3001 {
        state.pods.push(existing_pod(
            &format!("rep-{i:04}"),
            Some("rs-1"),
            false,
            None,
        ));
    }
    state.pods.push(existing_pod("solo-b", None, true, None));
    state.pods.push(existing_pod("solo-a", None, true, None));
    let engine = engine(PodSecurityConfiguration::default());
    let req = namespace_req(
        "UPDATE",
        "team",
        json!({"pod-security.kubernetes.io/enforce": "baseline"}),
        Some(json!({})),
    );
    let (_, body) = review(&engine, &req, &state);
    assert_eq!(
        warnings(&body),
        [
            "new PodSecurity enforce level only checked against the first 3000 of 3003 existing pods",
            "existing pods in namespace \"team\" violate the new PodSecurity enforce level \"baseline:latest\"",
            "solo-a (and 1 other pod): privileged",
        ]
    );
}

#[test]
fn dry_run_stops_at_half_the_request_deadline() {
    let mut state = TestState::with_namespace("team", &[]);
    for i in 0..5 {
        state
            .pods
            .push(existing_pod(&format!("p{i}"), None, true, None));
    }
    let engine = engine(PodSecurityConfiguration::default());
    let req = namespace_req(
        "UPDATE",
        "team",
        json!({"pod-security.kubernetes.io/enforce": "baseline"}),
        Some(json!({})),
    );
    // A deadline already passed: upstream still evaluates the first pod, then stops.
    let reviewed = engine
        .review_with_deadline(&req.body(), &state, std::time::Instant::now())
        .expect("reviewed");
    let body: Value = serde_json::from_slice(&reviewed.body).expect("json");
    assert_eq!(
        warnings(&body),
        [
            "new PodSecurity enforce level only checked against the first 1 of 5 existing pods",
            "existing pods in namespace \"team\" violate the new PodSecurity enforce level \"baseline:latest\"",
            "p0: privileged",
        ]
    );
    // A distant deadline changes nothing.
    let later = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let reviewed = engine
        .review_with_deadline(&req.body(), &state, later)
        .expect("reviewed");
    let body: Value = serde_json::from_slice(&reviewed.body).expect("json");
    assert_eq!(warnings(&body)[1], "p0 (and 4 other pods): privileged");
}
