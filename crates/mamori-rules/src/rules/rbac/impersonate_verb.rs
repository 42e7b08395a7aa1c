//! `rbac.impersonate-verb` — a Role / ClusterRole granting `impersonate`.
//!
//! Checks: `rules[]` of `Role` and `ClusterRole` objects of `rbac.authorization.k8s.io`; fires on each policy
//! rule that, by exact RBAC matching, allows verb `impersonate` on `users`, `serviceaccounts` or `groups` (core
//! group) or `uids` (`authentication.k8s.io`), the resources the impersonation filter authorizes. `userextras/*`
//! is not listed: extra fields can only be impersonated together with a user, which `users` already covers.
//! resourceNames limit who may be impersonated and are mentioned. Superuser rules are left to
//! `rbac.wildcard-all`. Aggregated ClusterRoles are judged on their declared rules; bootstrap default roles are
//! not judged.
//!
//! Why: impersonation makes every request run as someone else: impersonating `system:masters`, an admin user
//! or a privileged service account is full privilege escalation.
//!
//! References: CIS Kubernetes Benchmark 5.1.8; Kubernetes "RBAC Good Practices" (impersonate verb), "User
//! impersonation"; MITRE ATT&CK T1078 (Valid Accounts).

use crate::util::rbac::{
    attack, cis, emit_grants, judged_role_rules, scope_phrase, RequestName, Target,
    RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.impersonate-verb",
        title: "RBAC grants the impersonate verb",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "With impersonate, every request can carry Impersonate-User / Impersonate-Group headers and is \
            then authorized as that identity. Impersonating an admin, the system:masters group or a privileged \
            service account is a direct path to cluster-admin.",
        remediation: "Remove impersonate, or restrict it with resourceNames to the specific users, groups or \
            service accounts a tool (e.g. a proxy) legitimately acts for.",
        references: &[
            cis("5.1.8"),
            RBAC_GOOD_PRACTICES,
            Reference {
                kind: RefKind::K8sDocs,
                id: "User impersonation",
                url: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation",
            },
            attack("T1078", "https://attack.mitre.org/techniques/T1078/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: proxy\nrules:\n- apiGroups: [\"\"]\n  resources: [\"users\", \"groups\"]\n  verbs: [\"impersonate\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: proxy\nrules:\n- apiGroups: [\"\"]\n  resources: [\"users\", \"groups\"]\n  verbs: [\"get\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const VERBS: &[&str] = &["impersonate"];
const TARGETS: &[Target] = &[
    Target::new("", "users", ""),
    Target::new("", "serviceaccounts", ""),
    Target::new("", "groups", ""),
    Target::new("authentication.k8s.io", "uids", ""),
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
