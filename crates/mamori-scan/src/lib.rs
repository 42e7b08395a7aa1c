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
mod objects;
mod pipeline;
mod rules;

pub use findings::{evaluate_object, evaluate_object_items, findings_for};
pub use mamori_config::{Policy, Suppressed, Suppression};
pub use mamori_load::{Input, LoadError, Note};
pub use objects::scan_objects;
pub use pipeline::{scan_with, PipelineConfig, PipelineStats};
pub use rules::{rule, rules, RuleInfo};

use mamori_model::{Finding, ObjectRef, SourceRef};
use mamori_pss::{LevelVersion, PssResult};
use mamori_yaml::Limits;
use std::fmt;
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
    /// Renders each object's findings to bytes in the workers, after the policy; `None` = no pre-rendering.
    pub render: Option<RenderHook>,
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
            render: None,
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
    pub object: std::sync::Arc<ObjectRef>,
    /// `None` when the object carries no pod template (not pod-bearing, or not a Kubernetes workload group).
    pub pss: Option<PssResult>,
    /// Findings after the policy: disabled rules removed, severities overridden, suppressed ones moved out.
    pub findings: Vec<Finding>,
    /// Findings an exception or a `mamori.io/exempt` annotation suppressed (kept out of reports).
    pub suppressed: Vec<Suppressed>,
    /// What [`ScanOptions::render`] produced for this object in a worker; `None` without a hook or when the
    /// hook failed (the consumer then renders the findings itself).
    pub rendered: Option<Rendered>,
}

/// The signature of a [`RenderHook`]: appends the bytes of one object's result to `Rendered`.
pub type RenderFn = dyn Fn(&ObjectResult, &mut Rendered) -> std::io::Result<()> + Send + Sync;

/// Output rendering run by the workers, so the thread that receives results in order only copies bytes.
#[derive(Clone)]
pub struct RenderHook(pub Arc<RenderFn>);

impl RenderHook {
    /// Wraps a rendering function.
    pub fn new(
        render: impl Fn(&ObjectResult, &mut Rendered) -> std::io::Result<()> + Send + Sync + 'static,
    ) -> RenderHook {
        RenderHook(Arc::new(render))
    }
}

impl fmt::Debug for RenderHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RenderHook")
    }
}

/// Bytes rendered ahead of time for one object, as consecutive parts (e.g. one per finding), so the consumer
/// can route each part where it belongs (the table writes each finding into its phase's section).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    bytes: Vec<u8>,
    /// End offset in `bytes` of each part.
    ends: Vec<usize>,
}

impl Rendered {
    /// The buffer the current part is appended to; [`Rendered::end_part`] closes it.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Closes the current part (everything appended since the previous one).
    pub fn end_part(&mut self) {
        self.ends.push(self.bytes.len());
    }

    /// Number of closed parts.
    pub fn part_count(&self) -> usize {
        self.ends.len()
    }

    /// The closed parts, in order (bytes appended after the last `end_part` are not included).
    pub fn parts(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| self.bytes.get(start..end).unwrap_or_default())
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_pss::{Level, Version};
    use std::io::Write;

    #[test]
    fn rendered_parts_come_back_in_order() {
        let mut rendered = Rendered::default();
        rendered.buffer().extend_from_slice(b"first");
        rendered.end_part();
        rendered.end_part();
        rendered.buffer().extend_from_slice(b"third");
        rendered.end_part();
        rendered.buffer().extend_from_slice(b"unclosed");
        let parts: Vec<&[u8]> = rendered.parts().collect();
        assert_eq!(parts, [&b"first"[..], b"", b"third"]);
        assert_eq!(rendered.part_count(), 3);
    }

    #[test]
    fn workers_run_the_render_hook_on_every_object() {
        let dir = std::env::temp_dir().join(format!("mamori-scan-render-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pods.yaml");
        let mut text = String::new();
        for i in 0..300 {
            let privileged = i % 3 == 0;
            text.push_str(&format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\nspec:\n  containers:\n  - name: c\n    \
                 image: x\n    securityContext:\n      privileged: {privileged}\n"
            ));
        }
        std::fs::write(&file, text).unwrap();
        let mut opts = ScanOptions::new(
            LevelVersion::new(Level::Baseline, Version::LATEST),
            Limits::default(),
            2,
        );
        opts.render = Some(RenderHook::new(|object, rendered| {
            for finding in &object.findings {
                write!(
                    rendered.buffer(),
                    "{}|{}",
                    object.object.name,
                    finding.rule_id
                )?;
                rendered.end_part();
            }
            Ok(())
        }));
        let mut objects = 0;
        scan(&[Input::Path(file)], &opts, &mut |item| {
            if let ScanItem::Object(object) = item {
                let rendered = object.rendered.expect("rendered by the hook");
                let parts: Vec<String> = rendered
                    .parts()
                    .map(|part| String::from_utf8_lossy(part).into_owned())
                    .collect();
                let expected: Vec<String> = object
                    .findings
                    .iter()
                    .map(|f| format!("{}|{}", object.object.name, f.rule_id))
                    .collect();
                assert_eq!(parts, expected);
                assert_eq!(parts.is_empty(), objects % 3 != 0, "object {objects}");
                objects += 1;
            }
        });
        assert_eq!(objects, 300);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
