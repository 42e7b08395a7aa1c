//! The webhook over real TLS sockets: a server on 127.0.0.1:0 with certificates generated here, a real HTTP
//! client (hyper over tokio-rustls), and the real decision engine.

mod support;

use mamori_admission::{Engine, EngineSettings, PodSecurityConfiguration};
use mamori_webhook::metrics::Metrics;
use mamori_webhook::server::{self, RunningServer, ServerLimits, ServerOptions};
use mamori_webhook::state::ClusterCache;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{allowed, annotation, pod_review, warnings, Pki, Reply};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Defaults and exemptions the way a cluster admin writes them (upstream format).
const POD_SECURITY_CONFIG: &str = r#"
apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: privileged
  audit: privileged
  warn: privileged
exemptions:
  usernames: ["break-glass-admin"]
  namespaces: ["exempt-ns"]
  runtimeClasses: ["kata"]
"#;

/// Namespaces (and pods for the relabel dry run) as `kubectl get -o yaml` prints a List.
const CLUSTER: &str = r#"
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: restricted
    labels:
      pod-security.kubernetes.io/enforce: restricted
- apiVersion: v1
  kind: Namespace
  metadata:
    name: baseline
    labels:
      pod-security.kubernetes.io/enforce: baseline
      pod-security.kubernetes.io/warn: restricted
      pod-security.kubernetes.io/audit: restricted
- apiVersion: v1
  kind: Namespace
  metadata:
    name: exempt-ns
    labels:
      pod-security.kubernetes.io/enforce: restricted
- apiVersion: v1
  kind: Namespace
  metadata:
    name: open
- apiVersion: v1
  kind: Namespace
  metadata:
    name: relabel
- apiVersion: v1
  kind: Pod
  metadata: {name: priv-a, namespace: relabel}
  spec:
    containers: [{name: app, image: registry.example.com/app:1, securityContext: {privileged: true}}]
- apiVersion: v1
  kind: Pod
  metadata: {name: priv-b, namespace: relabel}
  spec:
    containers: [{name: app, image: registry.example.com/app:1, securityContext: {privileged: true}}]
- apiVersion: v1
  kind: Pod
  metadata: {name: plain, namespace: relabel}
  spec:
    containers: [{name: app, image: registry.example.com/app:1}]
"#;

/// Catalogue rules at admission: `image.latest-tag` denies, everything else is audited.
const MAMORI_CONFIG: &str = r#"
admission:
  defaultMode: audit
  rules:
    - {id: image.latest-tag, mode: deny}
"#;

struct Harness {
    dir: tempfile::TempDir,
    pki: Pki,
    server: RunningServer,
    client: Arc<rustls::ClientConfig>,
    cluster: Arc<ClusterCache>,
    metrics: Arc<Metrics>,
}

struct Setup {
    dry_run: bool,
    client_ca: bool,
    cluster: Option<ClusterCache>,
    limits: ServerLimits,
    grace: Duration,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            dry_run: false,
            client_ca: false,
            cluster: None,
            limits: ServerLimits {
                reload_interval: Duration::from_millis(100),
                ..ServerLimits::default()
            },
            grace: Duration::from_secs(10),
        }
    }
}

fn engine(dry_run: bool) -> Engine {
    let pod_security: PodSecurityConfiguration =
        mamori_admission::parse_pod_security_configuration(POD_SECURITY_CONFIG, "psc.yaml")
            .expect("pod security configuration");
    let config = mamori_config::parse(MAMORI_CONFIG, Arc::from("mamori.yaml"))
        .unwrap_or_else(|errors| panic!("mamori.yaml: {errors:?}"));
    Engine::new(EngineSettings {
        pod_security,
        config: Some(config),
        dry_run,
        today: mamori_config::Date::parse("2026-11-28").expect("date"),
    })
    .expect("engine")
}

async fn start(setup: Setup) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new("mamori test CA");
    let serving = pki.server("first");
    let cert = support::write(dir.path(), "tls.crt", &serving.cert_pem);
    let key = support::write(dir.path(), "tls.key", &serving.key_pem);
    let client_ca = setup
        .client_ca
        .then(|| support::write(dir.path(), "client-ca.crt", &pki.ca_pem));
    let cluster = match setup.cluster {
        Some(cluster) => Arc::new(cluster),
        None => {
            let file = support::write(dir.path(), "cluster.yaml", CLUSTER);
            Arc::new(ClusterCache::from_files(&[file]).expect("cluster file").0)
        }
    };
    let metrics = Arc::new(Metrics::new());
    let options = ServerOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        tls_cert: cert,
        tls_key: key,
        client_ca,
        shutdown_grace: setup.grace,
        limits: setup.limits,
    };
    let server = server::start(
        options,
        Arc::new(engine(setup.dry_run)),
        Arc::clone(&cluster),
        Arc::clone(&metrics),
    )
    .await
    .expect("server starts");
    let client = support::client_config(&pki.ca_pem, None);
    Harness {
        dir,
        pki,
        server,
        client,
        cluster,
        metrics,
    }
}

impl Harness {
    fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    async fn validate(&self, review: &Value) -> Value {
        let reply = support::validate(self.addr(), &self.client, review).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.content_type, "application/json");
        reply.json()
    }

    /// The reply to a pod CREATE review (`support::pod_review`).
    async fn review_pod(&self, uid: &str, namespace: &str, pod: Value, username: &str) -> Value {
        self.validate(&pod_review(uid, namespace, pod, username))
            .await
    }

    async fn get(&self, path: &str) -> Reply {
        self.get_as(&self.client, path).await.expect("GET")
    }

    /// GET `path` as the client `config` describes (another CA, a client certificate or none).
    async fn get_as(
        &self,
        config: &Arc<rustls::ClientConfig>,
        path: &str,
    ) -> Result<Reply, String> {
        support::request(self.addr(), config, "GET", path, None, Vec::new()).await
    }

    /// A new TLS connection from the test client.
    async fn connect(&self) -> TlsStream<TcpStream> {
        support::connect(self.addr(), &self.client)
            .await
            .expect("connect")
    }

    /// POSTs `/validate` on a new connection with a chunked body, one chunk per part, and reads the response.
    async fn post_chunked(&self, parts: &[&[u8]]) -> (u16, String) {
        let mut stream = self.connect().await;
        stream
            .write_all(
                b"POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
            )
            .await
            .expect("write head");
        for part in parts {
            let mut chunk = format!("{:x}\r\n", part.len()).into_bytes();
            chunk.extend_from_slice(part);
            chunk.extend_from_slice(b"\r\n");
            stream.write_all(&chunk).await.expect("write chunk");
            stream.flush().await.expect("flush");
        }
        stream
            .write_all(b"0\r\n\r\n")
            .await
            .expect("write last chunk");
        read_response(&mut stream).await
    }

    async fn post(&self, content_type: Option<&str>, body: Vec<u8>) -> Reply {
        support::request(
            self.addr(),
            &self.client,
            "POST",
            "/validate",
            content_type,
            body,
        )
        .await
        .expect("POST")
    }
}

fn deployment(name: &str, namespace: &str, pod_spec: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec}
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_security_verdicts_over_tls() {
    let harness = start(Setup::default()).await;

    // Allowed: a restricted pod in a restricted namespace; the review is echoed with response.uid.
    let reply = harness
        .review_pod(
            "uid-allowed",
            "restricted",
            support::restricted_pod("good", "restricted"),
            "alice",
        )
        .await;
    assert!(allowed(&reply), "{reply}");
    assert_eq!(reply["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(reply["kind"], "AdmissionReview");
    assert_eq!(reply["response"]["uid"], "uid-allowed");
    assert_eq!(reply["request"]["uid"], "uid-allowed");
    assert_eq!(
        annotation(&reply, "enforce-policy"),
        Some("restricted:latest")
    );

    // Denied: a privileged pod, with upstream's Forbidden status.
    let reply = harness
        .review_pod(
            "uid-denied",
            "restricted",
            support::privileged_pod("bad", "restricted"),
            "alice",
        )
        .await;
    assert!(!allowed(&reply), "{reply}");
    let status = &reply["response"]["status"];
    assert_eq!(status["code"], 403);
    assert_eq!(status["reason"], "Forbidden");
    assert_eq!(status["status"], "Failure");
    let message = status["message"].as_str().unwrap_or_default();
    assert!(
        message
            .starts_with("pods \"bad\" is forbidden: violates PodSecurity \"restricted:latest\": "),
        "{message}"
    );
    assert!(message.contains("privileged"), "{message}");
    assert!(warnings(&reply).is_empty(), "no warnings on a rejected pod");

    // Warned and audited: baseline enforce lets it in, restricted warn/audit report it.
    let reply = harness
        .review_pod(
            "uid-warned",
            "baseline",
            support::baseline_pod("meh", "baseline"),
            "alice",
        )
        .await;
    assert!(allowed(&reply), "{reply}");
    let warned = warnings(&reply);
    assert!(
        warned
            .iter()
            .any(|w| w.starts_with("would violate PodSecurity \"restricted:latest\": ")),
        "{warned:?}"
    );
    let audit = annotation(&reply, "audit-violations").unwrap_or_default();
    assert!(
        audit.starts_with("would violate PodSecurity \"restricted:latest\": "),
        "{reply}"
    );

    // Exemptions: user, namespace, runtimeClass.
    let mut kata = support::privileged_pod("kata-pod", "restricted");
    kata["spec"]["runtimeClassName"] = json!("kata");
    let exempted = [
        (
            "uid-user",
            "restricted",
            support::privileged_pod("by-admin", "restricted"),
            "break-glass-admin",
            "user",
        ),
        (
            "uid-ns",
            "exempt-ns",
            support::privileged_pod("in-exempt", "exempt-ns"),
            "alice",
            "namespace",
        ),
        ("uid-rc", "restricted", kata, "alice", "runtimeClass"),
    ];
    for (uid, namespace, pod, username, exemption) in exempted {
        let reply = harness.review_pod(uid, namespace, pod, username).await;
        assert!(allowed(&reply), "{reply}");
        assert_eq!(annotation(&reply, "exempt"), Some(exemption), "{uid}");
    }

    // Workloads: never enforced, warned at the (defaulted) warn level.
    let privileged_spec = support::privileged_pod("x", "restricted")["spec"].clone();
    let reply = harness
        .validate(&support::review(
            "uid-deploy",
            "CREATE",
            ("apps", "v1", "deployments", "Deployment"),
            "restricted",
            deployment("web", "restricted", privileged_spec),
            None,
            "alice",
        ))
        .await;
    assert!(
        allowed(&reply),
        "workloads are never denied by Pod Security: {reply}"
    );
    let warned = warnings(&reply);
    assert!(
        warned
            .iter()
            .any(|w| w.starts_with("would violate PodSecurity \"restricted:latest\": ")),
        "{warned:?}"
    );

    // Namespace relabel: a dry run over the namespace's pods, answered with warnings.
    let old = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "relabel"}});
    let new = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "relabel",
        "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}});
    let reply = harness
        .validate(&support::review(
            "uid-relabel",
            "UPDATE",
            ("", "v1", "namespaces", "Namespace"),
            "relabel",
            new,
            Some(old),
            "alice",
        ))
        .await;
    assert!(allowed(&reply), "{reply}");
    let warned = warnings(&reply);
    assert_eq!(
        warned,
        vec![
            "existing pods in namespace \"relabel\" violate the new PodSecurity enforce level \"baseline:latest\"".to_owned(),
            "priv-a (and 1 other pod): privileged".to_owned(),
        ],
        "{reply}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogue_rules_deny_and_dry_run_warns() {
    let mut latest = support::baseline_pod("latest", "open");
    latest["spec"]["containers"][0]["image"] = json!("nginx:latest");

    let harness = start(Setup::default()).await;
    let reply = harness
        .review_pod("uid-latest", "open", latest.clone(), "alice")
        .await;
    assert!(!allowed(&reply), "{reply}");
    let message = reply["response"]["status"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("image.latest-tag"), "{message}");

    let dry = start(Setup {
        dry_run: true,
        ..Setup::default()
    })
    .await;
    let reply = dry
        .review_pod("uid-latest-dry", "open", latest, "alice")
        .await;
    assert!(allowed(&reply), "dry-run never denies: {reply}");
    let warned = warnings(&reply);
    assert!(
        warned
            .iter()
            .any(|w| w.contains("(dry-run)") && w.contains("image.latest-tag")),
        "{warned:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_on_the_wire_is_the_engines_byte_for_byte() {
    let harness = start(Setup::default()).await;
    let review = pod_review(
        "uid-wire",
        "restricted",
        support::privileged_pod("bad", "restricted"),
        "alice",
    );
    // Indentation and an escape: the echo must be the bytes received, not a re-encoding of them.
    let text = serde_json::to_string_pretty(&review)
        .expect("json")
        .replace("\"alice\"", "\"al\\u0069ce\"");
    let expected = engine(false)
        .review(text.as_bytes(), &*harness.cluster)
        .expect("reviewed")
        .body;
    assert!(!allowed(&serde_json::from_slice(&expected).expect("json")));

    // The body in one frame (Content-Length): the response echoes it in place.
    let reply = harness
        .post(Some("application/json"), text.clone().into_bytes())
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text(), String::from_utf8_lossy(&expected));

    // The body in many frames (chunked), joined before the review.
    let parts: Vec<&[u8]> = text.as_bytes().chunks(700).collect();
    let (status, body) = harness.post_chunked(&parts).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, String::from_utf8_lossy(&expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_errors_match_upstream() {
    let harness = start(Setup::default()).await;
    let limit = server::MAX_BODY_BYTES;

    // 413 at the limit (Go's LimitedReader check), with upstream's text.
    let reply = harness
        .post(Some("application/json"), vec![b' '; limit])
        .await;
    assert_eq!(reply.status, 413);
    assert_eq!(
        reply.text(),
        "request entity is too large; limit is 3145728 bytes\n"
    );
    // Just under the limit it is read, and rejected as not a review.
    let reply = harness
        .post(Some("application/json"), vec![b' '; limit - 1])
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());

    // 413 without a Content-Length (chunked), detected while reading. 3 MiB + 1 KiB in four chunks, then the
    // terminating chunk: the whole body is read, so the 413 arrives on a healthy connection.
    let mebibyte = vec![b' '; 1024 * 1024];
    let (status, body) = harness
        .post_chunked(&[&mebibyte, &mebibyte, &mebibyte, &mebibyte[..1024]])
        .await;
    assert_eq!(status, 413);
    assert_eq!(
        body,
        "request entity is too large; limit is 3145728 bytes\n"
    );

    // 400: not JSON, wrong version, wrong kind, no request, empty body.
    let reply = harness
        .post(Some("application/json"), b"not json".to_vec())
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    for bad in [
        json!({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "1"}}),
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "Pod", "request": {"uid": "1"}}),
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}),
    ] {
        let reply = harness
            .post(
                Some("application/json"),
                serde_json::to_vec(&bad).expect("json"),
            )
            .await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text());
    }
    let reply = harness.post(Some("application/json"), Vec::new()).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.text(), "request body is empty\n");

    // Method and content type.
    let reply = harness.get("/validate").await;
    assert_eq!(reply.status, 405);
    let body = serde_json::to_vec(&pod_review(
        "u",
        "open",
        support::baseline_pod("p", "open"),
        "alice",
    ))
    .expect("json");
    let reply = harness.post(Some("text/plain"), body.clone()).await;
    assert_eq!(reply.status, 415);
    assert_eq!(
        reply.text(),
        "expected application/json content-type, got \"text/plain\"\n"
    );
    let reply = harness
        .post(Some("application/json; charset=utf-8"), body.clone())
        .await;
    assert_eq!(
        reply.status, 415,
        "the content type must be exactly application/json"
    );
    let reply = harness.post(None, body).await;
    assert_eq!(reply.status, 415);
    assert_eq!(
        reply.text(),
        "expected application/json content-type, got \"\"\n"
    );
    assert_eq!(harness.get("/nope").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_timeout_bounds_a_slow_body() {
    let harness = start(Setup::default()).await;
    let mut stream = harness.connect().await;
    stream
        .write_all(
            b"POST /validate?timeout=300ms HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{",
        )
        .await
        .expect("write head");
    let started = Instant::now();
    let (status, _) = read_response(&mut stream).await;
    assert_eq!(status, 408);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_requires_a_client_certificate() {
    let harness = start(Setup {
        client_ca: true,
        ..Setup::default()
    })
    .await;
    let anonymous = harness.get_as(&harness.client, "/healthz").await;
    assert!(
        anonymous.is_err(),
        "a client without a certificate is refused: {anonymous:?}"
    );

    let stranger_pki = Pki::new("someone else");
    let stranger = support::client_config(&harness.pki.ca_pem, Some(&stranger_pki.client("x")));
    let reply = harness.get_as(&stranger, "/healthz").await;
    assert!(
        reply.is_err(),
        "a certificate from another CA is refused: {reply:?}"
    );

    let api_server = support::client_config(
        &harness.pki.ca_pem,
        Some(&harness.pki.client("kube-apiserver")),
    );
    let reply = harness
        .get_as(&api_server, "/healthz")
        .await
        .expect("a client with a certificate from the CA is accepted");
    assert_eq!(reply.status, 200);
    let reply = support::validate(
        harness.addr(),
        &api_server,
        &pod_review("u", "open", support::baseline_pod("p", "open"), "alice"),
    )
    .await;
    assert_eq!(reply.status, 200);
}

async fn served_certificate(harness: &Harness) -> Vec<u8> {
    let stream = harness.connect().await;
    stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|cert| cert.as_ref().to_vec())
        .expect("server certificate")
}

fn pem_der(pem: &str) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .expect("PEM")
        .as_ref()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotation_while_serving() {
    let harness = start(Setup::default()).await;
    let first = served_certificate(&harness).await;

    // A connection opened before the rotation keeps working on its certificate.
    let mut early = harness.connect().await;

    let second = harness.pki.server("second");
    // Key first, then certificate, as a careless rotation would: the mismatched moment is rejected, the final
    // pair is served.
    support::write(harness.dir.path(), "tls.key", &second.key_pem);
    tokio::time::sleep(Duration::from_millis(300)).await;
    support::write(harness.dir.path(), "tls.crt", &second.cert_pem);
    let expected = pem_der(&second.cert_pem);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let served = served_certificate(&harness).await;
        if served == expected {
            break;
        }
        assert_eq!(
            served, first,
            "only the old or the new certificate is ever served"
        );
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(healthz_on(&mut early).await, 200);

    // A broken pair (certificate without its key) is rejected; the current certificate stays.
    let third = harness.pki.server("third");
    support::write(harness.dir.path(), "tls.crt", &third.cert_pem);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(served_certificate(&harness).await, expected);
    let metrics = harness.get("/metrics").await.text();
    assert!(
        metrics.contains("mamori_admission_certificate_reloads_total{result=\"success\"} 1"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("mamori_admission_certificate_reloads_total{result=\"failure\"} 0"),
        "{metrics}"
    );
}

/// Sends `GET /healthz` on an open connection and returns the response status.
async fn healthz_on<S: tokio::io::AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> u16 {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("write");
    read_response(stream).await.0
}

/// Reads one HTTP/1.1 response (Content-Length framed) from a raw stream.
async fn read_response<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> (u16, String) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(index) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break index + 4;
        }
        let read = stream.read(&mut chunk).await.expect("read response");
        assert!(read > 0, "connection closed before a response: {buffer:?}");
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status code");
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let read = stream.read(&mut chunk).await.expect("read body");
        assert!(read > 0, "connection closed inside the body");
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = String::from_utf8_lossy(&buffer[head_end..head_end + length]).into_owned();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_drains_in_flight_requests() {
    let harness = start(Setup::default()).await;
    let body = serde_json::to_vec(&pod_review(
        "uid-in-flight",
        "restricted",
        support::restricted_pod("late", "restricted"),
        "alice",
    ))
    .expect("json");
    let (first_half, second_half) = body.split_at(body.len() / 2);

    // Two requests in flight: head and half the body sent.
    let mut in_flight = Vec::new();
    for _ in 0..2 {
        let mut stream = harness.connect().await;
        let head = format!(
            "POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.expect("head");
        stream.write_all(first_half).await.expect("first half");
        stream.flush().await.expect("flush");
        in_flight.push(stream);
    }
    // An idle keep-alive connection is closed by the shutdown.
    let mut idle = harness.connect().await;
    assert_eq!(healthz_on(&mut idle).await, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let addr = harness.addr();
    harness.server.shutdown();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "new connections are refused once shutdown began"
    );

    for mut stream in in_flight {
        stream.write_all(second_half).await.expect("second half");
        let (status, response) = read_response(&mut stream).await;
        assert_eq!(status, 200, "{response}");
        let response: Value = serde_json::from_str(&response).expect("JSON");
        assert_eq!(response["response"]["uid"], "uid-in-flight");
        assert_eq!(response["response"]["allowed"], true);
    }
    let mut rest = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut rest)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "idle connection closed: {closed:?}"
    );
    let report = tokio::time::timeout(Duration::from_secs(10), harness.server.wait())
        .await
        .expect("server stops");
    assert!(report.drained);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_cluster_cache() {
    let harness = start(Setup {
        cluster: Some(ClusterCache::new()),
        ..Setup::default()
    })
    .await;
    assert_eq!(harness.get("/healthz").await.status, 200);
    let reply = harness.get("/readyz").await;
    assert_eq!(reply.status, 503);
    // Before the sync a pod cannot be checked: upstream's namespace lookup failure denies it.
    let reply = harness
        .review_pod(
            "uid-early",
            "restricted",
            support::restricted_pod("p", "restricted"),
            "alice",
        )
        .await;
    assert!(!allowed(&reply), "{reply}");
    assert_eq!(
        reply["response"]["status"]["message"],
        "Internal error occurred: failed to lookup namespace \"restricted\""
    );
    assert_eq!(reply["response"]["status"]["code"], 500);
    let metrics = harness.get("/metrics").await.text();
    assert!(metrics.contains("mamori_admission_ready 0"), "{metrics}");

    let namespace = mamori_admission::NamespaceInfo {
        name: "restricted".to_owned(),
        labels: vec![(
            "pod-security.kubernetes.io/enforce".to_owned(),
            "restricted".to_owned(),
        )],
    };
    harness
        .cluster
        .replace_namespaces(HashMap::from([("restricted".to_owned(), namespace)]));
    assert_eq!(
        harness.get("/readyz").await.status,
        503,
        "pods not synced yet"
    );
    harness.cluster.replace_pods(HashMap::new());
    assert_eq!(harness.get("/readyz").await.status, 200);
    let reply = harness
        .review_pod(
            "uid-late",
            "restricted",
            support::restricted_pod("p", "restricted"),
            "alice",
        )
        .await;
    assert!(allowed(&reply), "{reply}");
    let metrics = harness.get("/metrics").await.text();
    assert!(metrics.contains("mamori_admission_ready 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_decisions_and_latency() {
    let harness = start(Setup::default()).await;
    let mut latest = support::baseline_pod("latest", "open");
    latest["spec"]["containers"][0]["image"] = json!("nginx:latest");
    harness.review_pod("m1", "open", latest, "alice").await;
    harness
        .review_pod(
            "m2",
            "restricted",
            support::restricted_pod("ok", "restricted"),
            "alice",
        )
        .await;
    harness.post(Some("text/plain"), b"{}".to_vec()).await;
    let reply = harness.get("/metrics").await;
    assert_eq!(reply.status, 200);
    assert!(reply
        .content_type
        .starts_with("application/openmetrics-text"));
    let text = reply.text();
    for expected in [
        "mamori_admission_http_requests_total{code=\"200\"} 2",
        "mamori_admission_http_requests_total{code=\"415\"} 1",
        "mamori_admission_reviews_total{allowed=\"true\"} 1",
        "mamori_admission_reviews_total{allowed=\"false\"} 1",
        "mamori_admission_errors_total{kind=\"content_type\"} 1",
        "mamori_admission_decisions_total{mode=\"deny\",rule=\"image.latest-tag\",namespace=\"open\",enforced=\"true\"} 1",
        "mamori_admission_request_duration_seconds_count 3",
        "mamori_admission_connections_open",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // The in-process registry agrees with what was served.
    assert!(harness.metrics.encode().contains("code=\"415\"} 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new("mamori test CA");
    let serving = pki.server("first");
    let other = pki.server("other");
    let cert = support::write(dir.path(), "tls.crt", &serving.cert_pem);
    let key = support::write(dir.path(), "tls.key", &serving.key_pem);
    let wrong_key = support::write(dir.path(), "wrong.key", &other.key_pem);
    let not_pem = support::write(dir.path(), "garbage.pem", "hello\n");
    let options = |cert: &std::path::Path, key: &std::path::Path, ca: Option<&std::path::Path>| {
        ServerOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls_cert: cert.to_path_buf(),
            tls_key: key.to_path_buf(),
            client_ca: ca.map(std::path::Path::to_path_buf),
            shutdown_grace: Duration::from_secs(1),
            limits: ServerLimits::default(),
        }
    };
    let start_with = |options: ServerOptions| async move {
        server::start(
            options,
            Arc::new(engine(false)),
            Arc::new(ClusterCache::new()),
            Arc::new(Metrics::new()),
        )
        .await
        .map(|_| ())
        .map_err(|err| err.message)
    };
    let missing = dir.path().join("missing.key");
    let cases = [
        (options(&cert, &missing, None), "missing.key: "),
        (
            options(&cert, &not_pem, None),
            "garbage.pem: no private key found",
        ),
        (
            options(&not_pem, &key, None),
            "garbage.pem: no certificate found",
        ),
        (
            options(&cert, &wrong_key, None),
            "unusable certificate and key",
        ),
        (
            options(&cert, &key, Some(&not_pem)),
            "garbage.pem: no CA certificate found",
        ),
    ];
    for (options, expected) in cases {
        let result = start_with(options).await;
        match result {
            Err(message) => assert!(message.contains(expected), "{message:?} vs {expected:?}"),
            Ok(()) => panic!("started despite {expected:?}"),
        }
    }
    assert_eq!(start_with(options(&cert, &key, None)).await, Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_over_alpn() {
    use http_body_util::{BodyExt, Full};
    let harness = start(Setup::default()).await;
    let mut config = (*support::client_config(&harness.pki.ca_pem, None)).clone();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let config = Arc::new(config);
    let tls = support::connect(harness.addr(), &config)
        .await
        .expect("connect");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .expect("h2 handshake");
    tokio::spawn(connection);
    // Several reviews multiplexed on the one connection.
    let mut pending = Vec::new();
    for index in 0..4 {
        let review = pod_review(
            &format!("uid-h2-{index}"),
            "restricted",
            support::privileged_pod("bad", "restricted"),
            "alice",
        );
        let request = hyper::Request::builder()
            .method("POST")
            .uri(format!(
                "https://localhost:{}/validate",
                harness.addr().port()
            ))
            .header("content-type", "application/json")
            .body(Full::new(hyper::body::Bytes::from(
                serde_json::to_vec(&review).expect("json"),
            )))
            .expect("request");
        pending.push(sender.send_request(request));
    }
    for (index, response) in pending.into_iter().enumerate() {
        let response = response.await.expect("h2 response");
        assert_eq!(response.status(), 200);
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let reply: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(reply["response"]["uid"], format!("uid-h2-{index}"));
        assert!(!allowed(&reply));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limit_holds_further_clients_back() {
    let harness = start(Setup {
        limits: ServerLimits {
            max_connections: 2,
            ..ServerLimits::default()
        },
        ..Setup::default()
    })
    .await;
    let first = support::connect(harness.addr(), &harness.client)
        .await
        .expect("first");
    let _second = support::connect(harness.addr(), &harness.client)
        .await
        .expect("second");
    // The third waits in the listen backlog: no handshake while both slots are taken.
    let third = tokio::spawn({
        let addr = harness.addr();
        let client = Arc::clone(&harness.client);
        async move { support::connect(addr, &client).await }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !third.is_finished(),
        "a third connection was served beyond the limit"
    );
    drop(first);
    let mut third = tokio::time::timeout(Duration::from_secs(5), third)
        .await
        .expect("served once a slot frees")
        .expect("task")
        .expect("handshake");
    assert_eq!(healthz_on(&mut third).await, 200);
}
