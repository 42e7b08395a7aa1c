//! The floor of the admission benchmark: an HTTPS server on the same stacks as `mamori admission serve`
//! (tokio multi-thread runtime, rustls with mamori's provider: aws-lc-rs with ring's AES-GCM; hyper HTTP/1.1
//! keep-alive, TCP_NODELAY)
//! that answers each POST with the request body echoed plus a small `response` part, as an AdmissionReview
//! response is shaped, but decides nothing. Driving it with `mamori-loadgen` the way
//! `scripts/bench-admission.sh` drives the webhook shows what the transport alone costs on the machine
//! (docs/benchmarks.md, "Admission webhook").
//!
//! ```text
//! cargo run --release -p mamori-loadgen --example echo_floor -- \
//!     --listen 127.0.0.1:18444 --cert bench-data/admission/certs/tls.crt --key bench-data/admission/certs/tls.key
//! ```

// The allocator of `mamori admission serve`, so the floor is measured on the server's stacks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::convert::Infallible;
use std::sync::Arc;

/// Appended to the echoed body: the size of a real allowed response's `response` part.
const RESPONSE_PART: &[u8] =
    br#","response":{"uid":"6c1e7a0e-2f6b-4b8e-9d3a-1f2e3d4c5b6a","allowed":true}}"#;

fn argument(args: &[String], name: &str) -> Result<String, String> {
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1))
        .cloned()
        .ok_or_else(|| format!("missing {name} VALUE"))
}

async fn echo(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => Bytes::new(),
    };
    // Drop the closing brace of the review and add the response part, as the webhook's echo does.
    let mut out = Vec::with_capacity(body.len() + RESPONSE_PART.len());
    out.extend_from_slice(body.strip_suffix(b"}").unwrap_or(&body));
    out.extend_from_slice(RESPONSE_PART);
    let mut response = Response::new(Full::new(Bytes::from(out)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let listen = argument(&args, "--listen")?;
    let cert = std::fs::read(argument(&args, "--cert")?).map_err(|e| e.to_string())?;
    let key = std::fs::read(argument(&args, "--key")?).map_err(|e| e.to_string())?;
    let workers: usize = argument(&args, "--workers")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2);
    let chain = CertificateDer::pem_slice_iter(&cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("certificate: {e}"))?;
    let key = PrivateKeyDer::from_pem_slice(&key).map_err(|e| format!("key: {e}"))?;
    let provider = Arc::new(mamori_tls::provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| format!("{listen}: {e}"))?;
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(tls), hyper::service::service_fn(echo))
                    .await;
            });
        }
    })
}
