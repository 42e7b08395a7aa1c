//! What the engine needs to know about the cluster, supplied by the server (a reflector cache, or a file).

use mamori_model::{K8sObject, Node, ObjectRef, Pos, SourceRef};
use std::sync::Arc;

/// Namespaces and pods as the server knows them. Implementations must be cheap to call: one namespace lookup
/// per pod or workload request, one pod listing per namespace relabel that tightens enforcement.
pub trait ClusterState: Send + Sync {
    /// `Err(message)` = the lookup failed (pods are then denied with upstream's "failed to lookup namespace"
    /// InternalError; workloads are allowed with an `error` audit annotation); `Ok(None)` = not found.
    /// The namespace is shared (`Arc`): a review reads its labels once, and the cache need not copy them.
    fn namespace(&self, name: &str) -> Result<Option<Arc<NamespaceInfo>>, String>;
    /// Pods of a namespace for the namespace-relabel dry run (§5.7). `Err` = listing failed.
    fn pods(&self, namespace: &str) -> Result<Vec<Arc<PodInfo>>, String>;
}

/// A fixed set of namespaces and no pods: offline evaluation, benchmarks and fuzzing.
impl ClusterState for Vec<NamespaceInfo> {
    fn namespace(&self, name: &str) -> Result<Option<Arc<NamespaceInfo>>, String> {
        Ok(self
            .iter()
            .find(|n| n.name == name)
            .map(|n| Arc::new(n.clone())))
    }

    fn pods(&self, _namespace: &str) -> Result<Vec<Arc<PodInfo>>, String> {
        Ok(Vec::new())
    }
}

/// A namespace's name and labels (only the labels matter to Pod Security).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespaceInfo {
    pub name: String,
    pub labels: Vec<(String, String)>,
}

impl NamespaceInfo {
    /// Reads `metadata.name` and the string-valued `metadata.labels` of a Namespace object. `None` when the
    /// object has no name.
    pub fn from_node(root: &Node) -> Option<NamespaceInfo> {
        let metadata = root.get("metadata")?;
        let name = metadata.get("name")?.as_str()?.to_owned();
        Some(NamespaceInfo {
            name,
            labels: labels_of(metadata),
        })
    }

    /// The value of label `key`, if present.
    pub fn label(&self, key: &str) -> Option<&str> {
        label_in(&self.labels, key)
    }
}

pub(crate) fn label_in<'a>(labels: &'a [(String, String)], key: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// String-valued `labels` of a metadata node, in source order.
pub(crate) fn labels_of(metadata: &Node) -> Vec<(String, String)> {
    metadata
        .get("labels")
        .and_then(Node::as_map)
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| Some((e.key.clone(), e.value.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// An existing pod, for the namespace-relabel dry run: its name, its controller's UID (replicas of one
/// controller are checked once first), its runtimeClassName (exempt runtime classes are skipped) and the object.
#[derive(Debug, Clone)]
pub struct PodInfo {
    pub name: String,
    pub controller_uid: Option<String>,
    pub runtime_class: Option<String>,
    pub object: K8sObject,
}

impl PodInfo {
    /// Builds the info from a Pod object tree (as listed from the API server). `None` when the object has no
    /// name. The controller is the owner reference with `controller: true` (upstream `GetControllerOf`).
    pub fn from_node(root: Node) -> Option<PodInfo> {
        let metadata = root.get("metadata")?;
        let name = metadata.get("name")?.as_str()?.to_owned();
        let controller_uid = metadata
            .get("ownerReferences")
            .and_then(Node::as_seq)
            .and_then(|refs| {
                refs.iter()
                    .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
            })
            .and_then(|r| r.get("uid"))
            .and_then(Node::as_str)
            .map(str::to_owned);
        let runtime_class = root
            .path(&["spec", "runtimeClassName"])
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let id = Arc::new(ObjectRef::from_node(&root));
        Some(PodInfo {
            name,
            controller_uid,
            runtime_class,
            object: K8sObject {
                source: SourceRef {
                    file: Arc::from("cluster"),
                    doc_index: 0,
                    pos: Pos::UNKNOWN,
                },
                id,
                root,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(json: &str) -> Node {
        match mamori_yaml::parse_json(json.as_bytes(), &mamori_yaml::Limits::default()) {
            Ok(node) => node,
            Err(err) => panic!("test JSON: {}", err.message),
        }
    }

    #[test]
    fn namespace_info_keeps_string_labels() {
        let info = NamespaceInfo::from_node(&node(
            r#"{"kind":"Namespace","metadata":{"name":"team","labels":{"a":"1","pod-security.kubernetes.io/enforce":"baseline","n":3}}}"#,
        ));
        let info = info.as_ref();
        assert_eq!(info.map(|i| i.name.as_str()), Some("team"));
        assert_eq!(
            info.and_then(|i| i.label("pod-security.kubernetes.io/enforce")),
            Some("baseline")
        );
        assert_eq!(info.map(|i| i.labels.len()), Some(2));
        assert_eq!(NamespaceInfo::from_node(&node(r#"{"metadata":{}}"#)), None);
    }

    #[test]
    fn pod_info_reads_the_controller_and_runtime_class() {
        let pod = PodInfo::from_node(node(
            r#"{"kind":"Pod","metadata":{"name":"web-1","namespace":"team","ownerReferences":[
                {"kind":"Node","uid":"not-a-controller"},
                {"kind":"ReplicaSet","uid":"rs-uid","controller":true}]},
               "spec":{"runtimeClassName":"kata","containers":[]}}"#,
        ));
        let pod = pod.as_ref();
        assert_eq!(pod.map(|p| p.name.as_str()), Some("web-1"));
        assert_eq!(
            pod.and_then(|p| p.controller_uid.as_deref()),
            Some("rs-uid")
        );
        assert_eq!(pod.and_then(|p| p.runtime_class.as_deref()), Some("kata"));
        assert_eq!(
            pod.and_then(|p| p.object.id.namespace.as_deref()),
            Some("team")
        );
        let bare = PodInfo::from_node(node(
            r#"{"metadata":{"name":"solo","ownerReferences":[{"uid":"x","controller":false}]},"spec":{"runtimeClassName":""}}"#,
        ));
        assert_eq!(bare.as_ref().and_then(|p| p.controller_uid.clone()), None);
        assert_eq!(bare.as_ref().and_then(|p| p.runtime_class.clone()), None);
        assert!(PodInfo::from_node(node(r#"{"metadata":{}}"#)).is_none());
    }

    #[test]
    fn a_list_of_namespaces_is_a_cluster_state_without_pods() {
        let team = NamespaceInfo {
            name: "team".to_owned(),
            labels: vec![("a".to_owned(), "1".to_owned())],
        };
        let state: &dyn ClusterState = &vec![team.clone()];
        assert_eq!(state.namespace("team"), Ok(Some(Arc::new(team))));
        assert_eq!(state.namespace("other"), Ok(None));
        assert_eq!(state.pods("team").map(|pods| pods.len()), Ok(0));
    }
}
