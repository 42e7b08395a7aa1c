//! `workload.sandbox-runtime-missing` — pods in namespaces that require a sandboxed runtime, without one.
//!
//! Checks (only when `sandbox_namespaces` is configured): Pods and pod templates whose `metadata.namespace`
//! matches one of the `sandbox_namespaces` globs. Passes when `spec.runtimeClassName` is one of
//! `sandbox_runtime_classes`; when that list is empty, any non-empty `runtimeClassName` passes (the cluster's
//! RuntimeClasses are then trusted to be sandboxes). Objects without `metadata.namespace` are not judged: the
//! namespace is chosen at apply time. Namespaces selected by label (`sandbox_namespace_labels`) need the
//! Namespace objects and are handled by `workload.sandbox-runtime-missing-by-namespace-label`.
//!
//! Why: untrusted or multi-tenant code sharing the host kernel is one kernel bug away from the node. A sandboxed
//! runtime (gVisor, Kata Containers) puts a second kernel or a VM boundary between the workload and the host.
//!
//! References: NSA/CISA Kubernetes Hardening Guide, "Container sandboxing" (hardened container runtimes); MITRE
//! ATT&CK T1611 (Escape to Host); Kubernetes docs "Runtime Class".

use crate::{
    glob_match, Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta, RuleSettings,
};
use mamori_model::{K8sObject, Node, Phase, Severity};
use mamori_pss::PodTemplate;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.sandbox-runtime-missing",
        title: "Pod without a sandboxed RuntimeClass where one is required",
        severity: Severity::High,
        phase: Phase::RuntimeCompute,
        rationale: "Containers share the host kernel: one kernel vulnerability lets untrusted code escape to the \
            node and every pod on it. Namespaces configured in sandbox_namespaces run untrusted or tenant code and \
            must use a sandboxed runtime (gVisor, Kata Containers), which adds a user-space kernel or a VM boundary \
            between the workload and the host.",
        remediation: "Set spec.runtimeClassName (spec.template.spec for workloads) to one of the configured \
            sandbox_runtime_classes, e.g. `runtimeClassName: gvisor`, and make sure that RuntimeClass exists on \
            the cluster.",
        references: &[
            Reference {
                kind: RefKind::NsaCisa,
                id: "Container sandboxing",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1611", url: "https://attack.mitre.org/techniques/T1611/" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Runtime Class",
                url: "https://kubernetes.io/docs/concepts/containers/runtime-class/",
            },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: runner\n  namespace: tenant-a\nspec:\n  template:\n    spec:\n      runtimeClassName: runc\n      containers:\n      - name: runner\n        image: registry.example.com/runner:1.0\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: runner\n  namespace: tenant-a\nspec:\n  template:\n    spec:\n      runtimeClassName: gvisor\n      containers:\n      - name: runner\n        image: registry.example.com/runner:1.0\n",
        example_settings: Some(example_settings),
    },
    check: Check::Object(check),
};

fn example_settings() -> RuleSettings {
    RuleSettings {
        sandbox_namespaces: vec!["tenant-*".to_owned()],
        sandbox_runtime_classes: vec!["gvisor".to_owned(), "kata".to_owned()],
        ..RuleSettings::default()
    }
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if ctx.settings.sandbox_namespaces.is_empty() {
        return;
    }
    let (Some(pod), Some(namespace)) = (&ctx.pod, ctx.namespace()) else {
        return;
    };
    let Some(pattern) = sandbox_namespace_pattern(&ctx.settings.sandbox_namespaces, namespace)
    else {
        return;
    };
    report_unsandboxed(ctx.object, pod, ctx.settings, out, || {
        format!("namespace {namespace:?} matches sandbox_namespaces {pattern:?}")
    });
}

/// The first `sandbox_namespaces` glob that `namespace` matches.
pub(crate) fn sandbox_namespace_pattern<'s>(
    patterns: &'s [String],
    namespace: &str,
) -> Option<&'s str> {
    patterns
        .iter()
        .map(String::as_str)
        .find(|pattern| glob_match(pattern, namespace))
}

/// Emits a finding when the pod's runtimeClassName is not a sandbox; `why` says why the pod needs one (called
/// only when emitting, so passing pods cost no allocation).
pub(crate) fn report_unsandboxed(
    object: &K8sObject,
    pod: &PodTemplate<'_>,
    settings: &RuleSettings,
    out: &mut Emitter<'_>,
    why: impl FnOnce() -> String,
) {
    let classes = &settings.sandbox_runtime_classes;
    let field = pod.spec.get("runtimeClassName");
    let class = field.and_then(Node::as_str).filter(|c| !c.is_empty());
    let accepted = match class {
        Some(class) => classes.is_empty() || classes.iter().any(|c| c == class),
        None => false,
    };
    if accepted {
        return;
    }
    let wanted = if classes.is_empty() {
        "a sandboxed RuntimeClass".to_owned()
    } else {
        format!(
            "one of the sandbox runtime classes ({})",
            classes.join(", ")
        )
    };
    let what = match class {
        Some(class) => format!("uses runtimeClassName {class:?}, not {wanted}"),
        None => format!("sets no runtimeClassName; it must use {wanted}"),
    };
    out.emit(
        object,
        field.map_or(pod.spec.pos, |f| f.pos),
        format!("{}.runtimeClassName", pod.spec_path),
        format!("{} {what} ({})", object.id.display_name(), why()),
    );
}

/// Whether `labels` (a `metadata.labels` map) satisfies a `key=value` selector, or holds `key` for a bare key.
pub(crate) fn labels_match(labels: Option<&Node>, selector: &str) -> bool {
    let Some(labels) = labels else {
        return false;
    };
    match selector.split_once('=') {
        Some((key, value)) => labels.get(key.trim()).and_then(Node::as_str) == Some(value.trim()),
        None => labels.get(selector.trim()).is_some(),
    }
}
