//! `controlplane.apiserver-kubelet-certificate-authority` — the API server does not verify kubelet certificates.
//!
//! Checks: static Pods running `kube-apiserver`; fires when `--kubelet-certificate-authority` is absent or
//! empty.
//!
//! Why: the API server connects to kubelets for `exec`, `attach`, `port-forward` and `logs`. Without a CA
//! it does not verify the kubelet's serving certificate, so anyone able to intercept node traffic can
//! impersonate a kubelet and read or inject session data. The kubelets need serving certificates signed by
//! that CA (kubelet `serverTLSBootstrap: true`).
//!
//! References: CIS Kubernetes Benchmark 1.2.5; Kubernetes docs "Control plane-node communication".

use crate::util::flags::{require_flags, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.apiserver-kubelet-certificate-authority",
        title: "kube-apiserver does not verify kubelet serving certificates",
        severity: Severity::Medium,
        phase: Phase::RuntimeAccess,
        rationale: "exec, attach, port-forward and logs travel from the API server to the kubelet over HTTPS. \
            Without --kubelet-certificate-authority the API server skips verification of the kubelet's \
            certificate, so a man in the middle on the node network can impersonate kubelets.",
        remediation: "Have kubelets obtain CA-signed serving certificates (serverTLSBootstrap: true and approve \
            the CSRs) and add --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt to kube-apiserver.",
        references: &[
            Reference { kind: RefKind::Cis, id: "1.2.5", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Control plane-node communication",
                url: "https://kubernetes.io/docs/concepts/architecture/control-plane-node-communication/",
            },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt\n    - --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    require_flags(
        ctx.object,
        Component::ApiServer,
        &["kubelet-certificate-authority"],
        "kubelet serving certificates are not verified",
        out,
    );
}
