//! A self-contained HTML report: one file, no network fetches (inline CSS, JS and SVG), a strict Content
//! Security Policy (`default-src 'none'`; the inline script and style allowed by their SHA-256 hashes only).
//!
//! The page shows the counts by phase and severity (a table and an SVG bar chart, rendered here), the findings
//! with filters (severity, phase, rule, namespace, free text) and an explanation per finding (rationale,
//! remediation, references), paginated in inline JS so 100k+ findings stay usable, the rules that fired, and
//! input errors and notes.
//!
//! Untrusted text (object names, messages, file names) never becomes markup: server-rendered text is
//! HTML-escaped, and the findings travel as JSON in a `<script type="application/json">` block with `<`, `>` and
//! `&` written as `\u003c`/`\u003e`/`\u0026`, which the script only ever puts into the page via `textContent`.
//!
//! [`HtmlWriter`] streams: each finding's JSON goes into a bounded [`SpillBuffer`]; only counters and the rules
//! that fired stay in memory.

use crate::json::PolicyInfo;
use crate::spill::{SpillBuffer, DEFAULT_SPILL_THRESHOLD};
use crate::{Diagnostic, PhaseCounts, RuleDescriptor, ScanReport, SeverityCounts, ToolInfo};
use mamori_model::{Finding, Phase, Severity};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::{self, Write};

/// The inline stylesheet.
pub const STYLE: &str = include_str!("html/report.css");
/// The inline script (filters, pagination, explanations).
pub const SCRIPT: &str = include_str!("html/report.js");

/// What the page says about the run besides the findings.
#[derive(Debug, Clone, Copy)]
pub struct HtmlContext<'a> {
    pub tool: &'a ToolInfo,
    pub policy: PolicyInfo<'a>,
    /// Metadata of the rules (the ones that fired are explained).
    pub rules: &'a [RuleDescriptor<'a>],
    pub errors: &'a [Diagnostic],
    pub notes: &'a [Diagnostic],
    pub objects_scanned: u64,
    pub files_scanned: u64,
}

/// Streams the HTML report: [`HtmlWriter::finding`] for each finding, then [`HtmlWriter::finish`].
pub struct HtmlWriter {
    data: SpillBuffer,
    counts: PhaseCounts,
    findings: u64,
    fired: Vec<String>,
    fired_set: HashSet<String>,
    /// Reused buffer of [`HtmlWriter::finding`].
    scratch: Vec<u8>,
}

impl Default for HtmlWriter {
    fn default() -> HtmlWriter {
        HtmlWriter::new()
    }
}

impl HtmlWriter {
    /// A writer whose finding data spills to disk past [`DEFAULT_SPILL_THRESHOLD`] bytes.
    pub fn new() -> HtmlWriter {
        HtmlWriter::with_spill_threshold(DEFAULT_SPILL_THRESHOLD)
    }

    /// A writer whose finding data spills to disk past `threshold` bytes.
    pub fn with_spill_threshold(threshold: usize) -> HtmlWriter {
        HtmlWriter {
            data: SpillBuffer::new(threshold),
            counts: PhaseCounts::default(),
            findings: 0,
            fired: Vec::new(),
            fired_set: HashSet::new(),
            scratch: Vec::new(),
        }
    }

    /// Adds one finding.
    pub fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let mut bytes = std::mem::take(&mut self.scratch);
        bytes.clear();
        let written = render_finding(f, &mut bytes).and_then(|()| self.finding_rendered(f, &bytes));
        self.scratch = bytes;
        written
    }

    /// Adds one finding whose data row [`render_finding`] already produced (e.g. in a worker thread): the same
    /// result as [`HtmlWriter::finding`].
    pub fn finding_rendered(&mut self, f: &Finding, rendered: &[u8]) -> io::Result<()> {
        self.counts.add(f.phase, f.severity);
        if !self.fired_set.contains(f.rule_id.as_ref()) {
            self.fired_set.insert(f.rule_id.to_string());
            self.fired.push(f.rule_id.to_string());
        }
        if self.findings > 0 {
            self.data.write_all(b",\n")?;
        }
        self.findings += 1;
        self.data.write_all(rendered)
    }

    /// Bytes of finding data moved to a temporary file so far.
    pub fn spilled_bytes(&self) -> u64 {
        self.data.spilled_bytes()
    }

    /// Writes the whole page.
    pub fn finish(mut self, context: &HtmlContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        let fired_rules: Vec<&RuleDescriptor<'_>> = self
            .fired
            .iter()
            .filter_map(|id| context.rules.iter().find(|r| r.id == id.as_str()))
            .collect();
        write_head(out)?;
        write_header(context, self.findings, out)?;
        out.write_all(b"<main>\n<section id=\"summary\">\n<h2>Summary by phase and severity</h2>\n<div class=\"overview\">\n")?;
        write_summary_table(&self.counts, out)?;
        write_chart(&self.counts, out)?;
        out.write_all(b"</div>\n</section>\n")?;
        write_findings_section(self.findings, out)?;
        write_rules_section(&fired_rules, out)?;
        write_diagnostics("errors", "Input errors", context.errors, out)?;
        write_diagnostics("notes", "Notes", context.notes, out)?;
        out.write_all(
            b"</main>\n<script type=\"application/json\" id=\"mamori-data\">{\"phases\":",
        )?;
        let phases: serde_json::Map<String, serde_json::Value> = Phase::ALL
            .iter()
            .map(|p| (p.id().to_owned(), serde_json::Value::from(p.title())))
            .collect();
        write_script_json(out, &phases)?;
        out.write_all(b",\n\"rules\":")?;
        let rules: serde_json::Map<String, serde_json::Value> = fired_rules
            .iter()
            .map(|r| (r.id.to_owned(), rule_json(r)))
            .collect();
        write_script_json(out, &rules)?;
        out.write_all(b",\n\"findings\":[\n")?;
        self.data.drain_into(out)?;
        out.write_all(b"\n]}</script>\n<script>")?;
        out.write_all(SCRIPT.as_bytes())?;
        out.write_all(b"</script>\n</body>\n</html>\n")
    }
}

/// Writes a collected `report` as the HTML page.
pub fn render(
    report: &ScanReport,
    tool: &ToolInfo,
    policy: PolicyInfo<'_>,
    rules: &[RuleDescriptor<'_>],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut writer = HtmlWriter::new();
    for f in &report.findings {
        writer.finding(f)?;
    }
    writer.finish(
        &HtmlContext {
            tool,
            policy,
            rules,
            errors: &report.errors,
            notes: &report.notes,
            objects_scanned: report.objects_scanned,
            files_scanned: report.files_scanned,
        },
        out,
    )
}

/// Appends the script-safe JSON data row of one finding (no separator) to `out`: exactly what
/// [`HtmlWriter::finding`] adds for it. Stateless, so worker threads can render ahead of the writer.
pub fn render_finding(f: &Finding, out: &mut Vec<u8>) -> io::Result<()> {
    let row = (
        &f.rule_id,
        f.severity.as_str(),
        f.phase.id(),
        &f.object.kind,
        f.object.namespace.as_deref(),
        &f.object.name,
        &*f.location.file,
        f.location.pos.line,
        f.location.pos.col,
        &f.location.field_path,
        &f.message,
        &f.remediation,
    );
    write_script_json(out, &row)
}

/// The Content-Security-Policy of the page: nothing may load; only the inline script and style run, by hash.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    )
}

/// `sha256-<base64>` of `source`, as CSP hash sources are written.
fn csp_hash(source: &str) -> String {
    format!("sha256-{}", base64(&Sha256::digest(source.as_bytes())))
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let symbol = |index: u32| char::from(ALPHABET[(index & 63) as usize]);
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = u32::from(chunk.first().copied().unwrap_or(0));
        let b1 = u32::from(chunk.get(1).copied().unwrap_or(0));
        let b2 = u32::from(chunk.get(2).copied().unwrap_or(0));
        let triple = (b0 << 16) | (b1 << 8) | b2;
        out.push(symbol(triple >> 18));
        out.push(symbol(triple >> 12));
        out.push(if chunk.len() > 1 {
            symbol(triple >> 6)
        } else {
            '='
        });
        out.push(if chunk.len() > 2 { symbol(triple) } else { '=' });
    }
    out
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Serializes `value` as JSON that is safe inside a `<script>` element: `<`, `>` and `&` (which JSON only
/// contains inside strings) become `\u003c`, `\u003e`, `\u0026`, so no `</script>` or `<!--` can appear.
fn write_script_json<W: Write + ?Sized, T: Serialize>(out: &mut W, value: &T) -> io::Result<()> {
    let json = serde_json::to_vec(value).map_err(io::Error::other)?;
    let mut start = 0;
    for (i, byte) in json.iter().enumerate() {
        let replacement: &[u8] = match byte {
            b'<' => b"\\u003c",
            b'>' => b"\\u003e",
            b'&' => b"\\u0026",
            _ => continue,
        };
        out.write_all(json.get(start..i).unwrap_or_default())?;
        out.write_all(replacement)?;
        start = i + 1;
    }
    out.write_all(json.get(start..).unwrap_or_default())
}

fn rule_json(rule: &RuleDescriptor<'_>) -> serde_json::Value {
    serde_json::json!({
        "title": rule.title,
        "severity": rule.severity.as_str(),
        "phase": rule.phase.id(),
        "rationale": rule.explanation(),
        "remediation": rule.remediation,
        "references": rule.references.iter().map(|r| serde_json::json!({"label": r.label, "url": r.url})).collect::<Vec<_>>(),
    })
}

fn write_head(out: &mut dyn Write) -> io::Result<()> {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>mamori scan report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&content_security_policy())
    )
}

fn write_header(context: &HtmlContext<'_>, findings: u64, out: &mut dyn Write) -> io::Result<()> {
    write!(
        out,
        "<header>\n<h1>mamori scan report</h1>\n<p class=\"meta\">{} {} · Pod Security {}:{} · \
         <span id=\"total-findings\">{findings}</span> findings in {} objects from {} files · {} errors · {} notes</p>\n</header>\n",
        escape(context.tool.name),
        escape(context.tool.version),
        escape(context.policy.pss_level),
        escape(context.policy.pss_version),
        context.objects_scanned,
        context.files_scanned,
        context.errors.len(),
        context.notes.len(),
    )
}

fn write_summary_table(counts: &PhaseCounts, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"<table id=\"summary-table\">\n<thead><tr><th>Phase</th>")?;
    for severity in Severity::ALL {
        write!(out, "<th class=\"num\">{severity}</th>")?;
    }
    out.write_all(b"<th class=\"num\">total</th></tr></thead>\n<tbody>\n")?;
    let row = |out: &mut dyn Write, id: &str, title: &str, c: &SeverityCounts, class: &str| {
        write!(
            out,
            "<tr class=\"{class}\" data-phase=\"{id}\"><td>{title}</td>"
        )?;
        for severity in Severity::ALL {
            let n = c.get(severity);
            write!(
                out,
                "<td class=\"num{}\" data-phase=\"{id}\" data-severity=\"{severity}\">{n}</td>",
                if n == 0 { " zero" } else { "" }
            )?;
        }
        writeln!(
            out,
            "<td class=\"num\" data-phase=\"{id}\" data-severity=\"total\">{}</td></tr>",
            c.total()
        )
    };
    for phase in Phase::ALL {
        row(
            out,
            phase.id(),
            &escape(phase.title()),
            &counts.phase(phase),
            "phase",
        )?;
    }
    row(out, "all", "All phases", &counts.total(), "total")?;
    out.write_all(b"</tbody>\n</table>\n")
}

/// The fill colour of a severity in the chart (matches the CSS badges).
fn severity_colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#8b0000",
        Severity::High => "#d1242f",
        Severity::Medium => "#bf8700",
        Severity::Low => "#0969da",
        Severity::Info => "#6e7781",
    }
}

/// Horizontal stacked bars, one per phase, segments by severity, scaled to the largest phase.
fn write_chart(counts: &PhaseCounts, out: &mut dyn Write) -> io::Result<()> {
    const LABEL_WIDTH: u64 = 130;
    const BAR_WIDTH: u64 = 420;
    const ROW_HEIGHT: u64 = 26;
    let max = Phase::ALL
        .iter()
        .map(|p| counts.phase(*p).total())
        .max()
        .unwrap_or(0)
        .max(1);
    let height = ROW_HEIGHT * Phase::ALL.len() as u64 + 8;
    let width = LABEL_WIDTH + BAR_WIDTH + 60;
    write!(
        out,
        "<figure class=\"chart-figure\">\n<svg class=\"chart\" id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"Findings by phase and severity\">\n"
    )?;
    for (row, phase) in Phase::ALL.iter().enumerate() {
        let phase_counts = counts.phase(*phase);
        let y = row as u64 * ROW_HEIGHT + 4;
        writeln!(
            out,
            "<text x=\"0\" y=\"{}\">{}</text>",
            y + 15,
            escape(phase.title())
        )?;
        let mut x = LABEL_WIDTH;
        for severity in Severity::ALL {
            let n = phase_counts.get(severity);
            if n == 0 {
                continue;
            }
            // At least 2px so a single finding stays visible next to thousands.
            let w = (n * BAR_WIDTH / max).max(2);
            writeln!(
                out,
                "<rect class=\"bar\" data-phase=\"{}\" data-severity=\"{severity}\" data-count=\"{n}\" x=\"{x}\" y=\"{y}\" \
                 width=\"{w}\" height=\"{}\" fill=\"{}\"><title>{}: {n} {severity}</title></rect>",
                phase.id(),
                ROW_HEIGHT - 8,
                severity_colour(severity),
                escape(phase.title()),
            )?;
            x += w;
        }
        writeln!(
            out,
            "<text class=\"count\" x=\"{}\" y=\"{}\">{}</text>",
            x + 6,
            y + 15,
            phase_counts.total()
        )?;
    }
    out.write_all(b"</svg>\n<figcaption class=\"legend\">")?;
    for severity in Severity::ALL {
        write!(
            out,
            "<span><svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" rx=\"2\" fill=\"{}\"/></svg> {severity}</span>",
            severity_colour(severity)
        )?;
    }
    out.write_all(b"</figcaption>\n</figure>\n")
}

fn write_findings_section(findings: u64, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(
        b"<section id=\"findings\">\n<h2>Findings</h2>\n<form id=\"filters\" autocomplete=\"off\">\n\
<label>Severity<select id=\"f-severity\"><option value=\"\">all</option>",
    )?;
    for severity in Severity::ALL {
        write!(out, "<option value=\"{severity}\">{severity}</option>")?;
    }
    out.write_all(
        b"</select></label>\n<label>Phase<select id=\"f-phase\"><option value=\"\">all</option>",
    )?;
    for phase in Phase::ALL {
        write!(
            out,
            "<option value=\"{}\">{}</option>",
            phase.id(),
            escape(phase.title())
        )?;
    }
    write!(
        out,
        "</select></label>\n<label>Rule<select id=\"f-rule\"><option value=\"\">all</option></select></label>\n\
<label>Namespace<select id=\"f-namespace\"><option value=\"\">all</option></select></label>\n\
<label>Search<input id=\"f-text\" type=\"search\" placeholder=\"name, file, message, field…\"></label>\n\
<button type=\"reset\">Clear filters</button>\n</form>\n\
<p class=\"muted\">Showing <strong id=\"visible-count\">0</strong> of {findings} findings (<span id=\"page-info\"></span>). \
Click a finding for its explanation.</p>\n\
<noscript><p>The findings list needs JavaScript; the summary above and the JSON report (<code>--format json</code>) do not.</p></noscript>\n\
<table id=\"findings-table\">\n<colgroup><col class=\"c-sev\"><col class=\"c-rule\"><col class=\"c-obj\"><col class=\"c-ns\"><col class=\"c-loc\"><col></colgroup>\n\
<thead><tr><th>Severity</th><th>Rule</th><th>Object</th><th>Namespace</th><th>Location</th><th>Message</th></tr></thead>\n\
<tbody id=\"rows\"></tbody>\n</table>\n\
<nav id=\"pager\"><button type=\"button\" id=\"prev\">Previous</button><button type=\"button\" id=\"next\">Next</button></nav>\n</section>\n"
    )
}

fn write_rules_section(rules: &[&RuleDescriptor<'_>], out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"<section id=\"rules\">\n<h2>Rules that fired</h2>\n")?;
    if rules.is_empty() {
        out.write_all(b"<p class=\"muted\">None.</p>\n")?;
    }
    for rule in rules {
        write!(
            out,
            "<details class=\"rule\" data-rule=\"{}\"><summary><span class=\"sev sev-{}\">{}</span> {} — {} <span class=\"muted\">({})</span></summary>\n\
             <p>{}</p>\n<p><strong>Fix:</strong> {}</p>\n",
            escape(rule.id),
            rule.severity,
            rule.severity,
            escape(rule.id),
            escape(rule.title),
            escape(rule.phase.title()),
            escape(rule.explanation()),
            escape(rule.remediation),
        )?;
        let links: Vec<String> = rule
            .references
            .iter()
            .filter(|r| r.url.starts_with("https://") || r.url.starts_with("http://"))
            .map(|r| {
                format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">{}</a>",
                    escape(r.url),
                    escape(r.label)
                )
            })
            .collect();
        if !links.is_empty() {
            writeln!(
                out,
                "<p><strong>References:</strong> {}</p>",
                links.join(" · ")
            )?;
        }
        out.write_all(b"</details>\n")?;
    }
    out.write_all(b"</section>\n")
}

fn write_diagnostics(
    id: &str,
    title: &str,
    items: &[Diagnostic],
    out: &mut dyn Write,
) -> io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    write!(
        out,
        "<section id=\"{id}\">\n<h2>{title} ({})</h2>\n<ul class=\"diagnostics\">\n",
        items.len()
    )?;
    for item in items {
        writeln!(out, "<li><code>{}</code></li>", escape(&item.to_string()))?;
    }
    out.write_all(b"</ul>\n</section>\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, rules, TOOL};

    const POLICY: PolicyInfo<'static> = PolicyInfo {
        pss_level: "restricted",
        pss_version: "latest",
    };

    fn page(findings: Vec<Finding>) -> String {
        let report = ScanReport {
            findings,
            objects_scanned: 2,
            files_scanned: 1,
            ..ScanReport::default()
        };
        let mut out = Vec::new();
        render(&report, &TOOL, POLICY, &rules(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The JSON inside the data script, parsed.
    fn data_of(page: &str) -> serde_json::Value {
        let start = page.find("id=\"mamori-data\">").unwrap() + "id=\"mamori-data\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        serde_json::from_str(&page[start..end]).unwrap()
    }

    #[test]
    fn base64_and_csp_hashes() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // SHA-256 of the empty string, base64.
        assert_eq!(
            csp_hash(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        let policy = content_security_policy();
        assert!(policy.starts_with("default-src 'none'; script-src 'sha256-"));
        assert!(!policy.contains("unsafe"));
    }

    #[test]
    fn hostile_text_never_becomes_markup() {
        let mut evil = finding("pss.privileged", Severity::Critical, "a.yaml", 1, "x");
        std::sync::Arc::make_mut(&mut evil.object).name =
            "</script><script>alert(1)</script>".into();
        std::sync::Arc::make_mut(&mut evil.object).namespace =
            Some("<img src=x onerror=alert(2)>".into());
        evil.message = "<!-- \u{2028} & \"quoted\" 'single'".into();
        let html = page(vec![evil.clone()]);
        // Exactly the two scripts of the page exist, and the only markup-like text is escaped.
        assert_eq!(html.matches("<script").count(), 2);
        assert_eq!(html.matches("</script>").count(), 2);
        assert!(!html.contains("<img"));
        assert!(!html.contains("<!--"));
        let data = data_of(&html);
        let row = &data["findings"][0];
        assert_eq!(row[4], "<img src=x onerror=alert(2)>");
        assert_eq!(row[5], "</script><script>alert(1)</script>");
        assert_eq!(row[10], evil.message);
        // Rule metadata is escaped where rendered server-side.
        assert!(html.contains("A privileged container &lt;b&gt;runs&lt;/b&gt; with all capabilities &amp; host devices."));
    }

    #[test]
    fn summary_chart_and_data_agree_with_the_findings() {
        let mut network = finding("pss.hostPorts", Severity::Medium, "b.yaml", 4, "api");
        network.phase = Phase::Network;
        let html = page(vec![
            finding("pss.privileged", Severity::Critical, "a.yaml", 1, "a"),
            finding("pss.privileged", Severity::Critical, "a.yaml", 9, "b"),
            network,
        ]);
        assert!(html.contains(
            "<td class=\"num\" data-phase=\"runtime-compute\" data-severity=\"critical\">2</td>"
        ));
        assert!(html
            .contains("<td class=\"num\" data-phase=\"network\" data-severity=\"medium\">1</td>"));
        assert!(
            html.contains("<td class=\"num\" data-phase=\"all\" data-severity=\"total\">3</td>")
        );
        assert!(html.contains("data-phase=\"runtime-compute\" data-severity=\"critical\" data-count=\"2\" x=\"130\" y=\"108\" width=\"420\""));
        assert!(html.contains("data-phase=\"network\" data-severity=\"medium\" data-count=\"1\" x=\"130\" y=\"160\" width=\"210\""));
        let data = data_of(&html);
        assert_eq!(data["findings"].as_array().unwrap().len(), 3);
        assert_eq!(
            data["rules"]["pss.privileged"]["references"][1]["label"],
            "MITRE ATT&CK T1611"
        );
        assert_eq!(
            data["rules"]["pss.hostPorts"]["rationale"],
            "Host ports bind to the node's network."
        );
        assert_eq!(data["phases"]["runtime-access"], "Runtime: access");
        assert!(html.contains("<details class=\"rule\" data-rule=\"pss.hostPorts\">"));
        assert!(html
            .contains("rel=\"noopener noreferrer\" target=\"_blank\">MITRE ATT&amp;CK T1611</a>"));
        // Self-contained: nothing references another resource.
        assert!(!html.contains("src=\""));
        assert!(!html.contains("<link"));
    }

    #[test]
    fn findings_data_streams_through_a_small_buffer() {
        let mut writer = HtmlWriter::with_spill_threshold(2048);
        for i in 0..2_000u32 {
            writer
                .finding(&finding(
                    "pss.privileged",
                    Severity::Critical,
                    "a.yaml",
                    i,
                    "w",
                ))
                .unwrap();
        }
        assert!(writer.spilled_bytes() > 100_000);
        let mut out = Vec::new();
        let context = HtmlContext {
            tool: &TOOL,
            policy: POLICY,
            rules: &rules(),
            errors: &[],
            notes: &[],
            objects_scanned: 2_000,
            files_scanned: 1,
        };
        writer.finish(&context, &mut out).unwrap();
        let html = String::from_utf8(out).unwrap();
        let data = data_of(&html);
        assert_eq!(data["findings"].as_array().unwrap().len(), 2_000);
        assert_eq!(data["findings"][1999][7], 1999);
        assert!(html.ends_with("</script>\n</body>\n</html>\n"));
    }
}
