//! `namespace.limitrange-missing` — a Namespace with no LimitRange.
//!
//! Checks: every `Namespace` object in the input; fires when no `LimitRange` in the input has that namespace in
//! `metadata.namespace`. Only namespaces declared as Namespace objects are judged (a file that merely mentions
//! a namespace says nothing about the cluster). `kube-system`, `kube-public` and `kube-node-lease` are skipped
//! (managed by Kubernetes).
//!
//! Why: a LimitRange gives containers that declare no requests or limits sane defaults and caps what one
//! container may ask for. Without it, every container that forgot `resources` runs unbounded (BestEffort), and
//! a ResourceQuota on requests/limits makes such pods fail admission instead of defaulting them.
//!
//! References: NSA/CISA Kubernetes Hardening Guide, "Resource policies"; Kubernetes docs "Limit Ranges".

use crate::{Check, Emitter, Inventory, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "namespace.limitrange-missing",
        title: "Namespace without a LimitRange",
        severity: Severity::Low,
        phase: Phase::RuntimeCompute,
        rationale: "A LimitRange defaults the requests and limits of containers that declare none and caps what a \
            single container may request. Without one, every container that forgot its resources runs unbounded \
            next to the namespace's other workloads, and a ResourceQuota on requests or limits rejects such pods \
            outright instead of defaulting them.",
        remediation: "Add a LimitRange of type Container to the namespace with defaultRequest and default values \
            (e.g. cpu 100m / memory 128Mi requests, memory 512Mi limit) and max values sized for the team.",
        references: &[
            Reference {
                kind: RefKind::NsaCisa,
                id: "Resource policies",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Limit Ranges",
                url: "https://kubernetes.io/docs/concepts/policy/limit-range/",
            },
        ],
        fail_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: v1\nkind: LimitRange\nmetadata:\n  name: defaults\n  namespace: other\nspec:\n  limits:\n  - type: Container\n    defaultRequest:\n      cpu: 100m\n",
        pass_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: v1\nkind: LimitRange\nmetadata:\n  name: defaults\n  namespace: shop\nspec:\n  limits:\n  - type: Container\n    defaultRequest:\n      cpu: 100m\n      memory: 128Mi\n    default:\n      memory: 512Mi\n",
        example_settings: None,
    },
    check: Check::Inventory { kinds: &["Namespace", "LimitRange"], check },
};

/// Namespaces managed by Kubernetes itself, which the namespace rules leave alone.
pub(crate) const MANAGED_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

fn check(inventory: &Inventory, _settings: &RuleSettings, out: &mut Emitter<'_>) {
    for ns in inventory.of_kind("Namespace") {
        let name = ns.id.name.as_str();
        if MANAGED_NAMESPACES.contains(&name) {
            continue;
        }
        let has_limit_range = inventory
            .of_kind("LimitRange")
            .iter()
            .any(|range| range.id.namespace.as_deref() == Some(name));
        if !has_limit_range {
            let pos = ns
                .root
                .path(&["metadata", "name"])
                .map_or(ns.source.pos, |n: &Node| n.pos);
            out.emit(
                ns,
                pos,
                "metadata.name",
                format!("namespace {name} has no LimitRange: containers without resources run unbounded"),
            );
        }
    }
}
