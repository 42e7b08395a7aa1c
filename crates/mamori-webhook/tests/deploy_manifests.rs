//! `mamori admission manifests`: the generated YAML is clean under the same engine as `mamori scan --pss
//! restricted` with the full rule catalogue, reads back (both YAML paths) as exactly the objects generated, and
//! the webhook configuration cannot deadlock the cluster.

use std::sync::Arc;

use mamori_config::Policy;
use mamori_load::Input;
use mamori_model::{Node, Value as NodeValue};
use mamori_pss::{Level, LevelVersion, Version};
use mamori_scan::{RuleOptions, ScanItem, ScanOptions};
use mamori_webhook::certs::{self, CertOptions};
use mamori_webhook::manifests::{self, FailurePolicy, ManifestOptions, TlsSecret};
use mamori_yaml::Limits;
use serde_json::{json, Value};

const PINNED_IMAGE: &str =
    "ghcr.io/mamori-dev/mamori@sha256:0d1f4c2e9a7b3c5d6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f";

/// Options with everything switched on: CA bundle, embedded config, embedded TLS secret, pinned image.
fn full_options() -> ManifestOptions {
    let generated = certs::generate(&CertOptions::default()).expect("certs");
    ManifestOptions {
        image: PINNED_IMAGE.to_owned(),
        ca_bundle_pem: Some(generated.ca_cert_pem.clone()),
        config_yaml: Some(
            "# mamori.yaml\nadmission:\n  defaultMode: warn\n\n\ttabbed: \"x\"\nkey: 'yes'\n"
                .to_owned(),
        ),
        tls_secret: Some(TlsSecret {
            cert_pem: generated.tls_cert_pem,
            key_pem: generated.tls_key_pem,
        }),
        ..ManifestOptions::new("0.1.0")
    }
}

/// What `mamori scan --pss restricted` (catalogue on, no mamori.yaml) reports for `yaml`: findings (rule id and
/// object), PSS violations, and load errors.
fn scan(yaml: &str) -> (Vec<String>, usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mamori.yaml");
    std::fs::write(&path, yaml).expect("write");
    let mut options = ScanOptions::new(
        LevelVersion {
            level: Level::Restricted,
            version: Version::LATEST,
        },
        Limits::default(),
        1,
    );
    options.rules = RuleOptions {
        catalogue: true,
        policy: Arc::new(Policy::default()),
    };
    let mut problems = Vec::new();
    let mut objects = 0;
    mamori_scan::scan(&[Input::Path(path)], &options, &mut |item| match item {
        ScanItem::Object(result) => {
            objects += 1;
            if let Some(pss) = &result.pss {
                for violation in &pss.violations {
                    problems.push(format!(
                        "pss {}: {}",
                        violation.check_id, result.object.name
                    ));
                }
            }
            for finding in &result.findings {
                problems.push(format!(
                    "{} {}: {}",
                    finding.rule_id, result.object.name, finding.message
                ));
            }
        }
        ScanItem::Findings(findings) => {
            for finding in findings {
                problems.push(format!(
                    "{} {}: {}",
                    finding.rule_id, finding.object.name, finding.message
                ));
            }
        }
        ScanItem::Error(error) => problems.push(format!("error {error}")),
        ScanItem::Note(_) | ScanItem::Suppressed(_) => {}
    });
    (problems, objects)
}

#[test]
fn generated_manifests_pass_scan_at_restricted_with_zero_findings() {
    for options in [
        full_options(),
        ManifestOptions {
            image: PINNED_IMAGE.to_owned(),
            ..ManifestOptions::new("0.1.0")
        },
        ManifestOptions {
            namespace: "security".to_owned(),
            failure_policy: FailurePolicy::Ignore,
            timeout_seconds: 3,
            ..full_options()
        },
    ] {
        let yaml = manifests::render(&options).expect("render");
        let (problems, objects) = scan(&yaml);
        assert_eq!(
            objects,
            manifests::objects(&options).expect("objects").len(),
            "every generated object was scanned"
        );
        assert!(problems.is_empty(), "findings:\n{}", problems.join("\n"));
    }
}

#[test]
fn the_only_finding_of_the_default_image_is_its_missing_digest() {
    // The scan must be able to fail: the default image is a tag, which the catalogue reports.
    let yaml = manifests::render(&ManifestOptions::new("0.1.0")).expect("render");
    let (problems, _) = scan(&yaml);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("image.digest-missing mamori-webhook"),
        "{problems:?}"
    );
}

fn strip(node: &Node) -> Value {
    match &node.value {
        NodeValue::Null => Value::Null,
        NodeValue::Bool(b) => json!(b),
        NodeValue::Int(i) => json!(i),
        NodeValue::Float(f) => json!(f),
        NodeValue::Str(s) => json!(s),
        NodeValue::Seq(items) => Value::Array(items.iter().map(strip).collect()),
        NodeValue::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|entry| (entry.key.clone(), strip(&entry.value)))
                .collect(),
        ),
    }
}

/// Splits the rendered stream at its `---` lines and parses each document with both YAML paths.
fn read_back(yaml: &str) -> Vec<Value> {
    let mut documents = Vec::new();
    for (index, text) in yaml.split("\n---\n").enumerate().skip(1) {
        let limits = Limits::default();
        let reference = mamori_yaml::parse_document_reference(text, 1, &limits)
            .unwrap_or_else(|e| panic!("document {index}: {} at {:?}\n{text}", e.message, e.pos))
            .expect("not empty");
        if let Some(fast) = mamori_yaml::parse_document_fast(text, 1, &limits) {
            assert_eq!(
                fast.as_ref(),
                Some(&reference),
                "fast path differs on document {index}"
            );
        }
        documents.push(strip(&reference));
    }
    documents
}

#[test]
fn yaml_reads_back_as_the_generated_objects() {
    let options = full_options();
    let yaml = manifests::render(&options).expect("render");
    let expected = manifests::objects(&options).expect("objects");
    assert_eq!(read_back(&yaml), expected);
}

#[test]
fn emitter_round_trips_hostile_strings() {
    let hostile = [
        "",
        " ",
        "yes",
        "No",
        "off",
        "~",
        "null",
        "NULL",
        "0",
        "-1",
        "1.5",
        "1e3",
        "0x1F",
        "0o17",
        ".inf",
        "-.nan",
        "1:30",
        "2001-12-14",
        "- a",
        "a: b",
        "a #b",
        "#c",
        "key:",
        "? x",
        "!tag",
        "&anchor",
        "*alias",
        "%YAML",
        "@x",
        "`x",
        "{a: 1}",
        "[1]",
        "'single'",
        "\"double\"",
        "back\\slash",
        "a\tb",
        "\ttab first",
        "trailing ",
        "line\nbreak",
        "line\nbreak\n",
        "two\n\n",
        "\nleading newline",
        "  indented\nnext",
        "a\r\nb",
        "nul\0x",
        "bell\u{7}",
        "del\u{7f}",
        "nel\u{85}",
        "ls\u{2028}x",
        "bom\u{feff}",
        "émoji 🦀",
        "---",
        "...",
        "<<",
        "=",
        "a\n  b\n    c\n",
        "x\n \n",
        "end with space\n ",
        "|",
        ">",
        "a,b",
        "a]b",
    ];
    let mut object = serde_json::Map::new();
    for (index, text) in hostile.iter().enumerate() {
        object.insert(format!("k{index}"), json!(text));
        // Keys go through the same quoting.
        object.insert((*text).to_owned(), json!([text, { *text: text }]));
    }
    let value = Value::Object(object);
    let yaml = format!("# hostile strings\n---\n{}", manifests::to_yaml(&value));
    assert_eq!(read_back(&yaml), vec![value], "{yaml}");
}

#[test]
fn webhook_configuration_excludes_kube_system_and_its_own_namespace() {
    let options = ManifestOptions {
        namespace: "security".to_owned(),
        failure_policy: FailurePolicy::Ignore,
        timeout_seconds: 5,
        ..full_options()
    };
    let objects = manifests::objects(&options).expect("objects");
    let vwc = objects
        .iter()
        .find(|o| o["kind"] == "ValidatingWebhookConfiguration")
        .expect("webhook configuration");
    assert_eq!(objects.last(), Some(vwc), "applied last");
    let webhooks = vwc["webhooks"].as_array().expect("webhooks");
    assert_eq!(webhooks.len(), 1);
    let hook = &webhooks[0];
    assert_eq!(
        hook["namespaceSelector"],
        json!({ "matchExpressions": [{
            "key": "kubernetes.io/metadata.name",
            "operator": "NotIn",
            "values": ["kube-system", "security"],
        }]})
    );
    assert_eq!(hook["failurePolicy"], "Ignore");
    assert_eq!(hook["timeoutSeconds"], 5);
    assert_eq!(hook["sideEffects"], "None");
    assert_eq!(hook["admissionReviewVersions"], json!(["v1"]));
    assert_eq!(hook["clientConfig"]["service"]["namespace"], "security");
    assert_eq!(hook["clientConfig"]["service"]["path"], "/validate");
    let bundle = hook["clientConfig"]["caBundle"].as_str().expect("caBundle");
    assert_eq!(
        decode_base64(bundle),
        options.ca_bundle_pem.clone().expect("bundle").into_bytes()
    );
    let resources: Vec<&str> = hook["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .flat_map(|rule| rule["resources"].as_array().expect("resources"))
        .filter_map(Value::as_str)
        .collect();
    for wanted in [
        "pods",
        "pods/ephemeralcontainers",
        "namespaces",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "replicationcontrollers",
        "podtemplates",
    ] {
        assert!(
            resources.contains(&wanted),
            "{wanted} missing from {resources:?}"
        );
    }

    // The namespace the webhook runs in enforces restricted itself.
    let namespace = &objects[0];
    assert_eq!(namespace["kind"], "Namespace");
    assert_eq!(namespace["metadata"]["name"], "security");
    assert_eq!(
        namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
}

#[test]
fn rbac_is_read_only_on_namespaces_and_pods() {
    let objects = manifests::objects(&full_options()).expect("objects");
    let roles: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == "ClusterRole" || o["kind"] == "Role")
        .collect();
    assert_eq!(roles.len(), 1);
    assert_eq!(
        roles[0]["rules"],
        json!([{ "apiGroups": [""], "resources": ["namespaces", "pods"], "verbs": ["get", "list", "watch"] }])
    );
}

#[test]
fn deployment_is_hardened_and_highly_available() {
    let options = full_options();
    let objects = manifests::objects(&options).expect("objects");
    let deployment = objects
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("deployment");
    let spec = &deployment["spec"];
    assert_eq!(spec["replicas"], 2);
    let pod = &spec["template"]["spec"];
    assert!(pod["affinity"]["podAntiAffinity"].is_object());
    let container = &pod["containers"][0];
    assert_eq!(container["image"], PINNED_IMAGE);
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["readinessProbe"]["httpGet"]["scheme"], "HTTPS");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    let args: Vec<&str> = container["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(&args[..2], ["admission", "serve"]);
    assert!(
        args.contains(&"--config=/etc/mamori/config/mamori.yaml"),
        "{args:?}"
    );
    let volumes = pod["volumes"].as_array().expect("volumes");
    assert!(volumes
        .iter()
        .any(|v| v["secret"]["secretName"] == manifests::TLS_SECRET_NAME));
    assert!(objects.iter().any(|o| o["kind"] == "PodDisruptionBudget"));
    let secret = objects
        .iter()
        .find(|o| o["kind"] == "Secret")
        .expect("TLS secret was asked for");
    assert_eq!(secret["type"], "kubernetes.io/tls");

    // Without a TLS secret, config or CA bundle none of them appear.
    let bare = manifests::objects(&ManifestOptions::new("0.1.0")).expect("objects");
    assert!(!bare
        .iter()
        .any(|o| o["kind"] == "Secret" || o["kind"] == "ConfigMap"));
    let vwc = bare.last().expect("objects");
    assert!(vwc["webhooks"][0]["clientConfig"].get("caBundle").is_none());
}

/// Standard base64 decoding for the assertions (test-only, so the production code's encoder is checked by an
/// independent implementation).
fn decode_base64(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = alphabet
            .iter()
            .position(|a| *a == byte)
            .expect("base64 alphabet") as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

#[test]
fn committed_reference_manifests_match_the_generator() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/mamori-webhook.yaml"
    );
    let text = std::fs::read_to_string(path).expect("deploy/mamori-webhook.yaml is committed");
    let committed = read_back(&text);
    let bundle = committed
        .last()
        .and_then(|vwc| vwc["webhooks"][0]["clientConfig"]["caBundle"].as_str())
        .expect("caBundle in the committed webhook configuration");
    let options = ManifestOptions {
        ca_bundle_pem: Some(String::from_utf8(decode_base64(bundle)).expect("PEM text")),
        ..ManifestOptions::new(env!("CARGO_PKG_VERSION"))
    };
    assert_eq!(
        committed,
        manifests::objects(&options).expect("objects"),
        "deploy/mamori-webhook.yaml is stale: regenerate it (see deploy/README.md)"
    );
    assert_eq!(text, manifests::render(&options).expect("render"));
}
