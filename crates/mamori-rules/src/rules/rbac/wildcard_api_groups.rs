//! `rbac.wildcard-api-groups` — a Role / ClusterRole rule with `"*"` in `apiGroups`.
//!
//! Checks: `rules[].apiGroups` of `Role` and `ClusterRole` objects of `rbac.authorization.k8s.io`; fires on a
//! policy rule listing `"*"` (upstream `APIGroupMatches`: every group, the core group `""` included, and every
//! group a CRD or aggregated API adds later). Rules that are `"*"` in resources and verbs too are left to
//! `rbac.wildcard-all`. Aggregated ClusterRoles are judged on their declared rules; bootstrap default roles are
//! not judged.
//!
//! Why: `apiGroups: ["*"]` with `resources: ["secrets"]` is also the core `secrets`; with a common resource
//! name it covers same-named custom resources of any operator installed later.
//!
//! References: CIS Kubernetes Benchmark 5.1.3; Kubernetes "RBAC Good Practices".

use crate::util::rbac::{
    cis, is_full_wildcard, judged_role_rules, resource_names_note, role_label, scope_phrase,
    str_items, RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.wildcard-api-groups",
        title: "RBAC rule applies to every API group (\"*\")",
        severity: Severity::Medium,
        phase: Phase::RuntimeAccess,
        rationale: "apiGroups: [\"*\"] makes the listed resources match in every API group: the core group, every \
            built-in group and every group installed later by CRDs or aggregated APIs. A rule written for one \
            operator's \"configs\" also grants any other group's \"configs\".",
        remediation: "List the API groups the rule is meant for (\"\" for the core group, \"apps\", \
            \"batch\", ...).",
        references: &[cis("5.1.3"), RBAC_GOOD_PRACTICES],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\n  namespace: shop\nrules:\n- apiGroups: [\"*\"]\n  resources: [\"deployments\"]\n  verbs: [\"get\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\n  namespace: shop\nrules:\n- apiGroups: [\"apps\"]\n  resources: [\"deployments\"]\n  verbs: [\"get\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some((kind, rules)) = judged_role_rules(ctx.object) else {
        return;
    };
    for (i, rule) in rules.iter().enumerate() {
        if is_full_wildcard(rule) {
            continue;
        }
        let Some((j, node, _)) = str_items(rule, "apiGroups").find(|(_, _, g)| *g == "*") else {
            continue;
        };
        let resources: Vec<&str> = str_items(rule, "resources").map(|(_, _, r)| r).collect();
        let verbs: Vec<&str> = str_items(rule, "verbs").map(|(_, _, v)| v).collect();
        out.emit(
            ctx.object,
            node.pos,
            format!("rules[{i}].apiGroups[{j}]"),
            format!(
                "{} rules[{i}] grants [{}] on resources [{}] in every API group (apiGroups \"*\") {}{}",
                role_label(ctx.object),
                verbs.join(", "),
                resources.join(", "),
                scope_phrase(kind),
                resource_names_note(rule)
            ),
        );
    }
}
