//! PodSecurityConfiguration files: versions, defaulting, validation with upstream's field errors, positions,
//! AdmissionConfiguration nesting.

use mamori_admission::{
    parse_pod_security_configuration as parse, ModePolicies, PodSecurityConfiguration,
};
use mamori_pss::{Level, LevelVersion, Version};

#[test]
fn full_configuration_in_every_api_version() {
    for version in ["v1", "v1beta1", "v1alpha1"] {
        let text = format!(
            "apiVersion: pod-security.admission.config.k8s.io/{version}\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: baseline\n  enforce-version: v1.29\n  audit: restricted\n  warn: restricted\n  warn-version: latest\nexemptions:\n  usernames: [system:serviceaccount:ops:deployer]\n  namespaces: [kube-system]\n  runtimeClasses: [kata.v2]\n"
        );
        let config = parse(&text, "psa.yaml").expect("valid");
        assert_eq!(
            config.defaults.enforce,
            LevelVersion::new(Level::Baseline, Version::v1(29))
        );
        assert_eq!(
            config.defaults.audit,
            LevelVersion::new(Level::Restricted, Version::LATEST)
        );
        assert_eq!(
            config.defaults.warn,
            LevelVersion::new(Level::Restricted, Version::LATEST)
        );
        assert_eq!(
            config.exemptions.usernames,
            ["system:serviceaccount:ops:deployer"]
        );
        assert_eq!(config.exemptions.namespaces, ["kube-system"]);
        assert_eq!(config.exemptions.runtime_classes, ["kata.v2"]);
    }
}

#[test]
fn empty_fields_default_to_privileged_latest() {
    let config = parse("apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: \"\"\n  audit-version: v1.3\n", "f").expect("valid");
    assert_eq!(
        config.defaults.enforce,
        LevelVersion::new(Level::Privileged, Version::LATEST)
    );
    assert_eq!(
        config.defaults.audit,
        LevelVersion::new(Level::Privileged, Version::v1(3))
    );
    assert_eq!(config.defaults.warn, ModePolicies::default().warn);
    assert_eq!(
        PodSecurityConfiguration::default().defaults,
        ModePolicies::PRIVILEGED
    );
}

#[test]
fn validation_errors_are_upstream_field_errors_with_positions() {
    let text = "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: strict\n  enforce-version: v1.01\n  audit: Baseline\nexemptions:\n  usernames: [\"\", bob, bob]\n  namespaces: [Kube_System, ops, ops]\n  runtimeClasses: [-bad]\n";
    let errors = parse(text, "psa.yaml").expect_err("invalid");
    assert_eq!(
        errors,
        [
            "psa.yaml:4:12: defaults.enforce: Invalid value: \"strict\": must be one of privileged, baseline, restricted",
            "psa.yaml:5:20: defaults.enforce-version: Invalid value: \"v1.01\": must be \"latest\" or \"v1.x\"",
            "psa.yaml:6:10: defaults.audit: Invalid value: \"Baseline\": must be one of privileged, baseline, restricted",
            "psa.yaml:9:16: exemptions.namespaces[0]: Invalid value: \"Kube_System\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            "psa.yaml:9:34: exemptions.namespaces[2]: Duplicate value: \"ops\"",
            "psa.yaml:10:20: exemptions.runtimeClasses[0]: Invalid value: \"-bad\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            "psa.yaml:8:15: exemptions.usernames[0]: Invalid value: \"\": username must not be empty",
            "psa.yaml:8:24: exemptions.usernames[2]: Duplicate value: \"bob\"",
        ]
    );
}

#[test]
fn unknown_fields_wrong_kinds_and_versions_are_errors() {
    let errors = parse("apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforced: baseline\n", "f").expect_err("unknown");
    assert_eq!(errors, ["f:4:3: unknown field \"enforced\" in defaults (expected one of: enforce, enforce-version, audit, audit-version, warn, warn-version)"]);
    let errors = parse(
        "apiVersion: pod-security.admission.config.k8s.io/v2\nkind: PodSecurityConfiguration\n",
        "f",
    )
    .expect_err("version");
    assert!(
        errors[0].starts_with(
            "f:1:13: apiVersion \"pod-security.admission.config.k8s.io/v2\" is not supported"
        ),
        "{errors:?}"
    );
    let errors = parse("kind: Pod\n", "f").expect_err("kind");
    assert!(
        errors[0].starts_with("f:1:7: kind must be PodSecurityConfiguration"),
        "{errors:?}"
    );
    assert!(parse("", "f").is_err());
    assert!(parse("defaults: [", "f").expect_err("yaml")[0].starts_with("f:"));
    let errors = parse("apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\nexemptions:\n  usernames: bob\n", "f").expect_err("type");
    assert_eq!(
        errors,
        ["f:4:14: exemptions.usernames must be a list of strings, found a string"]
    );
}

#[test]
fn nested_in_an_admission_configuration() {
    let text = "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  path: erl.yaml\n- name: PodSecurity\n  configuration:\n    apiVersion: pod-security.admission.config.k8s.io/v1beta1\n    kind: PodSecurityConfiguration\n    defaults: {enforce: restricted}\n    exemptions: {namespaces: [kube-system]}\n";
    let config = parse(text, "admission.yaml").expect("valid");
    assert_eq!(config.defaults.enforce.level, Level::Restricted);
    assert_eq!(config.exemptions.namespaces, ["kube-system"]);
    let errors = parse("apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: psa.yaml\n", "a").expect_err("path");
    assert_eq!(
        errors,
        ["a:4:3: plugins[PodSecurity]: only an inline `configuration` is supported (not `path`)"]
    );
    let errors = parse(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins: []\n",
        "a",
    )
    .expect_err("missing");
    assert_eq!(
        errors,
        ["a:1:1: AdmissionConfiguration has no plugin named \"PodSecurity\""]
    );
}

#[test]
fn json_configuration_is_accepted() {
    let config = parse(r#"{"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration","defaults":{"warn":"baseline"}}"#, "p.json").expect("valid");
    assert_eq!(config.defaults.warn.level, Level::Baseline);
}
