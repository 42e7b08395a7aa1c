//! `rbac.wildcard-all` — a Role / ClusterRole rule granting every verb on every resource of every API group.
//!
//! Checks: `rules[]` of `Role` and `ClusterRole` objects of `rbac.authorization.k8s.io`. Fires on a policy
//! rule whose `apiGroups`, `resources` and `verbs` all contain `"*"` (a superuser rule, what `cluster-admin`
//! holds). Such a rule is reported here once; the narrower rbac rules (secrets, exec, escalate, ...) skip it.
//! resourceNames, when present, are mentioned (they limit the grant to those object names).
//! Aggregated ClusterRoles (`aggregationRule`) are judged on their declared `rules` only: the controller fills
//! the rest in at runtime. The API server's own bootstrap roles (label `kubernetes.io/bootstrapping:
//! rbac-defaults` on a reserved name such as `cluster-admin`) are not judged.
//!
//! Why: whoever is bound to it can read every secret, run code in every pod, create pods as any service
//! account, grant themselves anything: full control of the namespace (Role) or the cluster (ClusterRole bound
//! by a ClusterRoleBinding).
//!
//! References: CIS Kubernetes Benchmark 5.1.1 and 5.1.3; NSA/CISA hardening guide "Authentication and
//! authorization"; Kubernetes "RBAC Good Practices" (least privilege, avoid wildcards); MITRE ATT&CK T1078.

use crate::util::rbac::{
    attack, cis, is_full_wildcard, judged_role_rules, resource_names_note, role_label,
    scope_phrase, str_items, NSA_AUTHZ, RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.wildcard-all",
        title: "RBAC rule grants every verb on every resource (superuser)",
        severity: Severity::Critical,
        phase: Phase::RuntimeAccess,
        rationale: "A policy rule with apiGroups, resources and verbs all set to \"*\" is cluster-admin in \
            disguise: its subjects can read every secret, exec into every pod, create pods as any service account \
            and grant themselves any further permission. It also silently covers every API and subresource added \
            later.",
        remediation: "List the API groups, resources and verbs the subject actually needs. If full control is \
            really intended, bind the built-in cluster-admin/admin role explicitly and review who holds it.",
        references: &[
            cis("5.1.1"),
            cis("5.1.3"),
            NSA_AUTHZ,
            RBAC_GOOD_PRACTICES,
            attack("T1078", "https://attack.mitre.org/techniques/T1078/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ops-all\nrules:\n- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ops-all\nrules:\n- apiGroups: [\"apps\"]\n  resources: [\"deployments\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some((kind, rules)) = judged_role_rules(ctx.object) else {
        return;
    };
    for (i, rule) in rules.iter().enumerate() {
        if !is_full_wildcard(rule) {
            continue;
        }
        let (pos, path) = str_items(rule, "verbs")
            .find(|(_, _, v)| *v == "*")
            .map_or((rule.pos, format!("rules[{i}]")), |(j, node, _)| {
                (node.pos, format!("rules[{i}].verbs[{j}]"))
            });
        out.emit(
            ctx.object,
            pos,
            path,
            format!(
                "{} rules[{i}] grants every verb on every resource of every API group {}{}",
                role_label(ctx.object),
                scope_phrase(kind),
                resource_names_note(rule)
            ),
        );
    }
}
