//! Arbitrary YAML → tree → every pod-bearing kind's template → PodView → evaluation at every level and every
//! version v1.0..=newest+1 and latest. Nothing may panic, whatever shape or type the fields have.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_pss::{evaluate_everywhere, Evaluator};
use mamori_yaml::{parse_document, Limits};
use std::sync::OnceLock;

/// Every kind `pod_template` knows, plus one it does not, so each input exercises every extraction path.
const KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "ReplicationController",
    "CronJob",
    "PodTemplate",
    "ConfigMap",
];

fuzz_target!(|text: &str| {
    static EVALUATOR: OnceLock<Evaluator> = OnceLock::new();
    let evaluator = EVALUATOR.get_or_init(Evaluator::new);
    let Ok(Some(root)) = parse_document(text, 1, &Limits::default()) else {
        return;
    };
    let own_kind = root.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    for kind in KINDS.iter().copied().chain(std::iter::once(own_kind)) {
        let _ = evaluate_everywhere(evaluator, kind, &root);
    }
});
