//! Reader → workers → ordered merge.

use crate::findings::{evaluate_loaded, inventory_kinds};
use crate::{Input, LoadError, ScanItem, ScanOptions};
use mamori_load::{read_documents, RawDocument};
use mamori_model::K8sObject;
use mamori_pss::Evaluator;
use mamori_rules::Inventory;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;
use std::thread::Scope;

/// Tuning of the pipeline. The defaults suit both small CI runs and very large inputs.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Documents per batch sent to the workers.
    pub batch_docs: usize,
    /// A batch is sent once its text reaches this many bytes.
    pub batch_bytes: usize,
    /// Batches the reader may run ahead of the one the sink waits for; 0 = 4 per worker.
    pub window: usize,
}

impl Default for PipelineConfig {
    fn default() -> PipelineConfig {
        PipelineConfig {
            batch_docs: 64,
            batch_bytes: 1024 * 1024,
            window: 0,
        }
    }
}

/// What the pipeline observed, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PipelineStats {
    pub batches: u64,
    pub documents: u64,
    /// The most batches that were read but not yet delivered to the sink at one time.
    pub max_batches_in_flight: u64,
    pub threads: usize,
}

type Batch = Vec<Result<RawDocument, LoadError>>;

/// [`crate::scan`] with explicit tuning; returns what it observed.
pub fn scan_with(
    inputs: &[Input],
    opts: &ScanOptions,
    config: &PipelineConfig,
    sink: &mut dyn FnMut(ScanItem),
) -> PipelineStats {
    let threads = worker_threads(opts);
    let window = if config.window == 0 {
        threads * 4
    } else {
        config.window
    };
    let batch_docs = config.batch_docs.max(1);
    let evaluator = Evaluator::new();
    let inventory_kinds = inventory_kinds(opts);
    let evaluate = |item, items: &mut Vec<ScanItem>, kept: &mut Vec<K8sObject>| match item {
        Ok(doc) => evaluate_loaded(&doc, opts, &evaluator, items, &inventory_kinds, kept),
        Err(err) => items.push(ScanItem::Error(err)),
    };

    let (batch_tx, batch_rx) = sync_channel::<(u64, Batch)>(threads * 2);
    let (result_tx, result_rx) = sync_channel::<BatchResult>(threads * 2);
    // Credits bound how far the reader runs ahead of the in-order merge.
    let (credit_tx, credit_rx) = sync_channel::<()>(window);
    for _ in 0..window {
        let _ = credit_tx.send(());
    }
    let batch_rx = Mutex::new(batch_rx);
    let delivered = AtomicU64::new(0);
    let delivered = &delivered;
    let mut stats = PipelineStats {
        threads,
        ..PipelineStats::default()
    };

    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut sent: u64 = 0;
            let mut documents: u64 = 0;
            let mut max_in_flight: u64 = 0;
            let mut batch: Batch = Vec::with_capacity(batch_docs);
            let mut bytes = 0usize;
            // False once the merge side has gone away; the reader then just drains its input quickly.
            let mut open = true;
            let mut send = |batch: Batch, sent: &mut u64| {
                if open && credit_rx.recv().is_ok() && batch_tx.send((*sent, batch)).is_ok() {
                    *sent += 1;
                    let in_flight = sent.saturating_sub(delivered.load(Ordering::Acquire));
                    max_in_flight = max_in_flight.max(in_flight);
                } else {
                    open = false;
                }
            };
            let progress = opts.progress.as_deref();
            read_documents(inputs, &opts.limits, &mut |item| {
                documents += 1;
                let size = item.as_ref().map_or(0, |doc| doc.text.len());
                bytes += size;
                if let Some(progress) = progress {
                    progress.documents.fetch_add(1, Ordering::Relaxed);
                    progress.bytes.fetch_add(size as u64, Ordering::Relaxed);
                }
                batch.push(item);
                if batch.len() >= batch_docs || bytes >= config.batch_bytes {
                    send(
                        std::mem::replace(&mut batch, Vec::with_capacity(batch_docs)),
                        &mut sent,
                    );
                    bytes = 0;
                }
            });
            if !batch.is_empty() {
                send(batch, &mut sent);
            }
            (sent, documents, max_in_flight)
        });

        spawn_workers(scope, threads, &batch_rx, &result_tx, &evaluate);
        drop(result_tx);

        // In-order merge on the calling thread.
        let inventory = merge_in_order(&result_rx, sink, |count| {
            delivered.store(count, Ordering::Release);
            let _ = credit_tx.send(());
        });
        drop(credit_tx);
        if opts.rules.catalogue {
            end_of_scan(&inventory, opts, sink);
        }
        if let Ok((sent, documents, max_in_flight)) = reader.join() {
            stats.batches = sent;
            stats.documents = documents;
            stats.max_batches_in_flight = max_in_flight;
        }
    });
    stats
}

/// Runs the inventory rules over the kept objects and delivers their findings (policy applied, each finding
/// checked against the exemption annotation of the object it is about).
pub(crate) fn end_of_scan(
    inventory: &Inventory,
    opts: &ScanOptions,
    sink: &mut dyn FnMut(ScanItem),
) {
    let policy = &*opts.rules.policy;
    let mut raw = Vec::new();
    mamori_rules::run_inventory_rules(
        inventory,
        &policy.config().settings,
        &|rule| policy.rule_enabled(rule.meta.id),
        &mut raw,
    );
    let mut findings = Vec::with_capacity(raw.len());
    let mut suppressed = Vec::new();
    for finding in raw {
        let exemption = inventory
            .of_kind(&finding.object.kind)
            .iter()
            .find(|o| {
                o.source.doc_index == finding.location.doc_index
                    && o.source.file == finding.location.file
                    && o.id == finding.object
            })
            .and_then(mamori_config::exemption)
            .and_then(Result::ok);
        let mut one = vec![finding];
        policy.apply(&mut one, exemption.as_ref(), &mut suppressed);
        findings.append(&mut one);
    }
    if !findings.is_empty() {
        sink(ScanItem::Findings(findings));
    }
    if !suppressed.is_empty() {
        sink(ScanItem::Suppressed(suppressed));
    }
}

/// Worker threads for a scan: `opts.threads`, or one per available core when it is 0.
pub(crate) fn worker_threads(opts: &ScanOptions) -> usize {
    if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        opts.threads
    }
}

/// Starts `threads` workers on `scope`. Each takes batches until the reader is done, runs `evaluate` on every
/// element (it appends items for the sink and objects kept for the inventory rules) and sends the results
/// back with the batch's sequence number; a worker stops early once the merge side is gone.
pub(crate) fn spawn_workers<'scope, 'env, T, F>(
    scope: &'scope Scope<'scope, 'env>,
    threads: usize,
    batches: &'env Mutex<Receiver<(u64, Vec<T>)>>,
    results: &SyncSender<BatchResult>,
    evaluate: &'env F,
) where
    T: Send,
    F: Fn(T, &mut Vec<ScanItem>, &mut Vec<K8sObject>) + Sync,
{
    for _ in 0..threads {
        let results = results.clone();
        scope.spawn(move || {
            while let Some((sequence, batch)) = next_batch(batches) {
                let mut items = Vec::with_capacity(batch.len());
                let mut kept = Vec::new();
                for element in batch {
                    evaluate(element, &mut items, &mut kept);
                }
                if results.send((sequence, items, kept)).is_err() {
                    break;
                }
            }
        });
    }
}

/// What a worker sends back for one batch: its sequence number, the items for the sink and the objects kept
/// for the inventory rules.
pub(crate) type BatchResult = (u64, Vec<ScanItem>, Vec<K8sObject>);

/// The in-order merge on the calling thread. Worker results arrive in any order; once every earlier batch has
/// been delivered, a batch's items go to `sink` and its kept objects into the returned inventory (so both
/// follow input order), then `on_delivered` gets the number of batches delivered so far (callers return a
/// reader credit there). Returns when every worker has dropped its sender.
pub(crate) fn merge_in_order(
    results: &Receiver<BatchResult>,
    sink: &mut dyn FnMut(ScanItem),
    mut on_delivered: impl FnMut(u64),
) -> Inventory {
    let mut pending: BTreeMap<u64, (Vec<ScanItem>, Vec<K8sObject>)> = BTreeMap::new();
    let mut next: u64 = 0;
    let mut inventory = Inventory::default();
    for (seq, items, kept) in results.iter() {
        pending.insert(seq, (items, kept));
        while let Some((items, kept)) = pending.remove(&next) {
            for item in items {
                sink(item);
            }
            for object in kept {
                inventory.add(object);
            }
            next += 1;
            on_delivered(next);
        }
    }
    inventory
}

/// The next batch for a worker, with its sequence number; `None` once the reader is done.
fn next_batch<T>(batch_rx: &Mutex<Receiver<(u64, T)>>) -> Option<(u64, T)> {
    // A poisoned lock only means another worker panicked; the receiver itself is still sound.
    let guard = batch_rx
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard.recv().ok()
}
