//! `image.latest-tag` — images without a tag or tagged `latest`.
//!
//! Checks: the `image` of every container, init container and ephemeral container of a Pod or pod template.
//! Fires when the reference has no digest and either no tag (`nginx`, which the runtime resolves to
//! `nginx:latest`) or the tag `latest`. A digest-pinned reference passes whatever its tag (`app:latest@sha256:…`
//! runs exactly the digest). References that do not parse (see `util::image`) are skipped: the kubelet rejects
//! them with InvalidImageName, so they never run.
//!
//! Why: `latest` is a moving pointer. What runs depends on when each node pulled, rollbacks cannot return to
//! the previous version, and whoever can push the tag changes production without a deployment; an implicit
//! `latest` also makes the default imagePullPolicy `Always`.
//!
//! References: Kubernetes docs "Images" (image names, updating images) and "Configuration Best Practices";
//! NSA/CISA Kubernetes Hardening Guide, "Image scanning" / supply chain; MITRE ATT&CK T1525 (Implant Internal
//! Image).

use crate::util::image::{container_images, ImageRef};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "image.latest-tag",
        title: "Image without a tag or tagged latest",
        severity: Severity::Medium,
        phase: Phase::Distribute,
        rationale: "An image without a tag means :latest, a pointer that moves with every push. Nodes that pulled \
            at different times run different code, a rollback cannot return to the previous version, and anyone \
            who can push the tag changes what production runs without a deployment.",
        remediation: "Reference an immutable version: a specific tag (registry.example.com/shop/web:2.4.1) and \
            preferably its digest (…:2.4.1@sha256:…), updated by your release process.",
        references: &[
            Reference {
                kind: RefKind::K8sDocs,
                id: "Images",
                url: "https://kubernetes.io/docs/concepts/containers/images/",
            },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Supply chain risks / image scanning",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1525", url: "https://attack.mitre.org/techniques/T1525/" },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: migrate\n        image: registry.example.com/shop/migrate\n      containers:\n      - name: web\n        image: nginx:latest\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: migrate\n        image: registry.example.com/shop/migrate@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n      containers:\n      - name: web\n        image: nginx:1.27.2\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = &ctx.pod else {
        return;
    };
    for image in container_images(pod.spec) {
        let Ok(reference) = ImageRef::parse(image.text) else {
            continue;
        };
        if reference.digest.is_some() {
            continue;
        }
        let what = match reference.tag {
            None => "has no tag, so it resolves to :latest",
            Some("latest") => "uses the :latest tag",
            Some(_) => continue,
        };
        out.emit(
            ctx.object,
            image.node.pos,
            image.path(pod.spec_path),
            format!(
                "{} of {} uses image {:?}, which {what}",
                image.slot.describe(),
                ctx.object.id.display_name(),
                image.text
            ),
        );
    }
}
