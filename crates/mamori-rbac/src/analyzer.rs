//! The resolved RBAC state: effective ClusterRole rules after aggregation, bindings resolved to roles, and the
//! indexes behind `who-can` (policy rules keyed by verb × group × resource) and `can` (bindings keyed by subject).

use crate::matching::{
    api_group_matches, resource_matches, rule_allows, verb_matches, Request, ResourceRequest,
};
use crate::model::{
    service_account_user, Binding, Identity, Origin, PodInfo, PolicyRule, RbacInput, Role, RoleKey,
    RoleKind, Subject, TokenSecret,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// A role with its effective rules (for an aggregated ClusterRole: the union the aggregation controller
/// converges to, not the declared rules).
#[derive(Debug, Clone)]
pub struct EffectiveRole {
    pub role: Role,
    pub rules: Vec<Arc<PolicyRule>>,
    /// Per rule: whether it can take part in a dangerous permission (see `risks`).
    pub risky: Vec<bool>,
    /// Names of the ClusterRoles its aggregation rule selects (their rules are themselves effective rules, so
    /// aggregation is transitive).
    pub aggregated_from: Vec<String>,
}

/// Why a subject holds a permission: the binding, the role it references and the binding subject that matched
/// (`Group:system:authenticated` when the permission comes through a group).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Grant {
    pub binding: Origin,
    pub role: RoleKey,
    pub role_origin: Origin,
    pub matched: Subject,
    /// One of the API server's default bindings (label `kubernetes.io/bootstrapping: rbac-defaults`).
    pub bootstrap: bool,
}

impl Grant {
    /// `RoleBinding ns/name → ClusterRole view (as Group:…)`.
    pub fn label(&self, subject: &Subject) -> String {
        let mut text = format!("{} → {}", self.binding.label(), self.role);
        if &self.matched != subject {
            text.push_str(&format!(" (as {})", self.matched));
        }
        text
    }
}

/// A binding whose role does not exist: it grants nothing (upstream logs and skips it).
#[derive(Debug, Clone)]
pub struct DanglingBinding {
    pub binding: Origin,
    pub role: RoleKey,
}

/// One subject of a who-can answer with every grant that gives it the permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhoCanEntry {
    pub subject: Subject,
    pub grants: Vec<Arc<Grant>>,
}

/// One rule a subject holds, with the grant it comes from.
#[derive(Debug, Clone)]
pub struct PermissionEntry {
    /// Shared with the role (cloning permissions is cheap).
    pub rule: Arc<PolicyRule>,
    /// Shared by every entry of the same binding subject.
    pub grant: Arc<Grant>,
    /// Granted by a ClusterRoleBinding (only those grant non-resource URLs).
    pub cluster_wide: bool,
    /// The rule can take part in a dangerous permission (`risks` looks only at these).
    pub risky: bool,
}

impl PermissionEntry {
    fn allows(&self, request: &Request) -> bool {
        (self.cluster_wide || matches!(request, Request::Resource(_)))
            && rule_allows(&self.rule, request)
    }
}

/// The effective permissions of a subject in a namespace (or cluster-wide).
#[derive(Debug, Clone)]
pub struct Permissions {
    pub subject: Subject,
    pub namespace: Option<String>,
    pub entries: Vec<PermissionEntry>,
}

/// A merged row of the permission table: one API group + resource (+ names), or one non-resource URL, with the
/// union of verbs and the grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionRow {
    /// `None` for non-resource URLs.
    pub api_group: Option<String>,
    /// The resource (`pods`, `pods/exec`, `*`) or the URL.
    pub resource: String,
    pub resource_names: Vec<String>,
    pub verbs: Vec<String>,
    /// Grant labels (binding → role), sorted.
    pub granted_by: Vec<String>,
}

impl Permissions {
    /// Whether any held rule allows the request (namespace scoping was applied when the permissions were built).
    pub fn allows(&self, request: &Request) -> bool {
        self.entries.iter().any(|e| e.allows(request))
    }

    /// The grants whose rules allow the request (deduplicated, in order).
    pub fn grants_for(&self, request: &Request) -> Vec<Arc<Grant>> {
        let mut seen = HashSet::new();
        self.entries
            .iter()
            .filter(|e| e.allows(request))
            .filter(|e| seen.insert(Arc::as_ptr(&e.grant)))
            .map(|e| Arc::clone(&e.grant))
            .collect()
    }

    /// The grants whose rules allow the request for at least one object name (resourceNames ignored): what a
    /// name-restricted rule still grants for the names it lists.
    pub fn grants_any_name(&self, request: &ResourceRequest) -> Vec<Arc<Grant>> {
        let combined = request.combined_resource();
        let mut seen = HashSet::new();
        self.entries
            .iter()
            .filter(|e| {
                resource_matches(&e.rule, &combined, &request.subresource)
                    && verb_matches(&e.rule, &request.verb)
                    && api_group_matches(&e.rule, &request.api_group)
            })
            .filter(|e| seen.insert(Arc::as_ptr(&e.grant)))
            .map(|e| Arc::clone(&e.grant))
            .collect()
    }

    /// The same permissions without the API server's default bindings.
    pub fn without_bootstrap(&self) -> Permissions {
        Permissions {
            subject: self.subject.clone(),
            namespace: self.namespace.clone(),
            entries: self
                .entries
                .iter()
                .filter(|e| !e.grant.bootstrap)
                .cloned()
                .collect(),
        }
    }

    /// The merged, readable table: rules expanded per (group, resource, names) or URL, verbs unioned.
    pub fn table(&self) -> Vec<PermissionRow> {
        type Key = (Option<String>, String, Vec<String>);
        let mut rows: BTreeMap<Key, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
        for entry in &self.entries {
            let label = entry.grant.label(&self.subject);
            let rule = &entry.rule;
            let mut names = rule.resource_names.clone();
            names.sort();
            names.dedup();
            for group in &rule.api_groups {
                for resource in &rule.resources {
                    let row = rows
                        .entry((Some(group.clone()), resource.clone(), names.clone()))
                        .or_default();
                    row.0.extend(rule.verbs.iter().cloned());
                    row.1.insert(label.clone());
                }
            }
            // A RoleBinding's non-resource URLs grant nothing (those requests have no namespace).
            for url in rule.non_resource_urls.iter().filter(|_| entry.cluster_wide) {
                let row = rows.entry((None, url.clone(), Vec::new())).or_default();
                row.0.extend(rule.verbs.iter().cloned());
                row.1.insert(label.clone());
            }
        }
        rows.into_iter()
            .filter(|(_, (verbs, _))| !verbs.is_empty())
            .map(|((api_group, resource, resource_names), (verbs, grants))| {
                let verbs = if verbs.contains("*") {
                    vec!["*".to_owned()]
                } else {
                    verbs.into_iter().collect()
                };
                PermissionRow {
                    api_group,
                    resource,
                    resource_names,
                    verbs,
                    granted_by: grants.into_iter().collect(),
                }
            })
            .collect()
    }
}

type RuleRef = (u32, u32);

/// The analyzer: built once from the input, then queried.
pub struct Analyzer {
    roles: Vec<EffectiveRole>,
    role_ids: HashMap<RoleKey, usize>,
    bindings: Vec<Binding>,
    binding_roles: Vec<Option<usize>>,
    /// The grant of each (binding, subject entry), built once (None: no role or a subject matching nobody).
    binding_grants: Vec<Vec<Option<Arc<Grant>>>>,
    dangling: Vec<DanglingBinding>,
    /// (verb, apiGroup, resource) as written in rules (wildcards literal) → rules.
    resource_index: HashMap<(String, String, String), Vec<RuleRef>>,
    /// verb → rules with nonResourceURLs.
    url_index: HashMap<String, Vec<RuleRef>>,
    /// (role, RoleBinding namespace or None for ClusterRoleBindings) → bindings.
    bindings_by_role: HashMap<(usize, Option<String>), Vec<usize>>,
    /// Binding subject → bindings naming it (user names of service accounts are stored as ServiceAccount).
    bindings_by_subject: HashMap<Subject, Vec<usize>>,
    /// Every subject known: binding subjects and ServiceAccount objects.
    universe: BTreeSet<Subject>,
    /// Well-known groups → the known users and service accounts in them.
    group_members: HashMap<String, Vec<Subject>>,
    pub(crate) input_rest: InputRest,
}

/// The non-RBAC facts kept for escalation paths.
#[derive(Debug, Default)]
pub(crate) struct InputRest {
    pub service_accounts: BTreeMap<(String, String), Option<Origin>>,
    pub token_secrets: Vec<TokenSecret>,
    pub pods: Vec<PodInfo>,
    pub nodes: Vec<String>,
}

impl Analyzer {
    /// Resolves aggregation and bindings and builds the indexes.
    pub fn new(input: RbacInput) -> Analyzer {
        let RbacInput {
            roles,
            bindings,
            service_accounts,
            token_secrets,
            pods,
            nodes,
            notes: _,
        } = input;
        let mut role_ids = HashMap::new();
        let mut unique_roles = Vec::new();
        for role in roles {
            // A later duplicate replaces the earlier one, as a later apply would.
            match role_ids.get(&role.key) {
                Some(&i) => unique_roles[i] = role,
                None => {
                    role_ids.insert(role.key.clone(), unique_roles.len());
                    unique_roles.push(role);
                }
            }
        }
        let mut roles = aggregate(unique_roles);
        for role in &mut roles {
            role.risky = role
                .rules
                .iter()
                .map(|r| crate::risks::may_matter(r))
                .collect();
        }

        let mut resource_index: HashMap<(String, String, String), Vec<RuleRef>> = HashMap::new();
        let mut url_index: HashMap<String, Vec<RuleRef>> = HashMap::new();
        for (r, role) in roles.iter().enumerate() {
            for (i, rule) in role.rules.iter().enumerate() {
                let at = (r as u32, i as u32);
                for verb in &rule.verbs {
                    for group in &rule.api_groups {
                        for resource in &rule.resources {
                            resource_index
                                .entry((verb.clone(), group.clone(), resource.clone()))
                                .or_default()
                                .push(at);
                        }
                    }
                    if !rule.non_resource_urls.is_empty() {
                        url_index.entry(verb.clone()).or_default().push(at);
                    }
                }
            }
        }

        let mut binding_roles = Vec::with_capacity(bindings.len());
        let mut dangling = Vec::new();
        let mut bindings_by_role: HashMap<(usize, Option<String>), Vec<usize>> = HashMap::new();
        let mut bindings_by_subject: HashMap<Subject, Vec<usize>> = HashMap::new();
        let mut universe = BTreeSet::new();
        for (b, binding) in bindings.iter().enumerate() {
            let role = role_ids.get(&binding.role).copied();
            binding_roles.push(role);
            match role {
                Some(r) => bindings_by_role
                    .entry((r, binding.namespace.clone()))
                    .or_default()
                    .push(b),
                None => dangling.push(DanglingBinding {
                    binding: binding.origin.clone(),
                    role: binding.role.clone(),
                }),
            }
            for subject in binding.subjects.iter().filter_map(|s| s.subject.as_ref()) {
                let list = bindings_by_subject.entry(subject.clone()).or_default();
                if list.last() != Some(&b) {
                    list.push(b);
                }
                universe.insert(subject.clone());
            }
        }
        let binding_grants = bindings
            .iter()
            .zip(&binding_roles)
            .map(|(binding, role)| {
                binding
                    .subjects
                    .iter()
                    .map(|s| {
                        let role = roles.get((*role)?)?;
                        Some(Arc::new(Grant {
                            binding: binding.origin.clone(),
                            role: binding.role.clone(),
                            role_origin: role.role.origin.clone(),
                            matched: s.subject.clone()?,
                            bootstrap: binding.bootstrap,
                        }))
                    })
                    .collect()
            })
            .collect();
        let mut sa_map = BTreeMap::new();
        for (ns, name, origin) in service_accounts {
            universe.insert(Subject::ServiceAccount {
                namespace: ns.clone(),
                name: name.clone(),
            });
            sa_map.insert((ns, name), Some(origin));
        }
        for subject in &universe {
            if let Subject::ServiceAccount { namespace, name } = subject {
                sa_map
                    .entry((namespace.clone(), name.clone()))
                    .or_insert(None);
            }
        }
        let mut group_members: HashMap<String, Vec<Subject>> = HashMap::new();
        for subject in &universe {
            if matches!(subject, Subject::Group(_)) {
                continue;
            }
            for group in subject.identity().groups {
                group_members
                    .entry(group)
                    .or_default()
                    .push(subject.clone());
            }
        }
        Analyzer {
            roles,
            role_ids,
            bindings,
            binding_roles,
            binding_grants,
            dangling,
            resource_index,
            url_index,
            bindings_by_role,
            bindings_by_subject,
            universe,
            group_members,
            input_rest: InputRest {
                service_accounts: sa_map,
                token_secrets,
                pods,
                nodes,
            },
        }
    }

    /// Bindings whose role does not exist (they grant nothing).
    pub fn dangling_bindings(&self) -> &[DanglingBinding] {
        &self.dangling
    }

    /// Every subject the input names (binding subjects and ServiceAccount objects), sorted.
    pub fn subjects(&self) -> impl Iterator<Item = &Subject> {
        self.universe.iter()
    }

    /// The roles with their effective rules.
    pub fn roles(&self) -> &[EffectiveRole] {
        &self.roles
    }

    /// A role by key.
    pub fn role(&self, key: &RoleKey) -> Option<&EffectiveRole> {
        self.role_ids.get(key).and_then(|&i| self.roles.get(i))
    }

    /// The bindings as read.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// Number of bindings.
    pub fn binding_count(&self) -> usize {
        self.bindings.len()
    }

    fn grant(&self, binding: usize, subject: usize) -> Option<&Arc<Grant>> {
        self.binding_grants.get(binding)?.get(subject)?.as_ref()
    }

    /// The roles (indexes) with a rule allowing the request, found through the verb × group × resource index.
    fn roles_allowing(&self, request: &Request) -> BTreeSet<usize> {
        let mut roles = BTreeSet::new();
        let mut consider = |refs: Option<&Vec<RuleRef>>| {
            for &(r, i) in refs.into_iter().flatten() {
                let allowed = self
                    .roles
                    .get(r as usize)
                    .and_then(|role| role.rules.get(i as usize))
                    .is_some_and(|rule| rule_allows(rule, request));
                if allowed {
                    roles.insert(r as usize);
                }
            }
        };
        match request {
            Request::Resource(r) => {
                let combined = r.combined_resource();
                let mut resources = vec![combined.as_str(), "*"];
                let any_sub = format!("*/{}", r.subresource);
                if !r.subresource.is_empty() {
                    resources.push(&any_sub);
                }
                for verb in [r.verb.as_str(), "*"] {
                    for group in [r.api_group.as_str(), "*"] {
                        for resource in &resources {
                            let key = (verb.to_owned(), group.to_owned(), (*resource).to_owned());
                            consider(self.resource_index.get(&key));
                        }
                    }
                }
            }
            Request::NonResource { verb, .. } => {
                consider(self.url_index.get(verb));
                if verb != "*" {
                    consider(self.url_index.get("*"));
                }
            }
        }
        roles
    }

    /// `who-can`: every known subject allowed to make the request, with the grants. ClusterRoleBindings always
    /// apply; RoleBindings only in the request's namespace (never for cluster-scoped or non-resource
    /// requests). Group grants are listed for the group and for each known member (`system:authenticated`,
    /// `system:serviceaccounts[:ns]`, `system:unauthenticated`).
    pub fn who_can(&self, request: &Request) -> Vec<WhoCanEntry> {
        let namespace = request.namespace();
        let mut answer: BTreeMap<Subject, Vec<Arc<Grant>>> = BTreeMap::new();
        for role in self.roles_allowing(request) {
            let mut scopes = vec![None];
            if let Some(ns) = namespace {
                scopes.push(Some(ns.to_owned()));
            }
            for scope in scopes {
                for &b in self
                    .bindings_by_role
                    .get(&(role, scope))
                    .into_iter()
                    .flatten()
                {
                    let Some(binding) = self.bindings.get(b) else {
                        continue;
                    };
                    for (i, subject) in binding
                        .subjects
                        .iter()
                        .enumerate()
                        .filter_map(|(i, s)| Some((i, s.subject.as_ref()?)))
                    {
                        let Some(grant) = self.grant(b, i) else {
                            continue;
                        };
                        if let Subject::Group(group) = subject {
                            for member in self.group_members.get(group).into_iter().flatten() {
                                push_grant(answer.entry(member.clone()).or_default(), grant);
                            }
                        }
                        push_grant(answer.entry(subject.clone()).or_default(), grant);
                    }
                }
            }
        }
        answer
            .into_iter()
            .map(|(subject, grants)| WhoCanEntry { subject, grants })
            .collect()
    }

    /// `can`: the effective permissions of a subject: rules of ClusterRoleBindings naming it (or one of its
    /// groups) and, with a namespace, of the RoleBindings there.
    pub fn can(&self, subject: &Subject, namespace: Option<&str>) -> Permissions {
        let identity = subject.identity();
        let mut entries = Vec::new();
        for b in self.bindings_for(&identity) {
            let (Some(binding), Some(Some(role))) =
                (self.bindings.get(b), self.binding_roles.get(b))
            else {
                continue;
            };
            if binding.namespace.is_some() && binding.namespace.as_deref() != namespace {
                continue;
            }
            let Some(effective) = self.roles.get(*role) else {
                continue;
            };
            for (i, _) in binding.subjects.iter().enumerate().filter(|(_, s)| {
                s.subject
                    .as_ref()
                    .is_some_and(|s| crate::model::subject_matches(s, &identity))
            }) {
                let Some(grant) = self.grant(b, i) else {
                    continue;
                };
                for (rule, risky) in effective.rules.iter().zip(&effective.risky) {
                    entries.push(PermissionEntry {
                        rule: Arc::clone(rule),
                        grant: Arc::clone(grant),
                        cluster_wide: binding.namespace.is_none(),
                        risky: *risky,
                    });
                }
            }
        }
        Permissions {
            subject: subject.clone(),
            namespace: namespace.map(str::to_owned),
            entries,
        }
    }

    /// The namespaces where RoleBindings name the subject (or one of its groups), sorted.
    pub fn bound_namespaces(&self, subject: &Subject) -> BTreeSet<String> {
        self.bindings_for(&subject.identity())
            .filter_map(|b| self.bindings.get(b).and_then(|b| b.namespace.clone()))
            .collect()
    }

    /// Indexes of bindings that may name the identity (its user, as User or ServiceAccount, and its groups).
    fn bindings_for(&self, identity: &Identity) -> impl Iterator<Item = usize> + '_ {
        let mut keys = Vec::new();
        if let Some(user) = &identity.user {
            keys.push(Subject::user(user));
        }
        keys.extend(identity.groups.iter().map(|g| Subject::Group(g.clone())));
        let mut seen = BTreeSet::new();
        for key in &keys {
            seen.extend(
                self.bindings_by_subject
                    .get(key)
                    .into_iter()
                    .flatten()
                    .copied(),
            );
        }
        seen.into_iter()
    }

    /// The user name of a service account, as bound in RoleBindings.
    pub fn service_account_user(namespace: &str, name: &str) -> String {
        service_account_user(namespace, name)
    }

    /// Service accounts known in a namespace (objects and binding subjects).
    pub fn service_accounts_in<'a>(
        &'a self,
        namespace: &'a str,
    ) -> impl Iterator<Item = (&'a str, Option<&'a Origin>)> + 'a {
        self.input_rest
            .service_accounts
            .range((namespace.to_owned(), String::new())..)
            .take_while(move |((ns, _), _)| ns == namespace)
            .map(|((_, name), origin)| (name.as_str(), origin.as_ref()))
    }

    /// Every known service account.
    pub fn all_service_accounts(&self) -> impl Iterator<Item = (&str, &str, Option<&Origin>)> {
        self.input_rest
            .service_accounts
            .iter()
            .map(|((ns, name), origin)| (ns.as_str(), name.as_str(), origin.as_ref()))
    }

    /// Whether the key names a ClusterRole.
    pub fn is_cluster_role(key: &RoleKey) -> bool {
        key.kind == RoleKind::ClusterRole
    }
}

fn push_grant(grants: &mut Vec<Arc<Grant>>, grant: &Arc<Grant>) {
    if !grants.iter().any(|g| Arc::ptr_eq(g, grant)) {
        grants.push(Arc::clone(grant));
    }
}

/// Aggregation as the clusterrole-aggregation controller converges: an aggregated ClusterRole's rules become
/// the union (first occurrence order, ClusterRoles by name) of the rules of every other ClusterRole matching one
/// of its selectors, repeated until nothing changes (aggregated roles selecting aggregated roles).
fn aggregate(roles: Vec<Role>) -> Vec<EffectiveRole> {
    let mut effective: Vec<EffectiveRole> = roles
        .into_iter()
        .map(|role| EffectiveRole {
            rules: if role.aggregation.is_some() {
                Vec::new()
            } else {
                role.rules.iter().cloned().map(Arc::new).collect()
            },
            role,
            risky: Vec::new(),
            aggregated_from: Vec::new(),
        })
        .collect();
    let mut cluster_roles: Vec<usize> = (0..effective.len())
        .filter(|&i| effective[i].role.key.kind == RoleKind::ClusterRole)
        .collect();
    cluster_roles.sort_by(|&a, &b| effective[a].role.key.name.cmp(&effective[b].role.key.name));
    let sources: Vec<(usize, Vec<usize>)> = cluster_roles
        .iter()
        .filter_map(|&a| {
            let selectors = effective.get(a)?.role.aggregation.as_ref()?;
            let matching = cluster_roles
                .iter()
                .copied()
                .filter(|&c| c != a)
                .filter(|&c| {
                    effective
                        .get(c)
                        .is_some_and(|c| selectors.iter().any(|s| s.matches(&c.role.labels)))
                })
                .collect();
            Some((a, matching))
        })
        .collect();
    // Each round propagates rules one aggregation level further; more rounds than aggregated roles cannot add.
    for _ in 0..=sources.len() {
        let mut changed = false;
        for (target, from) in &sources {
            let mut seen = HashSet::new();
            let mut rules = Vec::new();
            let mut names = Vec::new();
            for &c in from {
                let Some(source) = effective.get(c) else {
                    continue;
                };
                names.push(source.role.key.name.clone());
                for rule in &source.rules {
                    if seen.insert(Arc::clone(rule)) {
                        rules.push(Arc::clone(rule));
                    }
                }
            }
            if let Some(t) = effective.get_mut(*target) {
                if t.rules != rules {
                    t.rules = rules;
                    changed = true;
                }
                t.aggregated_from = names;
            }
        }
        if !changed {
            break;
        }
    }
    effective
}
