//! The human table: findings grouped by lifecycle phase, then how to fix each rule that fired, errors, notes
//! and a one-line summary.
//!
//! ```text
//! Runtime: compute (2)
//!   critical  pss.privileged  Deployment/web (namespace shop)  deploy.yaml:12:11
//!             privileged: container "app" must not set securityContext.privileged=true
//!             at spec.template.spec.containers[0].securityContext.privileged
//! ```
//!
//! Findings keep input order inside a phase. With `color`, ANSI styles are emitted; the caller strips them when
//! the destination is not a terminal or `NO_COLOR` is set.

use crate::{ScanReport, SeverityCounts};
use mamori_model::{Finding, Phase, Severity};
use owo_colors::Style;
use std::io::{self, Write};

/// Options of the table renderer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOptions {
    /// Emit ANSI colour and bold.
    pub color: bool,
}

/// Writes `report` as the human-readable table.
pub fn render(report: &ScanReport, options: TableOptions, out: &mut dyn Write) -> io::Result<()> {
    let painter = Painter {
        color: options.color,
    };
    // Group by phase without re-sorting: one pass to bucket indices, order inside a bucket is input order.
    let mut by_phase: Vec<Vec<&Finding>> = vec![Vec::new(); Phase::ALL.len()];
    for finding in &report.findings {
        let slot = Phase::ALL
            .iter()
            .position(|p| *p == finding.phase)
            .unwrap_or(0);
        if let Some(bucket) = by_phase.get_mut(slot) {
            bucket.push(finding);
        }
    }

    let mut first_section = true;
    for (phase, findings) in Phase::ALL.iter().zip(&by_phase) {
        if findings.is_empty() {
            continue;
        }
        section_gap(&mut first_section, out)?;
        let heading = format!("{} ({})", phase.title(), findings.len());
        writeln!(
            out,
            "{}",
            painter.paint(&heading, Style::new().bold().underline())
        )?;
        for finding in findings {
            write_finding(finding, &painter, out)?;
        }
    }

    write_remediations(report, &painter, &mut first_section, out)?;

    if !report.errors.is_empty() {
        section_gap(&mut first_section, out)?;
        writeln!(
            out,
            "{}",
            painter.paint("Errors", Style::new().bold().red())
        )?;
        for error in &report.errors {
            writeln!(out, "  {error}")?;
        }
    }
    if !report.notes.is_empty() {
        section_gap(&mut first_section, out)?;
        writeln!(out, "{}", painter.paint("Notes", Style::new().bold()))?;
        for note in &report.notes {
            writeln!(out, "  {note}")?;
        }
    }

    section_gap(&mut first_section, out)?;
    if report.findings.is_empty() {
        writeln!(
            out,
            "{}",
            painter.paint("No findings.", Style::new().green().bold())
        )?;
    }
    writeln!(out, "{}", summary_line(report))
}

/// `7 findings (critical 1, high 2, medium 4, low 0, info 0) in 5 objects from 3 files, 1 error`.
pub fn summary_line(report: &ScanReport) -> String {
    let counts = SeverityCounts::of(&report.findings);
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .map(|s| format!("{s} {}", counts.get(*s)))
        .collect();
    format!(
        "Summary: {} ({}) in {} from {}, {}",
        plural(report.findings.len() as u64, "finding", "findings"),
        by_severity.join(", "),
        plural(report.objects_scanned, "object", "objects"),
        plural(report.files_scanned, "file", "files"),
        plural(report.errors.len() as u64, "error", "errors"),
    )
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

fn write_finding(finding: &Finding, painter: &Painter, out: &mut dyn Write) -> io::Result<()> {
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

/// One "how to fix" line per distinct rule that fired, in first-seen order.
fn write_remediations(
    report: &ScanReport,
    painter: &Painter,
    first_section: &mut bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    let mut lines: Vec<(&str, &str)> = Vec::new();
    for finding in &report.findings {
        if finding.remediation.is_empty() || seen.contains(&finding.rule_id.as_str()) {
            continue;
        }
        seen.push(&finding.rule_id);
        lines.push((&finding.rule_id, &finding.remediation));
    }
    if lines.is_empty() {
        return Ok(());
    }
    section_gap(first_section, out)?;
    writeln!(out, "{}", painter.paint("How to fix", Style::new().bold()))?;
    for (rule, remediation) in lines {
        writeln!(
            out,
            "  {}: {remediation}",
            painter.paint(rule, Style::new().bold())
        )?;
    }
    Ok(())
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
        let compute = text.find("Runtime: compute (2)").unwrap();
        let network = text.find("Network (1)").unwrap();
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
}
