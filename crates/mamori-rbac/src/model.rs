//! The RBAC objects the analyzer reads, extracted from `K8sObject` trees into compact typed values.

use mamori_model::{K8sObject, Node, ObjectRef, Pos, SourceRef};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// One `rules[]` entry of a Role or ClusterRole.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PolicyRule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

impl PolicyRule {
    /// `*` verbs on `*` resources of `*` groups for every name: everything cluster-admin can do on resources.
    pub fn is_superuser(&self) -> bool {
        self.verbs.iter().any(|v| v == "*")
            && self.api_groups.iter().any(|g| g == "*")
            && self.resources.iter().any(|r| r == "*")
            && self.resource_names.is_empty()
    }
}

/// Where an object came from and how to name it (shared by every grant that cites it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub object: Arc<ObjectRef>,
    pub source: SourceRef,
}

impl Origin {
    fn of(object: &K8sObject) -> Origin {
        Origin {
            object: Arc::clone(&object.id),
            source: object.source.clone(),
        }
    }

    /// `Kind/name` or `Kind ns/name`.
    pub fn label(&self) -> String {
        match &self.object.namespace {
            Some(ns) => format!("{} {}/{}", self.object.kind, ns, self.object.name),
            None => format!("{} {}", self.object.kind, self.object.name),
        }
    }
}

/// `Role` or `ClusterRole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// Identity of a role: kind, namespace (Roles only) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleKey {
    pub kind: RoleKind,
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for RoleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind.as_str(), ns, self.name),
            None => write!(f, "{} {}", self.kind.as_str(), self.name),
        }
    }
}

/// A label selector operator of `matchExpressions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// A `metav1.LabelSelector` (matchLabels AND every matchExpression). `valid == false` (unknown operator, values
/// missing for In/NotIn) selects nothing, as the controller fails to convert it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<(String, SelectorOp, Vec<String>)>,
    pub valid: bool,
}

impl LabelSelector {
    /// Whether the labels satisfy the selector (an empty valid selector matches everything).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        if !self.valid {
            return false;
        }
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self
                .match_expressions
                .iter()
                .all(|(key, op, values)| match op {
                    SelectorOp::In => labels.get(key).is_some_and(|v| values.contains(v)),
                    SelectorOp::NotIn => labels.get(key).is_none_or(|v| !values.contains(v)),
                    SelectorOp::Exists => labels.contains_key(key),
                    SelectorOp::DoesNotExist => !labels.contains_key(key),
                })
    }
}

/// A Role or ClusterRole as declared.
#[derive(Debug, Clone)]
pub struct Role {
    pub key: RoleKey,
    pub labels: BTreeMap<String, String>,
    pub rules: Vec<PolicyRule>,
    /// `aggregationRule.clusterRoleSelectors` (ClusterRoles only).
    pub aggregation: Option<Vec<LabelSelector>>,
    pub origin: Origin,
}

/// A binding subject as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    // Variant order = order of the `Kind:` text, so sorted subjects read alphabetically.
    Group(String),
    ServiceAccount { namespace: String, name: String },
    User(String),
}

/// The user name of a service account.
pub fn service_account_user(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}

impl Subject {
    /// Parses `User:alice`, `Group:g`, `ServiceAccount:ns:name` (`SA:` and `sa:` accepted); a `User` named
    /// `system:serviceaccount:<ns>:<name>` is that service account.
    pub fn parse(text: &str) -> Result<Subject, String> {
        let (kind, rest) = text.split_once(':').ok_or_else(|| {
            format!(
                "subject {text:?}: expected User:NAME, Group:NAME or ServiceAccount:NAMESPACE:NAME"
            )
        })?;
        match kind {
            "User" | "user" if !rest.is_empty() => Ok(Subject::user(rest)),
            "Group" | "group" if !rest.is_empty() => Ok(Subject::Group(rest.to_owned())),
            "ServiceAccount" | "serviceaccount" | "SA" | "sa" => match rest.split_once(':') {
                Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains(':') => {
                    Ok(Subject::ServiceAccount {
                        namespace: ns.to_owned(),
                        name: name.to_owned(),
                    })
                }
                _ => Err(format!(
                    "subject {text:?}: a service account is ServiceAccount:NAMESPACE:NAME"
                )),
            },
            _ => Err(format!(
                "subject {text:?}: expected User:NAME, Group:NAME or ServiceAccount:NAMESPACE:NAME"
            )),
        }
    }

    /// A user subject, normalised to a service account when the name is a service-account user name.
    pub fn user(name: &str) -> Subject {
        if let Some(rest) = name.strip_prefix("system:serviceaccount:") {
            if let Some((ns, sa)) = rest.split_once(':') {
                if !ns.is_empty() && !sa.is_empty() && !sa.contains(':') {
                    return Subject::ServiceAccount {
                        namespace: ns.to_owned(),
                        name: sa.to_owned(),
                    };
                }
            }
        }
        Subject::User(name.to_owned())
    }

    /// The authenticated identity of this subject: user name (none for a group) and groups, as the API server
    /// builds them: service accounts are in `system:serviceaccounts`, `system:serviceaccounts:<ns>` and
    /// `system:authenticated`; users in `system:authenticated` (`system:anonymous` in `system:unauthenticated`);
    /// a group subject stands for "any member of this group" and holds only the group.
    pub fn identity(&self) -> Identity {
        match self {
            Subject::User(name) => Identity {
                user: Some(name.clone()),
                groups: vec![if name == "system:anonymous" {
                    "system:unauthenticated".to_owned()
                } else {
                    "system:authenticated".to_owned()
                }],
            },
            Subject::Group(group) => Identity {
                user: None,
                groups: vec![group.clone()],
            },
            Subject::ServiceAccount { namespace, name } => Identity {
                user: Some(service_account_user(namespace, name)),
                groups: vec![
                    "system:serviceaccounts".to_owned(),
                    format!("system:serviceaccounts:{namespace}"),
                    "system:authenticated".to_owned(),
                ],
            },
        }
    }

    /// Kubernetes' own identities (not reported by `risks`): users and groups named `system:…` other than the
    /// service-account and public ones.
    pub fn is_builtin_system(&self) -> bool {
        match self {
            Subject::User(n) => n.starts_with("system:") && n != "system:anonymous",
            Subject::Group(g) => {
                g.starts_with("system:")
                    && !g.starts_with("system:serviceaccounts")
                    && g != "system:authenticated"
                    && g != "system:unauthenticated"
            }
            Subject::ServiceAccount { .. } => false,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User(n) => write!(f, "User:{n}"),
            Subject::Group(g) => write!(f, "Group:{g}"),
            Subject::ServiceAccount { namespace, name } => {
                write!(f, "ServiceAccount:{namespace}:{name}")
            }
        }
    }
}

/// A user name (if any) and groups, matched against binding subjects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user: Option<String>,
    pub groups: Vec<String>,
}

/// A subject entry of a binding: the subject with its namespace defaulted as upstream, or `None` when it can
/// never match anyone (a ServiceAccount without namespace in a ClusterRoleBinding, an unknown kind).
#[derive(Debug, Clone)]
pub struct BindingSubject {
    pub subject: Option<Subject>,
    /// As written, for messages.
    pub written: String,
}

/// A RoleBinding (namespace set) or ClusterRoleBinding.
#[derive(Debug, Clone)]
pub struct Binding {
    /// `None` = ClusterRoleBinding.
    pub namespace: Option<String>,
    pub name: String,
    pub role: RoleKey,
    pub subjects: Vec<BindingSubject>,
    /// Label `kubernetes.io/bootstrapping: rbac-defaults`: one of the API server's default bindings.
    pub bootstrap: bool,
    pub origin: Origin,
}

impl Binding {
    /// `appliesTo`: whether the binding names this identity (upstream `appliesToUser`).
    pub fn applies_to(&self, identity: &Identity) -> bool {
        self.subjects.iter().any(|s| {
            s.subject
                .as_ref()
                .is_some_and(|s| subject_matches(s, identity))
        })
    }
}

/// Whether one (namespace-defaulted) binding subject names the identity.
pub fn subject_matches(subject: &Subject, identity: &Identity) -> bool {
    match subject {
        Subject::User(name) => identity.user.as_deref() == Some(name.as_str()),
        Subject::Group(group) => identity.groups.iter().any(|g| g == group),
        Subject::ServiceAccount { namespace, name } => identity
            .user
            .as_deref()
            .is_some_and(|u| u == service_account_user(namespace, name)),
    }
}

/// A service-account token Secret (metadata only: type and the service-account annotation).
#[derive(Debug, Clone)]
pub struct TokenSecret {
    pub namespace: String,
    pub name: String,
    pub service_account: String,
    pub origin: Origin,
}

/// A Pod's identity and placement.
#[derive(Debug, Clone)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub service_account: String,
    pub node: Option<String>,
}

/// A problem with the input (malformed RBAC object), reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputNote {
    pub file: Arc<str>,
    pub pos: Pos,
    pub message: String,
}

/// Everything the analyzer reads from a set of objects.
#[derive(Debug, Default, Clone)]
pub struct RbacInput {
    pub roles: Vec<Role>,
    pub bindings: Vec<Binding>,
    /// ServiceAccount objects: (namespace, name, origin).
    pub service_accounts: Vec<(String, String, Origin)>,
    pub token_secrets: Vec<TokenSecret>,
    pub pods: Vec<PodInfo>,
    pub nodes: Vec<String>,
    pub notes: Vec<InputNote>,
}

/// The kinds the analyzer reads (others are ignored).
pub const WANTED_KINDS: &[&str] = &[
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ServiceAccount",
    "Secret",
    "Pod",
    "Node",
];

fn strings(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect()
}

fn text<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
    node.path(path).and_then(Node::as_str)
}

fn labels(root: &Node) -> BTreeMap<String, String> {
    root.path(&["metadata", "labels"])
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| e.value.as_str().map(|v| (e.key.clone(), v.to_owned())))
        .collect()
}

fn is_rbac_api(api_version: &str) -> bool {
    api_version.starts_with("rbac.authorization.k8s.io/")
}

fn parse_selector(node: &Node) -> LabelSelector {
    let mut selector = LabelSelector {
        valid: node.as_map().is_some(),
        ..LabelSelector::default()
    };
    if let Some(entries) = node.get("matchLabels").and_then(Node::as_map) {
        for entry in entries {
            match entry.value.as_str() {
                Some(v) => selector
                    .match_labels
                    .push((entry.key.clone(), v.to_owned())),
                None => selector.valid = false,
            }
        }
    }
    for expr in node
        .get("matchExpressions")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
    {
        let key = text(expr, &["key"]).unwrap_or_default().to_owned();
        let values = strings(expr.get("values"));
        let op = match text(expr, &["operator"]) {
            Some("In") if !values.is_empty() => SelectorOp::In,
            Some("NotIn") if !values.is_empty() => SelectorOp::NotIn,
            Some("Exists") if values.is_empty() => SelectorOp::Exists,
            Some("DoesNotExist") if values.is_empty() => SelectorOp::DoesNotExist,
            _ => {
                selector.valid = false;
                continue;
            }
        };
        if key.is_empty() {
            selector.valid = false;
        }
        selector.match_expressions.push((key, op, values));
    }
    selector
}

impl RbacInput {
    /// Reads the objects the analyzer needs (other kinds are ignored).
    pub fn from_objects<'a>(objects: impl IntoIterator<Item = &'a K8sObject>) -> RbacInput {
        let mut input = RbacInput::default();
        for object in objects {
            input.add(object);
        }
        input
    }

    /// Reads one object (ignored when not of a [`WANTED_KINDS`] kind).
    pub fn add(&mut self, object: &K8sObject) {
        let id = &object.id;
        let root = &object.root;
        let namespace = id.namespace.clone();
        match id.kind.as_str() {
            "Role" | "ClusterRole" if is_rbac_api(&id.api_version) => {
                let kind = if id.kind == "Role" {
                    RoleKind::Role
                } else {
                    RoleKind::ClusterRole
                };
                if kind == RoleKind::Role && namespace.is_none() {
                    self.note(
                        object,
                        "Role without metadata.namespace: ignored".to_owned(),
                    );
                    return;
                }
                let rules = root
                    .get("rules")
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
                    .iter()
                    .map(|r| PolicyRule {
                        verbs: strings(r.get("verbs")),
                        api_groups: strings(r.get("apiGroups")),
                        resources: strings(r.get("resources")),
                        resource_names: strings(r.get("resourceNames")),
                        non_resource_urls: strings(r.get("nonResourceURLs")),
                    })
                    .collect();
                let aggregation = match (kind, root.get("aggregationRule")) {
                    (RoleKind::ClusterRole, Some(rule)) if !rule.is_null() => Some(
                        rule.get("clusterRoleSelectors")
                            .and_then(Node::as_seq)
                            .unwrap_or(&[])
                            .iter()
                            .map(parse_selector)
                            .collect(),
                    ),
                    _ => None,
                };
                self.roles.push(Role {
                    key: RoleKey {
                        kind,
                        namespace: if kind == RoleKind::Role {
                            namespace
                        } else {
                            None
                        },
                        name: id.name.clone(),
                    },
                    labels: labels(root),
                    rules,
                    aggregation,
                    origin: Origin::of(object),
                });
            }
            "RoleBinding" | "ClusterRoleBinding" if is_rbac_api(&id.api_version) => {
                self.add_binding(object)
            }
            "ServiceAccount" if id.api_version == "v1" => {
                if let Some(ns) = namespace {
                    self.service_accounts
                        .push((ns, id.name.clone(), Origin::of(object)));
                }
            }
            "Secret" if id.api_version == "v1" => {
                let annotated = text(
                    root,
                    &[
                        "metadata",
                        "annotations",
                        "kubernetes.io/service-account.name",
                    ],
                );
                if let (Some("kubernetes.io/service-account-token"), Some(sa), Some(ns)) =
                    (text(root, &["type"]), annotated, namespace)
                {
                    self.token_secrets.push(TokenSecret {
                        namespace: ns,
                        name: id.name.clone(),
                        service_account: sa.to_owned(),
                        origin: Origin::of(object),
                    });
                }
            }
            "Pod" if id.api_version == "v1" => {
                let spec = root.get("spec");
                let field = |key: &str| spec.and_then(|s| s.get(key)).and_then(Node::as_str);
                let service_account = field("serviceAccountName")
                    .or_else(|| field("serviceAccount"))
                    .filter(|s| !s.is_empty())
                    .unwrap_or("default");
                self.pods.push(PodInfo {
                    namespace: namespace.unwrap_or_else(|| "default".to_owned()),
                    name: id.name.clone(),
                    service_account: service_account.to_owned(),
                    node: field("nodeName").map(str::to_owned),
                });
            }
            "Node" if id.api_version == "v1" => self.nodes.push(id.name.clone()),
            _ => {}
        }
    }

    fn note(&mut self, object: &K8sObject, message: String) {
        self.notes.push(InputNote {
            file: Arc::clone(&object.source.file),
            pos: object.source.pos,
            message: format!("{}: {message}", object.id.display_name()),
        });
    }

    fn add_binding(&mut self, object: &K8sObject) {
        let id = &object.id;
        let root = &object.root;
        let cluster_wide = id.kind == "ClusterRoleBinding";
        let namespace = if cluster_wide {
            None
        } else {
            match &id.namespace {
                Some(ns) => Some(ns.clone()),
                None => {
                    self.note(
                        object,
                        "RoleBinding without metadata.namespace: ignored".to_owned(),
                    );
                    return;
                }
            }
        };
        let role_kind = match text(root, &["roleRef", "kind"]) {
            Some("ClusterRole") => RoleKind::ClusterRole,
            Some("Role") if !cluster_wide => RoleKind::Role,
            other => {
                self.note(
                    object,
                    format!(
                        "roleRef.kind {:?} cannot be bound here: the binding grants nothing",
                        other.unwrap_or("")
                    ),
                );
                return;
            }
        };
        let role = RoleKey {
            kind: role_kind,
            namespace: if role_kind == RoleKind::Role {
                namespace.clone()
            } else {
                None
            },
            name: text(root, &["roleRef", "name"])
                .unwrap_or_default()
                .to_owned(),
        };
        let subjects = root
            .get("subjects")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .map(|s| {
                let kind = text(s, &["kind"]).unwrap_or_default();
                let name = text(s, &["name"]).unwrap_or_default();
                let subject_ns = text(s, &["namespace"]).filter(|n| !n.is_empty());
                let written = match subject_ns {
                    Some(ns) => format!("{kind}:{ns}:{name}"),
                    None => format!("{kind}:{name}"),
                };
                let subject = match kind {
                    _ if name.is_empty() => None,
                    "User" => Some(Subject::user(name)),
                    "Group" => Some(Subject::Group(name.to_owned())),
                    // Upstream defaults a service account's namespace to the binding's; in a
                    // ClusterRoleBinding without one it matches nobody.
                    "ServiceAccount" => subject_ns
                        .map(str::to_owned)
                        .or_else(|| namespace.clone())
                        .map(|ns| Subject::ServiceAccount {
                            namespace: ns,
                            name: name.to_owned(),
                        }),
                    _ => None,
                };
                BindingSubject { subject, written }
            })
            .collect::<Vec<_>>();
        for s in subjects.iter().filter(|s| s.subject.is_none()) {
            self.note(
                object,
                format!(
                    "subject {} matches nobody (kind, name or namespace missing)",
                    s.written
                ),
            );
        }
        self.bindings.push(Binding {
            namespace,
            name: id.name.clone(),
            role,
            subjects,
            bootstrap: text(root, &["metadata", "labels", "kubernetes.io/bootstrapping"])
                == Some("rbac-defaults"),
            origin: Origin::of(object),
        });
    }
}
