//! Record protection cost: a 10 KiB request from client to server and a 20 KiB response back over an established
//! in-memory TLS 1.3 connection (AES-128-GCM, the suite the kube-apiserver's Go client picks), with mamori's
//! provider on both sides against the stock aws-lc-rs provider on both sides. rustls' framing and copies are in
//! both; the difference is the AEAD.
//!
//! `aead_seal_16k` isolates the AEAD itself: one 16 KiB record sealed with ring's and with aws-lc-rs'
//! AES-128-GCM.
//!
//!     cargo bench -p mamori-tls --bench records

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rustls::crypto::CryptoProvider;
use rustls::{
    CipherSuite, ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection,
};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use std::io::{Read, Write};
use std::sync::Arc;

fn aes_128_only(mut provider: CryptoProvider) -> Arc<CryptoProvider> {
    provider
        .cipher_suites
        .retain(|suite| suite.suite() == CipherSuite::TLS13_AES_128_GCM_SHA256);
    Arc::new(provider)
}

fn connected(provider: Arc<CryptoProvider>) -> (ClientConnection, ServerConnection) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["bench.test".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let server_config = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let client_config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut client = ClientConnection::new(
        Arc::new(client_config),
        ServerName::try_from("bench.test").unwrap(),
    )
    .unwrap();
    let mut server = ServerConnection::new(Arc::new(server_config)).unwrap();
    let mut wire = Vec::new();
    while client.is_handshaking() || server.is_handshaking() {
        wire.clear();
        client.write_tls(&mut wire).unwrap();
        server.read_tls(&mut wire.as_slice()).unwrap();
        server.process_new_packets().unwrap();
        wire.clear();
        server.write_tls(&mut wire).unwrap();
        client.read_tls(&mut wire.as_slice()).unwrap();
        client.process_new_packets().unwrap();
    }
    (client, server)
}

/// Sends `data` through `from` and reads it out of `to`, record by record.
fn send<A, B>(
    from: &mut rustls::ConnectionCommon<A>,
    to: &mut rustls::ConnectionCommon<B>,
    data: &[u8],
    wire: &mut Vec<u8>,
    out: &mut [u8],
) {
    from.writer().write_all(data).unwrap();
    wire.clear();
    while from.wants_write() {
        from.write_tls(wire).unwrap();
    }
    let mut incoming = wire.as_slice();
    let mut received = 0;
    while !incoming.is_empty() {
        to.read_tls(&mut incoming).unwrap();
        let state = to.process_new_packets().unwrap();
        let n = state.plaintext_bytes_to_read();
        to.reader()
            .read_exact(&mut out[received..received + n])
            .unwrap();
        received += n;
    }
    assert_eq!(received, data.len());
}

fn records(c: &mut Criterion) {
    let request = vec![b'r'; 10 * 1024];
    let response = vec![b'a'; 20 * 1024];
    let mut group = c.benchmark_group("tls13_aes128gcm_request_and_response");
    group.throughput(Throughput::Bytes((request.len() + response.len()) as u64));
    for (name, provider) in [
        ("mamori_tls", aes_128_only(mamori_tls::provider())),
        (
            "aws_lc_rs",
            aes_128_only(rustls::crypto::aws_lc_rs::default_provider()),
        ),
    ] {
        let (mut client, mut server) = connected(provider);
        let mut wire = Vec::with_capacity(64 * 1024);
        let mut out = vec![0; 64 * 1024];
        group.bench_function(name, |b| {
            b.iter(|| {
                send(&mut client, &mut server, &request, &mut wire, &mut out);
                send(&mut server, &mut client, &response, &mut wire, &mut out);
            })
        });
    }
    group.finish();
}

fn aead_seal_16k(c: &mut Criterion) {
    let key = [7u8; 16];
    let aad = [23u8, 3, 3, 0x40, 0x11];
    let mut record = vec![1u8; 16 * 1024];
    let mut group = c.benchmark_group("aead_seal_16k");
    group.throughput(Throughput::Bytes(record.len() as u64));
    let ring_key = ring::aead::LessSafeKey::new(
        ring::aead::UnboundKey::new(&ring::aead::AES_128_GCM, &key).unwrap(),
    );
    let mut sequence = 0u64;
    group.bench_function("ring", |b| {
        b.iter(|| {
            sequence += 1;
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&sequence.to_be_bytes());
            ring_key
                .seal_in_place_separate_tag(
                    ring::aead::Nonce::assume_unique_for_key(nonce),
                    ring::aead::Aad::from(aad),
                    &mut record,
                )
                .unwrap()
        })
    });
    let aws_key = aws_lc_rs::aead::LessSafeKey::new(
        aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_128_GCM, &key).unwrap(),
    );
    group.bench_function("aws_lc_rs", |b| {
        b.iter(|| {
            sequence += 1;
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&sequence.to_be_bytes());
            aws_key
                .seal_in_place_separate_tag(
                    aws_lc_rs::aead::Nonce::assume_unique_for_key(nonce),
                    aws_lc_rs::aead::Aad::from(aad),
                    &mut record,
                )
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, records, aead_seal_16k);
criterion_main!(benches);
