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
use crate::util::encryption::{ENCRYPT_DATA_DOCS, first_providers, listed_resources};
use crate::util::rbac::cis;
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

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
            ENCRYPT_DATA_DOCS,
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
                listed_resources(entry).collect::<Vec<_>>().join(", ")
            ),
        );
    }
}
