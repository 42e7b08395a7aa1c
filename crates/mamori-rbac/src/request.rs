//! Building a [`Request`] from command-line words: `VERB RESOURCE[.GROUP][/SUBRESOURCE]` or `VERB /url`.

use crate::matching::{Request, ResourceRequest};

/// API groups of the built-in resources (what kubectl would learn from discovery), for
/// `RESOURCE` without `.GROUP` and without `--api-group`. Anything else is the core group.
const BUILTIN_GROUPS: &[(&str, &str)] = &[
    ("deployments", "apps"),
    ("replicasets", "apps"),
    ("statefulsets", "apps"),
    ("daemonsets", "apps"),
    ("controllerrevisions", "apps"),
    ("jobs", "batch"),
    ("cronjobs", "batch"),
    ("roles", "rbac.authorization.k8s.io"),
    ("clusterroles", "rbac.authorization.k8s.io"),
    ("rolebindings", "rbac.authorization.k8s.io"),
    ("clusterrolebindings", "rbac.authorization.k8s.io"),
    ("networkpolicies", "networking.k8s.io"),
    ("ingresses", "networking.k8s.io"),
    ("ingressclasses", "networking.k8s.io"),
    ("certificatesigningrequests", "certificates.k8s.io"),
    ("signers", "certificates.k8s.io"),
    ("tokenreviews", "authentication.k8s.io"),
    ("selfsubjectreviews", "authentication.k8s.io"),
    ("subjectaccessreviews", "authorization.k8s.io"),
    ("selfsubjectaccessreviews", "authorization.k8s.io"),
    ("selfsubjectrulesreviews", "authorization.k8s.io"),
    ("localsubjectaccessreviews", "authorization.k8s.io"),
    ("horizontalpodautoscalers", "autoscaling"),
    ("poddisruptionbudgets", "policy"),
    ("storageclasses", "storage.k8s.io"),
    ("csidrivers", "storage.k8s.io"),
    ("csinodes", "storage.k8s.io"),
    ("volumeattachments", "storage.k8s.io"),
    (
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
    ),
    (
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
    ),
    (
        "validatingadmissionpolicies",
        "admissionregistration.k8s.io",
    ),
    (
        "validatingadmissionpolicybindings",
        "admissionregistration.k8s.io",
    ),
    ("customresourcedefinitions", "apiextensions.k8s.io"),
    ("apiservices", "apiregistration.k8s.io"),
    ("priorityclasses", "scheduling.k8s.io"),
    ("runtimeclasses", "node.k8s.io"),
    ("leases", "coordination.k8s.io"),
    ("endpointslices", "discovery.k8s.io"),
    ("userextras", "authentication.k8s.io"),
    ("uids", "authentication.k8s.io"),
];

/// The API group of a built-in resource (`""` = core) when `--api-group` is not given.
pub fn default_group(resource: &str) -> &'static str {
    BUILTIN_GROUPS
        .iter()
        .find(|(r, _)| *r == resource)
        .map_or("", |(_, g)| g)
}

/// Builds a request: `resource` is `/url` (non-resource; `namespace` and `name` must be unset),
/// `RESOURCE[/SUB]` or `RESOURCE.GROUP[/SUB]`; `api_group` overrides the group.
pub fn parse_request(
    verb: &str,
    resource: &str,
    api_group: Option<&str>,
    name: Option<&str>,
    namespace: Option<&str>,
) -> Result<Request, String> {
    if verb.is_empty() {
        return Err("the verb is empty".to_owned());
    }
    if resource.starts_with('/') {
        if namespace.is_some() || name.is_some() || api_group.is_some() {
            return Err(format!(
                "{resource} is a non-resource URL: -n, --name and --api-group do not apply"
            ));
        }
        return Ok(Request::NonResource {
            verb: verb.to_owned(),
            path: resource.to_owned(),
        });
    }
    let (resource_part, subresource) = match resource.split_once('/') {
        Some((r, s)) if !s.is_empty() && !s.contains('/') => (r, s),
        Some(_) => {
            return Err(format!(
                "resource {resource:?}: expected RESOURCE[/SUBRESOURCE]"
            ))
        }
        None => (resource, ""),
    };
    let (plural, written_group) = match resource_part.split_once('.') {
        Some((r, g)) => (r, Some(g)),
        None => (resource_part, None),
    };
    if plural.is_empty() {
        return Err(format!("resource {resource:?}: the resource name is empty"));
    }
    let group = api_group
        .or(written_group)
        .unwrap_or_else(|| default_group(plural));
    Ok(Request::Resource(ResourceRequest {
        verb: verb.to_owned(),
        api_group: group.to_owned(),
        resource: plural.to_owned(),
        subresource: subresource.to_owned(),
        name: name.unwrap_or_default().to_owned(),
        namespace: namespace.map(str::to_owned),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_groups_and_urls() {
        let Ok(Request::Resource(r)) = parse_request("create", "pods/exec", None, None, Some("a"))
        else {
            panic!("pods/exec is a resource request");
        };
        assert_eq!(
            (
                r.api_group.as_str(),
                r.resource.as_str(),
                r.subresource.as_str()
            ),
            ("", "pods", "exec")
        );
        let Ok(Request::Resource(r)) = parse_request("get", "deployments", None, None, None) else {
            panic!("deployments is a resource request");
        };
        assert_eq!(r.api_group, "apps");
        let Ok(Request::Resource(r)) =
            parse_request("get", "widgets.example.com/status", None, None, None)
        else {
            panic!("widgets.example.com/status is a resource request");
        };
        assert_eq!(
            (
                r.api_group.as_str(),
                r.resource.as_str(),
                r.subresource.as_str()
            ),
            ("example.com", "widgets", "status")
        );
        assert!(matches!(
            parse_request("get", "/metrics", None, None, None),
            Ok(Request::NonResource { .. })
        ));
        assert!(parse_request("get", "/metrics", None, None, Some("x")).is_err());
        assert!(parse_request("get", "pods/a/b", None, None, None).is_err());
    }
}
