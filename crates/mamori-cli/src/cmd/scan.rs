//! `mamori scan`: findings of every rule family (Pod Security Standards today) as a table, JSON or SARIF.

use super::Outcome;
use crate::options::{self, Destination, LevelArg, LimitArgs, VersionArg};
use clap::{Args, ValueEnum};
use mamori_model::Severity;
use mamori_report::json::PolicyInfo;
use mamori_report::sarif::SarifOptions;
use mamori_report::table::TableOptions;
use mamori_report::{Diagnostic, RuleDescriptor, ScanReport, ToolInfo};
use mamori_scan::{ScanItem, ScanOptions};
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Output formats of `mamori scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// Human-readable findings grouped by lifecycle phase.
    Table,
    /// Stable machine-readable JSON (schemaVersion 1, see docs/json-output.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
    Sarif,
}

/// The lowest severity that makes `mamori scan` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
    /// Never fail because of findings (errors still exit 2).
    None,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Info => Some(Severity::Info),
            FailOn::None => None,
        }
    }
}

/// When the table uses colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset (CLICOLOR_FORCE forces it).
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Pod Security level of the PSS rule family: privileged, baseline or restricted.
    #[arg(long, value_name = "LEVEL", default_value = "restricted", value_parser = options::parse_level)]
    pub pss_level: LevelArg,
    /// Pod Security policy version: latest or v1.N.
    #[arg(long, value_name = "VERSION", default_value = "latest", value_parser = options::parse_version)]
    pub pss_version: VersionArg,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = FailOn::Low)]
    pub fail_on: FailOn,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour in the table output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Files or directories to scan (`-` for stdin).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

/// The tool identity written into JSON and SARIF.
pub const TOOL: ToolInfo = ToolInfo {
    name: "mamori",
    version: env!("CARGO_PKG_VERSION"),
    information_uri: "https://github.com/mamori-dev/mamori",
};

/// Runs `mamori scan`: collects the findings in input order, then renders the chosen format.
pub fn run(args: &ScanArgs) -> Result<Outcome, String> {
    let scan_options = ScanOptions {
        pss: options::level_version(&args.pss_level, &args.pss_version),
        limits: args.limits.limits(),
        threads: args.limits.threads,
    };
    // Open the destination first so an unwritable --output fails before the (possibly long) scan.
    let destination = Destination::open(args.output.as_deref())?;
    let inputs = options::inputs(&args.paths);

    let mut report = ScanReport::default();
    let mut files: HashSet<Arc<str>> = HashSet::new();
    mamori_scan::scan(&inputs, &scan_options, &mut |item| match item {
        ScanItem::Object(object) => {
            report.objects_scanned += 1;
            note_file(&mut files, &object.source.file);
            report.findings.extend(object.findings);
        }
        ScanItem::Note(note) => {
            eprintln!("{note}");
            note_file(&mut files, &note.file);
            report.notes.push(Diagnostic {
                file: note.file,
                pos: note.pos,
                message: note.message,
            });
        }
        ScanItem::Error(error) => {
            eprintln!("{error}");
            note_file(&mut files, &error.file);
            report.errors.push(Diagnostic {
                file: error.file,
                pos: error.pos,
                message: error.message,
            });
        }
    });
    report.files_scanned = files.len() as u64;

    render(args, &report, destination)?;

    let failed = args
        .fail_on
        .threshold()
        .is_some_and(|threshold| report.findings.iter().any(|f| f.severity >= threshold));
    Ok(Outcome {
        errors: !report.errors.is_empty(),
        failed,
    })
}

fn note_file(files: &mut HashSet<Arc<str>>, file: &Arc<str>) {
    if !files.contains(file) {
        files.insert(file.clone());
    }
}

fn render(args: &ScanArgs, report: &ScanReport, destination: Destination) -> Result<(), String> {
    let Destination {
        writer,
        is_terminal,
    } = destination;
    match args.format {
        ScanFormat::Table => {
            let color = use_color(args.color, is_terminal, args.output.is_some());
            let choice = if color {
                anstream::ColorChoice::AlwaysAnsi
            } else {
                anstream::ColorChoice::Never
            };
            // The renderer always styles; AutoStream strips the escapes when colour is off, so NO_COLOR and
            // non-terminals get plain text.
            let mut stream = anstream::AutoStream::new(writer, choice);
            mamori_report::table::render(report, TableOptions { color: true }, &mut stream)
                .and_then(|()| stream.flush())
                .map_err(options::write_error)
        }
        ScanFormat::Json => {
            let mut writer = writer;
            let policy = PolicyInfo {
                pss_level: &args.pss_level.text,
                pss_version: &args.pss_version.text,
            };
            mamori_report::json::render(report, &TOOL, policy, &mut writer)
                .and_then(|()| writer.flush())
                .map_err(options::write_error)
        }
        ScanFormat::Sarif => {
            let mut writer = writer;
            let rules: Vec<RuleDescriptor<'_>> = mamori_scan::rules()
                .iter()
                .map(|r| RuleDescriptor {
                    id: r.id,
                    title: r.title,
                    severity: r.severity,
                    phase: r.phase,
                    description: r.description,
                    remediation: r.remediation,
                    help_uri: r.help_uri,
                })
                .collect();
            let cwd = std::env::current_dir().ok();
            let sarif_options = SarifOptions {
                source_root: cwd.as_deref(),
            };
            mamori_report::sarif::render(report, &TOOL, &rules, sarif_options, &mut writer)
                .and_then(|()| writer.flush())
                .map_err(options::write_error)
        }
    }
}

/// Colour policy: `--color always|never` wins; otherwise NO_COLOR disables, CLICOLOR_FORCE enables (stdout
/// only), and by default only an interactive terminal gets colour. `--output` files are plain unless forced.
fn use_color(choice: ColorChoice, is_terminal: bool, to_file: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto if to_file => false,
        ColorChoice::Auto => is_terminal || set("CLICOLOR_FORCE"),
    }
}
