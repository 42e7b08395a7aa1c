//! Pod Security Admission on pods (§5.5, §5.8): enforce, audit, warn, exemptions, UPDATE rules, subresources.

mod common;

use common::*;
use mamori_admission::{Exemptions, Mode, ModePolicies, PodSecurityConfiguration};
use mamori_pss::{Level, LevelVersion, Version};
use serde_json::json;

const RESTRICTED_DETAIL: &str = "allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"app\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"app\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";
const PRIVILEGED_DETAIL: &str =
    "privileged (container \"app\" must not set securityContext.privileged=true)";

fn enforce(level: &str) -> TestState {
    TestState::with_namespace("team", &[("pod-security.kubernetes.io/enforce", level)])
}

#[test]
fn enforce_restricted_denies_with_upstream_status() {
    let (reviewed, body) = review(
        &engine(PodSecurityConfiguration::default()),
        &Req::create_pod("team", pod("web", "{}")),
        &enforce("restricted"),
    );
    assert!(!reviewed.allowed);
    let response = &body["response"];
    assert_eq!(response["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(
        response["status"],
        json!({"metadata": {}, "status": "Failure", "reason": "Forbidden", "code": 403,
               "details": {"name": "web", "kind": "pods"},
               "message": format!("pods \"web\" is forbidden: violates PodSecurity \"restricted:latest\": {RESTRICTED_DETAIL}")})
    );
    assert_eq!(
        annotation(&body, "enforce-policy"),
        Some("restricted:latest")
    );
    // No warnings on a rejected request, even though warn defaults to the enforce level.
    assert!(response.get("warnings").is_none());
    let ids: Vec<&str> = reviewed
        .decisions
        .iter()
        .map(|d| d.rule_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "pss.allowPrivilegeEscalation",
            "pss.capabilities_restricted",
            "pss.runAsNonRoot",
            "pss.seccompProfile_restricted"
        ]
    );
    assert!(reviewed
        .decisions
        .iter()
        .all(|d| d.mode == Mode::Deny && d.enforced));
}

#[test]
fn pod_without_name_uses_the_resource_only() {
    let mut pod = pod("x", "{privileged: true}");
    pod["metadata"] = json!({"generateName": "web-"});
    let (reviewed, body) = review(
        &engine(PodSecurityConfiguration::default()),
        &Req::create_pod("team", pod),
        &enforce("baseline"),
    );
    assert!(!reviewed.allowed);
    assert_eq!(
        message(&body),
        format!("pods is forbidden: violates PodSecurity \"baseline:latest\": {PRIVILEGED_DETAIL}")
    );
    assert!(body["response"]["status"]["details"].get("name").is_none());
}

#[test]
fn compliant_pod_is_allowed_with_the_enforce_policy_annotation() {
    let (reviewed, body) = review(
        &engine(PodSecurityConfiguration::default()),
        &Req::create_pod("team", restricted_pod("web")),
        &TestState::with_namespace(
            "team",
            &[
                ("pod-security.kubernetes.io/enforce", "restricted"),
                ("pod-security.kubernetes.io/enforce-version", "v1.30"),
            ],
        ),
    );
    assert!(reviewed.allowed);
    assert_eq!(
        annotation(&body, "enforce-policy"),
        Some("restricted:v1.30")
    );
    assert!(body["response"].get("status").is_none());
    assert!(reviewed.decisions.is_empty());
}

#[test]
fn warn_and_audit_labels_add_a_warning_and_an_annotation() {
    let state = TestState::with_namespace(
        "team",
        &[
            ("pod-security.kubernetes.io/enforce", "baseline"),
            ("pod-security.kubernetes.io/warn", "restricted"),
            ("pod-security.kubernetes.io/audit", "restricted"),
            ("pod-security.kubernetes.io/audit-version", "v1.25"),
        ],
    );
    let (reviewed, body) = review(
        &engine(PodSecurityConfiguration::default()),
        &Req::create_pod("team", pod("web", "{}")),
        &state,
    );
    assert!(reviewed.allowed);
    assert_eq!(
        warnings(&body),
        [format!(
            "would violate PodSecurity \"restricted:latest\": {RESTRICTED_DETAIL}"
        )]
    );
    assert_eq!(
        annotation(&body, "audit-violations"),
        Some(
            format!("would violate PodSecurity \"restricted:v1.25\": {RESTRICTED_DETAIL}").as_str()
        )
    );
    assert_eq!(annotation(&body, "enforce-policy"), Some("baseline:latest"));
    let modes: Vec<Mode> = reviewed.decisions.iter().map(|d| d.mode).collect();
    assert_eq!(modes.iter().filter(|m| **m == Mode::Audit).count(), 4);
    assert_eq!(modes.iter().filter(|m| **m == Mode::Warn).count(), 4);
}

#[test]
fn enforce_label_is_copied_to_warn_only_when_stricter_and_warn_is_unset() {
    // Defaults warn=baseline; enforce=restricted → warn becomes restricted (version from enforce).
    let defaults = PodSecurityConfiguration {
        defaults: ModePolicies {
            warn: LevelVersion::new(Level::Baseline, Version::LATEST),
            ..ModePolicies::default()
        },
        exemptions: Exemptions::default(),
    };
    let state = TestState::with_namespace(
        "team",
        &[
            ("pod-security.kubernetes.io/enforce", "restricted"),
            ("pod-security.kubernetes.io/enforce-version", "v1.24"),
        ],
    );
    // Allowed by enforce restricted? No: the pod violates it; use an UPDATE-free check through a workload instead.
    let deployment = yaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/app:1.0\n");
    let (reviewed, body) = review(
        &engine(defaults),
        &Req::create("apps", "deployments", "Deployment", "team", deployment),
        &state,
    );
    assert!(reviewed.allowed);
    let w = warnings(&body);
    assert_eq!(w.len(), 1);
    assert!(
        w[0].starts_with("would violate PodSecurity \"restricted:v1.24\": "),
        "{w:?}"
    );
}

#[test]
fn invalid_labels_fail_closed_for_enforce_and_are_reported() {
    let state = TestState::with_namespace(
        "team",
        &[
            ("pod-security.kubernetes.io/enforce", "strict"),
            ("pod-security.kubernetes.io/warn-version", "1.25"),
        ],
    );
    let (reviewed, body) = review(
        &engine(PodSecurityConfiguration::default()),
        &Req::create_pod("team", pod("web", "{}")),
        &state,
    );
    assert!(!reviewed.allowed);
    assert!(message(&body).contains("violates PodSecurity \"restricted:latest\""));
    assert_eq!(
        annotation(&body, "error"),
        Some("Failed to parse policy: [metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted, metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: \"1.25\": must be \"latest\" or \"v1.x\"]")
    );
}

#[test]
fn fully_privileged_namespace_is_allowed_without_evaluation() {
    let (reviewed, body) = review(
        &engine(PodSecurityConfiguration::default()),
        &Req::create_pod("team", pod("web", "{privileged: true}")),
        &TestState::with_namespace("team", &[]),
    );
    assert!(reviewed.allowed);
    assert_eq!(
        body["response"]["auditAnnotations"],
        json!({"enforce-policy": "privileged:latest"})
    );
}

#[test]
fn defaults_apply_when_the_namespace_has_no_labels() {
    let defaults = PodSecurityConfiguration {
        defaults: ModePolicies {
            enforce: LevelVersion::new(Level::Baseline, Version::v1(20)),
            ..ModePolicies::default()
        },
        exemptions: Exemptions::default(),
    };
    let (reviewed, body) = review(
        &engine(defaults),
        &Req::create_pod("team", pod("web", "{privileged: true}")),
        &TestState::with_namespace("team", &[]),
    );
    assert!(!reviewed.allowed);
    assert_eq!(
        message(&body),
        format!("pods \"web\" is forbidden: violates PodSecurity \"baseline:v1.20\": {PRIVILEGED_DETAIL}")
    );
}

#[test]
fn exemptions_by_namespace_user_and_runtime_class() {
    let config = PodSecurityConfiguration {
        defaults: ModePolicies::default(),
        exemptions: Exemptions {
            usernames: vec!["system:serviceaccount:kube-system:replicaset-controller".to_owned()],
            namespaces: vec!["ops".to_owned()],
            runtime_classes: vec!["kata".to_owned()],
        },
    };
    let engine = engine(config);
    let mut state = enforce("restricted");
    state.add_namespace(
        "ops",
        &[("pod-security.kubernetes.io/enforce", "restricted")],
    );

    let (reviewed, body) = review(&engine, &Req::create_pod("ops", pod("web", "{}")), &state);
    assert!(reviewed.allowed);
    assert_eq!(reviewed.exempt, Some("namespace"));
    assert_eq!(
        body["response"]["auditAnnotations"],
        json!({"exempt": "namespace"})
    );

    let mut req = Req::create_pod("team", pod("web", "{}"));
    req.username = "system:serviceaccount:kube-system:replicaset-controller";
    let (reviewed, body) = review(&engine, &req, &state);
    assert!(reviewed.allowed);
    assert_eq!(reviewed.exempt, Some("user"));
    assert_eq!(annotation(&body, "exempt"), Some("user"));

    let mut kata = pod("web", "{}");
    kata["spec"]["runtimeClassName"] = json!("kata");
    let (reviewed, body) = review(&engine, &Req::create_pod("team", kata), &state);
    assert!(reviewed.allowed);
    assert_eq!(reviewed.exempt, Some("runtimeClass"));
    assert_eq!(
        body["response"]["auditAnnotations"],
        json!({"exempt": "runtimeClass"})
    );

    // A different runtime class is not exempt.
    let mut runc = pod("web", "{}");
    runc["spec"]["runtimeClassName"] = json!("runc");
    let (reviewed, _) = review(&engine, &Req::create_pod("team", runc), &state);
    assert!(!reviewed.allowed);
    assert_eq!(reviewed.exempt, None);
}

#[test]
fn namespace_lookup_failure_denies_pods_with_internal_error() {
    let mut state = enforce("restricted");
    state.fail_lookup = true;
    let (reviewed, body) = review(
        &engine(PodSecurityConfiguration::default()),
        &Req::create_pod("team", restricted_pod("web")),
        &state,
    );
    assert!(!reviewed.allowed);
    assert_eq!(
        body["response"]["status"],
        json!({"metadata": {}, "status": "Failure", "reason": "InternalError", "code": 500,
               "details": {"causes": [{"message": "failed to lookup namespace \"team\""}]},
               "message": "Internal error occurred: failed to lookup namespace \"team\""})
    );
    assert_eq!(
        annotation(&body, "error"),
        Some("Internal error occurred: failed to lookup namespace \"team\": connection refused")
    );
    // A namespace that does not exist is a lookup failure too.
    let (reviewed, body) = review(
        &engine(PodSecurityConfiguration::default()),
        &Req::create_pod("gone", restricted_pod("web")),
        &enforce("restricted"),
    );
    assert!(!reviewed.allowed);
    assert_eq!(
        annotation(&body, "error"),
        Some("Internal error occurred: failed to lookup namespace \"gone\": namespaces \"gone\" not found")
    );
}

#[test]
fn ignored_subresources_are_allowed_and_ephemeral_containers_are_evaluated() {
    let engine = engine(PodSecurityConfiguration::default());
    let state = enforce("baseline");
    for sub in [
        "exec",
        "attach",
        "binding",
        "eviction",
        "log",
        "portforward",
        "proxy",
        "status",
    ] {
        let mut req = Req::create_pod("team", pod("web", "{privileged: true}"));
        req.subresource = sub;
        let (reviewed, body) = review(&engine, &req, &state);
        assert!(reviewed.allowed, "{sub}");
        assert!(body["response"].get("auditAnnotations").is_none(), "{sub}");
    }
    let old = pod("web", "{}");
    let mut new = old.clone();
    new["spec"]["ephemeralContainers"] =
        json!([{"name": "debug", "image": "busybox", "securityContext": {"privileged": true}}]);
    let mut req = Req::create_pod("team", new);
    req.operation = "UPDATE";
    req.subresource = "ephemeralcontainers";
    req.old_object = Some(old);
    let (reviewed, body) = review(&engine, &req, &state);
    assert!(!reviewed.allowed);
    assert_eq!(
        message(&body),
        "pods \"web\" is forbidden: violates PodSecurity \"baseline:latest\": privileged (container \"debug\" must not set securityContext.privileged=true)"
    );
}

#[test]
fn pod_updates_are_evaluated_only_when_significant() {
    let engine = engine(PodSecurityConfiguration::default());
    let state = enforce("baseline");
    let old = pod("web", "{privileged: true}");
    let update = |new: serde_json::Value| {
        let mut req = Req::create_pod("team", new);
        req.operation = "UPDATE";
        req.old_object = Some(old.clone());
        review(&engine, &req, &state)
    };
    // Label change: not significant → allowed, no annotations.
    let mut relabelled = old.clone();
    relabelled["metadata"]["labels"] = json!({"a": "b"});
    let (reviewed, body) = update(relabelled);
    assert!(reviewed.allowed);
    assert!(body["response"].get("auditAnnotations").is_none());
    // Image change: significant → evaluated and denied.
    let mut new_image = old.clone();
    new_image["spec"]["containers"][0]["image"] = json!("registry.example.com/app:2.0");
    assert!(!update(new_image).0.allowed);
    // A container added: significant.
    let mut more = old.clone();
    more["spec"]["initContainers"] = json!([{"name": "init", "image": "busybox"}]);
    assert!(!update(more).0.allowed);
    // An ephemeral container with the same name and image as before: not significant.
    let mut old_eph = old.clone();
    old_eph["spec"]["ephemeralContainers"] = json!([{"name": "debug", "image": "busybox"}]);
    let mut req = Req::create_pod("team", old_eph.clone());
    req.operation = "UPDATE";
    req.old_object = Some(old_eph);
    assert!(review(&engine, &req, &state).0.allowed);
}

#[test]
fn unreadable_pod_is_denied_as_bad_request() {
    let mut bad = pod("web", "{}");
    bad["spec"]["containers"] = json!("not a list");
    let (reviewed, body) = review(
        &engine(PodSecurityConfiguration::default()),
        &Req::create_pod("team", bad),
        &enforce("restricted"),
    );
    assert!(!reviewed.allowed);
    assert_eq!(body["response"]["status"]["code"], 400);
    assert_eq!(body["response"]["status"]["reason"], "BadRequest");
    assert!(annotation(&body, "error").is_some_and(|e| e.starts_with("failed to decode object: ")));
    // A pod CREATE without an object is denied too.
    let mut req = Req::create_pod("team", restricted_pod("web"));
    req.object = None;
    assert!(
        !review(
            &engine(PodSecurityConfiguration::default()),
            &req,
            &enforce("restricted")
        )
        .0
        .allowed
    );
}

#[test]
fn delete_and_connect_are_allowed() {
    for op in ["DELETE", "CONNECT"] {
        let mut req = Req::create_pod("team", pod("web", "{privileged: true}"));
        req.operation = op;
        let (reviewed, body) = review(
            &engine(PodSecurityConfiguration::default()),
            &req,
            &enforce("restricted"),
        );
        assert!(reviewed.allowed, "{op}");
        assert!(body["response"].get("auditAnnotations").is_none());
    }
}
