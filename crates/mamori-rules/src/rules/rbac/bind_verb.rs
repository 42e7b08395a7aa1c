//! `rbac.bind-verb` — a Role / ClusterRole granting `bind` on roles or clusterroles.
//!
//! Checks: `rules[]` of `Role` and `ClusterRole` objects of `rbac.authorization.k8s.io`; fires on each policy
//! rule that, by exact RBAC matching, allows verb `bind` on `roles` or `clusterroles` of
//! `rbac.authorization.k8s.io` (wildcards included and named in the message). resourceNames limit which roles
//! may be bound (e.g. only `view`) and are mentioned: review them, a short list of harmless roles is the
//! intended use. Superuser rules are left to `rbac.wildcard-all`. Aggregated ClusterRoles are judged on their
//! declared rules; bootstrap default roles are not judged.
//!
//! Why: RBAC refuses to let anyone create a RoleBinding to a role with permissions they do not hold; `bind`
//! lifts that check, so together with `create` on rolebindings the subject can bind itself to `cluster-admin`.
//!
//! References: CIS Kubernetes Benchmark 5.1.8; Kubernetes "RBAC Good Practices" (bind verb); MITRE ATT&CK
//! T1098 (Account Manipulation).

use crate::util::rbac::{
    attack, cis, emit_grants, judged_role_rules, scope_phrase, RequestName, Target,
    RBAC_GOOD_PRACTICES, RBAC_GROUP, USING_RBAC,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.bind-verb",
        title: "RBAC grants the bind verb on roles",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "The API server refuses to create a RoleBinding or ClusterRoleBinding to a role whose \
            permissions the requester does not hold. The bind verb switches that check off for the named roles: \
            with create on bindings, its holder can bind itself (or a pod's service account) to cluster-admin.",
        remediation: "Remove bind, or restrict it with resourceNames to the few low-privilege roles the subject \
            must hand out (e.g. view).",
        references: &[
            cis("5.1.8"),
            RBAC_GOOD_PRACTICES,
            USING_RBAC,
            attack("T1098", "https://attack.mitre.org/techniques/T1098/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: access-manager\n  namespace: shop\nrules:\n- apiGroups: [\"rbac.authorization.k8s.io\"]\n  resources: [\"rolebindings\"]\n  verbs: [\"create\"]\n- apiGroups: [\"rbac.authorization.k8s.io\"]\n  resources: [\"clusterroles\"]\n  verbs: [\"bind\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: access-manager\n  namespace: shop\nrules:\n- apiGroups: [\"rbac.authorization.k8s.io\"]\n  resources: [\"rolebindings\"]\n  verbs: [\"create\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const VERBS: &[&str] = &["bind"];
const TARGETS: &[Target] = &[
    Target::new(RBAC_GROUP, "roles", ""),
    Target::new(RBAC_GROUP, "clusterroles", ""),
];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if let Some((kind, rules)) = judged_role_rules(ctx.object) {
        emit_grants(
            ctx.object,
            out,
            rules,
            scope_phrase(kind),
            VERBS,
            TARGETS,
            RequestName::AnyName,
        );
    }
}
