//! The catalogue in the pipeline: object rules after PSS, inventory rules at the end, the policy on every
//! finding (PSS ones too), annotation exemptions, and PSS-only mode.

use mamori_config::{parse, Date, Policy, Suppression};
use mamori_pss::{Level, LevelVersion, Version};
use mamori_scan::{scan, Input, ScanItem, ScanOptions};
use std::sync::Arc;

const MANIFESTS: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  template:
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1.0
        securityContext:
          privileged: true
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: default
  annotations:
    mamori.io/exempt: \"pss.*\"
    mamori.io/exempt-reason: \"break-glass debugging, SEC-7\"
spec:
  containers:
  - name: sh
    image: registry.example.com/tools:1.0
    securityContext:
      privileged: true
";

/// The rules these tests look at; other catalogue rules (the catalogue keeps growing) are filtered out.
const WATCHED: [&str; 3] = [
    "pss.privileged",
    "workload.default-namespace",
    "namespace.resourcequota-missing",
];

struct Outcome {
    /// (object name or \"<end>\", rule id) in delivery order.
    findings: Vec<(String, String, String)>,
    suppressed: Vec<(String, Suppression)>,
    notes: Vec<String>,
}

fn run(config: &str, catalogue: bool, manifests: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.yaml");
    std::fs::write(&path, manifests).unwrap();
    let mut opts = ScanOptions::new(
        LevelVersion::new(Level::Baseline, Version::LATEST),
        Default::default(),
        2,
    );
    let config = parse(config, Arc::from("mamori.yaml")).unwrap();
    opts.rules.catalogue = catalogue;
    opts.rules.policy = Arc::new(Policy::new(config, Date::parse("2026-11-28").unwrap()));
    let mut out = Outcome {
        findings: Vec::new(),
        suppressed: Vec::new(),
        notes: Vec::new(),
    };
    scan(&[Input::Path(path)], &opts, &mut |item| match item {
        ScanItem::Object(o) => {
            for f in o
                .findings
                .into_iter()
                .filter(|f| WATCHED.contains(&f.rule_id.as_ref()))
            {
                out.findings.push((
                    o.object.name.clone(),
                    f.rule_id.to_string(),
                    f.severity.to_string(),
                ));
            }
            for s in o
                .suppressed
                .into_iter()
                .filter(|s| WATCHED.contains(&s.finding.rule_id.as_ref()))
            {
                out.suppressed.push((s.finding.rule_id.to_string(), s.by));
            }
        }
        ScanItem::Findings(end) => {
            for f in end
                .into_iter()
                .filter(|f| WATCHED.contains(&f.rule_id.as_ref()))
            {
                out.findings.push((
                    "<end>".into(),
                    f.rule_id.to_string(),
                    f.severity.to_string(),
                ));
            }
        }
        ScanItem::Suppressed(end) => out.suppressed.extend(
            end.into_iter()
                .filter(|s| WATCHED.contains(&s.finding.rule_id.as_ref()))
                .map(|s| (s.finding.rule_id.to_string(), s.by)),
        ),
        ScanItem::Note(n) => out.notes.push(n.to_string()),
        ScanItem::Error(e) => panic!("{e}"),
    });
    out
}

fn triple(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[test]
fn object_rules_follow_pss_and_inventory_findings_come_last() {
    let out = run("", true, MANIFESTS);
    assert_eq!(
        out.findings,
        [
            triple("web", "pss.privileged", "critical"),
            triple("web", "workload.default-namespace", "low"),
            triple("debug", "workload.default-namespace", "low"),
            triple("<end>", "namespace.resourcequota-missing", "medium"),
        ]
    );
    assert_eq!(
        out.suppressed,
        [(
            "pss.privileged".to_owned(),
            Suppression::Annotation {
                reason: "break-glass debugging, SEC-7".into()
            }
        )]
    );
}

#[test]
fn pss_only_runs_no_catalogue_rule() {
    let out = run("", false, MANIFESTS);
    assert_eq!(out.findings, [triple("web", "pss.privileged", "critical")]);
}

#[test]
fn policy_applies_to_pss_and_catalogue_findings() {
    let config = "rules:
  disable: [\"namespace.*\"]
severity:
  pss.privileged: high
  workload.default-namespace: info
exceptions:
  - rules: [workload.default-namespace]
    names: [debug]
    reason: debugging pod lives in default on purpose
    owner: sre
    expires: 2026-11-28
";
    let out = run(config, true, MANIFESTS);
    assert_eq!(
        out.findings,
        [
            triple("web", "pss.privileged", "high"),
            triple("web", "workload.default-namespace", "info")
        ]
    );
    assert_eq!(out.suppressed.len(), 2);
    assert_eq!(
        out.suppressed[1],
        (
            "workload.default-namespace".to_owned(),
            Suppression::Exception { index: 0 }
        )
    );
}

#[test]
fn exemption_without_reason_is_ignored_with_an_error_note() {
    let manifests = MANIFESTS.replace(
        "    mamori.io/exempt-reason: \"break-glass debugging, SEC-7\"\n",
        "",
    );
    let out = run("", false, &manifests);
    assert_eq!(out.findings.len(), 2, "{:?}", out.findings);
    assert_eq!(out.notes.len(), 1);
    assert!(
        out.notes[0]
            .contains(":26: error: mamori.io/exempt on Pod/debug has no mamori.io/exempt-reason"),
        "{}",
        out.notes[0]
    );
}
