//! `controlplane.apiserver-token-auth-file` — static bearer tokens authenticate API clients.
//!
//! Checks: static Pods running `kube-apiserver`; fires when `--token-auth-file` is on the command line (any
//! value, the last occurrence is reported).
//!
//! Why: the static token file holds long-lived bearer tokens in clear text on the control-plane disk; they cannot
//! be rotated or revoked without restarting the API server, and they never expire.
//!
//! References: CIS Kubernetes Benchmark 1.2.2; MITRE ATT&CK T1528 (steal application access token).

use crate::util::flags::{invocations, who, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.apiserver-token-auth-file",
        title: "kube-apiserver accepts static bearer tokens from a token file",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "Tokens in the --token-auth-file CSV are plain-text, never expire and can only be changed by \
            editing the file and restarting the API server. Anyone who reads the file, a backup or a node image \
            holds permanent credentials.",
        remediation: "Remove --token-auth-file from the kube-apiserver command and use client certificates, OIDC \
            (structured authentication) or service-account tokens instead.",
        references: &[
            Reference { kind: RefKind::Cis, id: "1.2.2", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::MitreAttack, id: "T1528", url: "https://attack.mitre.org/techniques/T1528/" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Static token file",
                url: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#static-token-file",
            },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --token-auth-file=/etc/kubernetes/tokens.csv\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --client-ca-file=/etc/kubernetes/pki/ca.crt\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if ctx.kind() != "Pod" {
        return;
    }
    for invocation in invocations(ctx.object, Component::ApiServer) {
        if let Some(occurrence) = invocation.flags.last("token-auth-file") {
            let (pos, path) = invocation.locate(occurrence);
            out.emit(
                ctx.object,
                pos,
                path,
                format!(
                    "{} authenticates static bearer tokens from --token-auth-file={}",
                    who(&invocation, Component::ApiServer),
                    occurrence.value.unwrap_or("")
                ),
            );
        }
    }
}
