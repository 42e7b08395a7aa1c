//! `rbac.nodes-proxy` — a ClusterRole granting the `nodes/proxy` subresource.
//!
//! Checks: `rules[]` of `ClusterRole` objects of `rbac.authorization.k8s.io`; fires on each policy rule that,
//! by exact RBAC matching, allows `get`, `create`, `update`, `patch` or `delete` on core `nodes/proxy` (the
//! verbs the API server derives from the proxied HTTP method). `Role`s are not judged: nodes are
//! cluster-scoped, so a Role (or a RoleBinding of a ClusterRole) cannot grant them. resourceNames limit the
//! nodes and are mentioned. Superuser rules are left to `rbac.wildcard-all`. Aggregated ClusterRoles are judged
//! on their declared rules; bootstrap default roles are not judged.
//!
//! Why: nodes/proxy reaches the kubelet API of the node through the API server: `/exec`, `/run`, `/attach` and
//! `/pods` on every pod of the node, bypassing pods/exec RBAC and admission, and largely invisible in audit
//! logs. Even `get` suffices for the WebSocket exec endpoints.
//!
//! References: CIS Kubernetes Benchmark 5.1.10 ("Minimize access to the proxy sub-resource of nodes");
//! Kubernetes "RBAC Good Practices" (nodes/proxy); MITRE ATT&CK T1609.

use crate::util::rbac::{
    attack, cis, emit_grants, judged_role_rules, RequestName, RoleKind, Target,
    CLUSTER_SCOPED_PHRASE, RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.nodes-proxy",
        title: "ClusterRole grants the nodes/proxy subresource",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "nodes/proxy forwards requests to the kubelet API of any node: its exec, run and attach \
            endpoints run commands in every pod on the node without going through pods/exec authorization or \
            admission control, and the audit log only shows a proxy request. get alone opens the WebSocket exec \
            endpoints.",
        remediation: "Remove nodes/proxy; monitoring agents need nodes/metrics or nodes/stats (read-only kubelet \
            endpoints) instead.",
        references: &[
            cis("5.1.10"),
            RBAC_GOOD_PRACTICES,
            attack("T1609", "https://attack.mitre.org/techniques/T1609/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: metrics-scraper\nrules:\n- apiGroups: [\"\"]\n  resources: [\"nodes\", \"nodes/proxy\"]\n  verbs: [\"get\", \"list\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: metrics-scraper\nrules:\n- apiGroups: [\"\"]\n  resources: [\"nodes\", \"nodes/metrics\", \"nodes/stats\"]\n  verbs: [\"get\", \"list\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const VERBS: &[&str] = &["get", "create", "update", "patch", "delete"];
const TARGETS: &[Target] = &[Target::new("", "nodes", "proxy")];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if let Some((RoleKind::ClusterRole, rules)) = judged_role_rules(ctx.object) {
        emit_grants(
            ctx.object,
            out,
            rules,
            CLUSTER_SCOPED_PHRASE,
            VERBS,
            TARGETS,
            RequestName::AnyName,
        );
    }
}
