//! The load generator against a small HTTPS/1.1 keep-alive server on 127.0.0.1 with known behaviour: rate
//! accuracy, status and verdict counting, and the coordinated-omission correction.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mamori_loadgen::{client_tls, run, Arrivals, Client, LoadConfig, Mode, Report, Target};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct TestServer {
    port: u16,
    ca_pem: String,
    requests: Arc<AtomicU64>,
}

/// Serves: `/ok` → 200 allowed, `/deny` → 200 denied, `/fail` → 500, `/slow` → 200 after 20 ms (one request at a
/// time per connection, like any HTTP/1.1 server). Checks every request's method, content type and body.
async fn start_server(expected_body: &'static [u8]) -> TestServer {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["loadgen.test".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let ca_pem = cert.pem();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(ca_pem.as_bytes()).expect("cert")],
            PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).expect("key"),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let requests = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&requests);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buffer = Vec::new();
                loop {
                    let Some(head_end) = read_until_head_end(&mut tls, &mut buffer).await else {
                        return;
                    };
                    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_owned())
                        })
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while buffer.len() < head_end + length {
                        let mut chunk = [0u8; 16384];
                        match tls.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body: Vec<u8> = buffer.drain(..head_end + length).skip(head_end).collect();
                    let well_formed = head.starts_with("POST ")
                        && head
                            .to_ascii_lowercase()
                            .contains("content-type: application/json")
                        && body == expected_body;
                    counter.fetch_add(1, Ordering::Relaxed);
                    let path = head.split(' ').nth(1).unwrap_or("");
                    let (status, payload): (&str, &str) = match path {
                        _ if !well_formed => ("400 Bad Request", "malformed"),
                        "/ok" => ("200 OK", r#"{"response":{"uid":"u","allowed":true}}"#),
                        "/deny" => ("200 OK", r#"{"response":{"uid":"u","allowed":false}}"#),
                        "/slow" => {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            ("200 OK", r#"{"response":{"uid":"u","allowed":true}}"#)
                        }
                        "/chunked" => {
                            let chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
                            let _ = tls.write_all(chunked.as_bytes()).await;
                            continue;
                        }
                        "/close" => ("200 OK", r#"{"response":{"uid":"u","allowed":true}}"#),
                        _ => ("500 Internal Server Error", "boom"),
                    };
                    let close = if path == "/close" {
                        "connection: close\r\n"
                    } else {
                        ""
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{close}content-length: {}\r\n\r\n{payload}",
                        payload.len()
                    );
                    if tls.write_all(response.as_bytes()).await.is_err() || path == "/close" {
                        return;
                    }
                }
            });
        }
    });
    TestServer {
        port,
        ca_pem,
        requests,
    }
}

async fn read_until_head_end<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
) -> Option<usize> {
    loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(at + 4);
        }
        let mut chunk = [0u8; 16384];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

const BODY: &[u8] =
    br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}"#;

fn config(
    server: &TestServer,
    path: &str,
    connections: usize,
    mode: Mode,
    seconds: f64,
) -> LoadConfig {
    LoadConfig {
        target: Target::parse(
            &format!("https://127.0.0.1:{}{path}", server.port),
            Some("loadgen.test"),
        )
        .expect("target"),
        tls: client_tls(server.ca_pem.as_bytes()).expect("tls"),
        body: Bytes::from_static(BODY),
        connections,
        duration: Duration::from_secs_f64(seconds),
        warmup: Duration::from_millis(200),
        mode,
        arrivals: Arrivals::Even,
        timeout: Duration::from_secs(5),
        client: Client::Raw,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_rate_is_kept_and_verdicts_counted() {
    let server = start_server(BODY).await;
    let report: Report = run(config(&server, "/ok", 4, Mode::Rate(500.0), 1.0))
        .await
        .expect("run");
    assert_eq!(report.errors, 0, "{report:?}");
    assert_eq!(report.non_2xx, 0, "{report:?}");
    assert!((480..=520).contains(&report.responses), "{report:?}");
    assert_eq!(report.allowed, report.responses);
    assert_eq!(report.denied, 0);
    assert_eq!(report.unsent, 0);
    assert_eq!(report.status_counts.get(&200), Some(&report.responses));
    // The warm-up requests reached the server too, but were not recorded.
    assert!(server.requests.load(Ordering::Relaxed) > report.responses);
    assert!(report.latency.p50_us > 0.0 && report.latency.max_us >= report.latency.p99_us);
    let json = report.to_json();
    assert_eq!(json["mode"], "rate");
    assert_eq!(json["target_rate"], 500.0);
    for key in ["p50", "p90", "p99", "p99_9", "max"] {
        assert!(json["latency_us"][key].as_f64().is_some(), "{key}: {json}");
    }
    // A rustls server follows the client's order, and the generator offers the API server's: AES-128 first.
    assert_eq!(json["tls_suite"], "TLS13_AES_128_GCM_SHA256", "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poisson_arrivals_keep_the_rate_over_a_run() {
    let server = start_server(BODY).await;
    let mut poisson = config(&server, "/ok", 4, Mode::Rate(1_000.0), 2.0);
    poisson.arrivals = Arrivals::Poisson { seed: 42 };
    let report = run(poisson).await.expect("run");
    assert_eq!(report.errors, 0, "{report:?}");
    // 2,000 expected; a Poisson count has a standard deviation of ~45.
    assert!((1_800..=2_200).contains(&report.responses), "{report:?}");
    assert_eq!(report.unsent, 0, "{report:?}");
    assert_eq!(report.to_json()["arrivals"], "poisson");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_mode_counts_non_2xx_and_denials() {
    let server = start_server(BODY).await;
    let failing = run(config(&server, "/fail", 2, Mode::Max, 0.3))
        .await
        .expect("run");
    assert!(failing.responses > 10, "{failing:?}");
    assert_eq!(failing.non_2xx, failing.responses);
    assert_eq!(failing.status_counts.get(&500), Some(&failing.responses));
    assert_eq!(failing.allowed + failing.denied, 0);
    let denying = run(config(&server, "/deny", 2, Mode::Max, 0.3))
        .await
        .expect("run");
    assert_eq!(denying.denied, denying.responses);
    assert!(denying.achieved_rate > 30.0, "{denying:?}");
    assert!(denying.to_text().contains("max throughput"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_connection_counts_from_the_due_time() {
    // One connection, 20 ms per response (50/s possible), 200/s asked: requests queue up behind each other.
    let server = start_server(BODY).await;
    let report = run(config(&server, "/slow", 1, Mode::Rate(200.0), 1.0))
        .await
        .expect("run");
    assert!(report.service_time.p50_us >= 19_000.0, "{report:?}");
    assert!(report.service_time.p99_us < 200_000.0, "{report:?}");
    // Corrected latency keeps growing with the backlog: far above the service time.
    assert!(report.latency.p99_us > 500_000.0, "{report:?}");
    assert!(
        report.latency.p50_us > 5.0 * report.service_time.p50_us,
        "{report:?}"
    );
    assert!(report.unsent > 100, "{report:?}");
    // Throughput counts every response inside the window (about 50/s), although most of them answer requests
    // that fell due during the warm-up and are therefore not in the latency histogram.
    assert!((30.0..60.0).contains(&report.achieved_rate), "{report:?}");
    assert!(
        (report.responses as f64) < report.achieved_rate,
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_clients_count_the_same_outcomes() {
    let server = start_server(BODY).await;
    for client in [Client::Raw, Client::Hyper] {
        for (path, status) in [
            ("/ok", 200),
            ("/deny", 200),
            ("/fail", 500),
            ("/close", 200),
        ] {
            let mut config = config(&server, path, 2, Mode::Max, 0.3);
            config.client = client;
            let report = run(config).await.expect("run");
            assert!(report.responses > 10, "{client:?} {path}: {report:?}");
            assert_eq!(report.errors, 0, "{client:?} {path}: {report:?}");
            assert_eq!(
                report.status_counts.get(&status),
                Some(&report.responses),
                "{client:?} {path}: {report:?}"
            );
            let expected = match path {
                "/deny" => (0, report.responses),
                "/fail" => (0, 0),
                _ => (report.responses, 0),
            };
            assert_eq!(
                (report.allowed, report.denied),
                expected,
                "{client:?} {path}"
            );
            assert_eq!(
                report.to_json()["client"],
                if client == Client::Raw {
                    "raw"
                } else {
                    "hyper"
                }
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_raw_client_counts_a_chunked_response_as_an_error() {
    let server = start_server(BODY).await;
    let report = run(config(&server, "/chunked", 1, Mode::Max, 0.3))
        .await
        .expect("run");
    assert_eq!(report.responses, 0, "{report:?}");
    assert!(report.errors > 0, "{report:?}");
}

#[tokio::test]
async fn no_server_is_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let server = TestServer {
        port,
        ca_pem: start_server(BODY).await.ca_pem,
        requests: Arc::new(AtomicU64::new(0)),
    };
    let error = run(config(&server, "/ok", 1, Mode::Max, 0.1))
        .await
        .expect_err("refused");
    assert!(error.contains("connect"), "{error}");
}
