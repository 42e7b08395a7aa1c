//! The stable JSON report of `mamori scan` (`schemaVersion` 1, documented in docs/json-output.md).
//!
//! The document is written as a stream (one finding per line) so memory does not grow with the findings.
//! Field names are camelCase; new fields may be added within schema version 1, existing ones never change
//! meaning. Positions are 1-based; 0 means unknown.

use crate::{Diagnostic, PhaseCounts, RuleDescriptor, ScanReport, SeverityCounts, ToolInfo};
use mamori_model::{Finding, Phase};
use serde::Serialize;
use std::collections::HashSet;
use std::io::{self, Write};

/// The schema version written as `schemaVersion`.
pub const SCHEMA_VERSION: u32 = 1;

/// The Pod Security policy a scan evaluated, echoed in the report.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInfo<'a> {
    pub pss_level: &'a str,
    pub pss_version: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonTool<'a> {
    name: &'a str,
    version: &'a str,
    information_uri: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPolicy<'a> {
    pss_level: &'a str,
    pss_version: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonFinding<'a> {
    rule_id: &'a str,
    severity: &'a str,
    phase: &'a str,
    object: JsonObject<'a>,
    location: JsonLocation<'a>,
    message: &'a str,
    remediation: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonObject<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonLocation<'a> {
    file: &'a str,
    doc_index: u32,
    line: u32,
    column: u32,
    field_path: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSummary {
    findings: u64,
    by_severity: JsonCounts,
    objects_scanned: u64,
    files_scanned: u64,
    errors: u64,
    notes: u64,
    /// Every phase id → its counts (written in lifecycle order).
    by_phase: PhaseMap,
}

/// Serializes as a JSON object keyed by phase id, in [`Phase::ALL`] order.
struct PhaseMap(PhaseCounts);

impl Serialize for PhaseMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(Phase::ALL.len()))?;
        for phase in Phase::ALL {
            let counts = self.0.phase(phase);
            map.serialize_entry(
                phase.id(),
                &JsonPhaseSummary {
                    findings: counts.total(),
                    by_severity: counts.into(),
                },
            )?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct JsonCounts {
    critical: u64,
    high: u64,
    medium: u64,
    low: u64,
    info: u64,
}

impl From<SeverityCounts> for JsonCounts {
    fn from(counts: SeverityCounts) -> JsonCounts {
        JsonCounts {
            critical: counts.critical,
            high: counts.high,
            medium: counts.medium,
            low: counts.low,
            info: counts.info,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPhaseSummary {
    findings: u64,
    by_severity: JsonCounts,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonRule<'a> {
    id: &'a str,
    title: &'a str,
    severity: &'a str,
    phase: &'a str,
    description: &'a str,
    rationale: &'a str,
    remediation: &'a str,
    help_uri: &'a str,
    references: Vec<JsonReference<'a>>,
}

#[derive(Serialize)]
struct JsonReference<'a> {
    label: &'a str,
    url: &'a str,
}

fn json_rule<'a>(rule: &RuleDescriptor<'a>) -> JsonRule<'a> {
    JsonRule {
        id: rule.id,
        title: rule.title,
        severity: rule.severity.as_str(),
        phase: rule.phase.id(),
        description: rule.description,
        rationale: rule.explanation(),
        remediation: rule.remediation,
        help_uri: rule.help_uri,
        references: rule
            .references
            .iter()
            .map(|r| JsonReference {
                label: r.label,
                url: r.url,
            })
            .collect(),
    }
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        rule_id: &f.rule_id,
        severity: f.severity.as_str(),
        phase: f.phase.id(),
        object: JsonObject {
            api_version: &f.object.api_version,
            kind: &f.object.kind,
            namespace: f.object.namespace.as_deref(),
            name: &f.object.name,
        },
        location: JsonLocation {
            file: &f.location.file,
            doc_index: f.location.doc_index,
            line: f.location.pos.line,
            column: f.location.pos.col,
            field_path: &f.location.field_path,
        },
        message: &f.message,
        remediation: &f.remediation,
    }
}

fn diagnostic(d: &Diagnostic) -> JsonDiagnostic<'_> {
    JsonDiagnostic {
        file: &d.file,
        line: d.pos.line,
        column: d.pos.col,
        message: &d.message,
    }
}

/// Streams the JSON report: header first, then one finding per line as findings arrive, then errors, notes and
/// the summary. Memory does not grow with the number of findings.
pub struct JsonReportWriter<'w> {
    out: &'w mut dyn Write,
    findings: u64,
    counts: PhaseCounts,
    /// Rules with findings, in first-seen order (bounded by the number of rules).
    fired: Vec<String>,
    fired_set: HashSet<String>,
    /// Reused buffer of [`JsonReportWriter::finding`].
    scratch: Vec<u8>,
}

impl<'w> JsonReportWriter<'w> {
    /// Writes the header (schema version, tool, policy) and opens the findings array.
    pub fn new(
        out: &'w mut dyn Write,
        tool: &ToolInfo,
        policy: PolicyInfo<'_>,
    ) -> io::Result<JsonReportWriter<'w>> {
        write!(
            out,
            "{{\n  \"schemaVersion\": {SCHEMA_VERSION},\n  \"tool\": "
        )?;
        let tool = JsonTool {
            name: tool.name,
            version: tool.version,
            information_uri: tool.information_uri,
        };
        write_compact(out, &tool)?;
        out.write_all(b",\n  \"policy\": ")?;
        let policy = JsonPolicy {
            pss_level: policy.pss_level,
            pss_version: policy.pss_version,
        };
        write_compact(out, &policy)?;
        out.write_all(b",\n  \"findings\": [")?;
        Ok(JsonReportWriter {
            out,
            findings: 0,
            counts: PhaseCounts::default(),
            fired: Vec::new(),
            fired_set: HashSet::new(),
            scratch: Vec::new(),
        })
    }

    /// Appends one finding.
    pub fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let mut bytes = std::mem::take(&mut self.scratch);
        bytes.clear();
        let written = render_finding(f, &mut bytes).and_then(|()| self.finding_rendered(f, &bytes));
        self.scratch = bytes;
        written
    }

    /// Appends one finding whose JSON [`render_finding`] already produced (e.g. in a worker thread): the
    /// same bytes as [`JsonReportWriter::finding`], without serializing on the calling thread.
    pub fn finding_rendered(&mut self, f: &Finding, rendered: &[u8]) -> io::Result<()> {
        self.out.write_all(if self.findings == 0 {
            b"\n    "
        } else {
            b",\n    "
        })?;
        self.findings += 1;
        self.counts.add(f.phase, f.severity);
        if !self.fired_set.contains(f.rule_id.as_ref()) {
            self.fired_set.insert(f.rule_id.to_string());
            self.fired.push(f.rule_id.to_string());
        }
        self.out.write_all(rendered)
    }

    /// Closes the findings array and writes errors, notes and the summary (no rule metadata is known, so
    /// `rules` is empty).
    pub fn finish(
        self,
        errors: &[Diagnostic],
        notes: &[Diagnostic],
        objects_scanned: u64,
        files_scanned: u64,
    ) -> io::Result<()> {
        self.finish_with_rules(errors, notes, objects_scanned, files_scanned, &[])
    }

    /// Closes the findings array and writes errors, notes, the metadata of every rule in `rules` that has
    /// findings (in first-seen order) and the summary.
    pub fn finish_with_rules(
        self,
        errors: &[Diagnostic],
        notes: &[Diagnostic],
        objects_scanned: u64,
        files_scanned: u64,
        rules: &[RuleDescriptor<'_>],
    ) -> io::Result<()> {
        let out = self.out;
        out.write_all(if self.findings == 0 {
            b"],\n  \"errors\": ["
        } else {
            b"\n  ],\n  \"errors\": ["
        })?;
        write_lines(out, errors)?;
        out.write_all(b",\n  \"notes\": [")?;
        write_lines(out, notes)?;
        out.write_all(b",\n  \"rules\": [")?;
        let mut written = 0usize;
        for id in &self.fired {
            if let Some(rule) = rules.iter().find(|r| r.id == id.as_str()) {
                out.write_all(if written == 0 { b"\n    " } else { b",\n    " })?;
                write_compact(out, &json_rule(rule))?;
                written += 1;
            }
        }
        out.write_all(if written == 0 { b"]" } else { b"\n  ]" })?;
        out.write_all(b",\n  \"summary\": ")?;
        let summary = JsonSummary {
            findings: self.findings,
            by_severity: self.counts.total().into(),
            objects_scanned,
            files_scanned,
            errors: errors.len() as u64,
            notes: notes.len() as u64,
            by_phase: PhaseMap(self.counts),
        };
        write_compact(out, &summary)?;
        out.write_all(b"\n}\n")
    }
}

fn write_compact<T: Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(out, value).map_err(io::Error::other)
}

/// Appends the compact JSON object of one finding (no separator) to `out`: exactly what
/// [`JsonReportWriter::finding`] writes for it. Stateless, so worker threads can render ahead of the writer.
pub fn render_finding(f: &Finding, out: &mut Vec<u8>) -> io::Result<()> {
    serde_json::to_writer(out, &finding(f)).map_err(io::Error::other)
}

/// Writes diagnostics one per line and closes the array.
fn write_lines(out: &mut dyn Write, items: &[Diagnostic]) -> io::Result<()> {
    for (i, item) in items.iter().enumerate() {
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        write_compact(out, &diagnostic(item))?;
    }
    out.write_all(if items.is_empty() { b"]" } else { b"\n  ]" })
}

/// Writes a collected `report` (same bytes as streaming it through [`JsonReportWriter`]), without rule metadata.
pub fn render(
    report: &ScanReport,
    tool: &ToolInfo,
    policy: PolicyInfo<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    render_with_rules(report, tool, policy, &[], out)
}

/// Writes a collected `report` with the metadata of the rules that fired.
pub fn render_with_rules(
    report: &ScanReport,
    tool: &ToolInfo,
    policy: PolicyInfo<'_>,
    rules: &[RuleDescriptor<'_>],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut writer = JsonReportWriter::new(out, tool, policy)?;
    for f in &report.findings {
        writer.finding(f)?;
    }
    writer.finish_with_rules(
        &report.errors,
        &report.notes,
        report.objects_scanned,
        report.files_scanned,
        rules,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding as make_finding, TOOL};
    use mamori_model::{Pos, Severity};
    use std::sync::Arc;

    #[test]
    fn every_model_field_is_present() {
        let mut with_no_namespace =
            make_finding("pss.hostPorts", Severity::Medium, "b.yaml", 4, "api");
        std::sync::Arc::make_mut(&mut with_no_namespace.object).namespace = None;
        let report = ScanReport {
            findings: vec![
                make_finding("pss.privileged", Severity::Critical, "a.yaml", 12, "web"),
                with_no_namespace,
            ],
            errors: vec![Diagnostic {
                file: Arc::from("c.yaml"),
                pos: Pos::new(3, 5),
                message: "bad".into(),
            }],
            notes: vec![Diagnostic {
                file: Arc::from("d.yaml"),
                pos: Pos::new(1, 1),
                message: "skipped".into(),
            }],
            objects_scanned: 2,
            files_scanned: 4,
        };
        let mut out = Vec::new();
        render(
            &report,
            &TOOL,
            PolicyInfo {
                pss_level: "restricted",
                pss_version: "latest",
            },
            &mut out,
        )
        .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["schemaVersion"], 1);
        assert_eq!(value["tool"]["name"], "mamori");
        assert_eq!(value["policy"]["pssLevel"], "restricted");
        let first = &value["findings"][0];
        assert_eq!(first["ruleId"], "pss.privileged");
        assert_eq!(first["severity"], "critical");
        assert_eq!(first["phase"], "runtime-compute");
        assert_eq!(first["object"]["apiVersion"], "apps/v1");
        assert_eq!(first["object"]["namespace"], "shop");
        assert_eq!(first["location"]["line"], 12);
        assert_eq!(first["location"]["column"], 11);
        assert_eq!(first["location"]["docIndex"], 0);
        assert_eq!(
            first["location"]["fieldPath"],
            "spec.template.spec.containers[0].securityContext.privileged"
        );
        assert_eq!(first["remediation"], "Remove securityContext.privileged.");
        assert!(value["findings"][1]["object"]["namespace"].is_null());
        assert_eq!(value["errors"][0]["column"], 5);
        assert_eq!(value["notes"][0]["message"], "skipped");
        assert_eq!(value["summary"]["bySeverity"]["critical"], 1);
        assert_eq!(value["summary"]["bySeverity"]["medium"], 1);
        assert_eq!(value["summary"]["filesScanned"], 4);
        assert_eq!(value["summary"]["errors"], 1);
        assert!(out.ends_with(b"}\n"));
    }

    #[test]
    fn empty_report_is_valid_json_with_empty_arrays() {
        let mut out = Vec::new();
        let policy = PolicyInfo {
            pss_level: "baseline",
            pss_version: "v1.30",
        };
        render(&ScanReport::default(), &TOOL, policy, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "\"findings\": [],\n  \"errors\": [],\n  \"notes\": [],\n  \"rules\": [],"
            ),
            "{text}"
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["summary"]["findings"], 0);
        assert_eq!(value["policy"]["pssVersion"], "v1.30");
    }

    #[test]
    fn one_finding_per_line() {
        let report = ScanReport {
            findings: vec![
                make_finding("pss.privileged", Severity::Critical, "a.yaml", 1, "a"),
                make_finding("pss.privileged", Severity::Critical, "a.yaml", 9, "b"),
            ],
            ..ScanReport::default()
        };
        let mut out = Vec::new();
        let policy = PolicyInfo {
            pss_level: "restricted",
            pss_version: "latest",
        };
        render(&report, &TOOL, policy, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| l.contains("\"ruleId\"")).collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].ends_with("},") && lines[1].ends_with('}'));
    }

    #[test]
    fn rules_block_and_summary_by_phase() {
        use crate::test_support::rules;
        let mut network = make_finding("pss.hostPorts", Severity::Medium, "b.yaml", 4, "api");
        network.phase = mamori_model::Phase::Network;
        let report = ScanReport {
            findings: vec![
                network,
                make_finding("pss.privileged", Severity::Critical, "a.yaml", 1, "a"),
                make_finding("pss.privileged", Severity::Critical, "a.yaml", 9, "b"),
                make_finding("pss.unknown", Severity::Low, "a.yaml", 9, "b"),
            ],
            ..ScanReport::default()
        };
        let mut out = Vec::new();
        let policy = PolicyInfo {
            pss_level: "restricted",
            pss_version: "latest",
        };
        render_with_rules(&report, &TOOL, policy, &rules(), &mut out).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let listed: Vec<&str> = value["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(listed, ["pss.hostPorts", "pss.privileged"]);
        let privileged = &value["rules"][1];
        assert_eq!(privileged["severity"], "critical");
        assert_eq!(privileged["references"][1]["label"], "MITRE ATT&CK T1611");
        // No rationale of its own: the description stands in.
        assert_eq!(
            value["rules"][0]["rationale"],
            "Host ports bind to the node's network."
        );
        let by_phase = &value["summary"]["byPhase"];
        assert_eq!(by_phase.as_object().unwrap().len(), 8);
        assert_eq!(by_phase["runtime-compute"]["findings"], 3);
        assert_eq!(by_phase["runtime-compute"]["bySeverity"]["critical"], 2);
        assert_eq!(by_phase["runtime-compute"]["bySeverity"]["low"], 1);
        assert_eq!(by_phase["network"]["bySeverity"]["medium"], 1);
        assert_eq!(by_phase["develop"]["findings"], 0);
        assert_eq!(value["summary"]["findings"], 4);
    }
}
