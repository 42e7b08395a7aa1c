//! mamori's rule catalogue at admission: modes (global, per namespace), the registry allowlist as a deny,
//! exceptions with expiry, `mamori.io/exempt`, disabled rules, dry-run, and the merge with Pod Security.

mod common;

use common::*;
use mamori_admission::{Mode, DRY_RUN_PREFIX};
use serde_json::{json, Value};

const REGISTRIES: &str = "registries:\n  allowed: [registry.example.com]\n";

fn nginx_pod() -> Value {
    yaml("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: team\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n")
}

fn modes(reviewed: &mamori_admission::Reviewed, rule: &str) -> Vec<Mode> {
    reviewed
        .decisions
        .iter()
        .filter(|d| d.rule_id == rule)
        .map(|d| d.mode)
        .collect()
}

const REGISTRY_LINE: &str = "mamori: image.registry-not-allowed: container \"app\" of Pod/web uses image \"nginx:1.27\" (docker.io/library/nginx), which is not under allowed_registries (registry.example.com)";

#[test]
fn registry_allowlist_is_enforced_as_deny() {
    let engine = engine_with_config(
        &format!("{REGISTRIES}admission:\n  rules:\n  - {{id: image.registry-not-allowed, mode: deny}}\n"),
        false,
    );
    let (reviewed, body) = review(
        &engine,
        &Req::create_pod("team", nginx_pod()),
        &TestState::with_namespace("team", &[]),
    );
    assert!(!reviewed.allowed);
    assert_eq!(
        body["response"]["status"],
        json!({"metadata": {}, "status": "Failure", "reason": "Forbidden", "code": 403,
               "details": {"name": "web", "kind": "pods"}, "message": REGISTRY_LINE})
    );
    // Other rules stay in the default mode (warn), but a rejected request carries no warnings.
    assert!(body["response"].get("warnings").is_none());
    assert_eq!(modes(&reviewed, "image.registry-not-allowed"), [Mode::Deny]);
    assert!(reviewed.decisions.iter().any(|d| d.mode == Mode::Warn));
    assert!(reviewed
        .decisions
        .iter()
        .all(|d| !d.rule_id.starts_with("pss.")));
}

#[test]
fn warn_and_audit_modes() {
    let engine = engine_with_config(
        &format!("{REGISTRIES}admission:\n  defaultMode: audit\n  rules:\n  - {{id: \"image.*\", mode: deny}}\n  - {{id: image.registry-not-allowed, mode: warn}}\n"),
        false,
    );
    let (reviewed, body) = review(
        &engine,
        &Req::create_pod("team", nginx_pod()),
        &TestState::with_namespace("team", &[]),
    );
    // image.* is deny, but the later entry makes the registry rule warn; other image rules (digest) deny.
    assert_eq!(modes(&reviewed, "image.registry-not-allowed"), [Mode::Warn]);
    assert_eq!(modes(&reviewed, "image.digest-missing"), [Mode::Deny]);
    assert!(!reviewed.allowed);
    assert!(message(&body)
        .lines()
        .all(|l| l.starts_with("mamori: image.")));

    let engine = engine_with_config(
        &format!("{REGISTRIES}admission:\n  defaultMode: audit\n  rules:\n  - {{id: image.registry-not-allowed, mode: warn}}\n"),
        false,
    );
    let (reviewed, body) = review(
        &engine,
        &Req::create_pod("team", nginx_pod()),
        &TestState::with_namespace("team", &[]),
    );
    assert!(reviewed.allowed);
    assert_eq!(warnings(&body), [REGISTRY_LINE]);
    let audit = annotation(&body, "mamori-audit").expect("audit annotation");
    assert!(!audit.is_empty());
    assert!(
        audit
            .lines()
            .all(|l| l.starts_with("mamori: ") && !l.contains("registry-not-allowed")),
        "{audit}"
    );
    assert_eq!(
        audit.lines().count(),
        reviewed
            .decisions
            .iter()
            .filter(|d| d.mode == Mode::Audit)
            .count()
    );
}

#[test]
fn namespace_entries_override_the_global_modes() {
    let engine = engine_with_config(
        &format!("{REGISTRIES}admission:\n  rules:\n  - {{id: image.registry-not-allowed, mode: deny}}\n  namespaces:\n  - name: \"dev-*\"\n    defaultMode: audit\n  - name: [prod, \"prod-*\"]\n    rules:\n    - {{id: \"image.*\", mode: deny}}\n"),
        false,
    );
    let state = {
        let mut s = TestState::with_namespace("dev-1", &[]);
        s.add_namespace("prod", &[]);
        s.add_namespace("team", &[]);
        s
    };
    let (reviewed, _) = review(&engine, &Req::create_pod("dev-1", nginx_pod()), &state);
    assert!(reviewed.allowed);
    assert!(reviewed.decisions.iter().all(|d| d.mode == Mode::Audit));
    let (reviewed, _) = review(&engine, &Req::create_pod("prod", nginx_pod()), &state);
    assert!(!reviewed.allowed);
    assert!(reviewed
        .decisions
        .iter()
        .filter(|d| d.rule_id.starts_with("image."))
        .all(|d| d.mode == Mode::Deny));
    // Rules the prod entry does not name fall back to the global settings (default warn).
    assert!(reviewed
        .decisions
        .iter()
        .filter(|d| !d.rule_id.starts_with("image."))
        .all(|d| d.mode == Mode::Warn));
    let (reviewed, _) = review(&engine, &Req::create_pod("team", nginx_pod()), &state);
    assert_eq!(modes(&reviewed, "image.registry-not-allowed"), [Mode::Deny]);
    assert_eq!(modes(&reviewed, "image.digest-missing"), [Mode::Warn]);
}

#[test]
fn exceptions_and_exempt_annotations_are_honoured_with_expiry() {
    let deny = "admission:\n  rules:\n  - {id: image.registry-not-allowed, mode: deny}\n";
    let exception = |expires: &str| {
        format!("{REGISTRIES}{deny}exceptions:\n- rules: [image.registry-not-allowed]\n  namespaces: [team]\n  reason: mirror pending\n  owner: platform\n  expires: {expires}\n")
    };
    let state = TestState::with_namespace("team", &[]);
    // In force through its expiry day (today is 2026-11-28).
    let engine = engine_with_config(&exception("2026-11-28"), false);
    let (reviewed, _) = review(&engine, &Req::create_pod("team", nginx_pod()), &state);
    assert!(reviewed.allowed);
    assert!(modes(&reviewed, "image.registry-not-allowed").is_empty());
    assert_eq!(engine.policy().map(|p| p.use_count(0)), Some(1));
    // Expired yesterday: denied again.
    let engine = engine_with_config(&exception("2026-11-27"), false);
    assert!(
        !review(&engine, &Req::create_pod("team", nginx_pod()), &state)
            .0
            .allowed
    );
    // The object's own exemption annotation (with a reason).
    let engine = engine_with_config(&format!("{REGISTRIES}{deny}"), false);
    let mut pod = nginx_pod();
    pod["metadata"]["annotations"] = json!({"mamori.io/exempt": "image.registry-not-allowed", "mamori.io/exempt-reason": "vendor image"});
    assert!(
        review(&engine, &Req::create_pod("team", pod.clone()), &state)
            .0
            .allowed
    );
    // Without a reason the annotation is ignored, as in the CLI.
    pod["metadata"]["annotations"] = json!({"mamori.io/exempt": "image.registry-not-allowed"});
    assert!(
        !review(&engine, &Req::create_pod("team", pod), &state)
            .0
            .allowed
    );
}

#[test]
fn disabled_rules_do_not_fire() {
    let engine = engine_with_config(
        &format!("{REGISTRIES}rules:\n  disable: [image.registry-not-allowed]\nadmission:\n  rules:\n  - {{id: image.registry-not-allowed, mode: deny}}\n"),
        false,
    );
    let (reviewed, _) = review(
        &engine,
        &Req::create_pod("team", nginx_pod()),
        &TestState::with_namespace("team", &[]),
    );
    assert!(reviewed.allowed);
    assert!(modes(&reviewed, "image.registry-not-allowed").is_empty());
}

#[test]
fn dry_run_turns_every_deny_into_a_warning() {
    let config = format!("{REGISTRIES}admission:\n  defaultMode: audit\n  rules:\n  - {{id: image.registry-not-allowed, mode: deny}}\n");
    let state = TestState::with_namespace(
        "team",
        &[("pod-security.kubernetes.io/enforce", "baseline")],
    );
    let mut pod = nginx_pod();
    pod["spec"]["containers"][0]["securityContext"] = json!({"privileged": true});
    for engine in [
        engine_with_config(&config, true),
        engine_with_config(&format!("{config}  dryRun: true\n"), false),
    ] {
        assert!(engine.dry_run());
        let (reviewed, body) = review(&engine, &Req::create_pod("team", pod.clone()), &state);
        assert!(reviewed.allowed);
        let pss_message = "pods \"web\" is forbidden: violates PodSecurity \"baseline:latest\": privileged (container \"app\" must not set securityContext.privileged=true)";
        assert_eq!(
            warnings(&body),
            [
                format!("{DRY_RUN_PREFIX}{pss_message}"),
                format!("{DRY_RUN_PREFIX}{REGISTRY_LINE}")
            ]
        );
        assert_eq!(
            annotation(&body, "mamori-dry-run-denied"),
            Some(format!("{pss_message}\n{REGISTRY_LINE}").as_str())
        );
        assert!(reviewed
            .decisions
            .iter()
            .filter(|d| d.mode == Mode::Deny)
            .all(|d| !d.enforced));
        assert!(reviewed
            .decisions
            .iter()
            .filter(|d| d.mode != Mode::Deny)
            .all(|d| d.enforced));
        assert!(body["response"].get("status").is_none());
    }
}

#[test]
fn pod_security_and_catalogue_denials_are_one_message() {
    let engine = engine_with_config(&format!("{REGISTRIES}admission:\n  defaultMode: audit\n  rules:\n  - {{id: image.registry-not-allowed, mode: deny}}\n"), false);
    let state = TestState::with_namespace(
        "team",
        &[("pod-security.kubernetes.io/enforce", "baseline")],
    );
    let mut pod = nginx_pod();
    pod["spec"]["hostNetwork"] = json!(true);
    let (reviewed, body) = review(&engine, &Req::create_pod("team", pod), &state);
    assert!(!reviewed.allowed);
    assert_eq!(
        message(&body),
        format!("pods \"web\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)\n{REGISTRY_LINE}")
    );
}

#[test]
fn catalogue_skips_status_updates_and_insignificant_pod_updates() {
    let engine = engine_with_config(
        &format!("{REGISTRIES}admission:\n  defaultMode: deny\n"),
        false,
    );
    let state = TestState::with_namespace("team", &[]);
    let mut req = Req::create_pod("team", nginx_pod());
    req.operation = "UPDATE";
    req.old_object = Some(nginx_pod());
    assert!(review(&engine, &req, &state).0.allowed);
    req.subresource = "status";
    assert!(review(&engine, &req, &state).0.allowed);
    // Deployments are evaluated on every UPDATE (their template is mutable).
    let deployment = yaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: app, image: nginx}\n");
    let mut req = Req::create(
        "apps",
        "deployments",
        "Deployment",
        "team",
        deployment.clone(),
    );
    req.operation = "UPDATE";
    req.old_object = Some(deployment);
    assert!(!review(&engine, &req, &state).0.allowed);
}
