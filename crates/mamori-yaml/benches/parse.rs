//! Throughput of the fast path against the saphyr-based reference path on realistic manifests.
//! `cargo bench -p mamori-yaml --bench parse`; criterion reports MB/s (throughput in bytes).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mamori_yaml::{parse_document_fast, parse_document_reference, Limits};
use std::hint::black_box;

const DEPLOYMENT: &str = include_str!("../tests/data/deployment.yaml");
const POD_4_CONTAINERS: &str = include_str!("../tests/data/pod-4-containers.yaml");

fn parse(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("parse");
    for (name, text) in [
        ("deployment", DEPLOYMENT),
        ("pod-4-containers", POD_4_CONTAINERS),
    ] {
        // A bench of a path that silently bailed would measure nothing: insist on the fast path here.
        assert!(
            matches!(parse_document_fast(text, 1, &limits), Some(Some(_))),
            "{name} must take the fast path"
        );
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("fast", name), text, |b, text| {
            b.iter(|| parse_document_fast(black_box(text), 1, &limits))
        });
        group.bench_with_input(BenchmarkId::new("reference", name), text, |b, text| {
            b.iter(|| parse_document_reference(black_box(text), 1, &limits))
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
