//! `controlplane.controller-manager-profiling` — kube-controller-manager serves the Go profiling endpoints.
//!
//! Checks: static Pods running `kube-controller-manager`; bool flag `--profiling` (default `true`). Passes only
//! with `--profiling=false`.
//!
//! Why: `/debug/pprof` exposes stacks and heap of a process holding the service-account signing key.
//!
//! References: CIS Kubernetes Benchmark 1.3.2.

use crate::util::flags::{require_bool_flag, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.controller-manager-profiling",
        title: "kube-controller-manager profiling endpoints enabled",
        severity: Severity::Low,
        phase: Phase::RuntimeAccess,
        rationale: "--profiling defaults to true and serves /debug/pprof: stack traces and heap profiles of the \
            process that holds the service-account signing key and cluster-admin-level credentials.",
        remediation: "Add --profiling=false to the kube-controller-manager command.",
        references: &[Reference { kind: RefKind::Cis, id: "1.3.2", url: "https://www.cisecurity.org/benchmark/kubernetes" }],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-controller-manager-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-controller-manager\n    image: registry.k8s.io/kube-controller-manager:v1.31.0\n    command:\n    - kube-controller-manager\n    - --profiling\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-controller-manager-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-controller-manager\n    image: registry.k8s.io/kube-controller-manager:v1.31.0\n    command:\n    - kube-controller-manager\n    - --profiling=false\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    require_bool_flag(
        ctx.object,
        Component::ControllerManager,
        "profiling",
        true,
        false,
        "/debug/pprof is served",
        out,
    );
}
