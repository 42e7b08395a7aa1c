//! The RBAC authorizer's matching functions, literally as upstream
//! (`k8s.io/component-helpers/auth/rbac/validation`: `VerbMatches`, `APIGroupMatches`, `ResourceMatches`,
//! `ResourceNameMatches`, `NonResourceURLMatches`, and `RuleAllows` in `plugin/pkg/auth/authorizer/rbac`).

use crate::model::PolicyRule;

/// One request as the authorizer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Request {
    /// A request for an API resource.
    Resource(ResourceRequest),
    /// A request for a non-resource URL (`/metrics`, `/healthz`); never namespaced.
    NonResource {
        /// The verb (`get`, `post`, …).
        verb: String,
        /// The URL path.
        path: String,
    },
}

/// A resource request: verb, group, resource, subresource, object name and namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceRequest {
    /// `get`, `list`, `create`, `bind`, …
    pub verb: String,
    /// `""` = the core group.
    pub api_group: String,
    /// Plural resource name (`pods`).
    pub resource: String,
    /// `""` when not a subresource request (`exec` for `pods/exec`).
    pub subresource: String,
    /// `""` = no name (create on a collection, list, watch): a rule with resourceNames never matches it.
    pub name: String,
    /// `None` = a cluster-scoped request (only ClusterRoleBindings apply).
    pub namespace: Option<String>,
}

impl ResourceRequest {
    /// `resource` or `resource/subresource`, as rules spell it.
    pub fn combined_resource(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }
}

impl Request {
    /// The request's namespace (`None` for cluster-scoped and non-resource requests).
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Request::Resource(r) => r.namespace.as_deref(),
            Request::NonResource { .. } => None,
        }
    }

    /// The verb of the request.
    pub fn verb(&self) -> &str {
        match self {
            Request::Resource(r) => &r.verb,
            Request::NonResource { verb, .. } => verb,
        }
    }
}

/// `VerbMatches`: `*` or the exact verb.
pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

/// `APIGroupMatches`: `*` or the exact group.
pub fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == "*" || g == group)
}

/// `ResourceMatches`: `*`, the exact `resource[/subresource]`, or `*/subresource` when a subresource is asked.
/// `pods/*` is not a wildcard upstream (it only matches the literal subresource `*`).
pub fn resource_matches(rule: &PolicyRule, combined: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|entry| {
        entry == "*"
            || entry == combined
            || (!subresource.is_empty()
                && entry.len() == subresource.len() + 2
                && entry.starts_with("*/")
                && entry.ends_with(subresource))
    })
}

/// [`resource_matches`] with the combined `resource/subresource` compared in place (no allocation per call).
fn resource_parts_match(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|entry| {
        if entry == "*" {
            return true;
        }
        if subresource.is_empty() {
            return entry == resource;
        }
        let combined = entry.len() == resource.len() + 1 + subresource.len()
            && entry.starts_with(resource)
            && entry.as_bytes().get(resource.len()) == Some(&b'/')
            && entry.ends_with(subresource);
        combined
            || (entry.len() == subresource.len() + 2
                && entry.starts_with("*/")
                && entry.ends_with(subresource))
    })
}

/// `ResourceNameMatches`: no resourceNames = every name; otherwise the request's name must be listed (so an
/// unnamed request — list, watch, create on a collection — never matches a name-restricted rule).
pub fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || rule.resource_names.iter().any(|n| n == name)
}

/// `NonResourceURLMatches`: `*`, the exact path, or a `prefix*` entry.
pub fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|url| {
        url == "*"
            || url == path
            || (url.ends_with('*') && path.starts_with(url.trim_end_matches('*')))
    })
}

/// `RuleAllows`: whether one policy rule allows the request.
pub fn rule_allows(rule: &PolicyRule, request: &Request) -> bool {
    match request {
        Request::Resource(r) => {
            verb_matches(rule, &r.verb)
                && api_group_matches(rule, &r.api_group)
                && resource_parts_match(rule, &r.resource, &r.subresource)
                && resource_name_matches(rule, &r.name)
        }
        Request::NonResource { verb, path } => {
            verb_matches(rule, verb) && non_resource_url_matches(rule, path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
        let own = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        PolicyRule {
            verbs: own(verbs),
            api_groups: own(groups),
            resources: own(resources),
            resource_names: own(names),
            non_resource_urls: Vec::new(),
        }
    }

    fn request(verb: &str, resource: &str, sub: &str, name: &str) -> Request {
        Request::Resource(ResourceRequest {
            verb: verb.into(),
            api_group: String::new(),
            resource: resource.into(),
            subresource: sub.into(),
            name: name.into(),
            namespace: Some("ns".into()),
        })
    }

    #[test]
    fn subresources_follow_upstream_resource_matches() {
        let pods = rule(&["get"], &[""], &["pods"], &[]);
        assert!(rule_allows(&pods, &request("get", "pods", "", "")));
        assert!(!rule_allows(&pods, &request("get", "pods", "log", "")));
        let any_log = rule(&["get"], &[""], &["*/log"], &[]);
        assert!(rule_allows(&any_log, &request("get", "pods", "log", "")));
        assert!(!rule_allows(&any_log, &request("get", "pods", "", "")));
        assert!(!rule_allows(&any_log, &request("get", "pods", "exec", "")));
        // `pods/*` is not a wildcard.
        let pods_star = rule(&["get"], &[""], &["pods/*"], &[]);
        assert!(!rule_allows(&pods_star, &request("get", "pods", "log", "")));
        let star = rule(&["*"], &["*"], &["*"], &[]);
        assert!(rule_allows(&star, &request("create", "pods", "exec", "x")));
    }

    #[test]
    fn resource_names_never_match_unnamed_requests() {
        let named = rule(&["get", "list"], &[""], &["secrets"], &["a"]);
        assert!(rule_allows(&named, &request("get", "secrets", "", "a")));
        assert!(!rule_allows(&named, &request("get", "secrets", "", "b")));
        assert!(!rule_allows(&named, &request("list", "secrets", "", "")));
    }

    #[test]
    fn non_resource_urls_match_exact_and_prefix() {
        let mut metrics = rule(&["get"], &[], &[], &[]);
        metrics.non_resource_urls = vec!["/metrics".into(), "/logs/*".into()];
        let get = |path: &str| Request::NonResource {
            verb: "get".into(),
            path: path.into(),
        };
        assert!(rule_allows(&metrics, &get("/metrics")));
        assert!(!rule_allows(&metrics, &get("/metrics/cadvisor")));
        assert!(rule_allows(&metrics, &get("/logs/")));
        assert!(rule_allows(&metrics, &get("/logs/kube.log")));
        assert!(!rule_allows(&metrics, &get("/healthz")));
        // A resource rule never grants a URL.
        assert!(!rule_allows(
            &rule(&["*"], &["*"], &["*"], &[]),
            &get("/metrics")
        ));
    }
}
