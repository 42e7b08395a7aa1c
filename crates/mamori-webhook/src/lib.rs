//! mamori admission webhook server: HTTPS (rustls), certificate reload, metrics, namespace watch, certs and manifests
pub mod certs;
