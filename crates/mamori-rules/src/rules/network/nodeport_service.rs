//! `network.nodeport-service` — a Service of type NodePort.
//!
//! Checks: core `v1` `Service` objects with `spec.type: NodePort`; fires once, at `spec.type`, listing the
//! node ports (`ports[].nodePort`, or "allocated by the cluster" when unset). LoadBalancer Services also
//! allocate node ports unless `allocateLoadBalancerNodePorts: false`: that case is the separate, lower-severity
//! `network.loadbalancer-node-ports`, because the load balancer usually needs them.
//!
//! Why: a node port is opened by kube-proxy on every node's addresses (all interfaces unless
//! `--nodeport-addresses` restricts them), bypassing the ingress layer, its TLS and authentication; whoever can
//! reach any node reaches the pods. Node firewalls are rarely written per port.
//!
//! References: Kubernetes "Service" (type NodePort); NSA/CISA hardening guide "Network separation and
//! hardening"; MITRE ATT&CK T1190 (Exploit Public-Facing Application).

use crate::util::netpol::{is_core_service, object_label, service_type, NSA_NETWORK, SERVICE_DOC};
use crate::util::rbac::attack;
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "network.nodeport-service",
        title: "Service exposed on every node (type NodePort)",
        severity: Severity::Medium,
        phase: Phase::Network,
        rationale: "A NodePort Service opens its port on every node of the cluster, on all node addresses by \
            default. Anything that can reach a node reaches the pods directly, around the Ingress or Gateway \
            that would terminate TLS, authenticate and log.",
        remediation: "Use type ClusterIP behind an Ingress/Gateway, or a LoadBalancer with \
            loadBalancerSourceRanges; if a node port is unavoidable, restrict kube-proxy --nodeport-addresses \
            and firewall the port.",
        references: &[SERVICE_DOC, NSA_NETWORK, attack("T1190", "https://attack.mitre.org/techniques/T1190/")],
        fail_example: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  type: NodePort\n  selector:\n    app: web\n  ports:\n  - port: 80\n    nodePort: 30080\n",
        pass_example: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  type: ClusterIP\n  selector:\n    app: web\n  ports:\n  - port: 80\n",
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
    if service_type(spec) != "NodePort" {
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
            "{} is type NodePort: {} open on every node",
            object_label(ctx.object),
            node_ports(spec)
        ),
    );
}

/// `node ports 30080, allocated by the cluster (port 443)` for messages.
fn node_ports(spec: &Node) -> String {
    let parts: Vec<String> = spec
        .get("ports")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .map(|p| {
            let port = p
                .get("port")
                .and_then(Node::as_i64)
                .map_or_else(String::new, |n| format!(" (port {n})"));
            match p.get("nodePort").and_then(Node::as_i64) {
                Some(n) => format!("{n}{port}"),
                None => format!("allocated by the cluster{port}"),
            }
        })
        .collect();
    if parts.is_empty() {
        "its node ports are".to_owned()
    } else {
        format!("node ports {} are", parts.join(", "))
    }
}
