//! `storage.encryption-secrets-not-covered` — an EncryptionConfiguration whose resources do not include secrets.
//!
//! Checks: `EncryptionConfiguration` documents (`apiserver.config.k8s.io`); fires when no `resources[].resources`
//! list contains an entry matching secrets: `secrets` (core group resources are written without a group),
//! `*.` (every resource of the core group) or `*.*` (every resource). Whether the matching entry actually
//! encrypts is judged by `storage.encryption-identity-first`.
//!
//! Why: resources not listed are stored in plaintext. A configuration that encrypts configmaps or custom
//! resources but not secrets leaves the most sensitive data readable from etcd and its backups.
//!
//! References: CIS Kubernetes Benchmark 1.2.28; Kubernetes "Encrypting Confidential Data at Rest" (wildcards
//! `*.` and `*.*`); NSA/CISA hardening guide "Protecting etcd".

use crate::util::encryption::{ENCRYPT_DATA_DOCS, NSA_CISA_PROTECTING_ETCD, listed_resources, matches_secrets, resource_entries};
use crate::util::rbac::cis;
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "storage.encryption-secrets-not-covered",
        title: "Encryption at rest does not cover secrets",
        severity: Severity::High,
        phase: Phase::RuntimeStorage,
        rationale: "Only resources listed in an EncryptionConfiguration entry are encrypted; everything else is \
            written to etcd in plaintext. Secrets are the reason encryption at rest exists: leaving them out \
            makes the configuration protect the wrong data.",
        remediation: "Add secrets (or the wildcard *. for all core resources, or *.*) to the resources of an \
            entry whose first provider encrypts, restart the API servers and rewrite existing secrets.",
        references: &[
            cis("1.2.28"),
            ENCRYPT_DATA_DOCS,
            NSA_CISA_PROTECTING_ETCD,
        ],
        fail_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [configmaps]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: vault\n      endpoint: unix:///var/run/kms/vault.sock\n",
        pass_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [configmaps]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: vault\n      endpoint: unix:///var/run/kms/vault.sock\n- resources: [\"*.\"]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: vault\n      endpoint: unix:///var/run/kms/vault.sock\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let object = ctx.object;
    let Some(entries) = resource_entries(object) else {
        return;
    };
    let listed = || entries.iter().flat_map(listed_resources);
    if listed().any(matches_secrets) {
        return;
    }
    let pos = object
        .root
        .entry("resources")
        .map_or(object.source.pos, |e| e.key_pos);
    let names: Vec<&str> = listed().collect();
    out.emit(
        object,
        pos,
        "resources",
        format!(
            "EncryptionConfiguration encrypts [{}] but not secrets (no entry lists secrets, *. or *.*): secrets are \
             stored in etcd in plaintext",
            names.join(", ")
        ),
    );
}
