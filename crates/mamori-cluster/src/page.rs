//! One LIST response body → objects and the continue token.

use crate::KindSpec;
use mamori_model::{Entry, K8sObject, Node, ObjectRef, Pos, SourceRef, Value};
use mamori_yaml::Limits;
use std::sync::Arc;

/// The annotation `kubectl apply` writes: for a Secret it holds the data in clear text, so it never leaves a
/// metadata-only list.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A parsed LIST page.
#[derive(Debug)]
pub(crate) struct Page {
    pub objects: Vec<K8sObject>,
    /// `metadata.continue`; `None` (or empty on the wire) on the last page.
    pub continue_token: Option<String>,
}

/// Parses a `*List` (or `PartialObjectMetadataList`) body. Items get `apiVersion`/`kind` of `kind` (LIST items
/// lack them; metadata-only items say `PartialObjectMetadata`), lose `metadata.managedFields`, and for
/// metadata-only kinds keep nothing but `metadata` (without the last-applied annotation), whatever the server
/// sent.
pub(crate) fn parse_page(
    body: &[u8],
    kind: &KindSpec,
    file: &Arc<str>,
    limits: &Limits,
) -> Result<Page, String> {
    let root = mamori_yaml::parse_json(body, limits)
        .map_err(|err| format!("the response is not valid JSON ({})", err.message))?;
    let Value::Map(entries) = root.value else {
        return Err(format!(
            "the response is a JSON {}, not a list",
            root.type_name()
        ));
    };
    let mut items = None;
    let mut continue_token = None;
    for entry in entries {
        match entry.key.as_str() {
            "items" => items = Some(entry.value),
            "metadata" => continue_token = continue_of(&entry.value),
            _ => {}
        }
    }
    let items = match items.map(|node| node.value) {
        Some(Value::Seq(items)) => items,
        Some(Value::Null) | None => Vec::new(),
        Some(other) => {
            return Err(format!(
                "`items` is a {}, not a list",
                Node::new(Pos::UNKNOWN, other).type_name()
            ))
        }
    };
    let api_version = kind.api_version();
    let mut objects = Vec::with_capacity(items.len());
    for item in items {
        let Value::Map(entries) = item.value else {
            return Err("an item of `items` is not an object".to_owned());
        };
        let root = normalize(entries, &api_version, kind);
        objects.push(K8sObject {
            source: SourceRef {
                file: file.clone(),
                doc_index: 0,
                pos: Pos::UNKNOWN,
            },
            id: Arc::new(ObjectRef::from_node(&root)),
            root,
        });
    }
    Ok(Page {
        objects,
        continue_token,
    })
}

/// `metadata.continue` of a list or of a 410 Status (the server's token to resume an expired list).
pub(crate) fn continue_of(metadata: &Node) -> Option<String> {
    metadata
        .get("continue")
        .and_then(Node::as_str)
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
}

fn normalize(entries: Vec<Entry>, api_version: &str, kind: &KindSpec) -> Node {
    let mut out = Vec::with_capacity(entries.len() + 2);
    out.push(text_entry("apiVersion", api_version));
    out.push(text_entry("kind", kind.kind));
    for mut entry in entries {
        match entry.key.as_str() {
            "apiVersion" | "kind" => continue,
            "metadata" => clean_metadata(&mut entry.value, kind.metadata_only),
            // Metadata-only kinds: whatever else the server sent (data, stringData, spec) is dropped unread.
            _ if kind.metadata_only => continue,
            _ => {}
        }
        out.push(entry);
    }
    Node::new(Pos::UNKNOWN, Value::Map(out))
}

fn clean_metadata(metadata: &mut Node, metadata_only: bool) {
    let Value::Map(entries) = &mut metadata.value else {
        return;
    };
    entries.retain(|entry| entry.key != "managedFields");
    if !metadata_only {
        return;
    }
    for entry in entries.iter_mut() {
        if entry.key == "annotations" {
            if let Value::Map(annotations) = &mut entry.value.value {
                annotations.retain(|annotation| annotation.key != LAST_APPLIED);
            }
        }
    }
}

fn text_entry(key: &str, value: &str) -> Entry {
    Entry {
        key: key.to_owned(),
        key_pos: Pos::UNKNOWN,
        value: Node::new(Pos::UNKNOWN, Value::Str(value.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PODS: KindSpec = KindSpec {
        group: "",
        version: "v1",
        plural: "pods",
        kind: "Pod",
        namespaced: true,
        metadata_only: false,
    };
    const SECRETS: KindSpec = KindSpec {
        plural: "secrets",
        kind: "Secret",
        metadata_only: true,
        ..PODS
    };

    fn parse(body: &str, kind: &KindSpec) -> Result<Page, String> {
        parse_page(
            body.as_bytes(),
            kind,
            &Arc::from("cluster:test"),
            &Limits::default(),
        )
    }

    #[test]
    fn items_get_identity_and_lose_managed_fields() {
        let page = parse(
            r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"abc"},
               "items":[{"metadata":{"name":"a","namespace":"n","managedFields":[{"manager":"kubectl"}]},
                         "spec":{"containers":[]}}]}"#,
            &PODS,
        )
        .unwrap();
        assert_eq!(page.continue_token.as_deref(), Some("abc"));
        let [object] = page.objects.as_slice() else {
            panic!("one object expected");
        };
        assert_eq!(object.id.kind, "Pod");
        assert_eq!(object.id.api_version, "v1");
        assert_eq!(object.id.namespace.as_deref(), Some("n"));
        assert_eq!(object.id.name, "a");
        assert!(object.root.path(&["metadata", "managedFields"]).is_none());
        assert!(object.root.path(&["spec", "containers"]).is_some());
        assert_eq!(&*object.source.file, "cluster:test");
    }

    #[test]
    fn last_page_and_empty_lists() {
        let page = parse(r#"{"metadata":{"continue":""},"items":null}"#, &PODS).unwrap();
        assert!(page.continue_token.is_none());
        assert!(page.objects.is_empty());
    }

    #[test]
    fn metadata_only_items_keep_nothing_but_metadata() {
        let page = parse(
            r#"{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{},
               "items":[{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
                 "metadata":{"name":"s","annotations":{"a":"b",
                   "kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"k\":\"c2VjcmV0\"}}"}},
                 "data":{"k":"c2VjcmV0"},"stringData":{"k":"secret"},"type":"Opaque"}]}"#,
            &SECRETS,
        )
        .unwrap();
        let object = &page.objects[0];
        assert_eq!(object.id.kind, "Secret");
        assert_eq!(object.id.api_version, "v1");
        let keys: Vec<_> = object
            .root
            .as_map()
            .unwrap()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata"]);
        let annotations = object.root.path(&["metadata", "annotations"]).unwrap();
        assert_eq!(annotations.as_map().unwrap().len(), 1);
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert!(parse("not json", &PODS).is_err());
        assert!(parse("[]", &PODS).unwrap_err().contains("not a list"));
        assert!(parse(r#"{"items":{}}"#, &PODS).is_err());
        assert!(parse(r#"{"items":[1]}"#, &PODS).is_err());
    }
}
