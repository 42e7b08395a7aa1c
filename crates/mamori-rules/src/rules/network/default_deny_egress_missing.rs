//! `network.default-deny-egress-missing` — a Namespace without a default-deny egress NetworkPolicy.
//!
//! Checks: every `Namespace` object in the input; fires when no `NetworkPolicy` (`networking.k8s.io`) in that
//! namespace is a default-deny for egress: `podSelector` selecting every pod, `Egress` among its policy types,
//! and no `egress` rules. Policy-type defaulting matters here: a policy without `policyTypes` only gets
//! `Egress` when it has at least one egress rule, so `podSelector: {}` alone is ingress-only and a policy
//! with `egress: []` but no `policyTypes` does not deny egress; write `policyTypes: [Egress]`. Select-all
//! policies that allow some egress are named in the message but not accepted as the baseline. Same scope as
//! `network.default-deny-ingress-missing`: declared Namespace objects, managed `kube-*` namespaces skipped.
//!
//! Why: unrestricted egress lets a compromised pod reach the cloud metadata endpoint, the API server, other
//! namespaces' databases and the internet (exfiltration, command and control).
//!
//! References: CIS Kubernetes Benchmark 5.3.2; NSA/CISA hardening guide "Network separation and hardening";
//! Kubernetes "Network Policies" (default deny all egress); MITRE ATT&CK T1041 (Exfiltration Over C2 Channel).

use crate::util::netpol::{
    report_missing_default_deny, Direction, NETWORK_POLICIES_DOC, NSA_NETWORK,
};
use crate::util::rbac::{attack, cis};
use crate::{Check, Emitter, Inventory, Rule, RuleMeta, RuleSettings};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "network.default-deny-egress-missing",
        title: "Namespace without a default-deny egress NetworkPolicy",
        severity: Severity::Medium,
        phase: Phase::Network,
        rationale: "Pods not selected by an egress NetworkPolicy can open connections anywhere: other namespaces, \
            the API server, the cloud metadata endpoint, the internet. A default-deny egress policy turns every \
            outbound flow (DNS included) into an explicit exception, which limits exfiltration and lateral \
            movement.",
        remediation: "Add a NetworkPolicy with podSelector: {}, policyTypes: [Egress] and no egress rules, then \
            allow DNS (kube-dns on port 53) and each needed destination explicitly.",
        references: &[
            cis("5.3.2"),
            NSA_NETWORK,
            NETWORK_POLICIES_DOC,
            attack("T1041", "https://attack.mitre.org/techniques/T1041/"),
        ],
        fail_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: shop\nspec:\n  podSelector: {}\n  egress: []\n",
        pass_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
        example_settings: None,
    },
    check: Check::Inventory { kinds: &["Namespace", "NetworkPolicy"], check },
};

fn check(inventory: &Inventory, _settings: &RuleSettings, out: &mut Emitter<'_>) {
    report_missing_default_deny(inventory, out, Direction::Egress);
}
