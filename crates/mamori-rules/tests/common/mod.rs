//! Helpers shared by the focused rule tests: load a multi-document manifest with absolute line numbers and run
//! selected rules over it.
#![allow(dead_code)] // each test binary uses a different subset

use mamori_load::{parse_raw, Loaded, RawDocument};
use mamori_model::{Finding, K8sObject};
use mamori_rules::{evaluate_all, Rule, RuleSettings};
use std::sync::Arc;

/// Loads a manifest whose documents are separated by `---` lines, as `test.yaml`, with absolute line numbers.
pub fn load(text: &str) -> Vec<K8sObject> {
    let file: Arc<str> = Arc::from("test.yaml");
    let mut out = Vec::new();
    let mut first_line = 1u32;
    for (doc_index, part) in (0u32..).zip(text.split("\n---\n")) {
        let doc = RawDocument {
            file: file.clone(),
            doc_index,
            first_line,
            text: part.to_owned(),
        };
        first_line += part.lines().count() as u32 + 1;
        for loaded in parse_raw(&doc, &mamori_yaml::Limits::default()) {
            match loaded {
                Loaded::Object(o) => out.push(o),
                Loaded::Note(_) => {}
                Loaded::Error(e) => panic!("test manifest does not load: {e}"),
            }
        }
    }
    out
}

/// Findings of the rules whose id is `prefix` or starts with `prefix.`, with default settings.
pub fn run_prefix(prefix: &str, text: &str) -> Vec<Finding> {
    let only = |r: &Rule| r.meta.id == prefix || r.meta.id.starts_with(&format!("{prefix}."));
    let objects = load(text);
    assert!(!objects.is_empty(), "no objects in test manifest");
    evaluate_all(&objects, &RuleSettings::default(), &only)
}

/// Findings of exactly one rule (which must exist) with the given settings.
pub fn run_rule(rule_id: &str, settings: &RuleSettings, text: &str) -> Vec<Finding> {
    assert!(mamori_rules::rule(rule_id).is_some(), "no rule {rule_id}");
    evaluate_all(&load(text), settings, &|r: &Rule| r.meta.id == rule_id)
}

pub fn messages(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.message.as_str()).collect()
}

pub fn paths(findings: &[Finding]) -> Vec<&str> {
    findings
        .iter()
        .map(|f| f.location.field_path.as_str())
        .collect()
}

pub fn defaults() -> RuleSettings {
    RuleSettings::default()
}
