//! Escalation paths: each kind found on its fixture, and not found on its near miss.

mod common;
use common::analyzer;
use mamori_model::Severity;
use mamori_rbac::{risks, PathKind, RiskReport, Subject};

fn report(name: &str) -> RiskReport {
    risks(&analyzer(&format!("paths/{name}")))
}

/// (subject, path kind, severity) of every path.
fn paths(report: &RiskReport) -> Vec<(String, PathKind, Severity)> {
    report
        .risks
        .iter()
        .filter_map(|r| {
            r.path
                .as_ref()
                .map(|p| (r.subject.to_string(), p.kind, r.finding.severity))
        })
        .collect()
}

fn has_path(report: &RiskReport, subject: &str, kind: PathKind) -> bool {
    paths(report)
        .iter()
        .any(|(s, k, _)| s == subject && *k == kind)
}

fn assert_only_path(report: &RiskReport, subject: &str, kind: PathKind, severity: Severity) {
    let found: Vec<_> = paths(report)
        .into_iter()
        .filter(|(s, k, _)| s == subject && *k == kind)
        .collect();
    assert_eq!(found.len(), 1, "{subject} {kind:?}: {:?}", paths(report));
    assert_eq!(found[0].2, severity);
}

#[test]
fn pod_create_runs_as_a_privileged_service_account() {
    let r = report("pod-create.yaml");
    assert_only_path(
        &r,
        "ServiceAccount:app:deployer",
        PathKind::PodCreate,
        Severity::Critical,
    );
    let risk = r
        .risks
        .iter()
        .find(|x| {
            x.path
                .as_ref()
                .is_some_and(|p| p.kind == PathKind::PodCreate)
        })
        .expect("path");
    let steps = &risk.path.as_ref().expect("path").steps;
    assert_eq!(steps.len(), 3);
    assert!(
        steps[0].action.contains("can create pods in namespace app"),
        "{steps:?}"
    );
    assert_eq!(
        steps[0].enabled_by,
        ["RoleBinding app/deployer → Role app/pod-creator"]
    );
    assert_eq!(steps[1].target, "ServiceAccount:app:admin-bot");
    assert_eq!(steps[1].enabled_by, ["ServiceAccount app/admin-bot"]);
    assert_eq!(
        steps[2].enabled_by,
        ["ClusterRoleBinding admin-bot → ClusterRole cluster-admin"]
    );
    assert_eq!(risk.finding.rule_id, "rbac.pods-create");
    assert_eq!(risk.finding.object.name, "deployer");
}

#[test]
fn pod_create_near_miss_only_unprivileged_service_accounts() {
    let r = report("pod-create-near-miss.yaml");
    assert!(
        !has_path(&r, "ServiceAccount:app:deployer", PathKind::PodCreate),
        "{:?}",
        paths(&r)
    );
    // The dangerous permission itself is still reported.
    assert!(r
        .risks
        .iter()
        .any(|x| x.subject.to_string() == "ServiceAccount:app:deployer"
            && x.finding.rule_id == "rbac.pods-create"
            && x.path.is_none()));
}

#[test]
fn secret_read_obtains_a_token() {
    let r = report("secret-read.yaml");
    assert_only_path(&r, "User:reader", PathKind::SecretRead, Severity::Critical);
    let risk = r.risks.iter().find(|x| x.path.is_some()).expect("path");
    let steps = &risk.path.as_ref().expect("path").steps;
    assert_eq!(steps[1].actor, "Secret kube-system/admin-sa-token");
    assert_eq!(steps[1].target, "ServiceAccount:kube-system:admin-sa");
}

#[test]
fn secret_read_near_miss_no_token_secrets() {
    let r = report("secret-read-near-miss.yaml");
    assert!(
        !has_path(&r, "User:reader", PathKind::SecretRead),
        "{:?}",
        paths(&r)
    );
}

#[test]
fn bind_cluster_admin() {
    let r = report("bind.yaml");
    assert_only_path(&r, "User:binder", PathKind::Bind, Severity::Critical);
    assert!(r
        .risks
        .iter()
        .any(|x| x.finding.rule_id == "rbac.bind-verb" && x.path.is_none()));
}

#[test]
fn bind_near_miss_without_create_bindings() {
    let r = report("bind-near-miss.yaml");
    assert!(
        !has_path(&r, "User:binder", PathKind::Bind),
        "{:?}",
        paths(&r)
    );
}

#[test]
fn escalate_own_role() {
    let r = report("escalate.yaml");
    assert_only_path(
        &r,
        "ServiceAccount:ops:role-editor",
        PathKind::Escalate,
        Severity::Critical,
    );
}

#[test]
fn escalate_near_miss_role_not_bound() {
    let r = report("escalate-near-miss.yaml");
    assert!(
        !has_path(&r, "ServiceAccount:ops:role-editor", PathKind::Escalate),
        "{:?}",
        paths(&r)
    );
}

#[test]
fn impersonate_system_masters_and_a_service_account() {
    let r = report("impersonate.yaml");
    assert_only_path(&r, "User:imp", PathKind::Impersonate, Severity::Critical);
    assert_only_path(&r, "User:imp2", PathKind::Impersonate, Severity::Critical);
    let masters = r
        .risks
        .iter()
        .find(|x| x.subject == Subject::User("imp".into()) && x.path.is_some())
        .expect("path");
    assert!(
        masters.finding.message.contains("system:masters"),
        "{}",
        masters.finding.message
    );
}

#[test]
fn impersonate_near_miss_harmless_account() {
    let r = report("impersonate-near-miss.yaml");
    assert!(
        !has_path(&r, "User:imp2", PathKind::Impersonate),
        "{:?}",
        paths(&r)
    );
}

#[test]
fn token_create_mints_a_privileged_token() {
    let r = report("token-create.yaml");
    assert_only_path(&r, "User:minter", PathKind::TokenCreate, Severity::Critical);
}

#[test]
fn token_create_near_miss_named_unprivileged_account() {
    let r = report("token-create-near-miss.yaml");
    assert!(
        !has_path(&r, "User:minter", PathKind::TokenCreate),
        "{:?}",
        paths(&r)
    );
}

#[test]
fn csr_approval_client_certificates() {
    let r = report("csr-approval.yaml");
    assert_only_path(
        &r,
        "User:approver",
        PathKind::CsrApproval,
        Severity::Critical,
    );
}

#[test]
fn csr_approval_near_miss_other_signer() {
    let r = report("csr-approval-near-miss.yaml");
    assert!(
        !has_path(&r, "User:approver", PathKind::CsrApproval),
        "{:?}",
        paths(&r)
    );
}

#[test]
fn nodes_proxy_reaches_a_privileged_pod() {
    let r = report("nodes-proxy.yaml");
    assert_only_path(
        &r,
        "User:debugger",
        PathKind::NodesProxy,
        Severity::Critical,
    );
    let risk = r.risks.iter().find(|x| x.path.is_some()).expect("path");
    let steps = &risk.path.as_ref().expect("path").steps;
    assert!(
        steps
            .iter()
            .any(|s| s.enabled_by.contains(&"Pod kube-system/agent".to_owned())),
        "{steps:?}"
    );
}

#[test]
fn nodes_proxy_near_miss_node_status_only() {
    let r = report("nodes-proxy-near-miss.yaml");
    assert!(
        !has_path(&r, "User:debugger", PathKind::NodesProxy),
        "{:?}",
        paths(&r)
    );
}

#[test]
fn superusers_get_one_critical_finding_and_no_paths() {
    let r = report("pod-create.yaml");
    let admin: Vec<_> = r
        .risks
        .iter()
        .filter(|x| x.subject.to_string() == "ServiceAccount:app:admin-bot")
        .collect();
    assert_eq!(admin.len(), 1);
    assert_eq!(admin[0].finding.rule_id, "rbac.wildcard-all");
    assert_eq!(admin[0].finding.severity, Severity::Critical);
}
