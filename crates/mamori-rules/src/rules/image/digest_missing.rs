//! `image.digest-missing` — images not pinned by digest.
//!
//! Checks: the `image` of every container, init container and ephemeral container of a Pod or pod template.
//! Fires when the reference has no `@<algorithm>:<hex>` digest (`@sha256:…`), whatever its tag. References that
//! do not parse are skipped (the kubelet rejects them). Lower severity than `image.latest-tag`: a version tag is
//! usually stable in practice, but the registry does not guarantee it.
//!
//! Why: tags are mutable in most registries. Whoever can push (a compromised CI token, a registry account
//! takeover) can replace `app:2.4.1` with other content, and every node that pulls afterwards runs it; signature
//! and scan results also only mean something for a fixed digest.
//!
//! References: NSA/CISA Kubernetes Hardening Guide (supply chain, immutable images); MITRE ATT&CK T1525
//! (Implant Internal Image); Kubernetes docs "Images" (image pull by digest).

use crate::util::image::{container_images, ImageRef};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "image.digest-missing",
        title: "Image not pinned by digest",
        severity: Severity::Low,
        phase: Phase::Distribute,
        rationale: "Tags are mutable: anyone who can push to the repository (a leaked CI token, a compromised \
            registry account) can point an existing tag at different content, and every node pulling afterwards \
            runs it. A digest names the exact content, so what was scanned and signed is what runs.",
        remediation: "Pin the image by digest, keeping the tag for readability: \
            registry.example.com/shop/web:2.4.1@sha256:<digest> (resolve it with `crane digest` or `docker \
            buildx imagetools inspect`, and let Renovate/Dependabot update it).",
        references: &[
            Reference {
                kind: RefKind::NsaCisa,
                id: "Supply chain risks",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1525", url: "https://attack.mitre.org/techniques/T1525/" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Images",
                url: "https://kubernetes.io/docs/concepts/containers/images/#image-names",
            },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: web\n    image: registry.example.com/shop/web:2.4.1\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: web\n    image: registry.example.com/shop/web:2.4.1@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
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
        out.emit(
            ctx.object,
            image.node.pos,
            image.path(pod.spec_path),
            format!(
                "{} of {} uses image {:?}, which is not pinned by digest (@sha256:…)",
                image.slot.describe(),
                ctx.object.id.display_name(),
                image.text
            ),
        );
    }
}
