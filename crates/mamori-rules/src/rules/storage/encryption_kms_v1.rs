//! `storage.encryption-kms-v1` — an EncryptionConfiguration using the deprecated KMS v1 provider.
//!
//! Checks: `EncryptionConfiguration` documents (`apiserver.config.k8s.io`); fires for each `kms` provider, in any
//! position, whose `apiVersion` is not `v2` (absent means `v1`). A read-only position counts too: the API server
//! still needs the KMS v1 plugin and the `KMSv1` feature gate to start with it.
//!
//! Why: KMS v1 is deprecated since Kubernetes 1.28 and disabled by default since 1.29 (feature gate `KMSv1`);
//! it calls the plugin for every read and write (one data key per object, no caching), which is slow and
//! ties availability to the plugin.
//!
//! References: Kubernetes "Using a KMS provider for data encryption" (KMS v1 deprecation); CIS Kubernetes
//! Benchmark 1.2.28.

use crate::util::encryption::{KMS_PROVIDER_DOCS, providers, resource_entries};
use crate::util::rbac::cis;
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "storage.encryption-kms-v1",
        title: "Encryption at rest uses the deprecated KMS v1 provider",
        severity: Severity::Medium,
        phase: Phase::RuntimeStorage,
        rationale: "KMS v1 is deprecated since Kubernetes 1.28 and disabled by default since 1.29: an API server \
            upgrade can fail to start or to read its data. It also contacts the KMS plugin on every read and \
            write, so a slow or unavailable plugin stalls the API server.",
        remediation: "Switch the kms provider to apiVersion: v2 with a KMS v2 plugin, add it first, restart the API \
            servers, rewrite all secrets, then remove the v1 provider.",
        references: &[
            KMS_PROVIDER_DOCS,
            cis("1.2.28"),
        ],
        fail_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - kms:\n      name: vault\n      endpoint: unix:///var/run/kms/vault.sock\n      cachesize: 1000\n  - identity: {}\n",
        pass_example: "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: vault\n      endpoint: unix:///var/run/kms/vault.sock\n  - identity: {}\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let object = ctx.object;
    let entries = resource_entries(object).unwrap_or(&[]);
    for (i, entry) in entries.iter().enumerate() {
        for (j, provider) in providers(entry).iter().enumerate() {
            let Some(kms) = provider.entry("kms") else {
                continue;
            };
            let version = kms
                .value
                .get("apiVersion")
                .and_then(Node::as_str)
                .unwrap_or("v1");
            if version == "v2" {
                continue;
            }
            let name = kms
                .value
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("(unnamed)");
            let role = if j == 0 {
                "encrypts new writes"
            } else {
                "is kept to read existing data"
            };
            out.emit(
                object,
                kms.key_pos,
                format!("resources[{i}].providers[{j}].kms"),
                format!(
                    "EncryptionConfiguration resources[{i}].providers[{j}] kms provider {name} uses KMS {version}{how}: \
                     deprecated since 1.28 and disabled by default since 1.29; it {role}",
                    how = if kms.value.get("apiVersion").is_some() { "" } else { " (apiVersion not set)" }
                ),
            );
        }
    }
}
