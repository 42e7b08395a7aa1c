//! JSON text (or an already-decoded `serde_json::Value`) → [`Node`], without going through the YAML parser.
//!
//! Objects that come from the API server (AdmissionReview bodies, LIST responses, `kubectl get -o json` dumps)
//! are JSON. Building the tree straight from JSON is several times faster than the YAML reference path and
//! allocates only the tree itself. Two readers build it: the hand-written [`crate::json_scan`] for the common
//! case, and serde_json's event stream (this module's [`Builder`]), which is the scanner's reference and reads
//! everything the scanner declines. Nodes carry [`Pos::UNKNOWN`]: API objects are referenced by
//! kind/namespace/name, not by line.
//!
//! Limits: nesting depth is bounded by serde_json's recursion limit (128), total nodes by `Limits::max_nodes`
//! (when parsing text). Duplicate keys in one object are an error, as in the YAML path.

use crate::json_scan::{JsonScanner, ObjectBuild};
use crate::{Limits, YamlError};
use mamori_model::{Entry, Node, Pos, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// Parses one JSON document into a [`Node`] tree, enforcing `limits.max_nodes` and
/// `limits.max_document_bytes`. Read by [`crate::json_scan`] when it can, else (and for every error) by
/// serde_json, whose errors carry the line and column.
pub fn parse_json(text: &[u8], limits: &Limits) -> Result<Node, YamlError> {
    if text.len() > limits.max_document_bytes {
        return Err(YamlError {
            pos: Pos::new(1, 1),
            message: format!(
                "document is {} bytes, larger than the limit of {} bytes",
                text.len(),
                limits.max_document_bytes
            ),
        });
    }
    // The hand-written scanner first; what it declines (and every error) is decided and worded by serde_json.
    if let Ok(text) = std::str::from_utf8(text) {
        let mut scanner = JsonScanner::new(text).with_node_budget(limits.max_nodes);
        if let Some(node) = scanner.node(ObjectBuild::Full) {
            if scanner.finish().is_some() {
                return Ok(node);
            }
        }
    }
    let mut builder = Builder::new(limits.max_nodes, Place::Elsewhere);
    let mut de = serde_json::Deserializer::from_slice(text);
    let node = builder
        .seed()
        .deserialize(&mut de)
        .and_then(|node| de.end().map(|()| node))
        .map_err(|err| YamlError {
            pos: Pos::new(err.line() as u32, err.column() as u32),
            message: err.to_string(),
        })?;
    Ok(node)
}

/// Converts an already-decoded JSON value (e.g. what a client library returned) into a [`Node`] tree.
pub fn node_from_json_value(value: &serde_json::Value) -> Node {
    let value = match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => number_value(n),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(items) => {
            Value::Seq(items.iter().map(node_from_json_value).collect())
        }
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(key, value)| Entry {
                    key: key.clone(),
                    key_pos: Pos::UNKNOWN,
                    value: node_from_json_value(value),
                })
                .collect(),
        ),
    };
    Node::new(Pos::UNKNOWN, value)
}

/// A JSON number as the tree holds it: an integer when it fits `i64`, else a float (as the builder's visitor
/// maps serde_json's u64/i64/f64).
pub(crate) fn number_value(n: &serde_json::Number) -> Value {
    match n.as_i64() {
        Some(i) => Value::Int(i),
        None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// A [`Node`] that can be a field of a serde-derived struct (e.g. `request.object` of an AdmissionReview).
/// Depth is bounded by the outer deserializer's recursion limit; size by the caller's body limit.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonNode(pub Node);

impl<'de> serde::Deserialize<'de> for JsonNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<JsonNode, D::Error> {
        let mut builder = Builder::new(usize::MAX, Place::Elsewhere);
        builder.seed().deserialize(deserializer).map(JsonNode)
    }
}

impl JsonNode {
    /// Deserializes an API object as [`JsonNode`] does, except that the root object's `metadata.managedFields`
    /// and `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]` are skipped (still
    /// checked, never built): server-side apply bookkeeping and a full JSON copy of the object, which
    /// nothing that evaluates the object reads. For admission's hot path; the generic JSON path keeps them.
    pub fn deserialize_without_bookkeeping<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<JsonNode, D::Error> {
        let mut builder = Builder::new(usize::MAX, Place::Root);
        builder.seed().deserialize(deserializer).map(JsonNode)
    }

    /// Deserializes an API object keeping only what Pod Security reads: as
    /// [`JsonNode::deserialize_without_bookkeeping`], and also
    /// - without the root `status`, and of the root `metadata` only `name`, `namespace`, `labels` (a
    ///   Namespace's policy) and `annotations` (AppArmor and seccomp);
    /// - under the root `spec`, at any depth (pods and every workload template alike), only the pod template
    ///   path (`template`, `jobTemplate`, `spec`, and a template's `metadata.annotations`) and
    ///   [`POD_SECURITY_SPEC_FIELDS`];
    /// - in every container list, only [`POD_SECURITY_CONTAINER_FIELDS`] of each container, and in `volumes`,
    ///   each volume's `name` and its sources as empty maps (Pod Security reads which sources are set).
    ///
    /// Skipped values are still checked exactly as built ones (JSON syntax, duplicate keys, nesting depth), so
    /// an object is rejected by this path if and only if the full tree would reject it; only the tree is
    /// smaller. For admission without catalogue rules, where Pod Security is the only reader of the object.
    pub fn deserialize_pod_security_fields<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<JsonNode, D::Error> {
        let mut builder = Builder::new(usize::MAX, Place::PodSecurityRoot);
        builder.seed().deserialize(deserializer).map(JsonNode)
    }
}

/// The annotation `kubectl apply` writes: the whole last-applied object as JSON text.
const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The container fields Pod Security reads (`mamori_pss::PodView`: the name for messages, the security
/// context, host ports, probe and lifecycle handler hosts) plus `image`, which admission compares to tell a
/// significant pod update. Everything else of a container is skipped by
/// [`JsonNode::deserialize_pod_security_fields`], and of these, probes, lifecycle handlers and ports keep only
/// the parts Pod Security reads (`httpGet.host`, `tcpSocket.host`, `hostPort`).
pub const POD_SECURITY_CONTAINER_FIELDS: &[&str] = &[
    "name",
    "image",
    "securityContext",
    "ports",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
];

/// The pod spec fields read at admission without catalogue rules, built in full: those of
/// `mamori_pss::PodView` (host namespaces, `os`, the pod security context) and `runtimeClassName` (the
/// runtime class exemption). Container lists and `volumes` are read too, through their own places. Every other
/// pod or workload spec field (scheduling, selectors, rollout, service account, …) is skipped.
pub const POD_SECURITY_SPEC_FIELDS: &[&str] = &[
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostUsers",
    "os",
    "securityContext",
    "runtimeClassName",
];

/// Shared state of one tree build: the node budget and scratch stacks. A map's entries (a sequence's items)
/// are pushed on the stack while it is read, then moved into one exactly-sized vector, instead of growing a
/// vector per node (most Kubernetes maps have a handful of entries; growth cost 2–3 allocations each).
struct Builder<'de> {
    budget: usize,
    entries: Vec<Entry>,
    items: Vec<Node>,
    /// Keys of the maps being skipped, for their duplicate check (a stack, like `entries`).
    skip_keys: Vec<Cow<'de, str>>,
    root: Place,
}

impl<'de> Builder<'de> {
    fn new(budget: usize, root: Place) -> Builder<'de> {
        Builder {
            budget,
            entries: Vec::with_capacity(64),
            items: Vec::with_capacity(32),
            skip_keys: Vec::new(),
            root,
        }
    }

    fn seed(&mut self) -> NodeSeed<'_, 'de> {
        let place = self.root;
        NodeSeed {
            builder: self,
            place,
        }
    }
}

/// Where a node is, as far as skipping parts of an admitted object cares.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The root of an object whose bookkeeping is skipped.
    Root,
    /// The root of an object built for Pod Security only.
    PodSecurityRoot,
    RootMetadata,
    /// The root `metadata` of an object built for Pod Security only.
    PodSecurityMetadata,
    RootAnnotations,
    /// Under the root `spec` of an object built for Pod Security only: a pod spec, or a workload spec on the
    /// way to its pod template.
    Spec,
    /// A pod template's `metadata` under [`Place::Spec`].
    TemplateMetadata,
    /// The value of a `containers`/`initContainers`/`ephemeralContainers` key under [`Place::Spec`].
    ContainerList,
    /// An item of a [`Place::ContainerList`] sequence.
    Container,
    /// A container's `ports`, and one port in it.
    Ports,
    Port,
    /// A container's `lifecycle`.
    Lifecycle,
    /// A probe, or a lifecycle `postStart`/`preStop` handler.
    Handler,
    /// A handler's `httpGet` or `tcpSocket`.
    HandlerAction,
    /// The `volumes` of a pod spec under [`Place::Spec`], one volume, and one source of a volume.
    Volumes,
    Volume,
    VolumeSource,
    /// Anywhere else: built in full.
    Elsewhere,
}

impl Place {
    /// The place of the value under `key`, or `None` when that value is skipped.
    pub(crate) fn child(self, key: &str) -> Option<Place> {
        match (self, key) {
            (Place::Root, "metadata") => Some(Place::RootMetadata),
            (Place::PodSecurityRoot, "metadata") => Some(Place::PodSecurityMetadata),
            (Place::PodSecurityRoot, "status") => None,
            (Place::PodSecurityRoot, "spec") => Some(Place::Spec),
            (Place::RootMetadata | Place::PodSecurityMetadata, "annotations") => {
                Some(Place::RootAnnotations)
            }
            (Place::RootMetadata, "managedFields") => None,
            (Place::PodSecurityMetadata, "name" | "namespace" | "labels") => Some(Place::Elsewhere),
            (Place::PodSecurityMetadata, _) => None,
            (Place::RootAnnotations, LAST_APPLIED_ANNOTATION) => None,
            (Place::Spec, "containers" | "initContainers" | "ephemeralContainers") => {
                Some(Place::ContainerList)
            }
            (Place::Spec, "volumes") => Some(Place::Volumes),
            (Place::Spec, "template" | "jobTemplate" | "spec") => Some(Place::Spec),
            (Place::Spec, "metadata") => Some(Place::TemplateMetadata),
            (Place::Spec, key) if POD_SECURITY_SPEC_FIELDS.contains(&key) => Some(Place::Elsewhere),
            (Place::Spec, _) => None,
            (Place::TemplateMetadata, "annotations") => Some(Place::Elsewhere),
            (Place::TemplateMetadata, _) => None,
            (Place::Container, "ports") => Some(Place::Ports),
            (Place::Container, "livenessProbe" | "readinessProbe" | "startupProbe") => {
                Some(Place::Handler)
            }
            (Place::Container, "lifecycle") => Some(Place::Lifecycle),
            (Place::Container, key) if POD_SECURITY_CONTAINER_FIELDS.contains(&key) => {
                Some(Place::Elsewhere)
            }
            (Place::Lifecycle, "postStart" | "preStop") => Some(Place::Handler),
            (Place::Handler, "httpGet" | "tcpSocket") => Some(Place::HandlerAction),
            (Place::HandlerAction, "host") | (Place::Port, "hostPort") => Some(Place::Elsewhere),
            (Place::Volume, "name") => Some(Place::Elsewhere),
            (Place::Volume, _) => Some(Place::VolumeSource),
            (
                Place::Container
                | Place::Lifecycle
                | Place::Handler
                | Place::HandlerAction
                | Place::Port
                | Place::VolumeSource,
                _,
            ) => None,
            // A container list or `volumes` that is a map is kept as it is (Pod Security reports its type).
            _ => Some(Place::Elsewhere),
        }
    }

    /// The place of a sequence's items.
    pub(crate) fn item(self) -> Place {
        match self {
            Place::Spec => Place::Spec,
            Place::ContainerList => Place::Container,
            Place::Ports => Place::Port,
            Place::Volumes => Place::Volume,
            _ => Place::Elsewhere,
        }
    }
}

/// Builds a node and charges it to the builder's node budget.
struct NodeSeed<'b, 'de> {
    builder: &'b mut Builder<'de>,
    place: Place,
}

impl NodeSeed<'_, '_> {
    fn charge<E: de::Error>(&mut self) -> Result<(), E> {
        if self.builder.budget == 0 {
            return Err(E::custom("document has more nodes than the limit allows"));
        }
        self.builder.budget -= 1;
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, 'de> {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(mut self, deserializer: D) -> Result<Node, D::Error> {
        self.charge()?;
        deserializer
            .deserialize_any(self)
            .map(|value| Node::new(Pos::UNKNOWN, value))
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_, 'de> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(match i64::try_from(u) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(u as f64),
        })
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::Str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let builder = self.builder;
        let start = builder.items.len();
        let place = self.place.item();
        while let Some(node) = seq.next_element_seed(NodeSeed {
            builder: &mut *builder,
            place,
        })? {
            builder.items.push(node);
        }
        // Exactly sized: Drain reports its length.
        Ok(Value::Seq(builder.items.drain(start..).collect()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let builder = self.builder;
        let place = self.place;
        let start = builder.entries.len();
        // Small objects (the vast majority) are checked for duplicates linearly; big ones through a set so a
        // hostile object with 100k keys stays linear.
        let mut seen: Option<HashSet<String>> = None;
        // Skipped keys are remembered too, so a duplicate of one is still an error.
        let mut skipped: Vec<Cow<'de, str>> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let own = builder.entries.get(start..).unwrap_or_default();
            let duplicate = skipped.contains(&key)
                || match &mut seen {
                    Some(set) => set.contains(key.as_ref()),
                    None => {
                        let dup = own.iter().any(|e| e.key == key);
                        if own.len() >= 32 {
                            seen = Some(own.iter().map(|e| e.key.clone()).collect());
                        }
                        dup
                    }
                };
            if duplicate {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            let Some(child_place) = place.child(&key) else {
                map.next_value_seed(CheckedSkip {
                    keys: &mut builder.skip_keys,
                })?;
                if skipped.len() >= 32 && seen.is_none() {
                    // Many skipped keys: move every key seen so far into the set.
                    let mut set: HashSet<String> = own.iter().map(|e| e.key.clone()).collect();
                    set.extend(skipped.drain(..).map(Cow::into_owned));
                    seen = Some(set);
                }
                match &mut seen {
                    Some(set) => {
                        set.insert(key.into_owned());
                    }
                    None => skipped.push(key),
                }
                continue;
            };
            let key = key.into_owned();
            if let Some(set) = &mut seen {
                set.insert(key.clone());
            }
            let value = map.next_value_seed(NodeSeed {
                builder: &mut *builder,
                place: child_place,
            })?;
            builder.entries.push(Entry {
                key,
                key_pos: Pos::UNKNOWN,
                value,
            });
        }
        Ok(Value::Map(builder.entries.drain(start..).collect()))
    }
}

/// A map key, borrowed from the input when it has no escapes (serde_json's `&str` reader lends those), so a
/// skipped key costs no allocation.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cow<'de, str>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s))
    }
}

/// Reads a value without building it, with the checks building it would make: JSON syntax, nesting depth (the
/// deserializer's recursion limit) and duplicate keys, with the same error text. What the tree builder skips,
/// it skips through this, so skipping never lets through what building would reject.
struct CheckedSkip<'k, 'de> {
    /// Scratch stack of the keys of the maps being read (one allocation per tree build, not per map).
    keys: &'k mut Vec<Cow<'de, str>>,
}

impl<'de> DeserializeSeed<'de> for CheckedSkip<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CheckedSkip<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(CheckedSkip {
                keys: &mut *self.keys,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let keys = self.keys;
        let start = keys.len();
        // Past 32 keys, a set keeps a hostile object with 100k keys linear.
        let mut set: Option<HashSet<Cow<'de, str>>> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let duplicate = match &mut set {
                Some(set) => !set.insert(key.clone()),
                None => keys.get(start..).unwrap_or_default().contains(&key),
            };
            if duplicate {
                keys.truncate(start);
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            if set.is_none() {
                keys.push(key);
                if keys.len() - start >= 32 {
                    set = Some(keys.drain(start..).collect());
                }
            }
            map.next_value_seed(CheckedSkip { keys: &mut *keys })?;
        }
        keys.truncate(start);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Node, YamlError> {
        parse_json(text.as_bytes(), &Limits::default())
    }

    #[test]
    fn builds_the_same_values_as_from_a_decoded_value() {
        let text = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"b"}},
            "spec":{"containers":[{"name":"c","image":"nginx","ports":[{"containerPort":80}]}],
            "hostNetwork":true,"x":null,"f":1.5,"big":18446744073709551615,"neg":-3}}"#;
        let direct = parse(text).expect("valid JSON");
        let value: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        assert_eq!(direct, node_from_json_value(&value));
        assert_eq!(
            direct.path(&["metadata", "name"]).and_then(Node::as_str),
            Some("p")
        );
        assert_eq!(
            direct
                .path(&["spec", "hostNetwork"])
                .and_then(Node::as_bool),
            Some(true)
        );
        assert_eq!(
            direct.path(&["spec", "neg"]).and_then(Node::as_i64),
            Some(-3)
        );
        assert!(matches!(
            direct.path(&["spec", "big"]).map(|n| &n.value),
            Some(Value::Float(_))
        ));
        assert!(matches!(
            direct.path(&["spec", "x"]).map(|n| &n.value),
            Some(Value::Null)
        ));
    }

    #[test]
    fn duplicate_keys_are_errors_small_and_large() {
        let err = parse(r#"{"a":1,"a":2}"#).expect_err("duplicate");
        assert!(err.message.contains("duplicate key \"a\""), "{err}");
        let mut big = String::from("{");
        for i in 0..100 {
            big.push_str(&format!("\"k{i}\":{i},"));
        }
        big.push_str("\"k7\":0}");
        let err = parse(&big).expect_err("duplicate in a large object");
        assert!(err.message.contains("duplicate key \"k7\""), "{err}");
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = parse("{\n  \"a\": [1,\n  }").expect_err("broken");
        assert_eq!(err.pos.line, 3, "{err}");
        assert!(err.pos.col > 0);
        assert!(parse("{} trailing").is_err());
    }

    #[test]
    fn node_budget_and_size_are_enforced() {
        let limits = Limits {
            max_nodes: 10,
            ..Limits::default()
        };
        let err = parse_json(b"[1,2,3,4,5,6,7,8,9,10,11]", &limits).expect_err("too many nodes");
        assert!(err.message.contains("limit"), "{err}");
        assert!(parse_json(b"[1,2,3]", &limits).is_ok());
        let small = Limits {
            max_document_bytes: 4,
            ..Limits::default()
        };
        assert!(parse_json(b"[1,2,3]", &small).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "[".repeat(100_000);
        assert!(parse(&text).is_err());
        let err = serde_json::from_str::<JsonNode>(&text).expect_err("too deep");
        assert!(err.to_string().contains("recursion"), "{err}");
    }

    #[test]
    fn json_node_is_usable_inside_derived_structs() {
        #[derive(serde::Deserialize)]
        struct Review {
            object: Option<JsonNode>,
        }
        let review: Review = serde_json::from_str(r#"{"object":{"kind":"Pod"}}"#).expect("valid");
        let node = review.object.expect("present").0;
        assert_eq!(node.get("kind").and_then(Node::as_str), Some("Pod"));
    }

    #[derive(serde::Deserialize)]
    struct Admitted {
        #[serde(deserialize_with = "JsonNode::deserialize_without_bookkeeping")]
        object: JsonNode,
    }

    #[test]
    fn bookkeeping_is_skipped_only_at_the_root_and_only_on_request() {
        let object = r#"{"kind":"Pod","metadata":{"name":"p","managedFields":[{"manager":"kubectl"}],
            "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Pod\"}","a":"b"}},
            "spec":{"metadata":{"managedFields":[1]},"x":{"kubectl.kubernetes.io/last-applied-configuration":"kept"}}}"#;
        let full = parse(object).expect("valid");
        let lean: Admitted =
            serde_json::from_str(&format!(r#"{{"object":{object}}}"#)).expect("valid");
        let lean = lean.object.0;
        assert!(full.path(&["metadata", "managedFields"]).is_some());
        assert!(full
            .path(&["metadata", "annotations", LAST_APPLIED_ANNOTATION])
            .is_some());
        assert_eq!(lean.path(&["metadata", "managedFields"]), None);
        assert_eq!(
            lean.path(&["metadata", "annotations", LAST_APPLIED_ANNOTATION]),
            None
        );
        assert_eq!(
            lean.path(&["metadata", "annotations", "a"])
                .and_then(Node::as_str),
            Some("b")
        );
        // Only the root object's metadata: the same names deeper are ordinary data.
        assert_eq!(lean.get("spec"), full.get("spec"));
        assert_eq!(
            lean.path(&["metadata", "name"]),
            full.path(&["metadata", "name"])
        );
    }

    #[test]
    fn skipped_keys_still_count_for_duplicates_and_syntax() {
        let dup = r#"{"object":{"metadata":{"managedFields":[],"managedFields":[]}}}"#;
        let err = serde_json::from_str::<Admitted>(dup)
            .err()
            .expect("duplicate");
        assert!(err.to_string().contains("duplicate key"), "{err}");
        let broken = r#"{"object":{"metadata":{"managedFields":[1,]}}}"#;
        assert!(serde_json::from_str::<Admitted>(broken).is_err());
    }

    #[test]
    fn nested_maps_and_sequences_keep_their_own_entries() {
        let text =
            r#"{"a":[{"x":1,"y":[2,3]},{"x":4}],"b":{"c":{"d":[]},"e":5},"f":[[1],[2,[3]]]}"#;
        let direct = parse(text).expect("valid JSON");
        let value: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        assert_eq!(direct, node_from_json_value(&value));
    }

    #[derive(serde::Deserialize)]
    struct PodSecurityOnly {
        #[serde(deserialize_with = "JsonNode::deserialize_pod_security_fields")]
        object: JsonNode,
    }

    fn lean(object: &str) -> Result<Node, String> {
        serde_json::from_str::<PodSecurityOnly>(&format!(r#"{{"object":{object}}}"#))
            .map(|o| o.object.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn pod_security_build_keeps_what_pod_security_reads_in_pods_and_templates() {
        let container = r#"{"name":"c","image":"i","env":[{"name":"A"}],"resources":{"limits":{}},
            "ports":[{"containerPort":80,"hostPort":8080,"protocol":"TCP"}],
            "readinessProbe":{"httpGet":{"host":"h","path":"/","port":80},"periodSeconds":5},
            "lifecycle":{"preStop":{"tcpSocket":{"host":"t","port":1}},"stopSignal":"SIGTERM"},
            "securityContext":{"privileged":true,"unknownField":1}}"#;
        let expected = parse(
            r#"{"name":"c","image":"i","ports":[{"hostPort":8080}],
            "readinessProbe":{"httpGet":{"host":"h"}},"lifecycle":{"preStop":{"tcpSocket":{"host":"t"}}},
            "securityContext":{"privileged":true,"unknownField":1}}"#,
        )
        .expect("valid");
        let pod = format!(
            r#"{{"kind":"Pod","metadata":{{"name":"p","generateName":"p-","labels":{{"a":"b"}},
            "annotations":{{"x":"y"}},"ownerReferences":[{{"kind":"ReplicaSet"}}]}},
            "spec":{{"hostPID":true,"affinity":{{}},"tolerations":[],"serviceAccountName":"sa","runtimeClassName":"r",
            "volumes":[{{"name":"v","hostPath":{{"path":"/"}}}},{{"name":"w","secret":null}}],
            "containers":[{container}],"initContainers":[{container}]}},"status":{{"phase":"Running"}}}}"#
        );
        let pod = lean(&pod).expect("valid");
        assert_eq!(pod.get("status"), None);
        let metadata = parse(r#"{"name":"p","labels":{"a":"b"},"annotations":{"x":"y"}}"#);
        assert_eq!(pod.get("metadata"), Some(&metadata.expect("valid")));
        for unread in ["affinity", "tolerations", "serviceAccountName"] {
            assert_eq!(pod.path(&["spec", unread]), None, "{unread}");
        }
        assert!(pod.path(&["spec", "hostPID"]).is_some());
        assert!(pod.path(&["spec", "runtimeClassName"]).is_some());
        let volumes = parse(r#"[{"name":"v","hostPath":{}},{"name":"w","secret":null}]"#);
        assert_eq!(
            pod.path(&["spec", "volumes"]),
            Some(&volumes.expect("valid"))
        );
        for list in ["containers", "initContainers"] {
            let first = pod
                .path(&["spec", list])
                .and_then(Node::as_seq)
                .and_then(|items| items.first());
            assert_eq!(first, Some(&expected), "{list}");
        }
        let cronjob = format!(
            r#"{{"kind":"CronJob","spec":{{"schedule":"@daily","jobTemplate":{{"spec":{{"backoffLimit":1,
            "template":{{"metadata":{{"labels":{{"a":"b"}},"annotations":{{"a":"b"}}}},
            "spec":{{"containers":[{container}]}}}}}}}}}}}}"#
        );
        let cronjob = lean(&cronjob).expect("valid");
        let template = ["spec", "jobTemplate", "spec", "template"];
        let first = cronjob
            .path(&[&template[..], &["spec", "containers"]].concat())
            .and_then(Node::as_seq)
            .and_then(|items| items.first());
        assert_eq!(first, Some(&expected));
        assert!(cronjob
            .path(&[&template[..], &["metadata", "annotations", "a"]].concat())
            .is_some());
        for unread in [
            &["spec", "schedule"][..],
            &["spec", "jobTemplate", "spec", "backoffLimit"],
            &[&template[..], &["metadata", "labels"]].concat(),
        ] {
            assert_eq!(cronjob.path(unread), None, "{unread:?}");
        }
    }

    #[test]
    fn pod_security_build_rejects_what_the_full_build_rejects() {
        for object in [
            r#"{"spec":{"containers":[{"env":[{"name":"A","name":"B"}]}]}}"#,
            r#"{"spec":{"affinity":{"x":1,"x":2}}}"#,
            r#"{"status":{"a":[{"b":1,"b":1}]}}"#,
            r#"{"spec":{"containers":[{"env":1,"env":2}]}}"#,
        ] {
            let full = serde_json::from_str::<JsonNode>(object).expect_err("duplicate");
            let err = lean(object).expect_err("duplicate");
            assert!(full.to_string().starts_with("duplicate key"), "{full}");
            assert!(err.starts_with("duplicate key"), "{object}: {err}");
        }
        // Many distinct keys in a skipped map are fine; a duplicate among them is not.
        let keys: Vec<String> = (0..100).map(|i| format!(r#""k{i}":{i}"#)).collect();
        let many = format!(r#"{{"status":{{{}}}}}"#, keys.join(","));
        assert!(lean(&many).is_ok());
        let many_dup = format!(r#"{{"status":{{{},"k42":0}}}}"#, keys.join(","));
        assert!(lean(&many_dup)
            .expect_err("duplicate")
            .contains("duplicate key \"k42\""));
        assert!(lean(r#"{"status":[1,]}"#).is_err());
        assert!(lean(&format!(r#"{{"status":{}}}"#, "[".repeat(200))).is_err());
    }
}
