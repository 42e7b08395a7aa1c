//! `controlplane.etcd-client-tls` — etcd's client port is not protected by TLS with client certificates.
//!
//! Checks: static Pods running `etcd` (Go `flag` syntax: `-flag`/`--flag`, parsing stops at the first non-flag
//! argument; `ETCD_<NAME>` environment variables count for flags not on the command line). Requires
//! `--cert-file` and `--key-file` (non-empty), `--client-cert-auth=true` (default false), and no
//! `--auto-tls=true` (self-signed certificates nobody can verify).
//!
//! Why: etcd holds every object of the cluster, Secrets included. Without client TLS and client-certificate
//! authentication, anything that reaches port 2379 reads and writes the whole cluster state.
//!
//! References: CIS Kubernetes Benchmark 2.1, 2.2, 2.3; MITRE ATT&CK T1552.007.

use crate::util::flags::{etcd_setting, invocations, parse_go_bool, who, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.etcd-client-tls",
        title: "etcd client connections lack TLS or client-certificate authentication",
        severity: Severity::Critical,
        phase: Phase::RuntimeStorage,
        rationale: "etcd stores the entire cluster state, Secrets included, and has no authorization of its own \
            in a kubeadm setup: whoever can open a client connection owns the cluster. Client TLS \
            (--cert-file/--key-file) protects the traffic, --client-cert-auth=true makes etcd accept only \
            clients with certificates from its trusted CA, and --auto-tls generates unverifiable self-signed \
            certificates.",
        remediation: "Set --cert-file, --key-file, --trusted-ca-file and --client-cert-auth=true on etcd, remove \
            --auto-tls, and give kube-apiserver --etcd-certfile/--etcd-keyfile/--etcd-cafile.",
        references: &[
            Reference { kind: RefKind::Cis, id: "2.1", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::Cis, id: "2.2", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::Cis, id: "2.3", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::MitreAttack, id: "T1552.007", url: "https://attack.mitre.org/techniques/T1552/007/" },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.5.15-0\n    command:\n    - etcd\n    - --cert-file=/etc/kubernetes/pki/etcd/server.crt\n    - --auto-tls\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.5.15-0\n    command:\n    - etcd\n    - --cert-file=/etc/kubernetes/pki/etcd/server.crt\n    - --key-file=/etc/kubernetes/pki/etcd/server.key\n    env:\n    - name: ETCD_CLIENT_CERT_AUTH\n      value: \"true\"\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    audit_etcd_tls(ctx, out, "", "client");
}

/// Shared with `etcd-peer-tls`: `prefix` is "" or "peer-".
pub(crate) fn audit_etcd_tls(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>, prefix: &str, what: &str) {
    if ctx.kind() != "Pod" {
        return;
    }
    for invocation in invocations(ctx.object, Component::Etcd) {
        let who = who(&invocation, Component::Etcd);
        let missing: Vec<String> = ["cert-file", "key-file"]
            .iter()
            .map(|f| format!("{prefix}{f}"))
            .filter(|f| etcd_setting(&invocation, f).is_none_or(|(v, ..)| v.is_empty()))
            .map(|f| format!("--{f}"))
            .collect();
        if !missing.is_empty() {
            let (pos, path) = invocation.locate_missing();
            out.emit(ctx.object, pos, path, format!("{who} does not set {}: {what} connections are not served with a CA-issued certificate", missing.join(" and ")));
        }
        let auth_flag = format!("{prefix}client-cert-auth");
        match etcd_setting(&invocation, &auth_flag) {
            Some((value, pos, path)) => match parse_go_bool(value) {
                Some(true) => {}
                Some(false) => out.emit(ctx.object, pos, path, format!("{who} sets --{auth_flag}={value}: {what}s without a trusted certificate are accepted")),
                None => out.emit(ctx.object, pos, path, format!("{who} sets --{auth_flag}={value:?}, which is not a Go bool (etcd refuses to start)")),
            },
            None => {
                let (pos, path) = invocation.locate_missing();
                out.emit(ctx.object, pos, path, format!("{who} does not set --{auth_flag} (default false): {what}s without a trusted certificate are accepted"));
            }
        }
        let auto_flag = format!("{prefix}auto-tls");
        if let Some((value, pos, path)) = etcd_setting(&invocation, &auto_flag) {
            if parse_go_bool(value) != Some(false) {
                out.emit(ctx.object, pos, path, format!("{who} sets --{auto_flag}={value}: etcd uses self-signed {what} certificates nobody can verify"));
            }
        }
    }
}
