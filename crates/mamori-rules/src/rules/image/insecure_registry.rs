//! `image.insecure-registry` — images pulled from registries reached over plain HTTP or unverifiable TLS.
//!
//! Checks: the `image` of every container, init container and ephemeral container of a Pod or pod template.
//! Fires, in this order (one finding per image), when:
//! 1. the text starts with `http://` (case-insensitive): not a valid reference (the kubelet rejects it), but an
//!    unambiguous sign the author means a plain-HTTP registry;
//! 2. the registry port is `80`, the plain HTTP port;
//! 3. the registry is the node itself, `localhost`, `127.0.0.0/8` or `[::1]`: containerd and Docker talk plain
//!    HTTP to loopback registries without any configuration, and whatever listens on the node's port serves the
//!    image (any pod with hostNetwork can bind it);
//! 4. the registry is an IP literal (IPv4 or bracketed IPv6): public CAs do not certify private IPs, so such
//!    registries are in practice declared as insecure registries on the nodes (plain HTTP or TLS without
//!    verification).
//!
//! Port 443 or any other port on a host name passes (TLS with verification is the runtime default). Other
//! unparsable references are skipped.
//!
//! Why: a pull without verified TLS can be intercepted on the path between node and registry: the attacker
//! serves its own image under the expected name (digest pinning limits, but does not remove, the damage: an
//! unpinned tag is fully exposed).
//!
//! References: NSA/CISA Kubernetes Hardening Guide (supply chain, encrypted traffic); MITRE ATT&CK T1557
//! (Adversary-in-the-Middle) and T1525 (Implant Internal Image); Kubernetes docs "Images".

use crate::util::image::{container_images, ImageRef};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "image.insecure-registry",
        title: "Image pulled from a plain-HTTP or unverifiable registry",
        severity: Severity::High,
        phase: Phase::Distribute,
        rationale: "Runtimes pull over TLS with certificate verification unless a registry is declared insecure. \
            Registries addressed with http://, on port 80, on the node's loopback or by IP address are in practice \
            reached over plain HTTP or unverified TLS, so anyone on the network path (or any pod that can bind the \
            node's port) can serve a different image under the expected name.",
        remediation: "Serve the registry over HTTPS under a DNS name with a certificate the nodes trust, reference \
            it by that name without a scheme (registry.example.com/shop/web:2.4.1), and pin images by digest.",
        references: &[
            Reference {
                kind: RefKind::NsaCisa,
                id: "Supply chain risks",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1557", url: "https://attack.mitre.org/techniques/T1557/" },
            Reference { kind: RefKind::MitreAttack, id: "T1525", url: "https://attack.mitre.org/techniques/T1525/" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Images",
                url: "https://kubernetes.io/docs/concepts/containers/images/",
            },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: 10.0.0.12:5000/shop/web:2.4.1\n      - name: proxy\n        image: registry.example.com:80/shop/proxy:1.0\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com:5000/shop/web:2.4.1\n      - name: proxy\n        image: registry.example.com/shop/proxy:1.0\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

/// Why `image` is fetched insecurely, or None.
pub(crate) fn insecure_reason(image: &str) -> Option<String> {
    let scheme = image.get(..7).filter(|s| s.eq_ignore_ascii_case("http://"));
    if scheme.is_some() {
        return Some("names a plain-HTTP URL (http://)".to_owned());
    }
    let reference = ImageRef::parse(image).ok()?;
    let registry = reference.domain?;
    if reference.port() == Some("80") {
        Some(format!(
            "comes from registry {registry} on port 80, the plain-HTTP port"
        ))
    } else if reference.host_is_loopback() {
        Some(format!(
            "comes from registry {registry}, the node's own loopback, which runtimes reach over plain HTTP by default"
        ))
    } else if reference.host_is_ip_literal() {
        Some(format!(
            "comes from registry {registry}, addressed by IP, which nodes can only reach as an insecure registry \
             (plain HTTP or unverified TLS)"
        ))
    } else {
        None
    }
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = &ctx.pod else {
        return;
    };
    for image in container_images(pod.spec) {
        let Some(reason) = insecure_reason(image.text) else {
            continue;
        };
        out.emit(
            ctx.object,
            image.node.pos,
            image.path(pod.spec_path),
            format!(
                "{} of {} uses image {:?}, which {reason}",
                image.slot.describe(),
                ctx.object.id.display_name(),
                image.text
            ),
        );
    }
}
