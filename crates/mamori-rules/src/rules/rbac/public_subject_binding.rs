//! `rbac.public-subject-binding` — a binding that grants a role to anonymous or to every authenticated user.
//!
//! Checks: `RoleBinding` and `ClusterRoleBinding` objects of `rbac.authorization.k8s.io`; fires once per
//! subject that is `User system:anonymous`, `Group system:unauthenticated` or `Group system:authenticated`
//! (exact kind and name: these are the identities the authenticators assign; a `Group system:anonymous` matches
//! nobody), whatever the role. Not reported: the defaults the API server and kubeadm create for discovery,
//! recognised by role name: ClusterRoles `system:basic-user`, `system:discovery`, `system:public-info-viewer`,
//! and the Role `kubeadm:bootstrap-signer-clusterinfo` in `kube-public`.
//!
//! Why: `system:anonymous`/`system:unauthenticated` is anyone who can reach the API server;
//! `system:authenticated` is every user and every service account of every namespace, so any pod compromise
//! inherits the role.
//!
//! References: CIS Kubernetes Benchmark 5.1.1 and 1.2.1 (anonymous auth); Kubernetes "RBAC Good Practices";
//! NSA/CISA hardening guide "Authentication and authorization"; MITRE ATT&CK T1078.001 (Default Accounts).

use crate::util::rbac::{
    attack, binding, cis, public_subject, subject_label, NSA_AUTHZ, RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.public-subject-binding",
        title: "Role bound to anonymous or all authenticated users",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "system:anonymous and system:unauthenticated are every request without credentials: anyone who \
            can reach the API server. system:authenticated is every user and every service account in every \
            namespace, so a single compromised pod holds whatever the role grants.",
        remediation: "Bind the role to the specific users, groups or service accounts that need it; never to the \
            public identities, beyond the discovery defaults Kubernetes creates.",
        references: &[
            cis("5.1.1"),
            RBAC_GOOD_PRACTICES,
            NSA_AUTHZ,
            attack("T1078.001", "https://attack.mitre.org/techniques/T1078/001/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: everyone-views\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: system:authenticated\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: system:public-info-viewer\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: system:public-info-viewer\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: system:authenticated\n- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: system:unauthenticated\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const DISCOVERY_CLUSTER_ROLES: [&str; 3] = [
    "system:basic-user",
    "system:discovery",
    "system:public-info-viewer",
];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(binding) = binding(ctx.object) else {
        return;
    };
    let default_discovery = match binding.role_kind {
        "ClusterRole" => DISCOVERY_CLUSTER_ROLES.contains(&binding.role_name),
        "Role" => {
            binding.role_name == "kubeadm:bootstrap-signer-clusterinfo"
                && ctx.namespace() == Some("kube-public")
        }
        _ => false,
    };
    if default_discovery {
        return;
    }
    for subject in binding.subjects() {
        let Some(who) = public_subject(&subject) else {
            continue;
        };
        let reach = if binding.cluster_wide {
            "cluster-wide".to_owned()
        } else {
            format!(
                "in namespace {}",
                ctx.namespace().unwrap_or("(set at apply time)")
            )
        };
        out.emit(
            ctx.object,
            subject.node.pos,
            format!("subjects[{}]", subject.index),
            format!(
                "{} {} grants {} {} to {} ({who}) {reach}",
                ctx.kind(),
                ctx.object.id.name,
                binding.role_kind,
                binding.role_name,
                subject_label(&subject, ctx.namespace()),
            ),
        );
    }
}
