//! `mamori rules`: the rule list (Pod Security checks and the catalogue), and `mamori rules explain <id>`.

use super::Outcome;
use clap::{Args, Subcommand, ValueEnum};
use mamori_load::{parse_raw, read_stream, Loaded};
use mamori_model::{Finding, K8sObject, Phase, Severity};
use mamori_pss::{Evaluator, LevelVersion, Version};
use mamori_rules::{RefKind, RuleSettings};
use mamori_scan::{RuleInfo, ScanItem, ScanOptions};
use std::io::Write;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: Option<RulesCommand>,
    /// Only rules of this lifecycle phase (develop, distribute, deploy, runtime-access, runtime-compute,
    /// runtime-storage, network, observability).
    #[arg(long, value_name = "PHASE", value_parser = parse_phase)]
    pub phase: Option<Phase>,
    /// Only rules of this severity (critical, high, medium, low, info).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub severity: Option<Severity>,
    /// Output format of the list.
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Everything about one rule: why, how to fix, references, and a failing and a fixed example.
    Explain {
        /// Rule id, e.g. pss.privileged or workload.default-namespace.
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
}

fn parse_phase(text: &str) -> Result<Phase, String> {
    Phase::ALL
        .into_iter()
        .find(|p| p.id() == text)
        .ok_or_else(|| {
            let ids: Vec<&str> = Phase::ALL.iter().map(|p| p.id()).collect();
            format!("unknown phase {text:?} (one of: {})", ids.join(", "))
        })
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text).ok_or_else(|| {
        format!("unknown severity {text:?} (one of: critical, high, medium, low, info)")
    })
}

/// Runs `mamori rules` / `mamori rules explain`.
pub fn run(args: &RulesArgs) -> Result<Outcome, String> {
    let mut out = std::io::stdout().lock();
    let text = match &args.command {
        Some(RulesCommand::Explain { id }) => explain(id)?,
        None => {
            let selected: Vec<&RuleInfo> = mamori_scan::rules()
                .iter()
                .filter(|r| args.phase.is_none_or(|p| r.phase == p))
                .filter(|r| args.severity.is_none_or(|s| r.severity == s))
                .collect();
            match args.format {
                RulesFormat::Table => table(&selected),
                RulesFormat::Json => json(&selected),
            }
        }
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(crate::options::write_error)?;
    Ok(Outcome::default())
}

fn table(rules: &[&RuleInfo]) -> String {
    let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    let mut text = format!(
        "{:<width$}  {:<8}  {:<15}  TITLE\n",
        "ID", "SEVERITY", "PHASE"
    );
    for r in rules {
        text.push_str(&format!(
            "{:<width$}  {:<8}  {:<15}  {}\n",
            r.id,
            r.severity.as_str(),
            r.phase.id(),
            r.title
        ));
    }
    text.push_str(&format!("{} rules\n", rules.len()));
    text
}

fn json(rules: &[&RuleInfo]) -> String {
    let list: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "title": r.title,
                "severity": r.severity,
                "phase": r.phase,
                "description": r.description,
                "remediation": r.remediation,
                "helpUri": r.help_uri,
                "references": r.references.iter().map(|x| serde_json::json!({
                    "kind": ref_kind(x.kind), "id": x.id, "url": x.url
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

fn ref_kind(kind: RefKind) -> &'static str {
    match kind {
        RefKind::Pss => "Pod Security Standards",
        RefKind::Cis => "CIS Kubernetes Benchmark",
        RefKind::NsaCisa => "NSA/CISA Kubernetes Hardening Guide",
        RefKind::MitreAttack => "MITRE ATT&CK",
        RefKind::K8sDocs => "Kubernetes docs",
        RefKind::Cve => "CVE",
    }
}

/// The full explanation of one rule, or an error naming the closest id.
pub fn explain(id: &str) -> Result<String, String> {
    let Some(info) = mamori_scan::rule(id) else {
        let hint = closest_id(id).map_or_else(
            || " (`mamori rules` lists them)".to_owned(),
            |c| format!(" (did you mean {c:?}?)"),
        );
        return Err(format!("unknown rule id {id:?}{hint}"));
    };
    let mut t = String::new();
    t.push_str(&format!("{} — {}\n", info.id, info.title));
    t.push_str(&format!(
        "severity: {}   phase: {} ({})\n\n",
        info.severity,
        info.phase.id(),
        info.phase.title()
    ));
    section(&mut t, "Why it matters", info.description);
    section(&mut t, "How to fix", info.remediation);
    t.push_str("References:\n");
    for r in info.references {
        let kind = ref_kind(r.kind);
        if r.id == kind {
            t.push_str(&format!("  - {kind}: {}\n", r.url));
        } else {
            t.push_str(&format!("  - {kind} {}: {}\n", r.id, r.url));
        }
    }
    t.push('\n');
    let findings = if let Some(check_id) = info.id.strip_prefix("pss.") {
        let check = mamori_pss::DEFAULT_CHECKS.iter().find(|c| c.id == check_id);
        if let Some(check) = check {
            let versions: Vec<String> = check
                .versions
                .iter()
                .map(|v| v.minimum_version.to_string())
                .collect();
            let levels = match check.level {
                mamori_pss::Level::Baseline => "baseline and restricted",
                _ => "restricted",
            };
            t.push_str(&format!(
                "Pod Security: enforced at {levels}; upstream check {:?}, implementations from policy \
                 versions {}\n\n",
                check.id,
                versions.join(", ")
            ));
        }
        let level = check.map_or(mamori_pss::Level::Restricted, |c| c.level);
        pss_findings(info, LevelVersion::new(level, Version::LATEST))
    } else {
        catalogue_findings(info)
    };
    if let Some(first) = findings.first() {
        let label = if info.id.starts_with("pss.") {
            "Upstream message on the failing example"
        } else {
            "Finding on the failing example"
        };
        t.push_str(&format!(
            "{label}:\n  {}:{}: {}\n  field: {}\n\n",
            first.location.pos.line,
            first.location.pos.col,
            first.message,
            first.location.field_path
        ));
    }
    section(&mut t, "Fails", &indent(info.fail_example));
    section(&mut t, "Passes (fixed)", &indent(info.pass_example));
    Ok(t)
}

fn section(t: &mut String, title: &str, body: &str) {
    t.push_str(title);
    t.push_str(":\n");
    for line in body.lines() {
        if line.is_empty() {
            t.push('\n');
        } else if line.starts_with("  ") {
            t.push_str(line);
            t.push('\n');
        } else {
            t.push_str("  ");
            t.push_str(line);
            t.push('\n');
        }
    }
    t.push('\n');
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

fn closest_id(id: &str) -> Option<&'static str> {
    mamori_config::closest(id, mamori_scan::rules().iter().map(|r| r.id))
}

/// The example's objects (multi-document text).
fn example_objects(info: &RuleInfo) -> Vec<K8sObject> {
    let limits = mamori_yaml::Limits::default();
    let file: Arc<str> = Arc::from(format!("{}-fail.yaml", info.id));
    let mut objects = Vec::new();
    read_stream(
        info.fail_example.as_bytes(),
        file,
        false,
        &limits,
        &mut |doc| {
            if let Ok(doc) = doc {
                objects.extend(
                    parse_raw(&doc, &limits)
                        .into_iter()
                        .filter_map(|l| match l {
                            Loaded::Object(o) => Some(o),
                            _ => None,
                        }),
                );
            }
        },
    );
    objects
}

fn pss_findings(info: &RuleInfo, policy: LevelVersion) -> Vec<Finding> {
    let evaluator = Evaluator::new();
    let options = ScanOptions::new(policy, mamori_yaml::Limits::default(), 1);
    example_objects(info)
        .iter()
        .filter_map(
            |o| match mamori_scan::evaluate_object(o, &options, &evaluator) {
                ScanItem::Object(result) => Some(result.findings),
                _ => None,
            },
        )
        .flatten()
        .filter(|f| f.rule_id == info.id)
        .collect()
}

fn catalogue_findings(info: &RuleInfo) -> Vec<Finding> {
    let settings = mamori_rules::rule(info.id)
        .and_then(|r| r.meta.example_settings)
        .map_or_else(RuleSettings::default, |f| f());
    let only = |r: &mamori_rules::Rule| r.meta.id == info.id;
    mamori_rules::evaluate_all(&example_objects(info), &settings, &only)
}
