//! `mamori pss`: Pod Security Standards verdicts, one per pod-bearing object, in input order.

use super::Outcome;
use crate::options::{self, Destination, LevelArg, LimitArgs, VersionArg};
use clap::{Args, ValueEnum};
use mamori_report::pss::{write_text, PssJsonWriter, PssPolicy, PssRecord, PssViolation};
use mamori_report::Diagnostic;
use mamori_scan::{ObjectResult, ScanItem, ScanOptions};
use std::io::{self, Write};
use std::path::PathBuf;

/// Output formats of `mamori pss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PssFormat {
    /// `file:line: Kind/name: allowed` or `... violates PodSecurity "level:version": detail`.
    Text,
    /// One JSON document with results, errors and notes.
    Json,
}

#[derive(Args, Debug)]
pub struct PssArgs {
    /// Pod Security level: privileged, baseline or restricted.
    #[arg(long, value_name = "LEVEL", default_value = "restricted", value_parser = options::parse_level)]
    pub level: LevelArg,
    /// Policy version: latest or v1.N.
    #[arg(long, value_name = "VERSION", default_value = "latest", value_parser = options::parse_version)]
    pub version: VersionArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PssFormat::Text)]
    pub format: PssFormat,
    /// Write the output to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Files or directories to read (`-` for stdin).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

/// Runs `mamori pss`; results are written as they arrive, errors and notes go to stderr.
pub fn run(args: &PssArgs) -> Result<Outcome, String> {
    // PSS verdicts only: no rule catalogue, no mamori.yaml policy.
    let scan_options = ScanOptions::new(
        options::level_version(&args.level, &args.version),
        args.limits.limits(),
        args.limits.threads,
    );
    let policy = PssPolicy {
        level: &args.level.text,
        version: &args.version.text,
    };
    let mut destination = Destination::open(args.output.as_deref())?;
    let inputs = options::inputs(&args.paths);

    let mut outcome = Outcome::default();
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut notes: Vec<Diagnostic> = Vec::new();
    let mut write_result: io::Result<()> = Ok(());

    let mut sink = match args.format {
        PssFormat::Json => {
            Sink::Json(PssJsonWriter::new(&mut *destination.writer).map_err(options::write_error)?)
        }
        PssFormat::Text => Sink::Text(&mut *destination.writer),
    };
    mamori_scan::scan(&inputs, &scan_options, &mut |item| match item {
        ScanItem::Object(object) => {
            let Some(record) = record(&object) else {
                return;
            };
            if !record.allowed {
                outcome.failed = true;
            }
            // After a write failure (e.g. a closed pipe) keep draining the scan but stop writing.
            if write_result.is_ok() {
                write_result = sink.record(&record, policy);
            }
        }
        ScanItem::Note(note) => {
            eprintln!("{note}");
            notes.push(Diagnostic {
                file: note.file,
                pos: note.pos,
                message: note.message,
            });
        }
        ScanItem::Error(error) => {
            eprintln!("{error}");
            outcome.errors = true;
            errors.push(Diagnostic {
                file: error.file,
                pos: error.pos,
                message: error.message,
            });
        }
        // Only the catalogue's inventory rules produce these; `mamori pss` does not run them.
        ScanItem::Findings(_) | ScanItem::Suppressed(_) => {}
    });
    write_result.map_err(options::write_error)?;
    sink.finish(&errors, &notes).map_err(options::write_error)?;
    destination.writer.flush().map_err(options::write_error)?;
    Ok(outcome)
}

/// Where records go: text lines, or the streamed JSON document.
enum Sink<'w> {
    Text(&'w mut dyn Write),
    Json(PssJsonWriter<'w>),
}

impl Sink<'_> {
    fn record(&mut self, record: &PssRecord, policy: PssPolicy<'_>) -> io::Result<()> {
        match self {
            Sink::Text(out) => write_text(record, policy, &mut **out),
            Sink::Json(writer) => writer.record(record, policy),
        }
    }

    fn finish(self, errors: &[Diagnostic], notes: &[Diagnostic]) -> io::Result<()> {
        match self {
            Sink::Text(_) => Ok(()),
            Sink::Json(writer) => writer.finish(errors, notes),
        }
    }
}

/// The PSS record of a pod-bearing object; `None` for other kinds.
fn record(object: &ObjectResult) -> Option<PssRecord> {
    let result = object.pss.as_ref()?;
    Some(PssRecord {
        file: object.source.file.clone(),
        line: object.source.pos.line,
        column: object.source.pos.col,
        kind: object.object.kind.clone(),
        namespace: object.object.namespace.clone(),
        name: object.object.name.clone(),
        allowed: result.allowed(),
        detail: result.forbidden_detail(),
        violations: result
            .violations
            .iter()
            .map(|v| PssViolation {
                check: v.check_id.to_owned(),
                reason: v.reason.clone(),
                detail: v.detail.clone(),
            })
            .collect(),
    })
}
