//! Per-review latency of the engine: a 4-container pod review of ~10 KB (compliant and violating restricted) and
//! a Deployment with the same template, in a namespace labelled enforce/warn/audit=restricted; Pod Security only
//! and with the full catalogue (mamori.yaml with a registry allowlist, every rule in warn). Also the load
//! generator's three bodies (`crates/mamori-loadgen/bodies`), as the webhook benchmark sends them.
//!
//! `cargo bench -p mamori-admission --bench review`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mamori_admission::{
    ClusterState, Engine, EngineSettings, NamespaceInfo, PodSecurityConfiguration,
};
use serde_json::{json, Value};
use std::hint::black_box;
use std::sync::Arc;

fn container(name: &str, compliant: bool) -> Value {
    let security = if compliant {
        json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true,
               "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}})
    } else {
        json!({"privileged": name == "sidecar", "capabilities": {"add": ["NET_ADMIN"]}, "runAsUser": 0})
    };
    json!({
        "name": name,
        "image": format!("registry.example.com/team/{name}@sha256:{}", "a".repeat(64)),
        "imagePullPolicy": "IfNotPresent",
        "args": ["--port=8080", "--log-level=info", "--metrics-addr=:9090", "--config=/etc/app/config.yaml"],
        "env": (0..12).map(|i| json!({"name": format!("{}_SETTING_{i}", name.to_uppercase()), "value": format!("value-{i}-{}", "x".repeat(16))})).collect::<Vec<_>>(),
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 5, "successThreshold": 1},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": true}, {"name": "tmp", "mountPath": "/tmp"}, {"name": "token", "mountPath": "/var/run/secrets/tokens", "readOnly": true}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "securityContext": security
    })
}

fn pod_spec(compliant: bool) -> Value {
    let pod_security = if compliant {
        json!({"runAsNonRoot": true, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}})
    } else {
        json!({})
    };
    json!({
        "serviceAccountName": "shop-api",
        "automountServiceAccountToken": false,
        "securityContext": pod_security,
        "initContainers": [container("migrate", compliant)],
        "containers": [container("api", compliant), container("sidecar", compliant), container("exporter", compliant)],
        "volumes": [
            {"name": "config", "configMap": {"name": "shop-api-config", "defaultMode": 420}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
            {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token", "expirationSeconds": 3600, "audience": "vault"}}]}}
        ],
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "shop", "effect": "NoSchedule"}],
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "shop-api"}}, "topologyKey": "kubernetes.io/hostname"}}]}},
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
        "priorityClassName": "business-critical"
    })
}

fn metadata(name: &str) -> Value {
    json!({
        "name": name, "namespace": "shop",
        "labels": {"app": "shop-api", "app.kubernetes.io/name": "shop-api", "app.kubernetes.io/version": "2.14.1", "app.kubernetes.io/part-of": "shop", "pod-template-hash": "7d9f8c6b5"},
        "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090", "kubectl.kubernetes.io/default-container": "api", "checksum/config": "3f1c2b7a9e8d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b"}
    })
}

fn review_body(resource: &str, group: &str, kind: &str, object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": group, "version": "v1", "kind": kind},
            "resource": {"group": group, "version": "v1", "resource": resource},
            "requestKind": {"group": group, "version": "v1", "kind": kind},
            "requestResource": {"group": group, "version": "v1", "resource": resource},
            "name": object["metadata"]["name"], "namespace": "shop", "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller", "uid": "4a5f1b2c-1111-2222-3333-444455556666", "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]},
            "object": object, "oldObject": null, "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        }
    }))
    .expect("serialisable")
}

fn pod_review(compliant: bool) -> Vec<u8> {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata("shop-api-7d9f8c6b5-x2x7q"), "spec": pod_spec(compliant)});
    pod["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "shop-api-7d9f8c6b5", "uid": "0d2b7c4e-aaaa-bbbb-cccc-ddddeeeeffff", "controller": true, "blockOwnerDeletion": true}]);
    review_body("pods", "", "Pod", pod)
}

fn deployment_review() -> Vec<u8> {
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata("shop-api"),
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "shop-api"}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                 "template": {"metadata": {"labels": {"app": "shop-api"}}, "spec": pod_spec(false)}}});
    review_body("deployments", "apps", "Deployment", deployment)
}

fn engine(catalogue: bool) -> Engine {
    let config = catalogue.then(|| {
        mamori_config::parse(
            "registries:\n  allowed: [registry.example.com]\nadmission:\n  defaultMode: warn\n",
            Arc::from("mamori.yaml"),
        )
        .expect("config")
    });
    Engine::new(EngineSettings {
        pod_security: PodSecurityConfiguration::default(),
        config,
        dry_run: false,
        today: mamori_config::Date::new(2026, 11, 28).expect("date"),
    })
    .expect("engine")
}

/// CPU time this thread has run, from /proc/thread-self/schedstat (ns); None off Linux.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// CPU nanoseconds per review over `iterations` (immune to other processes sharing the cores, unlike the wall
/// clock criterion reports).
fn cpu_ns_per_review(
    engine: &Engine,
    body: &[u8],
    state: &dyn ClusterState,
    iterations: u32,
) -> Option<u64> {
    let start = thread_cpu_ns()?;
    for _ in 0..iterations {
        black_box(engine.review(black_box(body), state).expect("reviewed"));
    }
    Some((thread_cpu_ns()? - start) / u64::from(iterations))
}

fn bench(c: &mut Criterion) {
    let state = vec![NamespaceInfo {
        name: "shop".to_owned(),
        labels: ["enforce", "warn", "audit"]
            .iter()
            .map(|mode| {
                (
                    format!("pod-security.kubernetes.io/{mode}"),
                    "restricted".to_owned(),
                )
            })
            .collect(),
    }];
    let bodies = [
        ("pod-compliant", pod_review(true)),
        ("pod-violating", pod_review(false)),
        ("deployment-violating", deployment_review()),
        // The load generator's bodies (docs/benchmarks.md §5): its Deployment carries kubectl's last-applied
        // annotation, half of the body as escaped JSON.
        (
            "loadgen-pod-compliant",
            include_bytes!("../../mamori-loadgen/bodies/pod-compliant.json").to_vec(),
        ),
        (
            "loadgen-pod-violating",
            include_bytes!("../../mamori-loadgen/bodies/pod-violating.json").to_vec(),
        ),
        (
            "loadgen-deployment",
            include_bytes!("../../mamori-loadgen/bodies/deployment.json").to_vec(),
        ),
    ];
    for (name, body) in &bodies {
        eprintln!("{name}: {} bytes", body.len());
    }
    // The floor: decoding the same bytes into a serde_json::Value and into mamori's Node tree.
    let mut decode = c.benchmark_group("decode");
    let (_, pod_body) = &bodies[1];
    if let Some(start) = thread_cpu_ns() {
        for _ in 0..3000 {
            black_box(serde_json::from_slice::<Value>(black_box(pod_body)).expect("json"));
        }
        if let Some(end) = thread_cpu_ns() {
            eprintln!(
                "cpu time decode/serde_json-value: {} ns/decode",
                (end - start) / 3000
            );
        }
    }
    decode.bench_function("serde_json-value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(pod_body)).expect("json"))
    });
    decode.bench_function("mamori-node", |b| {
        b.iter(|| {
            mamori_yaml::parse_json(black_box(pod_body), &mamori_yaml::Limits::default())
                .expect("json")
        })
    });
    decode.finish();
    for (label, catalogue) in [("psa", false), ("psa+catalogue", true)] {
        let engine = engine(catalogue);
        let mut group = c.benchmark_group(format!("review/{label}"));
        for (name, body) in &bodies {
            // Sanity: the verdicts the benchmark measures.
            let reviewed = engine.review(body, &state).expect("reviewed");
            assert_eq!(reviewed.allowed, !name.ends_with("pod-violating"), "{name}");
            if let Some(ns) = cpu_ns_per_review(&engine, body, &state, 3000) {
                eprintln!("cpu time review/{label}/{name}: {ns} ns/review");
            }
            group.throughput(Throughput::Bytes(body.len() as u64));
            group.bench_function(*name, |b| {
                b.iter(|| engine.review(black_box(body), &state).expect("reviewed"))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
