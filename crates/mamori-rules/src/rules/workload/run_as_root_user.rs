//! `workload.run-as-root-user` — a pod or container that explicitly runs as UID 0.
//!
//! Checks: `spec.securityContext.runAsUser` and `securityContext.runAsUser` of every container, init container
//! and ephemeral container of a Pod or pod template. Fires on the integer `0`, at each place it is written (a
//! pod-level 0 fires even when every container overrides it, as the Pod Security check does). Like Pod Security
//! Standards restricted from v1.35, a pod with `spec.hostUsers: false` is exempt: in a user namespace UID 0 is
//! mapped to an unprivileged host UID. An image that merely defaults to root (no runAsUser) is
//! `pss.runAsNonRoot`'s business, not this rule's.
//!
//! Why: root in the container is root on the host kernel's view of files and capabilities; a container escape
//! (runtime CVE, writable hostPath, excessive capabilities) then starts as host root.
//!
//! References: Pod Security Standards restricted, "Running as Non-root user" (runAsUser, v1.23+); CIS
//! Kubernetes Benchmark 5.2.7 (minimize admission of root containers); NSA/CISA Kubernetes Hardening Guide,
//! "Non-root containers"; MITRE ATT&CK T1611 (Escape to Host).

use crate::util::image::container_slots;
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.run-as-root-user",
        title: "Pod or container explicitly runs as root (runAsUser: 0)",
        severity: Severity::High,
        phase: Phase::RuntimeCompute,
        rationale: "runAsUser: 0 makes the process root. Root inside a container owns every file of the image, \
            keeps the default capabilities and is root to the host kernel; any container escape (a runtime CVE, a \
            writable hostPath, an added capability) then starts as host root. The Pod Security Standards restricted \
            profile forbids it since v1.23.",
        remediation: "Set runAsUser to a non-zero UID (e.g. 10001) together with runAsNonRoot: true, and build the \
            image with a matching USER; if the process truly needs root inside the container, run it in a user \
            namespace (spec.hostUsers: false).",
        references: &[
            Reference {
                kind: RefKind::Pss,
                id: "restricted: Running as Non-root user (runAsUser)",
                url: "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
            },
            Reference { kind: RefKind::Cis, id: "5.2.7", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Non-root containers",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1611", url: "https://attack.mitre.org/techniques/T1611/" },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: tool\n  namespace: ops\nspec:\n  securityContext:\n    runAsUser: 0\n  containers:\n  - name: tool\n    image: registry.example.com/tool:1.0\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: tool\n  namespace: ops\nspec:\n  securityContext:\n    runAsUser: 10001\n    runAsNonRoot: true\n  containers:\n  - name: tool\n    image: registry.example.com/tool:1.0\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = &ctx.pod else {
        return;
    };
    if pod.spec.get("hostUsers").and_then(Node::as_bool) == Some(false) {
        return;
    }
    if let Some(field) = pod.spec.path(&["securityContext", "runAsUser"]) {
        if field.as_i64() == Some(0) {
            out.emit(
                ctx.object,
                field.pos,
                format!("{}.securityContext.runAsUser", pod.spec_path),
                format!(
                    "{} sets {}.securityContext.runAsUser=0: its containers run as root",
                    ctx.object.id.display_name(),
                    pod.spec_path
                ),
            );
        }
    }
    for slot in container_slots(pod.spec) {
        let Some(field) = slot.node.path(&["securityContext", "runAsUser"]) else {
            continue;
        };
        if field.as_i64() == Some(0) {
            out.emit(
                ctx.object,
                field.pos,
                format!("{}.securityContext.runAsUser", slot.path(pod.spec_path)),
                format!(
                    "{} of {} sets securityContext.runAsUser=0: it runs as root",
                    slot.describe(),
                    ctx.object.id.display_name()
                ),
            );
        }
    }
}
