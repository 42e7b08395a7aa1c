//! Where an object came from and how findings name it.

use crate::node::{Node, Pos};
use std::sync::Arc;

/// The source of a document: a file path (or `-` for stdin, or `cluster` later), the 0-based index of the
/// document in that file, and the position of the document's first node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceRef {
    pub file: Arc<str>,
    pub doc_index: u32,
    pub pos: Pos,
}

/// How a finding names an object: `Kind/name` in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// Reads apiVersion, kind, metadata.name (or generateName) and metadata.namespace from an object root.
    pub fn from_node(root: &Node) -> ObjectRef {
        let text = |path: &[&str]| root.path(path).and_then(Node::as_str).map(str::to_owned);
        ObjectRef {
            api_version: text(&["apiVersion"]).unwrap_or_default(),
            kind: text(&["kind"]).unwrap_or_default(),
            namespace: text(&["metadata", "namespace"]),
            name: text(&["metadata", "name"])
                .or_else(|| text(&["metadata", "generateName"]))
                .unwrap_or_default(),
        }
    }

    /// `Kind/name`, as printed by kubectl.
    pub fn display_name(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

/// A Kubernetes object read from input: its tree, its identity and where it came from.
#[derive(Debug, Clone)]
pub struct K8sObject {
    pub source: SourceRef,
    /// Shared with the findings about this object.
    pub id: Arc<ObjectRef>,
    pub root: Node,
}
