//! `mamori admission certs` and `mamori admission manifests` end to end through the binary: certificates into a
//! directory, manifests from that directory, and `mamori scan --pss-level restricted` over the result.

use std::path::Path;
use std::process::{Command, Output};

fn mamori(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(args)
        .current_dir(cwd)
        // No ./mamori.yaml discovery surprises: the temp dir is empty apart from what the test writes.
        .env_remove("MAMORI_TODAY")
        .output()
        .expect("run mamori")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const PINNED: &str =
    "--image=ghcr.io/mamori-dev/mamori@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn certs_then_manifests_then_scan_is_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();

    let certs = mamori(
        &["admission", "certs", "--out-dir", "certs", "--days", "30"],
        cwd,
    );
    assert_eq!(certs.status.code(), Some(0), "{}", text(&certs.stderr));
    let stdout = text(&certs.stdout);
    assert!(
        stdout.contains("mamori-webhook.mamori-system.svc.cluster.local"),
        "{stdout}"
    );
    assert!(
        stdout.contains("kubectl -n mamori-system create secret tls mamori-webhook-tls"),
        "{stdout}"
    );
    for name in ["ca.crt", "ca.key", "tls.crt", "tls.key"] {
        assert!(cwd.join("certs").join(name).is_file(), "{name}");
    }

    // A second run refuses to overwrite, and says how to.
    let again = mamori(&["admission", "certs", "--out-dir", "certs"], cwd);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("--force"),
        "{}",
        text(&again.stderr)
    );

    let manifests = mamori(
        &[
            "admission",
            "manifests",
            "--cert-dir",
            "certs",
            PINNED,
            "--failure-policy",
            "Ignore",
        ],
        cwd,
    );
    assert_eq!(
        manifests.status.code(),
        Some(0),
        "{}",
        text(&manifests.stderr)
    );
    assert!(
        text(&manifests.stderr).is_empty(),
        "{}",
        text(&manifests.stderr)
    );
    let yaml = text(&manifests.stdout);
    assert!(yaml.contains("failurePolicy: Ignore"), "{yaml}");
    assert!(!yaml.contains("PRIVATE KEY"), "no key without --tls-secret");
    std::fs::write(cwd.join("mamori-webhook.yaml"), &yaml).expect("write");

    let scan = mamori(
        &[
            "scan",
            "--pss-level",
            "restricted",
            "--format",
            "json",
            "mamori-webhook.yaml",
        ],
        cwd,
    );
    assert_eq!(
        scan.status.code(),
        Some(0),
        "{}{}",
        text(&scan.stdout),
        text(&scan.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&scan.stdout).expect("JSON report");
    assert_eq!(report["summary"]["findings"], 0, "{report}");
    assert_eq!(report["summary"]["errors"], 0, "{report}");
    assert_eq!(report["summary"]["objectsScanned"], 12, "{report}");
}

#[test]
fn manifests_refuse_inconsistent_inputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let certs = mamori(
        &[
            "admission",
            "certs",
            "--out-dir",
            "certs",
            "--namespace",
            "security",
        ],
        cwd,
    );
    assert_eq!(certs.status.code(), Some(0), "{}", text(&certs.stderr));

    // Certificates for namespace "security", manifests for the default namespace: caught before any cluster.
    let mismatch = mamori(&["admission", "manifests", "--cert-dir", "certs"], cwd);
    assert_eq!(mismatch.status.code(), Some(2));
    assert!(
        text(&mismatch.stderr).contains("not valid for mamori-webhook.mamori-system"),
        "{}",
        text(&mismatch.stderr)
    );
    let matching = mamori(
        &[
            "admission",
            "manifests",
            "--cert-dir",
            "certs",
            "--namespace",
            "security",
        ],
        cwd,
    );
    assert_eq!(
        matching.status.code(),
        Some(0),
        "{}",
        text(&matching.stderr)
    );
    // The default image is a tag: a note on stderr, the manifests still on stdout.
    assert!(text(&matching.stderr).contains("not pinned by digest"));

    let no_ca = mamori(&["admission", "manifests"], cwd);
    assert_eq!(no_ca.status.code(), Some(2));
    let secret_without_dir = mamori(
        &[
            "admission",
            "manifests",
            "--ca-bundle",
            "certs/ca.crt",
            "--tls-secret",
        ],
        cwd,
    );
    assert_eq!(
        secret_without_dir.status.code(),
        Some(2),
        "{}",
        text(&secret_without_dir.stdout)
    );
    let key_as_bundle = mamori(
        &["admission", "manifests", "--ca-bundle", "certs/ca.key"],
        cwd,
    );
    assert_eq!(key_as_bundle.status.code(), Some(2));
    std::fs::write(
        cwd.join("bad.yaml"),
        "admission: {defaultMode: sometimes}\n",
    )
    .expect("write");
    let bad_config = mamori(
        &[
            "admission",
            "manifests",
            "--ca-bundle",
            "certs/ca.crt",
            "--config",
            "bad.yaml",
        ],
        cwd,
    );
    assert_eq!(bad_config.status.code(), Some(2));
    assert!(
        text(&bad_config.stderr).contains("bad.yaml:1:"),
        "{}",
        text(&bad_config.stderr)
    );

    let with_secret = mamori(
        &[
            "admission",
            "manifests",
            "--cert-dir",
            "certs",
            "--namespace",
            "security",
            "--tls-secret",
            PINNED,
        ],
        cwd,
    );
    assert_eq!(
        with_secret.status.code(),
        Some(0),
        "{}",
        text(&with_secret.stderr)
    );
    assert!(text(&with_secret.stdout).contains("type: kubernetes.io/tls"));
}
