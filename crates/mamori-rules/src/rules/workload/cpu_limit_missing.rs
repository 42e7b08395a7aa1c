//! `workload.cpu-limit-missing` — containers without a CPU limit.
//!
//! Checks: `resources.limits.cpu` of every container and init container of a Pod or pod template (ephemeral
//! containers cannot have resources); a pod-level `spec.resources.limits.cpu` covers all containers. Any value
//! counts as set. A namespace LimitRange may default the limit at admission; this rule judges the manifest.
//!
//! Severity low, below the memory limit rule (medium), because CPU is compressible: a container using more CPU
//! than it requested only borrows idle cycles, is throttled back when neighbours need them, and CFS shares
//! still give every pod its request. The risk is noisy-neighbour latency and unbounded cost (e.g. cryptomining
//! on a compromised pod), not outages; many operators deliberately leave CPU limits off latency-sensitive
//! services, which is why this rule is low and easy to disable.
//!
//! References: NSA/CISA Kubernetes Hardening Guide, "Resource policies"; MITRE ATT&CK T1496 (Resource
//! Hijacking); Kubernetes docs "Resource Management for Pods and Containers".

use crate::workload::resource_requests_missing::report_missing_resources;
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.cpu-limit-missing",
        title: "Container without a CPU limit",
        severity: Severity::Low,
        phase: Phase::RuntimeCompute,
        rationale: "Without a CPU limit a container may use every idle core of its node. CPU is compressible: the \
            kernel throttles it back when neighbours need their requested share, so the impact is latency for \
            neighbours and unbounded cost (a compromised pod mining cryptocurrency), not crashes. That is why this \
            rule is low while a missing memory limit (memory exhaustion kills other pods) is medium.",
        remediation: "Set resources.limits.cpu on every container (and init container), e.g. `limits: {cpu: \
            \"1\"}`, or disable this rule deliberately for latency-sensitive services that rely on requests only.",
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
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: web\n    image: registry.example.com/web:1.0\n    resources:\n      limits:\n        memory: 256Mi\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: web\n    image: registry.example.com/web:1.0\n    resources:\n      limits:\n        cpu: \"1\"\n        memory: 256Mi\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    report_missing_resources(ctx, out, "limits", &["cpu"]);
}
