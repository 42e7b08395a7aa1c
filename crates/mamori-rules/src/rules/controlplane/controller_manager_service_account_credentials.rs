//! `controlplane.controller-manager-service-account-credentials` — controllers share one identity.
//!
//! Checks: static Pods running `kube-controller-manager`; bool flag `--use-service-account-credentials`
//! (default `false`). Passes only with `--use-service-account-credentials=true` (kubeadm sets it).
//!
//! Why: without it every controller loop acts with the controller-manager's own, very broad credentials;
//! with it each controller uses its own ServiceAccount in kube-system bound to a least-privilege role.
//!
//! References: CIS Kubernetes Benchmark 1.3.3.

use crate::util::flags::{require_bool_flag, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.controller-manager-service-account-credentials",
        title: "kube-controller-manager controllers do not use individual service-account credentials",
        severity: Severity::Medium,
        phase: Phase::RuntimeAccess,
        rationale: "By default (--use-service-account-credentials=false) all controllers run with the \
            kube-controller-manager's own credentials, so a bug or compromise in any one controller has the \
            union of all their permissions, and audit logs cannot tell controllers apart.",
        remediation: "Add --use-service-account-credentials=true to the kube-controller-manager command.",
        references: &[Reference { kind: RefKind::Cis, id: "1.3.3", url: "https://www.cisecurity.org/benchmark/kubernetes" }],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-controller-manager-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-controller-manager\n    image: registry.k8s.io/kube-controller-manager:v1.31.0\n    command:\n    - kube-controller-manager\n    - --leader-elect=true\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-controller-manager-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-controller-manager\n    image: registry.k8s.io/kube-controller-manager:v1.31.0\n    command:\n    - kube-controller-manager\n    - --leader-elect=true\n    - --use-service-account-credentials=true\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    require_bool_flag(
        ctx.object,
        Component::ControllerManager,
        "use-service-account-credentials",
        false,
        true,
        "every controller acts with the controller-manager's own credentials",
        out,
    );
}
