//! `workload.service-account-token-automount` — pods that mount a ServiceAccount token without opting out.
//!
//! Checks: `automountServiceAccountToken` of a Pod or pod template spec. Passes only on an explicit `false`;
//! fires when it is absent (the default mounts the token) or `true`.
//!
//! ServiceAccount-level opt-out: a ServiceAccount with `automountServiceAccountToken: false` also prevents the
//! mount when the pod leaves the field unset. This rule does **not** see it (known limitation): it is an object
//! rule, and the alternative, an inventory rule, would hold every workload of the scan in memory until the end
//! (the scan streams 100k-object inputs in constant memory). So a pod relying on its ServiceAccount's `false` is
//! reported; the message names the ServiceAccount so the reader can check. Setting the field on the pod is the
//! robust fix anyway: the pod's value takes precedence over the ServiceAccount's.
//!
//! Why: the mounted token authenticates to the API server as the pod's ServiceAccount. Most applications never
//! call the API, yet anyone who gets code execution in the container can read the token and use whatever RBAC
//! the ServiceAccount has.
//!
//! References: CIS Kubernetes Benchmark 5.1.6 ("Ensure that Service Account Tokens are only mounted where
//! necessary"); NSA/CISA Kubernetes Hardening Guide, "Service account tokens"; MITRE ATT&CK T1528 (Steal
//! Application Access Token).

use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.service-account-token-automount",
        title: "ServiceAccount token mounted into the pod",
        severity: Severity::Medium,
        phase: Phase::RuntimeAccess,
        rationale: "Unless automountServiceAccountToken is false, every container gets a token that authenticates \
            to the API server as the pod's ServiceAccount. Most applications never call the Kubernetes API, but an \
            intruder with code execution reads the token from /var/run/secrets/kubernetes.io/serviceaccount and \
            uses whatever RBAC the ServiceAccount holds, now or after someone grants it more.",
        remediation: "Set automountServiceAccountToken: false in the pod spec (spec.template.spec for workloads). \
            Pods that do call the API keep it enabled, use a dedicated ServiceAccount with minimal RBAC, and can \
            disable this rule for themselves through an exception.",
        references: &[
            Reference { kind: RefKind::Cis, id: "5.1.6", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Service account tokens",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::MitreAttack, id: "T1528", url: "https://attack.mitre.org/techniques/T1528/" },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      serviceAccountName: web\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      serviceAccountName: web\n      automountServiceAccountToken: false\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = &ctx.pod else {
        return;
    };
    let field = pod.spec.get("automountServiceAccountToken");
    if field.and_then(Node::as_bool) == Some(false) {
        return;
    }
    let account = service_account_name(pod.spec).unwrap_or("default");
    let (pos, what) = match field {
        Some(node) if node.as_bool() == Some(true) => {
            (node.pos, "sets automountServiceAccountToken: true")
        }
        Some(node) if !node.is_null() => (
            node.pos,
            "sets automountServiceAccountToken to a non-boolean",
        ),
        _ => (
            pod.spec.pos,
            "does not set automountServiceAccountToken: false",
        ),
    };
    out.emit(
        ctx.object,
        pos,
        format!("{}.automountServiceAccountToken", pod.spec_path),
        format!(
            "{} {what}: the API token of ServiceAccount {account:?} is mounted into its containers",
            ctx.object.id.display_name()
        ),
    );
}

/// `serviceAccountName`, falling back to the deprecated `serviceAccount` alias as the API server does; None when
/// neither is a non-empty string (the pod then runs as `default`).
pub(crate) fn service_account_name(spec: &Node) -> Option<&str> {
    ["serviceAccountName", "serviceAccount"]
        .into_iter()
        .find_map(|key| {
            spec.get(key)
                .and_then(Node::as_str)
                .filter(|name| !name.is_empty())
        })
}
