//! Shared helpers: load a fixture and ask the analyzer.
#![allow(dead_code)]

use mamori_load::Input;
use mamori_rbac::{Analyzer, RbacInput};
use std::path::PathBuf;

/// Path of a fixture under tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name)
}

/// Reads a fixture (failing the test on any load error).
pub fn input(name: &str) -> RbacInput {
    let loaded = mamori_rbac::load::load(
        &[Input::Path(fixture(name))],
        &mamori_yaml::Limits::default(),
        2,
    );
    assert!(
        loaded.errors.is_empty(),
        "{name}: {:?}",
        loaded
            .errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    assert!(loaded.documents > 0, "{name}: no documents");
    loaded.input
}

/// The analyzer of a fixture.
pub fn analyzer(name: &str) -> Analyzer {
    Analyzer::new(input(name))
}

/// Subjects (as `Kind:name`) allowed to make the request.
pub fn who(
    analyzer: &Analyzer,
    verb: &str,
    resource: &str,
    namespace: Option<&str>,
    name: Option<&str>,
) -> Vec<String> {
    let request = mamori_rbac::request::parse_request(verb, resource, None, name, namespace)
        .unwrap_or_else(|e| panic!("{verb} {resource}: {e}"));
    analyzer
        .who_can(&request)
        .into_iter()
        .map(|e| e.subject.to_string())
        .collect()
}
