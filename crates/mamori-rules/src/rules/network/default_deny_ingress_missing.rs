//! `network.default-deny-ingress-missing` — a Namespace without a default-deny ingress NetworkPolicy.
//!
//! Checks: every `Namespace` object in the input; fires when no `NetworkPolicy` (`networking.k8s.io`) whose
//! `metadata.namespace` is that namespace is a default-deny for ingress: `podSelector` selecting every pod
//! (`{}`, empty matchLabels/matchExpressions, or absent), `Ingress` among its policy types (after API
//! defaulting: unset `policyTypes` means Ingress), and no `ingress` rules. A policy selecting every pod but
//! allowing some traffic also isolates the pods; it is not accepted as the baseline (the message names it):
//! the baseline should be a separate policy that allows nothing, so that exceptions are reviewed one by one.
//! Only namespaces declared as Namespace objects are judged; NetworkPolicies without `metadata.namespace` are
//! not attributed (their namespace is chosen at apply time). `kube-system`, `kube-public` and
//! `kube-node-lease` are skipped.
//!
//! Why: without any policy selecting a pod, all ingress to it is allowed, from every pod in every namespace.
//!
//! References: CIS Kubernetes Benchmark 5.3.2 ("Ensure that all Namespaces have Network Policies defined");
//! NSA/CISA hardening guide "Network separation and hardening"; Kubernetes "Network Policies" (default deny);
//! MITRE ATT&CK T1210 (Exploitation of Remote Services, lateral movement).

use crate::util::netpol::{
    report_missing_default_deny, Direction, NETWORK_POLICIES_DOC, NSA_NETWORK,
};
use crate::util::rbac::{attack, cis};
use crate::{Check, Emitter, Inventory, Rule, RuleMeta, RuleSettings};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "network.default-deny-ingress-missing",
        title: "Namespace without a default-deny ingress NetworkPolicy",
        severity: Severity::Medium,
        phase: Phase::Network,
        rationale: "Pods not selected by any NetworkPolicy accept connections from every pod of every namespace. \
            A default-deny ingress policy (podSelector: {}, policyTypes: [Ingress], no rules) makes every other \
            allowed flow an explicit, reviewed exception and stops lateral movement from a compromised pod.",
        remediation: "Add to the namespace: a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] and no \
            ingress rules, then one policy per allowed flow.",
        references: &[
            cis("5.3.2"),
            NSA_NETWORK,
            NETWORK_POLICIES_DOC,
            attack("T1210", "https://attack.mitre.org/techniques/T1210/"),
        ],
        fail_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n  policyTypes: [Ingress]\n",
        pass_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-ingress\n  namespace: shop\nspec:\n  podSelector: {}\n",
        example_settings: None,
    },
    check: Check::Inventory { kinds: &["Namespace", "NetworkPolicy"], check },
};

fn check(inventory: &Inventory, _settings: &RuleSettings, out: &mut Emitter<'_>) {
    report_missing_default_deny(inventory, out, Direction::Ingress);
}
