//! `controlplane.kubelet-authorization-mode` — the kubelet authorizes every authenticated request.
//!
//! Checks (inventory: Pod, KubeletConfiguration): `authorization.mode` / `--authorization-mode` (the flag
//! overrides the `--config` file). Defaults: `Webhook` in a config file, `AlwaysAllow` for a kubelet without
//! `--config`. Fires on anything but `Webhook`.
//!
//! Why: with AlwaysAllow any authenticated client (and anonymous ones, if enabled) can exec into containers,
//! read logs and port-forward on the node; Webhook asks the API server (SubjectAccessReview on nodes/proxy etc.).
//!
//! References: CIS Kubernetes Benchmark 4.2.2; MITRE ATT&CK T1609.

use crate::util::flags::{audit_kubelet, KubeletValue};
use crate::{Check, Emitter, Inventory, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.kubelet-authorization-mode",
        title: "Kubelet authorization is not Webhook",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "authorization.mode AlwaysAllow lets every client that authenticates to the kubelet API run \
            commands in any container of the node, read logs and port-forward. Webhook delegates each decision \
            to the API server's RBAC (nodes/proxy, nodes/log, ...).",
        remediation: "Set authorization.mode: Webhook in the KubeletConfiguration (and remove \
            --authorization-mode=AlwaysAllow from the kubelet command line).",
        references: &[
            Reference { kind: RefKind::Cis, id: "4.2.2", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::MitreAttack, id: "T1609", url: "https://attack.mitre.org/techniques/T1609/" },
        ],
        fail_example: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthorization:\n  mode: AlwaysAllow\n",
        pass_example: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthorization:\n  mode: Webhook\n",
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
        "authorization-mode",
        &["authorization", "mode"],
        |_, value| {
            match value {
            KubeletValue::Written(mode) if mode == "Webhook" => None,
            KubeletValue::Written(mode) => Some(format!("authorization mode is {mode:?}, not \"Webhook\"")),
            KubeletValue::Default { legacy: true } => Some("no --config file and no --authorization-mode flag: the kubelet's flag default is AlwaysAllow".to_owned()),
            KubeletValue::Default { legacy: false } | KubeletValue::Unknown => None,
        }
        },
        out,
    );
}
