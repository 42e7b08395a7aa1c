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
    let pss_only = ScanOptions::new(
        LevelVersion::new(
            Level::Restricted,
            Version::parse("latest").expect("latest parses"),
        ),
        Default::default(),
        0,
    );
    let mut full = pss_only.clone();
    full.rules.catalogue = true;
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    for (name, opts) in [
        ("2000_objects_restricted", &pss_only),
        ("2000_objects_full_catalogue", &full),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut findings = 0usize;
                scan(&inputs, opts, &mut |item| match item {
                    ScanItem::Object(result) => findings += result.findings.len(),
                    ScanItem::Findings(end) => findings += end.len(),
                    _ => {}
                });
                findings
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_scan);
criterion_main!(benches);
