//! `rbac.pods-exec-attach` — a Role / ClusterRole granting `pods/exec` or `pods/attach`.
//!
//! Checks: `rules[]` of `Role` and `ClusterRole` objects of `rbac.authorization.k8s.io`; fires on each policy
//! rule that, by exact RBAC matching, allows `create` or `get` on the `pods/exec` or `pods/attach` subresources
//! (core group): `pods/exec`, `*/exec`, `*` all count; `pods/*` does not (not a wildcard upstream). `create` is
//! what exec/attach require; `get` is reported too because API servers without the
//! `AuthorizePodWebsocketUpgradeCreatePermission` feature let a WebSocket `GET` open exec/attach streams.
//! resourceNames limit the pods and are mentioned. Superuser rules are left to `rbac.wildcard-all`. Aggregated
//! ClusterRoles are judged on their declared rules; bootstrap default roles are not judged.
//!
//! Why: exec and attach run commands inside running containers: the subject gets the container's service
//! account token, mounted secrets and network position.
//!
//! References: Kubernetes "RBAC Good Practices" (exec into pods); NSA/CISA hardening guide "Authentication and
//! authorization"; MITRE ATT&CK T1609 (Container Administration Command).

use crate::util::rbac::{
    attack, emit_grants, judged_role_rules, scope_phrase, RequestName, Target, NSA_AUTHZ,
    RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.pods-exec-attach",
        title: "RBAC grants exec or attach into pods",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "pods/exec and pods/attach run commands in, or attach to, running containers. The subject gets \
            everything the container has: its service-account token, mounted secrets, environment, and its \
            network position inside the cluster.",
        remediation: "Remove pods/exec and pods/attach from everyday roles; grant them to a break-glass role, \
            in specific namespaces, restricted by resourceNames where possible, and audit their use.",
        references: &[
            RBAC_GOOD_PRACTICES,
            NSA_AUTHZ,
            attack("T1609", "https://attack.mitre.org/techniques/T1609/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: debugger\n  namespace: shop\nrules:\n- apiGroups: [\"\"]\n  resources: [\"pods\", \"pods/log\", \"pods/exec\"]\n  verbs: [\"get\", \"create\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: debugger\n  namespace: shop\nrules:\n- apiGroups: [\"\"]\n  resources: [\"pods\", \"pods/log\"]\n  verbs: [\"get\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const VERBS: &[&str] = &["create", "get"];
const TARGETS: &[Target] = &[
    Target::new("", "pods", "exec"),
    Target::new("", "pods", "attach"),
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
