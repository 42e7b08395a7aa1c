//! Where the pod template lives in each pod-bearing kind (upstream `DefaultPodSpecExtractor`, §5.4).

use mamori_model::{Node, Pos, Value};

/// The pod metadata and spec of an object, and the dotted path of the spec from the object root.
#[derive(Debug, Clone, Copy)]
pub struct PodTemplate<'a> {
    /// `metadata` of the pod (or of the template); supplies the AppArmor and seccomp annotations.
    pub metadata: Option<&'a Node>,
    /// The pod spec. An absent spec is an empty map, as Go decodes a missing struct to its zero value.
    pub spec: &'a Node,
    /// E.g. `spec`, `spec.template.spec`, `spec.jobTemplate.spec.template.spec`, `template.spec`.
    pub spec_path: &'static str,
}

impl PodTemplate<'_> {
    /// The dotted path of the pod metadata, derived from `spec_path` (`spec.template.spec` →
    /// `spec.template.metadata`).
    pub fn metadata_path(&self) -> String {
        metadata_path_of(self.spec_path)
    }
}

pub(crate) fn metadata_path_of(spec_path: &str) -> String {
    match spec_path.strip_suffix("spec") {
        Some(prefix) => format!("{prefix}metadata"),
        None => String::from("metadata"),
    }
}

/// The zero-valued pod spec used when a template omits it.
static EMPTY_SPEC: Node = Node {
    pos: Pos::UNKNOWN,
    value: Value::Map(Vec::new()),
};

/// Finds the pod template of a pod-bearing object. `Pod` → `metadata`/`spec`; `Deployment`, `ReplicaSet`,
/// `StatefulSet`, `DaemonSet`, `Job`, `ReplicationController` → `spec.template`; `CronJob` →
/// `spec.jobTemplate.spec.template`; `PodTemplate` → `template`. `None` for other kinds, and for a
/// ReplicationController without a template (upstream allows those unevaluated: the field is a pointer).
pub fn pod_template<'a>(kind: &str, root: &'a Node) -> Option<PodTemplate<'a>> {
    let (template, spec_path): (Option<&Node>, &'static str) = match kind {
        "Pod" => (Some(root), "spec"),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" => {
            (present(root, &["spec", "template"]), "spec.template.spec")
        }
        "ReplicationController" => (
            Some(present(root, &["spec", "template"])?),
            "spec.template.spec",
        ),
        "CronJob" => (
            present(root, &["spec", "jobTemplate", "spec", "template"]),
            "spec.jobTemplate.spec.template.spec",
        ),
        "PodTemplate" => (present(root, &["template"]), "template.spec"),
        _ => return None,
    };
    let metadata = template.and_then(|t| non_null(t.get("metadata")));
    let spec = template
        .and_then(|t| non_null(t.get("spec")))
        .unwrap_or(&EMPTY_SPEC);
    Some(PodTemplate {
        metadata,
        spec,
        spec_path,
    })
}

fn present<'a>(root: &'a Node, keys: &[&str]) -> Option<&'a Node> {
    non_null(root.path(keys))
}

fn non_null(node: Option<&Node>) -> Option<&Node> {
    node.filter(|n| !n.is_null())
}
