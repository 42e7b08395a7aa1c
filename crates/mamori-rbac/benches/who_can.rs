//! who-can on a loaded index (issue 5 target: ≤ 50 ms). Reads the snapshot written by the gen_cluster example
//! (`MAMORI_RBAC_SNAPSHOT`, default /tmp/rbac-bench.yaml); fails when it is missing.

use criterion::{criterion_group, criterion_main, Criterion};
use mamori_load::Input;
use mamori_rbac::request::parse_request;
use mamori_rbac::Analyzer;
use std::hint::black_box;
use std::path::PathBuf;

fn bench(c: &mut Criterion) {
    let path = std::env::var_os("MAMORI_RBAC_SNAPSHOT")
        .map_or_else(|| PathBuf::from("/tmp/rbac-bench.yaml"), PathBuf::from);
    assert!(
        path.exists(),
        "{}: run `cargo run --release -p mamori-rbac --example gen_cluster -- {}` first",
        path.display(),
        path.display()
    );
    let loaded = mamori_rbac::load::load(&[Input::Path(path)], &mamori_yaml::Limits::default(), 0);
    let analyzer = Analyzer::new(loaded.input);
    assert!(
        analyzer.binding_count() >= 10_000,
        "expected the full-size snapshot"
    );
    let queries = [
        (
            "create pods -n ns",
            parse_request("create", "pods", None, None, Some("payments-0000")),
        ),
        (
            "get secrets cluster-wide",
            parse_request("get", "secrets", None, None, None),
        ),
        (
            "create pods/exec -n ns",
            parse_request("create", "pods/exec", None, None, Some("ml-0005")),
        ),
        (
            "get /metrics",
            parse_request("get", "/metrics", None, None, None),
        ),
    ];
    for (name, request) in queries {
        let Ok(request) = request else {
            panic!("{name}: invalid request");
        };
        assert!(!analyzer.who_can(&request).is_empty(), "{name}: nobody");
        c.bench_function(&format!("who-can {name}"), |b| {
            b.iter(|| black_box(analyzer.who_can(black_box(&request))))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
