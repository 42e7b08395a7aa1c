//! End-to-end: `mamori rules`, `rules explain` for every rule, `config validate|schema`, and `scan` with a
//! mamori.yaml (disabled rules, severity overrides, exceptions, expiry, unused report, --pss-only, progress).

mod common;

use common::{code, mamori, stderr, stdout};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  template:
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1.0
        securityContext:
          privileged: true
";

fn json_findings(out: &str) -> Vec<(String, String)> {
    let report: serde_json::Value = serde_json::from_str(out).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn json_notes(out: &str) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(out).unwrap();
    report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn explain_works_for_every_rule_id() {
    let list = mamori()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&list), 0);
    let rules: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.len() > 19,
        "PSS checks and the catalogue: {}",
        ids.len()
    );
    assert!(ids.contains(&"pss.privileged") && ids.contains(&"workload.default-namespace"));
    for id in ids {
        let out = mamori().args(["rules", "explain", id]).output().unwrap();
        assert_eq!(code(&out), 0, "{id}: {}", stderr(&out));
        let text = stdout(&out);
        for heading in [
            "Why it matters:",
            "How to fix:",
            "References:",
            "Fails:",
            "Passes (fixed):",
        ] {
            assert!(text.contains(heading), "{id}: no {heading}\n{text}");
        }
        assert!(text.starts_with(&format!("{id} — ")), "{text}");
        // The failing example really fails: its finding (or upstream message) is shown.
        assert!(
            text.contains("Finding on the failing example:")
                || text.contains("Upstream message on the failing example:"),
            "{id}: no finding on its failing example\n{text}"
        );
        if id.starts_with("pss.") {
            assert!(text.contains("Pod Security: enforced at"), "{text}");
        }
    }
}

#[test]
fn rules_list_filters_and_unknown_ids() {
    let out = mamori()
        .args([
            "rules",
            "--severity",
            "critical",
            "--phase",
            "runtime-compute",
        ])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.contains("pss.privileged"));
    assert!(!text.contains("pss.hostPorts"));
    let out = mamori()
        .args(["rules", "explain", "pss.privilegd"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("did you mean \"pss.privileged\"?"));
}

#[test]
fn config_validate_and_schema() {
    let out = mamori()
        .args(["config", "validate", "../../docs/mamori.example.yaml"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("valid (2 exceptions"));
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "mamori.yaml",
        "rules:\n  disable: [pss.priviledged]\nexceptions:\n  - rules: [pss.privileged]\n",
    );
    let out = mamori()
        .args(["config", "validate", &bad])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("mamori.yaml:2:13: unknown rule id \"pss.priviledged\" in rules.disable (did you mean \"pss.privileged\"?)"), "{err}");
    assert!(
        err.contains("mamori.yaml:4:5: exceptions[0]: `expires` is required"),
        "{err}"
    );
    let out = mamori().args(["config", "schema"]).output().unwrap();
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["title"], "mamori.yaml");
}

#[test]
fn scan_with_config_applies_overrides_exceptions_and_reports_governance() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(dir.path(), "app.yaml", DEPLOYMENT);
    let config = write(
        dir.path(),
        "mamori.yaml",
        "rules:
  disable: [\"image.*\", \"workload.*\"]
  enable: [workload.default-namespace]
severity:
  workload.default-namespace: high
exceptions:
  - id: web-privileged
    rules: [pss.privileged]
    names: [web]
    reason: r
    owner: team-a
    expires: 2026-11-28
  - id: stale
    rules: [pss.hostPorts]
    reason: r
    owner: team-b
    expires: 2026-11-28
  - id: old
    rules: [\"pss.*\"]
    reason: r
    owner: team-c
    expires: 2026-11-27
",
    );
    let scan = |today: &str, extra: &[&str]| {
        mamori()
            .env("MAMORI_TODAY", today)
            .args([
                "scan",
                "--format",
                "json",
                "--pss-level",
                "baseline",
                "--fail-on",
                "none",
                "--config",
                &config,
            ])
            .args(extra)
            .arg(&manifest)
            .output()
            .unwrap()
    };
    let out = scan("2026-11-28", &["--report-unused-exceptions"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = stdout(&out);
    assert_eq!(
        json_findings(&report),
        [("workload.default-namespace".to_owned(), "high".to_owned())]
    );
    let notes = json_notes(&report);
    assert!(notes.iter().any(|n| n == "warning: exception \"old\" (owner team-c) expired on 2026-11-27; it no longer applies"), "{notes:?}");
    assert!(
        notes.iter().any(|n| n.starts_with(
            "warning: exception \"stale\" (owner team-b, expires 2026-11-28) matched no finding"
        )),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n == "1 suppressed by exceptions"),
        "{notes:?}"
    );
    assert!(
        stderr(&out).contains("mamori.yaml:18:5: warning: exception \"old\""),
        "{}",
        stderr(&out)
    );

    // The next day the exception has expired: the finding is back.
    let out = scan("2026-11-29", &[]);
    let found = json_findings(&stdout(&out));
    assert!(
        found.contains(&("pss.privileged".to_owned(), "critical".to_owned())),
        "{found:?}"
    );
    assert!(
        !stderr(&out).contains("matched no finding"),
        "unused report only on request"
    );

    // --pss-only: no catalogue rule.
    let out = scan("2026-11-29", &["--pss-only"]);
    assert_eq!(
        json_findings(&stdout(&out)),
        [("pss.privileged".to_owned(), "critical".to_owned())]
    );
}

#[test]
fn scan_picks_up_mamori_yaml_in_the_working_directory_and_reports_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.yaml", DEPLOYMENT);
    write(
        dir.path(),
        "mamori.yaml",
        "pss:\n  level: baseline\nrules:\n  disable: [\"*\"]\n  enable: [pss.privileged]\n",
    );
    let out = mamori()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "app.yaml"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["policy"]["pssLevel"], "baseline");
    assert_eq!(
        json_findings(&stdout(&out)),
        [("pss.privileged".to_owned(), "critical".to_owned())]
    );
    // --no-config ignores it.
    let out = mamori()
        .current_dir(dir.path())
        .args(["scan", "--no-config", "--format", "json", "app.yaml"])
        .output()
        .unwrap();
    assert!(json_findings(&stdout(&out)).len() > 1);

    write(dir.path(), "mamori.yaml", "rules:\n  disabel: []\n");
    let out = mamori()
        .current_dir(dir.path())
        .args(["scan", "app.yaml"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(
            "mamori.yaml:2:3: unknown key \"disabel\" in rules (did you mean \"disable\"?)"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_progress_output_when_stderr_is_not_a_terminal() {
    let out = mamori()
        .args([
            "scan",
            "--pss-only",
            "--fail-on",
            "none",
            "--no-config",
            "tests/fixtures/pss/workloads.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    let err = stderr(&out);
    assert!(!err.contains('\r') && !err.contains("documents"), "{err:?}");
}
