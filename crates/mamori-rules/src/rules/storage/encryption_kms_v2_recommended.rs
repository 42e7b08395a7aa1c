//! `storage.encryption-kms-v2-recommended` — encryption at rest with a locally stored key instead of KMS v2.
//!
//! Checks: `EncryptionConfiguration` documents (`apiserver.config.k8s.io`); fires (info) for each `resources[]`
//! entry whose first provider is `secretbox`, `aesgcm` or `aescbc`: providers whose keys are written in this
//! file. `identity` first is `storage.encryption-identity-first`; `kms` first is fine for v2 and reported by
//! `storage.encryption-kms-v1` otherwise.
//!
//! Why: with local-key providers the data-encryption key sits in plaintext next to the API server; anyone who
//! reads the control-plane disk or a backup containing this file decrypts etcd. KMS v2 keeps the key-encryption
//! key in an external KMS and derives a fresh data key per write.
//!
//! References: Kubernetes "Encrypting Confidential Data at Rest" and "Using a KMS provider for data
//! encryption" (KMS v2 recommended); CIS Kubernetes Benchmark 1.2.28.
use crate::util::encryption::{ENCRYPT_DATA_DOCS, KMS_PROVIDER_DOCS, first_providers};
use crate::util::rbac::cis;
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "storage.encryption-kms-v2-recommended",
        title: "Encryption at rest keeps its key in the config file (KMS v2 recommended)",
        severity: Severity::Info,
        phase: Phase::RuntimeStorage,
        rationale: "secretbox, aesgcm and aescbc keep the encryption key in plaintext in the EncryptionConfiguration file on \
            every control-plane node: a copy of the node disk or of a backup that includes the file decrypts all of \
            etcd. KMS v2 keeps the root key in an external key management service and uses per-write data keys.",
        remediation: "Deploy a KMS v2 plugin (cloud KMS, Vault, HSM) and make kms with apiVersion: v2 the first provider; keep \
            the current provider after it until all data is rewritten.",
        references: &[
            cis("1.2.28"),
            ENCRYPT_DATA_DOCS,
            KMS_PROVIDER_DOCS,
        ],
        fail_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - secretbox:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==\n",
        pass_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: vault\n      endpoint: unix:///var/run/kms/vault.sock\n  - secretbox:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    for (i, _, first) in first_providers(ctx.object) {
        if !matches!(first.key.as_str(), "secretbox" | "aesgcm" | "aescbc") {
            continue;
        }
        out.emit(
            ctx.object,
            first.key_pos,
            format!("resources[{i}].providers[0].{}", first.key),
            format!(
                "EncryptionConfiguration resources[{i}] encrypts with {}, whose key is stored in this file on the \
                 control-plane nodes; KMS v2 (kms with apiVersion: v2) keeps the root key outside the cluster",
                first.key
            ),
        );
    }
}
