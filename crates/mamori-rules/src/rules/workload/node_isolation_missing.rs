//! `workload.node-isolation-missing` — untrusted workloads that are not pinned to their dedicated nodes.
//!
//! Applies (only when configured) to Pods and pod templates that are untrusted: `metadata.namespace` matches an
//! `isolated_namespaces` glob, or the pod template's labels match an `isolated_pod_labels` selector
//! (`key=value`, or a bare `key` = label present). Such a pod must:
//! - select the dedicated nodes, when `isolation_node_label` is set (`key=value`, or a bare `key`): either
//!   `nodeSelector` has the label, or `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`
//!   confines it, i.e. EVERY `nodeSelectorTerms` entry (terms are ORed) has a `matchExpressions` item with that
//!   key, operator `In` and only the required value (for a bare key: `In` with any values, or `Exists`).
//!   Preferred affinity does not count: the scheduler may ignore it.
//! - tolerate the dedicated nodes' taint, when `isolation_taint_key` is set: a toleration with that key
//!   (operator `Exists`, or `Equal`/unset with any value), or an empty-key `Exists` toleration (which tolerates
//!   every taint).
//!
//! When neither `isolation_node_label` nor `isolation_taint_key` is set the rule has nothing to check. A pod
//! that misses both gets one finding naming both.
//!
//! Why: without dedicated nodes an untrusted workload shares nodes (kernel, kubelet credentials, node-local
//! volumes and secrets of co-located pods) with trusted ones; a container escape then reaches them. The taint
//! keeps other pods off the dedicated nodes, the selector keeps the untrusted pod on them; both are needed.
//!
//! References: NSA/CISA Kubernetes Hardening Guide, "Pod security" (separate sensitive workloads); MITRE ATT&CK
//! T1611 (Escape to Host); Kubernetes docs "Taints and Tolerations", "Assigning Pods to Nodes".

use crate::workload::sandbox_runtime_missing::labels_match;
use crate::{
    glob_match, Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta, RuleSettings,
};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.node-isolation-missing",
        title: "Untrusted workload not confined to dedicated nodes",
        severity: Severity::High,
        phase: Phase::RuntimeCompute,
        rationale: "A pod that shares a node with others shares its kernel, its kubelet and node credentials and \
            the secrets mounted for co-located pods; a container escape from an untrusted workload reaches all of \
            them. Dedicated nodes need both halves: a taint keeps other pods off, and a required node selector \
            keeps the untrusted pod on. Preferred affinity and tolerations alone do neither reliably.",
        remediation: "Add the dedicated node label to spec.nodeSelector (or as an `In` expression in every \
            requiredDuringSchedulingIgnoredDuringExecution node selector term) and a toleration for the dedicated \
            taint key (e.g. `{key: dedicated, operator: Exists, effect: NoSchedule}`).",
        references: &[
            Reference {
                kind: RefKind::NsaCisa,
                id: "Pod security",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1611", url: "https://attack.mitre.org/techniques/T1611/" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Taints and Tolerations",
                url: "https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/",
            },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Assigning Pods to Nodes",
                url: "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/",
            },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: sandbox\n  namespace: untrusted\nspec:\n  template:\n    spec:\n      affinity:\n        nodeAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n          - weight: 100\n            preference:\n              matchExpressions:\n              - key: pool\n                operator: In\n                values: [untrusted]\n      containers:\n      - name: sandbox\n        image: registry.example.com/sandbox:1.0\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: sandbox\n  namespace: untrusted\nspec:\n  template:\n    spec:\n      nodeSelector:\n        pool: untrusted\n      tolerations:\n      - key: dedicated\n        operator: Exists\n        effect: NoSchedule\n      containers:\n      - name: sandbox\n        image: registry.example.com/sandbox:1.0\n",
        example_settings: Some(example_settings),
    },
    check: Check::Object(check),
};

fn example_settings() -> RuleSettings {
    RuleSettings {
        isolated_namespaces: vec!["untrusted".to_owned()],
        isolation_node_label: Some("pool=untrusted".to_owned()),
        isolation_taint_key: Some("dedicated".to_owned()),
        ..RuleSettings::default()
    }
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let settings = ctx.settings;
    if settings.isolated_namespaces.is_empty() && settings.isolated_pod_labels.is_empty() {
        return;
    }
    let node_label = settings
        .isolation_node_label
        .as_deref()
        .filter(|l| !l.trim().is_empty());
    let taint_key = settings
        .isolation_taint_key
        .as_deref()
        .filter(|k| !k.trim().is_empty());
    if node_label.is_none() && taint_key.is_none() {
        return;
    }
    let Some(pod) = &ctx.pod else {
        return;
    };
    let Some(reason) = untrusted_reason(ctx, pod.metadata) else {
        return;
    };
    let missing_selector = node_label.filter(|label| !selects_label(pod.spec, label));
    let missing_toleration = taint_key.filter(|key| !tolerates(pod.spec, key.trim()));
    let what = match (missing_selector, missing_toleration) {
        (None, None) => return,
        (Some(label), None) => {
            format!("does not require nodes labelled {label} (nodeSelector or required node affinity)")
        }
        (None, Some(key)) => format!("does not tolerate the dedicated-node taint {key}"),
        (Some(label), Some(key)) => format!(
            "does not require nodes labelled {label} (nodeSelector or required node affinity) and does not \
             tolerate the dedicated-node taint {key}"
        ),
    };
    let (pos, path) = match (
        missing_selector,
        pod.spec.get("nodeSelector"),
        pod.spec.get("tolerations"),
    ) {
        (Some(_), Some(selector), _) => (selector.pos, format!("{}.nodeSelector", pod.spec_path)),
        (None, _, Some(tolerations)) => (tolerations.pos, format!("{}.tolerations", pod.spec_path)),
        _ => (pod.spec.pos, pod.spec_path.to_owned()),
    };
    out.emit(
        ctx.object,
        pos,
        path,
        format!(
            "{} is untrusted ({reason}) but {what}",
            ctx.object.id.display_name()
        ),
    );
}

/// Why the pod counts as untrusted, or None.
fn untrusted_reason(ctx: &ObjectCtx<'_>, metadata: Option<&Node>) -> Option<String> {
    let settings = ctx.settings;
    if let Some(namespace) = ctx.namespace() {
        if let Some(pattern) = settings
            .isolated_namespaces
            .iter()
            .find(|p| glob_match(p, namespace))
        {
            return Some(format!(
                "namespace {namespace:?} matches isolated_namespaces {pattern:?}"
            ));
        }
    }
    let labels = metadata.and_then(|m| m.get("labels"));
    settings
        .isolated_pod_labels
        .iter()
        .find(|selector| labels_match(labels, selector))
        .map(|selector| format!("pod label {selector}"))
}

/// Whether the pod can only be scheduled on nodes carrying `label` (`key=value` or bare `key`).
pub(crate) fn selects_label(spec: &Node, label: &str) -> bool {
    let (key, value) = match label.split_once('=') {
        Some((key, value)) => (key.trim(), Some(value.trim())),
        None => (label.trim(), None),
    };
    let by_selector = spec
        .get("nodeSelector")
        .and_then(|s| s.get(key))
        .is_some_and(|v| match value {
            Some(value) => v.as_str() == Some(value),
            None => true,
        });
    if by_selector {
        return true;
    }
    let terms = spec
        .path(&[
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ])
        .and_then(Node::as_seq)
        .unwrap_or(&[]);
    // Terms are ORed: every one of them must confine the pod.
    !terms.is_empty()
        && terms.iter().all(|term| {
            term.get("matchExpressions")
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .any(|expression| expression_confines(expression, key, value))
        })
}

fn expression_confines(expression: &Node, key: &str, value: Option<&str>) -> bool {
    if expression.get("key").and_then(Node::as_str) != Some(key) {
        return false;
    }
    let values = expression
        .get("values")
        .and_then(Node::as_seq)
        .unwrap_or(&[]);
    match expression.get("operator").and_then(Node::as_str) {
        Some("In") => match value {
            Some(value) => !values.is_empty() && values.iter().all(|v| v.as_str() == Some(value)),
            None => !values.is_empty(),
        },
        Some("Exists") => value.is_none(),
        _ => false,
    }
}

/// Whether some toleration tolerates a taint with key `key` (whatever its value and effect).
pub(crate) fn tolerates(spec: &Node, key: &str) -> bool {
    spec.get("tolerations")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .any(|toleration| {
            let toleration_key = toleration.get("key").and_then(Node::as_str).unwrap_or("");
            let operator = toleration
                .get("operator")
                .and_then(Node::as_str)
                .unwrap_or("Equal");
            match (toleration_key, operator) {
                ("", "Exists") => true,
                (k, "Exists" | "Equal") => k == key,
                _ => false,
            }
        })
}
