//! Scans inputs with the full pipeline and prints counts and throughput: an end-to-end measurement without the
//! CLI's rendering. `cargo run --release -p mamori-scan --example scan_count -- bench-data/100k.yaml`
//! With `--read-only` as the first argument it only splits the input into documents (the reader thread's share);
//! with `--pss-only` it runs the Pod Security checks without the rule catalogue (the default runs both).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use mamori_pss::{Level, LevelVersion, Version};
use mamori_scan::{scan_with, Input, PipelineConfig, ScanItem, ScanOptions};
use std::time::Instant;

fn main() {
    let flag = std::env::args().nth(1);
    let read_only = flag.as_deref() == Some("--read-only");
    let pss_only = flag.as_deref() == Some("--pss-only");
    let inputs: Vec<Input> = std::env::args()
        .skip(if read_only || pss_only { 2 } else { 1 })
        .map(|arg| {
            if arg == "-" {
                Input::Stdin
            } else {
                Input::Path(arg.into())
            }
        })
        .collect();
    let bytes: u64 = inputs
        .iter()
        .filter_map(|input| match input {
            Input::Path(path) => total_size(path),
            Input::Stdin => None,
        })
        .sum();
    let mut opts = ScanOptions::new(
        LevelVersion::new(
            Level::Restricted,
            Version::parse("latest").unwrap_or_else(|_| unreachable!()),
        ),
        Default::default(),
        0,
    );
    opts.rules.catalogue = !pss_only;
    let (mut objects, mut findings, mut errors, mut notes) = (0u64, 0u64, 0u64, 0u64);
    let started = Instant::now();
    if read_only {
        let mut documents = 0u64;
        mamori_load::read_documents(&inputs, &opts.limits, &mut |_| documents += 1);
        let secs = started.elapsed().as_secs_f64();
        println!(
            "read {documents} documents in {secs:.2}s, {:.1} MB/s",
            bytes as f64 / 1e6 / secs
        );
        return;
    }
    let stats = scan_with(
        &inputs,
        &opts,
        &PipelineConfig::default(),
        &mut |item| match item {
            ScanItem::Object(result) => {
                objects += 1;
                findings += result.findings.len() as u64;
            }
            ScanItem::Note(_) => notes += 1,
            ScanItem::Error(_) => errors += 1,
            ScanItem::Findings(end) => findings += end.len() as u64,
            ScanItem::Suppressed(_) => {}
        },
    );
    let secs = started.elapsed().as_secs_f64();
    println!(
        "rules: {}",
        if pss_only {
            "PSS only"
        } else {
            "PSS + catalogue"
        }
    );
    println!(
        "objects {objects}, findings {findings}, errors {errors}, notes {notes}, threads {}, batches {}, max in flight {}",
        stats.threads, stats.batches, stats.max_batches_in_flight
    );
    println!(
        "wall {secs:.2}s, {:.0} docs/s, {:.1} MB/s",
        stats.documents as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
}

fn total_size(path: &std::path::Path) -> Option<u64> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return Some(meta.len());
    }
    let mut sum = 0;
    for entry in std::fs::read_dir(path).ok()?.flatten() {
        sum += total_size(&entry.path()).unwrap_or(0);
    }
    Some(sum)
}
