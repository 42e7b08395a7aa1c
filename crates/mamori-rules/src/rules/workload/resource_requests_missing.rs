//! `workload.resource-requests-missing` — containers without CPU or memory requests.
//!
//! Checks: `resources.requests.cpu` and `resources.requests.memory` of every container and init container of a
//! Pod or pod template (ephemeral containers cannot have resources). A request set at pod level
//! (`spec.resources.requests`, the PodLevelResources feature) covers every container for that resource. Any
//! value counts as set; the rule does not judge sizes. A namespace LimitRange may default missing requests at
//! admission: this rule judges the manifest as written (see `namespace.limitrange-missing`).
//!
//! Why: the scheduler places pods by their requests. A container without requests is scheduled as if it needed
//! nothing, lands on already full nodes and is the first evicted under node pressure (BestEffort / Burstable
//! QoS); its usage is invisible to capacity planning and to ResourceQuota accounting of requests.
//!
//! References: NSA/CISA Kubernetes Hardening Guide, "Resource policies"; Kubernetes docs "Resource Management
//! for Pods and Containers".

use crate::util::image::{container_slots, ContainerSlot};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.resource-requests-missing",
        title: "Container without CPU or memory requests",
        severity: Severity::Medium,
        phase: Phase::RuntimeCompute,
        rationale: "The scheduler places pods by their requests. A container without CPU or memory requests is \
            scheduled as if it needed nothing: it lands on nodes that are already full, competes for resources it \
            never reserved, is among the first evicted under node memory pressure, and escapes the requests side of \
            ResourceQuota accounting.",
        remediation: "Set resources.requests.cpu and resources.requests.memory on every container (and init \
            container) to the observed steady-state usage, e.g. `requests: {cpu: 100m, memory: 128Mi}`.",
        references: &[
            Reference {
                kind: RefKind::NsaCisa,
                id: "Resource policies",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Resource Management for Pods and Containers",
                url: "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
            },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n        resources:\n          requests:\n            cpu: 100m\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n        resources:\n          requests:\n            cpu: 100m\n            memory: 128Mi\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    report_missing_resources(ctx, out, "requests", &["cpu", "memory"]);
}

/// Reports, per container (init and regular), each of `resources` missing from `resources.<section>`, unless
/// the pod-level `spec.resources.<section>` sets it. Shared by the request and limit rules.
pub(crate) fn report_missing_resources(
    ctx: &ObjectCtx<'_>,
    out: &mut Emitter<'_>,
    section: &str,
    resources: &[&str],
) {
    let Some(pod) = &ctx.pod else {
        return;
    };
    let pod_level = pod.spec.path(&["resources", section]);
    for slot in container_slots(pod.spec) {
        if slot.list == "ephemeralContainers" {
            continue;
        }
        let declared = slot.node.path(&["resources", section]);
        for resource in resources {
            let set = |node: Option<&Node>| {
                node.and_then(|n| n.get(resource))
                    .is_some_and(|v| !v.is_null())
            };
            if set(declared) || set(pod_level) {
                continue;
            }
            emit_missing(ctx, out, pod.spec_path, &slot, section, resource);
        }
    }
}

fn emit_missing(
    ctx: &ObjectCtx<'_>,
    out: &mut Emitter<'_>,
    spec_path: &str,
    slot: &ContainerSlot<'_>,
    section: &str,
    resource: &str,
) {
    let (pos, path) = match (
        slot.node.get("resources"),
        slot.node.path(&["resources", section]),
    ) {
        (_, Some(section_node)) => (
            section_node.pos,
            format!("{}.resources.{section}", slot.path(spec_path)),
        ),
        (Some(resources), None) => (resources.pos, format!("{}.resources", slot.path(spec_path))),
        (None, None) => (slot.node.pos, slot.path(spec_path)),
    };
    let noun = if section == "requests" {
        "request"
    } else {
        "limit"
    };
    out.emit(
        ctx.object,
        pos,
        path,
        format!(
            "{} of {} has no {resource} {noun} (resources.{section}.{resource} is not set)",
            slot.describe(),
            ctx.object.id.display_name()
        ),
    );
}
