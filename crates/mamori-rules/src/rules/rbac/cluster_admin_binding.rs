//! `rbac.cluster-admin-binding` — a binding of the `cluster-admin` ClusterRole to a non-system subject.
//!
//! Checks: `RoleBinding` and `ClusterRoleBinding` objects of `rbac.authorization.k8s.io` whose `roleRef` is
//! `ClusterRole cluster-admin`; fires once per subject that is not one of Kubernetes' own identities. Built-in
//! (not reported): `User`/`Group` names starting with `system:` (e.g. the default binding to
//! `system:masters`). Reported although spelled `system:`: service-account identities
//! (`system:serviceaccount:<ns>:<name>` users, `system:serviceaccounts[:<ns>]` groups). The public identities
//! (`system:anonymous`, `system:unauthenticated`, `system:authenticated`) are left to
//! `rbac.public-subject-binding`, which reports them for any role. A ClusterRoleBinding grants full control of
//! the cluster; a RoleBinding full control of its namespace (the message says which).
//!
//! Why: cluster-admin is unrestricted superuser access; every holder is a cluster compromise waiting to
//! happen, and service accounts holding it turn any pod compromise into one.
//!
//! References: CIS Kubernetes Benchmark 5.1.1 ("Ensure that the cluster-admin role is only used where
//! required"); Kubernetes "RBAC Good Practices"; NSA/CISA hardening guide; MITRE ATT&CK T1078.

use crate::util::rbac::{
    attack, binding, cis, is_builtin_system_subject, public_subject, subject_label, NSA_AUTHZ,
    RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.cluster-admin-binding",
        title: "cluster-admin bound to a non-system subject",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "cluster-admin allows every action on every resource. Bound by a ClusterRoleBinding it controls \
            the whole cluster, bound by a RoleBinding the whole namespace (secrets, pods, RBAC). Each extra \
            holder, and above all each service account, is a path from one compromised credential or pod to \
            the cluster.",
        remediation: "Bind a role scoped to what the subject does (admin/edit in a namespace, or a custom role); \
            keep cluster-admin for break-glass accounts.",
        references: &[
            cis("5.1.1"),
            RBAC_GOOD_PRACTICES,
            NSA_AUTHZ,
            attack("T1078", "https://attack.mitre.org/techniques/T1078/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ci-admin\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n- kind: ServiceAccount\n  name: deployer\n  namespace: ci\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: cluster-admin\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: system:masters\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(binding) = binding(ctx.object) else {
        return;
    };
    if binding.role_kind != "ClusterRole" || binding.role_name != "cluster-admin" {
        return;
    }
    for subject in binding.subjects() {
        if is_builtin_system_subject(&subject) || public_subject(&subject).is_some() {
            continue;
        }
        let reach = if binding.cluster_wide {
            "full control of the whole cluster".to_owned()
        } else {
            format!(
                "full control of namespace {}",
                ctx.namespace().unwrap_or("(set at apply time)")
            )
        };
        out.emit(
            ctx.object,
            subject.node.pos,
            format!("subjects[{}]", subject.index),
            format!(
                "{} {} binds cluster-admin to {}: {reach}",
                ctx.kind(),
                ctx.object.id.name,
                subject_label(&subject, ctx.namespace())
            ),
        );
    }
}
