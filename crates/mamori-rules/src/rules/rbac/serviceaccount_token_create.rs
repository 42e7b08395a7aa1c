//! `rbac.serviceaccount-token-create` — a Role / ClusterRole granting `create` on `serviceaccounts/token`.
//!
//! Checks: `rules[]` of `Role` and `ClusterRole` objects of `rbac.authorization.k8s.io`; fires on each policy
//! rule that, by exact RBAC matching, allows `create` on the core `serviceaccounts/token` subresource
//! (`*/token` and `*` included). The TokenRequest is made on a named ServiceAccount, so resourceNames do
//! restrict it: they are listed in the message. Superuser rules are left to `rbac.wildcard-all`. Aggregated
//! ClusterRoles are judged on their declared rules; bootstrap default roles are not judged.
//!
//! Why: the TokenRequest API mints a token for the ServiceAccount: the subject acts with every permission of
//! every service account it can name, for as long as the requested expiry.
//!
//! References: CIS Kubernetes Benchmark 5.1.13 ("Minimize access to the service account token creation");
//! Kubernetes "RBAC Good Practices"; MITRE ATT&CK T1528 (Steal Application Access Token).

use crate::util::rbac::{
    attack, cis, emit_grants, judged_role_rules, scope_phrase, RequestName, Target,
    RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.serviceaccount-token-create",
        title: "RBAC grants creating service-account tokens",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "create on serviceaccounts/token (the TokenRequest API) mints a bearer token for a \
            ServiceAccount. The holder can then act as any service account it can name, including controllers' \
            accounts, with their permissions.",
        remediation: "Remove create on serviceaccounts/token, or restrict it with resourceNames to the one \
            ServiceAccount the tool must mint tokens for.",
        references: &[
            cis("5.1.13"),
            RBAC_GOOD_PRACTICES,
            attack("T1528", "https://attack.mitre.org/techniques/T1528/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: token-minter\n  namespace: ci\nrules:\n- apiGroups: [\"\"]\n  resources: [\"serviceaccounts/token\"]\n  verbs: [\"create\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: token-minter\n  namespace: ci\nrules:\n- apiGroups: [\"\"]\n  resources: [\"serviceaccounts\"]\n  verbs: [\"get\", \"list\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const VERBS: &[&str] = &["create"];
const TARGETS: &[Target] = &[Target::new("", "serviceaccounts", "token")];

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
