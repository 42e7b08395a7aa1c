//! Focused tests of the image rules: reference normalisation, tag versus port, digests, allowlists, insecure
//! registries, exact messages.

mod common;

use common::{defaults, messages, paths, run_rule as run};
use mamori_rules::RuleSettings;

const DIGEST: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A CronJob (the deepest pod template) with one container per image.
fn cronjob(images: &[&str]) -> String {
    let containers: String = images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            format!("              - name: c{i}\n                image: \"{image}\"\n")
        })
        .collect();
    format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: job\n  namespace: ops\nspec:\n  schedule: \"@daily\"\n  \
         jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n{containers}"
    )
}

#[test]
fn latest_tag_tag_versus_port_and_digest() {
    let pinned_latest = format!("app:latest@{DIGEST}");
    let text = cronjob(&[
        "localhost:5000/app",
        "app:latest",
        "app:1.0",
        &pinned_latest,
        "Bad/Name:x",
        "app:LATEST",
    ]);
    let findings = run("image.latest-tag", &defaults(), &text);
    assert_eq!(
        messages(&findings),
        [
            "container \"c0\" of CronJob/job uses image \"localhost:5000/app\", which has no tag, so it resolves to :latest",
            "container \"c1\" of CronJob/job uses image \"app:latest\", which uses the :latest tag",
        ]
    );
    assert_eq!(
        findings[0].location.field_path,
        "spec.jobTemplate.spec.template.spec.containers[0].image"
    );
    assert_eq!(
        (findings[0].location.pos.line, findings[0].location.pos.col),
        (14, 24)
    );
}

#[test]
fn digest_missing_fires_for_every_unpinned_image() {
    let pinned = format!("registry.example.com/app:1.0@{DIGEST}");
    let findings = run(
        "image.digest-missing",
        &defaults(),
        &cronjob(&["app:1.0", &pinned, "not a reference"]),
    );
    assert_eq!(
        messages(&findings),
        ["container \"c0\" of CronJob/job uses image \"app:1.0\", which is not pinned by digest (@sha256:…)"]
    );
}

#[test]
fn allowlist_matches_normalised_registry_and_path_prefix() {
    let settings = RuleSettings {
        allowed_registries: vec![
            "docker.io/library".to_owned(),
            "ghcr.io/acme".to_owned(),
            "registry.example.com:5000".to_owned(),
        ],
        ..RuleSettings::default()
    };
    let text = cronjob(&[
        "nginx:1.27",
        "index.docker.io/library/redis:7",
        "bitnami/redis:7",
        "ghcr.io/acme/app:1",
        "ghcr.io/acme-evil/app:1",
        "registry.example.com:5000/app:1",
        "registry.example.com/app:1",
    ]);
    let findings = run("image.registry-not-allowed", &settings, &text);
    assert_eq!(
        messages(&findings),
        [
            "container \"c2\" of CronJob/job uses image \"bitnami/redis:7\" (docker.io/bitnami/redis), which is not under allowed_registries (docker.io/library, ghcr.io/acme, registry.example.com:5000)",
            "container \"c4\" of CronJob/job uses image \"ghcr.io/acme-evil/app:1\" (ghcr.io/acme-evil/app), which is not under allowed_registries (docker.io/library, ghcr.io/acme, registry.example.com:5000)",
            "container \"c6\" of CronJob/job uses image \"registry.example.com/app:1\" (registry.example.com/app), which is not under allowed_registries (docker.io/library, ghcr.io/acme, registry.example.com:5000)",
        ]
    );
    // An empty allowlist allows everything.
    assert!(run("image.registry-not-allowed", &defaults(), &text).is_empty());
}

#[test]
fn pull_secrets_only_for_private_registries() {
    let settings = RuleSettings {
        private_registries: vec!["registry.example.com/private".to_owned()],
        ..RuleSettings::default()
    };
    let text = cronjob(&[
        "registry.example.com/private/app:1",
        "registry.example.com/public/app:1",
        "nginx:1",
    ]);
    let findings = run("image.pull-secret-missing", &settings, &text);
    assert_eq!(
        messages(&findings),
        ["container \"c0\" of CronJob/job pulls \"registry.example.com/private/app:1\" from private registry registry.example.com/private but the pod has no imagePullSecrets"]
    );
    let with_secret = text.replace(
        "          containers:\n",
        "          imagePullSecrets:\n          - name: pull\n          containers:\n",
    );
    assert!(run("image.pull-secret-missing", &settings, &with_secret).is_empty());
    let empty_name = text.replace(
        "          containers:\n",
        "          imagePullSecrets:\n          - name: \"\"\n          containers:\n",
    );
    assert_eq!(
        run("image.pull-secret-missing", &settings, &empty_name).len(),
        1
    );
}

#[test]
fn insecure_registry_cases() {
    let text = cronjob(&[
        "http://registry.example.com/app:1",
        "registry.example.com:80/app:1",
        "localhost:5000/app:1",
        "127.0.0.1/app:1",
        "[::1]:5000/app:1",
        "10.0.0.7:5000/app:1",
        "[fd00::7]/app:1",
        "registry.example.com:443/app:1",
        "registry.example.com:5000/app:1",
        "localhost/app:1",
        "https://registry.example.com/app:1",
        "nginx:80",
    ]);
    let findings = run("image.insecure-registry", &defaults(), &text);
    let reasons: Vec<&str> = findings
        .iter()
        .map(|f| {
            f.message
                .split_once(", which ")
                .map_or("", |(_, reason)| reason)
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "names a plain-HTTP URL (http://)",
            "comes from registry registry.example.com:80 on port 80, the plain-HTTP port",
            "comes from registry localhost:5000, the node's own loopback, which runtimes reach over plain HTTP by default",
            "comes from registry 127.0.0.1, the node's own loopback, which runtimes reach over plain HTTP by default",
            "comes from registry [::1]:5000, the node's own loopback, which runtimes reach over plain HTTP by default",
            "comes from registry 10.0.0.7:5000, addressed by IP, which nodes can only reach as an insecure registry (plain HTTP or unverified TLS)",
            "comes from registry [fd00::7], addressed by IP, which nodes can only reach as an insecure registry (plain HTTP or unverified TLS)",
            "comes from registry localhost, the node's own loopback, which runtimes reach over plain HTTP by default",
        ]
    );
    assert_eq!(
        findings[7].location.field_path,
        "spec.jobTemplate.spec.template.spec.containers[9].image"
    );
}

#[test]
fn image_rules_cover_init_and_ephemeral_containers() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  initContainers:\n  - name: init\n    image: busybox\n  \
        containers:\n  - name: app\n    image: app:1.0\n  ephemeralContainers:\n  - name: debug\n    image: busybox:latest\n";
    let findings = run("image.latest-tag", &defaults(), text);
    assert_eq!(
        paths(&findings),
        [
            "spec.initContainers[0].image",
            "spec.ephemeralContainers[0].image"
        ]
    );
    assert!(messages(&findings)[1].starts_with("ephemeral container \"debug\" of Pod/p"));
}
