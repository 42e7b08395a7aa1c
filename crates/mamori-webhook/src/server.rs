//! The HTTPS server: accept loop with a connection limit, TLS handshake timeout, HTTP/1.1 and HTTP/2 (hyper),
//! the four endpoints, certificate reload, and graceful shutdown.
//!
//! `POST /validate` follows upstream's webhook (`cmd/webhook/server/server.go`): body limit
//! [`MAX_BODY_BYTES`] (a body of that size or more gets 413 `request entity is too large; limit is 3145728
//! bytes`, like Go's `LimitedReader` check), `Content-Type` exactly `application/json` (else 415), an empty body
//! or a review the engine rejects gets 400, errors are plain text with a trailing newline as `http.Error`
//! writes them. `?timeout=` (a Go duration) bounds how long the body may take to arrive, together with
//! [`ServerLimits::request_timeout`].

use crate::duration::timeout_from_query;
use crate::metrics::{ErrorKind, Metrics, ModeLabel};
use crate::state::ClusterCache;
use crate::tls::{self, CertReloader, ReloadOutcome, TlsError};
use bytes::buf::Chain;
use http_body_util::{BodyExt, Full};
use hyper::body::{Buf, Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use mamori_admission::{Engine, Mode, RESPONSE_HEAD};
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::BufReader;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// Bytes read from a connection's socket at once: one full TLS record (16 KiB of data plus header, tag and
/// padding allowance).
const READ_AHEAD_BYTES: usize = 16 * 1024 + 512;

/// Upstream's request body limit (3 MiB).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// Resource limits of the server.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Bodies of this many bytes or more get 413.
    pub max_body_bytes: usize,
    /// Open connections at most; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// A TLS handshake must finish within this time.
    pub tls_handshake_timeout: Duration,
    /// A request head must arrive within this time (HTTP/1.1; also bounds idle keep-alive waits).
    pub header_read_timeout: Duration,
    /// The body must arrive within this time (or the request's `?timeout=`, if shorter).
    pub request_timeout: Duration,
    /// How often the certificate files are checked for changes.
    pub reload_interval: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_body_bytes: MAX_BODY_BYTES,
            max_connections: 4096,
            tls_handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            reload_interval: Duration::from_secs(1),
        }
    }
}

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Address to listen on (port 0 picks a free port; see [`RunningServer::local_addr`]).
    pub listen: SocketAddr,
    /// PEM certificate chain (leaf first), reloaded when it changes.
    pub tls_cert: PathBuf,
    /// PEM private key of the leaf, reloaded when it changes.
    pub tls_key: PathBuf,
    /// PEM CA bundle; when set, clients must present a certificate that chains to it (mTLS).
    pub client_ca: Option<PathBuf>,
    /// How long in-flight requests may take to finish after shutdown begins.
    pub shutdown_grace: Duration,
    /// Resource limits.
    pub limits: ServerLimits,
}

/// A start-up error (bind, certificate, client CA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeError {
    /// One-line description naming the address or file.
    pub message: String,
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServeError {}

impl From<TlsError> for ServeError {
    fn from(err: TlsError) -> Self {
        ServeError {
            message: err.message,
        }
    }
}

/// How the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// True when every connection finished within the grace period.
    pub drained: bool,
}

/// A server accepting connections on its own tasks.
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<ShutdownReport>,
}

impl RunningServer {
    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Begins a graceful shutdown: the listener closes at once, in-flight requests finish (bounded by the grace
    /// period), idle keep-alive connections are closed.
    pub fn shutdown(&self) {
        self.stop.send_replace(true);
    }

    /// Waits until the server has stopped (after [`RunningServer::shutdown`]).
    pub async fn wait(self) -> ShutdownReport {
        self.task.await.unwrap_or(ShutdownReport { drained: false })
    }
}

/// What the request handlers share.
struct App {
    engine: Arc<Engine>,
    cluster: Arc<ClusterCache>,
    metrics: Arc<Metrics>,
    limits: ServerLimits,
}

/// Loads the certificate (and client CA), binds, and starts serving on the current tokio runtime.
pub async fn start(
    options: ServerOptions,
    engine: Arc<Engine>,
    cluster: Arc<ClusterCache>,
    metrics: Arc<Metrics>,
) -> Result<RunningServer, ServeError> {
    let provider = tls::provider();
    let mut reloader =
        CertReloader::load(&options.tls_cert, &options.tls_key, Arc::clone(&provider))?;
    let client_roots = options
        .client_ca
        .as_deref()
        .map(tls::client_roots)
        .transpose()?;
    let config = tls::server_config(reloader.resolver(), client_roots, provider)?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind(options.listen)
        .await
        .map_err(|err| ServeError {
            message: format!("cannot listen on {}: {err}", options.listen),
        })?;
    let local_addr = listener.local_addr().map_err(|err| ServeError {
        message: format!("cannot listen on {}: {err}", options.listen),
    })?;
    let (stop, stop_rx) = watch::channel(false);

    let reload_metrics = Arc::clone(&metrics);
    let mut reload_stop = stop_rx.clone();
    let interval = options.limits.reload_interval;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = reload_stop.changed() => return,
                () = tokio::time::sleep(interval) => {}
            }
            match reloader.poll().await {
                ReloadOutcome::Unchanged => {}
                ReloadOutcome::Reloaded => {
                    reload_metrics.cert_reload(true);
                    tracing::info!("serving certificate reloaded");
                }
                ReloadOutcome::Rejected(err) => {
                    reload_metrics.cert_reload(false);
                    tracing::error!(error = %err, "new serving certificate rejected; keeping the previous one");
                }
            }
        }
    });

    let app = Arc::new(App {
        engine,
        cluster,
        metrics,
        limits: options.limits.clone(),
    });
    let task = tokio::spawn(accept_loop(
        listener,
        acceptor,
        app,
        stop_rx,
        options.shutdown_grace,
    ));
    Ok(RunningServer {
        local_addr,
        stop,
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    app: Arc<App>,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) -> ShutdownReport {
    let limits = app.limits.clone();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let connection_slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));

    while !*stop.borrow() {
        let permit = tokio::select! {
            biased;
            _ = stop.changed() => break,
            permit = Arc::clone(&connection_slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (tcp, peer) = tokio::select! {
            biased;
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        // Small request/response exchanges: send each response segment at once.
        let _ = tcp.set_nodelay(true);
        // rustls asks the socket for 4 KiB at a time, three `recv` calls for a 10 KB review; reading ahead
        // takes a whole TLS record in one.
        let tcp = BufReader::with_capacity(READ_AHEAD_BYTES, tcp);
        let acceptor = acceptor.clone();
        let app = Arc::clone(&app);
        let builder = builder.clone();
        // Subscribed before shutdown can begin, so a connection mid-handshake is waited for too.
        let watcher = graceful.watcher();
        let handshake_timeout = limits.tls_handshake_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            let tls = match tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(err)) => {
                    app.metrics.error(ErrorKind::TlsHandshake);
                    tracing::debug!(%peer, error = %err, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    app.metrics.error(ErrorKind::TlsHandshake);
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            app.metrics.connection(true);
            let service_app = Arc::clone(&app);
            let service = hyper::service::service_fn(move |request| {
                let app = Arc::clone(&service_app);
                async move { Ok::<_, Infallible>(app.handle(request).await) }
            });
            let connection = builder.serve_connection(TokioIo::new(tls), service);
            if let Err(err) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(%peer, error = %err, "connection ended with an error");
            }
            app.metrics.connection(false);
        });
    }
    // Closing the listener refuses new connections from here on.
    drop(listener);
    tracing::info!(
        grace_seconds = grace.as_secs_f64(),
        "shutting down: draining connections"
    );
    let drained = tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_ok();
    if !drained {
        tracing::warn!("grace period over; closing the remaining connections");
    }
    ShutdownReport { drained }
}

/// Every response body: at most three parts, written with one vectored write (an admission response is the
/// fixed head, the echoed request and the tail; other responses use the first part only).
type Body = Full<Chain<Chain<Bytes, Bytes>, Bytes>>;

fn full(bytes: Bytes) -> Body {
    Full::new(bytes.chain(Bytes::new()).chain(Bytes::new()))
}

impl App {
    async fn handle(&self, request: Request<Incoming>) -> Response<Body> {
        let response = match request.uri().path() {
            "/validate" => self.validate(request).await,
            "/healthz" => get_only(request.method(), || text(StatusCode::OK, "ok")),
            "/readyz" => get_only(request.method(), || {
                let ready = self.cluster.is_ready();
                self.metrics.set_ready(ready);
                if ready {
                    text(StatusCode::OK, "ok")
                } else {
                    text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "namespace cache not synced yet",
                    )
                }
            }),
            "/metrics" => get_only(request.method(), || {
                self.metrics.set_ready(self.cluster.is_ready());
                let mut response = Response::new(full(Bytes::from(self.metrics.encode())));
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static(
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    ),
                );
                response
            }),
            _ => text(StatusCode::NOT_FOUND, "404 page not found"),
        };
        self.metrics.request(response.status().as_u16());
        response
    }

    async fn validate(&self, request: Request<Incoming>) -> Response<Body> {
        let started = Instant::now();
        let response = self.validate_inner(request, started).await;
        self.metrics.latency(started.elapsed());
        response
    }

    async fn validate_inner(&self, request: Request<Incoming>, started: Instant) -> Response<Body> {
        if request.method() != Method::POST {
            self.metrics.error(ErrorKind::Method);
            let mut response = text(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed; use POST",
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        let limit = self.limits.max_body_bytes;
        let deadline = timeout_from_query(request.uri().query())
            .map_or(self.limits.request_timeout, |timeout| {
                timeout.min(self.limits.request_timeout)
            });
        let content_type = request.headers().get(CONTENT_TYPE).cloned();
        let declared_length = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        let body = match tokio::time::timeout(
            deadline,
            read_body(request.into_body(), limit, declared_length),
        )
        .await
        {
            Ok(BodyRead::Complete(body)) => body,
            Ok(BodyRead::TooLarge) => return self.too_large(limit),
            Ok(BodyRead::Failed(err)) => {
                self.metrics.error(ErrorKind::BadRequest);
                tracing::warn!(error = %err, "unable to read the body from the incoming request");
                return text(
                    StatusCode::BAD_REQUEST,
                    "unable to read the body from the incoming request",
                );
            }
            Err(_) => {
                self.metrics.error(ErrorKind::Timeout);
                tracing::warn!(
                    timeout_ms = deadline.as_millis() as u64,
                    "request body not received in time"
                );
                return text(
                    StatusCode::REQUEST_TIMEOUT,
                    "request body not received before the request timeout",
                );
            }
        };
        if body.is_empty() {
            self.metrics.error(ErrorKind::BadRequest);
            return text(StatusCode::BAD_REQUEST, "request body is empty");
        }
        if content_type.as_ref().map(HeaderValue::as_bytes) != Some(b"application/json") {
            self.metrics.error(ErrorKind::ContentType);
            let got = content_type
                .as_ref()
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                .unwrap_or_default();
            let message = format!(
                "expected application/json content-type, got {}",
                mamori_pss::go_quote(&got)
            );
            tracing::warn!(error = %message, "bad request");
            return text(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message);
        }
        // The API server gives up at `?timeout=` (capped by ours): the namespace relabel dry run fits in it.
        let review_deadline = started + deadline;
        match self
            .engine
            .review_echoing(&body, &*self.cluster, Some(review_deadline))
        {
            Ok(reviewed) => {
                self.metrics.review(reviewed.allowed);
                self.metrics.decisions(
                    &reviewed.namespace,
                    reviewed.decisions.iter().map(|decision| {
                        let mode = match decision.mode {
                            Mode::Deny => ModeLabel::Deny,
                            Mode::Warn => ModeLabel::Warn,
                            Mode::Audit => ModeLabel::Audit,
                        };
                        (mode, decision.rule_id.as_str(), decision.enforced)
                    }),
                );
                // `&str` fields are recorded as strings directly (no `Display` formatting pass per field).
                tracing::info!(
                    uid = reviewed.uid.as_str(),
                    operation = reviewed.operation.as_str(),
                    resource = reviewed.resource.as_str(),
                    subresource = reviewed.subresource.as_str(),
                    namespace = reviewed.namespace.as_str(),
                    name = reviewed.name.as_str(),
                    allowed = reviewed.allowed,
                    exempt = reviewed.exempt.unwrap_or(""),
                    decisions = reviewed.decisions.len(),
                    latency_us = started.elapsed().as_micros() as u64,
                    "admission review"
                );
                let tail = Bytes::from(reviewed.body);
                // The request is echoed straight from the received body (no copy) when the engine says where.
                let body = match reviewed.echo {
                    Some(range) => Full::new(
                        Bytes::from_static(RESPONSE_HEAD)
                            .chain(body.slice(range))
                            .chain(tail),
                    ),
                    None => full(tail),
                };
                let mut response = Response::new(body);
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                response
            }
            Err(err) => {
                self.metrics.error(ErrorKind::BadRequest);
                tracing::warn!(error = %err.message, "admission review rejected");
                text(StatusCode::BAD_REQUEST, &err.message)
            }
        }
    }

    fn too_large(&self, limit: usize) -> Response<Body> {
        self.metrics.error(ErrorKind::BodyTooLarge);
        let message = format!("request entity is too large; limit is {limit} bytes");
        tracing::warn!(error = %message, "bad request");
        text(StatusCode::PAYLOAD_TOO_LARGE, &message)
    }
}

/// How reading a request body ended.
enum BodyRead {
    /// The whole body, below the limit.
    Complete(Bytes),
    /// The body reached the limit (the rest was drained, up to [`DRAIN_BEYOND_LIMIT`]).
    TooLarge,
    /// The connection failed mid-body.
    Failed(hyper::Error),
}

/// After a body turned out too large, read (and drop) up to this many more bytes before answering, so the
/// client sees the 413 instead of a connection reset caused by unread data.
const DRAIN_BEYOND_LIMIT: usize = 1024 * 1024;

/// Reads a body into one buffer (sized from Content-Length when given), rejecting `limit` bytes or more as
/// Go's `LimitedReader` check does.
async fn read_body(mut body: Incoming, limit: usize, declared_length: Option<u64>) -> BodyRead {
    let declared_too_large = declared_length.is_some_and(|length| length >= limit as u64);
    let capacity = match declared_length {
        Some(length) if !declared_too_large => usize::try_from(length).unwrap_or(0),
        _ => 0,
    };
    // A body that arrives as one frame (the common case) is kept as it is; more frames are joined in `buffer`.
    let mut single: Option<Bytes> = None;
    let mut buffer = Vec::new();
    let mut total = 0usize;
    let mut too_large = declared_too_large;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(err) if too_large => {
                tracing::debug!(error = %err, "connection failed while draining an oversized body");
                return BodyRead::TooLarge;
            }
            Err(err) => return BodyRead::Failed(err),
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total >= limit {
            too_large = true;
        }
        if too_large {
            if total >= limit.saturating_add(DRAIN_BEYOND_LIMIT) {
                break;
            }
            continue;
        }
        if single.is_none() && buffer.is_empty() {
            single = Some(data);
            continue;
        }
        if let Some(first) = single.take() {
            buffer.reserve(capacity.max(first.len() + data.len()));
            buffer.extend_from_slice(&first);
        }
        buffer.extend_from_slice(&data);
    }
    if too_large {
        BodyRead::TooLarge
    } else {
        BodyRead::Complete(single.unwrap_or_else(|| Bytes::from(buffer)))
    }
}

fn get_only(method: &Method, respond: impl FnOnce() -> Response<Body>) -> Response<Body> {
    if method == Method::GET || method == Method::HEAD {
        respond()
    } else {
        let mut response = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed; use GET",
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        response
    }
}

/// A plain-text response the way Go's `http.Error` writes one.
fn text(status: StatusCode, message: &str) -> Response<Body> {
    let mut body = String::with_capacity(message.len() + 1);
    body.push_str(message);
    body.push('\n');
    let mut response = Response::new(full(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        hyper::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
