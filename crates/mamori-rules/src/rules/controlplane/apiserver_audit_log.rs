//! `controlplane.apiserver-audit-log` — the API server writes no audit log.
//!
//! Checks: static Pods running `kube-apiserver`. Audit events are produced only when `--audit-policy-file`
//! is set (without a policy nothing is audited, whatever else is set), and they go somewhere only when
//! `--audit-log-path` or `--audit-webhook-config-file` is set. Fires when either half is missing or empty.
//! The Policy file itself, when in the input, is audited by `controlplane.audit-policy-*`.
//!
//! Why: audit logs are the only record of who read Secrets, exec'd into pods or changed RBAC.
//!
//! References: CIS Kubernetes Benchmark 1.2.16 and 3.2.1; NSA/CISA Kubernetes Hardening Guide "Audit logging
//! and threat detection".

use crate::util::flags::{invocations, who, Component};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.apiserver-audit-log",
        title: "kube-apiserver audit logging is not enabled",
        severity: Severity::High,
        phase: Phase::Observability,
        rationale: "kube-apiserver audits nothing unless --audit-policy-file names a policy, and the events are \
            discarded unless --audit-log-path or --audit-webhook-config-file gives them a destination. Without \
            both, reads of Secrets, exec sessions and RBAC changes leave no trace for incident response.",
        remediation: "Add --audit-policy-file=/etc/kubernetes/audit/policy.yaml and \
            --audit-log-path=/var/log/kubernetes/audit/audit.log (with --audit-log-maxage, --audit-log-maxbackup, \
            --audit-log-maxsize) or --audit-webhook-config-file, and mount both paths into the pod.",
        references: &[
            Reference { kind: RefKind::Cis, id: "1.2.16", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::Cis, id: "3.2.1", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference {
                kind: RefKind::NsaCisa,
                id: "Audit logging and threat detection",
                url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
            },
            Reference { kind: RefKind::K8sDocs, id: "Auditing", url: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/" },
        ],
        fail_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --audit-log-path=/var/log/kubernetes/audit/audit.log\n",
        pass_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --audit-log-path=/var/log/kubernetes/audit/audit.log\n    - --audit-policy-file=/etc/kubernetes/audit/policy.yaml\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if ctx.kind() != "Pod" {
        return;
    }
    for invocation in invocations(ctx.object, Component::ApiServer) {
        let set = |flag: &str| invocation.flags.value(flag).is_some_and(|v| !v.is_empty());
        let policy = set("audit-policy-file");
        let backend = set("audit-log-path") || set("audit-webhook-config-file");
        let problem = match (policy, backend) {
            (true, true) => continue,
            (false, false) => "sets neither --audit-policy-file nor --audit-log-path/--audit-webhook-config-file: no audit log is written",
            (false, true) => "sets an audit backend but no --audit-policy-file: without a policy no event is audited",
            (true, false) => "sets --audit-policy-file but neither --audit-log-path nor --audit-webhook-config-file: audit events are discarded",
        };
        let (pos, path) = invocation.locate_missing();
        out.emit(
            ctx.object,
            pos,
            path,
            format!("{} {problem}", who(&invocation, Component::ApiServer)),
        );
    }
}
