//! `workload.writable-root-filesystem` — containers whose root filesystem is writable.
//!
//! Checks: `securityContext.readOnlyRootFilesystem` of every container, init container and ephemeral container
//! of a Pod or pod template. Only an explicit `true` passes; absent, `false` or a non-boolean value fires (the
//! default is writable). Pods with `spec.os.name: windows` are skipped: Windows containers do not support the
//! field.
//!
//! Why: a writable root filesystem lets an intruder drop tools, web shells or modified binaries into the
//! container and persist them for its lifetime; a read-only root (with `emptyDir` mounts for the paths the
//! application really writes) makes the image the only code that can run.
//!
//! References: NSA/CISA Kubernetes Hardening Guide, "Immutable container file systems"; MITRE ATT&CK T1105
//! (Ingress Tool Transfer); Kubernetes docs "Configure a Security Context for a Pod or Container".

use crate::util::image::container_slots;
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.writable-root-filesystem",
        title: "Container root filesystem is writable",
        severity: Severity::Medium,
        phase: Phase::RuntimeCompute,
        rationale: "A container's root filesystem is writable unless readOnlyRootFilesystem is true. An intruder \
            who gets code execution can then download tools, plant web shells or patch binaries and keep them for \
            the container's lifetime. With a read-only root the image is the only code that can run, and writes \
            are confined to the volumes the application declares.",
        remediation: "Set securityContext.readOnlyRootFilesystem: true on every container and mount an emptyDir at \
            each path the application must write (/tmp, caches).",
        references: &[
            Reference {
                kind: RefKind::NsaCisa,
                id: "Immutable container file systems",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1105", url: "https://attack.mitre.org/techniques/T1105/" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Configure a Security Context for a Pod or Container",
                url: "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
            },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n        securityContext:\n          readOnlyRootFilesystem: false\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n        securityContext:\n          readOnlyRootFilesystem: true\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = &ctx.pod else {
        return;
    };
    if pod.spec.path(&["os", "name"]).and_then(Node::as_str) == Some("windows") {
        return;
    }
    for slot in container_slots(pod.spec) {
        let security_context = slot.node.get("securityContext");
        let field = security_context.and_then(|sc| sc.get("readOnlyRootFilesystem"));
        if field.and_then(Node::as_bool) == Some(true) {
            continue;
        }
        let (pos, what) = match field {
            Some(node) if node.as_bool() == Some(false) => (
                node.pos,
                "sets securityContext.readOnlyRootFilesystem=false".to_owned(),
            ),
            Some(node) if !node.is_null() => (
                node.pos,
                format!(
                    "sets securityContext.readOnlyRootFilesystem to a {}, not true",
                    node.type_name()
                ),
            ),
            _ => (
                security_context.map_or(slot.node.pos, |sc| sc.pos),
                "does not set securityContext.readOnlyRootFilesystem=true".to_owned(),
            ),
        };
        out.emit(
            ctx.object,
            pos,
            format!(
                "{}.securityContext.readOnlyRootFilesystem",
                slot.path(pod.spec_path)
            ),
            format!(
                "{} of {} {what}: its root filesystem is writable",
                slot.describe(),
                ctx.object.id.display_name()
            ),
        );
    }
}
