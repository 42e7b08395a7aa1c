//! `rbac.escalate-verb` — a Role / ClusterRole granting `escalate` on roles or clusterroles.
//!
//! Checks: `rules[]` of `Role` and `ClusterRole` objects of `rbac.authorization.k8s.io`; fires on each policy
//! rule that, by exact RBAC matching, allows verb `escalate` on `roles` or `clusterroles` of the
//! `rbac.authorization.k8s.io` group (so `verbs: ["*"]`, `apiGroups: ["*"]` and `resources: ["*"]` count, and the
//! message says which wildcard granted it). resourceNames limit which roles may be edited and are mentioned.
//! Superuser rules (`*` everywhere) are left to `rbac.wildcard-all`. Aggregated ClusterRoles are judged on their
//! declared rules; bootstrap default roles are not judged.
//!
//! Why: RBAC normally refuses to let anyone create or update a role with permissions they do not hold;
//! `escalate` lifts that check, so the subject can write any permission into a role bound to itself.
//!
//! References: CIS Kubernetes Benchmark 5.1.8 ("Limit use of the Bind, Impersonate and Escalate permissions");
//! Kubernetes "RBAC Good Practices" (escalate verb); MITRE ATT&CK T1098 (Account Manipulation).

use crate::util::rbac::{
    attack, cis, emit_grants, judged_role_rules, scope_phrase, RequestName, Target,
    RBAC_GOOD_PRACTICES, RBAC_GROUP, USING_RBAC,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.escalate-verb",
        title: "RBAC grants the escalate verb on roles",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "The API server prevents privilege escalation by refusing to create or update a Role or \
            ClusterRole containing permissions the requester does not hold. The escalate verb switches that \
            check off: its holder can add any permission, up to cluster-admin, to a role bound to itself.",
        remediation: "Remove escalate from the rule. Role authors should hold the permissions they grant; use \
            a narrowly scoped aggregation or an admin-reviewed pipeline instead.",
        references: &[
            cis("5.1.8"),
            RBAC_GOOD_PRACTICES,
            USING_RBAC,
            attack("T1098", "https://attack.mitre.org/techniques/T1098/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: role-editor\nrules:\n- apiGroups: [\"rbac.authorization.k8s.io\"]\n  resources: [\"clusterroles\"]\n  verbs: [\"get\", \"update\", \"escalate\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: role-editor\nrules:\n- apiGroups: [\"rbac.authorization.k8s.io\"]\n  resources: [\"clusterroles\"]\n  verbs: [\"get\", \"update\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const VERBS: &[&str] = &["escalate"];
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
