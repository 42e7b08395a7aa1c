//! Output of `mamori pss`: one line (text) or one JSON record per pod-bearing object, in input order.
//!
//! Text, byte for byte:
//! ```text
//! <file>:<line>: <Kind>/<name>: violates PodSecurity "<level>:<version>": <ForbiddenDetail>
//! <file>:<line>: <Kind>/<name>: allowed
//! ```
//! JSON (one line, streamed record by record):
//! `{"results":[{"file":…,"line":N,"column":N,"kind":…,"namespace":…|null,"name":…,"level":…,"version":…,
//! "allowed":bool,"detail":…,"violations":[{"check":…,"reason":…,"detail":…}]}],"errors":[{"file":…,"line":N,
//! "column":N,"message":…}],"notes":[…same shape as errors…]}`. `namespace` is the object's
//! `metadata.namespace`, or `null` when it has none.

use crate::Diagnostic;
use serde::Serialize;
use std::io::{self, Write};
use std::sync::Arc;

/// The policy a `mamori pss` run evaluates, as the user wrote it (`restricted`, `latest`).
#[derive(Debug, Clone, Copy)]
pub struct PssPolicy<'a> {
    pub level: &'a str,
    pub version: &'a str,
}

/// One evaluated pod-bearing object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PssRecord {
    pub file: Arc<str>,
    /// 1-based line/column of the object's first node.
    pub line: u32,
    pub column: u32,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub allowed: bool,
    /// Upstream `ForbiddenDetail()`; empty when allowed.
    pub detail: String,
    pub violations: Vec<PssViolation>,
}

/// One failed check, with upstream's reason and detail strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PssViolation {
    pub check: String,
    pub reason: String,
    pub detail: String,
}

/// Writes the text line of one record.
pub fn write_text(
    record: &PssRecord,
    policy: PssPolicy<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    write!(
        out,
        "{}:{}: {}/{}: ",
        record.file, record.line, record.kind, record.name
    )?;
    if record.allowed {
        writeln!(out, "allowed")
    } else {
        let policy_text = format!("{}:{}", policy.level, policy.version);
        writeln!(
            out,
            "violates PodSecurity {}: {}",
            go_quote(&policy_text),
            record.detail
        )
    }
}

#[derive(Serialize)]
struct JsonRecord<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    level: &'a str,
    version: &'a str,
    allowed: bool,
    detail: &'a str,
    violations: &'a [PssViolation],
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
}

/// Streams the JSON document: records are written as they arrive; errors and notes at the end.
pub struct PssJsonWriter<'w> {
    out: &'w mut dyn Write,
    records: u64,
}

impl<'w> PssJsonWriter<'w> {
    /// Starts the document.
    pub fn new(out: &'w mut dyn Write) -> io::Result<PssJsonWriter<'w>> {
        out.write_all(b"{\"results\":[")?;
        Ok(PssJsonWriter { out, records: 0 })
    }

    /// Appends one result.
    pub fn record(&mut self, record: &PssRecord, policy: PssPolicy<'_>) -> io::Result<()> {
        if self.records > 0 {
            self.out.write_all(b",")?;
        }
        self.records += 1;
        let json = JsonRecord {
            file: &record.file,
            line: record.line,
            column: record.column,
            kind: &record.kind,
            namespace: record.namespace.as_deref(),
            name: &record.name,
            level: policy.level,
            version: policy.version,
            allowed: record.allowed,
            detail: &record.detail,
            violations: &record.violations,
        };
        serde_json::to_writer(&mut *self.out, &json).map_err(io::Error::other)
    }

    /// Closes the results array, writes errors and notes, and ends the document with a newline.
    pub fn finish(self, errors: &[Diagnostic], notes: &[Diagnostic]) -> io::Result<()> {
        // Borrowed structs keep the documented key order (serde_json::Value would sort keys).
        fn list(items: &[Diagnostic]) -> Vec<JsonDiagnostic<'_>> {
            items
                .iter()
                .map(|d| JsonDiagnostic {
                    file: &d.file,
                    line: d.pos.line,
                    column: d.pos.col,
                    message: &d.message,
                })
                .collect()
        }
        self.out.write_all(b"],\"errors\":")?;
        serde_json::to_writer(&mut *self.out, &list(errors)).map_err(io::Error::other)?;
        self.out.write_all(b",\"notes\":")?;
        serde_json::to_writer(&mut *self.out, &list(notes)).map_err(io::Error::other)?;
        self.out.write_all(b"}\n")
    }
}

/// Go's `%q` (`strconv.Quote`) for the strings mamori quotes: escapes `"` and `\`, uses `\a \b \f \n \r \t \v`,
/// `\xNN` for other ASCII controls and `\u`/`\U` for non-printable non-ASCII; printable Unicode is kept.
pub fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let code = u32::from(c);
                if code > 0xffff {
                    out.push_str(&format!("\\U{code:08x}"));
                } else {
                    out.push_str(&format!("\\u{code:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_model::Pos;

    const POLICY: PssPolicy<'static> = PssPolicy {
        level: "restricted",
        version: "latest",
    };

    fn violating() -> PssRecord {
        PssRecord {
            file: Arc::from("pod.yaml"),
            line: 3,
            column: 1,
            kind: "Pod".into(),
            namespace: None,
            name: "web".into(),
            allowed: false,
            detail: "privileged (container \"app\" must not set securityContext.privileged=true)"
                .into(),
            violations: vec![PssViolation {
                check: "privileged".into(),
                reason: "privileged".into(),
                detail: "container \"app\" must not set securityContext.privileged=true".into(),
            }],
        }
    }

    #[test]
    fn text_lines() {
        let mut out = Vec::new();
        write_text(&violating(), POLICY, &mut out).unwrap();
        let allowed = PssRecord {
            allowed: true,
            detail: String::new(),
            violations: vec![],
            ..violating()
        };
        write_text(&allowed, POLICY, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "pod.yaml:3: Pod/web: violates PodSecurity \"restricted:latest\": privileged (container \"app\" must not set securityContext.privileged=true)\npod.yaml:3: Pod/web: allowed\n"
        );
    }

    #[test]
    fn json_document_shape() {
        let mut out = Vec::new();
        let mut writer = PssJsonWriter::new(&mut out).unwrap();
        writer.record(&violating(), POLICY).unwrap();
        let namespaced = PssRecord {
            namespace: Some("shop".into()),
            ..violating()
        };
        writer.record(&namespaced, POLICY).unwrap();
        let error = Diagnostic {
            file: Arc::from("bad.yaml"),
            pos: Pos::new(2, 7),
            message: "boom".into(),
        };
        writer.finish(&[error], &[]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(
            "{\"results\":[{\"file\":\"pod.yaml\",\"line\":3,\"column\":1,\"kind\":\"Pod\",\"namespace\":null,\"name\":\"web\",\"level\":\"restricted\",\"version\":\"latest\",\"allowed\":false,\"detail\":"
        ));
        assert!(text.ends_with(
            "],\"errors\":[{\"file\":\"bad.yaml\",\"line\":2,\"column\":7,\"message\":\"boom\"}],\"notes\":[]}\n"
        ));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["results"][1]["namespace"], "shop");
        assert_eq!(value["results"][0]["violations"][0]["check"], "privileged");
    }

    #[test]
    fn empty_json_document() {
        let mut out = Vec::new();
        PssJsonWriter::new(&mut out)
            .unwrap()
            .finish(&[], &[])
            .unwrap();
        assert_eq!(out, b"{\"results\":[],\"errors\":[],\"notes\":[]}\n");
    }

    #[test]
    fn go_quote_matches_strconv_quote() {
        assert_eq!(go_quote("restricted:latest"), "\"restricted:latest\"");
        assert_eq!(
            go_quote("a\"b\\c\n\u{1}é\u{85}"),
            "\"a\\\"b\\\\c\\n\\x01é\\u0085\""
        );
    }
}
