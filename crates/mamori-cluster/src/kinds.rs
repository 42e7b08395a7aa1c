//! The kinds mamori reads from a cluster.

/// One listable resource: its API group and version, URL plural, kind, scope, and whether only its metadata
/// may be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KindSpec {
    /// API group; `""` = the core group (`/api/v1`).
    pub group: &'static str,
    pub version: &'static str,
    /// The resource name in URLs and RBAC rules (`pods`, `clusterrolebindings`).
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    /// List as `PartialObjectMetadataList` (Secrets): the server sends metadata only, never data.
    pub metadata_only: bool,
}

impl KindSpec {
    /// `v1` for the core group, else `group/version`, as objects carry it.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

const fn core(plural: &'static str, kind: &'static str, namespaced: bool) -> KindSpec {
    KindSpec {
        group: "",
        version: "v1",
        plural,
        kind,
        namespaced,
        metadata_only: false,
    }
}

const fn grouped(
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> KindSpec {
    KindSpec {
        group,
        version: "v1",
        plural,
        kind,
        namespaced,
        metadata_only: false,
    }
}

const NAMESPACES: KindSpec = core("namespaces", "Namespace", false);
const NODES: KindSpec = core("nodes", "Node", false);
const SERVICE_ACCOUNTS: KindSpec = core("serviceaccounts", "ServiceAccount", true);
const SECRETS_METADATA: KindSpec = KindSpec {
    metadata_only: true,
    ..core("secrets", "Secret", true)
};
const PODS: KindSpec = core("pods", "Pod", true);
const RBAC: &str = "rbac.authorization.k8s.io";
const ROLES: KindSpec = grouped(RBAC, "roles", "Role", true);
const CLUSTER_ROLES: KindSpec = grouped(RBAC, "clusterroles", "ClusterRole", false);
const ROLE_BINDINGS: KindSpec = grouped(RBAC, "rolebindings", "RoleBinding", true);
const CLUSTER_ROLE_BINDINGS: KindSpec =
    grouped(RBAC, "clusterrolebindings", "ClusterRoleBinding", false);

static SCAN_KINDS: [KindSpec; 22] = [
    NAMESPACES,
    NODES,
    grouped("node.k8s.io", "runtimeclasses", "RuntimeClass", false),
    core("resourcequotas", "ResourceQuota", true),
    core("limitranges", "LimitRange", true),
    SERVICE_ACCOUNTS,
    SECRETS_METADATA,
    CLUSTER_ROLES,
    CLUSTER_ROLE_BINDINGS,
    ROLES,
    ROLE_BINDINGS,
    grouped(
        "networking.k8s.io",
        "networkpolicies",
        "NetworkPolicy",
        true,
    ),
    core("services", "Service", true),
    grouped("networking.k8s.io", "ingresses", "Ingress", true),
    grouped("apps", "deployments", "Deployment", true),
    grouped("apps", "statefulsets", "StatefulSet", true),
    grouped("apps", "daemonsets", "DaemonSet", true),
    grouped("apps", "replicasets", "ReplicaSet", true),
    core("replicationcontrollers", "ReplicationController", true),
    grouped("batch", "cronjobs", "CronJob", true),
    grouped("batch", "jobs", "Job", true),
    PODS,
];

static RBAC_KINDS: [KindSpec; 8] = [
    ROLES,
    CLUSTER_ROLES,
    ROLE_BINDINGS,
    CLUSTER_ROLE_BINDINGS,
    SERVICE_ACCOUNTS,
    PODS,
    SECRETS_METADATA,
    NODES,
];

/// Every kind the scan's rules read: namespaces, nodes, runtime classes, quotas and limit ranges, service
/// accounts, Secret metadata, RBAC, network policies, services, ingresses, every workload kind and pods.
pub fn scan_kinds() -> &'static [KindSpec] {
    &SCAN_KINDS
}

/// What the RBAC analysis reads: Roles, ClusterRoles, RoleBindings, ClusterRoleBindings, ServiceAccounts,
/// Pods, Secret metadata and Nodes.
pub fn rbac_kinds() -> &'static [KindSpec] {
    &RBAC_KINDS
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn kinds_are_unique_and_only_secrets_are_metadata_only() {
        for list in [scan_kinds(), rbac_kinds()] {
            let plurals: HashSet<_> = list.iter().map(|k| (k.group, k.plural)).collect();
            assert_eq!(plurals.len(), list.len());
            for kind in list {
                assert_eq!(kind.metadata_only, kind.plural == "secrets", "{kind:?}");
            }
        }
        assert!(rbac_kinds().iter().all(|k| scan_kinds().contains(k)));
    }

    #[test]
    fn api_versions() {
        assert_eq!(NAMESPACES.api_version(), "v1");
        assert_eq!(ROLES.api_version(), "rbac.authorization.k8s.io/v1");
    }
}
