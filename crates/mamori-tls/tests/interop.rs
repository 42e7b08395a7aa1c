//! Whole TLS 1.3 connections between mamori's provider and rustls' stock aws-lc-rs provider, in both roles and
//! with both AES-GCM suites: the handshake completes, application data of any size arrives intact in both
//! directions, and a tampered record is refused.

use proptest::prelude::*;
use rustls::crypto::CryptoProvider;
use rustls::{
    CipherSuite, ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use std::io::Write;
use std::sync::{Arc, LazyLock};

struct Identity {
    cert: CertificateDer<'static>,
    key: Vec<u8>,
}

static IDENTITY: LazyLock<Identity> = LazyLock::new(|| {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["webhook.test".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    Identity {
        cert: cert.der().clone(),
        key: key.serialize_der(),
    }
});

fn only_suite(mut provider: CryptoProvider, suite: CipherSuite) -> Arc<CryptoProvider> {
    provider.cipher_suites.retain(|s| s.suite() == suite);
    assert_eq!(provider.cipher_suites.len(), 1);
    Arc::new(provider)
}

fn pair(
    server: Arc<CryptoProvider>,
    client: Arc<CryptoProvider>,
) -> (ServerConnection, ClientConnection) {
    let server_config = ServerConfig::builder_with_provider(server)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![IDENTITY.cert.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(IDENTITY.key.clone())),
        )
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(IDENTITY.cert.clone()).unwrap();
    let client_config = ClientConfig::builder_with_provider(client)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server = ServerConnection::new(Arc::new(server_config)).unwrap();
    let client = ClientConnection::new(
        Arc::new(client_config),
        ServerName::try_from("webhook.test").unwrap(),
    )
    .unwrap();
    (server, client)
}

/// Moves every pending TLS byte from `from` to `to`, lets `to` process it and returns the application data that
/// arrived.
fn transfer(
    from: &mut dyn rustls_conn::Conn,
    to: &mut dyn rustls_conn::Conn,
) -> Result<Vec<u8>, rustls::Error> {
    let mut wire = Vec::new();
    while from.pending() {
        from.emit(&mut wire).unwrap();
    }
    let mut received = Vec::new();
    to.feed(&wire, &mut received)?;
    Ok(received)
}

/// Object-safe view of the two connection types (they share `ConnectionCommon` only generically).
mod rustls_conn {
    pub trait Conn {
        fn pending(&self) -> bool;
        fn emit(&mut self, out: &mut Vec<u8>) -> std::io::Result<usize>;
        /// Processes `wire`, moving the application data it carries into `received` as it goes (rustls holds
        /// only a bounded amount of unread plaintext).
        fn feed(&mut self, wire: &[u8], received: &mut Vec<u8>) -> Result<(), rustls::Error>;
    }
    macro_rules! conn {
        ($t:ty) => {
            impl Conn for $t {
                fn pending(&self) -> bool {
                    self.wants_write()
                }
                fn emit(&mut self, out: &mut Vec<u8>) -> std::io::Result<usize> {
                    self.write_tls(out)
                }
                fn feed(
                    &mut self,
                    mut wire: &[u8],
                    received: &mut Vec<u8>,
                ) -> Result<(), rustls::Error> {
                    use std::io::Read;
                    while !wire.is_empty() {
                        self.read_tls(&mut wire).unwrap();
                        let state = self.process_new_packets()?;
                        let mut chunk = vec![0; state.plaintext_bytes_to_read()];
                        self.reader().read_exact(&mut chunk).unwrap();
                        received.extend_from_slice(&chunk);
                    }
                    Ok(())
                }
            }
        };
    }
    conn!(rustls::ServerConnection);
    conn!(rustls::ClientConnection);
}

fn handshake(server: &mut ServerConnection, client: &mut ClientConnection) {
    for _ in 0..10 {
        assert!(transfer(client, server).unwrap().is_empty());
        assert!(transfer(server, client).unwrap().is_empty());
        if !server.is_handshaking() && !client.is_handshaking() {
            return;
        }
    }
    panic!("handshake did not complete");
}

const SUITES: [CipherSuite; 2] = [
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
];

/// Both role assignments: (server provider, client provider).
fn role_pairs(suite: CipherSuite) -> [(Arc<CryptoProvider>, Arc<CryptoProvider>); 2] {
    let ours = || only_suite(mamori_tls::provider(), suite);
    let stock = || only_suite(rustls::crypto::aws_lc_rs::default_provider(), suite);
    [(ours(), stock()), (stock(), ours())]
}

fn exchange(
    server: &mut ServerConnection,
    client: &mut ClientConnection,
    request: &[u8],
    response: &[u8],
) {
    client.writer().write_all(request).unwrap();
    assert_eq!(transfer(client, server).unwrap(), request);
    server.writer().write_all(response).unwrap();
    assert_eq!(transfer(server, client).unwrap(), response);
}

#[test]
fn both_suites_interoperate_in_both_roles() {
    for suite in SUITES {
        for (server_provider, client_provider) in role_pairs(suite) {
            let (mut server, mut client) = pair(server_provider, client_provider);
            handshake(&mut server, &mut client);
            assert_eq!(server.negotiated_cipher_suite().unwrap().suite(), suite);
            assert_eq!(client.negotiated_cipher_suite().unwrap().suite(), suite);
            // A request and response the size of a pod review and of its echoed answer, several times over.
            let request: Vec<u8> = (0..10_199u32).map(|i| (i % 251) as u8).collect();
            let response: Vec<u8> = (0..21_600u32).map(|i| (i % 241) as u8).collect();
            for _ in 0..5 {
                exchange(&mut server, &mut client, &request, &response);
            }
            // Key updates move both sides to the next traffic keys; data still flows.
            client.refresh_traffic_keys().unwrap();
            exchange(&mut server, &mut client, b"after the key update", b"ok");
        }
    }
}

#[test]
fn a_tampered_record_is_refused() {
    for suite in SUITES {
        for (server_provider, client_provider) in role_pairs(suite) {
            let (mut server, mut client) = pair(server_provider, client_provider);
            handshake(&mut server, &mut client);
            client
                .writer()
                .write_all(b"{\"kind\":\"AdmissionReview\"}")
                .unwrap();
            let mut wire = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut wire).unwrap();
            }
            let middle = wire.len() / 2;
            wire[middle] ^= 0x40;
            let err = rustls_conn::Conn::feed(&mut server, &wire, &mut Vec::new()).unwrap_err();
            assert_eq!(err, rustls::Error::DecryptError, "{suite:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// Any payload, split into any writes, arrives as it was sent through a connection with ring on one side.
    #[test]
    fn any_payload_arrives_intact(
        payload in proptest::collection::vec(any::<u8>(), 0..40_000),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
        suite_index in 0usize..2,
        ours_serves in any::<bool>(),
    ) {
        let [ours_server, ours_client] = role_pairs(SUITES[suite_index]);
        let (server_provider, client_provider) = if ours_serves { ours_server } else { ours_client };
        let (mut server, mut client) = pair(server_provider, client_provider);
        handshake(&mut server, &mut client);
        let mut points: Vec<usize> = cuts.iter().map(|cut| cut.index(payload.len() + 1)).collect();
        points.push(0);
        points.push(payload.len());
        points.sort_unstable();
        for window in points.windows(2) {
            client.writer().write_all(&payload[window[0]..window[1]]).unwrap();
        }
        prop_assert_eq!(transfer(&mut client, &mut server).unwrap(), payload.clone());
        server.writer().write_all(&payload).unwrap();
        prop_assert_eq!(transfer(&mut server, &mut client).unwrap(), payload);
    }
}
