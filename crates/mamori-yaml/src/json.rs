//! JSON text (or an already-decoded `serde_json::Value`) → [`Node`], without going through the YAML parser.
//!
//! Objects that come from the API server (AdmissionReview bodies, LIST responses, `kubectl get -o json` dumps)
//! are JSON. Building the tree straight from serde_json's event stream is several times faster than the YAML
//! reference path and allocates only the tree itself. Nodes carry [`Pos::UNKNOWN`]: serde_json does not report
//! positions to visitors, and API objects are referenced by kind/namespace/name, not by line.
//!
//! Limits: nesting depth is bounded by serde_json's recursion limit (128), total nodes by `Limits::max_nodes`
//! (when parsing text). Duplicate keys in one object are an error, as in the YAML path.

use crate::{Limits, YamlError};
use mamori_model::{Entry, Node, Pos, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;

/// Parses one JSON document into a [`Node`] tree, enforcing `limits.max_nodes` and
/// `limits.max_document_bytes`. Errors carry serde_json's line and column.
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
    let budget = Cell::new(limits.max_nodes);
    let mut de = serde_json::Deserializer::from_slice(text);
    let node = NodeSeed { budget: &budget }
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
        serde_json::Value::Number(n) => number(n),
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

fn number(n: &serde_json::Number) -> Value {
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
        let budget = Cell::new(usize::MAX);
        NodeSeed { budget: &budget }
            .deserialize(deserializer)
            .map(JsonNode)
    }
}

/// Builds a node and charges it to a shared node budget.
struct NodeSeed<'b> {
    budget: &'b Cell<usize>,
}

impl NodeSeed<'_> {
    fn charge<E: de::Error>(&self) -> Result<(), E> {
        let left = self.budget.get();
        if left == 0 {
            return Err(E::custom("document has more nodes than the limit allows"));
        }
        self.budget.set(left - 1);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        self.charge()?;
        deserializer
            .deserialize_any(self)
            .map(|value| Node::new(Pos::UNKNOWN, value))
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
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
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(node) = seq.next_element_seed(NodeSeed {
            budget: self.budget,
        })? {
            items.push(node);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<Entry> = Vec::new();
        // Small objects (the vast majority) are checked for duplicates linearly; big ones through a set so a
        // hostile object with 100k keys stays linear.
        let mut seen: Option<HashSet<String>> = None;
        while let Some(key) = map.next_key::<String>()? {
            let duplicate = match &mut seen {
                Some(set) => !set.insert(key.clone()),
                None => {
                    let dup = entries.iter().any(|e| e.key == key);
                    if entries.len() >= 32 {
                        seen = Some(entries.iter().map(|e| e.key.clone()).collect());
                        if let Some(set) = &mut seen {
                            set.insert(key.clone());
                        }
                    }
                    dup
                }
            };
            if duplicate {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            let value = map.next_value_seed(NodeSeed {
                budget: self.budget,
            })?;
            entries.push(Entry {
                key,
                key_pos: Pos::UNKNOWN,
                value,
            });
        }
        Ok(Value::Map(entries))
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
}
