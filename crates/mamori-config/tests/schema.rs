//! The hand-written JSON Schema (docs/mamori.schema.json) agrees with the parser: the example config validates,
//! invalid configs do not, and the schema names exactly the keys the parser accepts.

use mamori_model::{Node, Value};
use serde_json::Value as Json;

fn to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Str(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.value)))
                .collect(),
        ),
    }
}

fn yaml(text: &str) -> Json {
    let node = mamori_yaml::parse_document(text, 1, &mamori_yaml::Limits::default())
        .unwrap()
        .unwrap();
    to_json(&node)
}

fn schema() -> Json {
    serde_json::from_str(mamori_config::SCHEMA).unwrap()
}

#[test]
fn example_config_validates_against_the_schema() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let example = yaml(include_str!("../../../docs/mamori.example.yaml"));
    let errors: Vec<String> = validator
        .iter_errors(&example)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn schema_rejects_what_the_parser_rejects() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    for bad in [
        "colour: red\n",
        "pss:\n  level: strict\n",
        "severity:\n  pss.privileged: severe\n",
        "exceptions:\n  - rules: [pss.privileged]\n    reason: r\n    owner: o\n",
        "exceptions:\n  - rules: [pss.privileged]\n    reason: r\n    owner: o\n    expires: 31.03.2027\n",
        "rules:\n  disable: [\"pss.[ab]\"]\n",
    ] {
        assert!(!validator.is_valid(&yaml(bad)), "schema accepts {bad:?}");
        assert!(mamori_config::parse(bad, "m.yaml".into()).is_err(), "parser accepts {bad:?}");
    }
}

#[test]
fn schema_keys_match_the_parser_keys() {
    let schema = schema();
    for (section, keys) in mamori_config::accepted_keys() {
        let properties = match section {
            "" => &schema["properties"],
            "exceptions[]" => &schema["$defs"]["exception"]["properties"],
            name => &schema["properties"][name]["properties"],
        };
        let mut in_schema: Vec<&str> = properties
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut in_parser: Vec<&str> = keys.to_vec();
        in_schema.sort_unstable();
        in_parser.sort_unstable();
        assert_eq!(in_schema, in_parser, "section {section:?}");
    }
}
