//! `controlplane.apiserver-service-account-lookup` — deleted service-account tokens stay valid.
//!
//! Checks: static Pods running `kube-apiserver`; bool flag `--service-account-lookup` (default `true`). Fires
//! only when it is set to false (or to a value that is not a Go bool).
//!
//! Why: without the lookup the API server validates service-account JWTs by signature only, so a token keeps
//! working after its ServiceAccount (or Secret) is deleted.
//!
//! References: CIS Kubernetes Benchmark 1.2.21.

use crate::util::flags::{require_bool_flag, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.apiserver-service-account-lookup",
        title: "kube-apiserver does not check that service-account tokens still exist",
        severity: Severity::Medium,
        phase: Phase::RuntimeAccess,
        rationale: "With --service-account-lookup=false a service-account token is accepted on its signature \
            alone: deleting the ServiceAccount or its token Secret does not revoke a leaked token.",
        remediation: "Remove --service-account-lookup=false from the kube-apiserver command (the default is true).",
        references: &[Reference { kind: RefKind::Cis, id: "1.2.21", url: "https://www.cisecurity.org/benchmark/kubernetes" }],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --service-account-lookup=false\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    require_bool_flag(
        ctx.object,
        Component::ApiServer,
        "service-account-lookup",
        true,
        true,
        "tokens of deleted service accounts remain valid",
        out,
    );
}
