//! `controlplane.kubelet-read-only-port` — the kubelet serves its unauthenticated read-only port.
//!
//! Checks (inventory: Pod, KubeletConfiguration): `readOnlyPort` / `--read-only-port` (the flag overrides the
//! `--config` file). Defaults: 0 in a config file, 10255 for a kubelet without `--config`. Fires on any value
//! other than 0.
//!
//! Why: the read-only port answers without authentication or authorization: pod specs (with env values),
//! node and container metrics to anyone on the network.
//!
//! References: CIS Kubernetes Benchmark 4.2.4; MITRE ATT&CK T1613 (container and resource discovery).

use crate::util::flags::{audit_kubelet, KubeletValue};
use crate::{Check, Emitter, Inventory, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.kubelet-read-only-port",
        title: "Kubelet read-only port is open",
        severity: Severity::Medium,
        phase: Phase::RuntimeAccess,
        rationale: "The kubelet read-only port (10255 by default without a config file) serves /pods, /spec and \
            /stats with no authentication and no authorization: every pod spec on the node, environment values \
            included, is readable by anyone who can reach the node.",
        remediation: "Set readOnlyPort: 0 in the KubeletConfiguration (or --read-only-port=0).",
        references: &[
            Reference { kind: RefKind::Cis, id: "4.2.4", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::MitreAttack, id: "T1613", url: "https://attack.mitre.org/techniques/T1613/" },
        ],
        fail_example: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 10255\n",
        pass_example: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 0\n",
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
        "read-only-port",
        &["readOnlyPort"],
        |_, value| {
            match value {
            KubeletValue::Written(port) if port == "0" => None,
            KubeletValue::Written(port) => Some(format!("read-only port is {port}: pod specs and stats are served without authentication")),
            KubeletValue::Default { legacy: true } => Some("no --config file and no --read-only-port flag: the kubelet's flag default opens port 10255 without authentication".to_owned()),
            KubeletValue::Default { legacy: false } | KubeletValue::Unknown => None,
        }
        },
        out,
    );
}
