//! Golden texts: for pods of tests/fixtures/pods and of the upstream conformance fixtures (read in place), the
//! webhook's forbidden message, warning, audit annotation and namespace dry-run warning equal what `mamori pss`
//! prints (its library path: mamori_scan + mamori_report::pss::write_text) and upstream's templates.

mod common;

use common::*;
use mamori_admission::{PodInfo, PodSecurityConfiguration};
use mamori_load::Input;
use mamori_pss::{go_quote, Level, LevelVersion, Version};
use mamori_report::pss::{write_text, PssPolicy, PssRecord, PssViolation};
use mamori_scan::{ScanItem, ScanOptions};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pods"))
}

/// `../shared` next to the repository, or `MAMORI_SHARED_DIR`.
fn shared_dir() -> PathBuf {
    std::env::var_os("MAMORI_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")))
}

/// One pod evaluated the way `mamori pss FILE --level L --version V` does: the text line and the record.
fn mamori_pss(file: &Path, level: &str, version: &str) -> (String, PssRecord, mamori_model::Node) {
    let lv = LevelVersion::new(
        Level::parse(level).expect("level"),
        Version::parse(version).expect("version"),
    );
    let options = ScanOptions::new(lv, mamori_yaml::Limits::default(), 1);
    let mut found = None;
    mamori_scan::scan(&[Input::Path(file.to_path_buf())], &options, &mut |item| {
        if let ScanItem::Object(object) = item {
            let result = object.pss.expect("pod-bearing");
            found = Some(PssRecord {
                file: object.source.file.clone(),
                line: object.source.pos.line,
                column: object.source.pos.col,
                kind: object.object.kind.clone(),
                namespace: object.object.namespace.clone(),
                name: object.object.name.clone(),
                allowed: result.allowed(),
                detail: result.forbidden_detail(),
                violations: result
                    .violations
                    .iter()
                    .map(|v| PssViolation {
                        check: v.check_id.to_owned(),
                        reason: v.reason.clone(),
                        detail: v.detail.clone(),
                    })
                    .collect(),
            });
        }
    });
    let record = found.unwrap_or_else(|| panic!("{}: no pod", file.display()));
    let mut out = Vec::new();
    write_text(&record, PssPolicy { level, version }, &mut out).expect("write");
    let text = String::from_utf8(out).expect("utf-8");
    let source = std::fs::read_to_string(file).expect("read");
    let node = mamori_yaml::parse_document(&source, 1, &mamori_yaml::Limits::default())
        .expect("yaml")
        .expect("doc");
    (text, record, node)
}

/// Checks one pod at one level/version as enforce, warn and audit, and as an existing pod under a relabel.
fn check(file: &Path, level: &str, version: &str) -> bool {
    let (line, record, node) = mamori_pss(file, level, version);
    let pod = to_json(&node);
    let name = record.name.clone();
    let engine = engine(PodSecurityConfiguration::default());
    let policy = format!("{level}:{version}");
    let prefix = format!("{}:{}: Pod/{name}: ", record.file, record.line);
    let verdict = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .trim_end();

    let enforce = TestState::with_namespace(
        "team",
        &[
            ("pod-security.kubernetes.io/enforce", level),
            ("pod-security.kubernetes.io/enforce-version", version),
        ],
    );
    let (reviewed, body) = review(&engine, &Req::create_pod("team", pod.clone()), &enforce);
    let warn_state = TestState::with_namespace(
        "team",
        &[
            ("pod-security.kubernetes.io/warn", level),
            ("pod-security.kubernetes.io/warn-version", version),
            ("pod-security.kubernetes.io/audit", level),
            ("pod-security.kubernetes.io/audit-version", version),
        ],
    );
    let (warned, warn_body) = review(&engine, &Req::create_pod("team", pod.clone()), &warn_state);
    assert!(warned.allowed);
    if record.allowed {
        assert_eq!(verdict, "allowed");
        assert!(reviewed.allowed, "{}: {policy}", file.display());
        assert!(warnings(&warn_body).is_empty());
        return false;
    }
    // mamori pss: `violates PodSecurity "<policy>": <detail>`; the webhook: `pods "<name>" is forbidden: ` + that.
    assert_eq!(
        verdict,
        format!(
            "violates PodSecurity {}: {}",
            go_quote(&policy),
            record.detail
        )
    );
    assert!(!reviewed.allowed, "{}: {policy}", file.display());
    assert_eq!(
        message(&body),
        format!("pods {} is forbidden: {verdict}", go_quote(&name))
    );
    let would = format!(
        "would violate PodSecurity {}: {}",
        go_quote(&policy),
        record.detail
    );
    assert_eq!(warnings(&warn_body), std::slice::from_ref(&would));
    assert_eq!(
        annotation(&warn_body, "audit-violations"),
        Some(would.as_str())
    );

    // As an existing pod when the namespace's enforce level is tightened to this policy: reasons only.
    let mut state = TestState::with_namespace("team", &[]);
    let mut existing = pod.clone();
    existing["metadata"]["namespace"] = json!("team");
    let node = mamori_yaml::parse_json(
        existing.to_string().as_bytes(),
        &mamori_yaml::Limits::default(),
    )
    .expect("json");
    state
        .pods
        .push(Arc::new(PodInfo::from_node(node).expect("pod")));
    let mut req = Req::create(
        "",
        "namespaces",
        "Namespace",
        "team",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team", "labels": {"pod-security.kubernetes.io/enforce": level, "pod-security.kubernetes.io/enforce-version": version}}}),
    );
    req.operation = "UPDATE";
    req.name = "team".to_owned();
    req.old_object =
        Some(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}));
    let (_, ns_body) = review(&engine, &req, &state);
    let reasons: Vec<&str> = record
        .violations
        .iter()
        .map(|v| v.reason.as_str())
        .collect();
    assert_eq!(
        warnings(&ns_body),
        [
            format!(
                "existing pods in namespace \"team\" violate the new PodSecurity enforce level {}",
                go_quote(&policy)
            ),
            format!("{name}: {}", reasons.join(", ")),
        ]
    );
    true
}

const POLICIES: [(&str, &str); 6] = [
    ("baseline", "latest"),
    ("baseline", "v1.0"),
    ("restricted", "latest"),
    ("restricted", "v1.24"),
    ("restricted", "v1.18"),
    ("restricted", "v1.99"),
];

#[test]
fn fixture_pods_match_mamori_pss_text() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    let mut forbidden = 0;
    for file in &files {
        for (level, version) in POLICIES {
            forbidden += usize::from(check(file, level, version));
        }
    }
    assert!(forbidden >= 20, "only {forbidden} forbidden cases");
}

#[test]
fn conformance_fixtures_match_in_place() {
    let testdata = shared_dir().join("conformance/psa/testdata");
    assert!(
        testdata.is_dir(),
        "conformance fixtures missing at {} (set MAMORI_SHARED_DIR)",
        testdata.display()
    );
    let cases = [
        (
            "baseline/v1.0/fail/hostnamespaces0.yaml",
            "baseline",
            "v1.0",
            true,
        ),
        (
            "restricted/v1.25/fail/allowprivilegeescalation0.yaml",
            "restricted",
            "v1.25",
            true,
        ),
        (
            "restricted/v1.35/fail/runasnonroot1.yaml",
            "restricted",
            "v1.35",
            true,
        ),
        (
            "baseline/v1.34/fail/hostprobesandhostlifecycle0.yaml",
            "baseline",
            "v1.34",
            true,
        ),
        (
            "restricted/v1.29/pass/base_windows.yaml",
            "restricted",
            "v1.29",
            false,
        ),
        (
            "restricted/v1.37/pass/restrictedvolumes0.yaml",
            "restricted",
            "v1.37",
            false,
        ),
    ];
    for (path, level, version, fails) in cases {
        let file = testdata.join(path);
        assert!(file.is_file(), "missing fixture {}", file.display());
        assert_eq!(check(&file, level, version), fails, "{path}");
    }
}

#[test]
fn upstream_templates_verbatim() {
    // pss-semantics.md §3.8, both examples, as the webhook returns them.
    let engine = engine(PodSecurityConfiguration::default());
    let pod = |file: &str| {
        let text = std::fs::read_to_string(fixtures_dir().join(file)).expect("fixture");
        yaml(&text)
    };
    let (_, body) = review(
        &engine,
        &Req::create_pod("team", pod("baseline-mix.yaml")),
        &TestState::with_namespace(
            "team",
            &[("pod-security.kubernetes.io/enforce", "baseline")],
        ),
    );
    assert_eq!(
        message(&body),
        "pods \"baseline-mix\" is forbidden: violates PodSecurity \"baseline:latest\": forbidden AppArmor profile (annotation must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/app=\"unconfined\"\"), non-default capabilities (container \"app\" must not include \"NET_ADMIN\", \"SYS_TIME\" in securityContext.capabilities.add), host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume \"root\"), hostPort (container \"app\" uses hostPorts 10000, 8080), privileged (container \"app\" must not set securityContext.privileged=true)"
    );
    let (_, body) = review(
        &engine,
        &Req::create_pod("team", pod("nginx-defaults.yaml")),
        &TestState::with_namespace("team", &[("pod-security.kubernetes.io/warn", "restricted")]),
    );
    assert_eq!(
        warnings(&body),
        ["would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"nginx\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"nginx\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"nginx\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"nginx\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"]
    );
}
