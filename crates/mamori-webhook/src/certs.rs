//! `mamori admission certs`: a private CA and a serving certificate for the webhook Service.
//!
//! The API server reaches the webhook through its Service DNS name and verifies the serving certificate against
//! the `caBundle` of the ValidatingWebhookConfiguration, so the certificate carries every name the Service
//! answers to (`svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`). Keys are ECDSA P-256 (aws-lc-rs).
//! Files follow the names `kubectl create secret tls` and cert-manager use: `ca.crt`, `ca.key`, `tls.crt`,
//! `tls.key`. Keys are written with mode 0600 and nothing is overwritten unless asked.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// The CA certificate file name (PEM); its content is the webhook configuration's `caBundle`.
pub const CA_CERT_FILE: &str = "ca.crt";
/// The CA private key file name (PEM, PKCS#8, mode 0600). Keep it offline; only re-issuing needs it.
pub const CA_KEY_FILE: &str = "ca.key";
/// The serving certificate file name (PEM).
pub const TLS_CERT_FILE: &str = "tls.crt";
/// The serving private key file name (PEM, PKCS#8, mode 0600).
pub const TLS_KEY_FILE: &str = "tls.key";

/// Longest validity accepted, in days (10 years): a longer-lived CA is a liability, not a convenience.
pub const MAX_DAYS: u32 = 3650;

/// The certificate backdating that absorbs clock skew between the machine that issues and the API server.
const BACKDATE: Duration = Duration::minutes(5);

/// What to issue the certificates for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertOptions {
    /// Namespace of the webhook Service.
    pub namespace: String,
    /// Name of the webhook Service.
    pub service: String,
    /// Validity of both certificates, in days (1..=[`MAX_DAYS`]).
    pub days: u32,
}

impl Default for CertOptions {
    fn default() -> CertOptions {
        CertOptions {
            namespace: "mamori-system".to_owned(),
            service: "mamori-webhook".to_owned(),
            days: 365,
        }
    }
}

/// A generated CA and serving certificate, all PEM text.
#[derive(Clone)]
pub struct GeneratedCerts {
    /// The CA certificate (the `caBundle`).
    pub ca_cert_pem: String,
    /// The CA private key.
    pub ca_key_pem: String,
    /// The serving certificate, signed by the CA.
    pub tls_cert_pem: String,
    /// The serving private key.
    pub tls_key_pem: String,
    /// The DNS names in the serving certificate's subjectAltName, shortest first.
    pub dns_names: Vec<String>,
}

impl fmt::Debug for GeneratedCerts {
    // Never print private keys, even in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedCerts")
            .field("dns_names", &self.dns_names)
            .finish_non_exhaustive()
    }
}

/// Why certificates could not be generated or written.
#[derive(Debug)]
pub enum CertError {
    /// An option is out of range or not a valid DNS label.
    Invalid(String),
    /// rcgen refused to build or sign a certificate.
    Generate(String),
    /// Output files exist and `force` was not given (paths listed).
    Exists(Vec<PathBuf>),
    /// Reading or writing a file failed.
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        error: io::Error,
    },
}

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertError::Invalid(message) | CertError::Generate(message) => f.write_str(message),
            CertError::Exists(paths) => {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "refusing to overwrite existing {} (use --force to replace)",
                    names.join(", ")
                )
            }
            CertError::Io { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for CertError {}

impl From<rcgen::Error> for CertError {
    fn from(error: rcgen::Error) -> CertError {
        CertError::Generate(format!("certificate generation failed: {error}"))
    }
}

/// The DNS names a Service `service` in namespace `namespace` answers to inside the cluster, shortest first.
pub fn service_dns_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        service.to_owned(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

/// Whether `name` is an RFC 1123 DNS label as Kubernetes requires for namespace and Service names: 1–63
/// characters of lowercase letters, digits and '-', starting and ending with a letter or digit.
pub fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edge_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    !bytes.is_empty()
        && bytes.len() <= 63
        && edge_ok(bytes.first())
        && edge_ok(bytes.last())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

fn validate(options: &CertOptions) -> Result<(), CertError> {
    for (what, value) in [
        ("namespace", &options.namespace),
        ("service", &options.service),
    ] {
        if !is_dns_label(value) {
            return Err(CertError::Invalid(format!(
                "invalid {what} {value:?}: must be a DNS label (lowercase letters, digits and '-', at most 63 characters)"
            )));
        }
    }
    if options.days == 0 || options.days > MAX_DAYS {
        return Err(CertError::Invalid(format!(
            "invalid validity of {} days: must be between 1 and {MAX_DAYS}",
            options.days
        )));
    }
    Ok(())
}

/// Generates a fresh CA and a serving certificate for the Service named in `options`, valid from now (minus a
/// few minutes for clock skew) for `options.days` days.
pub fn generate(options: &CertOptions) -> Result<GeneratedCerts, CertError> {
    validate(options)?;
    let not_before = OffsetDateTime::now_utc() - BACKDATE;
    let not_after = not_before + BACKDATE + Duration::days(i64::from(options.days));

    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    let mut ca_name = DistinguishedName::new();
    ca_name.push(DnType::OrganizationName, "mamori");
    ca_name.push(
        DnType::CommonName,
        format!("mamori webhook CA ({})", options.namespace),
    );
    ca_params.distinguished_name = ca_name;
    // pathlen 0: this CA signs serving certificates only, never another CA.
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let ca_cert_pem = ca_cert.pem();
    let ca_key_pem = ca_key.serialize_pem();
    let issuer = Issuer::new(ca_params, ca_key);

    let dns_names = service_dns_names(&options.service, &options.namespace);
    let tls_key = KeyPair::generate()?;
    let mut tls_params = CertificateParams::new(dns_names.clone())?;
    let mut tls_name = DistinguishedName::new();
    tls_name.push(
        DnType::CommonName,
        format!("{}.{}.svc", options.service, options.namespace),
    );
    tls_params.distinguished_name = tls_name;
    tls_params.is_ca = IsCa::ExplicitNoCa;
    tls_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    tls_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    tls_params.use_authority_key_identifier_extension = true;
    tls_params.not_before = not_before;
    tls_params.not_after = not_after;
    let tls_cert = tls_params.signed_by(&tls_key, &issuer)?;

    Ok(GeneratedCerts {
        ca_cert_pem,
        ca_key_pem,
        tls_cert_pem: tls_cert.pem(),
        tls_key_pem: tls_key.serialize_pem(),
        dns_names,
    })
}

/// Writes the four PEM files into `dir` (created if missing) and returns their paths. Without `force`, nothing
/// is written when any of them exists. Keys get mode 0600; certificates 0644. Each file is written to a
/// temporary name in `dir` first and renamed, so a reader never sees half a key.
pub fn write(dir: &Path, certs: &GeneratedCerts, force: bool) -> Result<Vec<PathBuf>, CertError> {
    fs::create_dir_all(dir).map_err(|error| CertError::Io {
        path: dir.to_path_buf(),
        error,
    })?;
    let files: [(&str, &str, u32); 4] = [
        (CA_CERT_FILE, &certs.ca_cert_pem, 0o644),
        (CA_KEY_FILE, &certs.ca_key_pem, 0o600),
        (TLS_CERT_FILE, &certs.tls_cert_pem, 0o644),
        (TLS_KEY_FILE, &certs.tls_key_pem, 0o600),
    ];
    if !force {
        let existing: Vec<PathBuf> = files
            .iter()
            .map(|(name, _, _)| dir.join(name))
            .filter(|path| path.symlink_metadata().is_ok())
            .collect();
        if !existing.is_empty() {
            return Err(CertError::Exists(existing));
        }
    }
    let mut written = Vec::with_capacity(files.len());
    for (name, content, mode) in files {
        let path = dir.join(name);
        write_file(&path, content.as_bytes(), mode).map_err(|error| CertError::Io {
            path: path.clone(),
            error,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Creates `path.tmp` exclusively with `mode` (so a key is never readable by others, not even briefly), writes
/// and syncs it, then renames it over `path`.
fn write_file(path: &Path, content: &[u8], mode: u32) -> io::Result<()> {
    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(".tmp");
    let temp = PathBuf::from(temp_name);
    // A stale temporary file from an interrupted run would make create_new fail.
    match fs::remove_file(&temp) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let mut open = fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = (|| {
        let mut file = open.open(&temp)?;
        file.write_all(content)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Checks that `tls_cert_pem` chains to `ca_cert_pem` and is valid now for every DNS name of `service` in
/// `namespace`, as the API server will check it (rustls/webpki with the aws-lc-rs provider). Catches a certs
/// directory generated for another namespace or Service before the webhook fails at admission time.
pub fn verify_serving_cert(
    ca_cert_pem: &str,
    tls_cert_pem: &str,
    service: &str,
    namespace: &str,
) -> Result<(), CertError> {
    use rustls::client::danger::ServerCertVerifier;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
    use std::sync::Arc;

    let invalid = |what: String| CertError::Invalid(what);
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(ca_cert_pem.as_bytes()) {
        let ca = ca.map_err(|e| invalid(format!("CA certificate: {e}")))?;
        roots
            .add(ca)
            .map_err(|e| invalid(format!("CA certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(invalid("the CA file holds no PEM certificate".to_owned()));
    }
    let mut chain = CertificateDer::pem_slice_iter(tls_cert_pem.as_bytes());
    let leaf = match chain.next() {
        Some(Ok(leaf)) => leaf,
        Some(Err(e)) => return Err(invalid(format!("serving certificate: {e}"))),
        None => {
            return Err(invalid(
                "the serving certificate file holds no PEM certificate".to_owned(),
            ))
        }
    };
    let intermediates: Vec<CertificateDer<'static>> = chain.filter_map(Result::ok).collect();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| invalid(format!("CA certificate: {e}")))?;
    for name in service_dns_names(service, namespace) {
        let server_name =
            ServerName::try_from(name.clone()).map_err(|e| invalid(format!("{name}: {e}")))?;
        verifier
            .verify_server_cert(&leaf, &intermediates, &server_name, &[], UnixTime::now())
            .map_err(|e| {
                invalid(format!(
                    "the serving certificate is not valid for {name} under this CA: {e}"
                ))
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_cover_every_service_form() {
        assert_eq!(
            service_dns_names("hook", "ns"),
            [
                "hook",
                "hook.ns",
                "hook.ns.svc",
                "hook.ns.svc.cluster.local"
            ]
        );
    }

    #[test]
    fn dns_label_validation() {
        for good in ["a", "mamori-system", "x1", &"a".repeat(63)] {
            assert!(is_dns_label(good), "{good}");
        }
        for bad in ["", "-a", "a-", "A", "a.b", "a_b", &"a".repeat(64), "ä"] {
            assert!(!is_dns_label(bad), "{bad}");
        }
    }

    #[test]
    fn bad_options_are_rejected() {
        let bad = [
            CertOptions {
                namespace: "Bad".into(),
                ..CertOptions::default()
            },
            CertOptions {
                service: "a.b".into(),
                ..CertOptions::default()
            },
            CertOptions {
                days: 0,
                ..CertOptions::default()
            },
            CertOptions {
                days: MAX_DAYS + 1,
                ..CertOptions::default()
            },
        ];
        for options in bad {
            assert!(
                matches!(generate(&options), Err(CertError::Invalid(_))),
                "{options:?}"
            );
        }
    }

    #[test]
    fn debug_output_hides_keys() {
        let certs = generate(&CertOptions::default()).expect("generate");
        let debug = format!("{certs:?}");
        assert!(!debug.contains("PRIVATE KEY"), "{debug}");
        assert!(certs.ca_key_pem.contains("PRIVATE KEY"));
        assert!(certs.tls_key_pem.contains("PRIVATE KEY"));
    }
}
