//! The real kube client path against a fake API server over HTTPS: pagination, metadata-only Secrets, and every
//! error case with its message.

#[path = "support/fake_api.rs"]
mod fake_api;

use fake_api::{fixture, scenario, FakeApi, Route};
use mamori_cluster::{
    fetch, fetch_streaming, scan_kinds, ClusterError, ClusterOptions, FetchItem, Fetched,
};
use mamori_model::{K8sObject, Node, Value};
use std::path::PathBuf;

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.reader-token";
const PODS: &str = "/api/v1/pods";
const FIRST_CONTINUE: &str = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDE5OTksInN0YXJ0IjoicG9kLTQifQ";
const SECOND_CONTINUE: &str = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDE5OTksInN0YXJ0IjoicG9kLTgifQ";
const METADATA_ACCEPT: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/// Fetches every scan kind from `api` through a kubeconfig with `token`.
fn fetch_from(api: &FakeApi, token: &str, namespace: Option<&str>) -> Fetched {
    let dir = tempfile::tempdir().expect("temporary directory");
    let kubeconfig = api.kubeconfig(dir.path(), "shop-admin@fake", token);
    let opts = ClusterOptions {
        kubeconfig: Some(kubeconfig),
        namespace: namespace.map(str::to_owned),
        ..ClusterOptions::default()
    };
    fetch(&opts, scan_kinds())
}

/// Fetches every scan kind with the kubeconfig at `kubeconfig` and default options otherwise.
fn fetch_with_kubeconfig(kubeconfig: PathBuf) -> Fetched {
    let opts = ClusterOptions {
        kubeconfig: Some(kubeconfig),
        ..ClusterOptions::default()
    };
    fetch(&opts, scan_kinds())
}

/// A route answering the first page of `path` with `status` and the fixture file `fixture_file`.
fn first_page(path: &str, status: u16, fixture_file: &str) -> Route {
    Route::new(path, None, status, &fixture(fixture_file))
}

/// The shop scenario with `replace`d routes (same path and continue token) and `extra` ones.
fn shop_with(replace: Vec<Route>) -> Vec<Route> {
    let mut routes = scenario("shop");
    for new in replace {
        routes.retain(|r| !(r.path == new.path && r.continue_token == new.continue_token));
        routes.push(new);
    }
    routes
}

fn objects_of<'a>(fetched: &'a Fetched, kind: &str) -> Vec<&'a K8sObject> {
    fetched
        .objects
        .iter()
        .filter(|o| o.id.kind == kind)
        .collect()
}

fn names_of(fetched: &Fetched, kind: &str) -> Vec<String> {
    objects_of(fetched, kind)
        .into_iter()
        .map(|o| o.id.name.clone())
        .collect()
}

/// Every error of a fetch as the user reads it.
fn error_messages(fetched: &Fetched) -> Vec<String> {
    fetched.errors.iter().map(ToString::to_string).collect()
}

/// The first error as the user reads it (empty when there is none).
fn first_error(fetched: &Fetched) -> String {
    fetched
        .errors
        .first()
        .map(ToString::to_string)
        .unwrap_or_default()
}

fn contains_text(node: &Node, needle: &str) -> bool {
    match &node.value {
        Value::Str(text) => text.contains(needle),
        Value::Seq(items) => items.iter().any(|n| contains_text(n, needle)),
        Value::Map(entries) => entries
            .iter()
            .any(|e| e.key.contains(needle) || contains_text(&e.value, needle)),
        _ => false,
    }
}

#[test]
fn pages_are_followed_with_continue_tokens_and_items_get_identity() {
    let api = FakeApi::start(TOKEN, scenario("shop"));
    let fetched = fetch_from(&api, TOKEN, None);
    assert!(fetched.errors.is_empty(), "{:?}", fetched.errors);
    assert_eq!(fetched.context, "shop-admin@fake");
    // Three pages of pods (3 + 3 + 2), in the server's order.
    let pods = names_of(&fetched, "Pod");
    assert_eq!(pods.len(), 8, "{pods:?}");
    let pod_requests: Vec<_> = api.seen().into_iter().filter(|s| s.path == PODS).collect();
    assert_eq!(pod_requests.len(), 3);
    for request in &pod_requests {
        assert_eq!(request.param("limit").as_deref(), Some("500"));
    }
    assert_eq!(pod_requests[0].param("continue"), None);
    assert_eq!(
        pod_requests[1].param("continue").as_deref(),
        Some(FIRST_CONTINUE)
    );
    assert_eq!(
        pod_requests[2].param("continue").as_deref(),
        Some(SECOND_CONTINUE)
    );
    // Every kind's objects, in the order of scan_kinds().
    let order: Vec<&str> = scan_kinds().iter().map(|k| k.kind).collect();
    let positions: Vec<usize> = fetched
        .objects
        .iter()
        .map(|o| {
            order
                .iter()
                .position(|k| *k == o.id.kind)
                .expect("a scan kind")
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{positions:?}");
    for object in &fetched.objects {
        assert_eq!(&*object.source.file, "cluster:shop-admin@fake");
        assert!(!object.source.pos.is_known());
        assert!(object
            .root
            .get("apiVersion")
            .and_then(Node::as_str)
            .is_some());
        assert!(object.root.path(&["metadata", "managedFields"]).is_none());
    }
    let deployment = fetched
        .objects
        .iter()
        .find(|o| o.id.kind == "Deployment")
        .expect("a deployment");
    assert_eq!(deployment.id.api_version, "apps/v1");
    assert_eq!(fetched.objects.len(), 52);
    // Namespaced kinds are listed across all namespaces, cluster-scoped kinds at the cluster scope.
    let paths: Vec<String> = api.seen().into_iter().map(|s| s.path).collect();
    assert!(paths.contains(&"/apis/rbac.authorization.k8s.io/v1/clusterroles".to_owned()));
    assert!(paths.contains(&"/apis/apps/v1/deployments".to_owned()));
    assert_eq!(paths.first().map(String::as_str), Some("/version"));
}

#[test]
fn secrets_are_listed_as_metadata_only() {
    let api = FakeApi::start(TOKEN, scenario("shop"));
    let fetched = fetch_from(&api, TOKEN, None);
    let secret_requests: Vec<_> = api
        .seen()
        .into_iter()
        .filter(|s| s.path == "/api/v1/secrets")
        .collect();
    assert_eq!(secret_requests.len(), 1);
    assert_eq!(secret_requests[0].accept, METADATA_ACCEPT);
    // Every other kind asks for plain JSON.
    assert!(api
        .seen()
        .iter()
        .filter(|s| s.path != "/api/v1/secrets")
        .all(|s| !s.accept.contains("PartialObjectMetadata")));
    let secrets = objects_of(&fetched, "Secret");
    assert_eq!(secrets.len(), 2);
    for secret in secrets {
        assert_eq!(secret.id.api_version, "v1");
        let keys: Vec<&str> = secret
            .root
            .as_map()
            .expect("a map")
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata"]);
        assert!(!contains_text(&secret.root, "last-applied-configuration"));
    }
}

#[test]
fn secret_data_is_dropped_even_when_the_server_sends_it() {
    // A server (or proxy) ignoring the metadata-only Accept header answers with full Secrets.
    let routes = shop_with(vec![first_page(
        "/api/v1/secrets",
        200,
        "shop/secrets-full.json",
    )]);
    let api = FakeApi::start(TOKEN, routes);
    let fetched = fetch_from(&api, TOKEN, None);
    assert!(fetched.errors.is_empty(), "{:?}", fetched.errors);
    let secrets = objects_of(&fetched, "Secret");
    assert_eq!(secrets.len(), 2);
    for secret in secrets {
        assert!(secret.root.get("data").is_none());
        assert!(secret.root.get("type").is_none());
        assert!(!contains_text(&secret.root, "c3VwZXJzZWNyZXQ="));
    }
}

#[test]
fn forbidden_list_names_the_kind_and_permission_and_the_rest_is_read() {
    let routes = shop_with(vec![
        first_page("/api/v1/secrets", 403, "status-403-secrets.json"),
        first_page(
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            403,
            "status-403-clusterroles.json",
        ),
    ]);
    let api = FakeApi::start(TOKEN, routes);
    let fetched = fetch_from(&api, TOKEN, None);
    assert_eq!(
        error_messages(&fetched),
        [
            "cannot list secrets (group \"\", all namespaces): forbidden: the credentials lack \"list\" on \
             \"secrets\"; grant it (see deploy/mamori-reader-clusterrole.yaml)",
            "cannot list clusterroles (group \"rbac.authorization.k8s.io\", cluster-scoped): forbidden: the \
             credentials lack \"list\" on \"clusterroles\" in API group \"rbac.authorization.k8s.io\"; grant it \
             (see deploy/mamori-reader-clusterrole.yaml)",
        ]
    );
    match &fetched.errors[0] {
        ClusterError::Forbidden { message, .. } => {
            assert!(
                message.contains("cannot list resource \"secrets\""),
                "{message}"
            );
        }
        other => panic!("expected Forbidden, got {other:?}"),
    }
    assert!(names_of(&fetched, "Secret").is_empty());
    assert!(names_of(&fetched, "ClusterRole").is_empty());
    assert_eq!(names_of(&fetched, "Pod").len(), 8);
    assert_eq!(fetched.objects.len(), 52 - 2 - 2);
}

#[test]
fn rejected_credentials_give_one_error() {
    let api = FakeApi::start(TOKEN, scenario("shop"));
    let fetched = fetch_from(&api, "expired-token", None);
    assert!(fetched.objects.is_empty());
    assert_eq!(
        error_messages(&fetched),
        [format!(
            "the API server at {} rejected the credentials of context \"shop-admin@fake\" (401 Unauthorized: \
             Unauthorized): they are missing, expired or invalid; log in again or refresh the kubeconfig",
            api.url()
        )]
    );
    // Only the probe was sent.
    assert_eq!(api.seen().len(), 1);
}

#[test]
fn unreachable_server_names_address_and_cause() {
    // A port that was just free: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let api = FakeApi::start(TOKEN, Vec::new());
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = format!("https://127.0.0.1:{port}");
    let kubeconfig = fake_api::write_kubeconfig(dir.path(), &server, &api.ca_pem, "gone", TOKEN);
    let fetched = fetch_with_kubeconfig(kubeconfig);
    assert!(fetched.objects.is_empty());
    let [error] = fetched.errors.as_slice() else {
        panic!("one error expected: {:?}", fetched.errors);
    };
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot reach the API server at {server} (context \"gone\"): "
        )),
        "{message}"
    );
    assert!(message.contains("Connection refused"), "{message}");
}

#[test]
fn untrusted_server_certificate_is_refused() {
    let api = FakeApi::start(TOKEN, scenario("shop"));
    let other = FakeApi::start(TOKEN, Vec::new());
    let dir = tempfile::tempdir().expect("temporary directory");
    // The kubeconfig trusts another CA than the one that signed the server's certificate.
    let kubeconfig =
        fake_api::write_kubeconfig(dir.path(), &api.url(), &other.ca_pem, "mitm", TOKEN);
    let fetched = fetch_with_kubeconfig(kubeconfig);
    assert!(fetched.objects.is_empty());
    let message = first_error(&fetched);
    assert!(
        message.starts_with("cannot reach the API server at"),
        "{message}"
    );
    assert!(message.to_lowercase().contains("certificate"), "{message}");
}

#[test]
fn expired_continue_token_resumes_with_the_servers_token() {
    let resume = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDI3MTMsInN0YXJ0IjoicG9kLTQifQ";
    let routes = shop_with(vec![
        Route::new(
            PODS,
            Some(FIRST_CONTINUE),
            410,
            &fixture("status-410-resume.json"),
        ),
        Route::new(PODS, Some(resume), 200, &fixture("shop/pods-3.json")),
    ]);
    let api = FakeApi::start(TOKEN, routes);
    let fetched = fetch_from(&api, TOKEN, None);
    assert!(fetched.errors.is_empty(), "{:?}", fetched.errors);
    // Page 1 (3 pods) and the remainder after resuming (2 pods).
    assert_eq!(names_of(&fetched, "Pod").len(), 5);
    assert_eq!(
        fetched.notes,
        ["listing pods (group \"\", all namespaces): the continue token expired (410 Gone) after 3 objects; \
          resumed with the server's token, so objects changed meanwhile may be missing or seen twice"]
    );
}

#[test]
fn expired_continue_token_without_resume_token_is_an_error() {
    let routes = shop_with(vec![Route::new(
        PODS,
        Some(FIRST_CONTINUE),
        410,
        &fixture("status-410.json"),
    )]);
    let api = FakeApi::start(TOKEN, routes);
    let fetched = fetch_from(&api, TOKEN, None);
    assert_eq!(
        error_messages(&fetched),
        ["cannot finish listing pods (group \"\", all namespaces): the continue token expired (410 Gone) after 3 \
          objects and the server offered no token to resume; those objects are incomplete, run again"]
    );
    assert_eq!(names_of(&fetched, "Pod").len(), 3);
}

#[test]
fn server_errors_and_unserved_kinds() {
    let routes = shop_with(vec![first_page(
        "/apis/apps/v1/deployments",
        500,
        "status-500.json",
    )]);
    let routes: Vec<Route> = routes
        .into_iter()
        .filter(|r| r.path != "/apis/node.k8s.io/v1/runtimeclasses")
        .collect();
    let api = FakeApi::start(TOKEN, routes);
    let fetched = fetch_from(&api, TOKEN, None);
    assert_eq!(
        error_messages(&fetched),
        ["cannot list deployments (group \"apps\", all namespaces): the API server answered 500: etcdserver: \
          request timed out"]
    );
    assert_eq!(
        fetched.notes,
        ["the API server does not serve node.k8s.io/v1 runtimeclasses; not read"]
    );
}

#[test]
fn one_namespace_lists_namespaced_kinds_there_and_only_its_namespace_object() {
    let api = FakeApi::start(TOKEN, Vec::new());
    let fetched = fetch_from(&api, TOKEN, Some("shop"));
    let seen = api.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert!(paths.contains(&"/api/v1/namespaces/shop/pods"));
    assert!(paths.contains(&"/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings"));
    assert!(!paths.contains(&"/api/v1/nodes"));
    assert!(!paths.iter().any(|p| p.contains("clusterrole")));
    let namespaces = seen
        .iter()
        .find(|s| s.path == "/api/v1/namespaces")
        .expect("the namespace itself is listed");
    assert_eq!(
        namespaces.param("fieldSelector").as_deref(),
        Some("metadata.name%3Dshop")
    );
    // Nothing is served: each kind is a note, not an error.
    assert!(fetched.errors.is_empty(), "{:?}", fetched.errors);
    assert_eq!(fetched.notes.len(), 18, "{:?}", fetched.notes);
}

#[test]
fn invalid_namespace_and_unknown_context_are_configuration_errors() {
    let api = FakeApi::start(TOKEN, Vec::new());
    let fetched = fetch_from(&api, TOKEN, Some("../secrets"));
    assert!(matches!(
        fetched.errors.as_slice(),
        [ClusterError::InvalidNamespace { .. }]
    ));
    assert!(api.seen().is_empty());

    let dir = tempfile::tempdir().expect("temporary directory");
    let kubeconfig = api.kubeconfig(dir.path(), "shop-admin@fake", TOKEN);
    let fetched = fetch(
        &ClusterOptions {
            kubeconfig: Some(kubeconfig),
            context: Some("prod".to_owned()),
            ..ClusterOptions::default()
        },
        scan_kinds(),
    );
    assert_eq!(
        error_messages(&fetched),
        ["cannot load the cluster configuration: context \"prod\" is not in the kubeconfig"]
    );

    let fetched = fetch_with_kubeconfig(dir.path().join("missing"));
    let message = first_error(&fetched);
    assert!(
        message.starts_with("cannot load the cluster configuration: "),
        "{message}"
    );
    assert!(message.contains("missing"), "{message}");
}

#[test]
fn streaming_delivers_pages_in_kind_order_with_small_concurrency() {
    let api = FakeApi::start(TOKEN, scenario("shop"));
    let dir = tempfile::tempdir().expect("temporary directory");
    let kubeconfig = api.kubeconfig(dir.path(), "shop-admin@fake", TOKEN);
    let opts = ClusterOptions {
        kubeconfig: Some(kubeconfig),
        concurrency: 1,
        page_size: 2,
        ..ClusterOptions::default()
    };
    let mut events = Vec::new();
    fetch_streaming(&opts, scan_kinds(), &mut |item| {
        events.push(match item {
            FetchItem::Connected { context, .. } => format!("connected {context}"),
            FetchItem::Page { kind, objects } => format!("page {} {}", kind.plural, objects.len()),
            FetchItem::KindDone { kind, objects } => format!("done {} {objects}", kind.plural),
            FetchItem::Error(error) => format!("error {error}"),
            FetchItem::Note(note) => format!("note {note}"),
        });
    });
    assert_eq!(
        events.first().map(String::as_str),
        Some("connected shop-admin@fake")
    );
    let pods: Vec<&str> = events
        .iter()
        .map(String::as_str)
        .filter(|e| e.contains(" pods "))
        .collect();
    assert_eq!(
        pods,
        ["page pods 3", "page pods 3", "page pods 2", "done pods 8"]
    );
    let done: Vec<&str> = events
        .iter()
        .filter_map(|e| e.strip_prefix("done "))
        .filter_map(|e| e.split(' ').next())
        .collect();
    let expected: Vec<&str> = scan_kinds().iter().map(|k| k.plural).collect();
    assert_eq!(done, expected);
    let limits: Vec<Option<String>> = api
        .seen()
        .iter()
        .filter(|s| s.path == PODS)
        .map(|s| s.param("limit"))
        .collect();
    assert_eq!(limits, vec![Some("2".to_owned()); 3]);
}

#[test]
fn credentials_rejected_mid_fetch_are_reported_once() {
    // The probe passes, then the token stops working (expired during a long fetch): every later LIST gets 401.
    let routes = shop_with(vec![
        first_page(PODS, 401, "status-401.json"),
        first_page("/apis/apps/v1/deployments", 401, "status-401.json"),
        first_page("/apis/batch/v1/jobs", 401, "status-401.json"),
    ]);
    let api = FakeApi::start(TOKEN, routes);
    let fetched = fetch_from(&api, TOKEN, None);
    assert!(
        matches!(
            fetched.errors.as_slice(),
            [ClusterError::Unauthorized { .. }]
        ),
        "{:?}",
        fetched.errors
    );
    assert!(names_of(&fetched, "Pod").is_empty());
    assert!(!names_of(&fetched, "Namespace").is_empty());
}
