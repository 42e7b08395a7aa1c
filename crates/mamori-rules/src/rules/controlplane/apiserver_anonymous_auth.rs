//! `controlplane.apiserver-anonymous-auth` — kube-apiserver accepts anonymous requests.
//!
//! Checks: static Pods running `kube-apiserver` (see `util::flags::invocations`); the bool flag
//! `--anonymous-auth` (pflag semantics, last occurrence wins). Passes only with `--anonymous-auth=false`; the
//! binary's default is `true`. When `--authentication-config` is given and `--anonymous-auth` is not, the
//! anonymous setting lives in that AuthenticationConfiguration file (`anonymous.enabled`, 1.32+), which this
//! rule does not read, so it stays silent.
//!
//! Why: with anonymous auth on, every request without credentials is served as `system:anonymous` /
//! `system:unauthenticated`; one careless RoleBinding to that group exposes the API to the network.
//!
//! References: CIS Kubernetes Benchmark 1.2.1; NSA/CISA Kubernetes Hardening Guide "Authentication and
//! authorization"; MITRE ATT&CK T1190 (exploit public-facing application).

use crate::util::flags::{require_bool_flag, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.apiserver-anonymous-auth",
        title: "kube-apiserver allows anonymous requests",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "kube-apiserver defaults to --anonymous-auth=true: requests without credentials are \
            authenticated as system:anonymous in group system:unauthenticated. Health endpoints need nothing \
            more, but a single RoleBinding to that group (or a permissive webhook) then opens the API to anyone \
            who can reach the port.",
        remediation: "Add --anonymous-auth=false to the kube-apiserver command in \
            /etc/kubernetes/manifests/kube-apiserver.yaml (or, with structured authentication, set \
            anonymous.enabled: false in the AuthenticationConfiguration, optionally allowing only /livez, \
            /readyz and /healthz).",
        references: &[
            Reference { kind: RefKind::Cis, id: "1.2.1", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Authentication and authorization",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Anonymous requests",
                url: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1190", url: "https://attack.mitre.org/techniques/T1190/" },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\n  labels:\n    component: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --anonymous-auth=false\n    - --anonymous-auth\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\n  labels:\n    component: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --anonymous-auth=false\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if ctx.kind() != "Pod" {
        return;
    }
    let structured = crate::util::flags::invocations(ctx.object, Component::ApiServer)
        .iter()
        .any(|i| i.flags.has("authentication-config") && !i.flags.has("anonymous-auth"));
    if structured {
        return;
    }
    require_bool_flag(
        ctx.object,
        Component::ApiServer,
        "anonymous-auth",
        true,
        false,
        "requests without credentials are served as system:anonymous",
        out,
    );
}
