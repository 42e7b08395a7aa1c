//! `mamori rbac`: who-can, effective permissions of a subject, dangerous permissions and escalation paths,
//! over manifests/snapshots or a live cluster (`--cluster`).

use super::Outcome;
use crate::cmd::scan::FailOn;
use crate::options::{self, Destination, LimitArgs};
use clap::{Args, Subcommand, ValueEnum};
use mamori_model::Severity;
use mamori_rbac::model::InputNote;
use mamori_rbac::render;
use mamori_rbac::{Analyzer, RbacInput, Subject};
use std::io::Write;
use std::path::PathBuf;

/// `mamori rbac` and its subcommands.
#[derive(Args)]
pub struct RbacArgs {
    #[command(subcommand)]
    pub command: RbacCommand,
}

/// The RBAC questions.
#[derive(Subcommand)]
pub enum RbacCommand {
    /// Which subjects may make a request: `who-can VERB RESOURCE[.GROUP][/SUBRESOURCE]` or `who-can VERB /url`.
    WhoCan(WhoCanArgs),
    /// The effective permissions of a subject: `User:NAME`, `Group:NAME` or `ServiceAccount:NAMESPACE:NAME`.
    Can(CanArgs),
    /// Dangerous effective permissions per subject and escalation paths.
    Risks(RisksArgs),
}

/// Where the objects come from.
#[derive(Args, Debug)]
pub struct SourceArgs {
    /// Manifests, snapshots or directories to read (`-` for stdin).
    #[arg(
        value_name = "PATH",
        required_unless_present = "cluster",
        conflicts_with = "cluster"
    )]
    pub paths: Vec<PathBuf>,
    /// Read RBAC objects from the live cluster of the kubeconfig instead of files (read-only LISTs).
    #[arg(long)]
    pub cluster: bool,
    /// Kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE", requires = "cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub context: Option<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Write the output to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output of who-can and can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Table,
    Json,
}

/// Output of risks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RisksFormat {
    /// Findings, each escalation path step by step with the objects enabling each step.
    Text,
    Json,
    /// Graphviz digraph of the escalation paths.
    Dot,
    /// Mermaid flowchart of the escalation paths.
    Mermaid,
}

#[derive(Args, Debug)]
pub struct WhoCanArgs {
    /// The verb (`get`, `list`, `create`, `bind`, `impersonate`, `*` …).
    #[arg(value_name = "VERB")]
    pub verb: String,
    /// `RESOURCE[.GROUP][/SUBRESOURCE]` (e.g. `pods/exec`, `deployments.apps`) or a non-resource URL (`/metrics`).
    #[arg(value_name = "RESOURCE")]
    pub resource: String,
    /// Namespace of the request (RoleBindings there apply); without it the request is cluster-wide
    /// (ClusterRoleBindings only).
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Object name (for rules restricted by resourceNames).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// API group (default: the built-in resource's group, else core).
    #[arg(long, value_name = "GROUP")]
    pub api_group: Option<String>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Args, Debug)]
pub struct CanArgs {
    /// `User:NAME`, `Group:NAME` or `ServiceAccount:NAMESPACE:NAME`.
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
    /// Include the RoleBindings of this namespace (without it: ClusterRoleBindings only).
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Args, Debug)]
pub struct RisksArgs {
    #[arg(long, value_enum, default_value_t = RisksFormat::Text)]
    pub format: RisksFormat,
    /// Exit 1 when a risk at or above this severity is found.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `mamori rbac …`.
pub fn run(args: &RbacArgs) -> Result<Outcome, String> {
    match &args.command {
        RbacCommand::WhoCan(a) => who_can(a),
        RbacCommand::Can(a) => can(a),
        RbacCommand::Risks(a) => risks(a),
    }
}

/// The analyzer over the source, with the outcome of reading it (errors printed to stderr).
fn analyze(source: &SourceArgs) -> Result<(Analyzer, Vec<InputNote>, Outcome), String> {
    let mut outcome = Outcome::default();
    let input = if source.cluster {
        read_cluster(source, &mut outcome)
    } else {
        let loaded = mamori_rbac::load::load(
            &options::inputs(&source.paths),
            &source.limits.limits(),
            source.limits.threads,
        );
        for error in &loaded.errors {
            eprintln!("{error}");
            outcome.errors = true;
        }
        loaded.input
    };
    let notes = input.notes.clone();
    for note in &notes {
        eprintln!("{}:{}: note: {}", note.file, note.pos, note.message);
    }
    Ok((Analyzer::new(input), notes, outcome))
}

/// RBAC objects of the live cluster; always every namespace (ClusterRoles and ClusterRoleBindings matter for
/// any namespace's question). What could not be read is printed and makes the exit status 2.
fn read_cluster(source: &SourceArgs, outcome: &mut Outcome) -> RbacInput {
    let opts = mamori_cluster::ClusterOptions {
        kubeconfig: source.kubeconfig.clone(),
        context: source.context.clone(),
        namespace: None,
        ..mamori_cluster::ClusterOptions::default()
    };
    let mut input = RbacInput::default();
    mamori_cluster::fetch_streaming(
        &opts,
        mamori_cluster::rbac_kinds(),
        &mut |item| match item {
            mamori_cluster::FetchItem::Page { objects, .. } => {
                for object in &objects {
                    input.add(object);
                }
            }
            mamori_cluster::FetchItem::Error(error) => {
                eprintln!("mamori: {error}");
                outcome.errors = true;
            }
            mamori_cluster::FetchItem::Note(note) => eprintln!("mamori: note: {note}"),
            mamori_cluster::FetchItem::Connected { .. }
            | mamori_cluster::FetchItem::KindDone { .. } => {}
        },
    );
    input
}

fn finish(mut destination: Destination, result: std::io::Result<()>) -> Result<(), String> {
    result.map_err(options::write_error)?;
    destination.writer.flush().map_err(options::write_error)
}

fn who_can(args: &WhoCanArgs) -> Result<Outcome, String> {
    let request = mamori_rbac::request::parse_request(
        &args.verb,
        &args.resource,
        args.api_group.as_deref(),
        args.name.as_deref(),
        args.namespace.as_deref(),
    )?;
    let (analyzer, _, outcome) = analyze(&args.source)?;
    let entries = analyzer.who_can(&request);
    let mut destination = Destination::open(args.source.output.as_deref())?;
    let result = match args.format {
        TableFormat::Table => render::who_can_text(&request, &entries, &mut *destination.writer),
        TableFormat::Json => render::who_can_json(&request, &entries, &mut *destination.writer),
    };
    finish(destination, result)?;
    Ok(outcome)
}

fn can(args: &CanArgs) -> Result<Outcome, String> {
    let subject = Subject::parse(&args.subject)?;
    let (analyzer, _, outcome) = analyze(&args.source)?;
    let perms = analyzer.can(&subject, args.namespace.as_deref());
    let mut destination = Destination::open(args.source.output.as_deref())?;
    let result = match args.format {
        TableFormat::Table => render::can_text(&perms, &mut *destination.writer),
        TableFormat::Json => render::can_json(&perms, &mut *destination.writer),
    };
    finish(destination, result)?;
    Ok(outcome)
}

fn risks(args: &RisksArgs) -> Result<Outcome, String> {
    let (analyzer, notes, mut outcome) = analyze(&args.source)?;
    let report = mamori_rbac::risks(&analyzer);
    let dangling = analyzer.dangling_bindings();
    let mut destination = Destination::open(args.source.output.as_deref())?;
    let out = &mut *destination.writer;
    let result = match args.format {
        RisksFormat::Text => render::risks_text(&report, dangling, out),
        RisksFormat::Json => render::risks_json(&report, dangling, &notes, out),
        RisksFormat::Dot => render::risks_dot(&report, out),
        RisksFormat::Mermaid => render::risks_mermaid(&report, out),
    };
    finish(destination, result)?;
    if let Some(threshold) = threshold(args.fail_on) {
        outcome.failed = report.risks.iter().any(|r| r.finding.severity >= threshold);
    }
    Ok(outcome)
}

/// The lowest failing severity of `--fail-on` (`none` = never fail on risks).
fn threshold(fail_on: FailOn) -> Option<Severity> {
    match fail_on {
        FailOn::Critical => Some(Severity::Critical),
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::Info => Some(Severity::Info),
        FailOn::None => None,
    }
}
