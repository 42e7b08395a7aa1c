//! `controlplane.audit-policy-sensitive-resources` — the audit policy records Secret, ConfigMap or TokenReview
//! bodies, or drops those requests.
//!
//! Checks: every audit `Policy` (audit.k8s.io) in the input — the file `--audit-policy-file` loads. Rules are
//! first-match: for `secrets` and `configmaps` (core group) and `tokenreviews` (authentication.k8s.io), walks the
//! rules in order until the first one that matches every request for the resource (no users, userGroups,
//! verbs, namespaces or resourceNames restriction). Every matching rule up to there with level `Request` or
//! `RequestResponse` is reported (bodies of those requests hold the secret values and tokens); a first
//! unrestricted rule with level `None` is reported (reads leave no trace). Conditional `None` rules (e.g. for
//! a system user) are fine. When no rule matches every request, `controlplane.audit-policy-catch-all` reports
//! the gap.
//!
//! References: CIS Kubernetes Benchmark 3.2.2; Kubernetes docs "Auditing"; MITRE ATT&CK T1552.007.

use crate::util::flags::{audit_rule_applies, is_audit_policy, policy_name};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.audit-policy-sensitive-resources",
        title: "Audit policy logs Secret, ConfigMap or TokenReview bodies, or not at all",
        severity: Severity::High,
        phase: Phase::Observability,
        rationale: "At Request or RequestResponse level the audit log contains the request and response bodies: \
            every Secret value read or written, ConfigMap contents and the bearer tokens in TokenReviews, copied \
            to wherever audit logs are shipped. Audit rules are first-match, so a catch-all RequestResponse rule \
            placed before (or instead of) a Metadata rule for these resources leaks them. Logging them at None \
            instead hides who read which Secret.",
        remediation: "Put a rule `- level: Metadata` with resources [{group: \"\", resources: [secrets, \
            configmaps]}, {group: authentication.k8s.io, resources: [tokenreviews]}] before any rule that logs \
            at Request or RequestResponse.",
        references: &[
            Reference { kind: RefKind::Cis, id: "3.2.2", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::K8sDocs, id: "Auditing", url: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/" },
            Reference { kind: RefKind::MitreAttack, id: "T1552.007", url: "https://attack.mitre.org/techniques/T1552/007/" },
        ],
        fail_example: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  users: [\"system:kube-proxy\"]\n- level: RequestResponse\n  resources:\n  - group: \"\"\n    resources: [\"secrets\"]\n- level: Metadata\n",
        pass_example: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  users: [\"system:kube-proxy\"]\n- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [\"secrets\", \"configmaps\"]\n  - group: authentication.k8s.io\n    resources: [\"tokenreviews\"]\n- level: RequestResponse\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const SENSITIVE: [(&str, &str); 3] = [
    ("", "secrets"),
    ("", "configmaps"),
    ("authentication.k8s.io", "tokenreviews"),
];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if ctx.kind() != "Policy" || !is_audit_policy(ctx.object) {
        return;
    }
    let name = policy_name(ctx.object);
    let rules = ctx
        .root()
        .get("rules")
        .and_then(Node::as_seq)
        .unwrap_or(&[]);
    for (group, resource) in SENSITIVE {
        for (i, rule) in rules.iter().enumerate() {
            let Some(every) = audit_rule_applies(rule, group, resource) else {
                continue;
            };
            let level_node = rule.get("level");
            let level = level_node.and_then(Node::as_str).unwrap_or("");
            let pos = level_node.map_or(rule.pos, |n| n.pos);
            let scope = if every { "all" } else { "some" };
            match level {
                "Request" | "RequestResponse" => out.emit(
                    ctx.object,
                    pos,
                    format!("rules[{i}].level"),
                    format!("audit Policy {}: rules[{i}] logs {scope} {resource} requests at {level}, writing their bodies into the audit log; log {resource} at Metadata in an earlier rule", name),
                ),
                "None" if every => out.emit(
                    ctx.object,
                    pos,
                    format!("rules[{i}].level"),
                    format!("audit Policy {}: rules[{i}] matches every {resource} request with level None, so access to {resource} is not audited; log it at Metadata", name),
                ),
                _ => {}
            }
            if every {
                break;
            }
        }
    }
}
