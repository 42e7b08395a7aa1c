//! `mamori admission certs`: the generated chain is accepted by rustls for every Service DNS name (and only for
//! those), keys are private files, and existing files are not overwritten without `force`.

use std::sync::Arc;

use mamori_webhook::certs::{self, CertError, CertOptions, GeneratedCerts};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

fn options() -> CertOptions {
    CertOptions {
        namespace: "security".to_owned(),
        service: "mamori-hook".to_owned(),
        days: 30,
    }
}

fn verifier(certs: &GeneratedCerts) -> Arc<WebPkiServerVerifier> {
    let mut roots = RootCertStore::empty();
    let ca = CertificateDer::from_pem_slice(certs.ca_cert_pem.as_bytes()).expect("CA PEM");
    roots.add(ca).expect("CA accepted as a trust anchor");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .expect("verifier")
}

fn verify(certs: &GeneratedCerts, name: &str) -> Result<(), rustls::Error> {
    let leaf = CertificateDer::from_pem_slice(certs.tls_cert_pem.as_bytes()).expect("leaf PEM");
    let server_name = ServerName::try_from(name.to_owned()).expect("server name");
    verifier(certs)
        .verify_server_cert(&leaf, &[], &server_name, &[], UnixTime::now())
        .map(|_| ())
}

#[test]
fn rustls_accepts_the_chain_for_every_service_name() {
    let certs = certs::generate(&options()).expect("generate");
    let expected = [
        "mamori-hook",
        "mamori-hook.security",
        "mamori-hook.security.svc",
        "mamori-hook.security.svc.cluster.local",
    ];
    assert_eq!(certs.dns_names, expected);
    for name in expected {
        verify(&certs, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn rustls_rejects_other_names_and_other_cas() {
    let certs = certs::generate(&options()).expect("generate");
    for name in ["mamori-hook.other.svc", "evil.example.com", "security.svc"] {
        let error = verify(&certs, name).expect_err(name);
        assert!(
            matches!(error, rustls::Error::InvalidCertificate(_)),
            "{name}: {error:?}"
        );
    }
    // A leaf from one run is not trusted by another run's CA.
    let other = certs::generate(&options()).expect("generate");
    let mixed = GeneratedCerts {
        ca_cert_pem: other.ca_cert_pem.clone(),
        ..certs
    };
    assert!(verify(&mixed, "mamori-hook.security.svc").is_err());
}

#[test]
fn keys_parse_and_match_the_certificates() {
    let certs = certs::generate(&options()).expect("generate");
    let key = PrivateKeyDer::from_pem_slice(certs.tls_key_pem.as_bytes()).expect("tls key PEM");
    let chain = vec![CertificateDer::from_pem_slice(certs.tls_cert_pem.as_bytes()).expect("leaf")];
    // rustls checks that the key belongs to the certificate when building a server config.
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocols")
    .with_no_client_auth()
    .with_single_cert(chain, key);
    assert!(config.is_ok(), "{:?}", config.err());
    PrivateKeyDer::from_pem_slice(certs.ca_key_pem.as_bytes()).expect("CA key PEM");
}

#[cfg(unix)]
#[test]
fn files_are_written_with_private_key_modes_and_never_overwritten() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("certs");
    let first = certs::generate(&options()).expect("generate");
    let written = certs::write(&out, &first, false).expect("write");
    assert_eq!(written.len(), 4);
    let mode = |name: &str| {
        std::fs::metadata(out.join(name))
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(certs::CA_KEY_FILE), 0o600);
    assert_eq!(mode(certs::TLS_KEY_FILE), 0o600);
    assert_eq!(mode(certs::CA_CERT_FILE), 0o644);
    assert_eq!(mode(certs::TLS_CERT_FILE), 0o644);
    let read = |name: &str| std::fs::read_to_string(out.join(name)).expect("read");
    assert_eq!(read(certs::TLS_KEY_FILE), first.tls_key_pem);

    // A second run without force refuses and leaves every file as it was.
    let second = certs::generate(&options()).expect("generate");
    match certs::write(&out, &second, false) {
        Err(CertError::Exists(paths)) => assert_eq!(paths.len(), 4),
        other => panic!("expected Exists, got {other:?}"),
    }
    assert_eq!(read(certs::TLS_KEY_FILE), first.tls_key_pem);
    assert_eq!(read(certs::CA_CERT_FILE), first.ca_cert_pem);

    // One existing file is enough to refuse.
    let partial = dir.path().join("partial");
    std::fs::create_dir(&partial).expect("mkdir");
    std::fs::write(partial.join(certs::TLS_KEY_FILE), "keep me").expect("write");
    assert!(matches!(
        certs::write(&partial, &second, false),
        Err(CertError::Exists(paths)) if paths.len() == 1
    ));
    assert_eq!(
        std::fs::read_to_string(partial.join(certs::TLS_KEY_FILE)).expect("read"),
        "keep me"
    );
    assert!(!partial.join(certs::CA_CERT_FILE).exists());

    // With force the files are replaced, and a key that was world-readable comes back private.
    std::fs::set_permissions(
        out.join(certs::TLS_KEY_FILE),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    certs::write(&out, &second, true).expect("forced write");
    assert_eq!(read(certs::TLS_KEY_FILE), second.tls_key_pem);
    assert_eq!(mode(certs::TLS_KEY_FILE), 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .expect("read_dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn verify_serving_cert_catches_a_namespace_or_ca_mismatch() {
    let generated = certs::generate(&options()).expect("generate");
    certs::verify_serving_cert(
        &generated.ca_cert_pem,
        &generated.tls_cert_pem,
        "mamori-hook",
        "security",
    )
    .expect("matching pair");
    let wrong_namespace = certs::verify_serving_cert(
        &generated.ca_cert_pem,
        &generated.tls_cert_pem,
        "mamori-hook",
        "mamori-system",
    )
    .expect_err("other namespace");
    assert!(
        wrong_namespace
            .to_string()
            .contains("mamori-hook.mamori-system"),
        "{wrong_namespace}"
    );
    let other = certs::generate(&options()).expect("generate");
    assert!(certs::verify_serving_cert(
        &other.ca_cert_pem,
        &generated.tls_cert_pem,
        "mamori-hook",
        "security"
    )
    .is_err());
    assert!(certs::verify_serving_cert(
        "no pem",
        &generated.tls_cert_pem,
        "mamori-hook",
        "security"
    )
    .is_err());
}
