//! `mamori-loadgen`: HTTPS keep-alive load against an admission webhook (or any JSON POST endpoint).
//!
//! ```text
//! mamori-loadgen --ca certs/ca.crt --server-name mamori-webhook.mamori-system.svc \
//!   --url https://127.0.0.1:8443/validate --body bodies/pod-compliant.json --connections 32 --rate 2000 --duration 10
//! ```

// The server's allocator: the generator shares the benchmark's two cores with the server, so its CPU counts.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use mamori_loadgen::{client_tls, run, Arrivals, Client, LoadConfig, Mode, Target};

/// Fixed-rate (open loop, coordinated-omission corrected) or max-throughput (closed loop) HTTPS load.
#[derive(Parser)]
#[command(name = "mamori-loadgen", version)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["rate", "max"])))]
struct Args {
    /// Endpoint to POST to.
    #[arg(long, default_value = "https://127.0.0.1:8443/validate")]
    url: String,
    /// PEM CA certificate(s) to trust for the server's certificate.
    #[arg(long, value_name = "FILE")]
    ca: PathBuf,
    /// Name to check the server certificate against (default: the URL's host).
    #[arg(long, value_name = "NAME")]
    server_name: Option<String>,
    /// Request body file, sent with Content-Type: application/json.
    #[arg(long, value_name = "FILE")]
    body: PathBuf,
    /// Keep-alive connections.
    #[arg(long, value_name = "N", default_value_t = 32)]
    connections: usize,
    /// Requests per second over all connections, on a fixed schedule (open loop).
    #[arg(long, value_name = "R")]
    rate: Option<f64>,
    /// Spacing of the due times with --rate: evenly, or as a Poisson process (exponential gaps, like many
    /// independent clients).
    #[arg(long, value_enum, default_value_t = ArrivalsArg::Even)]
    arrivals: ArrivalsArg,
    /// Seed of the Poisson gaps (the same seed repeats the same schedule).
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// Send as fast as responses come back (closed loop).
    #[arg(long)]
    max: bool,
    /// Recorded seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    duration: f64,
    /// Unrecorded seconds before the recorded window.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    warmup: f64,
    /// Per-request timeout in milliseconds (counts as an error).
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    timeout_ms: u64,
    /// Generator threads (1 = a single-threaded runtime, leaving the other cores to the server).
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
    /// HTTP client: `raw` writes prepared request bytes and parses responses with httparse in the
    /// connection's own task (as wrk does); `hyper` uses hyper's client connection, for comparison.
    #[arg(long, value_enum, default_value_t = ClientArg::Raw)]
    client: ClientArg,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ClientArg {
    Raw,
    Hyper,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ArrivalsArg {
    Even,
    Poisson,
}

fn seconds(value: f64, what: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("invalid {what} {value}: must be a non-negative number"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    match start(&args) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("mamori-loadgen: {message}");
            ExitCode::from(2)
        }
    }
}

fn start(args: &Args) -> Result<String, String> {
    let target = Target::parse(&args.url, args.server_name.as_deref())?;
    let ca = std::fs::read(&args.ca).map_err(|e| format!("{}: {e}", args.ca.display()))?;
    let body = std::fs::read(&args.body).map_err(|e| format!("{}: {e}", args.body.display()))?;
    let mode = match args.rate {
        Some(rate) => Mode::Rate(rate),
        None => Mode::Max,
    };
    let config = LoadConfig {
        target,
        tls: client_tls(&ca)?,
        body: Bytes::from(body),
        connections: args.connections,
        duration: seconds(args.duration, "duration")?,
        warmup: seconds(args.warmup, "warm-up")?,
        mode,
        arrivals: match args.arrivals {
            ArrivalsArg::Even => Arrivals::Even,
            ArrivalsArg::Poisson => Arrivals::Poisson { seed: args.seed },
        },
        timeout: Duration::from_millis(args.timeout_ms),
        client: match args.client {
            ClientArg::Raw => Client::Raw,
            ClientArg::Hyper => Client::Hyper,
        },
    };
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    }
    .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let report = runtime.block_on(run(config))?;
    Ok(if args.json {
        report.to_json().to_string()
    } else {
        report.to_text()
    })
}
