//! mamori.yaml parsing: typed values, and every kind of error with its file:line:col.

use mamori_config::{parse, Config, ConfigError, Date};
use mamori_model::Severity;
use mamori_pss::Level;
use std::sync::Arc;

fn ok(text: &str) -> Config {
    parse(text, Arc::from("mamori.yaml")).unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn errors(text: &str) -> Vec<String> {
    parse(text, Arc::from("mamori.yaml"))
        .err()
        .unwrap_or_else(|| panic!("expected errors for:\n{text}"))
        .iter()
        .map(ConfigError::to_string)
        .collect()
}

const EXAMPLE: &str = include_str!("../../../docs/mamori.example.yaml");

#[test]
fn the_example_config_parses_into_typed_values() {
    let config = ok(EXAMPLE);
    assert_eq!(config.pss.level, Some(Level::Restricted));
    assert_eq!(config.rules.disable[0].text, "namespace.*");
    assert_eq!(
        config.rules.enable[0].text,
        "namespace.resourcequota-missing"
    );
    assert_eq!(config.severity.len(), 2);
    assert_eq!(config.severity[0].severity, Severity::Medium);
    assert_eq!(
        config.settings.allowed_registries,
        ["registry.example.com", "ghcr.io/example"]
    );
    assert_eq!(config.settings.private_registries, ["registry.example.com"]);
    assert_eq!(config.settings.sandbox_runtime_classes, ["gvisor", "kata"]);
    assert_eq!(
        config.settings.sandbox_namespace_labels,
        ["mamori.io/sandbox=true"]
    );
    assert_eq!(
        config.settings.isolation_node_label.as_deref(),
        Some("dedicated=untrusted")
    );
    assert_eq!(
        config.settings.isolation_taint_key.as_deref(),
        Some("dedicated")
    );
    assert_eq!(config.exceptions.len(), 2);
    let first = &config.exceptions[0];
    assert_eq!(first.id.as_deref(), Some("log-agent-host-logs"));
    assert_eq!(first.expires, Date::parse("2027-03-31").unwrap());
    assert_eq!(first.owner, "platform-team@example.com");
    assert_eq!(first.pos.line, 37);
    assert_eq!(
        config.exceptions[1].field_path.as_deref(),
        Some("spec.jobTemplate.spec.template.spec")
    );
}

#[test]
fn empty_and_comment_only_files_are_the_default_config() {
    assert_eq!(
        ok(""),
        Config {
            file: Arc::from("mamori.yaml"),
            ..Config::default()
        }
    );
    assert_eq!(ok("# nothing yet\n").exceptions.len(), 0);
    assert!(ok("rules:\nexceptions:\n").rules.disable.is_empty());
}

#[test]
fn unknown_keys_are_reported_with_position_and_suggestion() {
    assert_eq!(
        errors("pss:\n  levle: baseline\n"),
        ["mamori.yaml:2:3: unknown key \"levle\" in pss (did you mean \"level\"?)"]
    );
    assert_eq!(
        errors("exception: []\n"),
        ["mamori.yaml:1:1: unknown key \"exception\" in mamori.yaml (did you mean \"exceptions\"?)"]
    );
    let far = errors("colour: red\n");
    assert!(
        far[0].starts_with(
            "mamori.yaml:1:1: unknown key \"colour\" in mamori.yaml (expected one of: pss, rules"
        ),
        "{far:?}"
    );
}

#[test]
fn wrong_types_are_reported() {
    assert_eq!(
        errors("rules: [a]\n"),
        ["mamori.yaml:1:8: rules must be a map, found a list"]
    );
    assert_eq!(
        errors("registries:\n  allowed: {a: b}\n"),
        ["mamori.yaml:2:12: registries.allowed must be a list of strings, found a map"]
    );
    assert_eq!(
        errors("registries:\n  allowed: [ok, 3]\n"),
        ["mamori.yaml:2:17: each item of registries.allowed must be a string, found a integer"]
    );
}

#[test]
fn unknown_rule_ids_suggest_the_closest() {
    assert_eq!(
        errors("rules:\n  disable: [pss.priviledged]\n"),
        ["mamori.yaml:2:13: unknown rule id \"pss.priviledged\" in rules.disable (did you mean \"pss.privileged\"?)"]
    );
    assert_eq!(
        errors("severity:\n  workload.default-namespaces: low\n"),
        ["mamori.yaml:2:3: unknown rule id \"workload.default-namespaces\" in severity (did you mean \"workload.default-namespace\"?)"]
    );
    assert_eq!(
        errors("rules:\n  disable: [\"nosuch.*\"]\n"),
        ["mamori.yaml:2:13: pattern \"nosuch.*\" in rules.disable matches no rule"]
    );
}

#[test]
fn invalid_globs_severities_and_pss_values() {
    assert_eq!(
        errors("rules:\n  disable: [\"pss.[ab]*\"]\n"),
        ["mamori.yaml:2:13: invalid glob \"pss.[ab]*\" in rules.disable: '[' is not supported (use * and ?)"]
    );
    assert_eq!(
        errors("severity:\n  pss.privileged: severe\n"),
        ["mamori.yaml:2:19: invalid severity \"severe\" for pss.privileged: use critical, high, medium, low or info"]
    );
    assert_eq!(
        errors("pss:\n  level: strict\n  version: \"1.30\"\n"),
        [
            "mamori.yaml:2:10: pss.level \"strict\": must be one of privileged, baseline, restricted",
            "mamori.yaml:3:12: pss.version \"1.30\": must be \"latest\" or \"v1.x\"",
        ]
    );
    assert_eq!(
        errors("nodeIsolation:\n  nodeLabel: dedicated\n"),
        ["mamori.yaml:2:14: nodeIsolation.nodeLabel must be key=value, found \"dedicated\""]
    );
}

#[test]
fn exceptions_require_governance_fields_and_valid_dates() {
    let text = "exceptions:\n  - rules: [pss.privileged]\n    reason: \"\"\n";
    assert_eq!(
        errors(text),
        [
            "mamori.yaml:3:13: exceptions[0]: `reason` is required and must not be empty",
            "mamori.yaml:2:5: exceptions[0]: `owner` is required and must not be empty",
            "mamori.yaml:2:5: exceptions[0]: `expires` is required (YYYY-MM-DD); exceptions must end",
        ]
    );
    let text = "exceptions:\n  - rules: pss.privileged\n    reason: r\n    owner: o\n    expires: 2027-02-30\n";
    assert_eq!(
        errors(text),
        ["mamori.yaml:5:14: exceptions[0].expires: invalid date \"2027-02-30\": no such day in the calendar"]
    );
    let text = "exceptions:\n  - reason: r\n    owner: o\n    expires: 2027-01-01\n";
    assert_eq!(
        errors(text),
        ["mamori.yaml:2:5: exceptions[0]: `rules` is required (rule ids or globs)"]
    );
}

#[test]
fn yaml_syntax_errors_carry_positions() {
    let errs = errors("rules:\n  disable: [a\n");
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("mamori.yaml:"), "{errs:?}");
    assert!(!errs[0].starts_with("mamori.yaml:0:0"), "{errs:?}");
}

#[test]
fn all_errors_are_reported_at_once() {
    let errs = errors("pss:\n  level: x\nrules:\n  disable: [pss.nope]\nbogus: 1\n");
    assert_eq!(errs.len(), 3, "{errs:?}");
}
