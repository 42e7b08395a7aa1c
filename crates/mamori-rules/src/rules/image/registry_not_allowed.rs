//! `image.registry-not-allowed` — images from registries outside the configured allowlist.
//!
//! Checks (only when `allowed_registries` is non-empty): the `image` of every container, init container and
//! ephemeral container of a Pod or pod template. The reference is normalised as the runtime does (`nginx` =
//! `docker.io/library/nginx`, `index.docker.io` = `docker.io`) and passes when it lies under one allowlist
//! entry: a registry host (with its port when the entry has one; hosts compare case-insensitively) and an
//! optional repository path prefix matched at `/` boundaries (`ghcr.io/org` covers `ghcr.io/org/app`, not
//! `ghcr.io/organisation/app`; `docker.io/library` covers the official Docker Hub images). References that do
//! not parse are skipped (the kubelet rejects them).
//!
//! Why: the registry decides what code runs. An allowlist of registries you control (or mirror and scan) keeps
//! typo-squatted, abandoned or attacker-published public images out of the cluster.
//!
//! References: CIS Kubernetes Benchmark 5.5.1 ("Configure Image Provenance"); NSA/CISA Kubernetes Hardening
//! Guide (trusted registries); MITRE ATT&CK T1610 (Deploy Container) and T1195.002 (supply chain compromise).

use crate::util::image::{container_images, ImageRef};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "image.registry-not-allowed",
        title: "Image from a registry outside the allowlist",
        severity: Severity::High,
        phase: Phase::Distribute,
        rationale: "The registry decides what code runs in the cluster. Images from registries outside the \
            organisation's allowlist bypass its mirroring, scanning and signing, and open the door to \
            typo-squatted, abandoned or attacker-published images.",
        remediation: "Pull the image through an allowed registry (mirror it into registry.example.com after \
            scanning), or, if the source is trusted, add the registry or repository prefix to allowed_registries \
            in mamori.yaml.",
        references: &[
            Reference { kind: RefKind::Cis, id: "5.5.1", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Supply chain risks",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1610", url: "https://attack.mitre.org/techniques/T1610/" },
            Reference {
                kind: RefKind::MitreAttack,
                id: "T1195.002",
                url: "https://attack.mitre.org/techniques/T1195/002/",
            },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27.2\n      - name: exporter\n        image: ghcr.io/other-org/exporter:0.9\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/mirror/nginx:1.27.2\n      - name: exporter\n        image: ghcr.io/example-org/exporter:0.9\n",
        example_settings: Some(example_settings),
    },
    check: Check::Object(check),
};

fn example_settings() -> RuleSettings {
    RuleSettings {
        allowed_registries: vec![
            "registry.example.com".to_owned(),
            "ghcr.io/example-org".to_owned(),
        ],
        ..RuleSettings::default()
    }
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let allowed = &ctx.settings.allowed_registries;
    if allowed.is_empty() {
        return;
    }
    let Some(pod) = &ctx.pod else {
        return;
    };
    for image in container_images(pod.spec) {
        let Ok(reference) = ImageRef::parse(image.text) else {
            continue;
        };
        if allowed.iter().any(|entry| reference.is_under(entry)) {
            continue;
        }
        out.emit(
            ctx.object,
            image.node.pos,
            image.path(pod.spec_path),
            format!(
                "{} of {} uses image {:?} ({}), which is not under allowed_registries ({})",
                image.slot.describe(),
                ctx.object.id.display_name(),
                image.text,
                reference.normalized_name(),
                allowed.join(", ")
            ),
        );
    }
}
