//! `rbac.wildcard-verbs` — a Role / ClusterRole rule with `"*"` in `verbs`.
//!
//! Checks: `rules[].verbs` of `Role` and `ClusterRole` objects of `rbac.authorization.k8s.io`; fires on each
//! policy rule listing `"*"` (upstream `VerbMatches`: `*` matches every verb, including `escalate`, `bind`,
//! `impersonate`, `approve` and verbs added later). Rules that are `"*"` in apiGroups and resources too are left
//! to `rbac.wildcard-all`. Applies to resource rules and to `nonResourceURLs` rules alike. Aggregated
//! ClusterRoles are judged on their declared rules; bootstrap default roles are not judged.
//!
//! Why: a wildcard verb gives write, delete and special verbs on whatever the rule names, and keeps growing as
//! the API does; least privilege means listing verbs.
//!
//! References: CIS Kubernetes Benchmark 5.1.3 ("Minimize wildcard use in Roles and ClusterRoles"); Kubernetes
//! "RBAC Good Practices"; NSA/CISA hardening guide "Authentication and authorization".

use crate::util::rbac::{
    cis, is_full_wildcard, judged_role_rules, resource_names_note, role_label, scope_phrase,
    str_items, NSA_AUTHZ, RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.wildcard-verbs",
        title: "RBAC rule grants every verb (\"*\")",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "verbs: [\"*\"] grants every verb on the named resources: create, update, patch, delete, \
            deletecollection, and the special verbs escalate, bind, impersonate and approve where they apply, plus \
            any verb a future API adds. Users almost never need all of them.",
        remediation: "Replace \"*\" with the verbs the subject needs, e.g. [\"get\", \"list\", \"watch\"] for \
            read access.",
        references: &[cis("5.1.3"), RBAC_GOOD_PRACTICES, NSA_AUTHZ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: deployer\n  namespace: shop\nrules:\n- apiGroups: [\"apps\"]\n  resources: [\"deployments\"]\n  verbs: [\"*\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: deployer\n  namespace: shop\nrules:\n- apiGroups: [\"apps\"]\n  resources: [\"deployments\"]\n  verbs: [\"get\", \"list\", \"watch\", \"update\", \"patch\"]\n",
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
        let Some((j, node, _)) = str_items(rule, "verbs").find(|(_, _, v)| *v == "*") else {
            continue;
        };
        out.emit(
            ctx.object,
            node.pos,
            format!("rules[{i}].verbs[{j}]"),
            format!(
                "{} rules[{i}] grants every verb (\"*\") on {} {}{}",
                role_label(ctx.object),
                targets(rule),
                scope_phrase(kind),
                resource_names_note(rule)
            ),
        );
    }
}

/// `resources [deployments] in apiGroups [apps]` or `nonResourceURLs [/metrics]`.
fn targets(rule: &Node) -> String {
    let list = |field| {
        str_items(rule, field)
            .map(|(_, _, s)| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let urls = list("nonResourceURLs");
    if !urls.is_empty() && rule.get("resources").is_none() {
        return format!("nonResourceURLs [{urls}]");
    }
    format!(
        "resources [{}] in apiGroups [{}]",
        list("resources"),
        list("apiGroups")
    )
}
