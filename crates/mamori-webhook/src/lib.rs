//! mamori admission webhook server: HTTPS (rustls), certificate reload, metrics, namespace watch, certs and manifests
//!
//! [`serve_blocking`] is `mamori admission serve`: it builds a two-worker tokio runtime, fills the
//! [`state::ClusterCache`] from files or a watch, starts [`server::start`] and drains on SIGTERM/SIGINT. The
//! decisions themselves are `mamori_admission::Engine::review`; this crate only moves bytes, keeps the cluster
//! state and reports.

pub mod certs;
pub mod duration;
pub mod json_log;
pub mod logging;
pub mod manifests;
pub mod metrics;
pub mod server;
pub mod state;
pub mod tls;

use mamori_admission::Engine;
use server::{ServerOptions, ShutdownReport};
use state::ClusterCache;
use std::path::PathBuf;
use std::sync::Arc;

/// Where namespaces and pods come from.
#[derive(Debug, Clone)]
pub enum ClusterSource {
    /// Namespace (and Pod) objects from files, as `kubectl get namespaces -o yaml` prints them.
    Files(Vec<PathBuf>),
    /// A watch on the API server, configured as kubectl would be.
    Kube {
        /// `--kubeconfig`; None = `KUBECONFIG`, `~/.kube/config`, then in-cluster.
        kubeconfig: Option<PathBuf>,
        /// `--context`.
        context: Option<String>,
    },
}

/// Everything `mamori admission serve` needs besides the engine.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Listener, TLS, limits, grace period.
    pub server: ServerOptions,
    /// Cluster state source.
    pub cluster: ClusterSource,
    /// tokio worker threads (the target machine has 2 cores).
    pub workers: usize,
}

/// Runs the webhook until SIGTERM or SIGINT, then drains in-flight requests within the grace period.
/// Errors are start-up failures (runtime, certificate, bind, `--namespaces-file`).
pub fn serve_blocking(settings: ServeSettings, engine: Engine) -> Result<ShutdownReport, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.workers.max(1))
        .thread_name("mamori-webhook")
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    runtime.block_on(serve(settings, engine, shutdown_signal()))
}

/// [`serve_blocking`] on the caller's runtime, stopping when `stop` completes.
pub async fn serve(
    settings: ServeSettings,
    engine: Engine,
    stop: impl std::future::Future<Output = ()>,
) -> Result<ShutdownReport, String> {
    let metrics = Arc::new(metrics::Metrics::new());
    // The provider must be in place before the kube client builds its TLS configuration.
    let _ = tls::provider();
    let (cluster, watch_task) = match settings.cluster {
        ClusterSource::Files(paths) => {
            let (cache, counts) = ClusterCache::from_files(&paths)?;
            tracing::info!(
                namespaces = counts.namespaces,
                pods = counts.pods,
                ignored = counts.ignored,
                "cluster state loaded from files"
            );
            (Arc::new(cache), None)
        }
        ClusterSource::Kube {
            kubeconfig,
            context,
        } => {
            let client = state::kube_client(kubeconfig.as_deref(), context.as_deref()).await?;
            let cache = Arc::new(ClusterCache::with_live_lookup(
                client.clone(),
                tokio::runtime::Handle::current(),
            ));
            let task = tokio::spawn(state::watch_cluster(client, Arc::clone(&cache)));
            (cache, Some(task))
        }
    };
    metrics.set_ready(cluster.is_ready());
    let running = server::start(settings.server, Arc::new(engine), cluster, metrics)
        .await
        .map_err(|err| err.message)?;
    tracing::info!(address = %running.local_addr(), "serving admission reviews");
    stop.await;
    tracing::info!("shutdown signal received");
    running.shutdown();
    let report = running.wait().await;
    if let Some(task) = watch_task {
        task.abort();
    }
    Ok(report)
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Keeps the log writer thread alive; dropping it flushes the lines still queued.
pub struct LogGuard {
    _writer: Option<logging::BatchGuard>,
}

impl std::fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogGuard")
    }
}

/// Sends `tracing` events to stderr as JSON lines (one object per event, with `timestamp`, `level`, `fields`),
/// written in batches by a background thread ([`logging`]) so request handling never waits on stderr.
/// `RUST_LOG` overrides `default_filter` (e.g. `info`). Keep the guard until exit. A second call leaves the
/// first subscriber in place. Should the thread not start, lines go to stderr directly.
pub fn init_json_logging(default_filter: &str) -> LogGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let subscriber = tracing_subscriber::fmt()
        .event_format(json_log::JsonLines)
        .with_env_filter(filter);
    match logging::batched(std::io::stderr()) {
        Ok((writer, guard)) => {
            let _ = subscriber.with_writer(writer).try_init();
            LogGuard {
                _writer: Some(guard),
            }
        }
        Err(_) => {
            let _ = subscriber.with_writer(std::io::stderr).try_init();
            LogGuard { _writer: None }
        }
    }
}
