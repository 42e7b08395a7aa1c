//! `controlplane.kubelet-certificate-rotation` — kubelet client or serving certificates are not rotated.
//!
//! Checks (inventory: Pod, KubeletConfiguration), flags overriding the `--config` file:
//! - client: `rotateCertificates` / `--rotate-certificates` must be true (default false);
//! - serving: `serverTLSBootstrap` / `--rotate-server-certificates` must be true (default false) unless a
//!   certificate is provided (`tlsCertFile` / `--tls-cert-file`); and the feature gate
//!   RotateKubeletServerCertificate (`featureGates` / `--feature-gates`) must not be false.
//!
//! Why: without client rotation the kubelet's credential expires (node goes NotReady) or is replaced by a
//! long-lived one; without serving bootstrap the kubelet serves a self-signed certificate the API server can
//! never verify (`--kubelet-certificate-authority` then breaks exec/logs).
//!
//! References: CIS Kubernetes Benchmark 4.2.10, 4.2.11 (and 1.3.6 on the controller-manager side).

use crate::util::flags::{audit_kubelet, kubelet_bool, KubeletSetting, KubeletValue};
use crate::{Check, Emitter, Inventory, RefKind, Reference, Rule, RuleMeta, RuleSettings};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.kubelet-certificate-rotation",
        title: "Kubelet certificates are not rotated",
        severity: Severity::Medium,
        phase: Phase::RuntimeAccess,
        rationale: "rotateCertificates renews the kubelet's client certificate before it expires; without it \
            nodes drop out or operators install long-lived credentials. serverTLSBootstrap makes the kubelet \
            request a CA-signed serving certificate; otherwise it serves a self-signed one that the API server \
            cannot verify, so kubelet connections stay open to impersonation.",
        remediation: "Set rotateCertificates: true and serverTLSBootstrap: true in the KubeletConfiguration, keep \
            the RotateKubeletServerCertificate feature gate enabled, and approve kubelet-serving CSRs (or run an \
            approver).",
        references: &[
            Reference { kind: RefKind::Cis, id: "4.2.10", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::Cis, id: "4.2.11", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Certificate rotation",
                url: "https://kubernetes.io/docs/tasks/tls/certificate-rotation/",
            },
        ],
        fail_example: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nrotateCertificates: false\nserverTLSBootstrap: true\nfeatureGates:\n  RotateKubeletServerCertificate: false\n",
        pass_example: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nrotateCertificates: true\nserverTLSBootstrap: true\n",
        example_settings: None,
    },
    check: Check::InventoryFiltered {
        kinds: &["Pod", "KubeletConfiguration"],
        keep: crate::util::flags::keep_component_pods,
        check,
    },
};

fn check(inventory: &Inventory, _settings: &RuleSettings, out: &mut Emitter<'_>) {
    audit_kubelet(
        inventory,
        "rotate-certificates",
        &["rotateCertificates"],
        |_, value| {
            match (kubelet_bool(value), value) {
            (Some(Ok(true)), _) | (None, KubeletValue::Unknown) => None,
            (Some(Ok(false)), _) => Some("client certificate rotation is disabled (rotateCertificates / --rotate-certificates is false)".to_owned()),
            (Some(Err(text)), _) => Some(format!("rotateCertificates is {text:?}, which is not a boolean")),
            (None, _) => Some("rotateCertificates is not set (default false): the client certificate is never renewed".to_owned()),
        }
        },
        out,
    );
    audit_kubelet(
        inventory,
        "rotate-server-certificates",
        &["serverTLSBootstrap"],
        |view, value| {
            let provided = !matches!(
                view.setting("tls-cert-file", &["tlsCertFile"]),
                KubeletSetting::Default { .. } | KubeletSetting::Unknown
            );
            match (kubelet_bool(value), value) {
                (Some(Ok(true)), _) | (None, KubeletValue::Unknown) => None,
                _ if provided => None,
                (Some(Err(text)), _) => Some(format!("serverTLSBootstrap is {text:?}, which is not a boolean")),
                _ => Some("serverTLSBootstrap is not enabled and no tlsCertFile is given: the kubelet serves a self-signed certificate the API server cannot verify".to_owned()),
            }
        },
        out,
    );
    for view in crate::util::flags::kubelet_views(
        inventory.of_kind("Pod"),
        inventory.of_kind("KubeletConfiguration"),
    ) {
        if let Some((false, pos, path, object)) =
            view.feature_gate("RotateKubeletServerCertificate")
        {
            out.emit(object, pos, path, format!("{}: feature gate RotateKubeletServerCertificate is false: the serving certificate is never rotated", view.describe()));
        }
    }
}
