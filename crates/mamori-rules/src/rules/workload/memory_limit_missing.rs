//! `workload.memory-limit-missing` — containers without a memory limit.
//!
//! Checks: `resources.limits.memory` of every container and init container of a Pod or pod template (ephemeral
//! containers cannot have resources); a pod-level `spec.resources.limits.memory` covers all containers. Any value
//! counts as set. A namespace LimitRange may default the limit at admission; this rule judges the manifest.
//!
//! Severity medium, above the CPU limit rule (low), because memory is incompressible: a container over its
//! share cannot be throttled, only killed. Without a limit a leaking or attacked container grows until the
//! node runs out of memory, and the kernel OOM killer or kubelet eviction then takes down *other* pods on the
//! node. CPU over-use only slows neighbours down (CFS shares still guarantee each pod its request).
//!
//! References: NSA/CISA Kubernetes Hardening Guide, "Resource policies"; MITRE ATT&CK T1496 (Resource
//! Hijacking); Kubernetes docs "Resource Management for Pods and Containers".

use crate::workload::resource_requests_missing::report_missing_resources;
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.memory-limit-missing",
        title: "Container without a memory limit",
        severity: Severity::Medium,
        phase: Phase::RuntimeCompute,
        rationale: "Memory is incompressible: a container cannot be throttled back into its share, only killed. \
            Without a memory limit a leaking, misbehaving or cryptojacked container grows until the node runs out \
            of memory, and then the kernel OOM killer and kubelet eviction take down other pods on that node. That \
            is why this rule is medium while a missing CPU limit (CPU is throttled, not fatal) is low.",
        remediation: "Set resources.limits.memory on every container (and init container), e.g. `limits: {memory: \
            256Mi}`; setting it equal to requests.memory gives predictable Guaranteed-style behaviour.",
        references: &[
            Reference {
                kind: RefKind::NsaCisa,
                id: "Resource policies",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1496", url: "https://attack.mitre.org/techniques/T1496/" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Resource Management for Pods and Containers",
                url: "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
            },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n        resources:\n          limits:\n            cpu: 500m\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n        resources:\n          limits:\n            memory: 256Mi\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    report_missing_resources(ctx, out, "limits", &["memory"]);
}
