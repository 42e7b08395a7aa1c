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
