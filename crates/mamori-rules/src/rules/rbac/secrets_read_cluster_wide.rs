//! `rbac.secrets-read-cluster-wide` — a ClusterRole granting `get`, `list` or `watch` on secrets.
//!
//! Checks: `rules[]` of `ClusterRole` objects of `rbac.authorization.k8s.io`; fires on each policy rule that, by
//! exact RBAC matching, allows `get`, `list` or `watch` on core `secrets` (wildcard verbs, groups and resources
//! included and named in the message). A ClusterRole is judged as cluster-wide capable: bound by a
//! ClusterRoleBinding it reads the secrets of every namespace (bound by a RoleBinding, of that namespace only;
//! the bindings are not needed to judge the role, the message says so). Namespaced `Role`s are not judged
//! here. resourceNames restrict the grant to the named secrets and are mentioned (`list`/`watch` with
//! resourceNames only return those names). Superuser rules are left to `rbac.wildcard-all`. Aggregated
//! ClusterRoles are judged on their declared rules; bootstrap default roles are not judged.
//!
//! Why: secrets hold service-account tokens, registry credentials, TLS keys and database passwords; `list` and
//! `watch` return their contents, not just names.
//!
//! References: CIS Kubernetes Benchmark 5.1.2 ("Minimize access to secrets"); Kubernetes "RBAC Good
//! Practices" (listing secrets); MITRE ATT&CK T1552.007 (Unsecured Credentials: Container API).

use crate::util::rbac::{
    attack, cis, emit_grants, judged_role_rules, scope_phrase, RequestName, RoleKind, Target,
    RBAC_GOOD_PRACTICES,
};
use crate::{Check, Emitter, ObjectCtx, Rule, RuleMeta};
use mamori_model::{Phase, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "rbac.secrets-read-cluster-wide",
        title: "ClusterRole can read secrets",
        severity: Severity::High,
        phase: Phase::RuntimeAccess,
        rationale: "get, list and watch on secrets return their contents: service-account tokens, registry \
            credentials, TLS private keys, database passwords. A ClusterRole bound by a ClusterRoleBinding reads \
            them in every namespace, kube-system included.",
        remediation: "Grant secret access with a Role in the namespaces that need it, restricted by resourceNames \
            to the specific secrets; avoid list and watch, which return every secret's data.",
        references: &[
            cis("5.1.2"),
            RBAC_GOOD_PRACTICES,
            attack("T1552.007", "https://attack.mitre.org/techniques/T1552/007/"),
        ],
        fail_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: config-reader\nrules:\n- apiGroups: [\"\"]\n  resources: [\"configmaps\", \"secrets\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n",
        pass_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: config-reader\nrules:\n- apiGroups: [\"\"]\n  resources: [\"configmaps\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n",
        example_settings: None,
    },
    check: Check::Object(check),
};

const VERBS: &[&str] = &["get", "list", "watch"];
const TARGETS: &[Target] = &[Target::new("", "secrets", "")];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if let Some((kind @ RoleKind::ClusterRole, rules)) = judged_role_rules(ctx.object) {
        emit_grants(
            ctx.object,
            out,
            rules,
            scope_phrase(kind),
            VERBS,
            TARGETS,
            RequestName::AnyName,
        );
    }
}
