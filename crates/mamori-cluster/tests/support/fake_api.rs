//! A fake Kubernetes API server for tests: HTTPS on 127.0.0.1 (a test CA and a server certificate with an IP
//! SAN), bearer-token authentication, and recorded LIST responses served by path and `continue` token from
//! `crates/mamori-cluster/tests/fixtures/`. It records every request it sees (path, query, Accept header), so
//! tests can check what the real kube client path sent. Also used by the CLI's cluster tests (`#[path]`).

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, Response, StatusCode};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The fixture directory of this crate's tests.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../mamori-cluster/tests/fixtures"
    ))
}

/// One canned answer: `GET path` (with `continue=token` when given) → status and body file.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Route {
    pub path: String,
    #[serde(rename = "continue", default)]
    pub continue_token: Option<String>,
    pub status: u16,
    pub file: String,
}

impl Route {
    pub fn new(path: &str, continue_token: Option<&str>, status: u16, file: &str) -> Route {
        Route {
            path: path.to_owned(),
            continue_token: continue_token.map(str::to_owned),
            status,
            file: file.to_owned(),
        }
    }
}

/// The routes of a scenario directory (`routes.json`), with files relative to it.
pub fn scenario(name: &str) -> Vec<Route> {
    let dir = fixtures_dir().join(name);
    let text = std::fs::read_to_string(dir.join("routes.json"))
        .unwrap_or_else(|err| panic!("fixture {}/routes.json: {err}", dir.display()));
    let mut routes: Vec<Route> = serde_json::from_str(&text).expect("routes.json");
    for route in &mut routes {
        route.file = dir.join(&route.file).display().to_string();
    }
    routes
}

/// A fixture file path (relative to the fixture directory).
pub fn fixture(relative: &str) -> String {
    fixtures_dir().join(relative).display().to_string()
}

/// What the server saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub query: String,
    pub accept: String,
}

impl Seen {
    /// The value of one query parameter (percent-decoding is not needed for the values used here).
    pub fn param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    }
}

/// A running fake API server; stops when dropped.
pub struct FakeApi {
    pub addr: SocketAddr,
    pub ca_pem: String,
    pub token: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    handle: axum_server::Handle<SocketAddr>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct State {
    token: String,
    routes: Vec<Route>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeApi {
    /// Starts a server answering `routes` to clients presenting `Bearer <token>`.
    pub fn start(token: &str, routes: Vec<Route>) -> FakeApi {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let (ca_pem, cert_pem, key_pem) = certificates();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(State {
            token: token.to_owned(),
            routes,
            seen: seen.clone(),
        });
        let handle = axum_server::Handle::new();
        let server_handle = handle.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let config = axum_server::tls_rustls::RustlsConfig::from_pem(
                    cert_pem.into_bytes(),
                    key_pem.into_bytes(),
                )
                .await
                .expect("TLS configuration");
                let app = axum::Router::new().fallback(move |request: Request<Body>| {
                    let state = state.clone();
                    async move { answer(&state, request) }
                });
                let server = axum_server::from_tcp_rustls(listener, config)
                    .expect("TLS listener")
                    .handle(server_handle);
                let _ = ready_tx.send(());
                let _ = server.serve(app.into_make_service()).await;
            });
        });
        ready_rx.recv().expect("server started");
        FakeApi {
            addr,
            ca_pem,
            token: token.to_owned(),
            seen,
            handle,
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Requests seen so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen lock").clone()
    }

    /// A kubeconfig (one cluster with this server's CA, one token user, context `context`) written to `dir`.
    pub fn kubeconfig(&self, dir: &Path, context: &str, token: &str) -> PathBuf {
        write_kubeconfig(dir, &self.url(), &self.ca_pem, context, token)
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A kubeconfig file for `server` trusting `ca_pem` and authenticating with `token`.
pub fn write_kubeconfig(
    dir: &Path,
    server: &str,
    ca_pem: &str,
    context: &str,
    token: &str,
) -> PathBuf {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {server}\n    \
         certificate-authority-data: {ca}\nusers:\n- name: reader\n  user:\n    token: {token}\ncontexts:\n\
         - name: {context}\n  context:\n    cluster: fake\n    user: reader\ncurrent-context: {context}\n",
        ca = base64(ca_pem.as_bytes()),
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).expect("kubeconfig written");
    path
}

fn answer(state: &State, request: Request<Body>) -> Response<Body> {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let accept = header_text(request.headers(), header::ACCEPT);
    let seen = Seen {
        path: path.clone(),
        query,
        accept,
    };
    let continue_token = seen.param("continue");
    state.seen.lock().expect("seen lock").push(seen);
    let authorization = header_text(request.headers(), header::AUTHORIZATION);
    if authorization != format!("Bearer {}", state.token) {
        return json(401, read(&fixture("status-401.json")));
    }
    if path == "/version" {
        return json(
            200,
            r#"{"major":"1","minor":"37","gitVersion":"v1.37.0","platform":"linux/amd64"}"#
                .to_owned(),
        );
    }
    let route = state
        .routes
        .iter()
        .find(|route| route.path == path && route.continue_token == continue_token);
    match route {
        Some(route) => json(route.status, read(&route.file)),
        None => json(404, read(&fixture("status-404.json"))),
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> String {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("fixture {path}: {err}"))
}

fn json(status: u16, body: String) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).expect("status code"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("response")
}

/// (CA certificate PEM, server certificate PEM, server key PEM); the server certificate names 127.0.0.1.
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "fake-kubernetes-ca");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let mut server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("server parameters");
    server_params
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .expect("server certificate");
    (ca_cert.pem(), server_cert.pem(), server_key.serialize_pem())
}

/// Standard base64 with padding (kubeconfig `*-data` fields).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
