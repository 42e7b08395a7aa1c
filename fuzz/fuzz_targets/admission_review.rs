//! Arbitrary bytes as the body of `POST /validate` → `mamori_admission::Engine::review`, three ways: Pod Security
//! only with the lean object build (what `mamori admission serve` runs without `--config`), the same with the
//! full object build (`Engine::with_full_objects`), and with a mamori.yaml (catalogue rules at admission).
//! Nothing may panic, and the lean and the full build must give the same result — the same response bytes,
//! decisions and log fields, or the same 400 error — for every input, valid or not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_admission::{Engine, EngineSettings, NamespaceInfo, PodSecurityConfiguration};
use std::sync::{Arc, OnceLock};

fn namespace(name: &str, labels: &[(&str, &str)]) -> NamespaceInfo {
    NamespaceInfo {
        name: name.to_owned(),
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

struct Setup {
    lean: Engine,
    full: Engine,
    catalogue: Engine,
    /// Namespaces at several levels and versions (the seeds use `shop`, `strict` and `older`), no pods.
    state: Vec<NamespaceInfo>,
}

fn setup() -> Setup {
    let settings = |config| EngineSettings {
        pod_security: PodSecurityConfiguration::default(),
        config,
        dry_run: false,
        today: mamori_config::Date::new(2026, 11, 28).expect("date"),
    };
    let config = mamori_config::parse(
        "registries:\n  allowed: [registry.example.com]\nadmission:\n  defaultMode: deny\n",
        Arc::from("mamori.yaml"),
    )
    .ok();
    let restricted = [
        ("pod-security.kubernetes.io/enforce", "restricted"),
        ("pod-security.kubernetes.io/warn", "restricted"),
        ("pod-security.kubernetes.io/audit", "restricted"),
    ];
    Setup {
        lean: Engine::new(settings(None)).expect("engine"),
        full: Engine::new(settings(None))
            .expect("engine")
            .with_full_objects(),
        catalogue: Engine::new(settings(config)).expect("engine"),
        state: vec![
            namespace("shop", &restricted),
            namespace("strict", &restricted),
            namespace(
                "older",
                &[
                    ("pod-security.kubernetes.io/enforce", "baseline"),
                    ("pod-security.kubernetes.io/enforce-version", "v1.24"),
                    ("pod-security.kubernetes.io/warn", "restricted"),
                    ("pod-security.kubernetes.io/warn-version", "v1.26"),
                ],
            ),
        ],
    }
}

fuzz_target!(|body: &[u8]| {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    let setup = SETUP.get_or_init(setup);
    let lean = setup.lean.review(body, &setup.state);
    let full = setup.full.review(body, &setup.state);
    assert_eq!(lean, full, "the lean and the full object build disagree");
    let _ = setup.catalogue.review(body, &setup.state);
});
