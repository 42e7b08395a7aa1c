//! `mamori rbac` end to end: who-can, can and risks on the mamori-rbac fixtures, every format, exit statuses.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../mamori-rbac/tests/fixtures"
    ))
    .join(name)
    .display()
    .to_string()
}

fn mamori(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(args)
        .output()
        .expect("mamori runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn who_can_table_names_binding_and_role() {
    let out = mamori(&[
        "rbac",
        "who-can",
        "get",
        "secrets",
        "-n",
        "development",
        &fixture("scoping.yaml"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(
        text.starts_with("Who can get secrets in namespace development:"),
        "{text}"
    );
    assert!(text.contains("User:dave"), "{text}");
    assert!(
        text.contains("RoleBinding development/read-secrets"),
        "{text}"
    );
    assert!(text.contains("ClusterRole secret-reader"), "{text}");
    assert!(text.contains("2 subject(s)"), "{text}");
}

#[test]
fn who_can_json_and_non_resource_urls() {
    let out = mamori(&[
        "rbac",
        "who-can",
        "get",
        "/healthz/etcd",
        "--format",
        "json",
        &fixture("non-resource.yaml"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(value["subjects"][0]["subject"], "Group:monitoring");
    assert_eq!(
        value["subjects"][0]["grants"][0]["binding"]["name"],
        "health"
    );
    assert_eq!(value["subjects"].as_array().map(Vec::len), Some(1));
}

#[test]
fn who_can_reads_stdin() {
    let text = std::fs::read(fixture("subresources.yaml")).expect("fixture");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args([
            "rbac",
            "who-can",
            "create",
            "pods/exec",
            "-n",
            "default",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(&text).expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(stdout(&out).contains("User:ops"), "{}", stdout(&out));
}

#[test]
fn can_table_and_json() {
    let out = mamori(&[
        "rbac",
        "can",
        "ServiceAccount:dev:builder",
        "-n",
        "dev",
        &fixture("groups.yaml"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("secrets") && text.contains("get,list,watch"),
        "{text}"
    );
    assert!(text.contains("(as Group:system:serviceaccounts)"), "{text}");
    let out = mamori(&[
        "rbac",
        "can",
        "ServiceAccount:dev:builder",
        "-n",
        "dev",
        "--format",
        "json",
        &fixture("groups.yaml"),
    ]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(value["permissions"].as_array().map(Vec::len), Some(3));
}

#[test]
fn can_rejects_a_malformed_subject() {
    let out = mamori(&[
        "rbac",
        "can",
        "ServiceAccount:nonamespace",
        &fixture("groups.yaml"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ServiceAccount:NAMESPACE:NAME"));
}

#[test]
fn risks_exit_status_follows_fail_on() {
    let path = fixture("paths/pod-create.yaml");
    assert_eq!(mamori(&["rbac", "risks", &path]).status.code(), Some(1));
    assert_eq!(
        mamori(&["rbac", "risks", "--fail-on", "none", &path])
            .status
            .code(),
        Some(0)
    );
    // No dangerous permission at all: exit 0 whatever the gate.
    let harmless = fixture("resource-names.yaml");
    assert_eq!(mamori(&["rbac", "risks", &harmless]).status.code(), Some(0));
    assert_eq!(
        mamori(&["rbac", "risks", "--fail-on", "info", &harmless])
            .status
            .code(),
        Some(0)
    );
    // Critical findings, gate at critical: still 1.
    assert_eq!(
        mamori(&["rbac", "risks", "--fail-on", "critical", &path])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn risks_formats() {
    let path = fixture("paths/secret-read.yaml");
    let text = stdout(&mamori(&["rbac", "risks", &path]));
    assert!(
        text.contains("1. User:reader can read secrets in namespace kube-system"),
        "{text}"
    );
    assert!(
        text.contains(
            "via Secret kube-system/admin-sa-token (type kubernetes.io/service-account-token)"
        ),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&mamori(&["rbac", "risks", "--format", "json", &path]).stdout)
            .expect("JSON");
    let with_path = json["risks"]
        .as_array()
        .and_then(|r| r.iter().find(|x| !x["path"].is_null()))
        .expect("a path");
    assert_eq!(with_path["path"]["kind"], "secret-read");
    assert_eq!(with_path["severity"], "critical");
    let dot = stdout(&mamori(&["rbac", "risks", "--format", "dot", &path]));
    assert!(
        dot.starts_with("digraph escalation {") && dot.contains("\"User:reader\""),
        "{dot}"
    );
    let mermaid = stdout(&mamori(&["rbac", "risks", "--format", "mermaid", &path]));
    assert!(
        mermaid.starts_with("flowchart LR") && mermaid.contains("-->|"),
        "{mermaid}"
    );
}

#[test]
fn unreadable_input_exits_2() {
    let out = mamori(&["rbac", "risks", "/nonexistent/rbac.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}
