//! Parity with `mamori scan`: for every object of examples/ and every catalogue rule's fail example, the
//! catalogue rule ids the scan engine reports equal the ids the admission engine reports (denied + warned +
//! audited) with every rule in mode audit.

mod common;

use common::*;
use mamori_admission::{Engine, EngineSettings, PodSecurityConfiguration};
use mamori_config::{AdmissionMode, AdmissionSettings, Config, Policy};
use mamori_load::{Input, Loaded};
use mamori_model::K8sObject;
use mamori_pss::{Evaluator, Level, LevelVersion, Version};
use mamori_scan::{RuleOptions, ScanItem, ScanOptions};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

fn examples_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
}

/// `mamori scan`'s options for a config (crates/mamori-cli/src/cmd/scan_setup.rs: restricted:latest, catalogue on).
fn scan_options(config: &Config) -> ScanOptions {
    let mut options = ScanOptions::new(
        LevelVersion::new(Level::Restricted, Version::LATEST),
        mamori_yaml::Limits::default(),
        1,
    );
    options.rules = RuleOptions {
        catalogue: true,
        policy: Arc::new(Policy::new(config.clone(), today())),
    };
    options
}

fn scan_ids(object: &K8sObject, options: &ScanOptions, evaluator: &Evaluator) -> BTreeSet<String> {
    match mamori_scan::evaluate_object(object, options, evaluator) {
        ScanItem::Object(result) => result
            .findings
            .iter()
            .map(|f| f.rule_id.to_string())
            .filter(|id| !id.starts_with("pss."))
            .collect(),
        other => panic!("{}: not evaluated: {other:?}", object.id.display_name()),
    }
}

/// The plural resource the API server would name (only pods, namespaces and workloads matter to dispatch).
fn resource_of(kind: &str) -> String {
    match kind {
        "Ingress" => "ingresses".to_owned(),
        "NetworkPolicy" => "networkpolicies".to_owned(),
        "PodSecurityPolicy" => "podsecuritypolicies".to_owned(),
        k => format!("{}s", k.to_ascii_lowercase()),
    }
}

fn group_of(api_version: &str) -> String {
    api_version
        .split_once('/')
        .map_or(String::new(), |(g, _)| g.to_owned())
}

fn admission_ids(engine: &Engine, object: &K8sObject) -> BTreeSet<String> {
    let namespace = object.id.namespace.clone().unwrap_or_default();
    let group: &'static str = Box::leak(group_of(&object.id.api_version).into_boxed_str());
    let resource: &'static str = Box::leak(resource_of(&object.id.kind).into_boxed_str());
    let mut req = Req::create(group, resource, "Object", &namespace, to_json(&object.root));
    req.name = object.id.name.clone();
    let mut state = TestState::with_namespace(&namespace, &[]);
    state.add_namespace("default", &[]);
    let (reviewed, _) = review(engine, &req, &state);
    assert!(
        reviewed.allowed,
        "{}: audit mode must admit",
        object.id.display_name()
    );
    reviewed
        .decisions
        .iter()
        .filter(|d| !d.rule_id.starts_with("pss."))
        .inspect(|d| assert_eq!(d.mode, AdmissionMode::Audit))
        .map(|d| d.rule_id.clone())
        .collect()
}

fn audit_everything(mut config: Config) -> Config {
    config.admission = AdmissionSettings {
        default_mode: AdmissionMode::Audit,
        ..AdmissionSettings::default()
    };
    config
}

fn engine_for(config: &Config) -> Engine {
    Engine::new(EngineSettings {
        pod_security: PodSecurityConfiguration::default(),
        config: Some(config.clone()),
        dry_run: false,
        today: today(),
    })
    .expect("engine")
}

#[test]
fn examples_give_the_same_rule_ids_as_the_scan() {
    let dir = examples_dir();
    assert!(dir.is_dir(), "examples/ missing at {}", dir.display());
    let config = audit_everything(Config::default());
    let options = scan_options(&config);
    let evaluator = Evaluator::new();
    let engine = engine_for(&config);
    let mut objects = 0;
    let mut fired = 0;
    for loaded in mamori_load::load_all(&[Input::Path(dir)], &mamori_yaml::Limits::default()) {
        let Loaded::Object(object) = loaded else {
            continue;
        };
        let expected = scan_ids(&object, &options, &evaluator);
        let actual = admission_ids(&engine, &object);
        assert_eq!(
            actual,
            expected,
            "{} in {}",
            object.id.display_name(),
            object.source.file
        );
        objects += 1;
        fired += expected.len();
    }
    assert!(objects > 50, "only {objects} objects under examples/");
    assert!(
        fired > 20,
        "only {fired} rule firings: the comparison would be vacuous"
    );
}

#[test]
fn every_object_rule_fail_example_gives_the_same_rule_ids() {
    let evaluator = Evaluator::new();
    let mut checked = 0;
    for rule in mamori_rules::CATALOGUE.iter() {
        if !matches!(rule.check, mamori_rules::Check::Object(_)) {
            continue;
        }
        let config = audit_everything(Config {
            settings: rule.meta.example_settings.map(|f| f()).unwrap_or_default(),
            ..Config::default()
        });
        let options = scan_options(&config);
        let engine = engine_for(&config);
        let mut fired_own_rule = false;
        let load = |text: &str| {
            let file: Arc<str> = Arc::from(rule.meta.id);
            let raw = mamori_load::RawDocument {
                file,
                doc_index: 0,
                first_line: 1,
                text: text.to_owned(),
            };
            mamori_load::parse_raw(&raw, &mamori_yaml::Limits::default())
        };
        for text in rule.meta.fail_example.split("\n---\n") {
            for loaded in load(text) {
                let Loaded::Object(object) = loaded else {
                    continue;
                };
                let expected = scan_ids(&object, &options, &evaluator);
                let actual = admission_ids(&engine, &object);
                assert_eq!(
                    actual,
                    expected,
                    "{}: {}",
                    rule.meta.id,
                    object.id.display_name()
                );
                fired_own_rule |= actual.contains(rule.meta.id);
            }
        }
        assert!(
            fired_own_rule,
            "{}: its fail example does not fire it at admission",
            rule.meta.id
        );
        checked += 1;
    }
    assert!(checked > 20, "only {checked} object rules");
}
