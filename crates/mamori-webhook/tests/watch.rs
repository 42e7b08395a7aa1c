//! The kube-rs watch path of the cluster cache against a fake API server (plain HTTP on 127.0.0.1): LIST of
//! Namespaces and Pods, then watch streams delivering ADDED/MODIFIED/DELETED events. The real kube client and
//! watcher run; readiness follows the two initial lists.

use futures_util::StreamExt;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use mamori_admission::ClusterState;
use mamori_webhook::state::{self, ClusterCache};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

type BoxBody = http_body_util::combinators::UnsyncBoxBody<Bytes, Infallible>;

/// Watch events to send, per resource ("namespaces" | "pods"); each watch request takes the receiver once.
struct FakeApi {
    namespaces: Value,
    pods: Value,
    namespace_events: Mutex<Option<mpsc::UnboundedReceiver<Value>>>,
    pod_events: Mutex<Option<mpsc::UnboundedReceiver<Value>>>,
    list_delay: Duration,
}

fn namespace(name: &str, enforce: Option<&str>) -> Value {
    let mut object = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "resourceVersion": "10", "uid": format!("uid-{name}")}});
    if let Some(level) = enforce {
        object["metadata"]["labels"] = json!({"pod-security.kubernetes.io/enforce": level});
    }
    object
}

fn pod(name: &str, namespace: &str, controller: Option<&str>) -> Value {
    let mut object = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "resourceVersion": "10", "uid": format!("uid-{name}"),
                     "managedFields": [{"manager": "kubectl", "operation": "Update"}],
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\"}",
                                     "container.apparmor.security.beta.kubernetes.io/app": "runtime/default"}},
        "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1"}]},
        "status": {"phase": "Running"}});
    if let Some(uid) = controller {
        object["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "name": "rs", "uid": uid, "controller": true}]);
    }
    object
}

fn list(kind: &str, items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": "20"}, "items": items})
}

async fn handle(api: Arc<FakeApi>, request: Request<Incoming>) -> Response<BoxBody> {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    if let Some(name) = path.strip_prefix("/api/v1/namespaces/") {
        // A namespace created after the list, before its watch event: only a live GET finds it.
        if name == "just-created" {
            let body = serde_json::to_vec(&namespace(name, Some("baseline"))).unwrap_or_default();
            return Response::new(Full::new(Bytes::from(body)).boxed_unsync());
        }
        let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": format!("namespaces \"{name}\" not found"), "reason": "NotFound", "code": 404});
        let mut response = Response::new(
            Full::new(Bytes::from(serde_json::to_vec(&status).unwrap_or_default())).boxed_unsync(),
        );
        *response.status_mut() = hyper::StatusCode::NOT_FOUND;
        return response;
    }
    let resource = if path == "/api/v1/namespaces" {
        "namespaces"
    } else if path == "/api/v1/pods" {
        "pods"
    } else {
        let mut response = Response::new(Full::new(Bytes::from_static(b"{}")).boxed_unsync());
        *response.status_mut() = hyper::StatusCode::NOT_FOUND;
        return response;
    };
    let watching = query
        .split('&')
        .any(|pair| pair == "watch=true" || pair == "watch=1");
    if !watching {
        tokio::time::sleep(api.list_delay).await;
        let body = if resource == "namespaces" {
            &api.namespaces
        } else {
            &api.pods
        };
        return Response::new(
            Full::new(Bytes::from(serde_json::to_vec(body).unwrap_or_default())).boxed_unsync(),
        );
    }
    let receiver = if resource == "namespaces" {
        api.namespace_events
            .lock()
            .ok()
            .and_then(|mut slot| slot.take())
    } else {
        api.pod_events.lock().ok().and_then(|mut slot| slot.take())
    };
    // A later watch (after a reconnect) just stays open without events.
    let events = match receiver {
        Some(receiver) => futures_util::stream::unfold(receiver, |mut receiver| async move {
            let event = receiver.recv().await?;
            let mut line = serde_json::to_vec(&event).unwrap_or_default();
            line.push(b'\n');
            Some((Ok(Frame::data(Bytes::from(line))), receiver))
        })
        .boxed(),
        None => futures_util::stream::pending().boxed(),
    };
    Response::new(BodyExt::boxed_unsync(StreamBody::new(events)))
}

async fn start_fake_api(api: Arc<FakeApi>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let api = Arc::clone(&api);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let api = Arc::clone(&api);
                    async move { Ok::<_, Infallible>(handle(api, request).await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    addr
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_fills_the_cache_and_follows_events() {
    let (namespace_tx, namespace_rx) = mpsc::unbounded_channel();
    let (pod_tx, pod_rx) = mpsc::unbounded_channel();
    let api = Arc::new(FakeApi {
        namespaces: list(
            "NamespaceList",
            vec![
                namespace("prod", Some("restricted")),
                namespace("dev", None),
            ],
        ),
        pods: list(
            "PodList",
            vec![
                pod("web-b", "prod", Some("rs-1")),
                pod("web-a", "prod", Some("rs-1")),
                pod("solo", "dev", None),
            ],
        ),
        namespace_events: Mutex::new(Some(namespace_rx)),
        pod_events: Mutex::new(Some(pod_rx)),
        list_delay: Duration::from_millis(300),
    });
    let addr = start_fake_api(Arc::clone(&api)).await;
    let config = kube::Config::new(format!("http://{addr}").parse().expect("url"));
    let client = kube::Client::try_from(config).expect("client");
    let cache = Arc::new(ClusterCache::with_live_lookup(
        client.clone(),
        tokio::runtime::Handle::current(),
    ));
    let watch = tokio::spawn(state::watch_cluster(client, Arc::clone(&cache)));

    // Not ready (and lookups fail) until both lists are in.
    assert!(!cache.is_ready());
    assert!(cache.namespace("prod").is_err());
    eventually("the initial lists", || cache.is_ready()).await;

    let prod = cache.namespace("prod").expect("lookup").expect("prod");
    assert_eq!(
        prod.labels,
        vec![(
            "pod-security.kubernetes.io/enforce".to_owned(),
            "restricted".to_owned()
        )]
    );
    assert!(cache.namespace("missing").expect("lookup").is_none());
    // Not in the cache yet, but on the API server: found by a live GET and remembered.
    let fresh = cache
        .namespace("just-created")
        .expect("lookup")
        .expect("found live");
    assert_eq!(fresh.labels.len(), 1);
    assert_eq!(cache.namespace_count(), 3);
    let pods = cache.pods("prod").expect("pods");
    let names: Vec<&str> = pods.iter().map(|pod| pod.name.as_str()).collect();
    assert_eq!(
        names,
        ["web-a", "web-b"],
        "pods in name order, as a LIST returns them"
    );
    assert_eq!(pods[0].controller_uid.as_deref(), Some("rs-1"));
    // Lean: status and managedFields are not kept.
    let root = &pods[0].object.root;
    assert!(root.path(&["status"]).is_none());
    assert!(root.path(&["metadata", "managedFields"]).is_none());
    assert!(root
        .path(&[
            "metadata",
            "annotations",
            "kubectl.kubernetes.io/last-applied-configuration"
        ])
        .is_none());
    assert!(
        root.path(&[
            "metadata",
            "annotations",
            "container.apparmor.security.beta.kubernetes.io/app"
        ])
        .is_some(),
        "annotations Pod Security reads are kept"
    );
    assert!(root.path(&["spec", "containers"]).is_some());

    // Events after the sync.
    namespace_tx
        .send(json!({"type": "ADDED", "object": namespace("late", Some("baseline"))}))
        .expect("send");
    namespace_tx
        .send(json!({"type": "MODIFIED", "object": namespace("dev", Some("privileged"))}))
        .expect("send");
    pod_tx
        .send(json!({"type": "DELETED", "object": pod("web-b", "prod", Some("rs-1"))}))
        .expect("send");
    pod_tx
        .send(json!({"type": "ADDED", "object": pod("fresh", "late", None)}))
        .expect("send");
    eventually("the ADDED namespace", || {
        matches!(cache.namespace("late"), Ok(Some(_)))
    })
    .await;
    eventually("the relabelled namespace", || {
        cache
            .namespace("dev")
            .ok()
            .flatten()
            .is_some_and(|dev| !dev.labels.is_empty())
    })
    .await;
    eventually("the pod events", || {
        cache.pods("prod").is_ok_and(|pods| pods.len() == 1)
            && cache.pods("late").is_ok_and(|pods| pods.len() == 1)
    })
    .await;
    assert_eq!(cache.namespace_count(), 4);
    assert_eq!(cache.pod_count(), 3);
    watch.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_resolution_names_the_file() {
    let missing = std::path::Path::new("/nonexistent/mamori-kubeconfig");
    let Err(err) = state::kube_client(Some(missing), None).await else {
        panic!("a missing kubeconfig is an error");
    };
    assert!(err.starts_with("/nonexistent/mamori-kubeconfig: "), "{err}");
}
