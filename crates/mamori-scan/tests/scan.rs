//! Pipeline behaviour: order, findings content, field errors, bounded buffering.

use mamori_load::{load_all, Loaded};
use mamori_pss::{Level, LevelVersion, Version};
use mamori_scan::{scan, scan_with, Input, PipelineConfig, ScanItem, ScanOptions};
use std::path::Path;

fn opts(level: Level, threads: usize) -> ScanOptions {
    ScanOptions::new(
        LevelVersion::new(level, Version::parse("latest").unwrap()),
        Default::default(),
        threads,
    )
}

fn describe(item: &ScanItem) -> String {
    match item {
        ScanItem::Object(result) => format!("{}@{}", result.object.name, result.source.pos.line),
        ScanItem::Note(note) => format!("note {note}"),
        ScanItem::Error(err) => format!("error {err}"),
        ScanItem::Findings(findings) => format!("{} end-of-scan findings", findings.len()),
        ScanItem::Suppressed(suppressed) => format!("{} suppressed", suppressed.len()),
    }
}

fn pod(name: &str, privileged: bool) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c\n    image: x\n    \
         securityContext:\n      privileged: {privileged}\n"
    )
}

#[test]
fn order_is_preserved_with_many_threads_and_files() {
    let dir = tempfile::tempdir().unwrap();
    for file in 0..40 {
        let mut text = String::new();
        for doc in 0..25 {
            let name = format!("f{file}-d{doc}");
            match doc % 7 {
                3 => text.push_str("foo: bar\n"),
                5 => text.push_str("kind: [broken\n"),
                6 => text.push_str(&format!(
                    "apiVersion: v1\nkind: List\nitems:\n- {}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: {name}-cm\n",
                    "{apiVersion: v1, kind: Pod, metadata: {name: listed}, spec: {containers: [{name: a, image: b}]}}"
                )),
                _ => text.push_str(&pod(&name, doc % 2 == 0)),
            }
            text.push_str("---\n");
        }
        std::fs::write(dir.path().join(format!("m{file:03}.yaml")), text).unwrap();
    }
    let inputs = [Input::Path(dir.path().to_path_buf())];
    let expected: Vec<String> = load_all(&inputs, &Default::default())
        .iter()
        .map(|loaded| match loaded {
            Loaded::Object(obj) => format!("{}@{}", obj.id.name, obj.source.pos.line),
            Loaded::Note(note) => format!("note {note}"),
            Loaded::Error(err) => format!("error {err}"),
        })
        .collect();
    assert!(expected.len() > 1000);
    let config = PipelineConfig {
        batch_docs: 3,
        batch_bytes: 1 << 20,
        window: 0,
    };
    let mut seen = Vec::new();
    let stats = scan_with(&inputs, &opts(Level::Baseline, 8), &config, &mut |item| {
        seen.push(describe(&item))
    });
    assert_eq!(stats.threads, 8);
    assert!(stats.batches > 300);
    assert_eq!(seen, expected);
}

const INSECURE: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: insecure
  namespace: prod
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: app
        image: nginx
        securityContext:
          privileged: true
          capabilities:
            add: [NET_ADMIN]
      volumes:
      - name: root
        hostPath:
          path: /
";

fn scan_text(text: &str, level: Level) -> (Vec<ScanItem>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.yaml");
    std::fs::write(&path, text).unwrap();
    let mut items = Vec::new();
    scan(&[Input::Path(path.clone())], &opts(level, 2), &mut |item| {
        items.push(item)
    });
    (items, file_name(&path))
}

fn file_name(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[test]
fn findings_of_an_insecure_deployment() {
    let (items, file) = scan_text(INSECURE, Level::Baseline);
    assert_eq!(items.len(), 1);
    let ScanItem::Object(result) = &items[0] else {
        panic!("{}", describe(&items[0]))
    };
    assert_eq!(result.object.display_name(), "Deployment/insecure");
    assert_eq!(result.object.namespace.as_deref(), Some("prod"));
    let got: Vec<String> = result
        .findings
        .iter()
        .map(|f| {
            assert_eq!(f.location.file.as_ref(), file);
            assert_eq!(f.phase, mamori_model::Phase::RuntimeCompute);
            assert!(!f.remediation.is_empty());
            format!(
                "{} {} {}:{} {} | {}",
                f.rule_id,
                f.severity,
                f.location.pos.line,
                f.location.pos.col,
                f.location.field_path,
                f.message
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "pss.capabilities_baseline high 16:19 spec.template.spec.containers[0].securityContext.capabilities.add[0] | non-default capabilities: container \"app\" must not include \"NET_ADMIN\" in securityContext.capabilities.add",
            "pss.hostNamespaces high 9:20 spec.template.spec.hostNetwork | host namespaces: hostNetwork=true",
            "pss.hostPathVolumes high 20:11 spec.template.spec.volumes[0].hostPath | hostPath volumes: volume \"root\"",
            "pss.privileged critical 14:23 spec.template.spec.containers[0].securityContext.privileged | privileged: container \"app\" must not set securityContext.privileged=true",
        ]
    );
    assert_eq!(result.pss.as_ref().map(|pss| pss.violations.len()), Some(4));
}

#[test]
fn wrong_field_type_is_a_positioned_error() {
    let text = format!(
        "{}---\n{}",
        INSECURE.replace("privileged: true", "privileged: \"yes\""),
        pod("next", false)
    );
    let (items, file) = scan_text(&text, Level::Baseline);
    let described: Vec<String> = items.iter().map(describe).collect();
    assert_eq!(described.len(), 2, "{described:?}");
    assert!(
        described[0].starts_with(&format!(
            "error {file}:14:23: spec.template.spec.containers[0].securityContext.privileged: "
        )),
        "{described:?}"
    );
    assert_eq!(described[1], "next@22");
}

#[test]
fn non_workload_groups_and_kinds_are_not_evaluated() {
    let text = "apiVersion: example.com/v1\nkind: Pod\nmetadata:\n  name: crd\nspec:\n  hostNetwork: true\n---\n\
                apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n";
    let (items, _) = scan_text(text, Level::Restricted);
    for item in &items {
        let ScanItem::Object(result) = item else {
            panic!("{}", describe(item))
        };
        assert!(result.pss.is_none() && result.findings.is_empty());
    }
    assert_eq!(items.len(), 2);
}

#[test]
fn reader_never_runs_more_than_the_window_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..400)
        .map(|i| pod(&format!("p{i}"), false) + "---\n")
        .collect();
    std::fs::write(dir.path().join("many.yaml"), text).unwrap();
    let config = PipelineConfig {
        batch_docs: 1,
        batch_bytes: 1 << 20,
        window: 4,
    };
    let mut count = 0;
    let stats = scan_with(
        &[Input::Path(dir.path().into())],
        &opts(Level::Restricted, 2),
        &config,
        &mut |_| {
            count += 1;
            // A slow consumer: without back-pressure the reader would queue everything.
            if count % 50 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        },
    );
    assert_eq!(count, 400);
    assert_eq!(stats.batches, 400);
    assert!(stats.max_batches_in_flight <= 4, "{stats:?}");
    assert!(stats.max_batches_in_flight >= 2, "{stats:?}");
}
