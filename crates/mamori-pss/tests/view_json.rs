//! `scan_pod_json` (the view read straight from JSON text) against `PodView::from_template` over the tree of
//! the same text: every upstream conformance pod as each pod-bearing kind, and random pod specs with
//! well-typed and wrongly typed values. Where the tree path reports a field error the direct reader must
//! decline (`Some(None)`), never produce a view.

use mamori_model::{Node, Value};
use mamori_pss::{
    pod_template, scan_pod_json, Evaluator, Level, LevelVersion, PodView, ScannedPod, Version,
};
use mamori_yaml::json_scan::JsonScanner;
use proptest::prelude::*;
use serde_json::json;
use std::path::{Path, PathBuf};

fn shared_dir() -> PathBuf {
    std::env::var_os("MAMORI_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

/// JSON text of a tree, keys in the tree's order.
fn write_json(node: &Node, out: &mut String) {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&serde_json::to_string(&json!(f)).expect("a number")),
        Value::Str(s) => out.push_str(&serde_json::to_string(s).expect("a string")),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, entry) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(&entry.key).expect("a key"));
                out.push(':');
                write_json(&entry.value, out);
            }
            out.push('}');
        }
    }
}

/// The object of `kind` whose pod template is `pod`'s metadata and spec (JSON text).
fn as_kind(kind: &str, pod_json: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(pod_json).expect("valid JSON");
    if kind == "Pod" {
        return pod_json.to_owned();
    }
    let template = json!({"metadata": value["metadata"].clone(), "spec": value["spec"].clone()});
    let object = match kind {
        "CronJob" => json!({"kind": kind, "metadata": {"name": "c"},
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}}),
        "PodTemplate" => json!({"kind": kind, "metadata": {"name": "t"}, "template": template}),
        _ => {
            json!({"kind": kind, "metadata": {"name": "w"}, "spec": {"replicas": 2, "template": template}})
        }
    };
    object.to_string()
}

/// Both paths on one text: `Ok(true)` when the direct reader produced a view (equal to the tree's),
/// `Ok(false)` when it declined.
fn compare(kind: &str, text: &str) -> Result<bool, String> {
    let tree = mamori_yaml::parse_json(text.as_bytes(), &mamori_yaml::Limits::default())
        .map_err(|e| format!("reference rejects the text: {}", e.message))?;
    let expected = pod_template(kind, &tree).map(|template| {
        (
            PodView::from_template(&template),
            template
                .spec
                .get("runtimeClassName")
                .and_then(Node::as_str)
                .map(str::to_owned),
        )
    });
    let object_kind = tree.get("kind").and_then(Node::as_str).map(str::to_owned);
    let mut scan = JsonScanner::new(text);
    let direct = scan_pod_json(&mut scan, kind)
        .ok_or_else(|| format!("the scanner declined valid JSON: {text}"))?;
    if direct.is_some() && scan.finish().is_none() {
        return Err("the reader did not consume the object".to_owned());
    }
    match (direct, expected) {
        (None, _) => Ok(false),
        (
            Some(ScannedPod {
                view,
                runtime_class,
                object_kind: kind_read,
            }),
            Some((Ok(tree_view), class)),
        ) => {
            if view != tree_view {
                return Err(format!(
                    "views differ for {text}\ndirect: {view:?}\ntree: {tree_view:?}"
                ));
            }
            if runtime_class != class || kind_read != object_kind {
                return Err(format!("runtime class or kind differ for {text}"));
            }
            Ok(true)
        }
        (Some(_), Some((Err(err), _))) => {
            Err(format!("a view where the tree path reports {err}: {text}"))
        }
        (Some(_), None) => Err(format!(
            "a view where the tree path has no template: {text}"
        )),
    }
}

const KINDS: [&str; 5] = [
    "Pod",
    "Deployment",
    "CronJob",
    "PodTemplate",
    "ReplicationController",
];

#[test]
fn conformance_pods_read_straight_from_json_equal_the_tree_views() {
    let dir = shared_dir().join("conformance/psa/testdata");
    assert!(
        dir.is_dir(),
        "conformance data missing at {} (set MAMORI_SHARED_DIR)",
        dir.display()
    );
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    files.sort();
    assert!(files.len() > 4000, "only {} fixtures found", files.len());
    let (mut direct, mut declined) = (0, 0);
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable fixture");
        let node = mamori_yaml::parse_document(&text, 1, &mamori_yaml::Limits::default())
            .expect("valid YAML")
            .expect("a document");
        let mut pod_json = String::new();
        write_json(&node, &mut pod_json);
        for kind in KINDS {
            let object = as_kind(kind, &pod_json);
            match compare(kind, &object) {
                Ok(true) => direct += 1,
                Ok(false) => declined += 1,
                Err(err) => panic!("{}: {kind}: {err}", file.display()),
            }
        }
    }
    // Conformance pods are well typed: the direct reader takes every one of them.
    assert_eq!(declined, 0, "{declined} declined, {direct} read directly");
}

#[test]
fn without_evidence_the_verdicts_and_messages_are_the_same() {
    let dir = shared_dir().join("conformance/psa/testdata");
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    assert!(files.len() > 4000, "only {} fixtures found", files.len());
    let evaluator = Evaluator::new();
    let mut violations = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable fixture");
        let node = mamori_yaml::parse_document(&text, 1, &mamori_yaml::Limits::default())
            .expect("valid YAML")
            .expect("a document");
        let template = pod_template("Pod", &node).expect("a pod");
        let view = PodView::from_template(&template).expect("a view");
        let lean = view.clone().without_evidence();
        for level in [Level::Baseline, Level::Restricted] {
            for version in [Version::LATEST, Version::v1(0), Version::v1(25)] {
                let lv = LevelVersion { level, version };
                let full = evaluator.evaluate(lv, &view);
                let bare = evaluator.evaluate(lv, &lean);
                assert_eq!(
                    full.violations.len(),
                    bare.violations.len(),
                    "{}",
                    file.display()
                );
                for (a, b) in full.violations.iter().zip(&bare.violations) {
                    assert_eq!(
                        (a.check_id, &a.reason, &a.detail),
                        (b.check_id, &b.reason, &b.detail)
                    );
                    assert_eq!(a.evidence.len(), b.evidence.len());
                    assert!(
                        a.evidence.iter().all(|e| !e.field_path.is_empty()),
                        "{}",
                        file.display()
                    );
                    assert!(b.evidence.iter().all(|e| e.field_path.is_empty()));
                }
                violations += full.violations.len();
            }
        }
    }
    assert!(violations > 10_000, "only {violations} violations compared");
}

#[test]
fn what_the_tree_path_reports_is_declined() {
    let cases = [
        r#"{"spec":{"hostNetwork":"yes"}}"#,
        r#"{"spec":{"containers":[{"name":"a","securityContext":{"privileged":1}}]}}"#,
        r#"{"spec":{"containers":[null]}}"#,
        r#"{"spec":{"containers":{"name":"a"}}}"#,
        r#"{"spec":{"containers":[{"name":"a","ports":[{"hostPort":1.5}]}]}}"#,
        r#"{"spec":{"containers":[{"name":"a","ports":[{"hostPort":4294967296}]}]}}"#,
        r#"{"spec":{"volumes":[{"name":"v","hostPath":"/"}]}}"#,
        r#"{"spec":"none"}"#,
        r#"{"metadata":{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":1}},"spec":{}}"#,
        r#"{"spec":{"securityContext":{"sysctls":[null]}}}"#,
    ];
    for case in cases {
        assert_eq!(compare("Pod", case), Ok(false), "{case}");
    }
    // A template that is missing or not an object is the tree path's to handle.
    for (kind, case) in [
        ("Deployment", r#"{"spec":{"replicas":1}}"#),
        ("ReplicationController", r#"{"spec":{}}"#),
        ("CronJob", r#"{"spec":{"jobTemplate":null}}"#),
        ("Pod", "null"),
        ("Service", r#"{"spec":{}}"#),
    ] {
        assert_eq!(compare(kind, case), Ok(false), "{kind} {case}");
    }
    // Nulls are absent and unread fields are not type-checked: these are read directly.
    for case in [
        r#"{"kind":7,"spec":{"hostNetwork":null,"containers":null,"securityContext":{"privileged":"x"}}}"#,
        r#"{"spec":null,"metadata":null}"#,
        r#"{"metadata":{"annotations":{"other":1,"container.apparmor.security.beta.kubernetes.io/a":null}},"spec":{"runtimeClassName":3}}"#,
        r#"{"spec":{"containers":[{"name":"a","ports":[{"hostPort":0},{"hostPort":80}],"livenessProbe":{"httpGet":{"host":""},"tcpSocket":{"host":"h"}}}],"initContainers":[{"name":"i"}]}}"#,
        r#"{"spec":{"volumes":[{"name":"a"},{"name":"b","hostPath":{"path":"/"},"secret":{}},{"name":"c","emptyDir":null}]}}"#,
    ] {
        assert_eq!(compare("Pod", case), Ok(true), "{case}");
    }
}

#[test]
fn invalid_json_and_duplicate_keys_are_left_to_the_reference() {
    for case in [
        r#"{"spec":{"hostNetwork":true,"hostNetwork":false}}"#,
        r#"{"spec":{"containers":[{"name":"a","name":"b"}]}}"#,
        r#"{"spec":{"tolerations":[{"k":1,"k":2}]}}"#,
        r#"{"spec":{"containers":[}}"#,
        r#"{"spec":{"containers":[{"name":"a",}]}}"#,
        r#"{"spec":{"hostNetwork":tru}}"#,
        r#"{"spec":{"containers":[1,]}}"#,
    ] {
        let mut scan = JsonScanner::new(case);
        assert_eq!(scan_pod_json(&mut scan, "Pod"), None, "{case}");
    }
}

/// Any JSON value, keys from what the reader looks at and beyond.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        Just(json!(1.5)),
        "[a-zA-Z0-9_]{0,6}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(VOCABULARY).prop_map(str::to_owned),
        "[a-zA-Z]{1,8}",
    ]
}

const VOCABULARY: &[&str] = &[
    "httpGet",
    "tcpSocket",
    "host",
    "hostPort",
    "postStart",
    "preStop",
    "privileged",
    "add",
    "drop",
    "type",
    "name",
    "hostPath",
    "emptyDir",
    "secret",
    "nfs",
    "annotations",
    "hostProcess",
    "user",
    "role",
    "sysctls",
    "runAsUser",
    "runAsNonRoot",
    "capabilities",
    "seccompProfile",
    "appArmorProfile",
    "seLinuxOptions",
    "windowsOptions",
    "procMount",
    "allowPrivilegeEscalation",
];

const SPEC_KEYS: &[&str] = &[
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostUsers",
    "securityContext",
    "volumes",
    "runtimeClassName",
    "os",
    "containers",
    "initContainers",
    "ephemeralContainers",
    "tolerations",
    "template",
];
const CONTAINER_KEYS: &[&str] = &[
    "name",
    "securityContext",
    "ports",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "env",
    "image",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("MAMORI_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn random_pods_read_straight_from_json_agree_with_the_tree(
        spec_fields in prop::collection::vec((prop::sample::select(SPEC_KEYS), any_json()), 0..5),
        container_fields in prop::collection::vec((prop::sample::select(CONTAINER_KEYS), any_json()), 0..5),
        annotations in prop::collection::vec((prop::sample::select(&[
            "seccomp.security.alpha.kubernetes.io/pod",
            "container.apparmor.security.beta.kubernetes.io/app",
            "container.seccomp.security.alpha.kubernetes.io/app",
            "other",
        ][..]), any_json()), 0..3),
        kind in prop::sample::select(&KINDS[..]),
    ) {
        let mut container = json!({"name": "app"});
        for (key, value) in container_fields {
            container[key] = value;
        }
        let mut pod = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [container]}});
        for (key, value) in spec_fields {
            pod["spec"][key] = value;
        }
        for (key, value) in annotations {
            pod["metadata"]["annotations"][key] = value;
        }
        let object = as_kind(kind, &pod.to_string());
        prop_assert!(compare(kind, &object).is_ok(), "{:?}", compare(kind, &object));
    }
}
