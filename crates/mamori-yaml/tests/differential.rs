//! Differential tests: whenever the fast path accepts a document, its tree (values, keys, every position) must
//! equal the reference path's. Generated Kubernetes-like documents must also be accepted (the fast path is
//! useless if it bails on what kubectl and helm print), and so must the repository's examples and the upstream
//! Pod Security conformance manifests.

use mamori_model::Node;
use mamori_yaml::{parse_document_fast, parse_document_reference, Limits};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// Debug text compares floats bit-exactly and treats NaN as equal to itself, unlike `PartialEq`.
fn render(tree: &Option<Node>) -> String {
    format!("{tree:#?}")
}

/// `Ok(true)`: fast accepted and agreed; `Ok(false)`: fast bailed; `Err`: a disagreement.
fn compare(text: &str, first_line: u32) -> Result<bool, String> {
    let limits = Limits::default();
    let Some(fast) = parse_document_fast(text, first_line, &limits) else {
        return Ok(false);
    };
    match parse_document_reference(text, first_line, &limits) {
        Ok(reference) if render(&reference) == render(&fast) => Ok(true),
        Ok(reference) => Err(format!(
            "trees differ for:\n{text}\n--- fast\n{}\n--- reference\n{}",
            render(&fast),
            render(&reference)
        )),
        Err(e) => Err(format!(
            "fast accepted what the reference rejects ({e}):\n{text}"
        )),
    }
}

// ---- a generated document model ------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Gen {
    /// Single-line scalar text, already rendered (plain or quoted).
    Scalar(String),
    /// Single-line flow collection, already rendered.
    Flow(String),
    /// A block scalar: header (`|`, `>-`, ...) and its lines (empty = blank line).
    Block(String, Vec<String>),
    Map(Vec<(String, Gen)>),
    Seq(Vec<Gen>),
}

/// Layout choices: kubectl prints sequences at their key's indentation; humans and helm often indent them.
#[derive(Debug, Clone, Copy)]
struct Style {
    indent: usize,
    indentless_seqs: bool,
    comments: bool,
}

fn plain_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,10}",
        any::<i64>().prop_map(|i| i.to_string()),
        (-1000i32..1000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        "[0-9]{1,3}e[+-]?[0-9]{1,2}",
        "0x[0-9A-Fa-f]{1,6}",
        "0o?[0-7]{1,4}",
        "[1-9]_[0-9]{3}",
        prop::sample::select(vec![
            "true",
            "false",
            "True",
            "FALSE",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "~",
            "null",
            "Null",
            "NULL",
            ".inf",
            "-.inf",
            "+.INF",
            ".nan",
            ".NaN",
            "100m",
            "256Mi",
            "25%",
            "1.2.3",
            "-1",
            "+1",
            "0",
            "-0",
            "089",
            "1e",
            "0x",
            "--",
            "::1",
            "?x",
            ":x",
            "-x",
            "a b c",
            "a#b",
            "a:b",
            "a,b",
            "x]",
            "x}",
            "v1.2",
            "2024-05-02T10:11:12Z",
            "IfNotPresent",
            "/dev/null",
            "日本語",
            "héllo wörld",
            "emoji 🚀",
            "a'b",
            "a\"b",
            "key=value",
            "a!b",
        ])
        .prop_map(str::to_owned),
        "/[a-z]{1,5}(/[a-z0-9._-]{1,5}){0,3}",
        "https?://[a-z]{1,6}\\.example\\.com(:[0-9]{2,4})?/[a-z]{0,5}",
        "[a-z]{1,4}\\.[a-z]{1,4}/[a-z]{1,6}:[0-9]\\.[0-9]{1,2}(@sha256:[0-9a-f]{8})?",
    ]
}

fn single_quoted() -> impl Strategy<Value = String> {
    "[ -~éü日]{0,12}".prop_map(|s| format!("'{}'", s.replace('\'', "''")))
}

fn double_quoted() -> impl Strategy<Value = String> {
    "[ -~éü日\n\t\u{7}]{0,12}".prop_map(|s| {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\u{7}' => out.push_str("\\u0007"),
                'é' => out.push_str("\\u00e9"),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    })
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![4 => plain_scalar(), 1 => single_quoted(), 1 => double_quoted()]
}

/// Flow-safe scalars: no characters that end a flow plain scalar.
fn flow_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9.-]{0,8}",
        any::<i32>().prop_map(|i| i.to_string()),
        prop::sample::select(vec!["true", "null", "~", "100m", "-x", "1.5", "0x1F"])
            .prop_map(str::to_owned),
        single_quoted(),
        double_quoted(),
    ]
}

fn flow() -> impl Strategy<Value = String> {
    let leaf = flow_scalar();
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec(("[a-z][a-z0-9]{0,5}", inner), 0..4).prop_map(|entries| {
                let mut seen = std::collections::HashSet::new();
                let body: Vec<String> = entries
                    .into_iter()
                    .filter(|(k, _)| seen.insert(k.clone()))
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect();
                format!("{{{}}}", body.join(", "))
            }),
        ]
    })
    .prop_filter("a collection", |s| s.starts_with(['[', '{']))
}

fn block_scalar() -> impl Strategy<Value = Gen> {
    (
        prop::sample::select(vec!["|", "|-", "|+", ">", ">-", ">+"]),
        "[a-zA-Z0-9#:é][a-zA-Z0-9 #:'\"é-]{0,15}",
        prop::collection::vec(
            prop_oneof![
                Just(String::new()),
                "[a-zA-Z0-9#:é][a-zA-Z0-9 #:'\"é-]{0,15}"
            ],
            0..5,
        ),
    )
        .prop_map(|(header, first, rest)| {
            let mut lines = vec![first];
            lines.extend(rest);
            Gen::Block(header.to_owned(), lines)
        })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z][a-zA-Z0-9]{0,10}",
        1 => "[a-z]{1,5}\\.kubernetes\\.io/[a-z-]{1,8}",
        1 => "\"[a-z :#]{1,6}\"",
        1 => "'[a-z ]{1,6}'",
        1 => "[0-9]{1,4}",
    ]
}

fn unique_keys(entries: Vec<(String, Gen)>) -> Vec<(String, Gen)> {
    let mut seen = std::collections::HashSet::new();
    entries
        .into_iter()
        .filter(|(k, _)| seen.insert(k.trim_matches(['"', '\'']).to_owned()))
        .collect()
}

fn document() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        6 => scalar().prop_map(Gen::Scalar),
        1 => flow().prop_map(Gen::Flow),
        1 => block_scalar(),
    ];
    let tree = leaf.prop_recursive(6, 80, 6, |inner| {
        prop_oneof![
            prop::collection::vec((key(), inner.clone()), 1..6)
                .prop_map(|e| Gen::Map(unique_keys(e))),
            prop::collection::vec(inner, 1..5).prop_map(Gen::Seq),
        ]
    });
    prop::collection::vec((key(), tree), 1..6).prop_map(|e| Gen::Map(unique_keys(e)))
}

fn style() -> impl Strategy<Value = Style> {
    (
        prop::sample::select(vec![2usize, 4]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(indent, indentless_seqs, comments)| Style {
            indent,
            indentless_seqs,
            comments,
        })
}

// ---- rendering -----------------------------------------------------------------------------------------------

struct Renderer {
    style: Style,
    out: String,
    /// Deterministic counter that decides where optional comments and blank lines go.
    tick: usize,
}

impl Renderer {
    fn maybe(&mut self, every: usize) -> bool {
        self.tick += 1;
        self.style.comments && self.tick % every == 0
    }

    fn end_line(&mut self) {
        if self.maybe(3) {
            self.out.push_str("   # trailing comment");
        }
        self.out.push('\n');
        if self.maybe(5) {
            self.out.push('\n');
        }
        if self.maybe(7) {
            self.out.push_str("  # a comment line\n");
        }
    }

    fn pad(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    /// A value after `key:` or `- ` on the current line; `indent` is the enclosing collection's indentation.
    fn inline_value(&mut self, value: &Gen, indent: usize, in_seq: bool) {
        match value {
            Gen::Scalar(s) | Gen::Flow(s) => {
                self.out.push(' ');
                self.out.push_str(s);
                self.end_line();
            }
            Gen::Block(header, lines) => {
                self.out.push(' ');
                self.out.push_str(header);
                self.out.push('\n');
                for line in lines {
                    if !line.is_empty() {
                        self.pad(indent + self.style.indent);
                        self.out.push_str(line);
                    }
                    self.out.push('\n');
                }
            }
            Gen::Map(entries) if in_seq => {
                self.out.push(' ');
                self.map(entries, indent + 2, true);
            }
            Gen::Seq(items) if in_seq => {
                self.out.push(' ');
                self.seq(items, indent + 2, true);
            }
            Gen::Map(entries) => {
                self.end_line();
                self.map(entries, indent + self.style.indent, false);
            }
            Gen::Seq(items) => {
                self.end_line();
                let seq_indent = if self.style.indentless_seqs {
                    indent
                } else {
                    indent + self.style.indent
                };
                self.seq(items, seq_indent, false);
            }
        }
    }

    fn map(&mut self, entries: &[(String, Gen)], indent: usize, first_inline: bool) {
        for (i, (key, value)) in entries.iter().enumerate() {
            if i > 0 || !first_inline {
                self.pad(indent);
            }
            self.out.push_str(key);
            self.out.push(':');
            self.inline_value(value, indent, false);
        }
    }

    fn seq(&mut self, items: &[Gen], indent: usize, first_inline: bool) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 || !first_inline {
                self.pad(indent);
            }
            self.out.push('-');
            self.inline_value(item, indent, true);
        }
    }
}

fn render_doc(doc: &Gen, style: Style, leading_marker: bool) -> String {
    let mut r = Renderer {
        style,
        out: String::new(),
        tick: 0,
    };
    if leading_marker {
        r.out.push_str("---\n");
    }
    match doc {
        Gen::Map(entries) => r.map(entries, 0, false),
        Gen::Seq(items) => r.seq(items, 0, false),
        other => r.inline_value(other, 0, false),
    }
    r.out
}

/// Characters that matter to YAML, for mutating valid documents into edge cases.
const MUTATIONS: &[&str] = &[
    " ", "  ", "\n", ":", ": ", "-", "- ", "#", " #", "'", "\"", "[", "]", "{", "}", ",", "|", ">",
    "&a ", "*a", "!", "?", "%", "@", "`", "\\", "\t", "---\n", "...", "<<: ", "é", "\u{85}", "0",
    "~", "\r\n",
];

// ---- properties --------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("MAMORI_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(768), failure_persistence: None, ..ProptestConfig::default() })]

    /// Kubernetes-like documents in every layout are accepted and equal the reference.
    #[test]
    fn generated_manifests_are_accepted_and_equal(
        doc in document(), style in style(), marker in any::<bool>(), first_line in 1u32..50,
    ) {
        let text = render_doc(&doc, style, marker);
        match compare(&text, first_line) {
            Ok(true) => {}
            Ok(false) => prop_assert!(false, "fast path bailed on a common shape:\n{}", text),
            Err(e) => prop_assert!(false, "{}", e),
        }
    }

    /// Mutated documents: anything may happen, but what the fast path accepts equals the reference.
    #[test]
    fn mutated_documents_never_disagree(
        doc in document(), style in style(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(MUTATIONS), any::<bool>()), 1..4),
    ) {
        let mut text = render_doc(&doc, style, false);
        for (at, insert, delete) in edits {
            let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let i = boundaries[at.index(boundaries.len())];
            if delete && i < text.len() {
                text.remove(i);
            } else {
                text.insert_str(i, insert);
            }
        }
        if let Err(e) = compare(&text, 1) {
            prop_assert!(false, "{}", e);
        }
    }
}

// ---- corpora -----------------------------------------------------------------------------------------------

/// Splits a multi-document file at `---` lines, returning each document with its first line number.
fn split_documents(text: &str) -> Vec<(u32, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut first_line = 1u32;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let line_no = u32::try_from(i).expect("line count") + 1;
        if line.trim_end() == "---" {
            if !current.trim().is_empty() {
                docs.push((first_line, std::mem::take(&mut current)));
            }
            current.clear();
            first_line = line_no + 1;
            continue;
        }
        current.push_str(line);
    }
    if !current.trim().is_empty() {
        docs.push((first_line, current));
    }
    docs
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// Acceptance ratio and agreement over every document of every YAML file under `dir`.
fn check_corpus(dir: &Path) -> (usize, usize) {
    let mut files = Vec::new();
    yaml_files(dir, &mut files);
    assert!(!files.is_empty(), "no YAML files under {}", dir.display());
    let (mut total, mut accepted) = (0, 0);
    let mut bailed = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable UTF-8");
        for (first_line, doc) in split_documents(&text) {
            total += 1;
            match compare(&doc, first_line) {
                Ok(true) => accepted += 1,
                Ok(false) => bailed.push(format!("{}:{first_line}", file.display())),
                Err(e) => panic!("{}:{first_line}: {e}", file.display()),
            }
        }
    }
    eprintln!(
        "{}: fast path accepted {accepted}/{total} documents; bailed on {:?}",
        dir.display(),
        bailed.iter().take(10).collect::<Vec<_>>()
    );
    (total, accepted)
}

#[test]
fn repository_examples_are_all_accepted() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"));
    let (total, accepted) = check_corpus(dir);
    assert!(total > 0);
    assert_eq!(
        accepted, total,
        "every example document takes the fast path"
    );
}

#[test]
fn test_data_is_accepted() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"));
    let (total, accepted) = check_corpus(dir);
    assert_eq!(accepted, total);
}

/// The upstream Pod Security conformance manifests (kubectl-style output of the upstream test generator).
#[test]
fn psa_conformance_manifests_are_all_accepted() {
    let shared = std::env::var("MAMORI_SHARED_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared").to_owned());
    let dir = Path::new(&shared).join("conformance/psa/testdata");
    assert!(
        dir.is_dir(),
        "conformance data missing at {} (set MAMORI_SHARED_DIR)",
        dir.display()
    );
    let (total, accepted) = check_corpus(&dir);
    assert!(total > 1000, "only {total} documents found");
    assert_eq!(accepted, total);
}

/// Inputs the property tests once found the fast path accepting while the reference rejects or differs.
/// Each must either bail or agree exactly.
#[test]
fn found_disagreements_stay_fixed() {
    let cases = [
        // A lone `-` word before a flow indicator: the reference rejects it (CI run on 2026-11-29).
        "a: [a -]\n",
        "a: [a- -]\n",
        "a: [a -,b]\n",
        "a: [a  -]\n",
        "a: [a - -]\n",
        "a: {b: a -}\n",
        "a: [[1.5, x], [-1, true], a- -]\n",
        // Neighbours the reference accepts: they must still agree.
        "a: [a - ]\n",
        "a: [a -x]\n",
        "a: {a -: b}\n",
        "a: [a -#]\n",
    ];
    for text in cases {
        if let Err(e) = compare(text, 1) {
            panic!("{e}");
        }
    }
    // The fast path must still take the accepted neighbours rather than bailing on every ` -`.
    assert_eq!(compare("a: [a -x]\n", 1), Ok(true));
}
