//! In-process benchmark of the whole pipeline on 2,000 generated objects (mixed kinds).

#[path = "../examples/support/generate.rs"]
#[allow(dead_code)]
mod generate;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mamori_pss::{Level, LevelVersion, Version};
use mamori_scan::{scan, Input, ScanItem, ScanOptions};

fn bench_scan(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.yaml");
    let text = generate::generate(7, 2_000, false);
    std::fs::write(&path, &text).expect("write bench input");
    let inputs = [Input::Path(path)];
    let opts = ScanOptions {
        pss: LevelVersion::new(
            Level::Restricted,
            Version::parse("latest").expect("latest parses"),
        ),
        limits: Default::default(),
        threads: 0,
    };
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    group.bench_function("2000_objects_restricted", |b| {
        b.iter(|| {
            let mut findings = 0usize;
            scan(&inputs, &opts, &mut |item| {
                if let ScanItem::Object(result) = item {
                    findings += result.findings.len();
                }
            });
            findings
        })
    });
    group.finish();
}

criterion_group!(benches, bench_scan);
criterion_main!(benches);
