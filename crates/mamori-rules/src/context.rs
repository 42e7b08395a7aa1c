//! What a check sees, and how it reports.

use mamori_model::finding::Location;
use mamori_model::{Finding, K8sObject, Node, Pos};
use mamori_pss::PodTemplate;
use std::collections::BTreeMap;

use crate::RuleMeta;

/// The parts of mamori.yaml rules read. Produced by the config loader; plain data so rules stay testable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSettings {
    /// Registries images may come from (`registry.example.com`, `ghcr.io/org`); empty = no allowlist.
    pub allowed_registries: Vec<String>,
    /// Registries that need credentials: pods pulling from them must have imagePullSecrets.
    pub private_registries: Vec<String>,
    /// Namespaces (globs) whose pods must use one of `sandbox_runtime_classes`.
    pub sandbox_namespaces: Vec<String>,
    /// Namespace labels (`key=value`) whose pods must use a sandboxed runtime (matched on Namespace objects in
    /// the input).
    pub sandbox_namespace_labels: Vec<String>,
    /// RuntimeClass names that count as sandboxed (e.g. `gvisor`, `kata`).
    pub sandbox_runtime_classes: Vec<String>,
    /// Namespaces (globs) whose pods must run on dedicated nodes.
    pub isolated_namespaces: Vec<String>,
    /// Pod labels (`key=value`) marking untrusted workloads that must run on dedicated nodes.
    pub isolated_pod_labels: Vec<String>,
    /// The node label (`key=value`) of the dedicated nodes; the pod must select it (nodeSelector or required
    /// node affinity) and tolerate the matching taint key.
    pub isolation_node_label: Option<String>,
    /// Taint key of the dedicated nodes that isolated pods must tolerate.
    pub isolation_taint_key: Option<String>,
}

/// One object, as an object rule sees it.
pub struct ObjectCtx<'a> {
    pub object: &'a K8sObject,
    /// The pod template when the object carries one (Pod, workloads in the core/apps/batch groups).
    pub pod: Option<PodTemplate<'a>>,
    pub settings: &'a RuleSettings,
}

impl<'a> ObjectCtx<'a> {
    pub fn kind(&self) -> &str {
        &self.object.id.kind
    }

    pub fn root(&self) -> &'a Node {
        &self.object.root
    }

    /// The namespace as written in the object (None when not set).
    pub fn namespace(&self) -> Option<&str> {
        self.object.id.namespace.as_deref()
    }
}

/// The objects inventory rules asked for, grouped by kind, in input order.
#[derive(Debug, Default)]
pub struct Inventory {
    pub by_kind: BTreeMap<String, Vec<K8sObject>>,
}

impl Inventory {
    pub fn add(&mut self, object: K8sObject) {
        self.by_kind
            .entry(object.id.kind.clone())
            .or_default()
            .push(object);
    }

    pub fn of_kind(&self, kind: &str) -> &[K8sObject] {
        self.by_kind.get(kind).map_or(&[], Vec::as_slice)
    }
}

/// Collects the findings of one rule. Severity, phase and remediation come from the rule's metadata; the engine
/// applies configured overrides and exceptions afterwards.
pub struct Emitter<'a> {
    meta: &'a RuleMeta,
    out: &'a mut Vec<Finding>,
}

impl<'a> Emitter<'a> {
    pub fn new(meta: &'a RuleMeta, out: &'a mut Vec<Finding>) -> Emitter<'a> {
        Emitter { meta, out }
    }

    /// Reports `message` about `object`, pointing at `pos` / `field_path` inside it (use the object's own
    /// position and an empty path when the problem is the object as a whole).
    pub fn emit(
        &mut self,
        object: &K8sObject,
        pos: Pos,
        field_path: impl Into<String>,
        message: impl Into<String>,
    ) {
        let pos = if pos.is_known() {
            pos
        } else {
            object.source.pos
        };
        self.out.push(Finding {
            rule_id: std::borrow::Cow::Borrowed(self.meta.id),
            severity: self.meta.severity,
            phase: self.meta.phase,
            object: object.id.clone(),
            location: Location {
                file: object.source.file.clone(),
                doc_index: object.source.doc_index,
                pos,
                field_path: field_path.into(),
            },
            message: message.into(),
            remediation: std::borrow::Cow::Borrowed(self.meta.remediation),
        });
    }
}
