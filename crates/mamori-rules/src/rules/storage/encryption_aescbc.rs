//! `storage.encryption-aescbc` — an EncryptionConfiguration that encrypts new writes with `aescbc`.
//!
//! Checks: `EncryptionConfiguration` documents (`apiserver.config.k8s.io`); fires for each `resources[]` entry
//! whose first provider (the one new writes use) is `aescbc`. `aescbc` later in the list is not reported: it is
//! needed to read data written before a migration to a better provider.
//!
//! Why: the Kubernetes documentation no longer recommends `aescbc`: CBC mode without authentication is
//! vulnerable to padding-oracle attacks, and the keys sit in this file on the control-plane hosts.
//!
//! References: Kubernetes "Encrypting Confidential Data at Rest" (providers table: aescbc "not recommended due
//! to CBC's vulnerability to padding oracle attacks"); CIS Kubernetes Benchmark 1.2.28.
use crate::util::rbac::cis;
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Entry, K8sObject, Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "storage.encryption-aescbc",
        title: "Encryption at rest uses aescbc (padding-oracle weakness)",
        severity: Severity::Medium,
        phase: Phase::RuntimeStorage,
        rationale: "aescbc is AES-CBC with PKCS#7 padding and no authentication. The Kubernetes documentation advises against it \
            because CBC is vulnerable to padding-oracle attacks; its keys are also stored in plaintext in this file \
            on every control-plane node.",
        remediation: "Make kms (apiVersion: v2) the first provider, or secretbox if no KMS is available; keep aescbc after it \
            until every object has been rewritten with the new provider.",
        references: &[
            cis("1.2.28"),
            Reference {
                kind: RefKind::K8sDocs,
                id: "Encrypting Confidential Data at Rest",
                url: "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/",
            },
        ],
        fail_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==\n",
        pass_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - secretbox:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==\n  - aescbc:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    for (i, entry, first) in first_providers(ctx.object) {
        if first.key != "aescbc" {
            continue;
        }
        out.emit(
            ctx.object,
            first.key_pos,
            format!("resources[{i}].providers[0].aescbc"),
            format!(
                "EncryptionConfiguration resources[{i}] ([{}]) encrypts new writes with aescbc, which the Kubernetes \
                 docs advise against (CBC padding-oracle attacks)",
                resource_list(entry)
            ),
        );
    }
}

fn resource_list(entry: &Node) -> String {
    let names: Vec<&str> = entry
        .get("resources")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .collect();
    names.join(", ")
}

/// `(index, resources entry, first provider's key)` of an EncryptionConfiguration; nothing for other objects.
fn first_providers(object: &K8sObject) -> impl Iterator<Item = (usize, &Node, &Entry)> {
    let is_config = object.id.kind == "EncryptionConfiguration"
        && object
            .id
            .api_version
            .starts_with("apiserver.config.k8s.io/");
    let entries = if is_config {
        object
            .root
            .get("resources")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
    } else {
        &[]
    };
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
