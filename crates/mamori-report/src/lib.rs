//! Renderers of mamori's one finding model and of Pod Security results.
//!
//! Every format renders the same data: a [`ScanReport`] (findings, errors, notes, counts) for `mamori scan`
//! ([`table`], [`json`], [`sarif`], [`junit`], [`html`]) and a list of [`pss::PssRecord`]s for `mamori pss` ([`pss`]). Renderers
//! write to any [`std::io::Write`] in one linear pass; they never print to the terminal themselves and never
//! exit. Colour is emitted as ANSI styles by the table renderer only when asked (the caller decides from the
//! terminal, `--color` and `NO_COLOR`); control characters in input text are always escaped.
//!
//! Rule metadata arrives as [`RuleDescriptor`]s, so this crate stays independent of the scan engine.
//!
//! Every `mamori scan` renderer has a streaming writer (`TableWriter`, `JsonReportWriter`, `SarifWriter`,
//! `JunitWriter`, `HtmlWriter`) whose memory does not grow with the number of findings: formats that need totals
//! before the findings (table, JUnit, HTML) buffer their rendered bytes in a [`spill::SpillBuffer`] that moves to
//! an anonymous temporary file past a few MiB.

pub mod html;
pub mod json;
pub mod junit;
pub mod pss;
pub mod sarif;
pub mod spill;
pub mod table;

use mamori_model::{Finding, Phase, Pos, Severity};
use std::sync::Arc;

/// Name, version and home page of the tool, as reported in JSON and SARIF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
    pub information_uri: &'static str,
}

/// An input error or a note (e.g. a skipped document), positioned in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: Arc<str>,
    /// 1-based line/column; `Pos::UNKNOWN` (0:0) when the problem has no position (e.g. unreadable file).
    pub pos: Pos,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Errors about a live cluster have no line: the source alone names where.
        if self.pos.is_known() {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.pos.line, self.pos.col, self.message
            )
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

/// Metadata of one rule, borrowed from the engine's rule table (`mamori_scan::rules()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDescriptor<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub severity: Severity,
    pub phase: mamori_model::Phase,
    /// Why the rule matters.
    pub description: &'a str,
    /// What to change, concretely.
    pub remediation: &'a str,
    pub help_uri: &'a str,
    /// A longer explanation of why the rule matters; empty when `description` says it all.
    pub rationale: &'a str,
    /// Where the guidance comes from (PSS, CIS Benchmark, NSA/CISA, MITRE ATT&CK, Kubernetes docs).
    pub references: &'a [RuleReference<'a>],
}

impl<'a> RuleDescriptor<'a> {
    /// The rationale, falling back to the description when the rule has none of its own.
    pub fn explanation(&self) -> &'a str {
        if self.rationale.trim().is_empty() {
            self.description
        } else {
            self.rationale
        }
    }
}

/// One reference of a rule, e.g. `CIS 5.2.2` → its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleReference<'a> {
    /// Human label: `PSS`, `CIS 5.2.2`, `NSA/CISA`, `MITRE ATT&CK T1611`, `CVE-2020-8554`, a docs page title.
    pub label: &'a str,
    pub url: &'a str,
}

/// The rule family of a rule id: the part before the first `.` (`pss`, `workload`, `rbac`, …).
pub fn rule_family(rule_id: &str) -> &str {
    rule_id
        .split_once('.')
        .map_or(rule_id, |(family, _)| family)
}

/// Index of `phase` in [`Phase::ALL`] (the display order of phases).
pub fn phase_index(phase: Phase) -> usize {
    Phase::ALL.iter().position(|p| *p == phase).unwrap_or(0)
}

/// Finding counts per phase (in [`Phase::ALL`] order) and severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseCounts {
    pub by_phase: [SeverityCounts; 8],
}

impl PhaseCounts {
    /// Counts one more finding.
    pub fn add(&mut self, phase: Phase, severity: Severity) {
        if let Some(counts) = self.by_phase.get_mut(phase_index(phase)) {
            counts.add(severity);
        }
    }

    /// The counts of one phase.
    pub fn phase(&self, phase: Phase) -> SeverityCounts {
        self.by_phase
            .get(phase_index(phase))
            .copied()
            .unwrap_or_default()
    }

    /// All phases added up.
    pub fn total(&self) -> SeverityCounts {
        let mut total = SeverityCounts::default();
        for counts in &self.by_phase {
            for severity in Severity::ALL {
                total.add_n(severity, counts.get(severity));
            }
        }
        total
    }
}

/// Everything one `mamori scan` run produced, in input order.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    pub findings: Vec<Finding>,
    pub errors: Vec<Diagnostic>,
    pub notes: Vec<Diagnostic>,
    /// Kubernetes objects that were evaluated (List items counted one by one).
    pub objects_scanned: u64,
    /// Distinct input files that produced at least one document, note or error.
    pub files_scanned: u64,
}

/// Finding counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeverityCounts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub info: u64,
}

impl SeverityCounts {
    /// Counts the findings of `findings` by severity.
    pub fn of(findings: &[Finding]) -> SeverityCounts {
        let mut counts = SeverityCounts::default();
        for finding in findings {
            *counts.slot(finding.severity) += 1;
        }
        counts
    }

    /// Counts one more finding of `severity`.
    pub fn add(&mut self, severity: Severity) {
        *self.slot(severity) += 1;
    }

    /// Counts `n` more findings of `severity`.
    pub fn add_n(&mut self, severity: Severity, n: u64) {
        *self.slot(severity) += n;
    }

    /// All severities added up.
    pub fn total(&self) -> u64 {
        self.critical + self.high + self.medium + self.low + self.info
    }

    /// The count for one severity.
    pub fn get(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    fn slot(&mut self, severity: Severity) -> &mut u64 {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use mamori_model::{finding::Location, ObjectRef, Phase};

    pub fn finding(rule: &str, severity: Severity, file: &str, line: u32, name: &str) -> Finding {
        Finding {
            rule_id: rule.to_owned().into(),
            severity,
            phase: Phase::RuntimeCompute,
            object: Arc::new(ObjectRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: name.into(),
            }),
            location: Location {
                file: Arc::from(file),
                doc_index: 0,
                pos: Pos::new(line, 11),
                field_path: "spec.template.spec.containers[0].securityContext.privileged".into(),
            },
            message: "privileged: container \"app\" must not set securityContext.privileged=true"
                .into(),
            remediation: "Remove securityContext.privileged.".into(),
        }
    }

    pub const TOOL: ToolInfo = ToolInfo {
        name: "mamori",
        version: "0.1.0",
        information_uri: "https://github.com/mamori-dev/mamori",
    };

    pub fn rules() -> Vec<RuleDescriptor<'static>> {
        vec![
            RuleDescriptor {
                id: "pss.privileged",
                title: "Privileged container",
                severity: Severity::Critical,
                phase: Phase::RuntimeCompute,
                description: "Privileged containers can do almost anything the host can.",
                remediation: "Remove securityContext.privileged or set it to false.",
                help_uri: "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
                rationale: "A privileged container <b>runs</b> with all capabilities & host devices.",
                references: &[
                    RuleReference {
                        label: "PSS baseline",
                        url: "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
                    },
                    RuleReference {
                        label: "MITRE ATT&CK T1611",
                        url: "https://attack.mitre.org/techniques/T1611/",
                    },
                ],
            },
            RuleDescriptor {
                id: "pss.hostPorts",
                title: "Host ports",
                severity: Severity::Medium,
                phase: Phase::RuntimeCompute,
                description: "Host ports bind to the node's network.",
                remediation: "Remove hostPort.",
                help_uri: "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
                rationale: "",
                references: &[],
            },
        ]
    }
}

#[cfg(test)]
mod diagnostic_tests {
    use super::Diagnostic;
    use mamori_model::Pos;
    use std::sync::Arc;

    #[test]
    fn diagnostics_show_a_position_only_when_known() {
        let file = Diagnostic {
            file: Arc::from("a.yaml"),
            pos: Pos::new(3, 4),
            message: "bad".into(),
        };
        assert_eq!(file.to_string(), "a.yaml:3:4: bad");
        let cluster = Diagnostic {
            file: Arc::from("cluster:prod"),
            pos: Pos::UNKNOWN,
            message: "cannot list secrets".into(),
        };
        assert_eq!(cluster.to_string(), "cluster:prod: cannot list secrets");
    }
}
