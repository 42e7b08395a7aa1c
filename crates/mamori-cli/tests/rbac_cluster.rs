//! `mamori rbac … --cluster` against the fake API server (HTTPS on 127.0.0.1, the real kube client path): the
//! answers equal those over a `kubectl get -o yaml` dump of the same objects, and a forbidden LIST is reported
//! (exit 2) instead of silently analysing less.

#[path = "../../mamori-cluster/tests/support/fake_api.rs"]
mod fake_api;

use fake_api::{fixture, scenario, FakeApi};
use std::path::Path;
use std::process::{Command, Output};

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.rbac-reader";
const CONTEXT: &str = "shop-admin@fake";

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mamori"))
        .current_dir(dir)
        .env_remove("KUBECONFIG")
        .env("HOME", dir)
        .args(args)
        .output()
        .expect("run mamori")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The same question asked of the live cluster and of the dump gives the same JSON answer.
fn assert_same_answer(api: &FakeApi, dir: &Path, question: &[&str]) -> serde_json::Value {
    let kubeconfig = api.kubeconfig(dir, CONTEXT, TOKEN).display().to_string();
    let mut live_args: Vec<&str> = question.to_vec();
    live_args.extend(["--format", "json", "--cluster", "--kubeconfig", &kubeconfig]);
    let live = run(dir, &live_args);
    let dump = fixture("kubectl-get-all.yaml");
    let mut file_args: Vec<&str> = question.to_vec();
    file_args.extend(["--format", "json", &dump]);
    let offline = run(dir, &file_args);
    assert_eq!(
        live.status.code(),
        offline.status.code(),
        "{question:?}\nlive: {}\noffline: {}",
        text(&live.stderr),
        text(&offline.stderr)
    );
    let live_json: serde_json::Value = serde_json::from_slice(&live.stdout).unwrap_or_else(|err| {
        panic!(
            "{question:?}: live output is not JSON ({err}): {}",
            text(&live.stderr)
        )
    });
    let offline_json: serde_json::Value =
        serde_json::from_slice(&offline.stdout).expect("offline output is JSON");
    // Where each object came from differs by construction (`cluster:<context>` against `file:line`); the answer
    // itself must not.
    let (live_json, offline_json) = (without_sources(live_json), without_sources(offline_json));
    assert_eq!(live_json, offline_json, "{question:?}");
    live_json
}

/// The value with every source member (`file`, `line`, `column`, `location`) removed.
fn without_sources(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => map
            .into_iter()
            .filter(|(key, _)| !matches!(key.as_str(), "file" | "line" | "column" | "location"))
            .map(|(key, value)| (key, without_sources(value)))
            .collect(),
        serde_json::Value::Array(items) => items.into_iter().map(without_sources).collect(),
        other => other,
    }
}

#[test]
fn live_cluster_answers_equal_the_dump_answers() {
    let api = FakeApi::start(TOKEN, scenario("shop"));
    let dir = tempfile::tempdir().expect("temporary directory");
    let who = assert_same_answer(&api, dir.path(), &["rbac", "who-can", "get", "secrets"]);
    assert!(
        who.to_string().contains("everyone-reads-secrets"),
        "the insecure shop lets every authenticated user read secrets: {who}"
    );
    assert_same_answer(
        &api,
        dir.path(),
        &["rbac", "who-can", "create", "pods", "-n", "shop"],
    );
    assert_same_answer(&api, dir.path(), &["rbac", "risks"]);
}

#[test]
fn a_forbidden_rbac_list_is_an_error_not_a_smaller_answer() {
    let mut routes = scenario("shop");
    for route in &mut routes {
        if route.path.ends_with("/clusterroles") {
            route.status = 403;
            route.file = fixture("status-403-clusterroles.json");
        }
    }
    let api = FakeApi::start(TOKEN, routes);
    let dir = tempfile::tempdir().expect("temporary directory");
    let kubeconfig = api
        .kubeconfig(dir.path(), CONTEXT, TOKEN)
        .display()
        .to_string();
    let out = run(
        dir.path(),
        &[
            "rbac",
            "who-can",
            "get",
            "secrets",
            "--cluster",
            "--kubeconfig",
            &kubeconfig,
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("clusterroles"), "{stderr}");
}
