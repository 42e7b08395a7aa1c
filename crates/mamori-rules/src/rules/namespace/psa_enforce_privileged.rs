//! `namespace.psa-enforce-privileged` — a Namespace whose Pod Security enforce level is `privileged`.
//!
//! Checks: `metadata.labels["pod-security.kubernetes.io/enforce"]` of every `Namespace` object in the input
//! (except `kube-system`, `kube-public`, `kube-node-lease`). Fires when it is exactly `privileged` (Pod Security
//! Admission compares level names exactly; any other value is `baseline`, `restricted` or invalid, and invalid
//! enforces `restricted`).
//!
//! Why: `privileged` explicitly turns enforcement off: privileged containers, host namespaces, hostPath mounts
//! and added capabilities are all admitted. It belongs only to namespaces of trusted infrastructure agents
//! (CNI, storage drivers, node monitoring), each of which should be a deliberate, documented exception.
//!
//! References: Pod Security Standards ("Privileged" profile); CIS Kubernetes Benchmark 5.2.1; NSA/CISA
//! Kubernetes Hardening Guide, "Pod security"; MITRE ATT&CK T1610 (Deploy Container).

use crate::namespace::limitrange_missing::MANAGED_NAMESPACES;
use crate::namespace::psa_enforce_missing::ENFORCE_LABEL;
use crate::{Check, Emitter, Inventory, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "namespace.psa-enforce-privileged",
        title: "Namespace enforces the privileged Pod Security level",
        severity: Severity::High,
        phase: Phase::RuntimeCompute,
        rationale: "pod-security.kubernetes.io/enforce: privileged switches Pod Security Admission off for the \
            namespace: privileged containers, host namespaces, hostPath mounts and added capabilities are all \
            admitted, and anyone who may create pods there can take over the node. It is meant only for trusted \
            infrastructure agents.",
        remediation: "Set pod-security.kubernetes.io/enforce to restricted (or baseline). If the namespace really \
            hosts node-level agents, keep privileged there only, document why, and record a mamori exception.",
        references: &[
            Reference {
                kind: RefKind::Pss,
                id: "Privileged profile",
                url: "https://kubernetes.io/docs/concepts/security/pod-security-standards/#privileged",
            },
            Reference { kind: RefKind::Cis, id: "5.2.1", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Pod security",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1610", url: "https://attack.mitre.org/techniques/T1610/" },
        ],
        fail_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: privileged\n",
        pass_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n",
        example_settings: None,
    },
    check: Check::Inventory { kinds: &["Namespace"], check },
};

fn check(inventory: &Inventory, _settings: &RuleSettings, out: &mut Emitter<'_>) {
    for ns in inventory.of_kind("Namespace") {
        let name = ns.id.name.as_str();
        if MANAGED_NAMESPACES.contains(&name) {
            continue;
        }
        let Some(value) = ns.root.path(&["metadata", "labels", ENFORCE_LABEL]) else {
            continue;
        };
        if value.as_str() == Some("privileged") {
            out.emit(
                ns,
                value.pos,
                format!("metadata.labels[\"{ENFORCE_LABEL}\"]"),
                format!("namespace {name} sets {ENFORCE_LABEL}=privileged: Pod Security enforces nothing there"),
            );
        }
    }
}
