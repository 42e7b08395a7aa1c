//! `network.loadbalancer-source-ranges` — a LoadBalancer Service open to every address.
//!
//! Checks: core `v1` `Service` objects with `spec.type: LoadBalancer`. Fires when neither
//! `spec.loadBalancerSourceRanges` nor the legacy annotation `service.beta.kubernetes.io/load-balancer-source-ranges`
//! restricts the clients, or when the ranges include `0.0.0.0/0` or `::/0` (which restrict nothing). Cloud
//! "internal load balancer" annotations are not treated as a restriction: an internal address is still reachable
//! by every workload of the network.
//!
//! Why: without source ranges the cloud load balancer (and the firewall rules the cloud provider creates for it)
//! accepts connections from the whole internet.
//!
//! References: Kubernetes "Service" (LoadBalancer, loadBalancerSourceRanges) and "Configure Firewall for Your
//! Cloud Provider"; NSA/CISA hardening guide "Network separation and hardening"; MITRE ATT&CK T1190 (Exploit
//! Public-Facing Application).

use crate::util::netpol::{is_core_service, object_label, service_type, NSA_NETWORK, SERVICE_DOC};
use crate::util::rbac::attack;
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "network.loadbalancer-source-ranges",
        title: "LoadBalancer Service accepts every source address",
        severity: Severity::Medium,
        phase: Phase::Network,
        rationale: "A LoadBalancer Service without loadBalancerSourceRanges gets a load balancer and firewall \
            rules open to any address, usually the whole internet. Internal tools, admin UIs and databases exposed \
            this way are found by scanners within minutes.",
        remediation: "Set spec.loadBalancerSourceRanges to the client CIDRs (office, VPN, partner ranges), or \
            expose the Service through an Ingress/Gateway with authentication.",
        references: &[
            SERVICE_DOC,
            Reference {
                kind: RefKind::K8sDocs,
                id: "Configure Firewall for Your Cloud Provider",
                url: "https://kubernetes.io/docs/tasks/access-application-cluster/configure-cloud-provider-firewall/",
            },
            NSA_NETWORK,
            attack("T1190", "https://attack.mitre.org/techniques/T1190/"),
        ],
        fail_example: "apiVersion: v1\nkind: Service\nmetadata:\n  name: admin\n  namespace: shop\nspec:\n  type: LoadBalancer\n  selector:\n    app: admin\n  ports:\n  - port: 443\n",
        pass_example: "apiVersion: v1\nkind: Service\nmetadata:\n  name: admin\n  namespace: shop\nspec:\n  type: LoadBalancer\n  loadBalancerSourceRanges:\n  - 198.51.100.0/24\n  selector:\n    app: admin\n  ports:\n  - port: 443\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

fn is_open(range: &str) -> bool {
    matches!(range.trim(), "0.0.0.0/0" | "::/0")
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if !is_core_service(ctx.object) {
        return;
    }
    let Some(spec) = ctx.root().get("spec") else {
        return;
    };
    if service_type(spec) != "LoadBalancer" {
        return;
    }
    let label = || object_label(ctx.object);
    if let Some(entry) = spec.entry("loadBalancerSourceRanges") {
        let ranges = entry.value.as_seq().unwrap_or(&[]);
        if !ranges.is_empty() {
            if let Some((i, open)) = ranges
                .iter()
                .enumerate()
                .find(|(_, r)| r.as_str().is_some_and(is_open))
            {
                out.emit(
                    ctx.object,
                    open.pos,
                    format!("spec.loadBalancerSourceRanges[{i}]"),
                    format!(
                        "{} allows {} in loadBalancerSourceRanges: every address can reach the load balancer",
                        label(),
                        open.as_str().unwrap_or_default()
                    ),
                );
            }
            return;
        }
    }
    let annotation = ctx
        .root()
        .path(&["metadata", "annotations", ANNOTATION])
        .and_then(Node::as_str);
    if let Some(value) = annotation.filter(|v| !v.trim().is_empty()) {
        if value.split(',').any(is_open) {
            let pos = ctx
                .root()
                .path(&["metadata", "annotations", ANNOTATION])
                .map_or(ctx.object.source.pos, |n| n.pos);
            out.emit(
                ctx.object,
                pos,
                format!("metadata.annotations.{ANNOTATION}"),
                format!(
                    "{} allows every address in annotation {ANNOTATION}: {value}",
                    label()
                ),
            );
        }
        return;
    }
    let pos = spec
        .entry("type")
        .map_or(ctx.object.source.pos, |e| e.value.pos);
    out.emit(
        ctx.object,
        pos,
        "spec.type",
        format!(
            "{} is type LoadBalancer without loadBalancerSourceRanges: the load balancer accepts connections from \
             every address",
            label()
        ),
    );
}
