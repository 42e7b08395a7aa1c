//! `controlplane.apiserver-tls-min-version` — kube-apiserver may negotiate TLS 1.0/1.1.
//!
//! Checks: static Pods running `kube-apiserver`; scalar flag `--tls-min-version` (last occurrence wins).
//! Passes with `VersionTLS12` or `VersionTLS13`. Fires when it is `VersionTLS10`/`VersionTLS11`, an unknown
//! value (the server refuses to start), or absent: the default is Go's, which depends on the Go release the
//! binary was built with (TLS 1.0 for servers before Go 1.22, i.e. Kubernetes releases up to 1.29), so only an
//! explicit setting is auditable.
//!
//! Why: TLS 1.0 and 1.1 are deprecated (RFC 8996) and allow downgrade-prone, CBC-only cipher suites.
//!
//! References: NSA/CISA Kubernetes Hardening Guide "Network separation and hardening" (TLS everywhere);
//! Kubernetes docs kube-apiserver reference (--tls-min-version).

use crate::util::flags::{invocations, who, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.apiserver-tls-min-version",
        title: "kube-apiserver minimum TLS version is not pinned to TLS 1.2 or later",
        severity: Severity::Medium,
        phase: Phase::Network,
        rationale: "TLS 1.0 and 1.1 are deprecated (RFC 8996): they lack AEAD cipher suites and are open to \
            downgrade attacks. Left unset, the minimum is whatever the Go toolchain that built the binary \
            defaults to (TLS 1.0 before Go 1.22), so the protection depends on the exact build.",
        remediation: "Add --tls-min-version=VersionTLS12 (or VersionTLS13 when all clients support it) to the \
            kube-apiserver command.",
        references: &[
            Reference {
                kind: RefKind::NsaCisa,
                id: "Network separation and hardening",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference {
                kind: RefKind::K8sDocs,
                id: "kube-apiserver --tls-min-version",
                url: "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/",
            },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --tls-min-version=VersionTLS13\n    - --tls-min-version=VersionTLS10\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --tls-min-version=VersionTLS12\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if ctx.kind() != "Pod" {
        return;
    }
    for invocation in invocations(ctx.object, Component::ApiServer) {
        let who = who(&invocation, Component::ApiServer);
        let Some(occurrence) = invocation.flags.last("tls-min-version") else {
            let (pos, path) = invocation.locate_missing();
            out.emit(ctx.object, pos, path, format!("{who} does not set --tls-min-version: the minimum is the Go build default (TLS 1.0 before Go 1.22); set --tls-min-version=VersionTLS12"));
            continue;
        };
        let value = occurrence.value.unwrap_or("");
        let problem = match value {
            "VersionTLS12" | "VersionTLS13" => continue,
            "VersionTLS10" | "VersionTLS11" => "accepts deprecated TLS versions",
            _ => "is not a TLS version name (VersionTLS12, VersionTLS13): the server refuses to start",
        };
        let (pos, path) = invocation.locate(occurrence);
        out.emit(
            ctx.object,
            pos,
            path,
            format!("{who} sets --tls-min-version={value}, which {problem}"),
        );
    }
}
