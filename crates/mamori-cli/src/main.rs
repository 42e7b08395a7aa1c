//! `mamori`: Kubernetes security in one binary.
//!
//! Commands: `mamori pss` (Pod Security Standards verdicts, kubectl-compatible wording) and `mamori scan`
//! (findings in table, JSON or SARIF). Exit status: 0 clean, 1 violations/findings at or above the gate,
//! 2 usage or input errors (errors win).

mod cmd;
mod options;
mod progress;

// Building the document trees is allocation-heavy (a string per scalar, a vector per map); mimalloc halves the
// CPU time of a scan compared with glibc malloc (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Kubernetes security toolkit: Pod Security Standards checks and manifest scans.
#[derive(Parser)]
#[command(name = "mamori", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate pod-bearing objects against a Pod Security Standards level, like the admission controller.
    Pss(cmd::pss::PssArgs),
    /// Scan manifests and report findings (table, JSON or SARIF).
    Scan(cmd::scan::ScanArgs),
    /// List the rules (Pod Security checks and the catalogue), or explain one: `mamori rules explain <id>`.
    Rules(cmd::rules::RulesArgs),
    /// Check a mamori.yaml (`validate`) or print its JSON Schema (`schema`).
    Config(cmd::config::ConfigArgs),
    /// Deploy-time enforcement: the PSA-compatible validating webhook (`serve`), its certificates and manifests.
    Admission(cmd::admission::AdmissionArgs),
    /// Write a read-only snapshot of a live cluster to one file that `mamori scan` reads offline.
    Snapshot(cmd::snapshot::SnapshotArgs),
    /// RBAC analysis: who-can, effective permissions of a subject, dangerous permissions and escalation paths.
    Rbac(cmd::rbac::RbacArgs),
}

/// Exit status when everything passed.
const EXIT_OK: u8 = 0;
/// Exit status when violations or findings at or above the gate were found.
const EXIT_FINDINGS: u8 = 1;
/// Exit status for usage and input errors (clap uses 2 for usage errors too).
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Pss(args) => cmd::pss::run(&args),
        Command::Scan(args) => cmd::scan::run(&args),
        Command::Rules(args) => cmd::rules::run(&args),
        Command::Config(args) => cmd::config::run(&args),
        Command::Admission(args) => cmd::admission::run(&args),
        Command::Snapshot(args) => cmd::snapshot::run(&args),
        Command::Rbac(args) => cmd::rbac::run(&args),
    };
    match outcome {
        Ok(cmd::Outcome { errors: true, .. }) => ExitCode::from(EXIT_ERROR),
        Ok(cmd::Outcome { failed: true, .. }) => ExitCode::from(EXIT_FINDINGS),
        Ok(_) => ExitCode::from(EXIT_OK),
        Err(message) => {
            eprintln!("mamori: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
