//! `image.pull-secret-missing` — images from private registries pulled without imagePullSecrets.
//!
//! Checks (only when `private_registries` is non-empty): Pods and pod templates with at least one container
//! (init, regular or ephemeral) whose normalised image lies under a `private_registries` entry (same matching as
//! `allowed_registries`: host[:port] plus optional path prefix). Fires once per such container when the pod
//! spec has no `imagePullSecrets` entry with a non-empty `name`.
//!
//! Known limitation: the ServiceAccount admission plugin copies the pod's ServiceAccount's `imagePullSecrets`
//! into the pod at creation; a per-object rule cannot see them, so a pod relying on its ServiceAccount is
//! reported. Listing the secret on the pod makes the dependency explicit.
//!
//! Why: if the pull works without a pod-level secret, the node itself holds registry credentials (kubelet
//! credential provider, node docker config) and every pod scheduled there, in any namespace, can pull the
//! private images; without `AlwaysPullImages`, a pod can even run a private image another tenant pulled earlier.
//! If the node has no credentials, the pod fails with ImagePullBackOff.
//!
//! References: Kubernetes docs "Images" (specifying imagePullSecrets on a Pod, AlwaysPullImages); CIS
//! Kubernetes Benchmark 1.2.11 (AlwaysPullImages admission plugin); MITRE ATT&CK T1552 (Unsecured Credentials).

use crate::util::image::{container_images, ImageRef};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "image.pull-secret-missing",
        title: "Private registry image without imagePullSecrets",
        severity: Severity::Medium,
        phase: Phase::Distribute,
        rationale: "A private image pulled without a pod-level imagePullSecret only works if the node itself holds \
            registry credentials; then every pod scheduled on that node, in any namespace, can pull the private \
            images, and without AlwaysPullImages can run one another tenant already pulled. Per-pod pull secrets \
            keep registry access scoped to the namespaces that were granted it.",
        remediation: "Create a kubernetes.io/dockerconfigjson Secret for the registry in the namespace and list it \
            under spec.imagePullSecrets (spec.template.spec for workloads), or attach it to the pod's dedicated \
            ServiceAccount and record an exception.",
        references: &[
            Reference {
                kind: RefKind::K8sDocs,
                id: "Specifying imagePullSecrets on a Pod",
                url: "https://kubernetes.io/docs/concepts/containers/images/#specifying-imagepullsecrets-on-a-pod",
            },
            Reference { kind: RefKind::Cis, id: "1.2.11", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::MitreAttack, id: "T1552", url: "https://attack.mitre.org/techniques/T1552/" },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/shop/web:2.4.1\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      imagePullSecrets:\n      - name: registry-example-com\n      containers:\n      - name: web\n        image: registry.example.com/shop/web:2.4.1\n",
        example_settings: Some(example_settings),
    },
    check: Check::Object(check),
};

fn example_settings() -> RuleSettings {
    RuleSettings {
        private_registries: vec!["registry.example.com".to_owned()],
        ..RuleSettings::default()
    }
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let private = &ctx.settings.private_registries;
    if private.is_empty() {
        return;
    }
    let Some(pod) = &ctx.pod else {
        return;
    };
    let has_pull_secret = pod
        .spec
        .get("imagePullSecrets")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .any(|secret| {
            secret
                .get("name")
                .and_then(Node::as_str)
                .is_some_and(|name| !name.is_empty())
        });
    if has_pull_secret {
        return;
    }
    for image in container_images(pod.spec) {
        let Ok(reference) = ImageRef::parse(image.text) else {
            continue;
        };
        let Some(entry) = private.iter().find(|entry| reference.is_under(entry)) else {
            continue;
        };
        out.emit(
            ctx.object,
            image.node.pos,
            image.path(pod.spec_path),
            format!(
                "{} of {} pulls {:?} from private registry {entry} but the pod has no imagePullSecrets",
                image.slot.describe(),
                ctx.object.id.display_name(),
                image.text
            ),
        );
    }
}
