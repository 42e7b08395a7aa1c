//! `controlplane.kubelet-anonymous-auth` — the kubelet API serves anonymous requests.
//!
//! Checks (inventory: Pod, KubeletConfiguration): `authentication.anonymous.enabled` of each
//! KubeletConfiguration, and `--anonymous-auth` on kubelet command lines (Pods running `kubelet`), which
//! overrides the file named by `--config` (matched in the input by kind, or by basename when several exist).
//! Defaults differ: a config file defaults to false, a kubelet without `--config` defaults to true. Fires on
//! true. A `--config` file outside the input is not guessed.
//!
//! Why: the kubelet API (port 10250) runs commands in containers, reads logs and lists pods; anonymous access
//! combined with AlwaysAllow authorization is a full node compromise.
//!
//! References: CIS Kubernetes Benchmark 4.2.1; MITRE ATT&CK T1609 (container administration command).

use crate::util::flags::{audit_kubelet, kubelet_bool, KubeletValue};
use crate::{Check, Emitter, Inventory, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.kubelet-anonymous-auth",
        title: "Kubelet API accepts anonymous requests",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "Anonymous requests to the kubelet API (port 10250) are served as system:anonymous. With \
            AlwaysAllow authorization that means anyone on the network can exec into every container of the \
            node; even with Webhook authorization it widens the attack surface for no benefit.",
        remediation: "Set authentication.anonymous.enabled: false in the KubeletConfiguration (and remove any \
            --anonymous-auth=true from the kubelet command line, which overrides the file).",
        references: &[
            Reference { kind: RefKind::Cis, id: "4.2.1", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::MitreAttack, id: "T1609", url: "https://attack.mitre.org/techniques/T1609/" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Kubelet authentication/authorization",
                url: "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
            },
        ],
        fail_example: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: true\n",
        pass_example: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: false\n",
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
        "anonymous-auth",
        &["authentication", "anonymous", "enabled"],
        |_, value| {
            match (kubelet_bool(value), value) {
            (Some(Ok(true)), _) => Some("anonymous authentication is enabled (authentication.anonymous.enabled / --anonymous-auth is true)".to_owned()),
            (Some(Err(text)), _) => Some(format!("anonymous authentication is set to {text:?}, which is not a boolean")),
            (None, KubeletValue::Default { legacy: true }) => Some("no --config file and no --anonymous-auth flag: the kubelet's flag default enables anonymous authentication".to_owned()),
            _ => None,
        }
        },
        out,
    );
}
