//! Scanning objects that did not come from files (a live cluster's LIST pages): the same per-object evaluation
//! as [`crate::scan`], in parallel over the workers, results in input order, inventory rules at the end.
//!
//! ```text
//! calling thread's iterator ── batches of objects (reader thread) ──▶ N workers ── evaluate_object_items ──▶
//! ordered merge ──▶ sink ── at the end: inventory rules ──▶ sink
//! ```

use crate::findings::inventory_kinds;
use crate::pipeline::{merge_in_order, spawn_workers, worker_threads, BatchResult};
use crate::{evaluate_object_items, ScanItem, ScanOptions};
use mamori_model::K8sObject;
use mamori_pss::Evaluator;
use std::sync::atomic::Ordering;
use std::sync::mpsc::sync_channel;
use std::sync::Mutex;

/// Objects per batch handed to a worker.
const BATCH_OBJECTS: usize = 64;

/// Scans `objects` (e.g. pages fetched from a cluster, pulled as they arrive): per object the PSS checks, the
/// catalogue's object rules and the policy, in parallel on `opts.threads` workers; items reach `sink` in input
/// order from the calling thread; after the last object the inventory rules run once and their findings
/// arrive as [`ScanItem::Findings`]. Findings are those [`crate::scan`] gives for the same objects in a file.
/// Memory is bounded by a window of batches in flight plus what the inventory rules keep.
/// `opts.progress` counts objects as documents (bytes stay 0).
pub fn scan_objects<I>(objects: I, opts: &ScanOptions, sink: &mut dyn FnMut(ScanItem))
where
    I: IntoIterator<Item = K8sObject>,
    I::IntoIter: Send,
{
    let threads = worker_threads(opts);
    let window = threads * 4;
    let evaluator = Evaluator::new();
    let inventory_kinds = inventory_kinds(opts);
    let settings = &opts.rules.policy.config().settings;
    let evaluate = |object: K8sObject, items: &mut Vec<ScanItem>, kept: &mut Vec<K8sObject>| {
        items.extend(evaluate_object_items(&object, opts, &evaluator));
        if mamori_rules::wanted_by_inventory(&object, &inventory_kinds, settings) {
            kept.push(object);
        }
    };

    let (batch_tx, batch_rx) = sync_channel::<(u64, Vec<K8sObject>)>(threads * 2);
    let (result_tx, result_rx) = sync_channel::<BatchResult>(threads * 2);
    // Credits bound how far the reader runs ahead of the in-order merge.
    let (credit_tx, credit_rx) = sync_channel::<()>(window);
    for _ in 0..window {
        let _ = credit_tx.send(());
    }
    let batch_rx = Mutex::new(batch_rx);
    let objects = objects.into_iter();

    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut sequence: u64 = 0;
            let mut batch = Vec::with_capacity(BATCH_OBJECTS);
            let progress = opts.progress.as_deref();
            let send = |batch: Vec<K8sObject>, sequence: &mut u64| -> bool {
                let sent = credit_rx.recv().is_ok() && batch_tx.send((*sequence, batch)).is_ok();
                *sequence += 1;
                sent
            };
            for object in objects {
                if let Some(progress) = progress {
                    progress.documents.fetch_add(1, Ordering::Relaxed);
                }
                batch.push(object);
                if batch.len() == BATCH_OBJECTS
                    && !send(
                        std::mem::replace(&mut batch, Vec::with_capacity(BATCH_OBJECTS)),
                        &mut sequence,
                    )
                {
                    // The merge side is gone; stop pulling objects.
                    return;
                }
            }
            if !batch.is_empty() {
                send(batch, &mut sequence);
            }
        });

        spawn_workers(scope, threads, &batch_rx, &result_tx, &evaluate);
        drop(result_tx);

        let inventory = merge_in_order(&result_rx, sink, |_| {
            let _ = credit_tx.send(());
        });
        drop(credit_tx);
        if opts.rules.catalogue {
            crate::pipeline::end_of_scan(&inventory, opts, sink);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{scan, Input, RuleOptions};
    use mamori_config::Policy;
    use mamori_model::{Finding, Pos, SourceRef};
    use mamori_pss::{Level, LevelVersion, Version};
    use mamori_yaml::Limits;
    use std::sync::Arc;

    /// A findings key independent of where the object came from.
    fn keys(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| {
                format!(
                    "{}|{}/{}/{:?}|{}",
                    f.rule_id, f.object.kind, f.object.name, f.object.namespace, f.message
                )
            })
            .collect()
    }

    fn collect(run: impl FnOnce(&mut dyn FnMut(ScanItem))) -> (Vec<String>, Vec<String>, usize) {
        let mut object_findings = Vec::new();
        let mut inventory_findings = Vec::new();
        let mut objects = 0;
        run(&mut |item| match item {
            ScanItem::Object(result) => {
                objects += 1;
                object_findings.extend(keys(&result.findings));
            }
            ScanItem::Findings(findings) => inventory_findings.extend(keys(&findings)),
            ScanItem::Error(err) => panic!("unexpected error: {err}"),
            _ => {}
        });
        (object_findings, inventory_findings, objects)
    }

    /// Every example manifest, scanned from files and as objects (positions dropped, as from a cluster), with
    /// the full catalogue: the same findings in the same order.
    #[test]
    fn objects_give_the_findings_of_files() {
        let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        assert!(examples.is_dir(), "{} is missing", examples.display());
        let mut opts = ScanOptions::new(
            LevelVersion::new(Level::Restricted, Version::LATEST),
            Limits::default(),
            2,
        );
        opts.rules = RuleOptions {
            catalogue: true,
            policy: Arc::new(Policy::default()),
        };
        let inputs = [Input::Path(examples.clone())];
        let from_files = collect(|sink| scan(&inputs, &opts, sink));
        let objects: Vec<K8sObject> = mamori_load::load_all(&inputs, &opts.limits)
            .into_iter()
            .filter_map(|loaded| match loaded {
                mamori_load::Loaded::Object(mut object) => {
                    // As from a cluster: no positions (some messages name the file, so it stays).
                    object.source.pos = Pos::UNKNOWN;
                    Some(object)
                }
                _ => None,
            })
            .collect();
        let count = objects.len();
        let from_objects = collect(|sink| scan_objects(objects, &opts, sink));
        assert!(count > 20, "only {count} example objects");
        assert_eq!(from_objects.2, count);
        assert!(!from_files.0.is_empty() && !from_files.1.is_empty());
        assert_eq!(from_objects, from_files);
    }

    #[test]
    fn many_objects_keep_their_order_across_workers() {
        let opts = ScanOptions::new(
            LevelVersion::new(Level::Baseline, Version::LATEST),
            Limits::default(),
            3,
        );
        let objects = (0..1_000).map(|i| {
            let text = format!(
                "{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{{\"name\":\"p{i}\"}},\"spec\":{{\
                 \"hostNetwork\":{},\"containers\":[{{\"name\":\"c\",\"image\":\"x\"}}]}}}}",
                i % 2 == 0
            );
            let root = mamori_yaml::parse_json(text.as_bytes(), &Limits::default()).unwrap();
            K8sObject {
                source: SourceRef {
                    file: Arc::from("cluster:test"),
                    doc_index: 0,
                    pos: Pos::UNKNOWN,
                },
                id: Arc::new(mamori_model::ObjectRef::from_node(&root)),
                root,
            }
        });
        let mut names = Vec::new();
        scan_objects(objects, &opts, &mut |item| {
            if let ScanItem::Object(result) = item {
                let flagged = result
                    .findings
                    .iter()
                    .any(|f| f.rule_id == "pss.hostNamespaces");
                names.push((result.object.name.clone(), flagged));
            }
        });
        assert_eq!(names.len(), 1_000);
        for (i, (name, flagged)) in names.iter().enumerate() {
            assert_eq!(name, &format!("p{i}"));
            assert_eq!(*flagged, i % 2 == 0, "{name}");
        }
    }
}
