//! `network.ingress-tls-missing` — an Ingress that serves hosts without TLS.
//!
//! Checks: `Ingress` objects of `networking.k8s.io` (and the removed `extensions/v1beta1`). Fires when
//! `spec.tls` is absent or empty (once, naming the hosts served), or, when `spec.tls` lists hosts, for each
//! `spec.rules[]` whose `host` no `tls[].hosts` entry covers. Coverage follows Ingress host semantics: exact,
//! case-insensitive, and a `*.example.com` TLS host covers one extra leftmost label (`shop.example.com`, not
//! `example.com` nor `a.shop.example.com`). A rule without `host` serves every host name, so it is only covered
//! by a `tls[]` entry without `hosts` (which the API documents as "the wildcard host setting of the controller",
//! covering every host).
//!
//! Why: hosts outside `spec.tls` are served over plain HTTP: credentials, session cookies and data cross the
//! network in clear text and can be altered in transit.
//!
//! References: Kubernetes "Ingress" (TLS); NSA/CISA hardening guide "Network separation and hardening"
//! (encrypt traffic); MITRE ATT&CK T1557 (Adversary-in-the-Middle).

use crate::util::netpol::{is_ingress, object_label, tls_host_covers, NSA_NETWORK};
use crate::util::rbac::attack;
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "network.ingress-tls-missing",
        title: "Ingress serves a host without TLS",
        severity: Severity::Medium,
        phase: Phase::Network,
        rationale: "Hosts of an Ingress that no spec.tls entry covers are served over plain HTTP: passwords, \
            session cookies, tokens and personal data travel unencrypted and can be read or modified by anyone on \
            the path.",
        remediation: "Add a spec.tls entry listing every host of the rules (with a certificate Secret, e.g. issued \
            by cert-manager), and make the controller redirect HTTP to HTTPS.",
        references: &[
            Reference {
                kind: RefKind::K8sDocs,
                id: "Ingress TLS",
                url: "https://kubernetes.io/docs/concepts/services-networking/ingress/#tls",
            },
            NSA_NETWORK,
            attack("T1557", "https://attack.mitre.org/techniques/T1557/"),
        ],
        fail_example: "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: shop\n  namespace: shop\nspec:\n  tls:\n  - hosts: [shop.example.com]\n    secretName: shop-tls\n  rules:\n  - host: shop.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n  - host: admin.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: admin\n            port:\n              number: 80\n",
        pass_example: "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: shop\n  namespace: shop\nspec:\n  tls:\n  - hosts: [shop.example.com, \"*.example.com\"]\n    secretName: shop-tls\n  rules:\n  - host: shop.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n  - host: admin.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: admin\n            port:\n              number: 80\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

/// The rule's host, None when absent or empty (the rule serves every host).
fn host_of(rule: &Node) -> Option<&str> {
    rule.get("host")
        .and_then(Node::as_str)
        .filter(|h| !h.is_empty())
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if !is_ingress(ctx.object) {
        return;
    }
    let Some(spec) = ctx.root().get("spec") else {
        return;
    };
    let rules = spec.get("rules").and_then(Node::as_seq).unwrap_or(&[]);
    let tls = spec.get("tls").and_then(Node::as_seq).unwrap_or(&[]);
    let tls_hosts = || {
        tls.iter()
            .flat_map(|t| t.get("hosts").and_then(Node::as_seq).unwrap_or(&[]))
            .filter_map(Node::as_str)
    };
    if tls.is_empty() {
        let hosts: Vec<&str> = rules
            .iter()
            .map(|r| host_of(r).unwrap_or("every host"))
            .collect();
        let served = if hosts.is_empty() {
            "every host (default backend)".to_owned()
        } else {
            hosts.join(", ")
        };
        let pos = spec
            .entry("tls")
            .map_or(ctx.object.source.pos, |e| e.key_pos);
        out.emit(
            ctx.object,
            if pos.is_known() { pos } else { spec.pos },
            "spec.tls",
            format!(
                "{} has no spec.tls: {served} served over plain HTTP",
                object_label(ctx.object)
            ),
        );
        return;
    }
    // A tls entry without hosts covers every host.
    if tls.iter().any(|t| {
        t.get("hosts")
            .and_then(Node::as_seq)
            .is_none_or(<[_]>::is_empty)
    }) {
        return;
    }
    for (i, rule) in rules.iter().enumerate() {
        let covered_by = |host: &str| tls_hosts().any(|t| tls_host_covers(t, host));
        match host_of(rule) {
            Some(host) if covered_by(host) => {}
            Some(host) => {
                let pos = rule.get("host").map_or(rule.pos, |n| n.pos);
                out.emit(
                    ctx.object,
                    pos,
                    format!("spec.rules[{i}].host"),
                    format!(
                        "{} serves host {host} over plain HTTP: no spec.tls hosts entry covers it (tls hosts: {})",
                        object_label(ctx.object),
                        tls_hosts().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
            None => out.emit(
                ctx.object,
                rule.pos,
                format!("spec.rules[{i}]"),
                format!(
                    "{} spec.rules[{i}] has no host, so it serves every host name, but spec.tls only covers {}: other \
                     names are served over plain HTTP",
                    object_label(ctx.object),
                    tls_hosts().collect::<Vec<_>>().join(", ")
                ),
            ),
        }
    }
}
