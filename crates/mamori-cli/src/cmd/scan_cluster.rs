//! `mamori scan --cluster`: the scan's input read from a live cluster (paginated LISTs through the Kubernetes
//! API) instead of files, and the connection flags `mamori snapshot` shares.

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mamori_cluster::{ClusterOptions, FetchItem, KindSpec};
use mamori_model::{K8sObject, Pos};
use mamori_scan::{Input, LoadError, Note, ScanItem, ScanOptions};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where to read a live cluster from (kubectl's flags and resolution).
#[derive(Args, Debug, Clone, Default)]
pub struct ClusterArgs {
    /// Read the objects from the cluster of the current kubeconfig context (read-only LISTs; see
    /// docs/cluster.md for the permissions needed).
    #[arg(long)]
    pub cluster: bool,
    /// Kubeconfig file [default: KUBECONFIG, else ~/.kube/config, else the in-cluster service account].
    #[arg(long, value_name = "FILE", requires = "cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use [default: its current-context].
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub context: Option<String>,
    /// Only this namespace: its namespaced objects and the Namespace itself (no cluster-scoped kinds).
    #[arg(
        long,
        short = 'n',
        value_name = "NS",
        requires = "cluster",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// Every namespace and the cluster-scoped kinds (the default).
    #[arg(long, short = 'A', requires = "cluster")]
    pub all_namespaces: bool,
}

impl ClusterArgs {
    /// The client options these flags ask for.
    pub fn options(&self) -> ClusterOptions {
        ClusterOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespace: if self.all_namespaces {
                None
            } else {
                self.namespace.clone()
            },
            ..ClusterOptions::default()
        }
    }
}

/// What `mamori scan` reads: files and directories, or with `--cluster` a live cluster.
pub struct ScanSource<'a> {
    cluster: &'a ClusterArgs,
    inputs: &'a [Input],
    show_progress: bool,
}

impl<'a> ScanSource<'a> {
    /// `inputs` unless `cluster.cluster`; `show_progress` draws the cluster's fetch spinner.
    pub fn new(cluster: &'a ClusterArgs, inputs: &'a [Input], show_progress: bool) -> Self {
        ScanSource {
            cluster,
            inputs,
            show_progress,
        }
    }

    /// Scans the source, see [`scan_input`].
    pub fn scan(&self, opts: &ScanOptions, sink: &mut dyn FnMut(ScanItem)) {
        scan_input(self.cluster, self.inputs, opts, self.show_progress, sink);
    }
}

/// The scan's input: the files and directories of `inputs`, or with `--cluster` the objects of the cluster,
/// fetched page by page while the workers evaluate them. Objects the cluster could not give (forbidden,
/// unreachable, …) arrive as [`ScanItem::Error`]s, other remarks as [`ScanItem::Note`]s, after the objects.
pub fn scan_input(
    cluster: &ClusterArgs,
    inputs: &[Input],
    opts: &ScanOptions,
    show_progress: bool,
    sink: &mut dyn FnMut(ScanItem),
) {
    if !cluster.cluster {
        mamori_scan::scan(inputs, opts, sink);
        return;
    }
    let progress = FetchProgress::new(show_progress);
    let mut reported = Vec::new();
    let mut source: Arc<str> = Arc::from("cluster");
    stream_cluster(
        &cluster.options(),
        mamori_cluster::scan_kinds(),
        &progress,
        &mut |objects| mamori_scan::scan_objects(objects, opts, &mut *sink),
        &mut reported,
        &mut source,
    );
    progress.finish();
    for item in reported {
        sink(match item {
            Reported::Error(message) => ScanItem::Error(LoadError {
                file: source.clone(),
                pos: Pos::UNKNOWN,
                message,
            }),
            Reported::Note(message) => ScanItem::Note(Note {
                file: source.clone(),
                pos: Pos::UNKNOWN,
                message,
            }),
        });
    }
}

/// What the fetch reported besides objects.
pub enum Reported {
    Error(String),
    Note(String),
}

/// The objects' iterator handed to `consume`.
pub type ObjectStream = std::iter::Flatten<std::sync::mpsc::IntoIter<Vec<K8sObject>>>;

/// Fetches `kinds` on a helper thread and hands `consume` the objects as an iterator that yields them page by
/// page as they arrive (bounded: a few pages in flight). Errors and notes are collected into `reported`,
/// `source` becomes `cluster:<context>` once connected.
pub fn stream_cluster(
    options: &ClusterOptions,
    kinds: &'static [KindSpec],
    progress: &FetchProgress,
    consume: &mut dyn FnMut(ObjectStream),
    reported: &mut Vec<Reported>,
    source: &mut Arc<str>,
) {
    let (page_tx, page_rx) = std::sync::mpsc::sync_channel::<Vec<K8sObject>>(2);
    let collected = Mutex::new((Vec::new(), None::<String>));
    std::thread::scope(|scope| {
        let collected = &collected;
        scope.spawn(move || {
            mamori_cluster::fetch_streaming(options, kinds, &mut |item| match item {
                FetchItem::Connected { context, .. } => {
                    progress.connected(&context);
                    lock(collected).1 = Some(context);
                }
                FetchItem::Page { kind, objects } => {
                    progress.page(kind.plural, objects.len());
                    // The consumer only goes away when it failed; the rest of the fetch is then discarded.
                    let _ = page_tx.send(objects);
                }
                FetchItem::KindDone { .. } => {}
                FetchItem::Error(error) => {
                    lock(collected).0.push(Reported::Error(error.to_string()))
                }
                FetchItem::Note(note) => lock(collected).0.push(Reported::Note(note)),
            });
        });
        consume(page_rx.into_iter().flatten());
    });
    let (items, context) = collected
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    reported.extend(items);
    if let Some(context) = context {
        *source = Arc::from(format!("cluster:{context}"));
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A spinner on stderr while the cluster is read (only when stderr is a terminal).
pub struct FetchProgress {
    bar: Option<ProgressBar>,
    objects: std::sync::atomic::AtomicU64,
}

impl FetchProgress {
    /// Draws when `show`.
    pub fn new(show: bool) -> FetchProgress {
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
                bar.set_style(style);
            }
            bar.set_message("connecting to the API server");
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        FetchProgress {
            bar,
            objects: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn connected(&self, context: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("context {context}: listing"));
        }
    }

    fn page(&self, plural: &str, count: usize) {
        let total = self
            .objects
            .fetch_add(count as u64, std::sync::atomic::Ordering::Relaxed)
            + count as u64;
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{total} objects read; {plural}"));
        }
    }

    /// Removes the spinner before the report and diagnostics are printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
