//! `mamori scan --cluster` and `mamori snapshot` against the fake API server (HTTPS on 127.0.0.1, the real kube
//! client path): live scan, snapshot and offline scan give identical findings; every output format; the error
//! cases exit 2 after reporting what could be read.

#[path = "../../mamori-cluster/tests/support/fake_api.rs"]
mod fake_api;

use fake_api::{fixture, scenario, FakeApi, Route};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.cli-reader";
const CONTEXT: &str = "shop-admin@fake";

fn mamori(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
    // No mamori.yaml discovery from the crate directory, no KUBECONFIG from the environment.
    command
        .current_dir(dir)
        .env_remove("KUBECONFIG")
        .env("HOME", dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    mamori(dir).args(args).output().expect("run mamori")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fake cluster, a kubeconfig for it and a scratch directory.
struct Cluster {
    api: FakeApi,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    fn start(routes: Vec<Route>) -> Cluster {
        let api = FakeApi::start(TOKEN, routes);
        let dir = tempfile::tempdir().expect("temporary directory");
        let kubeconfig = api.kubeconfig(dir.path(), CONTEXT, TOKEN);
        Cluster {
            api,
            dir,
            kubeconfig,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// `mamori <args> --kubeconfig <ours>` (the flag is added after the subcommand's own arguments).
    fn run(&self, args: &[&str]) -> Output {
        let kubeconfig = self.kubeconfig.display().to_string();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--kubeconfig", &kubeconfig]);
        run(self.dir.path(), &all)
    }
}

/// `(ruleId, kind, namespace, name, message)` of every finding of a JSON report, in report order.
fn findings(report: &[u8]) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(report).expect("JSON report");
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let object = &f["object"];
            format!(
                "{} | {}/{}/{} | {}",
                f["ruleId"].as_str().unwrap_or_default(),
                object["kind"].as_str().unwrap_or_default(),
                object["namespace"].as_str().unwrap_or("-"),
                object["name"].as_str().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}

fn objects_scanned(report: &[u8]) -> u64 {
    let report: serde_json::Value = serde_json::from_slice(report).expect("JSON report");
    report["summary"]["objectsScanned"]
        .as_u64()
        .unwrap_or_default()
}

const SCAN_JSON: [&str; 6] = [
    "scan",
    "--no-config",
    "--no-progress",
    "--format",
    "json",
    "--fail-on",
];

#[test]
fn live_scan_snapshot_and_offline_scan_give_identical_findings() {
    let cluster = Cluster::start(scenario("shop"));
    let live = cluster.run(&[&SCAN_JSON[..], &["none", "--cluster"]].concat());
    assert_eq!(live.status.code(), Some(0), "{}", text(&live.stderr));
    let live_findings = findings(&live.stdout);
    assert!(live_findings.len() > 100, "{}", live_findings.len());
    // Every kind of finding the rules give for a cluster: workloads, pods, RBAC, namespaces, network.
    for family in [
        "pss.",
        "workload.",
        "image.",
        "rbac.",
        "namespace.",
        "network.",
    ] {
        assert!(
            live_findings.iter().any(|f| f.starts_with(family)),
            "no {family} finding"
        );
    }
    assert_eq!(objects_scanned(&live.stdout), 52);

    for (format, name) in [("yaml", "snapshot.yaml"), ("json", "snapshot.json")] {
        let file = cluster.path(name);
        let snapshot = cluster.run(&[
            "snapshot",
            "--cluster",
            "--no-progress",
            "-o",
            &file,
            "--format",
            format,
        ]);
        assert_eq!(
            snapshot.status.code(),
            Some(0),
            "{}",
            text(&snapshot.stderr)
        );
        assert!(
            text(&snapshot.stderr).contains(&format!(
                "wrote 52 objects from cluster:{CONTEXT} to {file}"
            )),
            "{}",
            text(&snapshot.stderr)
        );
        let saved = std::fs::read_to_string(&file).expect("snapshot written");
        // Secret data and the last-applied copy of it never reach the file; managedFields are dropped.
        for absent in [
            "c3VwZXJzZWNyZXQ=",
            "LS0tLS1CRUdJTi",
            "last-applied",
            "managedFields",
        ] {
            assert!(
                !saved.contains(absent),
                "{format} snapshot contains {absent}"
            );
        }
        assert!(saved.contains("orders-db-credentials"));
        let offline = run(
            cluster.dir.path(),
            &[&SCAN_JSON[..], &["none", &file]].concat(),
        );
        assert_eq!(offline.status.code(), Some(0), "{}", text(&offline.stderr));
        assert_eq!(objects_scanned(&offline.stdout), 52, "{format}");
        assert_eq!(
            findings(&offline.stdout),
            live_findings,
            "{format} snapshot"
        );
    }
}

#[test]
fn every_output_format_reads_a_cluster() {
    let cluster = Cluster::start(scenario("shop"));
    for (format, marker) in [
        ("table", "storefront"),
        ("json", "\"schemaVersion\""),
        ("sarif", "\"2.1.0\""),
        ("junit", "<testsuites"),
        ("html", "<!DOCTYPE html>"),
    ] {
        let output = cluster.run(&[
            "scan",
            "--no-config",
            "--no-progress",
            "--cluster",
            "--format",
            format,
        ]);
        // Findings at or above the default gate: exit 1.
        assert_eq!(
            output.status.code(),
            Some(1),
            "{format}: {}",
            text(&output.stderr)
        );
        let report = text(&output.stdout);
        assert!(report.contains(marker), "{format}");
        // Objects are named by kind and name (there is no file:line).
        assert!(report.contains("storefront"), "{format}: no object name");
        assert!(
            text(&output.stderr).is_empty(),
            "{format}: {}",
            text(&output.stderr)
        );
    }
}

#[test]
fn forbidden_list_is_reported_and_the_rest_is_scanned() {
    let mut routes = scenario("shop");
    routes.retain(|r| r.path != "/api/v1/secrets");
    routes.push(Route::new(
        "/api/v1/secrets",
        None,
        403,
        &fixture("status-403-secrets.json"),
    ));
    let cluster = Cluster::start(routes);
    let output = cluster.run(&[&SCAN_JSON[..], &["none", "--cluster"]].concat());
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "cannot list secrets (group \"\", all namespaces): forbidden: the credentials lack \"list\" on \
             \"secrets\"; grant it (see deploy/mamori-reader-clusterrole.yaml)"
        ),
        "{stderr}"
    );
    // Everything else was read and scanned; the error is in the report too.
    assert_eq!(objects_scanned(&output.stdout), 50);
    assert!(!findings(&output.stdout).is_empty());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("cannot list secrets"));

    // The snapshot keeps what it could read and exits 2 as well.
    let file = cluster.path("partial.yaml");
    let snapshot = cluster.run(&["snapshot", "--cluster", "--no-progress", "-o", &file]);
    assert_eq!(snapshot.status.code(), Some(2));
    assert!(text(&snapshot.stderr).contains("cannot list secrets"));
    assert!(text(&snapshot.stderr).contains("wrote 50 objects"));
}

#[test]
fn expired_credentials_exit_2_with_one_clear_message() {
    let cluster = Cluster::start(scenario("shop"));
    let kubeconfig = cluster
        .api
        .kubeconfig(&cluster.dir.path().join("."), CONTEXT, "expired");
    let output = run(
        cluster.dir.path(),
        &[
            "scan",
            "--no-config",
            "--no-progress",
            "--cluster",
            "--kubeconfig",
            &kubeconfig.display().to_string(),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "the API server at {} rejected the credentials of context \"{CONTEXT}\" (401 Unauthorized: \
             Unauthorized): they are missing, expired or invalid",
            cluster.api.url()
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn unreachable_server_exits_2_naming_the_address() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let cluster = Cluster::start(Vec::new());
    let server = format!("https://127.0.0.1:{port}");
    let kubeconfig = fake_api::write_kubeconfig(
        cluster.dir.path(),
        &server,
        &cluster.api.ca_pem,
        "gone",
        TOKEN,
    );
    for command in [
        &["scan", "--cluster"][..],
        &["snapshot", "--cluster", "-o", "out.yaml"],
    ] {
        let mut args = command.to_vec();
        let kubeconfig = kubeconfig.display().to_string();
        args.extend(["--no-progress", "--kubeconfig", &kubeconfig]);
        let output = run(cluster.dir.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "cannot reach the API server at {server} (context \"gone\"): "
            )),
            "{stderr}"
        );
        assert!(stderr.contains("Connection refused"), "{stderr}");
    }
}

#[test]
fn cluster_flags_are_checked() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // Paths and --cluster exclude each other; -n and -A too; --context needs --cluster.
    for args in [
        &["scan", "--cluster", "x.yaml"][..],
        &["scan", "--cluster", "-n", "a", "-A"],
        &["scan", "--context", "c", "x.yaml"],
        &["scan"],
    ] {
        let output = run(dir.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let output = run(dir.path(), &["snapshot", "-o", "x.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("pass --cluster"));
}

#[test]
fn kubeconfig_from_the_environment_and_one_namespace() {
    let cluster = Cluster::start(scenario("shop"));
    let output = mamori(cluster.dir.path())
        .env("KUBECONFIG", &cluster.kubeconfig)
        .args([
            "scan",
            "--no-config",
            "--no-progress",
            "--cluster",
            "-n",
            "shop",
            "--format",
            "json",
            "--fail-on",
            "none",
        ])
        .output()
        .expect("run mamori");
    // The fixtures serve all-namespace paths only: every namespaced list is "not served" (a note, not an error).
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let paths: Vec<String> = cluster.api.seen().into_iter().map(|s| s.path).collect();
    assert!(
        paths.contains(&"/api/v1/namespaces/shop/pods".to_owned()),
        "{paths:?}"
    );
    assert!(!paths.contains(&"/api/v1/nodes".to_owned()));
}

#[test]
fn kubectl_get_dump_of_the_same_objects_gives_the_same_findings() {
    let cluster = Cluster::start(scenario("shop"));
    let live = cluster.run(&[&SCAN_JSON[..], &["none", "--cluster"]].concat());
    assert_eq!(live.status.code(), Some(0), "{}", text(&live.stderr));
    let dump = fixture("kubectl-get-all.yaml");
    let offline = run(
        cluster.dir.path(),
        &[&SCAN_JSON[..], &["none", &dump]].concat(),
    );
    assert_eq!(offline.status.code(), Some(0), "{}", text(&offline.stderr));
    assert_eq!(objects_scanned(&offline.stdout), 52);
    // kubectl sorts keys, so field order (and with it the order of some messages' parts) may differ; the set
    // of findings may not.
    let mut live = findings(&live.stdout);
    let mut offline = findings(&offline.stdout);
    live.sort();
    offline.sort();
    assert_eq!(offline, live);
}
