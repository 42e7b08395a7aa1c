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
//! emitted; without it the output holds no escape sequence at all.
//!
//! Text that comes from the scanned input (object names, file names, messages quoting values, field paths) may
//! hold terminal control sequences: a hostile manifest must not be able to retitle the terminal, hide lines or
//! forge output. Every such character (C0 controls other than tab, DEL, C1 controls) is shown escaped as
//! `\u{1b}`, so what the input holds stays visible and inert, in colour and plain output alike.

use crate::spill::{SpillBuffer, DEFAULT_SPILL_THRESHOLD};
use crate::{phase_index, Diagnostic, PhaseCounts, ScanReport, SeverityCounts};
use mamori_model::{Finding, Phase, Severity};
use owo_colors::Style;
use std::collections::HashSet;
use std::fmt::{self, Write as _};
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
        mut self,
        errors: &[Diagnostic],
        notes: &[Diagnostic],
        objects_scanned: u64,
        files_scanned: u64,
        out: &mut dyn Write,
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
            section.drain_into(out)?;
        }

        if !self.fixes.is_empty() {
            section_gap(&mut first_section, out)?;
            writeln!(out, "{}", painter.paint("How to fix", Style::new().bold()))?;
            for (rule, remediation) in &self.fixes {
                writeln!(
                    out,
                    "  {}: {}",
                    painter.paint(Untrusted(rule), Style::new().bold()),
                    Untrusted(remediation)
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
                writeln!(out, "  {}", Untrusted(&error.to_string()))?;
            }
        }
        if !notes.is_empty() {
            section_gap(&mut first_section, out)?;
            writeln!(out, "{}", painter.paint("Notes", Style::new().bold()))?;
            for note in notes {
                writeln!(out, "  {}", Untrusted(&note.to_string()))?;
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
    // A live-cluster scan reads no files: its summary names objects only.
    let from_files = if files > 0 {
        format!(" from {}", plural(files, "file", "files"))
    } else {
        String::new()
    };
    format!(
        "Summary: {} ({}) in {}{from_files}, {}",
        plural(counts.total(), "finding", "findings"),
        by_severity.join(", "),
        plural(objects, "object", "objects"),
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
    let object = &finding.object;
    write!(
        out,
        "  {}  {}  {}/{}",
        painter.paint(
            format_args!("{:<8}", finding.severity.as_str()),
            severity_style(finding.severity)
        ),
        painter.paint(Untrusted(&finding.rule_id), Style::new().bold()),
        Untrusted(&object.kind),
        Untrusted(&object.name),
    )?;
    if let Some(ns) = object.namespace.as_deref().filter(|ns| !ns.is_empty()) {
        write!(out, " (namespace {})", Untrusted(ns))?;
    }
    let loc = &finding.location;
    // Objects read from a live cluster have no line: the location is the source alone.
    if loc.pos.is_known() {
        writeln!(
            out,
            "  {}:{}:{}",
            Untrusted(&loc.file),
            loc.pos.line,
            loc.pos.col
        )?;
    } else {
        writeln!(out, "  {}", Untrusted(&loc.file))?;
    }
    writeln!(out, "            {}", Untrusted(&finding.message))?;
    if !loc.field_path.is_empty() {
        writeln!(
            out,
            "            {}",
            painter.paint(
                format_args!("at {}", Untrusted(&loc.field_path)),
                Style::new().dimmed()
            )
        )?;
    }
    Ok(())
}

/// Text from the scanned input, displayed with terminal control characters escaped (`\u{1b}`): C0 controls
/// other than tab, DEL and C1 controls (U+0080..U+009F, which some terminals read as ESC sequences).
struct Untrusted<'a>(&'a str);

impl Untrusted<'_> {
    /// True when no byte can start a control character. A non-short-circuiting fold: it vectorises, and input
    /// text is almost always plain. 0xC2 leads every C1 control in UTF-8 (and some printable characters, which
    /// then take the careful path and come out unchanged).
    fn is_plain(text: &str) -> bool {
        !text.bytes().fold(false, |bad, b| {
            bad | ((b < 0x20) & (b != b'\t')) | (b == 0x7f) | (b == 0xc2)
        })
    }
}

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if Untrusted::is_plain(self.0) {
            return f.write_str(self.0);
        }
        for c in self.0.chars() {
            if c != '\t' && (c.is_control()) {
                write!(f, "\\u{{{:x}}}", u32::from(c))?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
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
    fn paint<T: fmt::Display>(&self, text: T, style: Style) -> Painted<T> {
        Painted {
            text,
            style: self.color.then_some(style),
        }
    }
}

/// Text with an optional style, written without an intermediate string.
struct Painted<T> {
    text: T,
    style: Option<Style>,
}

impl<T: fmt::Display> fmt::Display for Painted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.style {
            Some(style) => write!(f, "{}", style.style(&self.text)),
            None => write!(f, "{}", self.text),
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

    #[test]
    fn control_characters_from_the_input_are_escaped_in_both_modes() {
        let hostile = [
            "osc \u{1b}]0;title\u{7}",
            "csi \u{1b}[2J",
            "c1 \u{9b}31m",
            "bell \u{7} del \u{7f} cr \r nl \n",
        ];
        for color in [false, true] {
            for text in hostile {
                let mut f = finding("pss.privileged", Severity::High, "a.yaml", 3, "web");
                f.message = text.to_owned();
                Arc::make_mut(&mut f.object).name = text.to_owned();
                f.location.field_path = text.to_owned();
                let report = ScanReport {
                    findings: vec![f],
                    errors: vec![Diagnostic {
                        file: Arc::from(text),
                        pos: Pos::new(1, 1),
                        message: text.to_owned(),
                    }],
                    notes: vec![],
                    objects_scanned: 1,
                    files_scanned: 1,
                };
                let mut out = Vec::new();
                render(&report, TableOptions { color }, &mut out).unwrap();
                let out = String::from_utf8(out).unwrap();
                let input_controls = out
                    .chars()
                    .filter(|c| *c != '\n' && c.is_control())
                    .filter(|c| !(color && *c == '\u{1b}'))
                    .count();
                assert_eq!(input_controls, 0, "{out:?}");
                if color {
                    // Our own styles are the only escapes: each is followed by `[` and a style code.
                    for (i, _) in out.match_indices('\u{1b}') {
                        assert_eq!(out.as_bytes().get(i + 1), Some(&b'['), "{out:?}");
                    }
                    assert!(!out.contains("\u{1b}]"), "{out:?}");
                    assert!(!out.contains("\u{1b}[2J"), "{out:?}");
                } else {
                    assert!(!out.contains('\u{1b}'), "{out:?}");
                }
                assert!(
                    out.contains("\\u{1b}") || out.contains("\\u{9b}") || out.contains("\\u{7}"),
                    "{out:?}"
                );
            }
        }
    }

    #[test]
    fn printable_non_ascii_text_is_unchanged() {
        let mut f = finding("pss.privileged", Severity::High, "a.yaml", 3, "web");
        f.message = "é ✓ © \t tab".to_owned();
        let mut out = Vec::new();
        render(
            &ScanReport {
                findings: vec![f],
                errors: vec![],
                notes: vec![],
                objects_scanned: 1,
                files_scanned: 1,
            },
            TableOptions { color: false },
            &mut out,
        )
        .unwrap();
        assert!(String::from_utf8(out).unwrap().contains("é ✓ © \t tab"));
    }

    #[test]
    fn objects_without_a_line_show_the_source_alone() {
        let mut f = finding("pss.privileged", Severity::High, "a.yaml", 3, "web");
        f.location.file = Arc::from("cluster:prod");
        f.location.pos = Pos::UNKNOWN;
        let mut out = Vec::new();
        render(
            &ScanReport {
                findings: vec![f],
                errors: vec![],
                notes: vec![],
                objects_scanned: 1,
                files_scanned: 1,
            },
            TableOptions { color: false },
            &mut out,
        )
        .unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("  cluster:prod\n"), "{out}");
        assert!(!out.contains("cluster:prod:0:0"), "{out}");
    }
}
