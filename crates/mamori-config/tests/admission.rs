//! The `admission:` section of mamori.yaml: parsing, validation with positions, mode resolution.

use mamori_config::{parse, AdmissionMode};

fn errors(text: &str) -> Vec<String> {
    parse(text, "mamori.yaml".into())
        .expect_err("invalid")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn default_is_warn_without_dry_run() {
    let config = parse("", "m".into()).expect("valid");
    assert_eq!(config.admission.default_mode, AdmissionMode::Warn);
    assert!(!config.admission.dry_run);
    assert_eq!(
        config.admission.mode_for("image.latest-tag", "team"),
        AdmissionMode::Warn
    );
}

#[test]
fn modes_resolve_namespace_entry_then_global_rules_then_default() {
    let config = parse(
        "admission:\n  defaultMode: audit\n  dryRun: true\n  rules:\n  - {id: \"image.*\", mode: deny}\n  - {id: image.latest-tag, mode: warn}\n  namespaces:\n  - name: \"dev-*\"\n    defaultMode: audit\n  - name: [prod, \"prod-*\"]\n    rules:\n    - {id: workload.cpu-limit-missing, mode: deny}\n  - name: \"*\"\n    rules:\n    - {id: image.digest-missing, mode: audit}\n",
        "m".into(),
    )
    .expect("valid");
    let a = &config.admission;
    assert!(a.dry_run);
    assert_eq!(a.mode_for("image.latest-tag", ""), AdmissionMode::Warn);
    assert_eq!(a.mode_for("image.digest-missing", ""), AdmissionMode::Deny);
    assert_eq!(
        a.mode_for("workload.cpu-limit-missing", ""),
        AdmissionMode::Audit
    );
    // dev-*: its defaultMode wins over the global rules.
    assert_eq!(
        a.mode_for("image.digest-missing", "dev-1"),
        AdmissionMode::Audit
    );
    // prod: its rules first, then the global settings; the later "*" entry is not consulted.
    assert_eq!(
        a.mode_for("workload.cpu-limit-missing", "prod-eu"),
        AdmissionMode::Deny
    );
    assert_eq!(
        a.mode_for("image.digest-missing", "prod"),
        AdmissionMode::Deny
    );
    // Other namespaces match "*".
    assert_eq!(
        a.mode_for("image.digest-missing", "team"),
        AdmissionMode::Audit
    );
    assert_eq!(a.mode_for("image.latest-tag", "team"), AdmissionMode::Warn);
}

#[test]
fn invalid_admission_settings_are_reported_with_positions() {
    assert_eq!(
        errors("admission:\n  defaultMode: block\n  dryrun: true\n"),
        [
            "mamori.yaml:3:3: unknown key \"dryrun\" in admission (did you mean \"dryRun\"?)",
            "mamori.yaml:2:16: admission.defaultMode must be deny, warn or audit, found \"block\"",
        ]
    );
    assert_eq!(
        errors("admission:\n  rules:\n  - {id: pss.privileged, mode: deny}\n  - {id: image.latst-tag, mode: warn}\n  - {id: \"nothing.*\", mode: warn}\n  - {mode: warn}\n"),
        [
            "mamori.yaml:3:10: admission.rules[0].id: \"pss.privileged\" is a Pod Security check; at admission those follow the namespace's pod-security.kubernetes.io labels, not admission modes",
            "mamori.yaml:4:10: admission.rules[1].id: \"image.latst-tag\" matches no catalogue rule (did you mean \"image.latest-tag\"?)",
            "mamori.yaml:5:10: admission.rules[2].id: \"nothing.*\" matches no catalogue rule (`mamori rules` lists them)",
            "mamori.yaml:6:5: admission.rules[3]: `id` is required",
        ]
    );
    assert_eq!(
        errors("admission:\n  dryRun: yes please\n  namespaces:\n  - rules: []\n  - name: \"[ab]\"\n"),
        [
            "mamori.yaml:2:11: admission.dryRun must be true or false, found a string",
            "mamori.yaml:4:5: admission.namespaces[0]: `name` is required (namespace names or globs)",
            "mamori.yaml:5:11: invalid namespace glob \"[ab]\" in admission.namespaces[1].name (use * and ?)",
        ]
    );
}
