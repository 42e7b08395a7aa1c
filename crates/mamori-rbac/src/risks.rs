//! `risks`: dangerous EFFECTIVE permissions per subject (the catalogue's `rbac.*` rules applied to what a
//! subject can do through all its bindings, not to single rules) and escalation paths, step by step with the
//! objects enabling each step.
//!
//! Attackers are every known subject except Kubernetes' own identities (`system:` users and groups other than
//! service accounts and the public groups); their permissions exclude the API server's default bindings
//! (`kubernetes.io/bootstrapping: rbac-defaults`), which grant Kubernetes components what they need. Targets
//! (the service account a pod runs as, the token a secret holds) are judged on all their permissions.

use crate::analyzer::{Analyzer, Grant, Permissions};
use crate::matching::{Request, ResourceRequest};
use crate::model::{PodInfo, PolicyRule, Subject, TokenSecret};
use mamori_model::finding::Location;
use mamori_model::{Finding, ObjectRef, Phase, Severity};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The kinds of escalation path `risks` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathKind {
    /// create pods in a namespace → run as any service account there → its permissions.
    PodCreate,
    /// read secrets in a namespace → a service-account token Secret → that account's permissions.
    SecretRead,
    /// bind + create bindings → bind a powerful role to oneself.
    Bind,
    /// escalate + update on a role bound to oneself → write any rule into it.
    Escalate,
    /// impersonate a group, user or service account → its permissions.
    Impersonate,
    /// create serviceaccounts/token → mint tokens for a service account → its permissions.
    TokenCreate,
    /// approve CSRs for the kube-apiserver-client signer → client certificates as any user, system:masters included.
    CsrApproval,
    /// nodes/proxy → the kubelet API → exec in any pod on the node.
    NodesProxy,
}

impl PathKind {
    /// Stable id for JSON and graphs.
    pub fn id(self) -> &'static str {
        match self {
            PathKind::PodCreate => "pod-create",
            PathKind::SecretRead => "secret-read",
            PathKind::Bind => "bind",
            PathKind::Escalate => "escalate",
            PathKind::Impersonate => "impersonate",
            PathKind::TokenCreate => "token-create",
            PathKind::CsrApproval => "csr-approval",
            PathKind::NodesProxy => "nodes-proxy",
        }
    }

    /// The catalogue rule of the path's first step.
    pub fn rule_id(self) -> &'static str {
        match self {
            PathKind::PodCreate => "rbac.pods-create",
            PathKind::SecretRead => "rbac.secrets-read-cluster-wide",
            PathKind::Bind => "rbac.bind-verb",
            PathKind::Escalate => "rbac.escalate-verb",
            PathKind::Impersonate => "rbac.impersonate-verb",
            PathKind::TokenCreate => "rbac.serviceaccount-token-create",
            PathKind::CsrApproval => "rbac.csr-approval",
            PathKind::NodesProxy => "rbac.nodes-proxy",
        }
    }
}

/// One step of a path: `actor` does `action`, reaching `target`; `enabled_by` names the objects that allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub enabled_by: Vec<String>,
}

/// An escalation path of one subject: the most severe one of its kind (the first found among equals), and how
/// many other paths of the same kind the subject has (other namespaces, other target accounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPath {
    pub kind: PathKind,
    pub steps: Vec<Step>,
    pub other_paths: usize,
}

/// One risk: a finding (catalogue rule id) for a subject, with its path when it is an escalation.
#[derive(Debug, Clone)]
pub struct Risk {
    pub subject: Subject,
    pub finding: Finding,
    pub path: Option<EscalationPath>,
}

/// Everything `risks` found.
#[derive(Debug, Clone, Default)]
pub struct RiskReport {
    /// Sorted: severity (highest first), subject, rule id, message.
    pub risks: Vec<Risk>,
    /// Subjects analysed (attackers).
    pub subjects_analysed: usize,
}

/// A dangerous permission a subject holds, with the grants behind it.
#[derive(Debug, Clone)]
struct Danger {
    rule_id: &'static str,
    severity: Severity,
    /// "can create pods", "can do anything on every resource".
    what: &'static str,
    /// "cluster-wide" or "in namespace x".
    scope: String,
    grants: Vec<Arc<Grant>>,
    /// `*` on everything cluster-wide (or system:masters): the end of every escalation.
    superuser_cluster: bool,
}

impl Danger {
    fn summary(&self) -> String {
        format!("{} {}", self.what, self.scope)
    }

    fn rank(&self) -> (bool, Severity, bool) {
        (
            self.superuser_cluster,
            self.severity,
            self.scope == "cluster-wide",
        )
    }
}

fn resource(verb: &str, group: &str, resource: &str, sub: &str, name: &str) -> ResourceRequest {
    ResourceRequest {
        verb: verb.to_owned(),
        api_group: group.to_owned(),
        resource: resource.to_owned(),
        subresource: sub.to_owned(),
        name: name.to_owned(),
        namespace: None,
    }
}

fn severity_of(rule_id: &str) -> Severity {
    mamori_rules::rule(rule_id).map_or(Severity::High, |r| r.meta.severity)
}

/// A (group, resource, subresource) that a permission check asks about.
type Target<'a> = (&'a str, &'a str, &'a str);

/// Grants allowing any of `verbs` on any of `targets` for some name, without repeats. Requests are tried
/// target by target, each with every verb in turn: that order decides which binding a finding points at.
fn any_name(perms: &Permissions, verbs: &[&str], targets: &[Target<'_>]) -> Vec<Arc<Grant>> {
    let mut out: Vec<Arc<Grant>> = Vec::new();
    for (group, res, sub) in targets {
        for verb in verbs {
            for grant in perms.grants_any_name(&resource(verb, group, res, sub, "")) {
                if !out.contains(&grant) {
                    out.push(grant);
                }
            }
        }
    }
    out
}

/// Grants allowing the exact request (resourceNames applied).
fn exact(perms: &Permissions, request: ResourceRequest) -> Vec<Arc<Grant>> {
    perms.grants_for(&Request::Resource(request))
}

const RBAC: &str = "rbac.authorization.k8s.io";
const WORKLOADS: &[(&str, &str)] = &[
    ("", "pods"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("", "replicationcontrollers"),
];
const CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client";
const CERTIFICATES: &str = "certificates.k8s.io";
/// Roles and cluster roles, the targets of `bind` and `escalate`.
const ROLES: &[Target<'static>] = &[(RBAC, "roles", ""), (RBAC, "clusterroles", "")];
const SECRETS: &[Target<'static>] = &[("", "secrets", "")];
const NODES_PROXY: &[Target<'static>] = &[("", "nodes", "proxy")];
const CSR_APPROVAL: &[Target<'static>] =
    &[(CERTIFICATES, "certificatesigningrequests", "approval")];

/// A dangerous permission granted by any of `verbs` on any of `targets` for some name:
/// (rule id, what the subject can do, verbs, targets).
type AnyNameCheck = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [Target<'static>],
);

/// Checked in every scope, in this order (after `rbac.pods-create`).
const ANY_SCOPE_CHECKS: &[AnyNameCheck] = &[
    (
        "rbac.pods-exec-attach",
        "can exec into or attach to pods",
        &["create", "get"],
        &[("", "pods", "exec"), ("", "pods", "attach")],
    ),
    ("rbac.bind-verb", "can bind roles", &["bind"], ROLES),
    (
        "rbac.escalate-verb",
        "can escalate roles",
        &["escalate"],
        ROLES,
    ),
    (
        "rbac.serviceaccount-token-create",
        "can create service-account tokens",
        &["create"],
        &[("", "serviceaccounts", "token")],
    ),
];

/// Checked cluster-wide only (after `rbac.impersonate-verb`), in this order.
const CLUSTER_ONLY_CHECKS: &[AnyNameCheck] = &[
    (
        "rbac.secrets-read-cluster-wide",
        "can read secrets",
        &["get", "list", "watch"],
        SECRETS,
    ),
    (
        "rbac.nodes-proxy",
        "can reach the kubelet API (nodes/proxy)",
        &["get", "create", "update", "patch", "delete"],
        NODES_PROXY,
    ),
];

/// (verbs, resources) pairs behind every dangerous permission and path, matched with wildcards as upstream.
const DANGEROUS: &[(&[&str], &[&str])] = &[
    (
        &["create"],
        &[
            "pods",
            "deployments",
            "replicasets",
            "statefulsets",
            "daemonsets",
            "jobs",
            "cronjobs",
            "replicationcontrollers",
            "rolebindings",
            "clusterrolebindings",
            "serviceaccounts/token",
        ],
    ),
    (&["create", "get"], &["pods/exec", "pods/attach"]),
    (&["get", "list", "watch"], &["secrets"]),
    (
        &["bind", "escalate", "update", "patch"],
        &["roles", "clusterroles"],
    ),
    (
        &["impersonate"],
        &[
            "users",
            "groups",
            "serviceaccounts",
            "uids",
            "userextras/scopes",
        ],
    ),
    (
        &["get", "create", "update", "patch", "delete"],
        &["nodes/proxy"],
    ),
    (
        &["update", "patch"],
        &["certificatesigningrequests/approval"],
    ),
    (&["approve"], &["signers"]),
];

/// Whether a rule can take part in a dangerous permission (any group, any name): rules that cannot are skipped
/// by `risks` (most rules, e.g. everything `view` grants).
pub fn may_matter(rule: &PolicyRule) -> bool {
    rule.is_superuser()
        || DANGEROUS.iter().any(|(verbs, resources)| {
            verbs.iter().any(|v| crate::matching::verb_matches(rule, v))
                && resources.iter().any(|r| {
                    let sub = r.split_once('/').map_or("", |(_, sub)| sub);
                    crate::matching::resource_matches(rule, r, sub)
                })
        })
}

/// Only the entries that may matter (cheap: shared rules and grants).
fn risky_only(perms: &Permissions) -> Permissions {
    Permissions {
        subject: perms.subject.clone(),
        namespace: perms.namespace.clone(),
        entries: perms.entries.iter().filter(|e| e.risky).cloned().collect(),
    }
}

/// The dangerous permissions in `perms`: cluster-scoped checks when `namespace` is None, namespaced otherwise.
fn dangers(perms: &Permissions, namespace: Option<&str>) -> Vec<Danger> {
    if !perms.entries.iter().any(|e| e.risky) {
        return Vec::new();
    }
    let scope = namespace.map_or_else(
        || "cluster-wide".to_owned(),
        |ns| format!("in namespace {ns}"),
    );
    let mut out = Vec::new();
    let mut push =
        |rule_id: &'static str, what: &'static str, grants: Vec<Arc<Grant>>, superuser: bool| {
            if !grants.is_empty() {
                out.push(Danger {
                    rule_id,
                    severity: if superuser {
                        Severity::Critical
                    } else {
                        severity_of(rule_id)
                    },
                    what,
                    scope: scope.clone(),
                    grants,
                    superuser_cluster: superuser && namespace.is_none(),
                });
            }
        };
    let superuser: Vec<Arc<Grant>> = {
        let mut grants: Vec<Arc<Grant>> = Vec::new();
        for entry in perms.entries.iter().filter(|e| e.rule.is_superuser()) {
            if !grants.contains(&entry.grant) {
                grants.push(entry.grant.clone());
            }
        }
        grants
    };
    let is_superuser = !superuser.is_empty();
    push(
        "rbac.wildcard-all",
        "can do anything on every resource",
        superuser,
        true,
    );
    if is_superuser {
        // Everything below is implied; one finding says it.
        return out;
    }
    push(
        "rbac.pods-create",
        "can create pods",
        exact(perms, resource("create", "", "pods", "", "")),
        false,
    );
    for &(rule_id, what, verbs, targets) in ANY_SCOPE_CHECKS {
        push(rule_id, what, any_name(perms, verbs, targets), false);
    }
    let mut impersonate = vec![("", "serviceaccounts", "")];
    if namespace.is_none() {
        impersonate.extend([
            ("", "users", ""),
            ("", "groups", ""),
            ("authentication.k8s.io", "uids", ""),
        ]);
    }
    push(
        "rbac.impersonate-verb",
        "can impersonate",
        any_name(perms, &["impersonate"], &impersonate),
        false,
    );
    if namespace.is_none() {
        for &(rule_id, what, verbs, targets) in CLUSTER_ONLY_CHECKS {
            push(rule_id, what, any_name(perms, verbs, targets), false);
        }
        let approval = any_name(perms, &["update", "patch"], CSR_APPROVAL);
        let signers = any_name(perms, &["approve"], &[(CERTIFICATES, "signers", "")]);
        if !approval.is_empty() && !signers.is_empty() {
            let mut grants = approval;
            grants.extend(
                signers
                    .into_iter()
                    .filter(|g| !grants.contains(g))
                    .collect::<Vec<_>>(),
            );
            push(
                "rbac.csr-approval",
                "can approve certificate signing requests",
                grants,
                false,
            );
        }
    }
    out
}

/// The most dangerous permission (High or above) of a subject over all its scopes, with every binding.
fn privilege(analyzer: &Analyzer, subject: &Subject) -> Option<Danger> {
    let mut best: Option<Danger> = None;
    let mut consider = |danger: Danger| {
        if danger.severity >= Severity::High
            && best.as_ref().is_none_or(|b| danger.rank() > b.rank())
        {
            best = Some(danger);
        }
    };
    dangers(&analyzer.can(subject, None), None)
        .into_iter()
        .for_each(&mut consider);
    for ns in analyzer.bound_namespaces(subject) {
        dangers(&analyzer.can(subject, Some(&ns)), Some(&ns))
            .into_iter()
            .for_each(&mut consider);
    }
    best
}

fn labels(grants: &[Arc<Grant>], subject: &Subject) -> Vec<String> {
    grants.iter().map(|g| g.label(subject)).collect()
}

struct Context<'a> {
    analyzer: &'a Analyzer,
    privileges: HashMap<Subject, Option<Danger>>,
    secrets_by_ns: BTreeMap<&'a str, Vec<&'a TokenSecret>>,
    pods_by_node: BTreeMap<&'a str, Vec<&'a PodInfo>>,
    namespaces_with_sas: BTreeSet<&'a str>,
    risks: Vec<Risk>,
    /// The best path per (subject, kind), merged into `risks` at the end.
    paths: BTreeMap<(Subject, PathKind), Risk>,
}

impl<'a> Context<'a> {
    fn privilege(&mut self, subject: &Subject) -> Option<Danger> {
        if let Some(known) = self.privileges.get(subject) {
            return known.clone();
        }
        let found = privilege(self.analyzer, subject);
        self.privileges.insert(subject.clone(), found.clone());
        found
    }

    fn finding(
        subject: &Subject,
        rule_id: &'static str,
        severity: Severity,
        grants: &[Arc<Grant>],
        message: String,
    ) -> Finding {
        let (object, location) = match grants.first() {
            Some(g) => (
                Arc::clone(&g.binding.object),
                Location {
                    file: Arc::clone(&g.binding.source.file),
                    doc_index: g.binding.source.doc_index,
                    pos: g.binding.source.pos,
                    field_path: "subjects".to_owned(),
                },
            ),
            None => (
                Arc::new(ObjectRef::default()),
                Location {
                    file: Arc::from(""),
                    doc_index: 0,
                    pos: mamori_model::Pos::UNKNOWN,
                    field_path: String::new(),
                },
            ),
        };
        Finding {
            rule_id: Cow::Borrowed(rule_id),
            severity,
            phase: Phase::RuntimeAccess,
            object,
            location,
            message: format!("{subject} {message}"),
            remediation: Cow::Borrowed(
                mamori_rules::rule(rule_id).map_or("", |r| r.meta.remediation),
            ),
        }
    }

    fn danger_finding(&mut self, subject: &Subject, danger: &Danger) {
        let message = format!(
            "{} ({})",
            danger.summary(),
            labels(&danger.grants, subject).join("; ")
        );
        let finding = Self::finding(
            subject,
            danger.rule_id,
            danger.severity,
            &danger.grants,
            message,
        );
        self.risks.push(Risk {
            subject: subject.clone(),
            finding,
            path: None,
        });
    }

    /// Records a path from `subject` through `steps` to `target`'s most dangerous permission, unless the
    /// target is the subject itself or has no such permission; `steps` is only built for a recorded path.
    fn path_via(
        &mut self,
        subject: &Subject,
        kind: PathKind,
        grants: &[Arc<Grant>],
        target: &Subject,
        steps: impl FnOnce() -> Vec<Step>,
    ) {
        if target == subject {
            return;
        }
        let Some(end) = self.privilege(target) else {
            return;
        };
        self.path_to(subject, kind, grants, steps(), target, &end);
    }

    /// Records a path ending at `target`'s most dangerous permission.
    fn path_to(
        &mut self,
        subject: &Subject,
        kind: PathKind,
        first_grants: &[Arc<Grant>],
        mut steps: Vec<Step>,
        target: &Subject,
        end: &Danger,
    ) {
        steps.push(Step {
            actor: target.to_string(),
            action: end.summary(),
            target: if end.superuser_cluster {
                "full control of the cluster".to_owned()
            } else {
                end.rule_id.to_owned()
            },
            enabled_by: labels(&end.grants, target),
        });
        self.push_path(subject, kind, first_grants, steps, end.superuser_cluster);
    }

    fn push_path(
        &mut self,
        subject: &Subject,
        kind: PathKind,
        first_grants: &[Arc<Grant>],
        steps: Vec<Step>,
        to_cluster_admin: bool,
    ) {
        let chain: Vec<String> = steps.iter().map(|s| s.action.clone()).collect();
        let message = format!("escalation ({}): {}", kind.id(), chain.join(" → "));
        let severity = if to_cluster_admin {
            Severity::Critical
        } else {
            Severity::High
        };
        let finding = Self::finding(subject, kind.rule_id(), severity, first_grants, message);
        let risk = Risk {
            subject: subject.clone(),
            finding,
            path: Some(EscalationPath {
                kind,
                steps,
                other_paths: 0,
            }),
        };
        match self.paths.entry((subject.clone(), kind)) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(risk);
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                let others = slot.get().path.as_ref().map_or(0, |p| p.other_paths) + 1;
                if risk.finding.severity > slot.get().finding.severity {
                    slot.insert(risk);
                }
                if let Some(path) = slot.get_mut().path.as_mut() {
                    path.other_paths = others;
                }
            }
        }
    }

    fn step(subject: &Subject, action: String, target: String, grants: &[Arc<Grant>]) -> Step {
        Step {
            actor: subject.to_string(),
            action,
            target,
            enabled_by: labels(grants, subject),
        }
    }

    /// Namespaces a scope covers: one namespace, or (cluster-wide grants) every namespace with service accounts.
    fn namespaces(&self, scope: Option<&str>) -> Vec<String> {
        match scope {
            Some(ns) => vec![ns.to_owned()],
            None => self
                .namespaces_with_sas
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }

    fn service_accounts(&self, namespace: &str) -> Vec<(Subject, String)> {
        self.analyzer
            .service_accounts_in(namespace)
            .map(|(name, origin)| {
                let label = origin.map_or_else(
                    || format!("ServiceAccount {namespace}/{name} (named in a binding)"),
                    |o| o.label(),
                );
                (
                    Subject::ServiceAccount {
                        namespace: namespace.to_owned(),
                        name: name.to_owned(),
                    },
                    label,
                )
            })
            .collect()
    }

    fn pod_create(&mut self, subject: &Subject, perms: &Permissions, scope: Option<&str>) {
        let mut grants = Vec::new();
        let mut kinds = Vec::new();
        for (group, res) in WORKLOADS {
            let found = exact(perms, resource("create", group, res, "", ""));
            if !found.is_empty() {
                kinds.push(*res);
                grants.extend(
                    found
                        .into_iter()
                        .filter(|g| !grants.contains(g))
                        .collect::<Vec<_>>(),
                );
            }
        }
        if grants.is_empty() {
            return;
        }
        for ns in self.namespaces(scope) {
            for (target, sa_label) in self.service_accounts(&ns) {
                self.path_via(subject, PathKind::PodCreate, &grants, &target, || {
                    vec![
                        Self::step(
                            subject,
                            format!("can create {} in namespace {ns}", kinds.join("/")),
                            format!("a pod in {ns}"),
                            &grants,
                        ),
                        Step {
                            actor: format!("a pod in {ns}"),
                            action: format!("runs as {target} (spec.serviceAccountName)"),
                            target: target.to_string(),
                            enabled_by: vec![sa_label],
                        },
                    ]
                });
            }
        }
    }

    fn secret_read(&mut self, subject: &Subject, perms: &Permissions, scope: Option<&str>) {
        if any_name(perms, &["get", "list"], SECRETS).is_empty() {
            return;
        }
        let list = exact(perms, resource("list", "", "secrets", "", ""));
        let namespaces: Vec<String> = match scope {
            Some(ns) => vec![ns.to_owned()],
            None => self.secrets_by_ns.keys().map(|s| (*s).to_owned()).collect(),
        };
        for ns in namespaces {
            let secrets = self
                .secrets_by_ns
                .get(ns.as_str())
                .cloned()
                .unwrap_or_default();
            for secret in secrets {
                let mut grants = list.clone();
                grants.extend(exact(
                    perms,
                    resource("get", "", "secrets", "", &secret.name),
                ));
                grants.dedup();
                if grants.is_empty() {
                    continue;
                }
                let target = Subject::ServiceAccount {
                    namespace: ns.clone(),
                    name: secret.service_account.clone(),
                };
                self.path_via(subject, PathKind::SecretRead, &grants, &target, || {
                    vec![
                        Self::step(
                            subject,
                            format!("can read secrets in namespace {ns}"),
                            format!("Secret {ns}/{}", secret.name),
                            &grants,
                        ),
                        Step {
                            actor: format!("Secret {ns}/{}", secret.name),
                            action: format!("holds the token of {target}"),
                            target: target.to_string(),
                            enabled_by: vec![format!(
                                "{} (type kubernetes.io/service-account-token)",
                                secret.origin.label()
                            )],
                        },
                    ]
                });
            }
        }
    }

    fn token_create(&mut self, subject: &Subject, perms: &Permissions, scope: Option<&str>) {
        if any_name(perms, &["create"], &[("", "serviceaccounts", "token")]).is_empty() {
            return;
        }
        for ns in self.namespaces(scope) {
            for (target, sa_label) in self.service_accounts(&ns) {
                let Subject::ServiceAccount { name, .. } = &target else {
                    continue;
                };
                let grants = exact(
                    perms,
                    resource("create", "", "serviceaccounts", "token", name),
                );
                if grants.is_empty() {
                    continue;
                }
                self.path_via(subject, PathKind::TokenCreate, &grants, &target, || {
                    vec![
                        Self::step(
                            subject,
                            format!("can create serviceaccounts/token for {ns}/{name}"),
                            target.to_string(),
                            &grants,
                        ),
                        Step {
                            actor: subject.to_string(),
                            action: format!("mints a token of {target} (TokenRequest)"),
                            target: target.to_string(),
                            enabled_by: vec![sa_label],
                        },
                    ]
                });
            }
        }
    }

    fn impersonate(&mut self, subject: &Subject, perms: &Permissions, scope: Option<&str>) {
        let any = any_name(
            perms,
            &["impersonate"],
            &[
                ("", "users", ""),
                ("", "groups", ""),
                ("", "serviceaccounts", ""),
            ],
        );
        if any.is_empty() {
            return;
        }
        if scope.is_none() {
            let masters = exact(
                perms,
                resource("impersonate", "", "groups", "", "system:masters"),
            );
            if !masters.is_empty() {
                let steps = vec![
                    Self::step(
                        subject,
                        "can impersonate group system:masters".to_owned(),
                        "Group:system:masters".to_owned(),
                        &masters,
                    ),
                    Step {
                        actor: "Group:system:masters".to_owned(),
                        action: "is authorized for everything (hard-wired in the API server, RBAC is not consulted)"
                            .to_owned(),
                        target: "full control of the cluster".to_owned(),
                        enabled_by: vec!["kube-apiserver (system:masters superuser group)".to_owned()],
                    },
                ];
                self.push_path(subject, PathKind::Impersonate, &masters, steps, true);
                return;
            }
        }
        let candidates: Vec<Subject> = self
            .analyzer
            .subjects()
            .filter(|s| *s != subject)
            .filter(|s| match s {
                Subject::ServiceAccount { namespace, .. } => scope.is_none_or(|ns| ns == namespace),
                _ => scope.is_none(),
            })
            .cloned()
            .collect();
        for target in candidates {
            let grants = match &target {
                Subject::User(name) => exact(perms, resource("impersonate", "", "users", "", name)),
                Subject::Group(name) => {
                    exact(perms, resource("impersonate", "", "groups", "", name))
                }
                Subject::ServiceAccount { namespace, name } => {
                    let mut g = exact(
                        perms,
                        resource("impersonate", "", "serviceaccounts", "", name),
                    );
                    if scope.is_none() {
                        g.extend(exact(
                            perms,
                            resource(
                                "impersonate",
                                "",
                                "users",
                                "",
                                &Analyzer::service_account_user(namespace, name),
                            ),
                        ));
                    }
                    g
                }
            };
            if grants.is_empty() {
                continue;
            }
            let Some(end) = self.privilege(&target) else {
                continue;
            };
            let steps = vec![Self::step(
                subject,
                format!("can impersonate {target}"),
                target.to_string(),
                &grants,
            )];
            self.path_to(
                subject,
                PathKind::Impersonate,
                &grants,
                steps,
                &target,
                &end,
            );
        }
    }

    fn bind(&mut self, subject: &Subject, perms: &Permissions, scope: Option<&str>) {
        let binding_resource = if scope.is_none() {
            "clusterrolebindings"
        } else {
            "rolebindings"
        };
        let create = exact(perms, resource("create", RBAC, binding_resource, "", ""));
        if create.is_empty() || any_name(perms, &["bind"], ROLES).is_empty() {
            return;
        }
        let where_ = scope.map_or_else(
            || "cluster-wide".to_owned(),
            |ns| format!("in namespace {ns}"),
        );
        // The most powerful role the subject may bind.
        let mut best: Option<(Danger, Vec<Arc<Grant>>, String)> = None;
        for role in self.analyzer.roles() {
            let key = &role.role.key;
            let usable = match &key.namespace {
                None => true,
                Some(ns) => scope == Some(ns.as_str()),
            };
            if !usable {
                continue;
            }
            let plural = if key.namespace.is_some() {
                "roles"
            } else {
                "clusterroles"
            };
            let bind = exact(perms, resource("bind", RBAC, plural, "", &key.name));
            if bind.is_empty() {
                continue;
            }
            let role_perms = role_permissions(subject, role, &bind);
            let Some(danger) = dangers(&role_perms, scope)
                .into_iter()
                .filter(|d| d.severity >= Severity::High)
                .max_by_key(Danger::rank)
            else {
                continue;
            };
            if best
                .as_ref()
                .is_none_or(|(b, _, _)| danger.rank() > b.rank())
            {
                best = Some((danger, bind, key.to_string()));
            }
        }
        let Some((end, bind, role_label)) = best else {
            return;
        };
        let mut grants = create.clone();
        grants.extend(bind.iter().filter(|g| !create.contains(g)).cloned());
        let steps = vec![
            Self::step(
                subject,
                format!("can create {binding_resource} {where_}"),
                format!("a new {binding_resource} object"),
                &create,
            ),
            Self::step(
                subject,
                format!("can bind {role_label} (bind verb lifts the escalation check)"),
                role_label.clone(),
                &bind,
            ),
            Step {
                actor: role_label,
                action: end.summary(),
                target: if end.superuser_cluster {
                    "full control of the cluster".to_owned()
                } else {
                    end.rule_id.to_owned()
                },
                enabled_by: vec![],
            },
        ];
        self.push_path(
            subject,
            PathKind::Bind,
            &grants,
            steps,
            end.superuser_cluster,
        );
    }

    fn escalate(
        &mut self,
        subject: &Subject,
        perms: &Permissions,
        all: &Permissions,
        scope: Option<&str>,
    ) {
        if any_name(perms, &["escalate"], ROLES).is_empty() {
            return;
        }
        // Roles bound to the subject in this scope, which it could rewrite.
        let own: Vec<Arc<Grant>> = {
            let mut seen = std::collections::HashSet::new();
            all.entries
                .iter()
                .filter(|e| seen.insert(&e.grant))
                .map(|e| e.grant.clone())
                .collect()
        };
        for grant in own {
            let key = &grant.role;
            let plural = if key.namespace.is_some() {
                "roles"
            } else {
                "clusterroles"
            };
            let escalate = exact(perms, resource("escalate", RBAC, plural, "", &key.name));
            let mut update = exact(perms, resource("update", RBAC, plural, "", &key.name));
            update.extend(exact(perms, resource("patch", RBAC, plural, "", &key.name)));
            // A ClusterRole is edited cluster-wide: grants from RoleBindings cannot edit it.
            let cluster_edit = key.namespace.is_some() || scope.is_none();
            if escalate.is_empty() || update.is_empty() || !cluster_edit {
                continue;
            }
            let wide = grant.binding.object.kind == "ClusterRoleBinding";
            let reach = if wide {
                "cluster-wide".to_owned()
            } else {
                format!(
                    "in namespace {}",
                    grant.binding.object.namespace.clone().unwrap_or_default()
                )
            };
            let mut grants = escalate.clone();
            grants.extend(update.into_iter().filter(|g| !escalate.contains(g)));
            let steps = vec![
                Self::step(
                    subject,
                    format!("can escalate and update {key}"),
                    key.to_string(),
                    &grants,
                ),
                Step {
                    actor: key.to_string(),
                    action: format!("is bound to {subject} by {}", grant.binding.label()),
                    target: subject.to_string(),
                    enabled_by: vec![grant.binding.label()],
                },
                Step {
                    actor: subject.to_string(),
                    action: format!("writes any rule into {key}: arbitrary permissions {reach}"),
                    target: if wide {
                        "full control of the cluster".to_owned()
                    } else {
                        format!(
                            "full control of namespace {}",
                            grant.binding.object.namespace.clone().unwrap_or_default()
                        )
                    },
                    enabled_by: vec![grant.role_origin.label()],
                },
            ];
            self.push_path(subject, PathKind::Escalate, &grants, steps, wide);
        }
    }

    fn csr_approval(&mut self, subject: &Subject, perms: &Permissions) {
        let mut approval = exact(
            perms,
            resource(
                "update",
                CERTIFICATES,
                "certificatesigningrequests",
                "approval",
                "",
            ),
        );
        approval.extend(any_name(perms, &["update", "patch"], CSR_APPROVAL));
        approval.dedup();
        // Upstream's signer check: approve on signers named exactly, or `<domain>/*`.
        let mut signer = exact(
            perms,
            resource("approve", CERTIFICATES, "signers", "", CLIENT_SIGNER),
        );
        signer.extend(exact(
            perms,
            resource("approve", CERTIFICATES, "signers", "", "kubernetes.io/*"),
        ));
        signer.dedup();
        if approval.is_empty() || signer.is_empty() {
            return;
        }
        let steps = vec![
            Self::step(
                subject,
                "can update certificatesigningrequests/approval".to_owned(),
                "a CertificateSigningRequest".to_owned(),
                &approval,
            ),
            Self::step(
                subject,
                format!("can approve for signer {CLIENT_SIGNER}"),
                format!("a client certificate (signer {CLIENT_SIGNER})"),
                &signer,
            ),
            Step {
                actor: format!("a client certificate (signer {CLIENT_SIGNER})"),
                action: "authenticates as any user and group it names, system:masters included"
                    .to_owned(),
                target: "full control of the cluster".to_owned(),
                enabled_by: vec!["kube-apiserver client-certificate authentication".to_owned()],
            },
        ];
        let mut grants = approval;
        grants.extend(
            signer
                .into_iter()
                .filter(|g| !grants.contains(g))
                .collect::<Vec<_>>(),
        );
        self.push_path(subject, PathKind::CsrApproval, &grants, steps, true);
    }

    fn nodes_proxy(&mut self, subject: &Subject, perms: &Permissions) {
        let verbs = ["get", "create"];
        let unrestricted: Vec<Arc<Grant>> = verbs
            .iter()
            .flat_map(|v| exact(perms, resource(v, "", "nodes", "proxy", "")))
            .collect();
        let any = any_name(perms, &verbs, NODES_PROXY);
        if any.is_empty() {
            return;
        }
        let nodes: Vec<String> = if unrestricted.is_empty() {
            self.analyzer
                .input_rest
                .nodes
                .iter()
                .filter(|n| {
                    verbs
                        .iter()
                        .any(|v| !exact(perms, resource(v, "", "nodes", "proxy", n)).is_empty())
                })
                .cloned()
                .collect()
        } else {
            self.pods_by_node
                .keys()
                .map(|s| (*s).to_owned())
                .chain(self.analyzer.input_rest.nodes.iter().cloned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        let node_label = if unrestricted.is_empty() {
            format!("the kubelet API of {}", nodes.join(", "))
        } else {
            "the kubelet API of every node".to_owned()
        };
        if nodes.is_empty() && unrestricted.is_empty() {
            return;
        }
        // The most privileged service account running on a reachable node.
        let mut best: Option<(Danger, Subject, &PodInfo)> = None;
        let pods: Vec<&PodInfo> = nodes
            .iter()
            .flat_map(|n| {
                self.pods_by_node
                    .get(n.as_str())
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        for pod in pods {
            let target = Subject::ServiceAccount {
                namespace: pod.namespace.clone(),
                name: pod.service_account.clone(),
            };
            if let Some(end) = self.privilege(&target) {
                if best.as_ref().is_none_or(|(b, _, _)| end.rank() > b.rank()) {
                    best = Some((end, target, pod));
                }
            }
        }
        let mut steps = vec![
            Self::step(
                subject,
                "can proxy to nodes (nodes/proxy)".to_owned(),
                node_label.clone(),
                &any,
            ),
            Step {
                actor: node_label,
                action: "runs commands in any pod on the node (exec/run endpoints)".to_owned(),
                target: "every pod on the node".to_owned(),
                enabled_by: vec!["kubelet authorization maps its API to nodes/proxy".to_owned()],
            },
        ];
        match best {
            Some((end, target, pod)) => {
                steps.push(Step {
                    actor: "every pod on the node".to_owned(),
                    action: format!(
                        "includes Pod {}/{} on {} running as {target}",
                        pod.namespace,
                        pod.name,
                        pod.node.clone().unwrap_or_default()
                    ),
                    target: target.to_string(),
                    enabled_by: vec![format!("Pod {}/{}", pod.namespace, pod.name)],
                });
                self.path_to(subject, PathKind::NodesProxy, &any, steps, &target, &end);
            }
            None => self.push_path(subject, PathKind::NodesProxy, &any, steps, false),
        }
    }
}

/// A role's effective rules as permissions granted through `grants` (for judging what binding it would give).
fn role_permissions(
    subject: &Subject,
    role: &crate::analyzer::EffectiveRole,
    grants: &[Arc<Grant>],
) -> Permissions {
    let grant = grants.first().cloned();
    Permissions {
        subject: subject.clone(),
        namespace: role.role.key.namespace.clone(),
        entries: grant
            .map(|g| {
                role.rules
                    .iter()
                    .map(|rule| crate::analyzer::PermissionEntry {
                        rule: Arc::clone(rule),
                        grant: Arc::new(crate::analyzer::Grant {
                            role: role.role.key.clone(),
                            role_origin: role.role.origin.clone(),
                            ..(*g).clone()
                        }),
                        cluster_wide: role.role.key.namespace.is_none(),
                        risky: true,
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// What one risks worker found: findings, and the best path per (subject, kind).
type WorkerOutput = (Vec<Risk>, BTreeMap<(Subject, PathKind), Risk>);

/// Dangerous effective permissions and escalation paths of every non-system subject.
pub fn risks(analyzer: &Analyzer) -> RiskReport {
    let rest = &analyzer.input_rest;
    let mut secrets_by_ns: BTreeMap<&str, Vec<&TokenSecret>> = BTreeMap::new();
    for secret in &rest.token_secrets {
        secrets_by_ns
            .entry(secret.namespace.as_str())
            .or_default()
            .push(secret);
    }
    let mut pods_by_node: BTreeMap<&str, Vec<&PodInfo>> = BTreeMap::new();
    for pod in &rest.pods {
        if let Some(node) = &pod.node {
            pods_by_node.entry(node.as_str()).or_default().push(pod);
        }
    }
    let namespaces_with_sas: BTreeSet<&str> = rest
        .service_accounts
        .keys()
        .map(|(ns, _)| ns.as_str())
        .collect();
    let attackers: Vec<Subject> = analyzer
        .subjects()
        .filter(|s| !s.is_builtin_system())
        .cloned()
        .collect();
    // Subjects are independent: split them over the cores, each worker with its own target cache.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = attackers.len().div_ceil(threads).max(1);
    let parts: Vec<WorkerOutput> = std::thread::scope(|scope| {
        let workers: Vec<_> = attackers
            .chunks(chunk)
            .map(|subjects| {
                let (secrets_by_ns, pods_by_node, namespaces_with_sas) = (
                    secrets_by_ns.clone(),
                    pods_by_node.clone(),
                    namespaces_with_sas.clone(),
                );
                scope.spawn(move || {
                    let mut ctx = Context {
                        analyzer,
                        privileges: HashMap::new(),
                        secrets_by_ns,
                        pods_by_node,
                        namespaces_with_sas,
                        risks: Vec::new(),
                        paths: BTreeMap::new(),
                    };
                    for subject in subjects {
                        analyse_subject(&mut ctx, analyzer, subject);
                    }
                    (ctx.risks, ctx.paths)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let mut risks = Vec::new();
    let mut paths = BTreeMap::new();
    for (part_risks, part_paths) in parts {
        risks.extend(part_risks);
        paths.extend(part_paths);
    }
    for (_, mut risk) in paths {
        if let Some(others) = risk.path.as_ref().map(|p| p.other_paths).filter(|n| *n > 0) {
            risk.finding
                .message
                .push_str(&format!(" (+{others} other path(s) of this kind)"));
        }
        risks.push(risk);
    }
    risks.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then_with(|| a.subject.cmp(&b.subject))
            .then_with(|| a.finding.rule_id.cmp(&b.finding.rule_id))
            .then_with(|| a.finding.message.cmp(&b.finding.message))
    });
    risks.dedup_by(|a, b| a.subject == b.subject && a.finding.message == b.finding.message);
    RiskReport {
        risks,
        subjects_analysed: attackers.len(),
    }
}

/// Findings and paths of one attacker.
fn analyse_subject(ctx: &mut Context<'_>, analyzer: &Analyzer, subject: &Subject) {
    let cluster = analyzer.can(subject, None).without_bootstrap();
    let cluster_dangers = dangers(&cluster, None);
    let superuser = cluster_dangers.iter().any(|d| d.superuser_cluster);
    let held: BTreeSet<&str> = cluster_dangers.iter().map(|d| d.rule_id).collect();
    for danger in &cluster_dangers {
        ctx.danger_finding(subject, danger);
    }
    if superuser {
        return; // already holds everything a path could reach
    }
    let mut scopes = vec![(None, cluster)];
    for ns in analyzer.bound_namespaces(subject) {
        let perms = analyzer.can(subject, Some(&ns)).without_bootstrap();
        // Only what RoleBindings there add: cluster-wide grants were judged above.
        let local = Permissions {
            entries: perms
                .entries
                .iter()
                .filter(|e| !e.cluster_wide)
                .cloned()
                .collect(),
            ..perms.clone()
        };
        for danger in dangers(&local, Some(&ns)) {
            if !held.contains(danger.rule_id) {
                ctx.danger_finding(subject, &danger);
            }
        }
        scopes.push((Some(ns), local));
    }
    for (scope, all) in &scopes {
        let scope = scope.as_deref();
        let perms = &risky_only(all);
        if perms.entries.is_empty() {
            continue;
        }
        ctx.pod_create(subject, perms, scope);
        ctx.secret_read(subject, perms, scope);
        ctx.token_create(subject, perms, scope);
        ctx.impersonate(subject, perms, scope);
        ctx.bind(subject, perms, scope);
        ctx.escalate(subject, perms, all, scope);
        if scope.is_none() {
            ctx.csr_approval(subject, perms);
            ctx.nodes_proxy(subject, perms);
        }
    }
}
