//! TLS for the webhook: the serving certificate (PEM files, reloaded while serving), optional client
//! certificate verification (mTLS), and the rustls server configuration.
//!
//! Reload: [`CertReloader::poll`] re-reads both files and, when their bytes changed, builds a new
//! [`CertifiedKey`]; a pair that does not parse or does not match keeps the previous certificate. The resolver
//! hands the current certificate to every new handshake, so a rotated certificate is seen by the next connection
//! without a restart (established connections keep theirs).

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// A TLS set-up error, naming the file it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError {
    /// Human-readable cause, e.g. `/etc/tls/tls.key: no private key found`.
    pub message: String,
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TlsError {}

fn error(path: &Path, what: impl fmt::Display) -> TlsError {
    TlsError {
        message: format!("{}: {what}", path.display()),
    }
}

/// The server's crypto provider, [`mamori_tls::provider`] (aws-lc-rs, with ring's AES-GCM record protection for
/// TLS 1.3). It is also installed as the process default, which kube's client (the namespace watch) builds its
/// TLS configuration from, unless one was installed before.
pub fn provider() -> Arc<CryptoProvider> {
    // Installing fails only when a provider is already installed, which is what we want either way.
    let _ = mamori_tls::provider().install_default();
    Arc::new(mamori_tls::provider())
}

/// Builds a certificate + key pair from PEM bytes: the certificate file may hold a chain (leaf first); the key
/// file one PKCS#8, PKCS#1 or SEC1 key. The key must belong to the leaf certificate.
pub fn certified_key_from_pem(
    cert_pem: &[u8],
    cert_path: &Path,
    key_pem: &[u8],
    key_path: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| error(cert_path, format_args!("invalid PEM: {err}")))?;
    if chain.is_empty() {
        return Err(error(cert_path, "no certificate found"));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|err| match err {
        rustls_pki_types::pem::Error::NoItemsFound => error(key_path, "no private key found"),
        other => error(key_path, format_args!("invalid PEM: {other}")),
    })?;
    CertifiedKey::from_der(chain, key, provider).map_err(|err| TlsError {
        message: format!(
            "{} / {}: unusable certificate and key: {err}",
            cert_path.display(),
            key_path.display()
        ),
    })
}

/// Hands the current serving certificate to each handshake; swapped by [`CertReloader`].
#[derive(Debug)]
pub struct ReloadingResolver {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ReloadingResolver {
    /// A resolver serving `initial` until [`ReloadingResolver::replace`] is called.
    pub fn new(initial: CertifiedKey) -> ReloadingResolver {
        ReloadingResolver {
            current: RwLock::new(Arc::new(initial)),
        }
    }

    /// The certificate new handshakes get.
    pub fn current(&self) -> Arc<CertifiedKey> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            // A writer never panics while holding the lock; recover the value rather than fail handshakes.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Serves `next` from the next handshake on.
    pub fn replace(&self, next: CertifiedKey) {
        let next = Arc::new(next);
        match self.current.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

impl ResolvesServerCert for ReloadingResolver {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// What one reload poll did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// The files hold the bytes already served (or already rejected).
    Unchanged,
    /// A new certificate is served from now on.
    Reloaded,
    /// The files changed but the new pair is unusable; the previous certificate stays.
    Rejected(TlsError),
}

/// Watches the certificate and key files and swaps the resolver's certificate when they change.
#[derive(Debug)]
pub struct CertReloader {
    cert_path: PathBuf,
    key_path: PathBuf,
    resolver: Arc<ReloadingResolver>,
    provider: Arc<CryptoProvider>,
    /// The bytes of the last pair looked at (served or rejected), so a bad pair is reported once, not every poll.
    last_seen: (Vec<u8>, Vec<u8>),
}

impl CertReloader {
    /// Loads the pair once (an error here is fatal for the caller: there is nothing to serve yet).
    pub fn load(
        cert_path: &Path,
        key_path: &Path,
        provider: Arc<CryptoProvider>,
    ) -> Result<CertReloader, TlsError> {
        let cert_pem = std::fs::read(cert_path).map_err(|err| error(cert_path, err))?;
        let key_pem = std::fs::read(key_path).map_err(|err| error(key_path, err))?;
        let key = certified_key_from_pem(&cert_pem, cert_path, &key_pem, key_path, &provider)?;
        Ok(CertReloader {
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            resolver: Arc::new(ReloadingResolver::new(key)),
            provider,
            last_seen: (cert_pem, key_pem),
        })
    }

    /// The resolver to put in the server configuration.
    pub fn resolver(&self) -> Arc<ReloadingResolver> {
        Arc::clone(&self.resolver)
    }

    /// Re-reads both files (content comparison, so a rewrite within the same second and Kubernetes' symlink
    /// swap of Secret volumes are both seen) and swaps the certificate if they changed and are usable.
    pub async fn poll(&mut self) -> ReloadOutcome {
        let cert_pem = match tokio::fs::read(&self.cert_path).await {
            Ok(bytes) => bytes,
            Err(err) => return self.reject_read(&self.cert_path.clone(), err),
        };
        let key_pem = match tokio::fs::read(&self.key_path).await {
            Ok(bytes) => bytes,
            Err(err) => return self.reject_read(&self.key_path.clone(), err),
        };
        if cert_pem == self.last_seen.0 && key_pem == self.last_seen.1 {
            return ReloadOutcome::Unchanged;
        }
        let outcome = match certified_key_from_pem(
            &cert_pem,
            &self.cert_path,
            &key_pem,
            &self.key_path,
            &self.provider,
        ) {
            Ok(key) => {
                self.resolver.replace(key);
                ReloadOutcome::Reloaded
            }
            Err(err) => ReloadOutcome::Rejected(err),
        };
        self.last_seen = (cert_pem, key_pem);
        outcome
    }

    /// A missing or unreadable file (e.g. mid-rotation) keeps the old pair; reported once until it changes.
    fn reject_read(&mut self, path: &Path, err: std::io::Error) -> ReloadOutcome {
        if self.last_seen.0.is_empty() && self.last_seen.1.is_empty() {
            return ReloadOutcome::Unchanged;
        }
        self.last_seen = (Vec::new(), Vec::new());
        ReloadOutcome::Rejected(error(path, err))
    }
}

/// Loads the CA bundle that client certificates must chain to.
pub fn client_roots(ca_path: &Path) -> Result<RootCertStore, TlsError> {
    let pem = std::fs::read(ca_path).map_err(|err| error(ca_path, err))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|err| error(ca_path, format_args!("invalid PEM: {err}")))?;
        roots
            .add(cert)
            .map_err(|err| error(ca_path, format_args!("unusable CA certificate: {err}")))?;
    }
    if roots.is_empty() {
        return Err(error(ca_path, "no CA certificate found"));
    }
    Ok(roots)
}

/// The rustls server configuration: certificate from `resolver`, client certificates required and verified
/// against `client_roots` when given, ALPN h2 and http/1.1.
pub fn server_config(
    resolver: Arc<ReloadingResolver>,
    client_roots: Option<RootCertStore>,
    provider: Arc<CryptoProvider>,
) -> Result<ServerConfig, TlsError> {
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|err| TlsError {
            message: format!("TLS set-up: {err}"),
        })?;
    let mut config = match client_roots {
        Some(roots) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|err| TlsError {
                    message: format!("client CA: {err}"),
                })?;
            builder
                .with_client_cert_verifier(verifier)
                .with_cert_resolver(resolver)
        }
        None => builder.with_no_client_auth().with_cert_resolver(resolver),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
