//! Exceptions (match, globs, field path, expiry boundary), annotation exemptions, unused report, severity
//! overrides and disabled rules.

use mamori_config::{exemption, parse, Date, Policy, Suppression};
use mamori_load::{parse_raw, Loaded, RawDocument};
use mamori_model::finding::Location;
use mamori_model::{Finding, K8sObject, ObjectRef, Phase, Pos, Severity};
use std::sync::Arc;

fn policy(text: &str, today: &str) -> Policy {
    let config = parse(text, Arc::from("mamori.yaml")).unwrap_or_else(|e| panic!("{e:?}"));
    Policy::new(config, Date::parse(today).unwrap())
}

fn finding(
    rule: &str,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    field_path: &str,
) -> Finding {
    Finding {
        rule_id: rule.to_owned().into(),
        severity: Severity::High,
        phase: Phase::RuntimeCompute,
        object: std::sync::Arc::new(ObjectRef {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            namespace: namespace.map(str::to_owned),
            name: name.into(),
        }),
        location: Location {
            file: Arc::from("x.yaml"),
            doc_index: 0,
            pos: Pos::new(1, 1),
            field_path: field_path.into(),
        },
        message: "m".into(),
        remediation: String::new().into(),
    }
}

/// Rule ids of the kept findings and how many were suppressed.
fn run(policy: &Policy, findings: Vec<Finding>) -> (Vec<String>, usize) {
    let mut findings = findings;
    let mut suppressed = Vec::new();
    policy.apply(&mut findings, None, &mut suppressed);
    (
        findings
            .into_iter()
            .map(|f| f.rule_id.into_owned())
            .collect(),
        suppressed.len(),
    )
}

const EXCEPTION: &str = "exceptions:
  - id: legacy
    rules: [\"pss.runAs*\"]
    namespaces: [\"batch-*\"]
    kinds: [CronJob]
    names: [\"report-?\"]
    fieldPath: spec.jobTemplate.spec.template.spec
    reason: legacy image
    owner: data-team
    expires: 2026-11-28
";

#[test]
fn exception_matches_rules_and_scope_globs_and_field_path() {
    let p = policy(EXCEPTION, "2026-11-01");
    let path = "spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot";
    let covered = finding(
        "pss.runAsNonRoot",
        "CronJob",
        Some("batch-eu"),
        "report-1",
        path,
    );
    assert_eq!(run(&p, vec![covered.clone()]), (vec![], 1));
    // Each scope dimension can exclude it.
    for miss in [
        finding(
            "pss.privileged",
            "CronJob",
            Some("batch-eu"),
            "report-1",
            path,
        ),
        finding(
            "pss.runAsUser",
            "Deployment",
            Some("batch-eu"),
            "report-1",
            path,
        ),
        finding("pss.runAsUser", "CronJob", Some("shop"), "report-1", path),
        finding("pss.runAsUser", "CronJob", None, "report-1", path),
        finding(
            "pss.runAsUser",
            "CronJob",
            Some("batch-eu"),
            "report-10",
            path,
        ),
        finding(
            "pss.runAsUser",
            "CronJob",
            Some("batch-eu"),
            "report-1",
            "spec.jobTemplate.spec.templateX",
        ),
    ] {
        let id = miss.rule_id.to_string();
        assert_eq!(run(&p, vec![miss]), (vec![id], 0));
    }
    assert_eq!(p.use_count(0), 1);
    assert!(p.unused().is_empty());
}

#[test]
fn an_exception_expiring_today_applies_and_yesterdays_does_not() {
    let path = "spec.jobTemplate.spec.template.spec";
    let f = finding(
        "pss.runAsUser",
        "CronJob",
        Some("batch-x"),
        "report-1",
        path,
    );
    let today = policy(EXCEPTION, "2026-11-28");
    assert_eq!(run(&today, vec![f.clone()]).1, 1);
    assert_eq!(today.expired().count(), 0);
    let tomorrow = policy(EXCEPTION, "2026-11-29");
    assert_eq!(run(&tomorrow, vec![f]).1, 0);
    let expired: Vec<_> = tomorrow.expired().map(|e| e.label()).collect();
    assert_eq!(expired, ["\"legacy\""]);
    // An expired exception is reported as expired, not as unused.
    assert!(tomorrow.unused().is_empty());
}

#[test]
fn unused_exceptions_are_listed() {
    let p = policy(EXCEPTION, "2026-01-01");
    assert_eq!(
        run(
            &p,
            vec![finding("pss.privileged", "Pod", None, "x", "spec")]
        )
        .1,
        0
    );
    let unused: Vec<String> = p.unused().iter().map(|e| e.label()).collect();
    assert_eq!(unused, ["\"legacy\""]);
}

#[test]
fn severity_overrides_and_disabled_rules() {
    let p = policy(
        "rules:\n  disable: [\"pss.*\"]\n  enable: [pss.privileged]\nseverity:\n  \"pss.*\": low\n  pss.privileged: info\n  workload.default-namespace: critical\n",
        "2026-01-01",
    );
    assert!(!p.rule_enabled("pss.runAsNonRoot"));
    assert!(p.rule_enabled("pss.privileged"));
    assert!(p.rule_enabled("workload.default-namespace"));
    let mut findings = vec![
        finding("pss.runAsNonRoot", "Pod", None, "a", "spec"),
        finding("pss.privileged", "Pod", None, "a", "spec"),
        finding(
            "workload.default-namespace",
            "Pod",
            None,
            "a",
            "metadata.namespace",
        ),
    ];
    let mut suppressed = Vec::new();
    p.apply(&mut findings, None, &mut suppressed);
    let got: Vec<(&str, Severity)> = findings
        .iter()
        .map(|f| (f.rule_id.as_ref(), f.severity))
        .collect();
    assert_eq!(
        got,
        [
            ("pss.privileged", Severity::Info),
            ("workload.default-namespace", Severity::Critical)
        ]
    );
    assert!(suppressed.is_empty());
}

fn object(yaml: &str) -> K8sObject {
    let doc = RawDocument {
        file: Arc::from("o.yaml"),
        doc_index: 0,
        first_line: 1,
        text: yaml.to_owned(),
    };
    match parse_raw(&doc, &mamori_yaml::Limits::default())
        .into_iter()
        .next()
    {
        Some(Loaded::Object(o)) => o,
        _ => panic!("no object"),
    }
}

#[test]
fn annotation_exemptions_need_a_reason_and_known_rules() {
    let with = |annotations: &str| {
        object(&format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: dbg\n  annotations:\n{annotations}spec: {{}}\n"))
    };
    assert!(exemption(&object("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n")).is_none());
    let ok = with("    mamori.io/exempt: \"pss.privileged, pss.host*\"\n    mamori.io/exempt-reason: \"node debugger, SEC-9\"\n");
    let ex = exemption(&ok).unwrap().unwrap();
    assert_eq!(ex.rules, ["pss.privileged", "pss.host*"]);
    let p = Policy::default();
    let mut findings = vec![
        finding("pss.privileged", "Pod", None, "dbg", "spec"),
        finding("pss.hostNamespaces", "Pod", None, "dbg", "spec"),
        finding("pss.runAsNonRoot", "Pod", None, "dbg", "spec"),
    ];
    let mut suppressed = Vec::new();
    p.apply(&mut findings, Some(&ex), &mut suppressed);
    assert_eq!(findings.len(), 1);
    assert_eq!(suppressed.len(), 2);
    assert_eq!(
        suppressed[0].by,
        Suppression::Annotation {
            reason: "node debugger, SEC-9".into()
        }
    );

    let no_reason = with("    mamori.io/exempt: pss.privileged\n");
    let err = exemption(&no_reason).unwrap().unwrap_err();
    assert_eq!(err.pos, Pos::new(6, 5));
    assert!(
        err.message
            .contains("has no mamori.io/exempt-reason annotation; exemption ignored"),
        "{}",
        err.message
    );

    let typo = with("    mamori.io/exempt: pss.priviledged\n    mamori.io/exempt-reason: x\n");
    let err = exemption(&typo).unwrap().unwrap_err();
    assert!(
        err.message.contains("did you mean \"pss.privileged\"?"),
        "{}",
        err.message
    );
}
