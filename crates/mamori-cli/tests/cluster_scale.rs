//! Scale check of `mamori scan --cluster` and `mamori snapshot` against the fake API server: a generated
//! cluster of 20,000 pods, 5,000 Deployments, 2,000 namespaces and 10,000 RoleBindings served in pages of 500.
//! Ignored by default (it wants an optimised binary):
//! `cargo test --release -p mamori-cli --test cluster_scale -- --ignored --nocapture`.

#[path = "../../mamori-cluster/tests/support/fake_api.rs"]
mod fake_api;

use fake_api::{FakeApi, Route};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const TOKEN: &str = "scale-token";
const NAMESPACES: usize = 2_000;
const PODS: usize = 20_000;
const DEPLOYMENTS: usize = 5_000;
const ROLE_BINDINGS: usize = 10_000;
const PAGE: usize = 500;

fn pod(i: usize) -> Value {
    let privileged = i % 10 == 0;
    json!({
        "metadata": {"name": format!("web-{i}-7d9f8"), "namespace": format!("ns-{}", i % NAMESPACES),
            "uid": format!("0000-{i}"), "resourceVersion": "100",
            "labels": {"app": "web", "pod-template-hash": "7d9f8"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f8", "uid": "x",
                "controller": true}]},
        "spec": {"serviceAccountName": "web", "automountServiceAccountToken": false,
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "app", "image": format!("registry.example.com/web:{}", i % 7),
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                              "limits": {"cpu": "500m", "memory": "256Mi"}},
                "securityContext": {"privileged": privileged, "allowPrivilegeEscalation": privileged,
                    "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}}]},
        "status": {"phase": "Running", "podIP": "10.0.0.1", "qosClass": "Burstable"}
    })
}

fn deployment(i: usize) -> Value {
    let mut template = pod(i);
    template.as_object_mut().map(|o| o.remove("status"));
    json!({
        "metadata": {"name": format!("web-{i}"), "namespace": format!("ns-{}", i % NAMESPACES),
            "uid": format!("d-{i}"), "resourceVersion": "100"},
        "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}}, "template": template}
    })
}

fn namespace(i: usize) -> Value {
    json!({"metadata": {"name": format!("ns-{i}"), "uid": format!("n-{i}"),
        "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
}

fn role_binding(i: usize) -> Value {
    json!({"metadata": {"name": format!("rb-{i}"), "namespace": format!("ns-{}", i % NAMESPACES),
            "uid": format!("rb-{i}")},
        "subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": format!("ns-{}", i % NAMESPACES)}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
            "name": if i % 100 == 0 { "admin" } else { "view" }}})
}

/// Writes `count` items as LIST pages linked by continue tokens; returns their routes.
fn pages(
    dir: &Path,
    path: &str,
    kind: &str,
    api_version: &str,
    count: usize,
    item: fn(usize) -> Value,
) -> Vec<Route> {
    let mut routes = Vec::new();
    let pages = count.div_ceil(PAGE).max(1);
    for page in 0..pages {
        let items: Vec<Value> = (page * PAGE..((page + 1) * PAGE).min(count))
            .map(item)
            .collect();
        let mut metadata = json!({"resourceVersion": "100"});
        if page + 1 < pages {
            metadata["continue"] = json!(format!("{kind}-{}", page + 1));
        }
        let body = json!({"kind": format!("{kind}List"), "apiVersion": api_version, "metadata": metadata,
            "items": items});
        let file = dir.join(format!("{kind}-{page}.json"));
        std::fs::write(&file, serde_json::to_vec(&body).expect("JSON")).expect("page written");
        let token = (page > 0).then(|| format!("{kind}-{page}"));
        routes.push(Route::new(
            path,
            token.as_deref(),
            200,
            &file.display().to_string(),
        ));
    }
    routes
}

/// Runs mamori under /usr/bin/time -v; returns (exit code, seconds, peak RSS in MiB).
fn measured(dir: &Path, args: &[&str]) -> (Option<i32>, f64, f64) {
    let start = Instant::now();
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_mamori"))
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("KUBECONFIG")
        .output()
        .expect("/usr/bin/time runs mamori");
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let rss_kib: f64 = stderr
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(f64::NAN);
    (output.status.code(), seconds, rss_kib / 1024.0)
}

#[test]
#[ignore = "scale check; run with --release --ignored"]
fn large_cluster_scan_and_snapshot_stay_fast_and_flat() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let fixtures = dir.path().join("pages");
    std::fs::create_dir(&fixtures).expect("pages directory");
    let mut routes = Vec::new();
    routes.extend(pages(
        &fixtures,
        "/api/v1/namespaces",
        "Namespace",
        "v1",
        NAMESPACES,
        namespace,
    ));
    routes.extend(pages(&fixtures, "/api/v1/pods", "Pod", "v1", PODS, pod));
    routes.extend(pages(
        &fixtures,
        "/apis/apps/v1/deployments",
        "Deployment",
        "apps/v1",
        DEPLOYMENTS,
        deployment,
    ));
    routes.extend(pages(
        &fixtures,
        "/apis/rbac.authorization.k8s.io/v1/rolebindings",
        "RoleBinding",
        "rbac.authorization.k8s.io/v1",
        ROLE_BINDINGS,
        role_binding,
    ));
    let total = (NAMESPACES + PODS + DEPLOYMENTS + ROLE_BINDINGS) as u64;
    let api = FakeApi::start(TOKEN, routes);
    let kubeconfig = api
        .kubeconfig(dir.path(), "scale", TOKEN)
        .display()
        .to_string();

    let report = dir.path().join("report.json").display().to_string();
    let scan = [
        "scan",
        "--cluster",
        "--kubeconfig",
        &kubeconfig,
        "--no-config",
        "--no-progress",
        "--format",
        "json",
        "--fail-on",
        "none",
        "-o",
        &report,
    ];
    let (code, seconds, rss) = measured(dir.path(), &scan);
    // Kinds the generated cluster does not serve are notes; nothing is an error.
    assert_eq!(code, Some(0));
    let json: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("JSON report");
    assert_eq!(json["summary"]["objectsScanned"].as_u64(), Some(total));
    println!("scan --cluster: {total} objects in {seconds:.2} s, peak RSS {rss:.0} MiB");

    let snapshot_file = dir.path().join("snapshot.yaml").display().to_string();
    let snapshot = [
        "snapshot",
        "--cluster",
        "--kubeconfig",
        &kubeconfig,
        "--no-progress",
        "-o",
        &snapshot_file,
    ];
    let (code, snapshot_seconds, snapshot_rss) = measured(dir.path(), &snapshot);
    assert_eq!(code, Some(0));
    let size = std::fs::metadata(&snapshot_file)
        .map(|m| m.len())
        .unwrap_or_default() as f64
        / 1048576.0;
    println!(
        "snapshot: {snapshot_seconds:.2} s, peak RSS {snapshot_rss:.0} MiB, {size:.0} MiB of YAML"
    );

    let offline = [
        "scan",
        &snapshot_file,
        "--no-config",
        "--no-progress",
        "--format",
        "json",
        "--fail-on",
        "none",
        "-o",
        &report,
    ];
    let (code, offline_seconds, offline_rss) = measured(dir.path(), &offline);
    assert_eq!(code, Some(0));
    println!("offline scan of the snapshot: {offline_seconds:.2} s, peak RSS {offline_rss:.0} MiB");

    // Memory stays flat: far below the 512 MiB budget of the issue, and time within a loose bound for a
    // loaded 2-core machine.
    for peak in [rss, snapshot_rss, offline_rss] {
        assert!(peak < 512.0, "peak RSS {peak:.0} MiB");
    }
    assert!(seconds < 60.0, "scan took {seconds:.1} s");
}
