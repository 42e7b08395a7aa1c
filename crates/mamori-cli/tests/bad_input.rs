//! Every bad-input class: a clear `file:line:col: …` error on stderr, the other documents of the same run still
//! reported, exit status 2 — for both `mamori pss` and `mamori scan`.

mod common;

use common::{code, mamori, run, stderr, stdout};
use std::io::{BufWriter, Write};
use std::path::Path;

const BEFORE: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: before\nspec:\n  containers:\n    - name: a\n      image: a:1\n      securityContext:\n        privileged: true\n";
const AFTER: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: after\nspec:\n  containers:\n    - name: b\n      image: b:1\n      securityContext:\n        privileged: true\n";

/// Finds the stderr line for `file` and checks it has the `file:line:col: message` shape with the expected
/// position (when given) and message fragment.
fn assert_error_line(stderr: &str, file: &str, line: Option<u32>, fragment: &str) {
    let prefix = format!("{file}:");
    let found = stderr
        .lines()
        .find(|l| l.starts_with(&prefix) && l.contains(fragment));
    let Some(error) = found else {
        panic!("no error for {file} containing {fragment:?} in stderr:\n{stderr}");
    };
    let rest = &error[prefix.len()..];
    let mut parts = rest.splitn(3, ':');
    let error_line: u32 = parts
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no line in {error}"));
    let column: u32 = parts
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no column in {error}"));
    assert!(
        parts.next().is_some_and(|m| m.starts_with(' ')),
        "no message in {error}"
    );
    assert!(error_line >= 1 && column >= 1, "{error}");
    if let Some(expected) = line {
        assert_eq!(error_line, expected, "{error}");
    }
}

/// Runs `mamori pss` and `mamori scan --format json` on `file` and checks the error and that the neighbouring
/// documents were still evaluated.
fn check_class(file: &str, line: Option<u32>, fragment: &str) {
    let output = run(&["pss", file]);
    assert_error_line(&stderr(&output), file, line, fragment);
    let text = stdout(&output);
    assert!(
        text.contains("Pod/before: violates PodSecurity"),
        "{file}: {text}"
    );
    assert!(
        text.contains("Pod/after: violates PodSecurity"),
        "{file}: {text}"
    );
    assert_eq!(code(&output), 2, "{file}");

    let output = run(&["scan", "--format", "json", file]);
    assert_error_line(&stderr(&output), file, line, fragment);
    let value: serde_json::Value =
        serde_json::from_str(&stdout(&output)).expect("JSON report despite errors");
    let names: Vec<&str> = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["object"]["name"].as_str())
        .collect();
    assert!(
        names.contains(&"before") && names.contains(&"after"),
        "{file}: {names:?}"
    );
    let errors = value["errors"].as_array().unwrap();
    assert!(!errors.is_empty(), "{file}");
    assert!(
        errors
            .iter()
            .all(|e| e["file"] == file && e["line"].as_u64().unwrap_or(0) >= 1),
        "{errors:?}"
    );
    assert_eq!(code(&output), 2, "{file}");
}

fn write_file(path: &Path, middle: &[u8]) {
    let mut file = BufWriter::new(std::fs::File::create(path).unwrap());
    file.write_all(BEFORE.as_bytes()).unwrap();
    file.write_all(b"---\n").unwrap();
    file.write_all(middle).unwrap();
    file.write_all(b"\n---\n").unwrap();
    file.write_all(AFTER.as_bytes()).unwrap();
    file.flush().unwrap();
}

#[test]
fn yaml_syntax_error() {
    check_class("tests/fixtures/bad/syntax.yaml", None, "");
}

#[test]
fn wrong_type_where_a_field_is_read() {
    check_class(
        "tests/fixtures/bad/wrong-type.yaml",
        Some(21),
        "spec.containers[0].securityContext.privileged: expected a boolean, found a string",
    );
}

#[test]
fn helm_template() {
    check_class(
        "tests/fixtures/bad/helm.yaml",
        None,
        "this looks like a Helm/Go template",
    );
}

#[test]
fn alias_bomb() {
    check_class("tests/fixtures/bad/alias-bomb.yaml", None, "alias");
}

#[test]
fn invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.yaml");
    write_file(
        &path,
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
    );
    let file = path.to_str().unwrap();
    check_class(file, Some(15), "invalid UTF-8 (byte 0xe9)");
}

#[test]
fn absurd_nesting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.yaml");
    let mut middle = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata: ".to_vec();
    middle.extend(std::iter::repeat_n(b'[', 100_000));
    write_file(&path, &middle);
    check_class(path.to_str().unwrap(), Some(16), "nesting");
}

#[test]
fn huge_single_document() {
    // 110 MB in one document, over the default 64 MiB limit; generated, never committed.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    {
        let mut file = BufWriter::new(std::fs::File::create(&path).unwrap());
        file.write_all(BEFORE.as_bytes()).unwrap();
        file.write_all(b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\ndata:\n")
            .unwrap();
        // Few keys with long values: the point is the byte size, not a million-entry map.
        let value = "x".repeat(11_000);
        for i in 0..10_000u32 {
            writeln!(file, "  key{i:07}: {value}").unwrap();
        }
        file.write_all(b"---\n").unwrap();
        file.write_all(AFTER.as_bytes()).unwrap();
        file.flush().unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() > 100_000_000);
    let file = path.to_str().unwrap();
    check_class(file, Some(12), "larger than the 64 MiB limit");

    // Raising the limit makes the same document load.
    let output = mamori()
        .args(["pss", "--max-document-size", "256MiB", file])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1, "{}", stderr(&output));
}

#[test]
fn all_classes_in_one_run_keep_going() {
    let output = run(&["scan", "--format", "json", "tests/fixtures/bad"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let error_files: Vec<&str> = value["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["file"].as_str())
        .collect();
    for name in [
        "alias-bomb.yaml",
        "helm.yaml",
        "syntax.yaml",
        "wrong-type.yaml",
    ] {
        assert!(
            error_files.iter().any(|f| f.ends_with(name)),
            "{name} not in {error_files:?}"
        );
    }
    // Two good pods per file, each with one privileged finding.
    let privileged = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "pss.privileged")
        .count();
    assert_eq!(privileged, 8);
    assert_eq!(code(&output), 2);
}
