//! Validates mamori's SARIF with Microsoft's SARIF multitool (JSON schema + SARIF rules + GitHub ingestion
//! rules). The validator's path comes from `SARIF_MULTITOOL` (set by `.ci/test`); without it this test fails.

mod common;

use common::{code, mamori};
use std::path::Path;
use std::process::Command;

const INSTALL_HINT: &str = "SARIF_MULTITOOL is not set. Install the validator and point the variable at it:\n  \
    npm install --prefix .tools @microsoft/sarif-multitool && chmod u+x .tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool\n  \
    export SARIF_MULTITOOL=$PWD/.tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool\n\
    (or run `bash .ci/test`, which does both)";

fn validator() -> String {
    match std::env::var("SARIF_MULTITOOL") {
        Ok(path) if !path.is_empty() => path,
        _ => panic!("{INSTALL_HINT}"),
    }
}

/// Writes mamori's SARIF for `args` (run from the repository root, as users do) and returns the validator's
/// error lines.
fn validate(name: &str, args: &[&str], expected_status: i32, dir: &Path) -> Vec<String> {
    let sarif = dir.join(format!("{name}.sarif"));
    let output = mamori()
        .current_dir(common::repo_dir())
        .args([
            "scan",
            "--format",
            "sarif",
            "--output",
            sarif.to_str().unwrap(),
        ])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        code(&output),
        expected_status,
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let result = Command::new(validator())
        .args([
            "validate",
            "--rule-kind",
            "Gh;Sarif",
            "--level",
            "Error;Warning;Note",
        ])
        .arg(&sarif)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run SARIF_MULTITOOL ({e}); {INSTALL_HINT}"));
    let report = String::from_utf8_lossy(&result.stdout).into_owned();
    assert!(
        result.status.success(),
        "validator failed on {name}:\n{report}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        report.contains("Analysis completed successfully"),
        "validator did not finish on {name}:\n{report}"
    );
    report
        .lines()
        .filter(|l| l.contains(": error "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn sarif_of_the_examples_passes_the_multitool() {
    let dir = tempfile::tempdir().unwrap();
    let mut errors = Vec::new();
    errors.extend(validate(
        "insecure",
        &["examples/insecure-app"],
        1,
        dir.path(),
    ));
    errors.extend(validate(
        "hardened",
        &["examples/hardened-app"],
        0,
        dir.path(),
    ));
    errors.extend(validate("all", &["examples/"], 1, dir.path()));
    // Input errors become toolExecutionNotifications; those must validate too.
    errors.extend(validate(
        "errors",
        &["crates/mamori-cli/tests/fixtures/bad"],
        2,
        dir.path(),
    ));
    assert!(
        errors.is_empty(),
        "SARIF validation errors:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_validator_catches_an_invalid_log() {
    // Guards against a validator that silently accepts everything (e.g. a wrong binary).
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.sarif");
    std::fs::write(
        &bad,
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m."},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.yaml"},"region":{"startLine":0}}}]}]}]}"#,
    )
    .unwrap();
    let result = Command::new(validator())
        .args(["validate", "--rule-kind", "Gh;Sarif"])
        .arg(&bad)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run SARIF_MULTITOOL ({e}); {INSTALL_HINT}"));
    let report = String::from_utf8_lossy(&result.stdout);
    assert!(
        report.contains(": error "),
        "expected errors for an invalid log:\n{report}"
    );
}

/// Independent of the .NET tool: validates the same logs against the official SARIF 2.1.0 JSON schema (the copy
/// shipped in the npm package next to the validator binary) with the `jsonschema` crate.
#[test]
fn sarif_matches_the_official_json_schema() {
    let schema_path = Path::new(&validator()).with_file_name("sarif-2.1.0.json");
    let schema_text = std::fs::read_to_string(&schema_path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); {INSTALL_HINT}",
            schema_path.display()
        )
    });
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    let schema_validator = jsonschema::validator_for(&schema).expect("schema compiles");

    let cases: [(&[&str], i32); 3] = [
        (&["examples/insecure-app"], 1),
        (&["examples/hardened-app"], 0),
        (&["crates/mamori-cli/tests/fixtures/bad", "-"], 2),
    ];
    let pod = std::fs::read(common::crate_dir().join("tests/fixtures/pss/nginx-pod.yaml")).unwrap();
    for (paths, expected) in cases {
        let mut child = mamori()
            .current_dir(common::repo_dir())
            .args(["scan", "--format", "sarif"])
            .args(paths)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            stdin.write_all(&pod).unwrap();
        }
        let output = child.wait_with_output().unwrap();
        assert_eq!(code(&output), expected, "{paths:?}");
        let log: serde_json::Value = serde_json::from_slice(&output.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = schema_validator
            .iter_errors(&log)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{paths:?} violates the SARIF schema:\n{}",
            errors.join("\n")
        );
    }

    // The schema check can fail: a region starting at line 0 is rejected.
    let invalid: serde_json::Value = serde_json::json!({
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m."},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.yaml"}, "region": {"startLine": 0}}}]}]}]
    });
    assert!(!schema_validator.is_valid(&invalid));
}
