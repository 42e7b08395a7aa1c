//! Namespace labels → the policy of each mode (upstream `api.PolicyToEvaluate`, §5.3), with apimachinery's
//! field-error texts for invalid labels.

use crate::podsecurity::ModePolicies;
use crate::state::label_in;
use mamori_pss::{go_quote, Level, Version};

pub(crate) const ENFORCE_LEVEL: &str = "pod-security.kubernetes.io/enforce";
pub(crate) const ENFORCE_VERSION: &str = "pod-security.kubernetes.io/enforce-version";
pub(crate) const AUDIT_LEVEL: &str = "pod-security.kubernetes.io/audit";
pub(crate) const AUDIT_VERSION: &str = "pod-security.kubernetes.io/audit-version";
pub(crate) const WARN_LEVEL: &str = "pod-security.kubernetes.io/warn";
pub(crate) const WARN_VERSION: &str = "pod-security.kubernetes.io/warn-version";

/// One `field.Invalid(metadata.labels[<key>], value, msg)`; `Display` is apimachinery's `Error()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LabelError {
    pub key: &'static str,
    pub value: String,
    pub detail: String,
}

impl LabelError {
    pub(crate) fn field(&self) -> String {
        format!("metadata.labels[{}]", self.key)
    }

    /// apimachinery `ErrorBody()`: `Invalid value: "<v>": <detail>`.
    pub(crate) fn body(&self) -> String {
        format!("Invalid value: {}: {}", go_quote(&self.value), self.detail)
    }
}

impl std::fmt::Display for LabelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field(), self.body())
    }
}

/// apimachinery `ErrorList.ToAggregate().Error()`: duplicates dropped, one message bare, several in `[a, b]`.
pub(crate) fn aggregate(errors: &[LabelError]) -> String {
    let mut seen: Vec<String> = Vec::with_capacity(errors.len());
    for err in errors {
        let msg = err.to_string();
        if !seen.contains(&msg) {
            seen.push(msg);
        }
    }
    match seen.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

/// Upstream `PolicyToEvaluate(labels, defaults)`.
pub(crate) fn policy_to_evaluate(
    labels: &[(String, String)],
    defaults: &ModePolicies,
) -> (ModePolicies, Vec<LabelError>) {
    let mut policy = *defaults;
    let mut errors = Vec::new();
    if labels.is_empty() {
        return (policy, errors);
    }
    let mut push = |key: &'static str, value: &str, detail: String| {
        errors.push(LabelError {
            key,
            value: value.to_owned(),
            detail,
        });
    };
    let mut has_enforce_level = false;
    if let Some(value) = label_in(labels, ENFORCE_LEVEL) {
        match Level::parse(value) {
            Ok(level) => {
                policy.enforce.level = level;
                has_enforce_level = true;
            }
            Err(err) => {
                // Fail closed for enforce; warn is not defaulted from an invalid label.
                policy.enforce.level = Level::Restricted;
                push(ENFORCE_LEVEL, value, err.to_string());
            }
        }
    }
    if let Some(value) = label_in(labels, ENFORCE_VERSION) {
        policy.enforce.version = parse_version(value, ENFORCE_VERSION, &mut push);
    }
    if let Some(value) = label_in(labels, AUDIT_LEVEL) {
        policy.audit.level = Level::parse(value).unwrap_or_else(|err| {
            push(AUDIT_LEVEL, value, err.to_string());
            Level::Privileged
        });
    }
    if let Some(value) = label_in(labels, AUDIT_VERSION) {
        policy.audit.version = parse_version(value, AUDIT_VERSION, &mut push);
    }
    let has_warn_level = label_in(labels, WARN_LEVEL).is_some();
    if let Some(value) = label_in(labels, WARN_LEVEL) {
        policy.warn.level = Level::parse(value).unwrap_or_else(|err| {
            push(WARN_LEVEL, value, err.to_string());
            Level::Privileged
        });
    }
    let has_warn_version = label_in(labels, WARN_VERSION).is_some();
    if let Some(value) = label_in(labels, WARN_VERSION) {
        policy.warn.version = parse_version(value, WARN_VERSION, &mut push);
    }
    if !has_warn_level && has_enforce_level && policy.enforce.level > policy.warn.level {
        policy.warn.level = policy.enforce.level;
        if !has_warn_version {
            policy.warn.version = policy.enforce.version;
        }
    }
    (policy, errors)
}

fn parse_version(
    value: &str,
    key: &'static str,
    push: &mut impl FnMut(&'static str, &str, String),
) -> Version {
    Version::parse(value).unwrap_or_else(|err| {
        push(key, value, err.to_string());
        Version::LATEST
    })
}

/// Whether any of the six Pod Security labels is present (`key` of a level or version label of `mode`).
pub(crate) fn has_label(labels: &[(String, String)], level_key: &str, version_key: &str) -> bool {
    label_in(labels, level_key).is_some() || label_in(labels, version_key).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_pss::LevelVersion;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn lv(level: Level, version: Version) -> LevelVersion {
        LevelVersion::new(level, version)
    }

    #[test]
    fn warn_follows_a_stricter_valid_enforce_label_only() {
        let defaults = ModePolicies::default();
        let (p, errors) = policy_to_evaluate(
            &labels(&[(ENFORCE_LEVEL, "baseline"), (ENFORCE_VERSION, "v1.22")]),
            &defaults,
        );
        assert!(errors.is_empty());
        assert_eq!(p.warn, lv(Level::Baseline, Version::v1(22)));
        // Audit is never defaulted.
        assert_eq!(p.audit, lv(Level::Privileged, Version::LATEST));
        // A warn-version label keeps its version.
        let (p, _) = policy_to_evaluate(
            &labels(&[(ENFORCE_LEVEL, "restricted"), (WARN_VERSION, "v1.3")]),
            &defaults,
        );
        assert_eq!(p.warn, lv(Level::Restricted, Version::v1(3)));
        // An explicit warn label (even invalid → privileged) stops the defaulting.
        let (p, errors) = policy_to_evaluate(
            &labels(&[(ENFORCE_LEVEL, "restricted"), (WARN_LEVEL, "loud")]),
            &defaults,
        );
        assert_eq!(p.warn.level, Level::Privileged);
        assert_eq!(errors.len(), 1);
        // An invalid enforce label fails closed and does not default warn.
        let (p, errors) = policy_to_evaluate(&labels(&[(ENFORCE_LEVEL, "")]), &defaults);
        assert_eq!(p.enforce.level, Level::Restricted);
        assert_eq!(p.warn.level, Level::Privileged);
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn aggregate_drops_duplicates_and_brackets_several() {
        let error = |key: &'static str| LabelError {
            key,
            value: "x".to_owned(),
            detail: "bad".to_owned(),
        };
        assert_eq!(
            aggregate(&[error(AUDIT_LEVEL)]),
            "metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: \"x\": bad"
        );
        assert_eq!(
            aggregate(&[error(AUDIT_LEVEL), error(AUDIT_LEVEL)]),
            "metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: \"x\": bad"
        );
        assert_eq!(
            aggregate(&[error(AUDIT_LEVEL), error(WARN_LEVEL)]),
            "[metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: \"x\": bad, metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: \"x\": bad]"
        );
    }
}
