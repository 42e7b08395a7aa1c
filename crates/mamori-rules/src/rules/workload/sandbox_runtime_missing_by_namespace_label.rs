//! `workload.sandbox-runtime-missing-by-namespace-label` — pods in namespaces labelled as needing a sandboxed
//! runtime, without one.
//!
//! Checks (only when `sandbox_namespace_labels` is configured): the Namespace objects of the input whose
//! `metadata.labels` match one of the selectors (`key=value`, or a bare `key` = label present); then every Pod
//! and pod-template workload in such a namespace. Passes when `spec.runtimeClassName` is one of
//! `sandbox_runtime_classes` (any non-empty class when that list is empty). Pods whose namespace also matches
//! `sandbox_namespaces` are left to `workload.sandbox-runtime-missing`, so a pod is reported once. Namespaces
//! that are not in the input cannot be judged by label.
//!
//! This is an inventory rule: it needs the Namespace objects, which may come after the workloads. Its cost: when
//! `sandbox_namespace_labels` is configured, the engine keeps the pod-bearing objects until the end of the scan.
//!
//! References: NSA/CISA Kubernetes Hardening Guide, "Container sandboxing"; MITRE ATT&CK T1611 (Escape to
//! Host); Kubernetes docs "Runtime Class".

use crate::workload::sandbox_runtime_missing::{
    labels_match, report_unsandboxed, sandbox_namespace_pattern,
};
use crate::{
    pod_template_of, Check, Emitter, Inventory, RefKind, Reference, Rule, RuleMeta, RuleSettings,
};
use mamori_model::{Phase, Severity};

/// Namespace plus the kinds whose pod templates the rule judges (as `pod_template_of` extracts them).
const KINDS: [&str; 10] = [
    "Namespace",
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "PodTemplate",
];

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.sandbox-runtime-missing-by-namespace-label",
        title: "Pod without a sandboxed RuntimeClass in a namespace labelled for sandboxing",
        severity: Severity::High,
        phase: Phase::RuntimeCompute,
        rationale: "Containers share the host kernel: one kernel vulnerability lets untrusted code escape to the \
            node. Namespaces carrying a label listed in sandbox_namespace_labels host untrusted or tenant code and \
            must use a sandboxed runtime (gVisor, Kata Containers) that puts a user-space kernel or a VM boundary \
            between the workload and the host.",
        remediation: "Set spec.runtimeClassName (spec.template.spec for workloads) to one of the configured \
            sandbox_runtime_classes, e.g. `runtimeClassName: kata`, and make sure that RuntimeClass exists on the \
            cluster.",
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
        fail_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: builds\n  labels:\n    security.example.com/untrusted: \"true\"\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: build-42\n  namespace: builds\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: build\n        image: registry.example.com/builder:1.0\n",
        pass_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: builds\n  labels:\n    security.example.com/untrusted: \"true\"\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: build-42\n  namespace: builds\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      runtimeClassName: kata\n      containers:\n      - name: build\n        image: registry.example.com/builder:1.0\n",
        example_settings: Some(example_settings),
    },
    check: Check::InventoryFiltered {
        kinds: &KINDS,
        keep,
        check,
    },
};

/// Workloads are kept for the end of the scan only when label-based sandboxing is configured.
fn keep(object: &mamori_model::K8sObject, settings: &RuleSettings) -> bool {
    object.id.kind == "Namespace" || !settings.sandbox_namespace_labels.is_empty()
}

fn example_settings() -> RuleSettings {
    RuleSettings {
        sandbox_namespace_labels: vec!["security.example.com/untrusted=true".to_owned()],
        sandbox_runtime_classes: vec!["gvisor".to_owned(), "kata".to_owned()],
        ..RuleSettings::default()
    }
}

fn check(inventory: &Inventory, settings: &RuleSettings, out: &mut Emitter<'_>) {
    if settings.sandbox_namespace_labels.is_empty() {
        return;
    }
    // (namespace name, the selector it matched)
    let labelled: Vec<(&str, &str)> = inventory
        .of_kind("Namespace")
        .iter()
        .filter_map(|ns| {
            let labels = ns.root.path(&["metadata", "labels"]);
            settings
                .sandbox_namespace_labels
                .iter()
                .find(|selector| labels_match(labels, selector))
                .map(|selector| (ns.id.name.as_str(), selector.as_str()))
        })
        .collect();
    if labelled.is_empty() {
        return;
    }
    for kind in KINDS.iter().filter(|kind| **kind != "Namespace") {
        for object in inventory.of_kind(kind) {
            let Some(namespace) = object.id.namespace.as_deref() else {
                continue;
            };
            let Some(&(_, selector)) = labelled.iter().find(|(name, _)| *name == namespace) else {
                continue;
            };
            if sandbox_namespace_pattern(&settings.sandbox_namespaces, namespace).is_some() {
                continue; // reported by workload.sandbox-runtime-missing
            }
            let Some(pod) = pod_template_of(object) else {
                continue;
            };
            report_unsandboxed(object, &pod, settings, out, || {
                format!("namespace {namespace:?} has label {selector}")
            });
        }
    }
}
