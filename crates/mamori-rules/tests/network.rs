//! Focused tests of the network rules: policyTypes defaulting, empty selectors/peers/ports, Service exposure
//! and Ingress TLS host coverage.

mod common;

use common::{messages, run_prefix as run};

const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";

fn policy(spec: &str) -> String {
    format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: shop\nspec:\n{spec}")
}

fn with_ns(spec: &str) -> String {
    format!("{NS}---\n{}", policy(spec))
}

#[test]
fn unset_policy_types_default_to_ingress_and_egress_only_with_egress_rules() {
    // podSelector {} alone: ingress default-deny, not egress.
    let text = with_ns("  podSelector: {}\n");
    assert!(run("network.default-deny-ingress-missing", &text).is_empty());
    assert_eq!(run("network.default-deny-egress-missing", &text).len(), 1);
    // egress: [] without policyTypes does not add Egress.
    let empty_egress = with_ns("  podSelector: {}\n  egress: []\n");
    assert_eq!(
        run("network.default-deny-egress-missing", &empty_egress).len(),
        1
    );
    // Explicit policyTypes: [Egress] denies egress but not ingress.
    let egress_only = with_ns("  podSelector:\n    matchLabels: {}\n  policyTypes: [Egress]\n");
    assert!(run("network.default-deny-egress-missing", &egress_only).is_empty());
    assert_eq!(
        run("network.default-deny-ingress-missing", &egress_only).len(),
        1
    );
}

#[test]
fn a_select_all_policy_with_rules_is_named_but_not_accepted() {
    let text = with_ns("  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {}\n");
    let found = run("network.default-deny-ingress-missing", &text);
    assert_eq!(
        messages(&found),
        ["namespace shop has no default-deny ingress NetworkPolicy (podSelector: {}, policyTypes including Ingress, no \
          ingress rules): NetworkPolicy p selects all pods for ingress but also allows traffic; add a separate policy \
          that allows nothing"]
    );
    assert_eq!(found[0].location.pos.line, 4);
}

#[test]
fn policies_of_other_namespaces_or_selecting_some_pods_do_not_count() {
    let other_ns = format!("{NS}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: billing\nspec:\n  podSelector: {{}}\n");
    assert_eq!(
        run("network.default-deny-ingress-missing", &other_ns).len(),
        1
    );
    let some_pods =
        with_ns("  podSelector:\n    matchExpressions:\n    - key: app\n      operator: Exists\n");
    let found = run("network.default-deny-ingress-missing", &some_pods);
    assert!(
        found[0]
            .message
            .ends_with("pods not selected by a policy accept all ingress traffic"),
        "{}",
        found[0].message
    );
}

#[test]
fn allow_all_rules_need_empty_peers_and_empty_ports() {
    let empty_lists = policy(
        "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: []\n    ports: []\n",
    );
    let found = run("network.netpol-allow-all", &empty_lists);
    assert_eq!(
        messages(&found),
        ["NetworkPolicy shop/p spec.egress[0] has no to peers and no ports: it allows egress traffic of every pod of the \
          namespace to every destination (all pods, all namespaces, all IPs) on every port"]
    );
    assert_eq!(found[0].location.field_path, "spec.egress[0]");
    let some_port = policy("  podSelector: {}\n  ingress:\n  - ports:\n    - port: 443\n");
    assert!(run("network.netpol-allow-all", &some_port).is_empty());
}

#[test]
fn rules_of_a_direction_the_policy_lacks_are_ignored() {
    let text = policy("  podSelector: {}\n  policyTypes: [Egress]\n  ingress:\n  - {}\n");
    assert!(run("network.netpol-allow-all", &text).is_empty());
}

fn service(spec: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n{spec}"
    )
}

#[test]
fn load_balancer_source_ranges_must_restrict() {
    let open =
        service("  type: LoadBalancer\n  loadBalancerSourceRanges: [10.0.0.0/8, \"::/0\"]\n");
    let found = run("network.loadbalancer-source-ranges", &open);
    assert_eq!(messages(&found), ["Service shop/web allows ::/0 in loadBalancerSourceRanges: every address can reach the load balancer"]);
    assert_eq!(
        found[0].location.field_path,
        "spec.loadBalancerSourceRanges[1]"
    );
    let annotated = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    service.beta.kubernetes.io/load-balancer-source-ranges: 10.0.0.0/8\nspec:\n  type: LoadBalancer\n";
    assert!(run("network.loadbalancer-source-ranges", annotated).is_empty());
    assert!(run(
        "network.loadbalancer-source-ranges",
        &service("  type: ClusterIP\n")
    )
    .is_empty());
}

#[test]
fn node_ports_of_load_balancers_depend_on_allocation() {
    let default = service("  type: LoadBalancer\n  ports:\n  - port: 443\n    nodePort: 31443\n");
    let found = run("network.loadbalancer-node-ports", &default);
    assert_eq!(
        messages(&found),
        ["Service shop/web is type LoadBalancer and allocateLoadBalancerNodePorts defaults to true: node ports 31443 are \
          open on every node, outside loadBalancerSourceRanges"]
    );
    let off = service("  type: LoadBalancer\n  allocateLoadBalancerNodePorts: false\n");
    assert!(run("network.loadbalancer-node-ports", &off).is_empty());
    assert!(
        run("network.nodeport-service", &default).is_empty(),
        "LoadBalancer is not reported as NodePort"
    );
    let node_port = run(
        "network.nodeport-service",
        &service("  type: NodePort\n  ports:\n  - port: 80\n"),
    );
    assert_eq!(messages(&node_port), ["Service shop/web is type NodePort: node ports allocated by the cluster (port 80) are open on every node"]);
}

#[test]
fn external_ips_message_lists_addresses() {
    let found = run(
        "network.service-external-ips",
        &service("  externalIPs: [203.0.113.10, 203.0.113.11]\n"),
    );
    assert_eq!(
        messages(&found),
        ["Service shop/web sets externalIPs [203.0.113.10, 203.0.113.11]: kube-proxy will capture traffic to these \
          addresses on every node (CVE-2020-8554)"]
    );
    assert!(run(
        "network.service-external-ips",
        &service("  externalIPs: []\n")
    )
    .is_empty());
}

fn ingress(spec: &str) -> String {
    format!("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  namespace: shop\nspec:\n{spec}")
}

#[test]
fn ingress_tls_host_coverage() {
    let wildcard = ingress("  tls:\n  - hosts: [\"*.example.com\"]\n  rules:\n  - host: shop.example.com\n  - host: example.com\n  - host: a.b.example.com\n");
    let found = run("network.ingress-tls-missing", &wildcard);
    let paths: Vec<&str> = found
        .iter()
        .map(|f| f.location.field_path.as_str())
        .collect();
    assert_eq!(paths, ["spec.rules[1].host", "spec.rules[2].host"]);
    assert_eq!(found[0].message, "Ingress shop/i serves host example.com over plain HTTP: no spec.tls hosts entry covers it (tls hosts: *.example.com)");
    let no_host = ingress("  tls:\n  - hosts: [shop.example.com]\n  rules:\n  - http: {}\n");
    let found = run("network.ingress-tls-missing", &no_host);
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .message
            .contains("has no host, so it serves every host name"),
        "{}",
        found[0].message
    );
    let tls_without_hosts =
        ingress("  tls:\n  - secretName: default\n  rules:\n  - host: shop.example.com\n");
    assert!(run("network.ingress-tls-missing", &tls_without_hosts).is_empty());
    let none = run(
        "network.ingress-tls-missing",
        &ingress("  rules:\n  - host: shop.example.com\n  - http: {}\n"),
    );
    assert_eq!(
        messages(&none),
        ["Ingress shop/i has no spec.tls: shop.example.com, every host served over plain HTTP"]
    );
}
