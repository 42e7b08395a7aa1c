//! who-can answers on fixtures written from the Kubernetes RBAC documentation.

mod common;
use common::{analyzer, who};
use mamori_rbac::Subject;

#[test]
fn aggregation_unions_selected_cluster_roles() {
    let a = analyzer("aggregation.yaml");
    assert_eq!(who(&a, "list", "pods", Some("any"), None), ["User:mon"]);
    assert_eq!(who(&a, "watch", "services", None, None), ["User:mon"]);
    // The documentation's rule lists endpointslices under the core group; the real resource lives in
    // discovery.k8s.io, so the rule does not grant it (exact group matching).
    assert!(who(&a, "watch", "endpointslices", None, None).is_empty());
    let core = mamori_rbac::request::parse_request("watch", "endpointslices", Some(""), None, None)
        .expect("valid request");
    assert_eq!(a.who_can(&core).len(), 1);
    assert!(who(&a, "delete", "pods", Some("any"), None).is_empty());
}

#[test]
fn aggregation_is_transitive_like_the_controller() {
    let a = analyzer("aggregation.yaml");
    // view ← aggregate-cron-tabs-view; edit ← view + aggregate-cron-tabs-edit; admin ← edit.
    assert_eq!(
        who(&a, "get", "crontabs.stable.example.com", Some("dev"), None),
        ["User:dave", "User:viewer"]
    );
    assert_eq!(
        who(
            &a,
            "delete",
            "crontabs.stable.example.com",
            Some("dev"),
            None
        ),
        ["User:dave"]
    );
    assert!(who(&a, "get", "crontabs.stable.example.com", Some("prod"), None).is_empty());
    let admin = a
        .roles()
        .iter()
        .find(|r| r.role.key.name == "admin")
        .map(|r| r.rules.len());
    assert_eq!(admin, Some(2), "admin = edit's two distinct rules");
}

#[test]
fn aggregation_match_expressions() {
    let a = analyzer("aggregation.yaml");
    assert_eq!(who(&a, "create", "jobs", Some("x"), None), ["Group:tools"]);
    // team c is not In (a, b); team b old has the deprecated label (DoesNotExist fails).
    assert!(who(&a, "create", "cronjobs", Some("x"), None).is_empty());
    assert!(who(&a, "delete", "configmaps", Some("x"), None).is_empty());
}

#[test]
fn subresources_match_as_upstream() {
    let a = analyzer("subresources.yaml");
    assert_eq!(
        who(&a, "get", "pods/log", Some("default"), None),
        ["User:jane"]
    );
    assert_eq!(who(&a, "get", "pods", Some("default"), None), ["User:jane"]);
    assert_eq!(
        who(&a, "create", "pods/exec", Some("default"), None),
        ["User:ops"]
    );
    // pods/exec does not grant pods, pods does not grant pods/exec.
    assert!(who(&a, "create", "pods", Some("default"), None).is_empty());
    // */status: every resource's status subresource, in any group, but not the resource itself.
    assert_eq!(
        who(&a, "get", "deployments/status", None, None),
        ["User:status"]
    );
    assert_eq!(
        who(&a, "get", "pods/status", Some("default"), None),
        ["User:status"]
    );
    assert!(who(&a, "get", "deployments", None, None).is_empty());
    // pods/* is not a wildcard: User:star gets nothing.
    assert!(!who(&a, "get", "pods/log", Some("default"), None).contains(&"User:star".to_owned()));
}

#[test]
fn resource_names_restrict_named_requests_only() {
    let a = analyzer("resource-names.yaml");
    let sa = "ServiceAccount:default:updater";
    assert_eq!(
        who(
            &a,
            "get",
            "configmaps",
            Some("default"),
            Some("my-configmap")
        ),
        [sa]
    );
    assert_eq!(
        who(
            &a,
            "update",
            "configmaps",
            Some("default"),
            Some("my-configmap")
        ),
        [sa]
    );
    assert!(who(&a, "get", "configmaps", Some("default"), Some("other")).is_empty());
    // list has no name: a name-restricted rule never grants it, although "list" is among the verbs.
    assert!(who(&a, "list", "configmaps", Some("default"), None).is_empty());
    assert!(who(&a, "create", "configmaps", Some("default"), None).is_empty());
}

#[test]
fn non_resource_urls_exact_and_prefix() {
    let a = analyzer("non-resource.yaml");
    assert_eq!(who(&a, "get", "/healthz", None, None), ["Group:monitoring"]);
    assert_eq!(
        who(&a, "post", "/healthz/etcd", None, None),
        ["Group:monitoring"]
    );
    assert!(who(&a, "get", "/healthzz", None, None).is_empty());
    // Only the ClusterRoleBinding grants the URL; the RoleBinding of the same ClusterRole grants nothing.
    assert_eq!(
        who(&a, "get", "/metrics", None, None),
        ["ServiceAccount:monitoring:prometheus"]
    );
    assert!(who(&a, "post", "/metrics", None, None).is_empty());
    assert!(who(&a, "get", "/metrics/cadvisor", None, None).is_empty());
}

#[test]
fn group_subjects_expand_to_known_members() {
    let a = analyzer("groups.yaml");
    assert_eq!(
        who(&a, "list", "pods", None, None),
        [
            "Group:system:serviceaccounts:qa",
            "ServiceAccount:qa:tester"
        ]
    );
    assert_eq!(
        who(&a, "create", "selfsubjectaccessreviews", None, None),
        [
            "Group:system:authenticated",
            "ServiceAccount:dev:builder",
            "ServiceAccount:qa:tester",
            "User:alice"
        ]
    );
    assert_eq!(
        who(&a, "get", "secrets", Some("dev"), None),
        [
            "Group:system:serviceaccounts",
            "ServiceAccount:dev:builder",
            "ServiceAccount:qa:tester"
        ]
    );
    // Cluster-wide secrets: the ServiceAccount without namespace in a ClusterRoleBinding matches nobody.
    assert!(who(&a, "get", "secrets", None, None).is_empty());
}

#[test]
fn service_account_namespace_defaults_to_the_role_binding() {
    let a = analyzer("groups.yaml");
    assert_eq!(
        who(&a, "create", "configmaps", Some("dev"), None),
        ["ServiceAccount:dev:builder", "User:alice"]
    );
    let entries = a.who_can(
        &mamori_rbac::request::parse_request("get", "secrets", None, None, Some("dev"))
            .expect("valid request"),
    );
    let builder = entries
        .iter()
        .find(|e| e.subject.to_string() == "ServiceAccount:dev:builder")
        .expect("builder can read secrets in dev");
    assert_eq!(builder.grants.len(), 1);
    assert_eq!(
        builder.grants[0].matched,
        Subject::Group("system:serviceaccounts".into())
    );
    assert_eq!(
        builder.grants[0].binding.object.name,
        "all-sas-read-secrets"
    );
}

#[test]
fn role_binding_to_cluster_role_is_namespace_scoped() {
    let a = analyzer("scoping.yaml");
    assert_eq!(
        who(&a, "get", "secrets", Some("development"), None),
        ["Group:manager", "User:dave"]
    );
    assert_eq!(
        who(&a, "get", "secrets", Some("production"), None),
        ["Group:manager"]
    );
    assert_eq!(who(&a, "get", "secrets", None, None), ["Group:manager"]);
    assert_eq!(
        who(&a, "list", "pods", Some("development"), None),
        ["User:jane"]
    );
    assert!(who(&a, "list", "pods", Some("production"), None).is_empty());
}

#[test]
fn bindings_to_missing_roles_are_reported() {
    let a = analyzer("scoping.yaml");
    let dangling: Vec<String> = a
        .dangling_bindings()
        .iter()
        .map(|d| format!("{} -> {}", d.binding.label(), d.role))
        .collect();
    assert_eq!(
        dangling,
        ["RoleBinding production/read-pods -> Role production/pod-reader"]
    );
}

#[test]
fn can_lists_merged_permissions() {
    let a = analyzer("groups.yaml");
    let sa = Subject::parse("ServiceAccount:dev:builder").expect("valid subject");
    let perms = a.can(&sa, Some("dev"));
    let rows: Vec<String> = perms
        .table()
        .iter()
        .map(|r| format!("{:?} {} {}", r.api_group, r.resource, r.verbs.join(",")))
        .collect();
    assert_eq!(
        rows,
        [
            "Some(\"\") configmaps create",
            "Some(\"\") secrets get,list,watch",
            "Some(\"authorization.k8s.io\") selfsubjectaccessreviews create",
        ]
    );
    // Cluster-wide only the system:authenticated grant applies.
    assert_eq!(a.can(&sa, None).table().len(), 1);
}

#[test]
fn subject_parsing() {
    assert_eq!(
        Subject::parse("User:alice"),
        Ok(Subject::User("alice".into()))
    );
    assert_eq!(
        Subject::parse("Group:system:masters"),
        Ok(Subject::Group("system:masters".into()))
    );
    assert_eq!(
        Subject::parse("ServiceAccount:kube-system:default"),
        Ok(Subject::ServiceAccount {
            namespace: "kube-system".into(),
            name: "default".into()
        })
    );
    assert_eq!(
        Subject::parse("User:system:serviceaccount:a:b"),
        Ok(Subject::ServiceAccount {
            namespace: "a".into(),
            name: "b".into()
        })
    );
    assert!(Subject::parse("ServiceAccount:only-name").is_err());
    assert!(Subject::parse("alice").is_err());
}
