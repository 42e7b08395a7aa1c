//! `workload.default-namespace` — workloads placed in the `default` namespace.
//!
//! Checks: `metadata.namespace` of Pods and of the workload kinds that carry a pod template (Deployment,
//! ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController). Fires when it is `default`.
//! An object without a namespace is not flagged: the namespace is chosen at apply time (`kubectl -n`).
//!
//! Why: `default` usually has no ResourceQuota, no LimitRange, no PSA labels and no NetworkPolicies, and is
//! shared by whatever lands there without thinking; namespaces are the unit of isolation for RBAC, policy and
//! quotas.
//!
//! References: CIS Kubernetes Benchmark 5.7.4 ("The default namespace should not be used"); NSA/CISA Kubernetes
//! Hardening Guide, "Namespaces".

use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.default-namespace",
        title: "Workload runs in the default namespace",
        severity: Severity::Low,
        phase: Phase::RuntimeCompute,
        rationale: "The default namespace is where everything lands when nobody chose a namespace: it rarely has \
            quotas, limit ranges, Pod Security labels or network policies, and anything with access to it can reach \
            every workload there. Dedicated namespaces are the unit of isolation for RBAC, policies and quotas.",
        remediation: "Create a dedicated namespace for the application (with PSA labels, a ResourceQuota, a \
            LimitRange and default-deny NetworkPolicies) and set metadata.namespace to it.",
        references: &[
            Reference { kind: RefKind::Cis, id: "5.7.4", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Namespaces",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if ctx.pod.is_none() || ctx.namespace() != Some("default") {
        return;
    }
    let pos = ctx
        .root()
        .get("metadata")
        .and_then(|m| m.entry("namespace"))
        .map_or(ctx.object.source.pos, |e| e.value.pos);
    out.emit(
        ctx.object,
        pos,
        "metadata.namespace",
        format!(
            "{} {} runs in the default namespace",
            ctx.kind(),
            ctx.object.id.name
        ),
    );
}
