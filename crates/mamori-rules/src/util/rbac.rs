//! Exact Kubernetes RBAC matching over the document tree, shared by the `rbac.*` rules (and meant to be reused
//! by a full RBAC analyzer).
//!
//! The matchers follow upstream `k8s.io/component-helpers/auth/rbac/validation` (`VerbMatches`,
//! `APIGroupMatches`, `ResourceMatches`, `ResourceNameMatches`) literally:
//! - verbs: `*` or the exact (case-sensitive) verb;
//! - apiGroups: `*` or the exact group, `""` being the core group;
//! - resources: `*` (every resource and subresource), the exact `resource` or `resource/subresource`, or
//!   `*/subresource` (that subresource of any resource). `pods/*` is NOT a wildcard upstream: it only matches a
//!   request for the literal subresource `*`, so it grants nothing in practice;
//! - resourceNames: empty = every name; otherwise the request's name must be listed. A request without a name
//!   (`create` on a collection, `list` without a `metadata.name` field selector) never matches a rule with
//!   resourceNames.
//!
//! Nothing here allocates: rules read the tree in place and only format text when they emit.

use mamori_model::{K8sObject, Node, Pos};

/// The RBAC API group.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Which object name a request carries, for resourceNames matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestName<'a> {
    /// No name (create on a collection, list/watch without a name selector).
    Unnamed,
    /// This exact name.
    Named(&'a str),
    /// "Some object exists that the rule covers": true unless the rule cannot match any named request.
    AnyName,
}

/// One resource request, as the RBAC authorizer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub verb: &'a str,
    /// `""` for the core group.
    pub api_group: &'a str,
    pub resource: &'a str,
    /// `""` when the request is not for a subresource.
    pub subresource: &'a str,
    pub name: RequestName<'a>,
}

/// The string items of a list field of a PolicyRule (non-strings are skipped: the API server rejects them).
pub fn str_items<'a>(
    rule: &'a Node,
    field: &str,
) -> impl Iterator<Item = (usize, &'a Node, &'a str)> + 'a {
    rule.get(field)
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.as_str().map(|s| (i, n, s)))
}

/// Whether the list `field` of `rule` contains `value` exactly.
pub fn list_contains(rule: &Node, field: &str, value: &str) -> bool {
    str_items(rule, field).any(|(_, _, s)| s == value)
}

/// `VerbMatches`: `*` or the exact verb.
pub fn verb_matches(rule: &Node, verb: &str) -> bool {
    str_items(rule, "verbs").any(|(_, _, v)| v == "*" || v == verb)
}

/// `APIGroupMatches`: `*` or the exact group (`""` = core).
pub fn api_group_matches(rule: &Node, group: &str) -> bool {
    str_items(rule, "apiGroups").any(|(_, _, g)| g == "*" || g == group)
}

/// Whether one `resources` entry covers `resource` / `subresource` (upstream `ResourceMatches` for one entry).
pub fn resource_entry_matches(entry: &str, resource: &str, subresource: &str) -> bool {
    if entry == "*" {
        return true;
    }
    if subresource.is_empty() {
        return entry == resource;
    }
    // `resource/subresource` exactly, or `*/subresource`.
    match entry.split_once('/') {
        Some((res, sub)) => sub == subresource && (res == resource || res == "*"),
        None => false,
    }
}

/// The first `resources` entry of `rule` covering the request's resource: its index and node (for positions).
pub fn matching_resource<'a>(
    rule: &'a Node,
    resource: &str,
    subresource: &str,
) -> Option<(usize, &'a Node)> {
    str_items(rule, "resources")
        .find(|(_, _, entry)| resource_entry_matches(entry, resource, subresource))
        .map(|(i, node, _)| (i, node))
}

/// The resourceNames of `rule` (empty slice when unrestricted).
pub fn resource_names(rule: &Node) -> &[Node] {
    rule.get("resourceNames")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
}

/// `ResourceNameMatches`.
pub fn resource_name_matches(rule: &Node, name: RequestName<'_>) -> bool {
    let names = resource_names(rule);
    if names.is_empty() {
        return true;
    }
    match name {
        RequestName::Unnamed => false,
        RequestName::AnyName => true,
        RequestName::Named(wanted) => names.iter().any(|n| n.as_str() == Some(wanted)),
    }
}

/// `RuleAllows` for a resource request: verb, group, resource and name all match.
pub fn rule_allows(rule: &Node, req: &Request<'_>) -> bool {
    verb_matches(rule, req.verb)
        && api_group_matches(rule, req.api_group)
        && matching_resource(rule, req.resource, req.subresource).is_some()
        && resource_name_matches(rule, req.name)
}

/// Whether any of `rules` (a Role's `rules` list) allows the request.
pub fn rules_allow(rules: &[Node], req: &Request<'_>) -> bool {
    rules.iter().any(|rule| rule_allows(rule, req))
}

/// Role or ClusterRole, and how far its grants reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    /// A Role: its own namespace only.
    Role,
    /// A ClusterRole: cluster-wide when bound by a ClusterRoleBinding, one namespace when bound by a RoleBinding.
    ClusterRole,
}

/// The policy rules of a Role / ClusterRole of the RBAC group (None for every other object, so rules return
/// early). For an aggregated ClusterRole (`aggregationRule`) these are the declared rules only: the controller
/// fills in the rest from the selected ClusterRoles at runtime.
pub fn role_rules(object: &K8sObject) -> Option<(RoleKind, &[Node])> {
    let kind = match object.id.kind.as_str() {
        "Role" => RoleKind::Role,
        "ClusterRole" => RoleKind::ClusterRole,
        _ => return None,
    };
    if !is_rbac_api(object) {
        return None;
    }
    let rules = object.root.get("rules").and_then(Node::as_seq)?;
    Some((kind, rules))
}

/// Whether the object's apiVersion is in the RBAC group (a CRD may also be called `Role`).
pub fn is_rbac_api(object: &K8sObject) -> bool {
    object
        .id
        .api_version
        .split_once('/')
        .is_some_and(|(group, _)| group == RBAC_GROUP)
}

/// `Role shop/reader` or `ClusterRole reader` for messages.
pub fn role_label(object: &K8sObject) -> String {
    match object.id.namespace.as_deref() {
        Some(ns) if object.id.kind == "Role" => format!("Role {ns}/{}", object.id.name),
        _ => format!("{} {}", object.id.kind, object.id.name),
    }
}

/// How a grant reaches: for messages.
pub fn scope_phrase(kind: RoleKind) -> &'static str {
    match kind {
        RoleKind::Role => "in its namespace",
        RoleKind::ClusterRole => {
            "in every namespace when bound by a ClusterRoleBinding (in one namespace when bound by a RoleBinding)"
        }
    }
}

/// How a ClusterRole's grant on a cluster-scoped resource (nodes, certificatesigningrequests, signers) reaches:
/// only a ClusterRoleBinding grants cluster-scoped resources (a Role, or a RoleBinding, cannot).
pub const CLUSTER_SCOPED_PHRASE: &str = "when bound by a ClusterRoleBinding";

/// The verbs among `wanted` that `rule` grants on the request (other fields of `req` fixed; `req.verb` ignored),
/// in the order of `wanted`, as a bit mask (bit i = `wanted[i]`).
pub fn granted_verbs(rule: &Node, wanted: &[&str], req: &Request<'_>) -> u32 {
    if !api_group_matches(rule, req.api_group)
        || matching_resource(rule, req.resource, req.subresource).is_none()
        || !resource_name_matches(rule, req.name)
    {
        return 0;
    }
    wanted
        .iter()
        .enumerate()
        .take(32)
        .filter(|(_, verb)| verb_matches(rule, verb))
        .fold(0, |mask, (i, _)| mask | (1 << i))
}

/// `get, list` from a verb mask of [`granted_verbs`].
pub fn verb_list(wanted: &[&str], mask: u32) -> String {
    let mut out = String::new();
    for (i, verb) in wanted.iter().enumerate().take(32) {
        if mask & (1 << i) != 0 {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(verb);
        }
    }
    out
}

/// Explains which wildcards in `rule` produce a grant, e.g. ` (through verbs "*", resources "*")`, or "".
pub fn wildcard_note(
    rule: &Node,
    verb_wildcard_matters: bool,
    resource_entry: Option<&str>,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    if verb_wildcard_matters && list_contains(rule, "verbs", "*") {
        parts.push("verbs \"*\"".to_owned());
    }
    if list_contains(rule, "apiGroups", "*") {
        parts.push("apiGroups \"*\"".to_owned());
    }
    if let Some(entry) = resource_entry.filter(|e| e.starts_with('*')) {
        parts.push(format!("resources \"{entry}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" (through {})", parts.join(", "))
    }
}

/// ` restricted by resourceNames [a, b]`, or "" when the rule covers every name.
pub fn resource_names_note(rule: &Node) -> String {
    let names = resource_names(rule);
    if names.is_empty() {
        return String::new();
    }
    let list: Vec<&str> = names.iter().filter_map(Node::as_str).collect();
    format!(", restricted by resourceNames [{}]", list.join(", "))
}

/// A policy rule with `*` in apiGroups, resources and verbs: everything, like cluster-admin. The dedicated
/// `rbac.wildcard-all` rule reports it once; the narrower rules skip it so one superuser rule is not reported
/// a dozen times.
pub fn is_full_wildcard(rule: &Node) -> bool {
    list_contains(rule, "verbs", "*")
        && list_contains(rule, "apiGroups", "*")
        && list_contains(rule, "resources", "*")
}

/// The default roles the API server bootstraps (label `kubernetes.io/bootstrapping: rbac-defaults` AND a name
/// Kubernetes reserves: `system:*`, `cluster-admin`, `admin`, `edit`, `view`). They are reported nowhere: they
/// exist in every cluster, and what matters is who is bound to them. Both conditions are required, so copying
/// the label onto a custom role does not hide it.
pub fn is_bootstrap_role(object: &K8sObject) -> bool {
    let labelled = object
        .root
        .path(&["metadata", "labels", "kubernetes.io/bootstrapping"])
        .and_then(Node::as_str)
        == Some("rbac-defaults");
    let name = object.id.name.as_str();
    labelled
        && (name.starts_with("system:")
            || matches!(name, "cluster-admin" | "admin" | "edit" | "view"))
}

/// Policy rules a rule of the catalogue should judge: those of a Role / ClusterRole that is not a bootstrap
/// default (see [`is_bootstrap_role`]).
pub fn judged_role_rules(object: &K8sObject) -> Option<(RoleKind, &[Node])> {
    if is_bootstrap_role(object) {
        return None;
    }
    role_rules(object)
}

/// Kubernetes docs, "Role Based Access Control Good Practices".
pub const RBAC_GOOD_PRACTICES: crate::Reference = crate::Reference {
    kind: crate::RefKind::K8sDocs,
    id: "RBAC Good Practices",
    url: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
};

/// Kubernetes docs, "Using RBAC Authorization".
pub const USING_RBAC: crate::Reference = crate::Reference {
    kind: crate::RefKind::K8sDocs,
    id: "Using RBAC Authorization",
    url: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
};

/// NSA/CISA Kubernetes Hardening Guide, "Authentication and authorization".
pub const NSA_AUTHZ: crate::Reference = crate::Reference {
    kind: crate::RefKind::NsaCisa,
    id: "Authentication and authorization",
    url: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
};

/// A CIS Kubernetes Benchmark recommendation.
pub const fn cis(id: &'static str) -> crate::Reference {
    crate::Reference {
        kind: crate::RefKind::Cis,
        id,
        url: "https://www.cisecurity.org/benchmark/kubernetes",
    }
}

/// A MITRE ATT&CK technique.
pub const fn attack(id: &'static str, url: &'static str) -> crate::Reference {
    crate::Reference {
        kind: crate::RefKind::MitreAttack,
        id,
        url,
    }
}

/// Position and path of the `resources` entry `index` of `rules[rule_index]`.
pub fn resource_location(rule_index: usize, entry_index: usize, entry: &Node) -> (Pos, String) {
    (
        entry.pos,
        format!("rules[{rule_index}].resources[{entry_index}]"),
    )
}

/// One policy rule that grants some of the wanted verbs on a resource.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    pub rule_index: usize,
    pub rule: &'a Node,
    /// The `resources` entry that covers the resource, and its index.
    pub entry_index: usize,
    pub entry: &'a Node,
    /// Bit mask over the wanted verbs (see [`granted_verbs`]).
    pub verbs: u32,
}

/// The rules of a Role that grant any of `wanted` verbs on `api_group` / `resource` / `subresource` for a
/// request carrying `name`.
pub fn grants<'a>(
    rules: &'a [Node],
    wanted: &'a [&'a str],
    api_group: &'a str,
    resource: &'a str,
    subresource: &'a str,
    name: RequestName<'a>,
) -> impl Iterator<Item = Grant<'a>> + 'a {
    let req = Request {
        verb: "",
        api_group,
        resource,
        subresource,
        name,
    };
    rules
        .iter()
        .enumerate()
        .filter_map(move |(rule_index, rule)| {
            let verbs = granted_verbs(rule, wanted, &req);
            if verbs == 0 {
                return None;
            }
            let (entry_index, entry) = matching_resource(rule, resource, subresource)?;
            Some(Grant {
                rule_index,
                rule,
                entry_index,
                entry,
                verbs,
            })
        })
}

impl Grant<'_> {
    /// Where to point: the covering `resources` entry.
    pub fn location(&self) -> (Pos, String) {
        resource_location(self.rule_index, self.entry_index, self.entry)
    }

    /// `ClusterRole ops rules[1] grants create on pods/exec (through resources "*/exec") in every namespace ...,
    /// restricted by resourceNames [a]`.
    pub fn describe(
        &self,
        object: &K8sObject,
        scope: &str,
        wanted: &[&str],
        target: &str,
    ) -> String {
        let verb_wildcard = list_contains(self.rule, "verbs", "*");
        format!(
            "{} rules[{}] grants {} on {target}{} {}{}",
            role_label(object),
            self.rule_index,
            verb_list(wanted, self.verbs),
            wildcard_note(self.rule, verb_wildcard, self.entry.as_str()),
            scope,
            resource_names_note(self.rule),
        )
    }
}

/// A resource a rule of the catalogue asks about.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub api_group: &'static str,
    pub resource: &'static str,
    pub subresource: &'static str,
}

impl Target {
    pub const fn new(
        api_group: &'static str,
        resource: &'static str,
        subresource: &'static str,
    ) -> Target {
        Target {
            api_group,
            resource,
            subresource,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.resource)?;
        if !self.subresource.is_empty() {
            write!(f, "/{}", self.subresource)?;
        }
        if !self.api_group.is_empty() {
            write!(f, " ({})", self.api_group)?;
        }
        Ok(())
    }
}

/// For every policy rule of `rules` (superuser rules excepted: `rbac.wildcard-all` reports those) that grants
/// any of `wanted` on any of `targets`, emits one finding at the covering `resources` entry of the first target
/// granted, naming every granted target, the verbs, the wildcards involved, the reach (`scope`) and
/// resourceNames restrictions.
pub fn emit_grants(
    object: &K8sObject,
    out: &mut crate::Emitter<'_>,
    rules: &[Node],
    scope: &str,
    wanted: &[&str],
    targets: &[Target],
    name: RequestName<'_>,
) {
    for (rule_index, rule) in rules.iter().enumerate() {
        if is_full_wildcard(rule) {
            continue;
        }
        let one = std::slice::from_ref(rule);
        let granted =
            |t: &Target| grants(one, wanted, t.api_group, t.resource, t.subresource, name).next();
        let Some((first_index, mut first)) = targets
            .iter()
            .enumerate()
            .find_map(|(ti, t)| granted(t).map(|g| (ti, g)))
        else {
            continue;
        };
        first.rule_index = rule_index;
        let mut label = targets
            .get(first_index)
            .map(ToString::to_string)
            .unwrap_or_default();
        for target in targets.iter().skip(first_index + 1) {
            if granted(target).is_some() {
                label.push_str(", ");
                label.push_str(&target.to_string());
            }
        }
        let (pos, path) = first.location();
        out.emit(
            object,
            pos,
            path,
            first.describe(object, scope, wanted, &label),
        );
    }
}

/// A subject of a RoleBinding / ClusterRoleBinding.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub index: usize,
    pub node: &'a Node,
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: &'a str,
    pub name: &'a str,
    /// ServiceAccount namespace (may be empty: defaults to the binding's namespace for RoleBindings).
    pub namespace: &'a str,
}

/// A RoleBinding / ClusterRoleBinding of the RBAC group: roleRef kind and name, and the subjects.
pub struct Binding<'a> {
    pub cluster_wide: bool,
    pub role_kind: &'a str,
    pub role_name: &'a str,
    pub subjects: &'a [Node],
}

/// Reads a binding (None for every other object).
pub fn binding(object: &K8sObject) -> Option<Binding<'_>> {
    let cluster_wide = match object.id.kind.as_str() {
        "RoleBinding" => false,
        "ClusterRoleBinding" => true,
        _ => return None,
    };
    if !is_rbac_api(object) {
        return None;
    }
    let role_ref = object.root.get("roleRef")?;
    Some(Binding {
        cluster_wide,
        role_kind: role_ref.get("kind").and_then(Node::as_str).unwrap_or(""),
        role_name: role_ref.get("name").and_then(Node::as_str).unwrap_or(""),
        subjects: object
            .root
            .get("subjects")
            .and_then(Node::as_seq)
            .unwrap_or(&[]),
    })
}

impl<'a> Binding<'a> {
    /// The well-formed subjects (maps with kind and name strings).
    pub fn subjects(&self) -> impl Iterator<Item = Subject<'a>> + 'a {
        self.subjects
            .iter()
            .enumerate()
            .filter_map(|(index, node)| {
                Some(Subject {
                    index,
                    node,
                    kind: node.get("kind").and_then(Node::as_str)?,
                    name: node.get("name").and_then(Node::as_str)?,
                    namespace: node.get("namespace").and_then(Node::as_str).unwrap_or(""),
                })
            })
    }
}

/// Whether a subject is one of Kubernetes' own identities (`system:kube-controller-manager`,
/// `system:masters`, `system:nodes`, ...). Not built-in, although spelled `system:`: service-account identities
/// (`system:serviceaccount:<ns>:<name>` users, `system:serviceaccounts[:<ns>]` groups, which are ordinary
/// workloads) and the public identities (`system:anonymous`, `system:unauthenticated`,
/// `system:authenticated`).
pub fn is_builtin_system_subject(subject: &Subject<'_>) -> bool {
    if subject.kind == "ServiceAccount" || !subject.name.starts_with("system:") {
        return false;
    }
    if public_subject(subject).is_some() {
        return false;
    }
    match subject.kind {
        "User" => !subject.name.starts_with("system:serviceaccount:"),
        "Group" => {
            !(subject.name == "system:serviceaccounts"
                || subject.name.starts_with("system:serviceaccounts:"))
        }
        _ => false,
    }
}

/// When the subject stands for "anyone" (the exact kind/name pairs the authenticators produce): `User
/// system:anonymous` (unauthenticated requests), `Group system:unauthenticated` (same), `Group
/// system:authenticated` (every authenticated identity, including every service account of every namespace).
/// Returns who that is, for messages.
pub fn public_subject(subject: &Subject<'_>) -> Option<&'static str> {
    match (subject.kind, subject.name) {
        ("User", "system:anonymous") => Some("every unauthenticated (anonymous) request"),
        ("Group", "system:unauthenticated") => Some("every unauthenticated (anonymous) request"),
        ("Group", "system:authenticated") => {
            Some("every authenticated identity, including every service account in every namespace")
        }
        _ => None,
    }
}

/// `ServiceAccount shop/builder`, `User alice`, `Group devs` for messages.
pub fn subject_label(subject: &Subject<'_>, binding_namespace: Option<&str>) -> String {
    if subject.kind == "ServiceAccount" {
        let ns = if subject.namespace.is_empty() {
            binding_namespace.unwrap_or("")
        } else {
            subject.namespace
        };
        format!("ServiceAccount {ns}/{}", subject.name)
    } else {
        format!("{} {}", subject.kind, subject.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_entries_follow_upstream_resource_matches() {
        assert!(resource_entry_matches("*", "pods", ""));
        assert!(resource_entry_matches("*", "pods", "exec"));
        assert!(resource_entry_matches("pods", "pods", ""));
        assert!(!resource_entry_matches("pods", "pods", "exec"));
        assert!(resource_entry_matches("pods/exec", "pods", "exec"));
        assert!(resource_entry_matches("*/exec", "pods", "exec"));
        assert!(!resource_entry_matches("*/exec", "pods", ""));
        assert!(!resource_entry_matches("pods/*", "pods", "exec"));
        assert!(!resource_entry_matches("pods/exec", "pods", "attach"));
        assert!(!resource_entry_matches("*/log", "pods", "exec"));
    }
}
