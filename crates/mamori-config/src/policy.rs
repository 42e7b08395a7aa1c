//! A config bound to today's date: rule selection, severity overrides, exceptions and annotation exemptions.

use crate::suggest::closest;
use crate::{known_rule_ids, Config, Date, Exception};
use mamori_model::{Finding, K8sObject, Pos, Severity};
use std::sync::atomic::{AtomicU64, Ordering};

/// Object annotation listing the rules (ids or globs, comma-separated) the object is exempt from.
pub const EXEMPT_ANNOTATION: &str = "mamori.io/exempt";
/// Required companion of [`EXEMPT_ANNOTATION`]: why. Without it the exemption is ignored.
pub const EXEMPT_REASON_ANNOTATION: &str = "mamori.io/exempt-reason";

/// A valid `mamori.io/exempt` annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    pub rules: Vec<String>,
    pub reason: String,
}

/// Why an object's exemption annotation is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExemptionError {
    /// Position of the `mamori.io/exempt` annotation.
    pub pos: Pos,
    pub message: String,
}

/// Reads the exemption annotations of `object`. `None` when it has no `mamori.io/exempt` (the common case; no
/// allocation), `Err` when the annotation is present but unusable (no reason, unknown rule id, empty).
pub fn exemption(object: &K8sObject) -> Option<Result<Exemption, ExemptionError>> {
    let annotations = object.root.get("metadata")?.get("annotations")?;
    let entry = annotations.entry(EXEMPT_ANNOTATION)?;
    let pos = entry.key_pos;
    let who = object.id.display_name();
    let fail = |message: String| Some(Err(ExemptionError { pos, message }));
    let Some(list) = entry.value.as_str() else {
        return fail(format!(
            "{EXEMPT_ANNOTATION} on {who} must be a string of rule ids; exemption ignored"
        ));
    };
    let reason = annotations
        .get(EXEMPT_REASON_ANNOTATION)
        .and_then(|n| n.as_str())
        .map(str::trim)
        .unwrap_or_default();
    if reason.is_empty() {
        return fail(format!(
            "{EXEMPT_ANNOTATION} on {who} has no {EXEMPT_REASON_ANNOTATION} annotation; exemption ignored \
             (exemptions must say why)"
        ));
    }
    let rules: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    if rules.is_empty() {
        return fail(format!(
            "{EXEMPT_ANNOTATION} on {who} names no rule; exemption ignored"
        ));
    }
    let ids = known_rule_ids();
    for rule in &rules {
        if !ids.iter().any(|id| mamori_rules::glob_match(rule, id)) {
            let hint = closest(rule, ids.iter().map(String::as_str))
                .map_or_else(String::new, |id| format!(" (did you mean {id:?}?)"));
            return fail(format!(
                "{EXEMPT_ANNOTATION} on {who}: unknown rule id {rule:?}{hint}; exemption ignored"
            ));
        }
    }
    Some(Ok(Exemption {
        rules,
        reason: reason.to_owned(),
    }))
}

/// What suppressed a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suppression {
    /// `exceptions[index]` of the config.
    Exception { index: usize },
    /// The object's `mamori.io/exempt` annotation, with its reason.
    Annotation { reason: String },
}

/// A finding kept out of the outputs, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub finding: Finding,
    pub by: Suppression,
}

/// A [`Config`] resolved against the rule ids and bound to a date. Shared by the scan workers (`Sync`); it
/// counts how many findings each exception suppressed.
#[derive(Debug)]
pub struct Policy {
    config: Config,
    today: Date,
    /// Known ids switched off, sorted for binary search.
    disabled: Vec<&'static str>,
    /// Effective severity overrides per known id, sorted by id.
    severity: Vec<(&'static str, Severity)>,
    /// Indices of the exceptions still in force today.
    active: Vec<usize>,
    /// Findings suppressed per exception (same indices as `config.exceptions`).
    used: Vec<AtomicU64>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::new(Config::default(), Date::today_utc())
    }
}

impl Policy {
    /// Resolves `config` for a scan on `today`. An exception applies through its `expires` day inclusive.
    pub fn new(config: Config, today: Date) -> Policy {
        let ids = known_rule_ids();
        let mut disabled: Vec<&'static str> = ids
            .iter()
            .map(String::as_str)
            .filter(|id| {
                config.rules.disable.iter().any(|p| p.matches(id))
                    && !config.rules.enable.iter().any(|p| p.matches(id))
            })
            .collect();
        disabled.sort_unstable();
        // Later entries win, so a specific id written after a glob refines it.
        let mut severity: Vec<(&'static str, Severity)> = Vec::new();
        for id in ids.iter().map(String::as_str) {
            if let Some(o) = config.severity.iter().rev().find(|o| o.rule.matches(id)) {
                severity.push((id, o.severity));
            }
        }
        severity.sort_unstable_by_key(|(id, _)| *id);
        let active = config
            .exceptions
            .iter()
            .filter(|e| today <= e.expires)
            .map(|e| e.index)
            .collect();
        let used = config
            .exceptions
            .iter()
            .map(|_| AtomicU64::new(0))
            .collect();
        Policy {
            config,
            today,
            disabled,
            severity,
            active,
            used,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn today(&self) -> Date {
        self.today
    }

    /// Whether the rule runs (and its findings are kept) under `rules: {enable, disable}`.
    pub fn rule_enabled(&self, id: &str) -> bool {
        self.disabled.is_empty() || self.disabled.binary_search(&id).is_err()
    }

    /// Exceptions whose expiry date has passed: they no longer apply and should be reported.
    pub fn expired(&self) -> impl Iterator<Item = &Exception> {
        self.config
            .exceptions
            .iter()
            .filter(|e| self.today > e.expires)
    }

    /// Exceptions in force that suppressed nothing so far.
    pub fn unused(&self) -> Vec<&Exception> {
        self.active
            .iter()
            .filter(|&&i| {
                self.used
                    .get(i)
                    .is_some_and(|n| n.load(Ordering::Relaxed) == 0)
            })
            .filter_map(|&i| self.config.exceptions.get(i))
            .collect()
    }

    /// How many findings `exceptions[index]` suppressed so far.
    pub fn use_count(&self, index: usize) -> u64 {
        self.used
            .get(index)
            .map_or(0, |n| n.load(Ordering::Relaxed))
    }

    /// Applies the policy to the findings of one object (or of the end-of-scan inventory): drops disabled
    /// rules, rewrites severities, and moves findings covered by `exemption` or an exception in force to
    /// `suppressed`. Allocation-free when nothing is configured.
    pub fn apply(
        &self,
        findings: &mut Vec<Finding>,
        exemption: Option<&Exemption>,
        suppressed: &mut Vec<Suppressed>,
    ) {
        if findings.is_empty() {
            return;
        }
        if !self.disabled.is_empty() {
            findings.retain(|f| self.rule_enabled(&f.rule_id));
        }
        if !self.severity.is_empty() {
            for finding in findings.iter_mut() {
                if let Ok(i) = self
                    .severity
                    .binary_search_by_key(&finding.rule_id.as_ref(), |(id, _)| id)
                {
                    if let Some((_, severity)) = self.severity.get(i) {
                        finding.severity = *severity;
                    }
                }
            }
        }
        if exemption.is_none() && self.active.is_empty() {
            return;
        }
        let mut kept = Vec::with_capacity(findings.len());
        for finding in findings.drain(..) {
            match self.suppression(&finding, exemption) {
                Some(by) => suppressed.push(Suppressed { finding, by }),
                None => kept.push(finding),
            }
        }
        *findings = kept;
    }

    fn suppression(&self, finding: &Finding, exemption: Option<&Exemption>) -> Option<Suppression> {
        if let Some(exemption) = exemption {
            if exemption
                .rules
                .iter()
                .any(|r| mamori_rules::glob_match(r, &finding.rule_id))
            {
                return Some(Suppression::Annotation {
                    reason: exemption.reason.clone(),
                });
            }
        }
        let index = self.active.iter().copied().find(|&i| {
            self.config
                .exceptions
                .get(i)
                .is_some_and(|e| covers(e, finding))
        })?;
        if let Some(counter) = self.used.get(index) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        Some(Suppression::Exception { index })
    }
}

/// Whether `exception`'s rules and scope cover `finding` (expiry is checked by the caller).
pub(crate) fn covers(exception: &Exception, finding: &Finding) -> bool {
    let any = |patterns: &[crate::Pattern], text: &str| {
        patterns.is_empty() || patterns.iter().any(|p| p.matches(text))
    };
    exception.rules.iter().any(|p| p.matches(&finding.rule_id))
        && any(
            &exception.namespaces,
            finding.object.namespace.as_deref().unwrap_or(""),
        )
        && any(&exception.kinds, &finding.object.kind)
        && any(&exception.names, &finding.object.name)
        && exception
            .field_path
            .as_deref()
            .is_none_or(|prefix| path_has_prefix(&finding.location.field_path, prefix))
}

/// `spec.template.spec.containers[0].image` has prefixes `spec.template`, `spec.template.spec.containers`,
/// `spec.template.spec.containers[0]`, but not `spec.temp`.
fn path_has_prefix(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('.');
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with(['.', '[']) || prefix.is_empty(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::path_has_prefix;

    #[test]
    fn field_path_prefix_is_component_wise() {
        let path = "spec.template.spec.containers[0].image";
        assert!(path_has_prefix(path, "spec.template"));
        assert!(path_has_prefix(path, "spec.template.spec.containers"));
        assert!(path_has_prefix(path, "spec.template.spec.containers[0]"));
        assert!(path_has_prefix(path, path));
        assert!(!path_has_prefix(path, "spec.temp"));
        assert!(!path_has_prefix(path, "spec.template.spec.containers[1]"));
        assert!(!path_has_prefix(
            "spec.template.spec.containers[10].image",
            "spec.template.spec.containers[1]"
        ));
    }
}
