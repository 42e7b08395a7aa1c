//! `controlplane.apiserver-profiling` — kube-apiserver serves the Go profiling endpoints.
//!
//! Checks: static Pods running `kube-apiserver`; bool flag `--profiling` (default `true`). Passes only with
//! `--profiling=false`.
//!
//! Why: `/debug/pprof` exposes goroutine stacks, heap contents and CPU profiles; it is a denial-of-service and
//! information-disclosure surface nobody needs in production.
//!
//! References: CIS Kubernetes Benchmark 1.2.15.

use crate::util::flags::{require_bool_flag, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.apiserver-profiling",
        title: "kube-apiserver profiling endpoints enabled",
        severity: Severity::Low,
        phase: Phase::RuntimeAccess,
        rationale: "--profiling defaults to true and serves /debug/pprof on the secure port: stack traces, heap \
            profiles and CPU profiles of the process that holds every Secret. Profiling a production API server is \
            rarely needed and costly to expose.",
        remediation: "Add --profiling=false to the kube-apiserver command; enable it temporarily when debugging.",
        references: &[Reference { kind: RefKind::Cis, id: "1.2.15", url: "https://www.cisecurity.org/benchmark/kubernetes" }],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - /usr/local/bin/kube-apiserver\n    - --secure-port=6443\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - /usr/local/bin/kube-apiserver\n    - --secure-port=6443\n    - --profiling=false\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    require_bool_flag(
        ctx.object,
        Component::ApiServer,
        "profiling",
        true,
        false,
        "/debug/pprof is served",
        out,
    );
}
