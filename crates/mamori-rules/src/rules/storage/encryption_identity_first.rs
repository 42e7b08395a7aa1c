//! `storage.encryption-identity-first` — an EncryptionConfiguration entry whose first provider is `identity`.
//!
//! Checks: `EncryptionConfiguration` documents (`apiserver.config.k8s.io/v1`, the file given to kube-apiserver
//! `--encryption-provider-config`); fires for each `resources[]` entry whose `providers[0]` is `identity`. The
//! first provider encrypts every new write; `identity` writes plaintext. (`identity` later in the list is fine:
//! it only lets the API server read objects written before encryption was enabled.) The message names the
//! resources of the entry and says whether secrets are among them (`secrets`, `*.` or `*.*`).
//!
//! Why: with `identity` first, the listed resources are stored unencrypted in etcd and in its backups, although
//! the configuration suggests otherwise.
//!
//! References: CIS Kubernetes Benchmark 1.2.28 ("Ensure that encryption providers are appropriately configured"); Kubernetes "Encrypting
//! Confidential Data at Rest"; NSA/CISA hardening guide "Protecting etcd"; MITRE ATT&CK T1552.

use crate::util::encryption::{ENCRYPT_DATA_DOCS, NSA_CISA_PROTECTING_ETCD, first_providers, listed_resources, matches_secrets};
use crate::util::rbac::{attack, cis};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "storage.encryption-identity-first",
        title: "Encryption at rest writes plaintext (identity provider first)",
        severity: Severity::Critical,
        phase: Phase::RuntimeStorage,
        rationale: "The API server encrypts new writes with the first provider of the matching resources entry. \
            When that provider is identity, secrets and the other listed resources are written to etcd in \
            plaintext: anyone with etcd, its disks or its backups reads them.",
        remediation: "Put an encrypting provider first (kms with apiVersion: v2, or secretbox/aesgcm with a \
            rotation plan), keep identity last only while existing data is rewritten, then run `kubectl get \
            secrets -A -o json | kubectl replace -f -` to re-encrypt.",
        references: &[
            cis("1.2.28"),
            ENCRYPT_DATA_DOCS,
            NSA_CISA_PROTECTING_ETCD,
            attack("T1552", "https://attack.mitre.org/techniques/T1552/"),
        ],
        fail_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n  - aescbc:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==\n",
        pass_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: vault\n      endpoint: unix:///var/run/kms/vault.sock\n  - identity: {}\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    for (i, entry, first) in first_providers(ctx.object) {
        if first.key != "identity" {
            continue;
        }
        let resources: Vec<&str> = listed_resources(entry).collect();
        let secrets = if resources.iter().copied().any(matches_secrets) {
            "; secrets are among them"
        } else {
            ""
        };
        out.emit(
            ctx.object,
            first.key_pos,
            format!("resources[{i}].providers[0].identity"),
            format!(
                "EncryptionConfiguration resources[{i}] ([{}]) has identity as its first provider: new writes of \
                 these resources are stored in etcd in plaintext{secrets}",
                resources.join(", ")
            ),
        );
    }
}
