//! `mamori admission`: the PSA-compatible validating webhook (`serve`), and its deployment helpers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Deploy-time enforcement commands.
#[derive(clap::Args)]
pub struct AdmissionArgs {
    #[command(subcommand)]
    command: AdmissionCommand,
}

#[derive(clap::Subcommand)]
enum AdmissionCommand {
    /// Serve AdmissionReview v1 over HTTPS: Pod Security exactly as upstream plus the mamori rule catalogue.
    Serve(ServeArgs),
    /// Generate a CA and a serving certificate for the webhook Service (files ca.crt, ca.key, tls.crt, tls.key).
    Certs(CertsArgs),
    /// Print the manifests that install the webhook (namespace, RBAC, Deployment, Service, PDB, webhook config).
    Manifests(ManifestsArgs),
}

/// `mamori admission serve` arguments.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (HTTPS only).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    listen: SocketAddr,
    /// PEM certificate chain (leaf first); reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    tls_cert: PathBuf,
    /// PEM private key of the certificate; reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    tls_key: PathBuf,
    /// PEM CA bundle: require and verify client certificates (mTLS) against it.
    #[arg(long, value_name = "FILE")]
    client_ca: Option<PathBuf>,
    /// mamori.yaml with the rule catalogue settings and the `admission:` section.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Upstream PodSecurityConfiguration (or an AdmissionConfiguration holding one): defaults and exemptions.
    #[arg(long, value_name = "FILE")]
    pod_security_config: Option<PathBuf>,
    /// kubeconfig for the namespace and pod watch (default: KUBECONFIG, ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE", conflicts_with = "namespaces_file")]
    kubeconfig: Option<PathBuf>,
    /// kubeconfig context to use.
    #[arg(long, value_name = "NAME", conflicts_with = "namespaces_file")]
    context: Option<String>,
    /// Read Namespaces (and Pods) from files instead of watching the API server (repeatable).
    #[arg(long, value_name = "FILE")]
    namespaces_file: Vec<PathBuf>,
    /// Turn every deny into a warning (`allowed: true`), for a safe rollout.
    #[arg(long)]
    dry_run: bool,
    /// Seconds in-flight requests may take to finish after SIGTERM/SIGINT.
    #[arg(long, value_name = "SECS", default_value_t = 25)]
    shutdown_grace: u64,
    /// Worker threads serving requests (default: the CPUs available to the process, at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    workers: Option<u16>,
}

pub fn run(args: &AdmissionArgs) -> Result<super::Outcome, String> {
    match &args.command {
        AdmissionCommand::Serve(serve_args) => serve(serve_args),
        AdmissionCommand::Certs(certs_args) => certs(certs_args),
        AdmissionCommand::Manifests(manifests_args) => manifests(manifests_args),
    }
}

/// `mamori admission serve`: runs until SIGTERM/SIGINT; logs are JSON lines on stderr.
fn serve(args: &ServeArgs) -> Result<super::Outcome, String> {
    // Held until return: dropping it flushes the queued log lines.
    let _log = mamori_webhook::init_json_logging("info");
    let engine = build_engine(args)?;
    let cluster = if args.namespaces_file.is_empty() {
        mamori_webhook::ClusterSource::Kube {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
        }
    } else {
        mamori_webhook::ClusterSource::Files(args.namespaces_file.clone())
    };
    let settings = mamori_webhook::ServeSettings {
        server: mamori_webhook::server::ServerOptions {
            listen: args.listen,
            tls_cert: args.tls_cert.clone(),
            tls_key: args.tls_key.clone(),
            client_ca: args.client_ca.clone(),
            shutdown_grace: Duration::from_secs(args.shutdown_grace),
            limits: mamori_webhook::server::ServerLimits::default(),
        },
        cluster,
        workers: args.workers.map_or_else(
            || std::thread::available_parallelism().map_or(1, usize::from),
            usize::from,
        ),
    };
    let report = mamori_webhook::serve_blocking(settings, engine)?;
    Ok(super::Outcome {
        errors: !report.drained,
        failed: false,
    })
}

/// The decision engine from `--pod-security-config`, `--config` and `--dry-run`, built once at start-up.
fn build_engine(args: &ServeArgs) -> Result<mamori_admission::Engine, String> {
    let pod_security = match &args.pod_security_config {
        Some(path) => {
            let text = read_text(path)?;
            mamori_admission::parse_pod_security_configuration(&text, &path.display().to_string())
                .map_err(|errors| errors.join("\n"))?
        }
        None => mamori_admission::PodSecurityConfiguration::default(),
    };
    let config = match &args.config {
        Some(path) => Some(super::scan_setup::load_config(Some(path), false)?),
        None => None,
    };
    let settings = mamori_admission::EngineSettings {
        pod_security,
        config,
        dry_run: args.dry_run,
        today: super::scan_setup::today()?,
    };
    mamori_admission::Engine::new(settings)
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))
}

/// `mamori admission certs` arguments.
#[derive(clap::Args)]
pub struct CertsArgs {
    /// Directory to write ca.crt, ca.key, tls.crt and tls.key into (created if missing).
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
    /// Namespace of the webhook Service.
    #[arg(long, value_name = "NAME", default_value = "mamori-system")]
    namespace: String,
    /// Name of the webhook Service.
    #[arg(long, value_name = "NAME", default_value = mamori_webhook::manifests::NAME)]
    service: String,
    /// Validity of the CA and the serving certificate, in days.
    #[arg(long, value_name = "N", default_value_t = 365)]
    days: u32,
    /// Replace existing files in the output directory.
    #[arg(long)]
    force: bool,
}

/// `mamori admission certs`: writes the files and prints what to do with them.
fn certs(args: &CertsArgs) -> Result<super::Outcome, String> {
    use mamori_webhook::certs;
    let options = certs::CertOptions {
        namespace: args.namespace.clone(),
        service: args.service.clone(),
        days: args.days,
    };
    let generated = certs::generate(&options).map_err(|err| err.to_string())?;
    let written =
        certs::write(&args.out_dir, &generated, args.force).map_err(|err| err.to_string())?;
    let mut out = String::new();
    for path in &written {
        out.push_str(&format!("wrote {}\n", path.display()));
    }
    out.push_str(&format!(
        "serving certificate for {} (valid {} days)\nnext: kubectl -n {} create secret tls {} --cert={} --key={}\n",
        generated.dns_names.join(", "),
        args.days,
        args.namespace,
        mamori_webhook::manifests::TLS_SECRET_NAME,
        args.out_dir.join(certs::TLS_CERT_FILE).display(),
        args.out_dir.join(certs::TLS_KEY_FILE).display(),
    ));
    write_stdout(&out)?;
    Ok(super::Outcome::default())
}

/// `--failure-policy` values, spelled as the API server expects them.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FailurePolicyArg {
    #[value(name = "Fail")]
    Fail,
    #[value(name = "Ignore")]
    Ignore,
}

/// `mamori admission manifests` arguments.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("ca").required(true).args(["ca_bundle", "cert_dir"])))]
pub struct ManifestsArgs {
    /// Namespace to install into (created with restricted Pod Security labels and excluded from the webhook).
    #[arg(long, value_name = "NAME", default_value = "mamori-system")]
    namespace: String,
    /// Name of the webhook Service (as given to `mamori admission certs --service`).
    #[arg(long, value_name = "NAME", default_value = mamori_webhook::manifests::NAME)]
    service: String,
    /// mamori container image; pin it by digest (REPO@sha256:...). Default: the release image of this version.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// PEM CA certificate that signed the serving certificate (the webhook's caBundle).
    #[arg(long, value_name = "FILE")]
    ca_bundle: Option<PathBuf>,
    /// Directory written by `mamori admission certs`: ca.crt becomes the caBundle, and tls.crt is checked
    /// against the Service name.
    #[arg(long, value_name = "DIR")]
    cert_dir: Option<PathBuf>,
    /// Also emit the TLS Secret from --cert-dir (puts the private key into the output; prefer `kubectl create
    /// secret tls`).
    #[arg(long)]
    tls_secret: bool,
    /// What the API server does when the webhook is unreachable: Fail (closed) or Ignore (open).
    #[arg(long, value_name = "POLICY", value_enum, default_value = "Fail")]
    failure_policy: FailurePolicyArg,
    /// How long the API server waits for the webhook (1-30).
    #[arg(long, value_name = "N", default_value_t = 10)]
    timeout_seconds: u32,
    /// mamori.yaml to ship in a ConfigMap and serve with (validated first).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// `mamori admission manifests`: prints the multi-document YAML on stdout.
fn manifests(args: &ManifestsArgs) -> Result<super::Outcome, String> {
    use mamori_webhook::{certs, manifests};
    // Not a clap `requires`: that did not fire next to the required `ca` group.
    if args.tls_secret && args.cert_dir.is_none() {
        return Err(
            "--tls-secret needs --cert-dir (the Secret is made from its tls.crt and tls.key)"
                .to_owned(),
        );
    }
    let mut options = manifests::ManifestOptions::new(env!("CARGO_PKG_VERSION"));
    options.namespace = args.namespace.clone();
    options.service = args.service.clone();
    if let Some(image) = &args.image {
        options.image = image.clone();
    }
    options.failure_policy = match args.failure_policy {
        FailurePolicyArg::Fail => manifests::FailurePolicy::Fail,
        FailurePolicyArg::Ignore => manifests::FailurePolicy::Ignore,
    };
    options.timeout_seconds = args.timeout_seconds;
    if let Some(path) = &args.ca_bundle {
        options.ca_bundle_pem = Some(read_text(path)?);
    }
    if let Some(dir) = &args.cert_dir {
        let ca = read_text(&dir.join(certs::CA_CERT_FILE))?;
        let tls_cert = read_text(&dir.join(certs::TLS_CERT_FILE))?;
        certs::verify_serving_cert(&ca, &tls_cert, &args.service, &args.namespace)
            .map_err(|err| format!("{}: {err}", dir.display()))?;
        if args.tls_secret {
            options.tls_secret = Some(manifests::TlsSecret {
                cert_pem: tls_cert,
                key_pem: read_text(&dir.join(certs::TLS_KEY_FILE))?,
            });
        }
        options.ca_bundle_pem = Some(ca);
    }
    if let Some(path) = &args.config {
        // Refuse a config the server would refuse at start-up, before it reaches a cluster.
        super::scan_setup::load_config(Some(path), false)?;
        options.config_yaml = Some(read_text(path)?);
    }
    let yaml = manifests::render(&options).map_err(|err| err.to_string())?;
    if !manifests::image_has_digest(&options.image) {
        eprintln!(
            "mamori: note: image {} is not pinned by digest; pass --image REPO@sha256:... (mamori scan reports image.digest-missing)",
            options.image
        );
    }
    write_stdout(&yaml)?;
    Ok(super::Outcome::default())
}

fn write_stdout(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|err| format!("cannot write to stdout: {err}"))
}
