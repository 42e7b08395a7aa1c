//! `network.netpol-allow-all` — a NetworkPolicy rule that allows all traffic.
//!
//! Checks: `NetworkPolicy` objects of `networking.k8s.io`; for each direction the policy has (after API
//! defaulting of `policyTypes`), fires on each `ingress[]` / `egress[]` rule whose peers (`from` / `to`) are
//! absent or empty AND whose `ports` are absent or empty: every source (or destination) on every port, i.e. the
//! rule `{}`. Rules of a direction the policy does not have are ignored by the implementation and not reported.
//! Not reported (a deliberate choice, they state an intent): empty peers restricted to some ports (e.g. a
//! public web port), `namespaceSelector: {}` (all pods, no external IPs) and `ipBlock` peers.
//!
//! Why: an allow-all rule cancels the isolation every other policy selecting those pods provides: NetworkPolicy
//! allows are additive, so one `{}` rule opens the pods to everything.
//!
//! References: Kubernetes "Network Policies" (allow all ingress/egress); NSA/CISA hardening guide "Network
//! separation and hardening"; CIS Kubernetes Benchmark 5.3.2.

use crate::util::netpol::{
    has_policy_type, is_network_policy, object_label, rule_allows_all, rules, selector_is_empty,
    Direction, NETWORK_POLICIES_DOC, NSA_NETWORK,
};
use crate::util::rbac::cis;
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "network.netpol-allow-all",
        title: "NetworkPolicy rule allows all traffic",
        severity: Severity::High,
        phase: Phase::Network,
        rationale: "In a NetworkPolicy rule, empty from/to means every peer (all pods of all namespaces and every \
            IP address) and empty ports means every port and protocol. Allows are additive, so one such rule \
            removes the isolation of the selected pods whatever the other policies say.",
        remediation: "List the peers (podSelector / namespaceSelector / ipBlock) and ports the pods actually \
            need; delete the rule if the intent was a default deny (a policy with no rules).",
        references: &[NETWORK_POLICIES_DOC, NSA_NETWORK, cis("5.3.2")],
        fail_example: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n  policyTypes: [Ingress]\n  ingress:\n  - {}\n",
        pass_example: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: gateway\n    ports:\n    - port: 8080\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if !is_network_policy(ctx.object) {
        return;
    }
    let Some(spec) = ctx.root().get("spec") else {
        return;
    };
    for direction in [Direction::Ingress, Direction::Egress] {
        if !has_policy_type(spec, direction) {
            continue;
        }
        for (i, rule) in rules(spec, direction).iter().enumerate() {
            if !rule_allows_all(rule, direction) {
                continue;
            }
            let pods = if selector_is_empty(spec.get("podSelector")) {
                "every pod of the namespace"
            } else {
                "the selected pods"
            };
            let peers = match direction {
                Direction::Ingress => "from every source (all pods, all namespaces, all IPs)",
                Direction::Egress => "to every destination (all pods, all namespaces, all IPs)",
            };
            out.emit(
                ctx.object,
                rule.pos,
                format!("spec.{}[{i}]", direction.rules_field()),
                format!(
                    "{} spec.{}[{i}] has no {} peers and no ports: it allows {} traffic of {pods} {peers} on every \
                     port",
                    object_label(ctx.object),
                    direction.rules_field(),
                    direction.peers_field(),
                    direction.word(),
                ),
            );
        }
    }
}
