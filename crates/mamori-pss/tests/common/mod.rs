//! Test helpers shared by the integration tests.
#![allow(dead_code)]

use mamori_model::{Entry, Node, Pos, Value};
use mamori_pss::{pod_template, Evaluator, Level, LevelVersion, PodView, PssResult, Version};

/// Converts JSON into a Node, giving every node a distinct synthetic position (line = visit order) so
/// evidence positions can be asserted.
pub fn node_from_json(value: &serde_json::Value) -> Node {
    let mut line = 0;
    convert(value, &mut line)
}

fn convert(value: &serde_json::Value, line: &mut u32) -> Node {
    *line += 1;
    let pos = Pos::new(*line, 1);
    let converted = match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(items) => {
            Value::Seq(items.iter().map(|i| convert(i, line)).collect())
        }
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| {
                    let key_pos = Pos::new(*line + 1, 1);
                    Entry {
                        key: k.clone(),
                        key_pos,
                        value: convert(v, line),
                    }
                })
                .collect(),
        ),
    };
    Node::new(pos, converted)
}

/// Builds the view of a Pod given as JSON; panics (test-only) on non-pod input.
pub fn view_of(pod: &serde_json::Value) -> PodView {
    let root = node_from_json(pod);
    let kind = root
        .get("kind")
        .and_then(Node::as_str)
        .unwrap_or("Pod")
        .to_owned();
    let template = pod_template(&kind, &root).expect("pod-bearing kind");
    PodView::from_template(&template).expect("well-typed pod")
}

pub fn lv(level: Level, version: &str) -> LevelVersion {
    LevelVersion::new(level, Version::parse(version).expect("valid version"))
}

pub fn eval(pod: &serde_json::Value, level: Level, version: &str) -> PssResult {
    Evaluator::new().evaluate(lv(level, version), &view_of(pod))
}
