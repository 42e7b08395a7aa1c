//! `controlplane.scheduler-profiling` — kube-scheduler serves the Go profiling endpoints.
//!
//! Checks: static Pods running `kube-scheduler`; bool flag `--profiling` (default `true`). Passes only with
//! `--profiling=false`. (A `--config` KubeSchedulerConfiguration can also set `enableProfiling`; flags given
//! on the command line win for this deprecated-but-honoured flag, and the file is not read here.)
//!
//! Why: `/debug/pprof` exposes stacks and heap profiles and costs CPU when scraped.
//!
//! References: CIS Kubernetes Benchmark 1.4.1.

use crate::util::flags::{require_bool_flag, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.scheduler-profiling",
        title: "kube-scheduler profiling endpoints enabled",
        severity: Severity::Low,
        phase: Phase::RuntimeAccess,
        rationale: "--profiling defaults to true and serves /debug/pprof: stack traces and heap profiles of the \
            scheduler, an information-disclosure and denial-of-service surface with no production use.",
        remediation: "Add --profiling=false to the kube-scheduler command (or enableProfiling: false in its \
            KubeSchedulerConfiguration).",
        references: &[Reference { kind: RefKind::Cis, id: "1.4.1", url: "https://www.cisecurity.org/benchmark/kubernetes" }],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-scheduler-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-scheduler\n    image: registry.k8s.io/kube-scheduler:v1.31.0\n    command:\n    - kube-scheduler\n    - --profiling=true\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-scheduler-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-scheduler\n    image: registry.k8s.io/kube-scheduler:v1.31.0\n    command:\n    - kube-scheduler\n    - --profiling=false\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    require_bool_flag(
        ctx.object,
        Component::Scheduler,
        "profiling",
        true,
        false,
        "/debug/pprof is served",
        out,
    );
}
