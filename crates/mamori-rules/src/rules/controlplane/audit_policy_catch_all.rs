//! `controlplane.audit-policy-catch-all` — the audit policy does not end with a rule that catches everything.
//!
//! Checks: every audit `Policy` (audit.k8s.io) in the input. Rules are first-match; a request no rule matches
//! is not audited. The last rule must match every request (no users, userGroups, verbs, namespaces, resources
//! or nonResourceURLs) with a level other than `None`. Also reports a catch-all rule that is not last: the
//! rules after it can never match.
//!
//! References: CIS Kubernetes Benchmark 3.2.1 (minimal audit policy) and 3.2.2; Kubernetes docs "Auditing".

use crate::util::flags::{audit_rule_is_catch_all, is_audit_policy, policy_name};
use crate::{Check, Emitter, ObjectCtx, RefKind, Reference, Rule, RuleMeta};
use mamori_model::{Node, Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "controlplane.audit-policy-catch-all",
        title: "Audit policy has no final catch-all rule",
        severity: Severity::Medium,
        phase: Phase::Observability,
        rationale: "Audit rules are evaluated in order and the first match decides; requests that match no rule \
            are not audited at all. Without a final rule that matches everything (at Metadata or above), new \
            resources, CRDs and unanticipated verbs leave no trace. A catch-all placed earlier silently disables \
            every rule after it.",
        remediation: "End the policy with `- level: Metadata` (no other fields besides omitStages), and keep \
            specific rules before it.",
        references: &[
            Reference { kind: RefKind::Cis, id: "3.2.1", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::Cis, id: "3.2.2", url: "https://www.cisecurity.org/benchmark/kubernetes" },
            Reference { kind: RefKind::K8sDocs, id: "Auditing", url: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/" },
        ],
        fail_example: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [\"secrets\"]\n- level: RequestResponse\n  verbs: [\"create\", \"update\", \"patch\", \"delete\"]\n",
        pass_example: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [\"secrets\"]\n- level: RequestResponse\n  verbs: [\"create\", \"update\", \"patch\", \"delete\"]\n- level: Metadata\n  omitStages: [\"RequestReceived\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

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
    let Some((last_index, last)) = rules.len().checked_sub(1).zip(rules.last()) else {
        let pos = ctx
            .root()
            .entry("rules")
            .map_or(ctx.object.source.pos, |e| e.key_pos);
        out.emit(
            ctx.object,
            pos,
            "rules",
            format!("audit Policy {name} has no rules: nothing is audited"),
        );
        return;
    };
    if let Some(first) = rules
        .iter()
        .position(audit_rule_is_catch_all)
        .filter(|&i| i < last_index)
    {
        let pos = rules.get(first).map_or(ctx.object.source.pos, |r| r.pos);
        out.emit(ctx.object, pos, format!("rules[{first}]"), format!("audit Policy {name}: rules[{first}] matches every request, so rules[{}..{last_index}] never apply (rules are first-match)", first + 1));
        return;
    }
    let level_node = last.get("level");
    let level = level_node.and_then(Node::as_str).unwrap_or("");
    if !audit_rule_is_catch_all(last) {
        out.emit(ctx.object, last.pos, format!("rules[{last_index}]"), format!("audit Policy {name}: the last rule (rules[{last_index}]) is restricted, so requests no rule matches are not audited; end with `- level: Metadata`"));
    } else if level == "None" {
        let pos = level_node.map_or(last.pos, |n| n.pos);
        out.emit(ctx.object, pos, format!("rules[{last_index}].level"), format!("audit Policy {name}: the catch-all rules[{last_index}] has level None, so every request not matched earlier is not audited"));
    }
}
