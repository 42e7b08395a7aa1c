//! `controlplane.apiserver-encryption-provider-config` — Secrets are stored unencrypted in etcd.
//!
//! Checks: static Pods running `kube-apiserver`; fires when `--encryption-provider-config` is absent or empty.
//! When it is set, the EncryptionConfiguration it names is audited by the storage rules if it is in the input
//! (matched by kind, or by file basename when several are present — `util::flags::resolve_config`).
//!
//! Why: without encryption at rest, every Secret is plain (base64) in etcd and in every etcd backup.
//!
//! References: CIS Kubernetes Benchmark 1.2.27; NSA/CISA Kubernetes Hardening Guide "Secrets"; MITRE ATT&CK
//! T1552.007 (container API credentials).

use crate::util::flags::{require_flags, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.apiserver-encryption-provider-config",
        title: "kube-apiserver does not encrypt Secrets at rest",
        severity: Severity::High,
        phase: Phase::RuntimeStorage,
        rationale: "Without --encryption-provider-config the API server writes Secrets to etcd as plain \
            base64. Anyone with read access to etcd, its data directory or a backup snapshot reads every \
            credential of the cluster.",
        remediation: "Write an EncryptionConfiguration (kms v2 or aescbc/secretbox for secrets, identity only \
            last), mount it into the kube-apiserver pod and add --encryption-provider-config=<path>; then \
            rewrite existing Secrets (kubectl get secrets -A -o json | kubectl replace -f -).",
        references: &[
            Reference { kind: RefKind::Cis, id: "1.2.27", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Secrets",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Encrypting confidential data at rest",
                url: "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1552.007", url: "https://attack.mitre.org/techniques/T1552/007/" },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --etcd-servers=https://127.0.0.1:2379\n    - --encryption-provider-config=\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --etcd-servers=https://127.0.0.1:2379\n    - --encryption-provider-config=/etc/kubernetes/enc/enc.yaml\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    require_flags(
        ctx.object,
        Component::ApiServer,
        &["encryption-provider-config"],
        "Secrets are stored in etcd without encryption",
        out,
    );
}
