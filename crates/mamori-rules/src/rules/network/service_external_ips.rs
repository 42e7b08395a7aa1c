//! `network.service-external-ips` — a Service with `spec.externalIPs`.
//!
//! Checks: core `v1` `Service` objects; fires when `spec.externalIPs` is a non-empty list, pointing at it and
//! listing the addresses. Any Service type counts (kube-proxy programs externalIPs for all of them).
//!
//! Why: CVE-2020-8554: kube-proxy sends traffic for a Service's externalIPs to its endpoints on every node,
//! without any check that the creator owns those addresses. Whoever can create or update Services can
//! intercept cluster traffic to any IP (a man-in-the-middle). The upstream mitigation is to deny externalIPs at
//! admission (the `DenyServiceExternalIPs` admission plugin) and to use LoadBalancer or Ingress instead.
//!
//! References: CVE-2020-8554; Kubernetes "Service" (external IPs); NSA/CISA hardening guide "Network
//! separation and hardening"; MITRE ATT&CK T1557 (Adversary-in-the-Middle).

use crate::util::netpol::{is_core_service, object_label, NSA_NETWORK, SERVICE_DOC};
use crate::util::rbac::attack;
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "network.service-external-ips",
        title: "Service uses externalIPs (CVE-2020-8554)",
        severity: Severity::High,
        phase: Phase::Network,
        rationale: "kube-proxy routes traffic addressed to a Service's externalIPs to the Service's pods on every \
            node, and nothing checks that the address belongs to the Service's owner (CVE-2020-8554). Services \
            with externalIPs are how that man-in-the-middle works, and clusters hardened against it reject them.",
        remediation: "Remove spec.externalIPs and expose the Service with type LoadBalancer or an Ingress; enable \
            the DenyServiceExternalIPs admission plugin (or an admission policy) to block externalIPs.",
        references: &[
            Reference {
                kind: RefKind::Cve,
                id: "CVE-2020-8554",
                url: "https://github.com/kubernetes/kubernetes/issues/97076",
            },
            SERVICE_DOC,
            NSA_NETWORK,
            attack("T1557", "https://attack.mitre.org/techniques/T1557/"),
        ],
        fail_example: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n  externalIPs:\n  - 203.0.113.10\n",
        pass_example: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if !is_core_service(ctx.object) {
        return;
    }
    let Some(entry) = ctx.root().get("spec").and_then(|s| s.entry("externalIPs")) else {
        return;
    };
    let Some(ips) = entry.value.as_seq().filter(|ips| !ips.is_empty()) else {
        return;
    };
    let list: Vec<&str> = ips.iter().filter_map(Node::as_str).collect();
    out.emit(
        ctx.object,
        entry.key_pos,
        "spec.externalIPs",
        format!(
            "{} sets externalIPs [{}]: kube-proxy will capture traffic to these addresses on every node \
             (CVE-2020-8554)",
            object_label(ctx.object),
            list.join(", ")
        ),
    );
}
