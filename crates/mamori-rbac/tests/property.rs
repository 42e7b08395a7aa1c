//! Property: who-can and can agree. For random RBAC worlds (roles, aggregated ClusterRoles, RoleBindings and
//! ClusterRoleBindings with users, groups and service accounts) and random requests, a subject appears in
//! who-can(request) iff can(subject, request namespace) allows the request. who-can goes through the
//! verb × group × resource index and group expansion; can walks the subject's bindings and matches rules.

use mamori_model::{ObjectRef, Pos, SourceRef};
use mamori_rbac::matching::{Request, ResourceRequest};
use mamori_rbac::model::{
    Binding, BindingSubject, LabelSelector, Origin, PolicyRule, Role, RoleKey, RoleKind,
};
use mamori_rbac::{Analyzer, RbacInput, Subject};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

const NAMESPACES: &[&str] = &["a", "b"];
const VERBS: &[&str] = &["get", "list", "create", "*"];
const GROUPS: &[&str] = &["", "apps", "*"];
const RESOURCES: &[&str] = &[
    "pods",
    "pods/log",
    "deployments",
    "secrets",
    "*",
    "*/log",
    "pods/*",
];
const NAMES: &[&str] = &["x", "y"];
const URLS: &[&str] = &["/metrics", "/logs/*", "*", "/healthz"];
const ROLE_NAMES: &[&str] = &["r0", "r1", "r2", "r3"];

fn origin(kind: &str, namespace: Option<&str>, name: &str) -> Origin {
    Origin {
        object: Arc::new(ObjectRef {
            api_version: "rbac.authorization.k8s.io/v1".into(),
            kind: kind.into(),
            namespace: namespace.map(str::to_owned),
            name: name.into(),
        }),
        source: SourceRef {
            file: Arc::from("generated"),
            doc_index: 0,
            pos: Pos::UNKNOWN,
        },
    }
}

fn pick(items: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(items).prop_map(str::to_owned)
}

fn rule() -> impl Strategy<Value = PolicyRule> {
    prop_oneof![
        4 => (
            proptest::collection::vec(pick(VERBS), 1..3),
            proptest::collection::vec(pick(GROUPS), 1..2),
            proptest::collection::vec(pick(RESOURCES), 1..3),
            proptest::collection::vec(pick(NAMES), 0..2),
        )
            .prop_map(|(verbs, api_groups, resources, resource_names)| PolicyRule {
                verbs,
                api_groups,
                resources,
                resource_names,
                non_resource_urls: Vec::new(),
            }),
        1 => (proptest::collection::vec(pick(VERBS), 1..3), proptest::collection::vec(pick(URLS), 1..3))
            .prop_map(|(verbs, non_resource_urls)| PolicyRule {
                verbs,
                non_resource_urls,
                ..PolicyRule::default()
            }),
    ]
}

fn subject() -> impl Strategy<Value = Option<Subject>> {
    prop_oneof![
        Just(Some(Subject::User("u1".into()))),
        Just(Some(Subject::User("u2".into()))),
        Just(Some(Subject::User("system:anonymous".into()))),
        Just(Some(Subject::Group("g1".into()))),
        Just(Some(Subject::Group("system:authenticated".into()))),
        Just(Some(Subject::Group("system:unauthenticated".into()))),
        Just(Some(Subject::Group("system:serviceaccounts".into()))),
        Just(Some(Subject::Group("system:serviceaccounts:a".into()))),
        Just(Some(Subject::ServiceAccount {
            namespace: "a".into(),
            name: "s1".into()
        })),
        Just(Some(Subject::ServiceAccount {
            namespace: "b".into(),
            name: "s2".into()
        })),
        Just(None),
    ]
}

/// A role: cluster-wide or in a namespace, some rules, maybe an aggregation label and selector.
fn role() -> impl Strategy<Value = Role> {
    (
        proptest::option::of(pick(NAMESPACES)),
        pick(ROLE_NAMES),
        proptest::collection::vec(rule(), 0..3),
        proptest::option::of(pick(&["t1", "t2"])),
        proptest::option::of(pick(&["t1", "t2"])),
    )
        .prop_map(|(namespace, name, rules, label, selects)| {
            let kind = if namespace.is_some() {
                RoleKind::Role
            } else {
                RoleKind::ClusterRole
            };
            let mut labels = BTreeMap::new();
            if let Some(l) = label {
                labels.insert("agg".to_owned(), l);
            }
            let aggregation = selects.filter(|_| kind == RoleKind::ClusterRole).map(|s| {
                vec![LabelSelector {
                    match_labels: vec![("agg".to_owned(), s)],
                    match_expressions: Vec::new(),
                    valid: true,
                }]
            });
            Role {
                origin: origin(kind.as_str(), namespace.as_deref(), &name),
                key: RoleKey {
                    kind,
                    namespace,
                    name,
                },
                labels,
                rules,
                aggregation,
            }
        })
}

fn binding() -> impl Strategy<Value = Binding> {
    (
        proptest::option::of(pick(NAMESPACES)),
        any::<bool>(),
        pick(ROLE_NAMES),
        proptest::collection::vec(subject(), 1..3),
        0u32..1000,
    )
        .prop_map(|(namespace, to_role, role_name, subjects, n)| {
            let role_kind = if to_role && namespace.is_some() {
                RoleKind::Role
            } else {
                RoleKind::ClusterRole
            };
            let kind = if namespace.is_some() {
                "RoleBinding"
            } else {
                "ClusterRoleBinding"
            };
            let name = format!("b{n}");
            Binding {
                origin: origin(kind, namespace.as_deref(), &name),
                role: RoleKey {
                    kind: role_kind,
                    namespace: if role_kind == RoleKind::Role {
                        namespace.clone()
                    } else {
                        None
                    },
                    name: role_name,
                },
                namespace,
                name,
                subjects: subjects
                    .into_iter()
                    .map(|subject| BindingSubject {
                        written: format!("{subject:?}"),
                        subject,
                    })
                    .collect(),
                bootstrap: false,
            }
        })
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        4 => (
            pick(&["get", "list", "create", "delete"]),
            pick(&["", "apps", "batch"]),
            pick(&["pods", "deployments", "secrets", "configmaps"]),
            pick(&["", "", "log", "exec"]),
            pick(&["", "x", "y"]),
            proptest::option::of(pick(&["a", "b", "c"])),
        )
            .prop_map(|(verb, api_group, resource, subresource, name, namespace)| {
                Request::Resource(ResourceRequest { verb, api_group, resource, subresource, name, namespace })
            }),
        1 => (pick(&["get", "post"]), pick(&["/metrics", "/logs/a", "/healthz", "/other"]))
            .prop_map(|(verb, path)| Request::NonResource { verb, path }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(std::env::var("MAMORI_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400)))]

    #[test]
    fn who_can_and_can_agree(
        roles in proptest::collection::vec(role(), 0..8),
        bindings in proptest::collection::vec(binding(), 0..10),
        requests in proptest::collection::vec(request(), 1..8),
    ) {
        let input = RbacInput {
            roles,
            bindings,
            service_accounts: vec![("b".into(), "lonely".into(), origin("ServiceAccount", Some("b"), "lonely"))],
            ..RbacInput::default()
        };
        let analyzer = Analyzer::new(input);
        let subjects: Vec<Subject> = analyzer.subjects().cloned().collect();
        for request in &requests {
            let answer: Vec<Subject> = analyzer.who_can(request).into_iter().map(|e| e.subject).collect();
            for subject in &subjects {
                let allowed = analyzer.can(subject, request.namespace()).allows(request);
                prop_assert_eq!(
                    answer.contains(subject),
                    allowed,
                    "{} {:?}: who-can {:?}",
                    subject,
                    request,
                    answer
                );
            }
            // who-can never names a subject the input does not know.
            for s in &answer {
                prop_assert!(subjects.contains(s), "{} unknown", s);
            }
        }
    }
}
