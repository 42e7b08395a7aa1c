//! Snapshot files: fetched objects written as multi-document YAML or as one JSON `v1 List`, both read back by
//! `mamori scan FILE` (and by kubectl). Written object by object, so memory does not grow with the cluster.
//!
//! The YAML is block style as kubectl writes it. A string is written plain only when it is made of
//! `[A-Za-z0-9_./-]`, starts with a letter, `_` or `/`, and is none of the words YAML 1.1 reads as null or a
//! boolean; every other string is double-quoted with escapes, so no value can change type or break the
//! document on the way back (tested by re-parsing).

use mamori_model::{K8sObject, Node, Value};
use std::io::{self, Write};

/// The file format of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotFormat {
    /// One YAML document per object (`---` separated); each document stays small, whatever the cluster size.
    Yaml,
    /// One JSON document: `{"apiVersion":"v1","kind":"List","items":[…]}` (one item per line).
    Json,
}

/// Streams objects into a snapshot file: [`SnapshotWriter::new`] → [`SnapshotWriter::object`]* →
/// [`SnapshotWriter::finish`].
pub struct SnapshotWriter<W: Write> {
    out: W,
    format: SnapshotFormat,
    objects: u64,
}

impl<W: Write> SnapshotWriter<W> {
    /// Starts a snapshot; `header` lines become YAML comments at the top (the JSON form has no comments).
    pub fn new(mut out: W, format: SnapshotFormat, header: &[String]) -> io::Result<Self> {
        match format {
            SnapshotFormat::Yaml => {
                for line in header {
                    // One comment line each, whatever the text holds.
                    let line: String = line
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect();
                    writeln!(out, "# {line}")?;
                }
            }
            SnapshotFormat::Json => {
                out.write_all(b"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[")?
            }
        }
        Ok(SnapshotWriter {
            out,
            format,
            objects: 0,
        })
    }

    /// Appends one object.
    pub fn object(&mut self, object: &K8sObject) -> io::Result<()> {
        let mut text = String::new();
        match self.format {
            SnapshotFormat::Yaml => {
                text.push_str("---\n");
                yaml_document(&object.root, &mut text);
            }
            SnapshotFormat::Json => {
                text.push_str(if self.objects == 0 { "\n" } else { ",\n" });
                json_value(&object.root, &mut text);
            }
        }
        self.objects += 1;
        self.out.write_all(text.as_bytes())
    }

    /// Closes the document and flushes; returns the writer and the number of objects written.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        if self.format == SnapshotFormat::Json {
            self.out.write_all(b"\n]}\n")?;
        }
        self.out.flush()?;
        Ok((self.out, self.objects))
    }
}

/// The YAML text of one document whose root is `node` (a map for Kubernetes objects).
pub fn yaml_document(node: &Node, out: &mut String) {
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => yaml_map(entries, 0, false, out),
        Value::Seq(items) if !items.is_empty() => yaml_seq(items, 0, out),
        _ => {
            yaml_scalar(node, out);
            out.push('\n');
        }
    }
}

fn yaml_map(entries: &[mamori_model::Entry], indent: usize, first_inline: bool, out: &mut String) {
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 || !first_inline {
            push_indent(indent, out);
        }
        yaml_string(&entry.key, out);
        out.push(':');
        match &entry.value.value {
            Value::Map(inner) if !inner.is_empty() => {
                out.push('\n');
                yaml_map(inner, indent + 2, false, out);
            }
            Value::Seq(items) if !items.is_empty() => {
                out.push('\n');
                // kubectl style: a list under a key is not indented further.
                yaml_seq(items, indent, out);
            }
            _ => {
                out.push(' ');
                yaml_scalar(&entry.value, out);
                out.push('\n');
            }
        }
    }
}

fn yaml_seq(items: &[Node], indent: usize, out: &mut String) {
    for item in items {
        push_indent(indent, out);
        match &item.value {
            Value::Map(entries) if !entries.is_empty() => {
                out.push_str("- ");
                yaml_map(entries, indent + 2, true, out);
            }
            Value::Seq(inner) if !inner.is_empty() => {
                out.push_str("-\n");
                yaml_seq(inner, indent + 2, out);
            }
            _ => {
                out.push_str("- ");
                yaml_scalar(item, out);
                out.push('\n');
            }
        }
    }
}

fn push_indent(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar, or an empty collection in flow style.
fn yaml_scalar(node: &Node, out: &mut String) {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) if f.is_nan() => out.push_str(".nan"),
        Value::Float(f) if f.is_infinite() => out.push_str(if *f > 0.0 { ".inf" } else { "-.inf" }),
        Value::Float(f) => out.push_str(&float_text(*f)),
        Value::Str(text) => yaml_string(text, out),
        Value::Seq(_) => out.push_str("[]"),
        Value::Map(_) => out.push_str("{}"),
    }
}

/// A finite float in a form both YAML and JSON read back as the same float (never as an integer).
fn float_text(f: f64) -> String {
    // `{:?}` is the shortest text that round-trips and always has a `.` or an exponent.
    let text = format!("{f:?}");
    if text.contains(['.', 'e', 'E']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// The words go-yaml v2 resolves to null or a boolean.
const YAML_WORDS: [&str; 27] = [
    "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On",
    "ON", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "~", "",
];

fn is_plain_safe(text: &str) -> bool {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == b'_' || first == b'/')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-'))
        && !YAML_WORDS.contains(&text)
}

fn yaml_string(text: &str, out: &mut String) {
    if is_plain_safe(text) {
        out.push_str(text);
        return;
    }
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Outside YAML's printable set (C0/C1 controls, DEL, BOM, non-characters): escaped.
            c if c.is_control() || matches!(c, '\u{feff}' | '\u{fffe}' | '\u{ffff}') => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Compact JSON of a node.
pub fn json_value(node: &Node, out: &mut String) {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        // JSON has no NaN or infinity (API objects never hold them).
        Value::Float(f) if !f.is_finite() => out.push_str("null"),
        Value::Float(f) => out.push_str(&float_text(*f)),
        Value::Str(text) => json_string(text, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_value(item, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, entry) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(&entry.key, out);
                out.push(':');
                json_value(&entry.value, out);
            }
            out.push('}');
        }
    }
}

fn json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_model::{Entry, Pos};
    use mamori_yaml::Limits;

    fn node(value: Value) -> Node {
        Node::new(Pos::UNKNOWN, value)
    }

    fn text(s: &str) -> Node {
        node(Value::Str(s.to_owned()))
    }

    fn map(entries: Vec<(&str, Node)>) -> Node {
        node(Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| Entry {
                    key: key.to_owned(),
                    key_pos: Pos::UNKNOWN,
                    value,
                })
                .collect(),
        ))
    }

    /// The same tree, positions aside (NaN compared as NaN).
    fn same(a: &Node, b: &Node) -> bool {
        match (&a.value, &b.value) {
            (Value::Float(x), Value::Float(y)) => (x.is_nan() && y.is_nan()) || x == y,
            (Value::Seq(x), Value::Seq(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Value::Map(x), Value::Map(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|(a, b)| a.key == b.key && same(&a.value, &b.value))
            }
            (x, y) => x == y,
        }
    }

    /// Strings that look like other types, or that would break a plain or quoted scalar.
    const TRICKY: [&str; 40] = [
        "", "true", "False", "yes", "no", "on", "OFF", "y", "N", "null", "~", "0", "007", "0x1F",
        "1e3", "1_000", "+1", "-1", ".5", ".inf", "-.inf", ".nan", "1.0", "a: b", "a #b", "#x",
        "- x", "[a]", "{a}", "*alias", "&anchor", "!tag", "|", ">", "%x", "@x", "`x", "'q'",
        "\"d\"", "x\\y",
    ];

    fn sample() -> Node {
        let mut entries = vec![
            ("apiVersion", text("v1")),
            ("kind", text("ConfigMap")),
            ("int", node(Value::Int(-42))),
            ("big", node(Value::Int(i64::MAX))),
            ("float", node(Value::Float(1.0))),
            // (serde_json's default float parsing is not exact for every value, e.g. 1.5e-300.)
            ("small", node(Value::Float(-0.125))),
            ("huge", node(Value::Float(1e300))),
            ("nan", node(Value::Float(f64::NAN))),
            ("inf", node(Value::Float(f64::NEG_INFINITY))),
            ("bool", node(Value::Bool(false))),
            ("null", node(Value::Null)),
            ("emptyMap", map(vec![])),
            ("emptySeq", node(Value::Seq(vec![]))),
            (
                "multi",
                text("line one\nline two\n\ttab \u{1b}[31m \u{7f} \u{85} \u{feff} é ✓"),
            ),
            ("weird key: #1", text("v")),
            (
                "nested",
                node(Value::Seq(vec![
                    map(vec![
                        ("name", text("a")),
                        ("ports", node(Value::Seq(vec![node(Value::Int(80))]))),
                    ]),
                    node(Value::Seq(vec![text("x"), node(Value::Seq(vec![]))])),
                    map(vec![]),
                    node(Value::Null),
                ])),
            ),
        ];
        for tricky in TRICKY {
            entries.push((tricky, text(tricky)));
        }
        // Keys are unique in a map ("null" is both a sample key and a tricky one).
        let mut seen = std::collections::HashSet::new();
        entries.retain(|(key, _)| seen.insert(*key));
        let list: Vec<Node> = TRICKY.iter().map(|t| text(t)).collect();
        entries.push(("list", node(Value::Seq(list))));
        map(entries)
    }

    #[test]
    fn yaml_round_trips_through_the_parser() {
        let original = sample();
        let mut yaml = String::new();
        yaml_document(&original, &mut yaml);
        let parsed = mamori_yaml::parse_document(&yaml, 1, &Limits::default())
            .unwrap_or_else(|err| panic!("{}: {}\n{yaml}", err.pos.line, err.message))
            .expect("a document");
        assert!(same(&original, &parsed), "differs:\n{yaml}");
        // The reference parser agrees.
        let reference = mamori_yaml::parse_document_reference(&yaml, 1, &Limits::default())
            .expect("parses")
            .expect("a document");
        assert!(same(&original, &reference));
    }

    #[test]
    fn json_round_trips_through_the_parser() {
        let mut original = sample();
        // JSON has no NaN or infinity.
        if let Value::Map(entries) = &mut original.value {
            entries.retain(|e| e.key != "nan" && e.key != "inf");
        }
        let mut json = String::new();
        json_value(&original, &mut json);
        let parsed =
            mamori_yaml::parse_json(json.as_bytes(), &Limits::default()).expect("valid JSON");
        assert!(same(&original, &parsed), "differs:\n{json}");
    }

    #[test]
    fn writer_streams_documents_and_a_list() {
        let object = K8sObject {
            source: mamori_model::SourceRef {
                file: std::sync::Arc::from("cluster:x"),
                doc_index: 0,
                pos: Pos::UNKNOWN,
            },
            id: std::sync::Arc::default(),
            root: map(vec![
                ("apiVersion", text("v1")),
                ("kind", text("Namespace")),
            ]),
        };
        let mut writer =
            SnapshotWriter::new(Vec::new(), SnapshotFormat::Yaml, &["context\nx".to_owned()])
                .unwrap();
        writer.object(&object).unwrap();
        writer.object(&object).unwrap();
        let (bytes, count) = writer.finish().unwrap();
        assert_eq!(count, 2);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "# context x\n---\napiVersion: v1\nkind: Namespace\n---\napiVersion: v1\nkind: Namespace\n"
        );
        let mut writer = SnapshotWriter::new(Vec::new(), SnapshotFormat::Json, &[]).unwrap();
        writer.object(&object).unwrap();
        writer.object(&object).unwrap();
        let (bytes, _) = writer.finish().unwrap();
        let list = mamori_yaml::parse_json(&bytes, &Limits::default()).unwrap();
        assert_eq!(list.get("kind").and_then(Node::as_str), Some("List"));
        assert_eq!(
            list.get("items").and_then(Node::as_seq).map(<[Node]>::len),
            Some(2)
        );
        let (empty, count) = SnapshotWriter::new(Vec::new(), SnapshotFormat::Json, &[])
            .and_then(SnapshotWriter::finish)
            .unwrap();
        assert_eq!(count, 0);
        assert!(mamori_yaml::parse_json(&empty, &Limits::default()).is_ok());
    }
}
