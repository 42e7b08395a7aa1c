//! mamori live-cluster access: read-only, paginated snapshots through the Kubernetes API (kube-rs).
//!
//! The client configuration is resolved as kubectl resolves it (an explicit kubeconfig, else `KUBECONFIG`, else
//! `~/.kube/config`, else the in-cluster service account; `--context` picks a context). Every kind is LISTed
//! with `limit`/`continue` pagination, a few kinds at a time; Secrets are listed as metadata only
//! (`PartialObjectMetadataList`), so secret data never leaves the API server. Page bodies are parsed with the
//! fast JSON → [`mamori_model::Node`] path; each item gets the `apiVersion`/`kind` that LIST items lack and loses
//! `metadata.managedFields`.
//!
//! Nothing here prints or exits: failures arrive as [`ClusterError`] values next to the objects that could be
//! read, so a caller can report what it read and say what it could not.

mod config;
mod error;
mod fetch;
mod kinds;
mod page;
pub mod snapshot;

pub use error::{ClusterError, ListScope, ListTarget};
pub use kinds::{rbac_kinds, scan_kinds, KindSpec};

use mamori_model::K8sObject;
use std::path::PathBuf;

/// Where to connect and what to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterOptions {
    /// A kubeconfig file (`--kubeconfig`); `None` = `KUBECONFIG`, then `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (`--context`); `None` = the current context.
    pub context: Option<String>,
    /// `None` = all namespaces (cluster-scoped kinds included). `Some(ns)` = the namespaced kinds in `ns` plus
    /// the Namespace object itself; other cluster-scoped kinds are not read.
    pub namespace: Option<String>,
    /// Objects per LIST page (`limit`); 0 = the default, 500.
    pub page_size: u32,
    /// Kinds listed at the same time; 0 = the default, 4.
    pub concurrency: usize,
}

impl Default for ClusterOptions {
    fn default() -> ClusterOptions {
        ClusterOptions {
            kubeconfig: None,
            context: None,
            namespace: None,
            page_size: DEFAULT_PAGE_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// Objects per LIST page when [`ClusterOptions::page_size`] is 0 (kubectl uses 500 too).
pub const DEFAULT_PAGE_SIZE: u32 = 500;
/// Kinds listed at the same time when [`ClusterOptions::concurrency`] is 0.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Everything [`fetch`] read, and what it could not read.
#[derive(Debug, Default)]
pub struct Fetched {
    /// In the order of the requested kinds, each kind in the server's list order.
    pub objects: Vec<K8sObject>,
    /// What could not be read (each names the kind, scope and cause).
    pub errors: Vec<ClusterError>,
    /// The kubeconfig context used (`in-cluster` for the service-account configuration).
    pub context: String,
    /// Things worth telling that are not failures (e.g. an API the server does not serve, a list resumed after
    /// its continue token expired).
    pub notes: Vec<String>,
}

/// One step of [`fetch_streaming`].
#[derive(Debug)]
pub enum FetchItem {
    /// The client is configured and the API server answered; comes first (unless the connection failed).
    Connected {
        /// The kubeconfig context (`in-cluster` for the service-account configuration).
        context: String,
        /// The API server URL.
        server: String,
    },
    /// One LIST page of `kind`, converted (source file `cluster:<context>`, positions unknown).
    Page {
        kind: KindSpec,
        objects: Vec<K8sObject>,
    },
    /// Everything of `kind` was read (after its last page), with the number of objects.
    KindDone { kind: KindSpec, objects: u64 },
    /// Something that could not be read.
    Error(ClusterError),
    /// Something worth telling that is not a failure.
    Note(String),
}

/// Blocking (runs its own tokio runtime): LISTs every kind (a few kinds at once, each paginated with
/// `limit`/`continue`) and collects the objects, in the order of `kinds`.
pub fn fetch(opts: &ClusterOptions, kinds: &[KindSpec]) -> Fetched {
    let mut fetched = Fetched::default();
    fetch_streaming(opts, kinds, &mut |item| match item {
        FetchItem::Connected { context, .. } => fetched.context = context,
        FetchItem::Page { mut objects, .. } => fetched.objects.append(&mut objects),
        FetchItem::KindDone { .. } => {}
        FetchItem::Error(error) => fetched.errors.push(error),
        FetchItem::Note(note) => fetched.notes.push(note),
    });
    fetched
}

/// The streaming form of [`fetch`] for big clusters: pages reach `sink` as they arrive, on the calling thread,
/// in a deterministic order (all pages of `kinds[0]`, then of `kinds[1]`, …) while later kinds are already being
/// read. Memory is bounded: each kind in flight holds at most two pages ahead of the sink.
pub fn fetch_streaming(opts: &ClusterOptions, kinds: &[KindSpec], sink: &mut dyn FnMut(FetchItem)) {
    fetch::run(opts, kinds, sink);
}
