//! `namespace.resourcequota-missing` — a Namespace with no ResourceQuota.
//!
//! Checks: every `Namespace` object in the input; fires when no `ResourceQuota` in the input has that
//! namespace in `metadata.namespace`. Only namespaces declared as Namespace objects are judged: a file scan that
//! merely mentions a namespace says nothing about what exists in the cluster. `kube-system`, `kube-public` and
//! `kube-node-lease` are skipped (managed by Kubernetes).
//!
//! Why: without a quota, one workload (or one compromised CI token) can exhaust the cluster's CPU, memory,
//! object counts or load-balancer IPs: a denial of service for every other tenant.
//!
//! References: CIS Kubernetes Benchmark 5.7 (general policies); NSA/CISA Kubernetes Hardening Guide, "Resource
//! policies"; Kubernetes docs "Resource Quotas".

use crate::{Check, Emitter, Inventory, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "namespace.resourcequota-missing",
        title: "Namespace without a ResourceQuota",
        severity: Severity::Medium,
        phase: Phase::RuntimeCompute,
        rationale: "A namespace without a ResourceQuota lets its workloads consume unbounded CPU, memory, storage \
            and object counts. A runaway deployment or a compromised token in one namespace can starve every other \
            tenant of the cluster.",
        remediation: "Add a ResourceQuota to the namespace (requests.cpu, requests.memory, limits.cpu, \
            limits.memory, pods, services.loadbalancers, persistentvolumeclaims) sized for the team.",
        references: &[
            Reference {
                kind: RefKind::NsaCisa,
                id: "Resource policies",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Resource Quotas",
                url: "https://kubernetes.io/docs/concepts/policy/resource-quotas/",
            },
        ],
        fail_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
        pass_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: shop-quota\n  namespace: shop\nspec:\n  hard:\n    requests.cpu: \"4\"\n    requests.memory: 8Gi\n",
        example_settings: None,
    },
    check: Check::Inventory { kinds: &["Namespace", "ResourceQuota"], check },
};

const MANAGED: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

fn check(inventory: &Inventory, _settings: &RuleSettings, out: &mut Emitter<'_>) {
    for ns in inventory.of_kind("Namespace") {
        let name = ns.id.name.as_str();
        if MANAGED.contains(&name) {
            continue;
        }
        let has_quota = inventory
            .of_kind("ResourceQuota")
            .iter()
            .any(|q| q.id.namespace.as_deref() == Some(name));
        if !has_quota {
            let pos = ns.root.path(&["metadata", "name"]).map_or(ns.source.pos, |n: &Node| n.pos);
            out.emit(ns, pos, "metadata.name", format!("namespace {name} has no ResourceQuota"));
        }
    }
}
