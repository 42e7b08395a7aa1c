//! mamori load generator: fixed-rate and max-throughput HTTPS keep-alive load with latency percentiles.
//!
//! N persistent HTTP/1.1 connections over rustls POST one body again and again. Each connection is one task
//! that writes the request bytes prepared for the run and reads the response with httparse, as wrk does
//! ([`Client::Raw`]); hyper's client connection is there for comparison ([`Client::Hyper`]).
//!
//! - **Fixed rate** (`Mode::Rate`, open loop): request *i* is due at `start + i / rate`, whatever happened to the
//!   previous ones. Free connections take the next due request from a shared counter. When every connection is
//!   still waiting for a response at a request's due time, that request's latency is counted from its due time,
//!   not from when a connection finally sent it: the wait is the server's doing (coordinated-omission
//!   correction, as in wrk2). Each connection waits for a due time on its own high-resolution timer
//!   ([`pacer`]; tokio's timer has 1 ms ticks and sent requests in bursts). When a connection was free but the
//!   timer still woke late, latency counts from the actual send; that lag is reported separately
//!   ([`Report::schedule_lag`]) so it is visible rather than silently added to the server's figures.
//! - **Max** (`Mode::Max`, closed loop): each connection sends its next request as soon as the previous response
//!   arrived; latency is send → response.
//!
//! Requests due during the warm-up are sent but not recorded. Each connection keeps its own histograms, merged
//! at the end.

pub mod pacer;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use serde_json::{json, Value};

/// Highest latency the histograms hold (larger values are clamped): a minute, in nanoseconds.
const MAX_TRACKABLE_NS: u64 = 60_000_000_000;

/// Where the requests go.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host to connect to (name or IP literal, without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Path and query of the request.
    pub path: String,
    /// `Host` header value.
    pub authority: String,
    /// TLS server name (SNI and certificate check).
    pub server_name: ServerName<'static>,
}

impl Target {
    /// Parses an `https://host[:port]/path` URL; `server_name` overrides the name the certificate is checked
    /// against (e.g. the Service DNS name while connecting to 127.0.0.1).
    pub fn parse(url: &str, server_name: Option<&str>) -> Result<Target, String> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| format!("invalid URL {url:?}: {e}"))?;
        if uri.scheme_str() != Some("https") {
            return Err(format!("invalid URL {url:?}: only https:// is supported"));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("invalid URL {url:?}: no host"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = authority.port_u16().unwrap_or(443);
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let name = server_name.unwrap_or(&host).to_owned();
        let server_name = ServerName::try_from(name.clone())
            .map_err(|e| format!("invalid TLS server name {name:?}: {e}"))?;
        Ok(Target {
            host,
            port,
            path,
            authority: authority.as_str().to_owned(),
            server_name,
        })
    }
}

/// How the due times of a fixed-rate run are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrivals {
    /// Request *i* is due at `start + i / rate`.
    Even,
    /// A Poisson process of the rate: independent exponential gaps of mean `1 / rate`, drawn from a generator
    /// seeded with `seed` so a run can be repeated. Closer to many independent clients than even spacing:
    /// requests sometimes arrive together and queue.
    Poisson { seed: u64 },
}

impl Arrivals {
    fn name(self) -> &'static str {
        match self {
            Arrivals::Even => "even",
            Arrivals::Poisson { .. } => "poisson",
        }
    }
}

/// Open or closed loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// Fixed schedule of this many requests per second over all connections.
    Rate(f64),
    /// Every connection sends back to back.
    Max,
}

/// One load run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Where to send.
    pub target: Target,
    /// Client TLS configuration (see [`client_tls`]).
    pub tls: Arc<rustls::ClientConfig>,
    /// Request body (POSTed with `Content-Type: application/json`).
    pub body: Bytes,
    /// Number of keep-alive connections.
    pub connections: usize,
    /// Recorded duration (after the warm-up).
    pub duration: Duration,
    /// Unrecorded lead-in.
    pub warmup: Duration,
    /// Open or closed loop.
    pub mode: Mode,
    /// Spacing of the due times in rate mode.
    pub arrivals: Arrivals,
    /// Per-request timeout (an expired request counts as an error and its connection is replaced).
    pub timeout: Duration,
    /// How each connection speaks HTTP/1.1.
    pub client: Client,
}

/// How each connection sends its requests and reads the responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// As wrk does: the request is written as bytes prepared once for the run, and the response head is parsed
    /// with httparse in a buffer the connection reuses, all in the connection's own task. The leanest client, so
    /// the generator leaves the most CPU of the shared machine to the server. Responses must carry a
    /// `Content-Length` (the webhook's always do; chunked ones count as errors).
    Raw,
    /// hyper's HTTP/1.1 client connection, driven by a task of its own per connection (a channel and a wake-up
    /// per request): for comparison.
    Hyper,
}

impl Client {
    fn name(self) -> &'static str {
        match self {
            Client::Raw => "raw",
            Client::Hyper => "hyper",
        }
    }
}

/// A client TLS configuration that trusts exactly the PEM certificates in `ca_pem` ([`mamori_tls::provider`],
/// ALPN `http/1.1`), offering the TLS 1.3 cipher suites in the API server's order (see [`api_server_suites`]).
pub fn client_tls(ca_pem: &[u8]) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        let cert = cert.map_err(|e| format!("CA file: {e}"))?;
        roots.add(cert).map_err(|e| format!("CA file: {e}"))?;
    }
    if roots.is_empty() {
        return Err("CA file: no PEM certificate".to_owned());
    }
    let mut provider = mamori_tls::provider();
    provider.cipher_suites = api_server_suites(&provider.cipher_suites);
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// `suites` reordered as the kube-apiserver offers TLS 1.3 suites to a webhook: Go's `crypto/tls` client on a
/// CPU with AES instructions puts AES-128-GCM first, then ChaCha20-Poly1305, then AES-256-GCM, while rustls'
/// default puts AES-256-GCM first. A rustls server follows the client's order, so the benchmark encrypts with the
/// suite a cluster's API server would get. Suites not named here keep their relative order after these.
pub fn api_server_suites(
    suites: &[rustls::SupportedCipherSuite],
) -> Vec<rustls::SupportedCipherSuite> {
    use rustls::CipherSuite::{
        TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384, TLS13_CHACHA20_POLY1305_SHA256,
    };
    const GO_ORDER: [rustls::CipherSuite; 3] = [
        TLS13_AES_128_GCM_SHA256,
        TLS13_CHACHA20_POLY1305_SHA256,
        TLS13_AES_256_GCM_SHA384,
    ];
    let rank = |suite: &rustls::SupportedCipherSuite| {
        GO_ORDER
            .iter()
            .position(|named| *named == suite.suite())
            .unwrap_or(GO_ORDER.len())
    };
    let mut ordered = suites.to_vec();
    // A stable sort keeps the relative order of the suites GO_ORDER does not name (TLS 1.2 ones).
    ordered.sort_by_key(rank);
    ordered
}

/// The open-loop schedule: hands out due times in order, one per request.
#[derive(Debug)]
pub struct Schedule {
    start: Instant,
    interval_ns: f64,
    clock: ScheduleClock,
}

#[derive(Debug)]
enum ScheduleClock {
    /// The next request's index (even spacing is computed from it, so it never drifts).
    Even(AtomicU64),
    /// The last due time handed out (ns after start) and the gap generator.
    Poisson(Mutex<(f64, SplitMix64)>),
}

impl Schedule {
    /// `rate` requests per second from `start` (rate must be positive), spaced as `arrivals` says.
    pub fn new(start: Instant, rate: f64, arrivals: Arrivals) -> Schedule {
        let clock = match arrivals {
            Arrivals::Even => ScheduleClock::Even(AtomicU64::new(0)),
            Arrivals::Poisson { seed } => {
                ScheduleClock::Poisson(Mutex::new((0.0, SplitMix64(seed))))
            }
        };
        Schedule {
            start,
            interval_ns: 1e9 / rate,
            clock,
        }
    }

    /// Due time of request `index` with even spacing.
    pub fn due(&self, index: u64) -> Instant {
        // f64 keeps sub-nanosecond intervals exact enough over any realistic run (2^53 ns ≈ 104 days).
        self.start + Duration::from_nanos((index as f64 * self.interval_ns) as u64)
    }

    /// The next request's due time.
    pub fn next_due(&self) -> Instant {
        match &self.clock {
            ScheduleClock::Even(next) => self.due(next.fetch_add(1, Ordering::Relaxed)),
            ScheduleClock::Poisson(clock) => {
                let mut clock = clock.lock().unwrap_or_else(PoisonError::into_inner);
                // Inverse transform: -ln(U) for U in (0, 1] is exponential with mean 1.
                let gap = -clock.1.next_unit().ln() * self.interval_ns;
                clock.0 += gap;
                self.start + Duration::from_nanos(clock.0 as u64)
            }
        }
    }

    /// Hands out the rest of the schedule up to `end` and counts the due times at or after `from`: after a run,
    /// the requests due in the window that no connection took.
    fn drain_count(&self, from: Instant, end: Instant) -> u64 {
        let mut count = 0;
        loop {
            let due = self.next_due();
            if due >= end {
                return count;
            }
            if due >= from {
                count += 1;
            }
        }
    }
}

/// SplitMix64 (Steele, Lea and Flood): a tiny, fast generator, plenty for spacing requests.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1]: never 0, so its logarithm is finite.
    fn next_unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }
}

/// Latency percentiles of one histogram, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    /// Number of samples.
    pub count: u64,
    /// Mean.
    pub mean_us: f64,
    /// Median.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Largest sample.
    pub max_us: f64,
}

impl Percentiles {
    /// Reads the percentiles of a nanosecond histogram.
    pub fn of(histogram: &Histogram<u64>) -> Percentiles {
        let us = |ns: u64| ns as f64 / 1_000.0;
        Percentiles {
            count: histogram.len(),
            mean_us: histogram.mean() / 1_000.0,
            p50_us: us(histogram.value_at_quantile(0.50)),
            p90_us: us(histogram.value_at_quantile(0.90)),
            p99_us: us(histogram.value_at_quantile(0.99)),
            p999_us: us(histogram.value_at_quantile(0.999)),
            max_us: us(histogram.max()),
        }
    }

    fn to_json(self) -> Value {
        let round = |v: f64| (v * 10.0).round() / 10.0;
        json!({
            "count": self.count,
            "mean": round(self.mean_us),
            "p50": round(self.p50_us),
            "p90": round(self.p90_us),
            "p99": round(self.p99_us),
            "p99_9": round(self.p999_us),
            "max": round(self.max_us),
        })
    }
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Open or closed loop.
    pub mode: Mode,
    /// Spacing of due times (rate mode).
    pub arrivals: Arrivals,
    /// Connections used.
    pub connections: usize,
    /// Recorded duration, seconds.
    pub duration_s: f64,
    /// Responses recorded (any status): those of requests due (rate) or sent (max) in the recorded window.
    pub responses: u64,
    /// Responses that arrived within the recorded window, per second, whatever their due time (in an
    /// overloaded rate run the backlog of warm-up requests is still being served in the window).
    pub achieved_rate: f64,
    /// Transport failures, timeouts and failed connects during the recorded window.
    pub errors: u64,
    /// Responses whose status was not 2xx.
    pub non_2xx: u64,
    /// Responses per status code.
    pub status_counts: BTreeMap<u16, u64>,
    /// 2xx responses whose AdmissionReview says `"allowed":true` / `"allowed":false`.
    pub allowed: u64,
    /// See `allowed`.
    pub denied: u64,
    /// Requests due in the recorded window but never sent because every connection was busy until the end
    /// (their latency would exceed the time left; they are not in the histograms).
    pub unsent: u64,
    /// Latency (coordinated-omission corrected in rate mode).
    pub latency: Percentiles,
    /// Send → response, uncorrected (what the server alone took plus the network).
    pub service_time: Percentiles,
    /// Rate mode: how late the generator's own timer sent requests to a free connection.
    pub schedule_lag: Option<Percentiles>,
    /// The TLS cipher suite the server chose on the first connection (e.g. `TLS13_AES_128_GCM_SHA256`), so a
    /// result says what it encrypted with.
    pub tls_suite: Option<String>,
    /// The HTTP client the connections used.
    pub client: Client,
}

impl Report {
    /// The report as JSON (latencies in microseconds).
    pub fn to_json(&self) -> Value {
        let (mode, target_rate) = match self.mode {
            Mode::Rate(rate) => ("rate", json!(rate)),
            Mode::Max => ("max", Value::Null),
        };
        let statuses: serde_json::Map<String, Value> = self
            .status_counts
            .iter()
            .map(|(code, count)| (code.to_string(), json!(count)))
            .collect();
        json!({
            "mode": mode,
            "target_rate": target_rate,
            "arrivals": match self.mode {
                Mode::Rate(_) => json!(self.arrivals.name()),
                Mode::Max => Value::Null,
            },
            "connections": self.connections,
            "duration_s": self.duration_s,
            "responses": self.responses,
            "achieved_rate": (self.achieved_rate * 10.0).round() / 10.0,
            "errors": self.errors,
            "non_2xx": self.non_2xx,
            "status_counts": statuses,
            "allowed": self.allowed,
            "denied": self.denied,
            "unsent": self.unsent,
            "latency_us": self.latency.to_json(),
            "service_time_us": self.service_time.to_json(),
            "schedule_lag_us": self.schedule_lag.map(Percentiles::to_json),
            "tls_suite": self.tls_suite,
            "client": self.client.name(),
        })
    }

    /// The report as a few human-readable lines.
    pub fn to_text(&self) -> String {
        let mode = match self.mode {
            Mode::Rate(rate) => format!("fixed rate {rate} req/s"),
            Mode::Max => "max throughput (closed loop)".to_owned(),
        };
        let row = |name: &str, p: &Percentiles| {
            format!(
                "{name:<14} p50 {:>8.1}  p90 {:>8.1}  p99 {:>8.1}  p99.9 {:>8.1}  max {:>9.1}  (µs, n={})\n",
                p.p50_us, p.p90_us, p.p99_us, p.p999_us, p.max_us, p.count
            )
        };
        let mut text = format!(
            "{mode}, {} connections, {:.1} s: {} responses, {:.1} req/s, {} errors, {} non-2xx, {} unsent, allowed {} / denied {}\n",
            self.connections,
            self.duration_s,
            self.responses,
            self.achieved_rate,
            self.errors,
            self.non_2xx,
            self.unsent,
            self.allowed,
            self.denied,
        );
        text.push_str(&row("latency", &self.latency));
        text.push_str(&row("service time", &self.service_time));
        if let Some(lag) = &self.schedule_lag {
            text.push_str(&row("schedule lag", lag));
        }
        if let Some(suite) = &self.tls_suite {
            text.push_str(&format!("TLS suite      {suite}\n"));
        }
        text.push_str(&format!("HTTP client    {}\n", self.client.name()));
        text
    }
}

/// An empty nanosecond histogram: 1 ns to a minute, 3 significant digits.
fn histogram() -> Result<Histogram<u64>, String> {
    Histogram::new_with_bounds(1, MAX_TRACKABLE_NS, 3).map_err(|e| format!("histogram: {e}"))
}

/// Samples buffered per connection and recorded into their histogram in sorted batches.
///
/// A 3-digit nanosecond histogram up to a minute is a ~220 KiB array, and each connection keeps three: tens of
/// MiB with 32–64 connections. Recorded one by one, every sample was a cache and TLB miss in that array (1.9 %
/// of the generator's CPU in `perf`, more with 64 connections than with 32). Sorted, a batch walks the array
/// in one direction and equal values are counted once.
struct Samples {
    histogram: Histogram<u64>,
    pending: Vec<u64>,
}

impl Samples {
    /// Samples buffered before they are recorded.
    const BATCH: usize = 1024;

    fn new(empty: &Histogram<u64>) -> Samples {
        Samples {
            histogram: empty.clone(),
            pending: Vec::with_capacity(Samples::BATCH),
        }
    }

    fn record(&mut self, value: u64) {
        self.pending.push(value);
        if self.pending.len() >= Samples::BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.pending.sort_unstable();
        for run in self.pending.chunk_by(|a, b| a == b) {
            self.histogram.saturating_record_n(run[0], run.len() as u64);
        }
        self.pending.clear();
    }

    /// Every sample recorded.
    fn histogram(&mut self) -> &Histogram<u64> {
        self.flush();
        &self.histogram
    }

    fn merge(&mut self, mut other: Samples) {
        other.flush();
        self.flush();
        // Same bounds on every histogram, so adding cannot fail; saturate instead of dropping if it did.
        if self.histogram.add(&other.histogram).is_err() {
            for value in other.histogram.iter_recorded() {
                self.histogram
                    .saturating_record_n(value.value_iterated_to(), value.count_at_value());
            }
        }
    }
}

/// Per-connection counters, merged at the end.
struct ConnStats {
    latency: Samples,
    service_time: Samples,
    schedule_lag: Samples,
    errors: u64,
    non_2xx: u64,
    status_counts: BTreeMap<u16, u64>,
    allowed: u64,
    denied: u64,
    /// Responses (any status) that arrived inside the recorded window.
    completed_in_window: u64,
}

impl ConnStats {
    fn new(empty: &Histogram<u64>) -> ConnStats {
        ConnStats {
            latency: Samples::new(empty),
            service_time: Samples::new(empty),
            schedule_lag: Samples::new(empty),
            errors: 0,
            non_2xx: 0,
            status_counts: BTreeMap::new(),
            allowed: 0,
            denied: 0,
            completed_in_window: 0,
        }
    }

    fn merge(&mut self, other: ConnStats) {
        self.latency.merge(other.latency);
        self.service_time.merge(other.service_time);
        self.schedule_lag.merge(other.schedule_lag);
        self.errors += other.errors;
        self.non_2xx += other.non_2xx;
        for (code, count) in other.status_counts {
            *self.status_counts.entry(code).or_default() += count;
        }
        self.allowed += other.allowed;
        self.denied += other.denied;
        self.completed_in_window += other.completed_in_window;
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// One open connection.
enum Conn {
    Raw(Box<RawConn>),
    Hyper(SendRequest<Full<Bytes>>),
}

/// A TLS connection and the buffer its responses are read into (kept across requests).
struct RawConn {
    stream: tokio_rustls::client::TlsStream<tokio::io::BufReader<tokio::net::TcpStream>>,
    buffer: Vec<u8>,
}

/// The largest response head the raw client accepts.
const MAX_RESPONSE_HEAD: usize = 64 * 1024;

/// Opens one TLS connection (for [`Client::Hyper`], also the HTTP/1.1 handshake, with the connection driver
/// running as a task). Also returns the cipher suite the server chose.
async fn connect(config: &LoadConfig) -> Result<(Conn, Option<String>), String> {
    let tcp = tokio::net::TcpStream::connect((config.target.host.as_str(), config.target.port))
        .await
        .map_err(|e| format!("connect {}:{}: {e}", config.target.host, config.target.port))?;
    // Latency benchmark: never let Nagle hold a request back.
    let _ = tcp.set_nodelay(true);
    // rustls reads 4 KiB per call; reading ahead takes a whole TLS record (the 10 KB echo) in one `recv`.
    let tcp = tokio::io::BufReader::with_capacity(16 * 1024 + 512, tcp);
    let tls = tokio_rustls::TlsConnector::from(Arc::clone(&config.tls))
        .connect(config.target.server_name.clone(), tcp)
        .await
        .map_err(|e| format!("TLS handshake: {e}"))?;
    let suite = tls
        .get_ref()
        .1
        .negotiated_cipher_suite()
        .map(|suite| format!("{:?}", suite.suite()));
    let conn = match config.client {
        Client::Raw => Conn::Raw(Box::new(RawConn {
            stream: tls,
            buffer: Vec::with_capacity(32 * 1024),
        })),
        Client::Hyper => {
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
                .await
                .map_err(|e| format!("HTTP handshake: {e}"))?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            Conn::Hyper(sender)
        }
    };
    Ok((conn, suite))
}

/// The bytes of the request [`Client::Raw`] sends, head and body.
fn raw_request(config: &LoadConfig) -> Vec<u8> {
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        config.target.path,
        config.target.authority,
        config.body.len()
    );
    [head.as_bytes(), &config.body].concat()
}

/// What one request produced.
enum Outcome {
    /// A response; `reusable`: the connection can carry the next request.
    Response {
        status: u16,
        verdict: Option<bool>,
        reusable: bool,
    },
    Failed,
}

/// The `"allowed":…` of the response part of an AdmissionReview (the last occurrence: the response follows the
/// echoed request).
fn verdict(body: &[u8]) -> Option<bool> {
    let at = memchr::memmem::rfind(body, b"\"allowed\":")?;
    let rest = body.get(at + b"\"allowed\":".len()..)?;
    let rest = rest.trim_ascii_start();
    if rest.starts_with(b"true") {
        Some(true)
    } else if rest.starts_with(b"false") {
        Some(false)
    } else {
        None
    }
}

/// The parts of a response head the raw client uses.
#[derive(Debug, PartialEq, Eq)]
struct ResponseHead {
    status: u16,
    /// Length of the head, up to and including the blank line.
    head_len: usize,
    body_len: usize,
    keep_alive: bool,
}

/// Parses the response head at the start of `bytes`: `Ok(None)` while it is incomplete, `Err` when it is not a
/// response the raw client can read (malformed, chunked, no length).
fn parse_response_head(bytes: &[u8]) -> Result<Option<ResponseHead>, ()> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if bytes.len() <= MAX_RESPONSE_HEAD => return Ok(None),
        _ => return Err(()),
    };
    let status = response.code.ok_or(())?;
    let mut body_len = None;
    let mut keep_alive = response.version == Some(1);
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let length = std::str::from_utf8(header.value).map_err(drop)?;
            let length: usize = length.trim().parse().map_err(drop)?;
            if body_len
                .replace(length)
                .is_some_and(|first| first != length)
            {
                return Err(());
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(());
        } else if header.name.eq_ignore_ascii_case("connection") {
            keep_alive = !header.value.eq_ignore_ascii_case(b"close");
        }
    }
    let body_len = match (body_len, status) {
        (Some(length), _) => length,
        (None, 204 | 304) => 0,
        (None, _) => return Err(()),
    };
    Ok(Some(ResponseHead {
        status,
        head_len,
        body_len,
        keep_alive,
    }))
}

/// One exchange on a raw connection: the prepared request written, the response read whole into the
/// connection's buffer.
async fn raw_exchange(conn: &mut RawConn, request: &[u8]) -> Option<Outcome> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    conn.stream.write_all(request).await.ok()?;
    conn.stream.flush().await.ok()?;
    let buffer = &mut conn.buffer;
    buffer.clear();
    let head = loop {
        if buffer.capacity() - buffer.len() < 4096 {
            buffer.reserve(16 * 1024);
        }
        if conn.stream.read_buf(buffer).await.ok()? == 0 {
            return None;
        }
        if let Some(head) = parse_response_head(buffer).ok()? {
            break head;
        }
    };
    let total = head.head_len.checked_add(head.body_len)?;
    while buffer.len() < total {
        buffer.reserve(total - buffer.len());
        if conn.stream.read_buf(buffer).await.ok()? == 0 {
            return None;
        }
    }
    // Bytes after the response: the server answered something that was not asked (no pipelining here).
    if buffer.len() != total {
        return None;
    }
    let body = buffer.get(head.head_len..total)?;
    Some(Outcome::Response {
        status: head.status,
        verdict: verdict(body),
        reusable: head.keep_alive,
    })
}

async fn send(conn: &mut Conn, run: &Run) -> Outcome {
    let config = &run.config;
    let exchange = async {
        match conn {
            Conn::Raw(raw) => raw_exchange(raw, &run.raw_request).await,
            Conn::Hyper(sender) => {
                let request = hyper::Request::post(config.target.path.as_str())
                    .header(hyper::header::HOST, config.target.authority.as_str())
                    .header(hyper::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(config.body.clone()))
                    .ok()?;
                sender.ready().await.ok()?;
                let response = sender.send_request(request).await.ok()?;
                let status = response.status().as_u16();
                let closing = response
                    .headers()
                    .get(hyper::header::CONNECTION)
                    .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"close"));
                let body = response.into_body().collect().await.ok()?.to_bytes();
                Some(Outcome::Response {
                    status,
                    verdict: verdict(&body),
                    reusable: !closing,
                })
            }
        }
    };
    match tokio::time::timeout(config.timeout, exchange).await {
        Ok(Some(outcome)) => outcome,
        _ => Outcome::Failed,
    }
}

/// The shared state of a run.
struct Run {
    config: LoadConfig,
    /// What [`Client::Raw`] writes for every request.
    raw_request: Vec<u8>,
    /// Start of the recorded window (after the warm-up).
    record_from: Instant,
    /// End of the run: no request due (rate) or started (max) after it.
    end: Instant,
    schedule: Option<Schedule>,
}

async fn connection_loop(run: Arc<Run>, mut conn: Option<Conn>, mut stats: ConnStats) -> ConnStats {
    let mut pacer = pacer::Pacer::new();
    loop {
        let free_at = Instant::now();
        // `start`: what latency is measured from; `due`: which window the request belongs to.
        let (start, due) = match &run.schedule {
            Some(schedule) => {
                // The run ends at `end` even with a backlog: requests still queued are reported as unsent.
                if free_at >= run.end {
                    break;
                }
                let due = schedule.next_due();
                if due >= run.end {
                    break;
                }
                if due > free_at {
                    pacer.sleep_until(due).await;
                }
                let sent = Instant::now();
                if due >= free_at {
                    // The connection was free in time: any lateness is the generator's timer, shown apart.
                    if due >= run.record_from {
                        stats
                            .schedule_lag
                            .record(nanos(sent.saturating_duration_since(due)).max(1));
                    }
                    (sent, due)
                } else {
                    // Every connection was busy when this request fell due: the wait counts (CO correction).
                    (due, due)
                }
            }
            None => {
                if free_at >= run.end {
                    break;
                }
                (free_at, free_at)
            }
        };
        let recorded = due >= run.record_from;
        let current = match conn.take() {
            Some(current) => Some(current),
            None => connect(&run.config).await.ok().map(|(conn, _)| conn),
        };
        let Some(mut current) = current else {
            if recorded {
                stats.errors += 1;
            }
            // Do not spin on a refused connect.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let sent_at = Instant::now();
        let outcome = send(&mut current, &run).await;
        let done = Instant::now();
        match outcome {
            Outcome::Response {
                status,
                verdict,
                reusable,
            } => {
                if done >= run.record_from && done <= run.end {
                    stats.completed_in_window += 1;
                }
                if recorded {
                    stats
                        .latency
                        .record(nanos(done.saturating_duration_since(start)).max(1));
                    stats
                        .service_time
                        .record(nanos(done.saturating_duration_since(sent_at)).max(1));
                    *stats.status_counts.entry(status).or_default() += 1;
                    if !(200..300).contains(&status) {
                        stats.non_2xx += 1;
                    } else {
                        match verdict {
                            Some(true) => stats.allowed += 1,
                            Some(false) => stats.denied += 1,
                            None => {}
                        }
                    }
                }
                // A connection the server is closing is replaced before the next request.
                if reusable {
                    conn = Some(current);
                }
            }
            // The connection may be in any state: replace it.
            Outcome::Failed => {
                if recorded {
                    stats.errors += 1;
                }
            }
        }
    }
    stats
}

/// Runs the load: connects every connection first (handshakes are not measured), then drives the schedule or
/// the closed loop for warm-up + duration and waits for the responses still in flight (bounded by the
/// per-request timeout). Err only when not a single connection could be opened.
pub async fn run(config: LoadConfig) -> Result<Report, String> {
    if config.connections == 0 {
        return Err("at least one connection is needed".to_owned());
    }
    if let Mode::Rate(rate) = config.mode {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(format!("invalid rate {rate}: must be a positive number"));
        }
    }
    let empty = histogram()?;
    let mut conns = Vec::with_capacity(config.connections);
    let mut first_error = None;
    let mut tls_suite = None;
    for _ in 0..config.connections {
        match connect(&config).await {
            Ok((conn, suite)) => {
                tls_suite = tls_suite.or(suite);
                conns.push(Some(conn));
            }
            Err(error) => {
                first_error.get_or_insert(error);
                conns.push(None);
            }
        }
    }
    if conns.iter().all(Option::is_none) {
        return Err(first_error.unwrap_or_else(|| "no connection".to_owned()));
    }
    let start = Instant::now();
    let record_from = start + config.warmup;
    let end = record_from + config.duration;
    let schedule = match config.mode {
        Mode::Rate(rate) => Some(Schedule::new(start, rate, config.arrivals)),
        Mode::Max => None,
    };
    let mode = config.mode;
    let connections = config.connections;
    let raw_request = raw_request(&config);
    let run = Arc::new(Run {
        config,
        raw_request,
        record_from,
        end,
        schedule,
    });
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|conn| {
            tokio::spawn(connection_loop(
                Arc::clone(&run),
                conn,
                ConnStats::new(&empty),
            ))
        })
        .collect();
    let mut total = ConnStats::new(&empty);
    for task in tasks {
        if let Ok(stats) = task.await {
            total.merge(stats);
        }
    }
    let duration_s = run.config.duration.as_secs_f64();
    let responses = total.latency.histogram().len();
    // Every due time a connection took before the end was sent, so what is left of the schedule in the window
    // was never sent.
    let unsent = run
        .schedule
        .as_ref()
        .map_or(0, |schedule| schedule.drain_count(run.record_from, run.end));
    Ok(Report {
        mode,
        arrivals: run.config.arrivals,
        connections,
        duration_s,
        responses,
        achieved_rate: if duration_s > 0.0 {
            total.completed_in_window as f64 / duration_s
        } else {
            0.0
        },
        errors: total.errors,
        non_2xx: total.non_2xx,
        status_counts: total.status_counts,
        allowed: total.allowed,
        denied: total.denied,
        unsent,
        latency: Percentiles::of(total.latency.histogram()),
        service_time: Percentiles::of(total.service_time.histogram()),
        schedule_lag: match run.schedule {
            Some(_) => Some(Percentiles::of(total.schedule_lag.histogram())),
            None => None,
        },
        tls_suite,
        client: run.config.client,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_are_offered_in_the_api_servers_order() {
        let default = rustls::crypto::aws_lc_rs::default_provider().cipher_suites;
        assert_eq!(
            default[0].suite(),
            rustls::CipherSuite::TLS13_AES_256_GCM_SHA384,
            "rustls' own order starts with AES-256 (else this reordering is moot)"
        );
        let ordered = api_server_suites(&default);
        let names: Vec<_> = ordered.iter().map(|suite| suite.suite()).collect();
        assert_eq!(
            names[..3],
            [
                rustls::CipherSuite::TLS13_AES_128_GCM_SHA256,
                rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
                rustls::CipherSuite::TLS13_AES_256_GCM_SHA384,
            ]
        );
        // Nothing is dropped or added, and the suites after the named ones keep rustls' relative order.
        assert_eq!(ordered.len(), default.len());
        let rest: Vec<_> = default.iter().skip(3).map(|suite| suite.suite()).collect();
        assert_eq!(names[3..], rest[..]);
    }

    #[test]
    fn url_parsing() {
        let t = Target::parse("https://127.0.0.1:8443/validate?timeout=10s", None).expect("parse");
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 8443, "/validate?timeout=10s")
        );
        assert_eq!(t.authority, "127.0.0.1:8443");
        let t = Target::parse(
            "https://localhost/x",
            Some("mamori-webhook.mamori-system.svc"),
        )
        .expect("parse");
        assert_eq!(t.port, 443);
        assert_eq!(
            t.server_name,
            ServerName::try_from("mamori-webhook.mamori-system.svc").expect("name")
        );
        let t = Target::parse("https://[::1]:9/", None).expect("ipv6");
        assert_eq!(t.host, "::1");
        assert!(Target::parse("http://127.0.0.1/", None).is_err());
        assert!(Target::parse("not a url", None).is_err());
    }

    #[test]
    fn schedule_is_evenly_spaced_without_drift() {
        let start = Instant::now();
        let schedule = Schedule::new(start, 3_000.0, Arrivals::Even);
        assert_eq!(schedule.due(0), start);
        assert_eq!(schedule.due(3), start + Duration::from_millis(1));
        // After a million requests the error stays below a microsecond.
        let late = schedule.due(3_000_000) - start;
        assert!(late.abs_diff(Duration::from_secs(1_000)) < Duration::from_micros(1));
    }

    #[test]
    fn poisson_arrivals_have_the_rate_and_exponential_gaps() {
        let start = Instant::now();
        let rate = 2_000.0;
        let schedule = Schedule::new(start, rate, Arrivals::Poisson { seed: 7 });
        let n = 200_000;
        let mut previous = start;
        let mut gaps_us: Vec<f64> = Vec::with_capacity(n);
        for _ in 0..n {
            let due = schedule.next_due();
            assert!(due >= previous, "due times never go back");
            gaps_us.push((due - previous).as_secs_f64() * 1e6);
            previous = due;
        }
        let mean = gaps_us.iter().sum::<f64>() / n as f64;
        assert!((mean - 500.0).abs() < 5.0, "mean gap {mean} us");
        // Exponential: P(gap > mean) = 1/e, P(gap > 3 mean) = e^-3.
        let share = |limit: f64| gaps_us.iter().filter(|&&g| g > limit).count() as f64 / n as f64;
        assert!((share(500.0) - (-1.0f64).exp()).abs() < 0.01);
        assert!((share(1_500.0) - (-3.0f64).exp()).abs() < 0.005);
        // The same seed gives the same schedule; the window count drains what is left.
        let again = Schedule::new(start, rate, Arrivals::Poisson { seed: 7 });
        let first: Vec<Instant> = (0..5).map(|_| again.next_due()).collect();
        let replay = Schedule::new(start, rate, Arrivals::Poisson { seed: 7 });
        assert_eq!(first, (0..5).map(|_| replay.next_due()).collect::<Vec<_>>());
        let even = Schedule::new(start, 1_000.0, Arrivals::Even);
        let due_in_window = even.drain_count(
            start + Duration::from_secs(1),
            start + Duration::from_secs(3),
        );
        assert_eq!(due_in_window, 2_000);
    }

    #[test]
    fn percentiles_in_microseconds() {
        let mut h = histogram().expect("histogram");
        for us in 1..=1000u64 {
            h.record(us * 1_000).expect("record");
        }
        let p = Percentiles::of(&h);
        assert_eq!(p.count, 1000);
        assert!((p.p50_us - 500.0).abs() < 1.0, "{p:?}");
        assert!((p.p99_us - 990.0).abs() < 1.0, "{p:?}");
        assert!((p.p999_us - 999.0).abs() < 1.0, "{p:?}");
        assert!((p.max_us - 1000.0).abs() < 1.0, "{p:?}");
    }

    #[test]
    fn verdict_reads_the_response_part() {
        let body = br#"{"request":{"uid":"1","object":{"allowed":false}},"response":{"uid":"1","allowed": true}}"#;
        assert_eq!(verdict(body), Some(true));
        assert_eq!(
            verdict(br#"{"response":{"allowed":false,"status":{}}}"#),
            Some(false)
        );
        assert_eq!(verdict(b"{}"), None);
        assert_eq!(verdict(br#"{"allowed":"#), None);
    }

    #[test]
    fn response_heads_are_read_as_the_raw_client_needs() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"a\":true}..";
        let head_len = ok.len() - 12;
        assert_eq!(
            parse_response_head(ok),
            Ok(Some(ResponseHead {
                status: 200,
                head_len,
                body_len: 12,
                keep_alive: true
            }))
        );
        // Incomplete heads wait for more bytes, whatever the cut.
        for cut in 0..head_len {
            assert_eq!(parse_response_head(&ok[..cut]), Ok(None), "{cut}");
        }
        let close =
            b"HTTP/1.1 413 Payload Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        let head = parse_response_head(close)
            .expect("valid")
            .expect("complete");
        assert_eq!(
            (head.status, head.body_len, head.keep_alive),
            (413, 0, false)
        );
        let old = b"HTTP/1.0 204 No Content\r\n\r\n";
        let head = parse_response_head(old).expect("valid").expect("complete");
        assert_eq!(
            (head.status, head.body_len, head.keep_alive),
            (204, 0, false)
        );
        for unreadable in [
            &b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
            b"SSH-2.0-OpenSSH\r\n\r\n",
        ] {
            assert_eq!(parse_response_head(unreadable), Err(()), "{unreadable:?}");
        }
        // A head that never ends is refused once it passes the limit.
        let endless = [
            b"HTTP/1.1 200 OK\r\n".as_slice(),
            &vec![b'x'; MAX_RESPONSE_HEAD],
        ]
        .concat();
        assert_eq!(parse_response_head(&endless), Err(()));
    }

    #[test]
    fn the_raw_request_is_a_complete_post() {
        let config = LoadConfig {
            target: Target::parse("https://127.0.0.1:8443/validate?timeout=10s", Some("svc"))
                .expect("target"),
            tls: Arc::new(
                rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::aws_lc_rs::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
            ),
            body: Bytes::from_static(b"{}"),
            connections: 1,
            duration: Duration::from_secs(1),
            warmup: Duration::ZERO,
            mode: Mode::Max,
            arrivals: Arrivals::Even,
            timeout: Duration::from_secs(1),
            client: Client::Raw,
        };
        assert_eq!(
            raw_request(&config),
            b"POST /validate?timeout=10s HTTP/1.1\r\nhost: 127.0.0.1:8443\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
        );
    }

    #[test]
    fn merged_stats_add_up() {
        let empty = histogram().expect("histogram");
        let mut a = ConnStats::new(&empty);
        a.latency.record(1_000);
        a.status_counts.insert(200, 1);
        a.errors = 2;
        let mut b = ConnStats::new(&empty);
        b.latency.record(3_000);
        for _ in 0..Samples::BATCH + 5 {
            b.latency.record(2_000);
        }
        b.status_counts.insert(200, 1);
        b.status_counts.insert(500, 1);
        b.non_2xx = 1;
        a.merge(b);
        let merged = a.latency.histogram();
        assert_eq!(merged.len(), 2 + Samples::BATCH as u64 + 5);
        assert_eq!(merged.count_at(2_000), Samples::BATCH as u64 + 5);
        assert_eq!(
            (merged.min(), merged.max()),
            (1_000, merged.highest_equivalent(3_000))
        );
        assert_eq!(a.status_counts, BTreeMap::from([(200, 2), (500, 1)]));
        assert_eq!((a.errors, a.non_2xx), (2, 1));
    }
}
