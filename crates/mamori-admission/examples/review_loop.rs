//! Runs `N` reviews of one AdmissionReview body, for instruction counts under callgrind (deterministic on a
//! shared, loaded machine, unlike wall time):
//!
//! ```sh
//! cargo build --release -p mamori-admission --example review_loop
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out target/release/examples/review_loop \
//!     crates/mamori-loadgen/bodies/pod-compliant.json 2000 [--catalogue] [--full-objects]
//! ```
//!
//! Instructions per review = (Ir at N − Ir at N = 0) / N; the N = 0 run pays the same setup (files, engine).
//! Namespaces come from `crates/mamori-loadgen/bodies/namespaces.json` (`shop` enforces restricted).

// The allocator of the `mamori` binary that serves the webhook: instruction counts are the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use mamori_admission::{Engine, EngineSettings, NamespaceInfo, PodSecurityConfiguration};
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::Arc;

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(body_path), Some(count)) = (args.first(), args.get(1)) else {
        return Err("usage: review_loop <body.json> <N> [--catalogue] [--full-objects]".to_owned());
    };
    let count: u32 = count.parse().map_err(|e| format!("N: {e}"))?;
    let catalogue = args.iter().any(|a| a == "--catalogue");
    let body = std::fs::read(body_path).map_err(|e| format!("{body_path}: {e}"))?;
    let namespaces_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../mamori-loadgen/bodies/namespaces.json"
    );
    let list_text =
        std::fs::read(namespaces_path).map_err(|e| format!("{namespaces_path}: {e}"))?;
    let list = mamori_yaml::parse_json(&list_text, &mamori_yaml::Limits::default())
        .map_err(|e| format!("{namespaces_path}: {e}"))?;
    let state: Vec<NamespaceInfo> = list
        .get("items")
        .and_then(mamori_model::Node::as_seq)
        .map(|items| items.iter().filter_map(NamespaceInfo::from_node).collect())
        .unwrap_or_default();
    let config = catalogue
        .then(|| {
            mamori_config::parse(
                "registries:\n  allowed: [registry.example.com]\nadmission:\n  defaultMode: warn\n",
                Arc::from("mamori.yaml"),
            )
            .map_err(|errors| format!("config: {} errors", errors.len()))
        })
        .transpose()?;
    let engine = Engine::new(EngineSettings {
        pod_security: PodSecurityConfiguration::default(),
        config,
        dry_run: false,
        today: mamori_config::Date::new(2026, 11, 28).ok_or("date")?,
    })?;
    let engine = if args.iter().any(|a| a == "--full-objects") {
        engine.with_full_objects()
    } else {
        engine
    };
    let mut allowed = 0u32;
    for _ in 0..count {
        let reviewed = engine
            .review(black_box(&body), &state)
            .map_err(|e| e.to_string())?;
        allowed += u32::from(reviewed.allowed);
        black_box(reviewed);
    }
    eprintln!("{count} reviews, {allowed} allowed");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("review_loop: {err}");
            ExitCode::FAILURE
        }
    }
}
