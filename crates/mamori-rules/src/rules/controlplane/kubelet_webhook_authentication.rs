//! `controlplane.kubelet-webhook-authentication` — the kubelet does not validate bearer tokens with the API server.
//!
//! Checks (inventory: Pod, KubeletConfiguration): `authentication.webhook.enabled` / `--authentication-token-webhook`
//! (the flag overrides the `--config` file). Defaults: true in a config file, false for a kubelet without
//! `--config`. Fires on false.
//!
//! Why: without token review the kubelet accepts only client certificates, so service-account tokens and
//! user tokens cannot be used and operators fall back to shared admin certificates or anonymous access.
//!
//! References: CIS Kubernetes Benchmark 4.2.2 (kubelet authn/authz); Kubernetes docs "Kubelet
//! authentication/authorization".

use crate::util::flags::{audit_kubelet, kubelet_bool, KubeletValue};
use crate::{Check, Emitter, Inventory, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.kubelet-webhook-authentication",
        title: "Kubelet does not authenticate bearer tokens through the API server",
        severity: Severity::Medium,
        phase: Phase::RuntimeAccess,
        rationale: "With webhook authentication the kubelet checks bearer tokens with a TokenReview, so access to \
            the kubelet API follows the cluster's identities and can be revoked. Without it only client \
            certificates work, which pushes operators to long-lived shared certificates or anonymous access.",
        remediation: "Set authentication.webhook.enabled: true in the KubeletConfiguration (or \
            --authentication-token-webhook=true) together with authorization.mode: Webhook.",
        references: &[
            Reference { kind: RefKind::Cis, id: "4.2.2", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Kubelet authentication/authorization",
                url: "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
            },
        ],
        fail_example: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  webhook:\n    enabled: false\n",
        pass_example: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  webhook:\n    enabled: true\n",
        example_settings: None,
    },
    check: Check::InventoryFiltered {
        kinds: &["Pod", "KubeletConfiguration"],
        keep: crate::util::flags::keep_component_pods,
        check,
    },
};

fn check(inventory: &Inventory, _settings: &RuleSettings, out: &mut Emitter<'_>) {
    audit_kubelet(
        inventory,
        "authentication-token-webhook",
        &["authentication", "webhook", "enabled"],
        |_, value| {
            match (kubelet_bool(value), value) {
            (Some(Ok(false)), _) => Some("webhook token authentication is disabled (authentication.webhook.enabled / --authentication-token-webhook is false)".to_owned()),
            (Some(Err(text)), _) => Some(format!("webhook token authentication is set to {text:?}, which is not a boolean")),
            (None, KubeletValue::Default { legacy: true }) => Some("no --config file and no --authentication-token-webhook flag: the kubelet's flag default disables webhook token authentication".to_owned()),
            _ => None,
        }
        },
        out,
    );
}
