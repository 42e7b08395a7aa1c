//! The scan engine behind `mamori scan` and `mamori pss`: a parallel, streaming, order-preserving pipeline.
//!
//! ```text
//! reader thread ── read_documents, batches of raw documents ──▶ bounded channel
//! N workers ── parse_raw → pod_template → PodView → Evaluator → findings ──▶ results (batch sequence numbers)
//! calling thread ── re-orders by sequence number ──▶ sink (input order)
//! ```
//!
//! Memory is bounded whatever the input size: the reader may only run [`PipelineConfig::window`] batches ahead
//! of the batch the calling thread is waiting for (a credit is returned each time a batch reaches the sink), and
//! every batch holds at most [`PipelineConfig::batch_docs`] documents or about [`PipelineConfig::batch_bytes`]
//! of text (plus one document, itself bounded by `Limits::max_document_bytes`).

mod findings;
mod pipeline;
mod rules;

pub use findings::{evaluate_object, findings_for};
pub use mamori_load::{Input, LoadError, Note};
pub use pipeline::{scan_with, PipelineConfig, PipelineStats};
pub use rules::{rule, rules, RuleInfo};

use mamori_model::{Finding, ObjectRef, SourceRef};
use mamori_pss::{LevelVersion, PssResult};
use mamori_yaml::Limits;

/// What to scan for and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// The Pod Security level and version to evaluate pod-bearing objects at.
    pub pss: LevelVersion,
    /// Parser and reader limits.
    pub limits: Limits,
    /// Worker threads; 0 = one per available core.
    pub threads: usize,
}

/// The outcome for one object.
#[derive(Debug, Clone)]
pub struct ObjectResult {
    pub source: SourceRef,
    pub object: ObjectRef,
    /// `None` when the object carries no pod template (not pod-bearing, or not a Kubernetes workload group).
    pub pss: Option<PssResult>,
    pub findings: Vec<Finding>,
}

/// One item of scan output, delivered in input order.
#[derive(Debug, Clone)]
pub enum ScanItem {
    Object(ObjectResult),
    Note(Note),
    /// A load error, or a pod field of the wrong type (`file:line:col: <field path>: <what is wrong>`).
    Error(LoadError),
}

/// The streaming, parallel pipeline. Items reach `sink` in input order (file order, document order, List item
/// order), from the calling thread. Memory stays bounded whatever the input size.
pub fn scan(inputs: &[Input], opts: &ScanOptions, sink: &mut dyn FnMut(ScanItem)) {
    scan_with(inputs, opts, &PipelineConfig::default(), sink);
}
