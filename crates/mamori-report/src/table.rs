//! The human table: findings grouped by lifecycle phase (each heading with its counts by severity), how to fix
//! each rule that fired, errors, notes, a per-phase summary and the overall summary line.
//!
//! ```text
//! Runtime: compute (2: critical 1, medium 1)
//!   critical  pss.privileged  Deployment/web (namespace shop)  deploy.yaml:12:11
//!             privileged: container "app" must not set securityContext.privileged=true
//!             at spec.template.spec.containers[0].securityContext.privileged
//! ```
//!
//! Findings keep input order inside a phase. [`TableWriter`] streams: each finding is rendered as it arrives
//! into its phase's [`SpillBuffer`] (memory, then an anonymous temporary file), and only counters and the rules
//! that fired stay in memory; [`TableWriter::finish`] assembles the sections. With `color`, ANSI styles are
//! emitted; the caller strips them when the destination is not a terminal or `NO_COLOR` is set.

use crate::spill::{SpillBuffer, DEFAULT_SPILL_THRESHOLD};
use crate::{phase_index, Diagnostic, PhaseCounts, ScanReport, SeverityCounts};
use mamori_model::{Finding, Phase, Severity};
use owo_colors::Style;
use std::collections::HashSet;
use std::io::{self, Write};

/// Options of the table renderer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOptions {
    /// Emit ANSI colour and bold.
    pub color: bool,
}

/// Writes a collected `report` as the human-readable table (same bytes as streaming it through
/// [`TableWriter`]).
pub fn render(report: &ScanReport, options: TableOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = TableWriter::new(options);
    for finding in &report.findings {
        writer.finding(finding)?;
    }
    writer.finish(
        &report.errors,
        &report.notes,
        report.objects_scanned,
        report.files_scanned,
        out,
    )
}

/// Streams the table: findings are rendered as they arrive into one bounded buffer per phase; the output is
/// assembled by [`TableWriter::finish`].
pub struct TableWriter {
    painter: Painter,
    sections: Vec<SpillBuffer>,
    counts: PhaseCounts,
    /// Rules that fired, for the "How to fix" section: first-seen order and membership.
    fixes: Vec<(String, String)>,
    fired: HashSet<String>,
    /// Reused buffer of [`TableWriter::finding`].
    scratch: Vec<u8>,
    /// No finding text so far holds a control character other than newline (see [`is_plain_finding`]).
    plain_text: bool,
}

/// Renders the lines of one finding exactly as the [`TableWriter`] it came from
/// ([`TableWriter::finding_renderer`]); `Send + Sync`, so worker threads can render ahead of the writer.
#[derive(Debug, Clone, Copy)]
pub struct TableFindingRenderer {
    painter: Painter,
}

impl TableFindingRenderer {
    /// Appends the finding's lines (severity, rule, object, location; message; field path) to `out`.
    pub fn render(&self, finding: &Finding, out: &mut Vec<u8>) -> io::Result<()> {
        write_finding(finding, &self.painter, out)
    }
}

impl TableWriter {
    /// A writer whose phase buffers spill to disk past [`DEFAULT_SPILL_THRESHOLD`] bytes each.
    pub fn new(options: TableOptions) -> TableWriter {
        TableWriter::with_spill_threshold(options, DEFAULT_SPILL_THRESHOLD)
    }

    /// A writer whose phase buffers spill to disk past `threshold` bytes each.
    pub fn with_spill_threshold(options: TableOptions, threshold: usize) -> TableWriter {
        TableWriter {
            painter: Painter {
                color: options.color,
            },
            sections: Phase::ALL
                .iter()
                .map(|_| SpillBuffer::new(threshold))
                .collect(),
            counts: PhaseCounts::default(),
            fixes: Vec::new(),
            fired: HashSet::new(),
            scratch: Vec::new(),
            plain_text: true,
        }
    }

    /// Renders one finding into its phase's buffer.
    pub fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        let mut bytes = std::mem::take(&mut self.scratch);
        bytes.clear();
        let written = write_finding(finding, &self.painter, &mut bytes)
            .and_then(|()| self.finding_rendered(finding, &bytes));
        self.scratch = bytes;
        written
    }

    /// Adds one finding whose lines a [`TableFindingRenderer`] of this writer already produced (e.g. in a
    /// worker thread): the same result as [`TableWriter::finding`].
    pub fn finding_rendered(&mut self, finding: &Finding, rendered: &[u8]) -> io::Result<()> {
        if self.plain_text && !is_plain_finding(finding) {
            self.plain_text = false;
        }
        self.counts.add(finding.phase, finding.severity);
        if !finding.remediation.is_empty() && !self.fired.contains(finding.rule_id.as_ref()) {
            self.fired.insert(finding.rule_id.to_string());
            self.fixes
                .push((finding.rule_id.to_string(), finding.remediation.to_string()));
        }
        match self.sections.get_mut(phase_index(finding.phase)) {
            Some(section) => section.write_all(rendered),
            None => Ok(()),
        }
    }

    /// A stateless renderer of this writer's finding lines (same colour choice), for worker threads.
    pub fn finding_renderer(&self) -> TableFindingRenderer {
        TableFindingRenderer {
            painter: self.painter,
        }
    }

    /// The most bytes any phase buffer held in memory at once.
    pub fn peak_buffer_memory(&self) -> usize {
        self.sections
            .iter()
            .map(SpillBuffer::peak_memory)
            .max()
            .unwrap_or(0)
    }

    /// Bytes moved to temporary files so far.
    pub fn spilled_bytes(&self) -> u64 {
        self.sections.iter().map(SpillBuffer::spilled_bytes).sum()
    }

    /// Writes the phase sections, how to fix, errors, notes and the summaries to `out`.
    pub fn finish(
        self,
        errors: &[Diagnostic],
        notes: &[Diagnostic],
        objects_scanned: u64,
        files_scanned: u64,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut target = Target { out, strip: None };
        self.assemble(errors, notes, objects_scanned, files_scanned, &mut target)
    }

    /// [`TableWriter::finish`] with every ANSI escape sequence removed by `strip`, a stateful stripper that
    /// writes the printable part of each chunk it is given to `out` (e.g. `anstream`'s `StripBytes`): the same
    /// bytes as `finish` into a stripping stream. When no finding text holds control characters, the phase
    /// sections (nearly all the bytes) bypass `strip`: only this writer's own styles are removed from them.
    pub fn finish_stripped(
        self,
        errors: &[Diagnostic],
        notes: &[Diagnostic],
        objects_scanned: u64,
        files_scanned: u64,
        out: &mut dyn Write,
        strip: &mut StripFn<'_>,
    ) -> io::Result<()> {
        let mut target = Target {
            out,
            strip: Some(strip),
        };
        self.assemble(errors, notes, objects_scanned, files_scanned, &mut target)
    }

    fn assemble(
        mut self,
        errors: &[Diagnostic],
        notes: &[Diagnostic],
        objects_scanned: u64,
        files_scanned: u64,
        out: &mut Target<'_, '_>,
    ) -> io::Result<()> {
        let painter = &self.painter;
        let mut first_section = true;
        for (phase, section) in Phase::ALL.iter().zip(self.sections.iter_mut()) {
            let counts = self.counts.phase(*phase);
            if counts.total() == 0 {
                continue;
            }
            section_gap(&mut first_section, out)?;
            let heading = format!(
                "{} ({}: {})",
                phase.title(),
                counts.total(),
                nonzero_counts(&counts)
            );
            writeln!(
                out,
                "{}",
                painter.paint(&heading, Style::new().bold().underline())
            )?;
            if out.strip.is_some() && self.plain_text {
                // Plain finding text between complete style sequences: removing those sequences is exactly
                // what a full strip would output, and the stripper's state stays at ground text.
                section.drain_into(&mut StyleRemover::new(&mut *out.out))?;
            } else {
                section.drain_into(out)?;
            }
        }

        if !self.fixes.is_empty() {
            section_gap(&mut first_section, out)?;
            writeln!(out, "{}", painter.paint("How to fix", Style::new().bold()))?;
            for (rule, remediation) in &self.fixes {
                writeln!(
                    out,
                    "  {}: {remediation}",
                    painter.paint(rule, Style::new().bold())
                )?;
            }
        }

        if !errors.is_empty() {
            section_gap(&mut first_section, out)?;
            writeln!(
                out,
                "{}",
                painter.paint("Errors", Style::new().bold().red())
            )?;
            for error in errors {
                writeln!(out, "  {error}")?;
            }
        }
        if !notes.is_empty() {
            section_gap(&mut first_section, out)?;
            writeln!(out, "{}", painter.paint("Notes", Style::new().bold()))?;
            for note in notes {
                writeln!(out, "  {note}")?;
            }
        }

        section_gap(&mut first_section, out)?;
        let total = self.counts.total();
        if total.total() == 0 {
            writeln!(
                out,
                "{}",
                painter.paint("No findings.", Style::new().green().bold())
            )?;
        } else {
            write_phase_summary(&self.counts, painter, out)?;
        }
        writeln!(
            out,
            "{}",
            summary_text(&total, objects_scanned, files_scanned, errors.len() as u64)
        )
    }
}

/// `7 findings (critical 1, high 2, medium 4, low 0, info 0) in 5 objects from 3 files, 1 error`.
pub fn summary_line(report: &ScanReport) -> String {
    summary_text(
        &SeverityCounts::of(&report.findings),
        report.objects_scanned,
        report.files_scanned,
        report.errors.len() as u64,
    )
}

fn summary_text(counts: &SeverityCounts, objects: u64, files: u64, errors: u64) -> String {
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .map(|s| format!("{s} {}", counts.get(*s)))
        .collect();
    format!(
        "Summary: {} ({}) in {} from {}, {}",
        plural(counts.total(), "finding", "findings"),
        by_severity.join(", "),
        plural(objects, "object", "objects"),
        plural(files, "file", "files"),
        plural(errors, "error", "errors"),
    )
}

/// `critical 1, medium 4` (severities with findings only, most severe first).
fn nonzero_counts(counts: &SeverityCounts) -> String {
    Severity::ALL
        .iter()
        .filter(|s| counts.get(**s) > 0)
        .map(|s| format!("{s} {}", counts.get(*s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The per-phase table of counts by severity (phases with findings only), with a total row.
fn write_phase_summary(
    counts: &PhaseCounts,
    painter: &Painter,
    out: &mut dyn Write,
) -> io::Result<()> {
    const PHASE_WIDTH: usize = 16;
    // The header's first column spans the rows' two-space indent.
    let mut header = format!("{:<width$}", "By phase", width = PHASE_WIDTH + 2);
    for severity in Severity::ALL {
        header.push_str(&format!("  {:>8}", severity.as_str()));
    }
    header.push_str(&format!("  {:>8}", "total"));
    writeln!(out, "{}", painter.paint(&header, Style::new().bold()))?;
    let row = |title: &str, phase_counts: &SeverityCounts| {
        let mut line = format!("  {title:<PHASE_WIDTH$}");
        for severity in Severity::ALL {
            line.push_str(&format!("  {:>8}", phase_counts.get(severity)));
        }
        line.push_str(&format!("  {:>8}", phase_counts.total()));
        line
    };
    for phase in Phase::ALL {
        let phase_counts = counts.phase(phase);
        if phase_counts.total() > 0 {
            writeln!(out, "{}", row(phase.title(), &phase_counts))?;
        }
    }
    writeln!(out, "{}", row("all phases", &counts.total()))
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn section_gap(first: &mut bool, out: &mut dyn Write) -> io::Result<()> {
    if !*first {
        writeln!(out)?;
    }
    *first = false;
    Ok(())
}

fn write_finding<W: Write + ?Sized>(
    finding: &Finding,
    painter: &Painter,
    out: &mut W,
) -> io::Result<()> {
    let severity = format!("{:<8}", finding.severity.as_str());
    let object = match &finding.object.namespace {
        Some(ns) if !ns.is_empty() => format!("{} (namespace {ns})", finding.object.display_name()),
        _ => finding.object.display_name(),
    };
    let loc = &finding.location;
    writeln!(
        out,
        "  {}  {}  {}  {}:{}:{}",
        painter.paint(&severity, severity_style(finding.severity)),
        painter.paint(&finding.rule_id, Style::new().bold()),
        object,
        loc.file,
        loc.pos.line,
        loc.pos.col,
    )?;
    writeln!(out, "            {}", finding.message)?;
    if !loc.field_path.is_empty() {
        writeln!(
            out,
            "            {}",
            painter.paint(&format!("at {}", loc.field_path), Style::new().dimmed())
        )?;
    }
    Ok(())
}

/// Whether the text a finding's lines show is free of C0 control characters other than newline and of DEL:
/// then an ANSI stripper, starting at ground text, prints every byte of it and ends at ground text again.
fn is_plain_finding(finding: &Finding) -> bool {
    // A non-short-circuiting fold: it vectorises, and finding text is almost always plain.
    let plain = |text: &str| {
        !text.bytes().fold(false, |bad, b| {
            bad | ((b < 0x20) & (b != b'\n')) | (b == 0x7f)
        })
    };
    plain(&finding.rule_id)
        && plain(&finding.object.kind)
        && plain(&finding.object.name)
        && finding.object.namespace.as_deref().is_none_or(plain)
        && plain(&finding.location.file)
        && plain(&finding.location.field_path)
        && plain(&finding.message)
}

/// A stateful ANSI stripper: writes the printable part of each chunk of a stream to the given writer.
pub type StripFn<'a> = dyn FnMut(&[u8], &mut dyn Write) -> io::Result<()> + 'a;

/// Where [`TableWriter::assemble`] writes: `out` directly, or through a stateful ANSI stripper.
struct Target<'o, 's> {
    out: &'o mut dyn Write,
    strip: Option<&'s mut StripFn<'s>>,
}

impl Write for Target<'_, '_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match &mut self.strip {
            Some(strip) => {
                strip(bytes, &mut *self.out)?;
                Ok(bytes.len())
            }
            None => self.out.write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Removes CSI sequences (`ESC [` parameters, intermediates, final byte), as the painter emits them, from text
/// that holds no other escape; sequences may be split across writes.
struct StyleRemover<'o> {
    out: &'o mut dyn Write,
    state: CsiState,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CsiState {
    Text,
    Escape,
    Sequence,
}

impl<'o> StyleRemover<'o> {
    fn new(out: &'o mut dyn Write) -> StyleRemover<'o> {
        StyleRemover {
            out,
            state: CsiState::Text,
        }
    }
}

impl Write for StyleRemover<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut rest = bytes;
        while !rest.is_empty() {
            match self.state {
                CsiState::Text => {
                    let end = memchr::memchr(0x1b, rest).unwrap_or(rest.len());
                    let (text, after) = rest.split_at(end);
                    self.out.write_all(text)?;
                    if !after.is_empty() {
                        self.state = CsiState::Escape;
                    }
                    rest = after.get(1..).unwrap_or_default();
                }
                CsiState::Escape => {
                    // The painter only writes `ESC [`; anything else ends the escape.
                    self.state = if rest.first() == Some(&b'[') {
                        CsiState::Sequence
                    } else {
                        CsiState::Text
                    };
                    rest = rest.get(1..).unwrap_or_default();
                }
                CsiState::Sequence => {
                    // Parameters and intermediates are 0x20..=0x3f; the final byte (0x40..=0x7e) ends it.
                    match rest.iter().position(|&b| !(0x20..=0x3f).contains(&b)) {
                        Some(end) => {
                            self.state = CsiState::Text;
                            rest = rest.get(end + 1..).unwrap_or_default();
                        }
                        None => rest = &[],
                    }
                }
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Critical => Style::new().bold().bright_red(),
        Severity::High => Style::new().red(),
        Severity::Medium => Style::new().yellow(),
        Severity::Low => Style::new().blue(),
        Severity::Info => Style::new().dimmed(),
    }
}

/// Applies a style only when colour is on, so plain output carries no escape codes at all.
#[derive(Debug, Clone, Copy)]
struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, text: &str, style: Style) -> String {
        if self.color {
            format!("{}", style.style(text))
        } else {
            text.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::finding;
    use crate::Diagnostic;
    use mamori_model::Pos;
    use std::sync::Arc;

    fn sample() -> ScanReport {
        let mut network = finding("pss.hostPorts", Severity::Medium, "b.yaml", 4, "api");
        network.phase = Phase::Network;
        ScanReport {
            findings: vec![
                finding("pss.privileged", Severity::Critical, "a.yaml", 12, "web"),
                network,
                finding("pss.privileged", Severity::Critical, "a.yaml", 40, "db"),
            ],
            errors: vec![Diagnostic {
                file: Arc::from("c.yaml"),
                pos: Pos::new(3, 5),
                message: "bad".into(),
            }],
            notes: vec![],
            objects_scanned: 3,
            files_scanned: 3,
        }
    }

    fn render_plain(report: &ScanReport) -> String {
        let mut out = Vec::new();
        render(report, TableOptions { color: false }, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn groups_by_phase_in_phase_order_keeping_input_order() {
        let text = render_plain(&sample());
        let compute = text.find("Runtime: compute (2: critical 2)").unwrap();
        let network = text.find("Network (1: medium 1)").unwrap();
        assert!(compute < network);
        let web = text.find("Deployment/web").unwrap();
        let db = text.find("Deployment/db").unwrap();
        assert!(web < db && db < network);
        assert!(text.contains(
            "  critical  pss.privileged  Deployment/web (namespace shop)  a.yaml:12:11\n            privileged: container"
        ));
        assert!(text.contains("at spec.template.spec.containers[0].securityContext.privileged"));
    }

    #[test]
    fn remediation_once_per_rule_errors_and_summary() {
        let text = render_plain(&sample());
        assert_eq!(text.matches("  pss.privileged: Remove").count(), 1);
        assert!(text.contains("Errors\n  c.yaml:3:5: bad\n"));
        assert!(
            text.contains(concat!(
                "By phase            critical      high    medium       low      info     total\n",
                "  Runtime: compute         2         0         0         0         0         2\n",
                "  Network                  0         0         1         0         0         1\n",
                "  all phases               2         0         1         0         0         3\n",
            )),
            "{text}"
        );
        assert!(text.ends_with(
            "Summary: 3 findings (critical 2, high 0, medium 1, low 0, info 0) in 3 objects from 3 files, 1 error\n"
        ));
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn colour_only_when_asked() {
        let mut out = Vec::new();
        render(&sample(), TableOptions { color: true }, &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("\x1b["));
    }

    #[test]
    fn empty_report_says_no_findings() {
        let text = render_plain(&ScanReport {
            objects_scanned: 1,
            files_scanned: 1,
            ..ScanReport::default()
        });
        assert_eq!(
            text,
            "No findings.\nSummary: 0 findings (critical 0, high 0, medium 0, low 0, info 0) in 1 object from 1 file, 0 errors\n"
        );
    }

    #[test]
    fn streaming_with_tiny_buffers_spills_and_gives_identical_output() {
        let mut findings = Vec::new();
        for i in 0..5_000u32 {
            let mut f = finding(
                "pss.privileged",
                Severity::Critical,
                "a.yaml",
                i,
                &format!("w{i}"),
            );
            if i % 3 == 0 {
                f.phase = Phase::Network;
                f.rule_id = format!("net.rule-{}", i % 7).into();
            }
            findings.push(f);
        }
        let report = ScanReport {
            findings,
            objects_scanned: 5_000,
            files_scanned: 1,
            ..ScanReport::default()
        };
        let expected = render_plain(&report);

        let threshold = 4096;
        let mut writer =
            TableWriter::with_spill_threshold(TableOptions { color: false }, threshold);
        for f in &report.findings {
            writer.finding(f).unwrap();
        }
        assert!(
            writer.spilled_bytes() > 1_000_000,
            "{}",
            writer.spilled_bytes()
        );
        // Memory per phase never holds more than the threshold plus one finding's lines.
        assert!(writer.peak_buffer_memory() < threshold + 512);
        let mut out = Vec::new();
        writer.finish(&[], &[], 5_000, 1, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        assert!(expected.contains("Network (1667: critical 1667)"));
        assert_eq!(expected.matches("\n  net.rule-").count(), 7);
    }
}
