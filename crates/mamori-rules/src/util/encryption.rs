//! Walking an `EncryptionConfiguration` (`apiserver.config.k8s.io`, the file given to kube-apiserver
//! `--encryption-provider-config`): its `resources[]` entries, their providers and the resources they list.
//! Every storage encryption rule reads the file this way, so they agree on what counts as a configuration and
//! which provider encrypts new writes.

use crate::{RefKind, Reference};
use mamori_model::{Entry, K8sObject, Node};

/// Kubernetes "Encrypting Confidential Data at Rest": providers, their order and the resource wildcards.
pub const ENCRYPT_DATA_DOCS: Reference = Reference {
    kind: RefKind::K8sDocs,
    id: "Encrypting Confidential Data at Rest",
    url: "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/",
};

/// Kubernetes "Using a KMS provider for data encryption": KMS v1 deprecation and KMS v2.
pub const KMS_PROVIDER_DOCS: Reference = Reference {
    kind: RefKind::K8sDocs,
    id: "Using a KMS provider for data encryption",
    url: "https://kubernetes.io/docs/tasks/administer-cluster/kms-provider/",
};

/// NSA/CISA Kubernetes Hardening Guidance, section "Protecting etcd".
pub const NSA_CISA_PROTECTING_ETCD: Reference = Reference {
    kind: RefKind::NsaCisa,
    id: "Protecting etcd",
    url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
};

/// The `resources[]` entries of an EncryptionConfiguration (empty when the list is missing or not a list);
/// `None` for any other object.
pub fn resource_entries(object: &K8sObject) -> Option<&[Node]> {
    let is_config = object.id.kind == "EncryptionConfiguration"
        && object
            .id
            .api_version
            .starts_with("apiserver.config.k8s.io/");
    if !is_config {
        return None;
    }
    Some(
        object
            .root
            .get("resources")
            .and_then(Node::as_seq)
            .unwrap_or(&[]),
    )
}

/// `(index, resources entry, first provider's key)` of an EncryptionConfiguration; nothing for other objects.
/// The first provider is the one the API server encrypts new writes with; entries without one are skipped.
pub fn first_providers(object: &K8sObject) -> impl Iterator<Item = (usize, &Node, &Entry)> {
    let entries = resource_entries(object).unwrap_or(&[]);
    entries.iter().enumerate().filter_map(|(i, entry)| {
        let first = entry
            .get("providers")?
            .as_seq()?
            .first()?
            .as_map()?
            .first()?;
        Some((i, entry, first))
    })
}

/// The `providers` of one `resources[]` entry, in order (empty when missing or not a list).
pub fn providers(entry: &Node) -> &[Node] {
    entry.get("providers").and_then(Node::as_seq).unwrap_or(&[])
}

/// The resource names one `resources[]` entry lists in its own `resources`; non-strings are skipped.
pub fn listed_resources(entry: &Node) -> impl Iterator<Item = &str> {
    entry
        .get("resources")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
}

/// Whether a listed resource name matches secrets: `secrets` (core resources are written without a group),
/// `*.` (every core resource) or `*.*` (every resource).
pub fn matches_secrets(resource: &str) -> bool {
    matches!(resource, "secrets" | "*." | "*.*")
}
