//! `rbac.pods-create` — a Role / ClusterRole granting `create` on pods.
//!
//! Checks: `rules[]` of `Role` and `ClusterRole` objects of `rbac.authorization.k8s.io`; fires on each policy
//! rule that, by exact RBAC matching, allows `create` on core `pods`. A rule with resourceNames does not count:
//! a create request carries no object name, so upstream RBAC never matches it against resourceNames.
//! Workload controllers (deployments, jobs, ...) also create pods on the subject's behalf; those grants are
//! not reported here. Superuser rules are left to `rbac.wildcard-all`. Aggregated ClusterRoles are judged on
//! their declared rules; bootstrap default roles are not judged.
//!
//! Why: a pod may name any ServiceAccount of its namespace and mount any secret, configmap or PVC of it; the
//! creator gets all of that (and hostPath/privileged access where Pod Security admission allows it).
//!
//! References: CIS Kubernetes Benchmark 5.1.4 ("Minimize access to create pods"); Kubernetes "RBAC Good
//! Practices" (workload creation); MITRE ATT&CK T1610 (Deploy Container).

use crate::util::rbac::{
    attack, cis, emit_grants, judged_role_rules, scope_phrase, RequestName, Target,
    RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.pods-create",
        title: "RBAC grants create on pods",
        severity: Severity::Medium,
        phase: Phase::RuntimeAccess,
        rationale: "Whoever can create a pod can run it as any ServiceAccount of the namespace and mount any \
            secret, configmap or volume claim of the namespace, so they hold every permission and credential in \
            it; where Pod Security admission is not enforcing, a privileged or hostPath pod also takes the node.",
        remediation: "Let people and CI deploy through workload objects reviewed in Git and restricted by Pod \
            Security admission; keep create on pods for controllers, in namespaces enforcing the restricted \
            level.",
        references: &[
            cis("5.1.4"),
            RBAC_GOOD_PRACTICES,
            attack("T1610", "https://attack.mitre.org/techniques/T1610/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: runner\n  namespace: ci\nrules:\n- apiGroups: [\"\"]\n  resources: [\"pods\"]\n  verbs: [\"get\", \"list\", \"create\", \"delete\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: runner\n  namespace: ci\nrules:\n- apiGroups: [\"\"]\n  resources: [\"pods\"]\n  verbs: [\"get\", \"list\", \"delete\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const VERBS: &[&str] = &["create"];
const TARGETS: &[Target] = &[Target::new("", "pods", "")];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if let Some((kind, rules)) = judged_role_rules(ctx.object) {
        emit_grants(
            ctx.object,
            out,
            rules,
            scope_phrase(kind),
            VERBS,
            TARGETS,
            RequestName::Unnamed,
        );
    }
}
