//! Every rule of the catalogue: its failing example makes it fire, its passing example does not, its metadata
//! is complete, and ids are unique and well-formed. Adding a rule file adds it here automatically.

use mamori_load::{parse_raw, Loaded, RawDocument};
use mamori_model::K8sObject;
use mamori_rules::{evaluate_all, RuleSettings, CATALOGUE};
use std::sync::Arc;

fn objects(rule_id: &str, which: &str, text: &str) -> Vec<K8sObject> {
    let file: Arc<str> = Arc::from(format!("{rule_id}/{which}.yaml"));
    let mut out = Vec::new();
    let mut line = 1u32;
    for (i, part) in split_documents(text).into_iter().enumerate() {
        let doc = RawDocument {
            file: file.clone(),
            doc_index: i as u32,
            first_line: line,
            text: part.clone(),
        };
        line += part.lines().count() as u32 + 1;
        for loaded in parse_raw(&doc, &mamori_yaml::Limits::default()) {
            match loaded {
                Loaded::Object(o) => out.push(o),
                Loaded::Note(_) => {}
                Loaded::Error(e) => panic!("{rule_id} {which} example does not load: {e}"),
            }
        }
    }
    assert!(!out.is_empty(), "{rule_id} {which} example has no objects");
    out
}

fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line == "---" {
            docs.push(String::new());
        } else if let Some(last) = docs.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    docs.into_iter().filter(|d| !d.trim().is_empty()).collect()
}

#[test]
fn every_rule_fires_on_its_fail_example_and_not_on_its_pass_example() {
    assert!(!CATALOGUE.is_empty());
    for rule in CATALOGUE {
        let meta = &rule.meta;
        let settings = meta
            .example_settings
            .map_or_else(RuleSettings::default, |f| f());
        let only_this = |r: &mamori_rules::Rule| r.meta.id == meta.id;
        let fail = evaluate_all(
            &objects(meta.id, "fail", meta.fail_example),
            &settings,
            &only_this,
        );
        assert!(
            !fail.is_empty(),
            "{}: no finding on its fail example",
            meta.id
        );
        for f in &fail {
            assert_eq!(f.rule_id, meta.id);
            assert!(
                f.location.pos.line >= 1,
                "{}: finding without a line",
                meta.id
            );
            assert!(!f.message.is_empty(), "{}: empty message", meta.id);
        }
        let pass = evaluate_all(
            &objects(meta.id, "pass", meta.pass_example),
            &settings,
            &only_this,
        );
        assert!(
            pass.is_empty(),
            "{}: fires on its pass example: {:?}",
            meta.id,
            pass
        );
    }
}

#[test]
fn metadata_is_complete_and_ids_unique() {
    let mut ids: Vec<&str> = CATALOGUE.iter().map(|r| r.meta.id).collect();
    for rule in CATALOGUE {
        let m = &rule.meta;
        let (group, name) =
            m.id.split_once('.')
                .unwrap_or_else(|| panic!("{}: id must be group.name", m.id));
        assert!(!group.is_empty() && !name.is_empty(), "{}", m.id);
        assert!(
            m.id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
            "{}: ids are lowercase kebab case",
            m.id
        );
        assert!(
            !m.id.starts_with("pss."),
            "{}: pss.* is reserved for the Pod Security checks",
            m.id
        );
        assert!(m.title.len() > 10, "{}: title", m.id);
        assert!(m.rationale.len() > 40, "{}: rationale", m.id);
        assert!(m.remediation.len() > 20, "{}: remediation", m.id);
        assert!(!m.references.is_empty(), "{}: references", m.id);
        assert_ne!(m.fail_example, m.pass_example, "{}", m.id);
    }
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate rule ids");
}
