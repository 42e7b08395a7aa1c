//! One raw document → Kubernetes objects (List items expanded).

use crate::{LoadError, Loaded, Note, RawDocument};
use mamori_model::{K8sObject, Node, ObjectRef, Pos, SourceRef, Value};
use mamori_yaml::Limits;

/// Parses one raw document into objects. Documents without apiVersion/kind become a [`Note`]; an empty document
/// yields nothing; `kind: List` (or any `*List` kind with `items`) expands to its items, each with its own
/// position. Never panics; every problem is a positioned [`LoadError`].
pub fn parse_raw(doc: &RawDocument, limits: &Limits) -> Vec<Loaded> {
    let error = |pos: Pos, message: String| {
        Loaded::Error(LoadError {
            file: doc.file.clone(),
            pos,
            message,
        })
    };
    let root = match mamori_yaml::parse_document(&doc.text, doc.first_line, limits) {
        Ok(Some(root)) => root,
        Ok(None) => return Vec::new(),
        Err(err) => return vec![error(err.pos, err.message)],
    };
    let number = u64::from(doc.doc_index) + 1;
    if root.as_map().is_none() {
        return vec![error(
            root.pos,
            format!(
                "document {number} is a {}, not a Kubernetes object (expected a map with apiVersion and kind)",
                root.type_name()
            ),
        )];
    }
    if let Err((pos, message)) = check_identity(&root) {
        return vec![error(pos, message)];
    }
    if !has_identity(&root) {
        return vec![Loaded::Note(Note {
            file: doc.file.clone(),
            pos: root.pos,
            message: format!("document {number} has no apiVersion/kind; skipped"),
        })];
    }
    let kind_is_list = root
        .get("kind")
        .and_then(Node::as_str)
        .is_some_and(|kind| kind.ends_with("List"));
    if kind_is_list && root.get("items").is_some() {
        return expand_list(doc, root);
    }
    vec![object(doc, root)]
}

fn object(doc: &RawDocument, root: Node) -> Loaded {
    Loaded::Object(K8sObject {
        source: SourceRef {
            file: doc.file.clone(),
            doc_index: doc.doc_index,
            pos: root.pos,
        },
        id: std::sync::Arc::new(ObjectRef::from_node(&root)),
        root,
    })
}

fn has_identity(root: &Node) -> bool {
    root.get("apiVersion").and_then(Node::as_str).is_some()
        && root.get("kind").and_then(Node::as_str).is_some()
}

/// Checks that identity fields, where present, have the right type.
fn check_identity(root: &Node) -> Result<(), (Pos, String)> {
    for key in ["apiVersion", "kind"] {
        if let Some(value) = root.get(key) {
            if value.as_str().is_none() && !value.is_null() {
                return Err((
                    value.pos,
                    format!("{key} must be a string, found {}", value.type_name()),
                ));
            }
        }
    }
    if let Some(metadata) = root.get("metadata") {
        if metadata.is_null() {
            return Ok(());
        }
        if metadata.as_map().is_none() {
            return Err((
                metadata.pos,
                format!("metadata must be a map, found {}", metadata.type_name()),
            ));
        }
        for key in ["name", "namespace", "generateName"] {
            if let Some(value) = metadata.get(key) {
                if value.as_str().is_none() && !value.is_null() {
                    return Err((
                        value.pos,
                        format!(
                            "metadata.{key} must be a string, found {}",
                            value.type_name()
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn expand_list(doc: &RawDocument, root: Node) -> Vec<Loaded> {
    let file = &doc.file;
    let error = |pos: Pos, message: String| {
        Loaded::Error(LoadError {
            file: file.clone(),
            pos,
            message,
        })
    };
    let list_kind = root
        .get("kind")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_owned();
    let Value::Map(entries) = root.value else {
        return Vec::new();
    };
    let Some(items) = entries
        .into_iter()
        .find(|entry| entry.key == "items")
        .map(|entry| entry.value)
    else {
        return Vec::new();
    };
    let items = match items.value {
        Value::Seq(items) => items,
        Value::Null => return Vec::new(),
        other => {
            return vec![error(
                items.pos,
                format!(
                    "{list_kind}.items must be a list, found {}",
                    other.type_name()
                ),
            )];
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            if item.as_map().is_none() {
                return error(
                    item.pos,
                    format!(
                        "{list_kind} item {index} is a {}, not an object",
                        item.type_name()
                    ),
                );
            }
            if let Err((pos, message)) = check_identity(&item) {
                return error(pos, format!("{list_kind} item {index}: {message}"));
            }
            if !has_identity(&item) {
                return error(
                    item.pos,
                    format!("{list_kind} item {index} has no apiVersion/kind"),
                );
            }
            object(doc, item)
        })
        .collect()
}
