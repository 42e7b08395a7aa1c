//! `network.loadbalancer-node-ports` — a LoadBalancer Service that also allocates node ports.
//!
//! Checks: core `v1` `Service` objects with `spec.type: LoadBalancer`; fires unless
//! `spec.allocateLoadBalancerNodePorts` is `false` (the API default is `true`: a LoadBalancer Service is a
//! NodePort Service plus a load balancer). Low severity: load balancers that send traffic through the nodes need
//! these ports; those that target pod IPs directly (most cloud "NLB IP target"/"container-native" modes, MetalLB
//! in L2/BGP with kube-proxy) do not.
//!
//! Why: the node ports are open on every node, and `loadBalancerSourceRanges` only filter traffic addressed to
//! the load balancer, not traffic sent straight to a node port: anyone who can reach a node's address skips the
//! source restriction.
//!
//! References: Kubernetes "Service" (LoadBalancer, load balancer NodePort allocation); NSA/CISA hardening guide
//! "Network separation and hardening".

use crate::util::netpol::{is_core_service, object_label, service_type, NSA_NETWORK, SERVICE_DOC};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "network.loadbalancer-node-ports",
        title: "LoadBalancer Service also opens node ports on every node",
        severity: Severity::Low,
        phase: Phase::Network,
        rationale: "Unless allocateLoadBalancerNodePorts is false, a LoadBalancer Service also gets a node port on \
            every node. loadBalancerSourceRanges restrict the load balancer address, not the node ports, so any \
            client that can reach a node reaches the pods without that restriction.",
        remediation: "If the load balancer targets pod IPs directly, set spec.allocateLoadBalancerNodePorts: false; \
            otherwise firewall the node-port range to the load balancer's addresses.",
        references: &[SERVICE_DOC, NSA_NETWORK],
        fail_example: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  type: LoadBalancer\n  loadBalancerSourceRanges: [198.51.100.0/24]\n  selector:\n    app: web\n  ports:\n  - port: 443\n",
        pass_example: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  type: LoadBalancer\n  allocateLoadBalancerNodePorts: false\n  loadBalancerSourceRanges: [198.51.100.0/24]\n  selector:\n    app: web\n  ports:\n  - port: 443\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

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
    let allocate = spec.entry("allocateLoadBalancerNodePorts");
    if allocate.and_then(|e| e.value.as_bool()) == Some(false) {
        return;
    }
    let (pos, path, how) = match allocate {
        Some(e) => (
            e.value.pos,
            "spec.allocateLoadBalancerNodePorts",
            "allocateLoadBalancerNodePorts is not false",
        ),
        None => (
            spec.entry("type")
                .map_or(ctx.object.source.pos, |e| e.value.pos),
            "spec.type",
            "allocateLoadBalancerNodePorts defaults to true",
        ),
    };
    let ports: Vec<String> = spec
        .get("ports")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|p| p.get("nodePort").and_then(Node::as_i64))
        .map(|n| n.to_string())
        .collect();
    let which = if ports.is_empty() {
        "node ports allocated by the cluster".to_owned()
    } else {
        format!("node ports {}", ports.join(", "))
    };
    out.emit(
        ctx.object,
        pos,
        path,
        format!(
            "{} is type LoadBalancer and {how}: {which} are open on every node, outside loadBalancerSourceRanges",
            object_label(ctx.object)
        ),
    );
}
