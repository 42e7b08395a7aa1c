//! Loader behaviour on good and bad input: every bad-input class gives a clear, positioned error and the other
//! documents of the same run still load.

use mamori_load::{load_all, read_stream, Input, Limits, LoadError, Loaded, RawDocument};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\nspec:\n  containers:\n  - name: c\n    image: x\n";

fn write(dir: &Path, name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, content).unwrap();
    path
}

fn load_text(content: &[u8]) -> (Vec<String>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "in.yaml", content);
    split(
        load_all(&[Input::Path(path.clone())], &Limits::default()),
        &path,
    )
}

/// (object names, errors/notes rendered with the file name replaced by `F`).
fn split(items: Vec<Loaded>, path: &Path) -> (Vec<String>, Vec<String>) {
    let file = path.to_string_lossy().to_string();
    let mut names = Vec::new();
    let mut messages = Vec::new();
    for item in items {
        match item {
            Loaded::Object(obj) => names.push(format!("{}@{}", obj.id.name, obj.source.pos.line)),
            Loaded::Note(note) => messages.push(note.to_string().replace(&file, "F")),
            Loaded::Error(err) => messages.push(err.to_string().replace(&file, "F")),
        }
    }
    (names, messages)
}

fn pod(name: &str) -> String {
    POD.replace("name: ok", &format!("name: {name}"))
}

#[test]
fn yaml_syntax_error_is_positioned_and_others_load() {
    let text = format!("{}---\nkind: [unclosed\n---\n{}", pod("a"), pod("b"));
    let (names, messages) = load_text(text.as_bytes());
    assert_eq!(names, ["a@1", "b@12"]);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("F:11:1: ") && messages[0].contains("flow sequence"),
        "{messages:?}"
    );
}

#[test]
fn wrong_types_are_clear_errors() {
    let text = format!(
        "apiVersion: 1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [x]\n---\n- a\n---\n{}",
        pod("good")
    );
    let (names, messages) = load_text(text.as_bytes());
    assert_eq!(names, ["good@11"]);
    assert_eq!(
        messages,
        [
            "F:1:13: apiVersion must be a string, found integer",
            "F:7:9: metadata.name must be a string, found list",
            "F:9:1: document 3 is a list, not a Kubernetes object (expected a map with apiVersion and kind)",
        ]
    );
}

#[test]
fn missing_identity_is_a_note_and_empty_documents_are_silent() {
    let text = format!(
        "{}---\n# only a comment\n---\nfoo: bar\n---\n{}",
        pod("a"),
        pod("b")
    );
    let (names, messages) = load_text(text.as_bytes());
    assert_eq!(names, ["a@1", "b@14"]);
    assert_eq!(
        messages,
        ["F:12: document 2 has no apiVersion/kind; skipped"]
    );
}

#[test]
fn invalid_utf8_names_the_byte_and_others_load() {
    let mut text = pod("a").into_bytes();
    text.extend_from_slice(b"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\xff\n---\n");
    text.extend_from_slice(pod("c").as_bytes());
    let (names, messages) = load_text(&text);
    assert_eq!(names, ["a@1", "c@15"]);
    assert_eq!(messages, ["F:13:10: invalid UTF-8 (byte 0xff)"]);
}

#[test]
fn alias_bomb_is_rejected_and_others_load() {
    let mut bomb =
        String::from("apiVersion: v1\nkind: ConfigMap\na0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let prev = level - 1;
        bomb.push_str(&format!(
            "a{level}: &a{level} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    let text = format!("{}---\n{bomb}---\n{}", pod("a"), pod("b"));
    let started = std::time::Instant::now();
    let (names, messages) = load_text(text.as_bytes());
    assert!(started.elapsed().as_secs() < 10);
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].starts_with("F:1"), "{messages:?}");
}

#[test]
fn absurd_nesting_is_rejected_and_others_load() {
    let deep = format!(
        "apiVersion: v1\nkind: ConfigMap\ndata: {}\n",
        "[".repeat(100_000)
    );
    let text = format!("{}---\n{deep}---\n{}", pod("a"), pod("b"));
    let (names, messages) = load_text(text.as_bytes());
    assert_eq!(names.len(), 2, "{names:?} {messages:?}");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].starts_with("F:12:"), "{messages:?}");
}

#[test]
fn helm_template_is_detected_and_others_load() {
    let chart = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n";
    let prometheus = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: r\nspec:\n  \
                      groups:\n  - rules:\n    - alert: High\n      annotations:\n        summary: \"{{ $labels.job }} high\"\n        \
                      description: |\n          {{ $value }} is {{- if true }} high{{ end }}\n";
    let text = format!("{}---\n{chart}---\n{prometheus}", pod("a"));
    let (names, messages) = load_text(text.as_bytes());
    assert_eq!(names, ["a@1", "r@15"]);
    assert_eq!(
        messages,
        ["F:13:9: this looks like a Helm/Go template ({{ ... }}), not a rendered manifest; render it first: \
          helm template <release> <chart> | mamori scan -"]
    );
}

#[test]
fn list_kinds_expand_with_item_positions() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p1\n\
                - foo: bar\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: d1\n---\n\
                apiVersion: v1\nkind: PodList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p2\n";
    let (names, messages) = load_text(text.as_bytes());
    assert_eq!(names, ["p1@4", "d1@9", "p2@17"]);
    assert_eq!(messages, ["F:8:3: List item 1 has no apiVersion/kind"]);
}

#[test]
fn bom_crlf_and_inline_document_content() {
    let text = format!(
        "\u{feff}{}---\r\n{}--- {{apiVersion: v1, kind: Pod, metadata: {{name: c}}}}\n",
        pod("a"),
        pod("b")
    )
    .replace("\n", "\r\n")
    .replace("\r\r\n", "\r\n");
    let (names, messages) = load_text(text.as_bytes());
    assert!(messages.is_empty(), "{messages:?}");
    assert_eq!(names, ["a@1", "b@10", "c@18"]);
}

#[test]
fn directories_are_walked_recursively_in_sorted_order() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b.yaml", pod("b").as_bytes());
    write(dir.path(), "a/z.yml", pod("az").as_bytes());
    write(
        dir.path(),
        "a/y.json",
        br#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ay"}}"#,
    );
    write(dir.path(), "a/readme.txt", b"not yaml: [");
    write(dir.path(), "c.YAML", pod("c").as_bytes());
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
    let items = load_all(&[Input::Path(dir.path().to_path_buf())], &Limits::default());
    let (names, messages) = split(items, dir.path());
    assert!(messages.is_empty(), "{messages:?}");
    assert_eq!(names, ["ay@1", "az@1", "b@1", "c@1"]);
}

#[test]
fn missing_path_is_named() {
    let items = load_all(
        &[Input::Path("/nonexistent/x.yaml".into())],
        &Limits::default(),
    );
    let messages: Vec<String> = items
        .into_iter()
        .filter_map(|item| match item {
            Loaded::Error(err) => Some(err.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(messages, ["/nonexistent/x.yaml: no such file or directory"]);
}

#[test]
fn stdin_reader_api_streams_documents() {
    let input = format!("{}---\n{}", pod("a"), pod("b"));
    let mut docs = Vec::new();
    read_stream(
        input.as_bytes(),
        Arc::from("-"),
        false,
        &Limits::default(),
        &mut |item| docs.push(item),
    );
    let docs: Vec<RawDocument> = docs.into_iter().map(Result::unwrap).collect();
    assert_eq!(docs.len(), 2);
    assert_eq!(
        (docs[1].file.as_ref(), docs[1].doc_index, docs[1].first_line),
        ("-", 1, 10)
    );
    assert_eq!(docs[1].text, pod("b"));
}

#[test]
fn oversize_document_with_small_limit_resumes_at_next_marker() {
    let limits = Limits {
        max_document_bytes: 1024,
        ..Limits::default()
    };
    let big = format!(
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: {}\n",
        "y".repeat(5000)
    );
    let input = format!("{}---\n{big}---\n{}", pod("a"), pod("b"));
    let mut items: Vec<Result<RawDocument, LoadError>> = Vec::new();
    read_stream(
        input.as_bytes(),
        Arc::from("f"),
        false,
        &limits,
        &mut |item| items.push(item),
    );
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[1].as_ref().unwrap_err().to_string(),
        "f:10:1: document 2 is larger than the 1 KiB limit (raise with --max-document-size)"
    );
    assert_eq!(items[2].as_ref().unwrap().doc_index, 2);
    assert_eq!(items[2].as_ref().unwrap().first_line, 15);
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn a_300_mb_document_gives_one_error_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        out.write_all(pod("before").as_bytes()).unwrap();
        out.write_all(b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\ndata:\n")
            .unwrap();
        let line = format!("  key: {}\n", "v".repeat(1000));
        for _ in 0..300_000 {
            out.write_all(line.as_bytes()).unwrap();
        }
        out.write_all(b"---\n").unwrap();
        out.write_all(pod("after").as_bytes()).unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() > 300_000_000);
    let before = peak_rss_kib();
    let mut names = Vec::new();
    let mut errors = Vec::new();
    let limits = Limits::default();
    mamori_load::read_documents(
        &[Input::Path(path.clone())],
        &limits,
        &mut |item| match item {
            Ok(doc) => {
                for loaded in mamori_load::parse_raw(&doc, &limits) {
                    if let Loaded::Object(obj) = loaded {
                        names.push(obj.id.name.clone());
                    }
                }
            }
            Err(err) => errors.push(err.to_string()),
        },
    );
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    assert_eq!(names, ["before", "after"]);
    let file = path.to_string_lossy();
    assert_eq!(
        errors,
        [format!("{file}:10:1: document 2 is larger than the 64 MiB limit (raise with --max-document-size)")]
    );
    // One document buffer of at most the limit (plus growth slack), never the whole 300 MB.
    assert!(grown_mib < 200, "peak RSS grew by {grown_mib} MiB");
    eprintln!("300 MB document: peak RSS grew by {grown_mib} MiB");
}
