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
}

pub fn run(args: &AdmissionArgs) -> Result<super::Outcome, String> {
    match &args.command {
        AdmissionCommand::Serve(serve_args) => serve(serve_args),
    }
}

/// `mamori admission serve`: runs until SIGTERM/SIGINT; logs are JSON lines on stderr.
fn serve(args: &ServeArgs) -> Result<super::Outcome, String> {
    mamori_webhook::init_json_logging("info");
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
        workers: 2,
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
