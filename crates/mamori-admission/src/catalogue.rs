//! mamori's rule catalogue at admission: the object rules through the scan's own entry point
//! (`mamori_scan::evaluate_object`, so a verdict here is the verdict of `mamori scan` by construction), the
//! mamori.yaml policy (disabled rules, exceptions with expiry, `mamori.io/exempt`), then a mode per rule.

use crate::{Decision, Mode};
use mamori_config::AdmissionSettings;
use mamori_model::{Finding, K8sObject};
use mamori_pss::Evaluator;
use mamori_scan::{ScanItem, ScanOptions};

/// The catalogue findings of one object, grouped per rule in first-seen order (the catalogue's rule order).
pub(crate) fn findings(
    object: &K8sObject,
    options: &ScanOptions,
    evaluator: &Evaluator,
) -> Vec<Finding> {
    match mamori_scan::evaluate_object(object, options, evaluator) {
        // `pss.*` findings never appear: the scan options evaluate Pod Security at privileged (no checks),
        // because at admission Pod Security follows the namespace labels (PSA semantics), not mamori.yaml.
        ScanItem::Object(result) => result
            .findings
            .into_iter()
            .filter(|f| !f.rule_id.starts_with("pss."))
            .collect(),
        // A pod field of the wrong type: the API server never sends one (it decodes objects first); Pod
        // Security reports it for pods, and no catalogue rule can read the object.
        _ => Vec::new(),
    }
}

/// The lines and decisions of one request's findings under the configured modes.
#[derive(Debug, Default)]
pub(crate) struct RuleVerdicts {
    pub deny: Vec<String>,
    pub warn: Vec<String>,
    pub audit: Vec<String>,
    pub decisions: Vec<Decision>,
}

/// `mamori: <rule id>: <message>` per rule (several findings of one rule joined by `; `), sorted into the
/// rule's mode for `namespace`.
pub(crate) fn verdicts(
    findings: &[Finding],
    settings: &AdmissionSettings,
    namespace: &str,
    dry_run: bool,
) -> RuleVerdicts {
    let mut verdicts = RuleVerdicts::default();
    let mut grouped: Vec<(&str, String)> = Vec::new();
    for finding in findings {
        match grouped.iter_mut().find(|(id, _)| *id == finding.rule_id) {
            Some((_, message)) => {
                message.push_str("; ");
                message.push_str(&finding.message);
            }
            None => grouped.push((&finding.rule_id, finding.message.clone())),
        }
    }
    for (rule_id, message) in grouped {
        let mode = settings.mode_for(rule_id, namespace);
        let line = format!("mamori: {rule_id}: {message}");
        match mode {
            Mode::Deny => verdicts.deny.push(line),
            Mode::Warn => verdicts.warn.push(line),
            Mode::Audit => verdicts.audit.push(line),
        }
        verdicts.decisions.push(Decision {
            mode,
            rule_id: rule_id.to_owned(),
            enforced: !(dry_run && mode == Mode::Deny),
        });
    }
    verdicts
}
