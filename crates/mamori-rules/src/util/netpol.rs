//! NetworkPolicy, Service and Ingress semantics shared by the `network.*` rules.
//!
//! NetworkPolicy facts follow the `networking.k8s.io/v1` API exactly:
//! - `spec.podSelector` empty (`{}`, no `matchLabels` entries and no `matchExpressions` items) or absent (the
//!   Go zero value) selects every pod of the policy's namespace;
//! - `spec.policyTypes` unset or empty is defaulted by the API server to `[Ingress]`, plus `Egress` when
//!   `spec.egress` has at least one rule (an empty `egress: []` does not add it);
//! - a policy isolates the selected pods for each of its policy types; rules of a direction the policy does not
//!   have are ignored;
//! - in a rule, `from` / `to` absent or empty means every peer (all pods, all namespaces, all IPs), `ports`
//!   absent or empty means every port and protocol.

use mamori_model::{K8sObject, Node};

/// Whether the object is a NetworkPolicy of `networking.k8s.io` (a CRD may reuse the kind).
pub fn is_network_policy(object: &K8sObject) -> bool {
    object.id.kind == "NetworkPolicy" && api_group(object) == "networking.k8s.io"
}

/// Whether the object is a core (`v1`) Service.
pub fn is_core_service(object: &K8sObject) -> bool {
    object.id.kind == "Service" && object.id.api_version == "v1"
}

/// Whether the object is an Ingress of `networking.k8s.io` (or the removed `extensions/v1beta1`).
pub fn is_ingress(object: &K8sObject) -> bool {
    object.id.kind == "Ingress" && matches!(api_group(object), "networking.k8s.io" | "extensions")
}

fn api_group(object: &K8sObject) -> &str {
    object
        .id
        .api_version
        .split_once('/')
        .map_or("", |(group, _)| group)
}

/// Whether a label selector selects everything (absent, null, `{}`, or empty matchLabels/matchExpressions).
pub fn selector_is_empty(selector: Option<&Node>) -> bool {
    let Some(selector) = selector else {
        return true;
    };
    if selector.is_null() {
        return true;
    }
    let Some(entries) = selector.as_map() else {
        return false;
    };
    entries.iter().all(|e| match e.key.as_str() {
        "matchLabels" => e.value.is_null() || e.value.as_map().is_some_and(<[_]>::is_empty),
        "matchExpressions" => e.value.is_null() || e.value.as_seq().is_some_and(<[_]>::is_empty),
        _ => true,
    })
}

/// A traffic direction of a NetworkPolicy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// The `policyTypes` value.
    pub fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// The rules field (`ingress` / `egress`).
    pub fn rules_field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The peers field of a rule (`from` / `to`).
    pub fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }

    /// Lowercase word for messages.
    pub fn word(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// The rules of `direction` in a NetworkPolicy spec (empty when absent).
pub fn rules(spec: &Node, direction: Direction) -> &[Node] {
    spec.get(direction.rules_field())
        .and_then(Node::as_seq)
        .unwrap_or(&[])
}

/// Whether the policy (after API defaulting of `policyTypes`) applies to `direction`.
pub fn has_policy_type(spec: &Node, direction: Direction) -> bool {
    let declared = spec
        .get("policyTypes")
        .and_then(Node::as_seq)
        .unwrap_or(&[]);
    if declared.is_empty() {
        return match direction {
            Direction::Ingress => true,
            Direction::Egress => !rules(spec, Direction::Egress).is_empty(),
        };
    }
    declared
        .iter()
        .any(|t| t.as_str() == Some(direction.policy_type()))
}

/// Whether a NetworkPolicy spec is a default-deny for `direction`: it selects every pod of its namespace, has
/// the policy type, and has no rule of that direction (so nothing is allowed by it).
pub fn is_default_deny(spec: &Node, direction: Direction) -> bool {
    selector_is_empty(spec.get("podSelector"))
        && has_policy_type(spec, direction)
        && rules(spec, direction).is_empty()
}

/// Whether a field is absent, null or an empty list ("every peer" / "every port").
pub fn absent_or_empty(rule: &Node, field: &str) -> bool {
    match rule.get(field) {
        None => true,
        Some(node) => node.is_null() || node.as_seq().is_some_and(<[_]>::is_empty),
    }
}

/// Whether one rule of `direction` allows all traffic: every peer and every port.
pub fn rule_allows_all(rule: &Node, direction: Direction) -> bool {
    rule.is_null()
        || (rule.as_map().is_some()
            && absent_or_empty(rule, direction.peers_field())
            && absent_or_empty(rule, "ports"))
}

/// Whether an Ingress rule host is served over TLS by one of the `tls[].hosts` (Ingress host semantics: exact,
/// case-insensitive; a `*.example.com` TLS host covers exactly one extra leftmost label, and covers a rule host
/// written as the same wildcard).
pub fn tls_host_covers(tls_host: &str, rule_host: &str) -> bool {
    if tls_host.eq_ignore_ascii_case(rule_host) {
        return true;
    }
    let Some(suffix) = tls_host.strip_prefix("*.") else {
        return false;
    };
    match rule_host.split_once('.') {
        Some((label, rest)) => {
            !label.is_empty() && label != "*" && rest.eq_ignore_ascii_case(suffix)
        }
        None => false,
    }
}

/// `spec.type` of a Service (`ClusterIP` when unset, as the API server defaults it).
pub fn service_type(spec: &Node) -> &str {
    spec.get("type")
        .and_then(Node::as_str)
        .unwrap_or("ClusterIP")
}

/// `Service shop/web` for messages.
pub fn object_label(object: &K8sObject) -> String {
    match object.id.namespace.as_deref() {
        Some(ns) => format!("{} {ns}/{}", object.id.kind, object.id.name),
        None => format!("{} {}", object.id.kind, object.id.name),
    }
}

/// Shared by the ingress and egress rules: reports each Namespace of the input lacking a default-deny policy
/// for `direction`.
pub fn report_missing_default_deny(
    inventory: &crate::Inventory,
    out: &mut crate::Emitter<'_>,
    direction: Direction,
) {
    const MANAGED: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];
    for ns in inventory.of_kind("Namespace") {
        let name = ns.id.name.as_str();
        if MANAGED.contains(&name) || ns.id.api_version != "v1" {
            continue;
        }
        let policies = || {
            inventory
                .of_kind("NetworkPolicy")
                .iter()
                .filter(|p| is_network_policy(p) && p.id.namespace.as_deref() == Some(name))
                .filter_map(|p| p.root.get("spec").map(|spec| (p, spec)))
        };
        if policies().any(|(_, spec)| is_default_deny(spec, direction)) {
            continue;
        }
        // A select-all policy with allow rules isolates too: name it, so the finding explains itself.
        let isolating: Vec<&str> = policies()
            .filter(|(_, spec)| {
                selector_is_empty(spec.get("podSelector")) && has_policy_type(spec, direction)
            })
            .map(|(p, _)| p.id.name.as_str())
            .collect();
        let hint = if isolating.is_empty() {
            format!(
                "pods not selected by a policy accept all {} traffic",
                direction.word()
            )
        } else {
            format!(
                "NetworkPolicy {} selects all pods for {} but also allows traffic; add a separate policy that \
                 allows nothing",
                isolating.join(", "),
                direction.word()
            )
        };
        let pos = ns
            .root
            .path(&["metadata", "name"])
            .map_or(ns.source.pos, |n: &Node| n.pos);
        out.emit(
            ns,
            pos,
            "metadata.name",
            format!(
                "namespace {name} has no default-deny {} NetworkPolicy (podSelector: {{}}, policyTypes including \
                 {}, no {} rules): {hint}",
                direction.word(),
                direction.policy_type(),
                direction.rules_field()
            ),
        );
    }
}

/// Kubernetes docs, "Network Policies".
pub const NETWORK_POLICIES_DOC: crate::Reference = crate::Reference {
    kind: crate::RefKind::K8sDocs,
    id: "Network Policies",
    url: "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
};

/// Kubernetes docs, "Service".
pub const SERVICE_DOC: crate::Reference = crate::Reference {
    kind: crate::RefKind::K8sDocs,
    id: "Service",
    url: "https://kubernetes.io/docs/concepts/services-networking/service/",
};

/// NSA/CISA Kubernetes Hardening Guide, "Network separation and hardening".
pub const NSA_NETWORK: crate::Reference = crate::Reference {
    kind: crate::RefKind::NsaCisa,
    id: "Network separation and hardening",
    url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
};

#[cfg(test)]
mod tests {
    use super::tls_host_covers;

    #[test]
    fn tls_wildcards_cover_one_label() {
        assert!(tls_host_covers("shop.example.com", "SHOP.example.com"));
        assert!(tls_host_covers("*.example.com", "shop.example.com"));
        assert!(tls_host_covers("*.example.com", "*.example.com"));
        assert!(!tls_host_covers("*.example.com", "example.com"));
        assert!(!tls_host_covers("*.example.com", "a.shop.example.com"));
        assert!(!tls_host_covers("example.com", "shop.example.com"));
    }
}
