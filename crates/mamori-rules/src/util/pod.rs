//! Walking the containers of a pod spec with their field paths.

use mamori_model::Node;
use mamori_pss::PodTemplate;

/// One container of a pod spec, with the path to it (`spec.template.spec.containers[1]`).
pub struct ContainerRef<'a> {
    pub node: &'a Node,
    pub path: String,
    /// `initContainers`, `containers` or `ephemeralContainers`.
    pub list: &'static str,
    pub name: &'a str,
}

/// The containers of a pod template in PSA's visiting order: initContainers, containers, ephemeralContainers.
/// Non-list or non-map entries are skipped (PSS evaluation reports wrong types).
pub fn containers<'a>(pod: &PodTemplate<'a>) -> Vec<ContainerRef<'a>> {
    let mut out = Vec::new();
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(items) = pod.spec.get(list).and_then(Node::as_seq) else {
            continue;
        };
        for (i, node) in items.iter().enumerate() {
            if node.as_map().is_none() {
                continue;
            }
            out.push(ContainerRef {
                node,
                path: format!("{}.{list}[{i}]", pod.spec_path),
                list,
                name: node.get("name").and_then(Node::as_str).unwrap_or(""),
            });
        }
    }
    out
}

/// The pod template of an object, when it carries one: PSA's extraction for the kinds it knows, restricted to
/// the core/apps/batch/extensions groups (a custom resource called `Job` has another schema).
pub fn pod_template_of(object: &mamori_model::K8sObject) -> Option<PodTemplate<'_>> {
    let group = object
        .id
        .api_version
        .split_once('/')
        .map_or("", |(group, _)| group);
    if !matches!(group, "" | "apps" | "batch" | "extensions") {
        return None;
    }
    mamori_pss::pod_template(&object.id.kind, &object.root)
}
