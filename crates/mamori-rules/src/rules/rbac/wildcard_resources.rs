//! `rbac.wildcard-resources` — a Role / ClusterRole rule with `"*"` or `"*/<subresource>"` in `resources`.
//!
//! Checks: `rules[].resources` of `Role` and `ClusterRole` objects of `rbac.authorization.k8s.io`. Upstream
//! `ResourceMatches` gives two wildcard forms: `*` (every resource and every subresource, `secrets` and
//! `pods/exec` included) and `*/<sub>` (that subresource of every resource, e.g. `*/exec`, `*/proxy`). Other
//! forms are literal: `pods/*` is not a wildcard upstream and is not reported. Fires once per policy rule, on
//! its first wildcard entry. Rules that are `"*"` in apiGroups and verbs too are left to `rbac.wildcard-all`.
//! Aggregated ClusterRoles are judged on their declared rules; bootstrap default roles are not judged.
//!
//! Why: a resource wildcard includes secrets, pods/exec, serviceaccounts/token and every custom resource
//! installed later.
//!
//! References: CIS Kubernetes Benchmark 5.1.3; Kubernetes "RBAC Good Practices"; NSA/CISA hardening guide
//! "Authentication and authorization".

use crate::util::rbac::{
    cis, is_full_wildcard, judged_role_rules, resource_names_note, role_label, scope_phrase,
    str_items, NSA_AUTHZ, RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.wildcard-resources",
        title: "RBAC rule grants access to every resource (\"*\")",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "resources: [\"*\"] covers every resource and subresource of the listed API groups: in the core \
            group that is secrets, pods/exec, serviceaccounts/token and nodes/proxy; in \"*\" it is every custom \
            resource installed later too. \"*/exec\"-style entries cover one subresource of every resource.",
        remediation: "List the resources the subject needs (e.g. [\"configmaps\", \"services\"]) instead of \
            \"*\".",
        references: &[cis("5.1.3"), RBAC_GOOD_PRACTICES, NSA_AUTHZ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: apps-reader\nrules:\n- apiGroups: [\"apps\"]\n  resources: [\"*\"]\n  verbs: [\"get\", \"list\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: apps-reader\nrules:\n- apiGroups: [\"apps\"]\n  resources: [\"deployments\", \"statefulsets\", \"pods/*\"]\n  verbs: [\"get\", \"list\"]\n",
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
        let Some((j, node, entry)) =
            str_items(rule, "resources").find(|(_, _, r)| *r == "*" || r.starts_with("*/"))
        else {
            continue;
        };
        let covers = if entry == "*" {
            "every resource and subresource".to_owned()
        } else {
            format!(
                "the {} subresource of every resource",
                entry.strip_prefix("*/").unwrap_or(entry)
            )
        };
        let groups: Vec<String> = str_items(rule, "apiGroups")
            .map(|(_, _, g)| format!("{g:?}"))
            .collect();
        let verbs: Vec<&str> = str_items(rule, "verbs").map(|(_, _, v)| v).collect();
        out.emit(
            ctx.object,
            node.pos,
            format!("rules[{i}].resources[{j}]"),
            format!(
                "{} rules[{i}] grants [{}] on {covers} (resources {entry:?}) in apiGroups [{}] {}{}",
                role_label(ctx.object),
                verbs.join(", "),
                groups.join(", "),
                scope_phrase(kind),
                resource_names_note(rule)
            ),
        );
    }
}
