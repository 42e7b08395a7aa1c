//! `workload.default-service-account` — pods that run as their namespace's `default` ServiceAccount.
//!
//! Checks: `serviceAccountName` (or its deprecated alias `serviceAccount`) of a Pod or pod template spec. Fires
//! when neither is set (the API server then assigns `default`) or when it is `default`.
//!
//! Why: every pod of the namespace that did not choose an account shares `default`. Any RoleBinding made to it
//! ("just to make it work") silently extends to all of them, and its token identifies no workload in audit
//! logs. A dedicated ServiceAccount per workload keeps RBAC least-privilege and attributable.
//!
//! References: CIS Kubernetes Benchmark 5.1.5 ("Ensure that default service accounts are not actively used");
//! NSA/CISA Kubernetes Hardening Guide, "Service accounts"; Kubernetes docs "Configure Service Accounts for Pods".

use crate::workload::service_account_token_automount::service_account_name;
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "workload.default-service-account",
        title: "Pod runs as the default ServiceAccount",
        severity: Severity::Low,
        phase: Phase::RuntimeAccess,
        rationale: "Pods that name no ServiceAccount run as the namespace's `default` account, shared by every such \
            pod. A permission granted to `default` for one application silently extends to all of them, and API \
            audit logs cannot tell which workload acted. One ServiceAccount per workload keeps RBAC least-privilege \
            and attributable.",
        remediation: "Create a ServiceAccount for the workload (with automountServiceAccountToken: false unless it \
            calls the API), bind only the roles it needs, and set serviceAccountName in the pod spec.",
        references: &[
            Reference { kind: RefKind::Cis, id: "5.1.5", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Service accounts",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference {
                kind: RefKind::K8sDocs,
                id: "Configure Service Accounts for Pods",
                url: "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
            },
        ],
        fail_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n",
        pass_example: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      serviceAccountName: web\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = &ctx.pod else {
        return;
    };
    match service_account_name(pod.spec) {
        Some("default") => {
            let entry = ["serviceAccountName", "serviceAccount"]
                .into_iter()
                .find_map(|key| pod.spec.entry(key).filter(|e| e.value.as_str() == Some("default")));
            let (pos, key) = entry.map_or((pod.spec.pos, "serviceAccountName"), |e| (e.value.pos, e.key.as_str()));
            out.emit(
                ctx.object,
                pos,
                format!("{}.{key}", pod.spec_path),
                format!(
                    "{} sets {key}: default: it runs as the namespace's shared default ServiceAccount",
                    ctx.object.id.display_name()
                ),
            );
        }
        Some(_) => {}
        None => out.emit(
            ctx.object,
            pod.spec.pos,
            format!("{}.serviceAccountName", pod.spec_path),
            format!(
                "{} does not set serviceAccountName: it runs as the namespace's shared default ServiceAccount",
                ctx.object.id.display_name()
            ),
        ),
    }
}
