//! `storage.encryption-aesgcm-rotation` — an EncryptionConfiguration that encrypts new writes with `aesgcm`.
//!
//! Checks: `EncryptionConfiguration` documents (`apiserver.config.k8s.io`); fires for each `resources[]` entry
//! whose first provider is `aesgcm`, always: the requirement is operational and a file cannot show it is met.
//! The message names the key currently used for writes (the first of `aesgcm.keys`).
//!
//! Why: `aesgcm` uses random 96-bit nonces; the Kubernetes documentation requires rotating the key every
//! 200,000 writes, because nonce reuse under one key breaks both confidentiality and integrity of AES-GCM.
//!
//! References: Kubernetes "Encrypting Confidential Data at Rest" (aesgcm: "must be rotated every 200,000
//! writes"); CIS Kubernetes Benchmark 1.2.28.
use crate::util::encryption::{ENCRYPT_DATA_DOCS, first_providers};
use crate::util::rbac::cis;
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "storage.encryption-aesgcm-rotation",
        title: "Encryption at rest uses aesgcm, which needs key rotation every 200k writes",
        severity: Severity::Medium,
        phase: Phase::RuntimeStorage,
        rationale: "aesgcm is fast and authenticated, but with random 96-bit nonces a key must not encrypt more than about \
            200,000 writes (the Kubernetes docs require rotation at that interval): a repeated nonce lets an attacker \
            recover plaintext and forge ciphertexts. Nothing in the cluster enforces the rotation.",
        remediation: "Prefer kms with apiVersion: v2 (it derives a fresh key per write). Otherwise automate aesgcm key rotation \
            well below 200,000 writes: add the new key first, restart the API servers, rewrite all secrets, remove \
            the old key.",
        references: &[
            cis("1.2.28"),
            ENCRYPT_DATA_DOCS,
        ],
        fail_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==\n",
        pass_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: vault\n      endpoint: unix:///var/run/kms/vault.sock\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    for (i, _, first) in first_providers(ctx.object) {
        if first.key != "aesgcm" {
            continue;
        }
        let key = first
            .value
            .get("keys")
            .and_then(Node::as_seq)
            .and_then(<[Node]>::first)
            .and_then(|k| k.get("name"))
            .and_then(Node::as_str)
            .unwrap_or("(unnamed)");
        out.emit(
            ctx.object,
            first.key_pos,
            format!("resources[{i}].providers[0].aesgcm"),
            format!(
                "EncryptionConfiguration resources[{i}] encrypts new writes with aesgcm key {key}: the key must be \
                 rotated before it has encrypted 200,000 writes (mamori cannot check this)"
            ),
        );
    }
}
