//! `controlplane.etcd-peer-tls` — etcd member-to-member traffic is not protected by TLS with client certificates.
//!
//! Checks: static Pods running `etcd` (Go `flag` syntax, `ETCD_*` environment fallback). Requires
//! `--peer-cert-file` and `--peer-key-file` (non-empty), `--peer-client-cert-auth=true` (default false) and no
//! `--peer-auto-tls=true`. Applies to single-member clusters too: a member added later joins over the same
//! settings.
//!
//! Why: peers replicate the whole keyspace; an unauthenticated peer port lets anyone join the cluster or read
//! the replication stream.
//!
//! References: CIS Kubernetes Benchmark 2.4, 2.5, 2.6.

use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.etcd-peer-tls",
        title: "etcd peer connections lack TLS or client-certificate authentication",
        severity: Severity::High,
        phase: Phase::RuntimeStorage,
        rationale: "etcd members replicate the entire keyspace to each other. Without peer TLS the replication \
            stream (all Secrets) crosses the network in clear; without --peer-client-cert-auth=true any host that \
            reaches port 2380 can pose as a member; --peer-auto-tls makes certificates self-signed and \
            unverifiable.",
        remediation: "Set --peer-cert-file, --peer-key-file, --peer-trusted-ca-file and \
            --peer-client-cert-auth=true on every etcd member and remove --peer-auto-tls.",
        references: &[
            Reference { kind: RefKind::Cis, id: "2.4", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::Cis, id: "2.5", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::Cis, id: "2.6", url: "https://www.cisecurity.org/benchmark/kubernetes" },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.5.15-0\n    command:\n    - etcd\n    - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt\n    - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key\n    - -peer-client-cert-auth=false\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.5.15-0\n    command:\n    - etcd\n    - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt\n    - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key\n    - -peer-client-cert-auth\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    super::etcd_client_tls::audit_etcd_tls(ctx, out, "peer-", "peer");
}
