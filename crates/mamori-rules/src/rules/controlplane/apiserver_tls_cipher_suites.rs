//! `controlplane.apiserver-tls-cipher-suites` — kube-apiserver accepts weak TLS cipher suites.
//!
//! Checks: static Pods running `kube-apiserver`; pflag stringSlice `--tls-cipher-suites` (occurrences append).
//! Strong = the TLS 1.3 suites and ECDHE key exchange with an AEAD cipher (AES-GCM, ChaCha20-Poly1305) — the
//! CIS 1.2.29 remediation list minus its CBC, 3DES and RSA-key-exchange entries, which mamori reports (kube-bench
//! accepts them). Fires for every other suite, naming why (RC4/3DES broken, CBC mode, no forward secrecy,
//! unknown name = server refuses to start), and when the flag is absent: Go's defaults include ECDHE-CBC suites.
//!
//! Why: CBC suites have a long history of padding-oracle attacks; RSA key exchange has no forward secrecy, so
//! a stolen server key decrypts recorded traffic.
//!
//! References: CIS Kubernetes Benchmark 1.2.29; NSA/CISA Kubernetes Hardening Guide.

use crate::util::flags::{invocations, who, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.apiserver-tls-cipher-suites",
        title: "kube-apiserver accepts weak TLS cipher suites",
        severity: Severity::Medium,
        phase: Phase::Network,
        rationale: "Without --tls-cipher-suites the API server offers Go's defaults, which still include CBC \
            suites; explicit lists often carry 3DES, CBC or RSA-key-exchange suites copied from old guides. CBC \
            suites are prone to padding-oracle attacks and RSA key exchange has no forward secrecy.",
        remediation: "Set --tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,\
            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,\
            TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,\
            TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 (TLS 1.3 suites are always on and not configurable).",
        references: &[
            Reference { kind: RefKind::Cis, id: "1.2.29", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Network separation and hardening",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n    - --tls-cipher-suites=TLS_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

/// Suites with forward secrecy and an AEAD cipher.
const STRONG: [&str; 11] = [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

/// Why a suite is weak, or None when it is strong.
pub(crate) fn weakness(suite: &str) -> Option<&'static str> {
    if STRONG.contains(&suite) {
        None
    } else if !suite.starts_with("TLS_") || !suite.contains("_WITH_") {
        Some("is not a cipher suite name Go knows (the server refuses to start)")
    } else if suite.contains("RC4") || suite.contains("3DES") {
        Some("uses a broken cipher")
    } else if suite.starts_with("TLS_RSA_") {
        Some("uses RSA key exchange (no forward secrecy)")
    } else if suite.contains("_CBC_") {
        Some("uses CBC mode (padding-oracle attacks)")
    } else {
        Some("is not in the strong list (ECDHE with AES-GCM or ChaCha20-Poly1305)")
    }
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if ctx.kind() != "Pod" {
        return;
    }
    for invocation in invocations(ctx.object, Component::ApiServer) {
        let who = who(&invocation, Component::ApiServer);
        match invocation.flags.list("tls-cipher-suites") {
            None => {
                let (pos, path) = invocation.locate_missing();
                out.emit(ctx.object, pos, path, format!("{who} does not set --tls-cipher-suites: Go's default suites include ECDHE-CBC suites"));
            }
            Some(Err(occurrence)) => {
                let (pos, path) = invocation.locate(occurrence);
                out.emit(ctx.object, pos, path, format!("{who} sets --tls-cipher-suites={:?}, which is not a valid comma-separated list", occurrence.value.unwrap_or("")));
            }
            Some(Ok(items)) => {
                for item in items {
                    if let Some(why) = weakness(&item.value) {
                        let (pos, path) = invocation.locate(item.occurrence);
                        out.emit(
                            ctx.object,
                            pos,
                            path,
                            format!("{who} allows TLS cipher suite {}, which {why}", item.value),
                        );
                    }
                }
            }
        }
    }
}
