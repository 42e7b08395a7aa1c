//! `namespace.psa-enforce-missing` — a Namespace without a Pod Security Admission enforce label.
//!
//! Checks: `metadata.labels["pod-security.kubernetes.io/enforce"]` of every `Namespace` object in the input
//! (except `kube-system`, `kube-public`, `kube-node-lease`). Fires when the label is absent. Any present value
//! passes here: `privileged` is `namespace.psa-enforce-privileged`'s finding, and an invalid value is not weak
//! (Pod Security Admission then enforces `restricted`, failing closed). Labels `audit`/`warn` alone do not count:
//! they never block a pod.
//!
//! Why: without the label the namespace gets the cluster's default policy, which is `privileged` (nothing
//! enforced) unless the API server's AdmissionConfiguration says otherwise: any pod with host namespaces,
//! privileged containers or hostPath mounts is admitted.
//!
//! References: Pod Security Standards / Pod Security Admission ("Enforcing Pod Security Standards with
//! Namespace Labels"); CIS Kubernetes Benchmark 5.2.1 ("Ensure that the cluster has at least one active policy
//! control mechanism in place"); NSA/CISA Kubernetes Hardening Guide, "Pod security".

use crate::namespace::limitrange_missing::MANAGED_NAMESPACES;
use crate::{Check, Emitter, Inventory, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{Phase, Severity};

/// The Pod Security Admission label that decides what is rejected.
pub(crate) const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "namespace.psa-enforce-missing",
        title: "Namespace without a Pod Security enforce label",
        severity: Severity::Medium,
        phase: Phase::RuntimeCompute,
        rationale: "Pod Security Admission enforces the level named by the namespace's \
            pod-security.kubernetes.io/enforce label. Without it the cluster default applies, which is privileged \
            (nothing enforced) unless the API server was configured otherwise, so pods with privileged containers, \
            host namespaces or hostPath mounts are admitted. audit and warn labels only report.",
        remediation: "Label the namespace `pod-security.kubernetes.io/enforce: restricted` (or `baseline` where \
            restricted is not yet reachable), optionally pinning `pod-security.kubernetes.io/enforce-version`.",
        references: &[
            Reference {
                kind: RefKind::Pss,
                id: "Enforce Pod Security Standards with Namespace Labels",
                url: "https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/",
            },
            Reference { kind: RefKind::Cis, id: "5.2.1", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Pod security",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
        ],
        fail_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/warn: restricted\n",
        pass_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n",
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
        let labels = ns.root.path(&["metadata", "labels"]);
        if labels.and_then(|l| l.get(ENFORCE_LABEL)).is_some() {
            continue;
        }
        let (pos, path) = match labels {
            Some(labels) => (labels.pos, "metadata.labels"),
            None => (
                ns.root.get("metadata").map_or(ns.source.pos, |m| m.pos),
                "metadata",
            ),
        };
        out.emit(
            ns,
            pos,
            path,
            format!(
                "namespace {name} has no {ENFORCE_LABEL} label: the cluster's default Pod Security level \
                 (privileged unless configured) applies"
            ),
        );
    }
}
