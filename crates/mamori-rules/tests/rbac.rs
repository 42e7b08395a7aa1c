//! Focused tests of the rbac rules: exact upstream RBAC matching (wildcard forms, resourceNames), scope of
//! Roles vs ClusterRoles, exempted system identities, and exact messages.

mod common;

use common::{messages, run_prefix as run};

const ROLE_HEAD: &str =
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n";

fn cluster_role(rules: &str) -> String {
    format!("{ROLE_HEAD}{rules}")
}

#[test]
fn star_subresource_grants_exec_but_pods_star_does_not() {
    let star = run(
        "rbac.pods-exec-attach",
        &cluster_role("- apiGroups: [\"\"]\n  resources: [\"*/exec\"]\n  verbs: [create]\n"),
    );
    assert_eq!(star.len(), 1, "{star:?}");
    assert!(
        star[0].message.contains("through resources \"*/exec\""),
        "{}",
        star[0].message
    );
    assert_eq!(star[0].location.field_path, "rules[0].resources[0]");
    let pods_star = run(
        "rbac.pods-exec-attach",
        &cluster_role("- apiGroups: [\"\"]\n  resources: [\"pods/*\"]\n  verbs: [create]\n"),
    );
    assert!(
        pods_star.is_empty(),
        "pods/* is not a wildcard upstream: {pods_star:?}"
    );
    let plain_pods = run(
        "rbac.pods-exec-attach",
        &cluster_role("- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [\"*\"]\n"),
    );
    assert!(
        plain_pods.is_empty(),
        "pods does not cover pods/exec: {plain_pods:?}"
    );
}

#[test]
fn exec_message_is_exact_and_points_at_the_resource_entry() {
    let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: debug\n  namespace: shop\nrules:\n- apiGroups: [\"\"]\n  resources:\n  - pods\n  - pods/attach\n  verbs: [get, create]\n";
    let found = run("rbac.pods-exec-attach", text);
    assert_eq!(
        messages(&found),
        ["Role shop/debug rules[0] grants create, get on pods/attach in its namespace"]
    );
    assert_eq!(found[0].location.pos.line, 10);
    assert_eq!(found[0].location.field_path, "rules[0].resources[1]");
}

#[test]
fn superuser_rule_is_reported_once() {
    let found = run(
        "rbac",
        &cluster_role("- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n"),
    );
    let ids: Vec<&str> = found.iter().map(|f| f.rule_id.as_ref()).collect();
    assert_eq!(ids, ["rbac.wildcard-all"], "{found:?}");
    assert!(found[0]
        .message
        .contains("when bound by a ClusterRoleBinding"));
}

#[test]
fn partial_wildcards_are_reported_by_each_specific_rule() {
    // verbs and apiGroups wildcard on secrets: not a superuser rule.
    let found = run(
        "rbac",
        &cluster_role("- apiGroups: [\"*\"]\n  resources: [secrets]\n  verbs: [\"*\"]\n"),
    );
    let mut ids: Vec<&str> = found.iter().map(|f| f.rule_id.as_ref()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "rbac.secrets-read-cluster-wide",
            "rbac.wildcard-api-groups",
            "rbac.wildcard-verbs"
        ]
    );
    let secrets = found
        .iter()
        .find(|f| f.rule_id == "rbac.secrets-read-cluster-wide")
        .map(|f| f.message.as_str());
    assert_eq!(
        secrets,
        Some(
            "ClusterRole r rules[0] grants get, list, watch on secrets (through verbs \"*\", apiGroups \"*\") in every \
             namespace when bound by a ClusterRoleBinding (in one namespace when bound by a RoleBinding)"
        )
    );
}

#[test]
fn secrets_read_judges_cluster_roles_only_and_checks_the_group() {
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n  namespace: shop\nrules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get]\n";
    assert!(run("rbac.secrets-read-cluster-wide", role).is_empty());
    let other_group =
        cluster_role("- apiGroups: [example.com]\n  resources: [secrets]\n  verbs: [get]\n");
    assert!(run("rbac.secrets-read-cluster-wide", &other_group).is_empty());
    let write_only =
        cluster_role("- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [create, delete]\n");
    assert!(run("rbac.secrets-read-cluster-wide", &write_only).is_empty());
}

#[test]
fn resource_names_block_create_on_pods_but_restrict_token_requests() {
    let create_named = cluster_role(
        "- apiGroups: [\"\"]\n  resources: [pods]\n  resourceNames: [web]\n  verbs: [create]\n",
    );
    assert!(
        run("rbac.pods-create", &create_named).is_empty(),
        "create carries no name: resourceNames never match"
    );
    let token_named = cluster_role("- apiGroups: [\"\"]\n  resources: [serviceaccounts/token]\n  resourceNames: [builder]\n  verbs: [create]\n");
    let found = run("rbac.serviceaccount-token-create", &token_named);
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .message
            .ends_with(", restricted by resourceNames [builder]"),
        "{}",
        found[0].message
    );
}

#[test]
fn impersonation_lists_every_granted_target() {
    let found = run("rbac.impersonate-verb", &cluster_role("- apiGroups: [\"\", authentication.k8s.io]\n  resources: [groups, uids]\n  verbs: [impersonate]\n"));
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .message
            .contains("impersonate on groups, uids (authentication.k8s.io)"),
        "{}",
        found[0].message
    );
}

#[test]
fn cluster_scoped_grants_in_roles_are_ineffective_and_skipped() {
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n  namespace: shop\nrules:\n- apiGroups: [\"\"]\n  resources: [nodes/proxy]\n  verbs: [get]\n";
    assert!(run("rbac.nodes-proxy", role).is_empty());
    let found = run(
        "rbac.nodes-proxy",
        &cluster_role("- apiGroups: [\"\"]\n  resources: [nodes/proxy]\n  verbs: [get]\n"),
    );
    assert_eq!(
        messages(&found),
        ["ClusterRole r rules[0] grants get on nodes/proxy when bound by a ClusterRoleBinding"]
    );
}

#[test]
fn escalate_through_wildcard_verbs_is_explained() {
    let found = run(
        "rbac.escalate-verb",
        &cluster_role(
            "- apiGroups: [rbac.authorization.k8s.io]\n  resources: [roles]\n  verbs: [\"*\"]\n",
        ),
    );
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .message
            .contains("escalate on roles (rbac.authorization.k8s.io) (through verbs \"*\")"),
        "{}",
        found[0].message
    );
    let core = cluster_role("- apiGroups: [\"\"]\n  resources: [roles]\n  verbs: [escalate]\n");
    assert!(
        run("rbac.escalate-verb", &core).is_empty(),
        "roles live in the rbac group, not core"
    );
}

#[test]
fn csr_approval_needs_both_permissions() {
    let approval_only = cluster_role("- apiGroups: [certificates.k8s.io]\n  resources: [certificatesigningrequests/approval]\n  verbs: [update]\n");
    assert!(run("rbac.csr-approval", &approval_only).is_empty());
    let both = cluster_role("- apiGroups: [certificates.k8s.io]\n  resources: [certificatesigningrequests/approval]\n  verbs: [patch]\n- apiGroups: [certificates.k8s.io]\n  resources: [signers]\n  resourceNames: [\"example.com/*\"]\n  verbs: [approve]\n");
    let found = run("rbac.csr-approval", &both);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.starts_with("ClusterRole r can approve CertificateSigningRequests for signers example.com/* (rules[1])"), "{}", found[0].message);
}

#[test]
fn bootstrap_roles_are_skipped_only_with_label_and_reserved_name() {
    let labelled = |name: &str| {
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\nrules:\n- apiGroups: [\"\"]\n  resources: [pods/exec]\n  verbs: [create]\n")
    };
    assert!(run("rbac.pods-exec-attach", &labelled("edit")).is_empty());
    assert_eq!(
        run("rbac.pods-exec-attach", &labelled("my-edit")).len(),
        1,
        "the label alone does not hide a custom role"
    );
}

#[test]
fn crd_named_role_is_ignored() {
    let text = "apiVersion: example.com/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n";
    assert!(run("rbac", text).is_empty());
}

const BINDING_HEAD: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: b\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n";

#[test]
fn cluster_admin_binding_spares_builtins_but_not_service_account_identities() {
    let text = format!("{BINDING_HEAD}  name: cluster-admin\nsubjects:\n- kind: Group\n  name: system:masters\n- kind: User\n  name: system:kube-controller-manager\n- kind: Group\n  name: system:serviceaccounts\n- kind: User\n  name: system:serviceaccount:ci:deployer\n- kind: Group\n  name: system:authenticated\n- kind: User\n  name: alice\n");
    let found = run("rbac.cluster-admin-binding", &text);
    let paths: Vec<&str> = found
        .iter()
        .map(|f| f.location.field_path.as_str())
        .collect();
    assert_eq!(paths, ["subjects[2]", "subjects[3]", "subjects[5]"]);
    assert_eq!(
        found[2].message,
        "ClusterRoleBinding b binds cluster-admin to User alice: full control of the whole cluster"
    );
}

#[test]
fn cluster_admin_role_binding_is_namespaced_in_the_message() {
    let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b\n  namespace: shop\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n- kind: ServiceAccount\n  name: deployer\n";
    let found = run("rbac.cluster-admin-binding", text);
    assert_eq!(messages(&found), ["RoleBinding b binds cluster-admin to ServiceAccount shop/deployer: full control of namespace shop"]);
}

#[test]
fn public_subjects_match_exact_kind_and_name() {
    let text = format!("{BINDING_HEAD}  name: view\nsubjects:\n- kind: Group\n  name: system:anonymous\n- kind: User\n  name: system:anonymous\n- kind: Group\n  name: system:unauthenticated\n");
    let found = run("rbac.public-subject-binding", &text);
    let paths: Vec<&str> = found
        .iter()
        .map(|f| f.location.field_path.as_str())
        .collect();
    assert_eq!(
        paths,
        ["subjects[1]", "subjects[2]"],
        "a Group called system:anonymous matches nobody"
    );
    assert_eq!(found[0].message, "ClusterRoleBinding b grants ClusterRole view to User system:anonymous (every unauthenticated (anonymous) request) cluster-wide");
    let discovery = format!("{BINDING_HEAD}  name: system:discovery\nsubjects:\n- kind: Group\n  name: system:authenticated\n");
    assert!(run("rbac.public-subject-binding", &discovery).is_empty());
}

#[test]
fn wildcard_resources_skips_literal_forms() {
    let found = run(
        "rbac.wildcard-resources",
        &cluster_role("- apiGroups: [\"\"]\n  resources: [pods, \"*/log\"]\n  verbs: [get]\n"),
    );
    assert_eq!(messages(&found), ["ClusterRole r rules[0] grants [get] on the log subresource of every resource (resources \"*/log\") in apiGroups [\"\"] in every namespace when bound by a ClusterRoleBinding (in one namespace when bound by a RoleBinding)"]);
}
