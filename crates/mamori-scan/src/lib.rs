//! The scan engine behind `mamori scan` and `mamori pss`: a parallel, streaming, order-preserving pipeline.
//!
//! ```text
//! reader thread ── read_documents, batches of raw documents ──▶ bounded channel
//! N workers ── parse_raw → pod_template → PodView → Evaluator → object rules → policy ──▶ results (batch seq.)
//! calling thread ── re-orders by sequence number ──▶ sink (input order) ── at the end: inventory rules ──▶ sink
//! ```
//!
//! Rule families: the Pod Security checks (`pss.<checkID>`) and, when [`RuleOptions::catalogue`] is on, the
//! `mamori-rules` catalogue. Object rules run in the workers right after PSS; the objects of the kinds inventory
//! rules need are kept (in input order) and those rules run once after the last object, their findings arriving
//! as [`ScanItem::Findings`]. The [`mamori_config::Policy`] (disabled rules, severity overrides, exceptions,
//! `mamori.io/exempt` annotations) applies to every finding, PSS ones included.
//!
//! Memory is bounded whatever the input size: the reader may only run [`PipelineConfig::window`] batches ahead
//! of the batch the calling thread is waiting for (a credit is returned each time a batch reaches the sink), and
//! every batch holds at most [`PipelineConfig::batch_docs`] documents or about [`PipelineConfig::batch_bytes`]
//! of text (plus one document, itself bounded by `Limits::max_document_bytes`).

mod findings;
mod pipeline;
mod rules;

pub use findings::{evaluate_object, evaluate_object_items, findings_for};
pub use mamori_config::{Policy, Suppressed, Suppression};
pub use mamori_load::{Input, LoadError, Note};
pub use pipeline::{scan_with, PipelineConfig, PipelineStats};
pub use rules::{rule, rules, RuleInfo};

use mamori_model::{Finding, ObjectRef, SourceRef};
use mamori_pss::{LevelVersion, PssResult};
use mamori_yaml::Limits;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// What to scan for and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// The Pod Security level and version to evaluate pod-bearing objects at.
    pub pss: LevelVersion,
    /// Parser and reader limits.
    pub limits: Limits,
    /// Worker threads; 0 = one per available core.
    pub threads: usize,
    /// Rule catalogue on/off and the mamori.yaml policy. The default is PSS only with an empty policy.
    pub rules: RuleOptions,
    /// Counters the reader thread updates while it reads, for a progress display; `None` = not counted.
    pub progress: Option<Arc<Progress>>,
}

impl ScanOptions {
    /// PSS-only options (no catalogue, empty policy, no progress counters), as `mamori pss` uses.
    pub fn new(pss: LevelVersion, limits: Limits, threads: usize) -> ScanOptions {
        ScanOptions {
            pss,
            limits,
            threads,
            rules: RuleOptions::default(),
            progress: None,
        }
    }
}

/// Which rule families run and under which policy.
#[derive(Debug, Clone, Default)]
pub struct RuleOptions {
    /// Run the `mamori-rules` catalogue (object rules in the workers, inventory rules at the end) besides PSS.
    pub catalogue: bool,
    /// Rule selection, severity overrides, exceptions and the settings rules read.
    pub policy: Arc<Policy>,
}

/// Documents and bytes read so far (updated by the reader thread, relaxed ordering).
#[derive(Debug, Default)]
pub struct Progress {
    pub documents: AtomicU64,
    pub bytes: AtomicU64,
}

/// The outcome for one object.
#[derive(Debug, Clone)]
pub struct ObjectResult {
    pub source: SourceRef,
    pub object: ObjectRef,
    /// `None` when the object carries no pod template (not pod-bearing, or not a Kubernetes workload group).
    pub pss: Option<PssResult>,
    /// Findings after the policy: disabled rules removed, severities overridden, suppressed ones moved out.
    pub findings: Vec<Finding>,
    /// Findings an exception or a `mamori.io/exempt` annotation suppressed (kept out of reports).
    pub suppressed: Vec<Suppressed>,
}

/// One item of scan output, delivered in input order.
#[derive(Debug, Clone)]
pub enum ScanItem {
    Object(ObjectResult),
    Note(Note),
    /// A load error, or a pod field of the wrong type (`file:line:col: <field path>: <what is wrong>`).
    Error(LoadError),
    /// End-of-scan findings of the inventory rules (after every object), policy applied.
    Findings(Vec<Finding>),
    /// End-of-scan inventory findings that the policy suppressed.
    Suppressed(Vec<Suppressed>),
}

/// The streaming, parallel pipeline. Items reach `sink` in input order (file order, document order, List item
/// order), from the calling thread. Memory stays bounded whatever the input size.
pub fn scan(inputs: &[Input], opts: &ScanOptions, sink: &mut dyn FnMut(ScanItem)) {
    scan_with(inputs, opts, &PipelineConfig::default(), sink);
}
