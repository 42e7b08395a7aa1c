//! `mamori scan`: findings of every rule family (Pod Security Standards today) as a table, JSON, SARIF, JUnit XML
//! or a self-contained HTML page.

use super::scan_cluster::{ClusterArgs, ScanSource};
use super::scan_setup;
use super::Outcome;
use crate::options::{self, Destination, LevelArg, LimitArgs, VersionArg};
use crate::progress::{self, ScanProgress};
use clap::{Args, ValueEnum};
use mamori_model::{Finding, Severity};
use mamori_report::html::{HtmlContext, HtmlWriter};
use mamori_report::json::{JsonReportWriter, PolicyInfo};
use mamori_report::junit::JunitWriter;
use mamori_report::sarif::{SarifOptions, SarifWriter};
use mamori_report::table::{TableOptions, TableWriter};
use mamori_report::{Diagnostic, RuleDescriptor, RuleReference, ToolInfo};
use mamori_scan::{ObjectResult, Policy, RenderHook, Rendered, RuleOptions, ScanItem, ScanOptions};
use std::collections::HashSet;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Output formats of `mamori scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// Human-readable findings grouped by lifecycle phase.
    Table,
    /// Stable machine-readable JSON (schemaVersion 1, see docs/json-output.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
    Sarif,
    /// JUnit XML for CI test dashboards: a testsuite per file, a testcase per object and rule family
    /// (docs/junit-output.md).
    Junit,
    /// One self-contained HTML page: summary, chart, filters and explained findings (docs/html-report.md).
    Html,
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

#[derive(Args, Debug, Clone)]
pub struct ScanArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Pod Security level of the PSS rule family: privileged, baseline or restricted [default: mamori.yaml's
    /// pss.level, else restricted].
    #[arg(long = "pss-level", value_name = "LEVEL", value_parser = options::parse_level)]
    pub pss_level_flag: Option<LevelArg>,
    /// Pod Security policy version: latest or v1.N [default: mamori.yaml's pss.version, else latest].
    #[arg(long = "pss-version", value_name = "VERSION", value_parser = options::parse_version)]
    pub pss_version_flag: Option<VersionArg>,
    /// The level evaluated (flag, else config, else restricted); resolved by `run`.
    #[arg(skip = options::default_level())]
    pub pss_level: LevelArg,
    /// The version evaluated (flag, else config, else latest); resolved by `run`.
    #[arg(skip = options::default_version())]
    pub pss_version: VersionArg,
    /// mamori.yaml to use (default: ./mamori.yaml when it exists). See docs/configuration.md.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore ./mamori.yaml (built-in defaults: every rule, no exceptions).
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Run only the Pod Security checks (pss.*), not the rule catalogue; the config still applies.
    #[arg(long)]
    pub pss_only: bool,
    /// Report exceptions in force that suppressed no finding (warnings on stderr and in the report's notes).
    #[arg(long)]
    pub report_unused_exceptions: bool,
    /// Never draw the progress bar (it is only drawn when stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
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
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Files or directories to scan (`-` for stdin); none with --cluster.
    #[arg(
        value_name = "PATH",
        required_unless_present = "cluster",
        conflicts_with = "cluster"
    )]
    pub paths: Vec<PathBuf>,
}

/// The tool identity written into JSON and SARIF.
pub const TOOL: ToolInfo = ToolInfo {
    name: "mamori",
    version: env!("CARGO_PKG_VERSION"),
    information_uri: "https://github.com/mamori-dev/mamori",
};

/// Where the findings of each object are rendered to bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rendering {
    /// In the scan's worker threads, in parallel; the calling thread only copies the bytes in order.
    InWorkers,
    /// On the calling thread as results arrive (the reference the worker rendering must match byte for byte).
    #[cfg_attr(not(test), allow(dead_code))]
    Serial,
}

/// Runs `mamori scan`. Every format streams findings as they arrive, so memory does not grow with the number of
/// findings (the table, JUnit and HTML writers buffer rendered bytes in temporary files past a few MiB).
pub fn run(args: &ScanArgs) -> Result<Outcome, String> {
    run_with(args, Rendering::InWorkers)
}

fn run_with(args: &ScanArgs, rendering: Rendering) -> Result<Outcome, String> {
    let config = scan_setup::load_config(args.config.as_deref(), args.no_config)?;
    let mut resolved = args.clone();
    (resolved.pss_level, resolved.pss_version) = scan_setup::effective_pss(
        args.pss_level_flag.as_ref(),
        args.pss_version_flag.as_ref(),
        &config,
    )?;
    let args = &resolved;
    let policy = Arc::new(Policy::new(config, scan_setup::today()?));
    let mut scan_options = ScanOptions::new(
        options::level_version(&args.pss_level, &args.pss_version),
        args.limits.limits(),
        args.limits.threads,
    );
    scan_options.rules = RuleOptions {
        catalogue: !args.pss_only,
        policy: policy.clone(),
    };
    let mut progress = ScanProgress::new(
        &options::inputs(&args.paths),
        !args.no_progress && !args.cluster.cluster && progress::stderr_is_terminal(),
    );
    scan_options.progress = Some(progress.counters());
    let mut suppressed: u64 = 0;
    // Open the destination first so an unwritable --output fails before the (possibly long) scan.
    let Destination {
        mut writer,
        is_terminal,
    } = Destination::open(args.output.as_deref())?;
    let inputs = options::inputs(&args.paths);
    let rules = rule_descriptors();
    let cwd = std::env::current_dir().ok();
    let threshold = args.fail_on.threshold();

    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut notes: Vec<Diagnostic> = Vec::new();
    let mut files: HashSet<Arc<str>> = HashSet::new();
    let mut objects_scanned: u64 = 0;
    let mut failed = false;
    for note in scan_setup::expired_notes(&policy) {
        eprintln!("{note}");
        notes.push(note);
    }
    let mut write_result: io::Result<()> = Ok(());

    let mut sink = match args.format {
        // Input text is escaped by the renderer itself, so the plain output needs no stripping pass.
        ScanFormat::Table => Sink::Table(TableWriter::new(TableOptions {
            color: use_color(args.color, is_terminal, args.output.is_some()),
        })),
        ScanFormat::Junit => Sink::Junit(JunitWriter::new(&rules)),
        ScanFormat::Html => Sink::Html(HtmlWriter::new()),
        ScanFormat::Json => {
            let policy = PolicyInfo {
                pss_level: &args.pss_level.text,
                pss_version: &args.pss_version.text,
            };
            Sink::Json(
                JsonReportWriter::new(&mut *writer, &TOOL, policy).map_err(options::write_error)?,
            )
        }
        ScanFormat::Sarif => {
            let sarif_options = SarifOptions {
                source_root: cwd.as_deref(),
            };
            Sink::Sarif(
                SarifWriter::new(&mut *writer, &TOOL, &rules, sarif_options)
                    .map_err(options::write_error)?,
            )
        }
    };
    if rendering == Rendering::InWorkers {
        scan_options.render = Some(sink.render_hook());
    }
    let progress_on = !args.no_progress && progress::stderr_is_terminal();
    let source = ScanSource::new(&args.cluster, &inputs, progress_on);
    source.scan(&scan_options, &mut |item| match item {
        ScanItem::Object(object) => {
            objects_scanned += 1;
            suppressed += object.suppressed.len() as u64;
            progress.tick();
            note_file(&mut files, &object.source.file);
            if object
                .findings
                .iter()
                .any(|finding| threshold.is_some_and(|t| finding.severity >= t))
            {
                failed = true;
            }
            // After a write failure (e.g. a closed pipe) keep draining the scan but stop writing.
            if write_result.is_ok() {
                write_result = sink.object(&object);
            }
        }
        ScanItem::Note(note) => {
            eprintln!("{note}");
            note_file(&mut files, &note.file);
            notes.push(Diagnostic {
                file: note.file,
                pos: note.pos,
                message: note.message,
            });
        }
        ScanItem::Error(error) => {
            eprintln!("{error}");
            note_file(&mut files, &error.file);
            errors.push(Diagnostic {
                file: error.file,
                pos: error.pos,
                message: error.message,
            });
        }
        // End-of-scan findings of the inventory rules (namespaces, RBAC, control-plane flags, ...).
        ScanItem::Findings(findings) => {
            for finding in &findings {
                if threshold.is_some_and(|t| finding.severity >= t) {
                    failed = true;
                }
                if write_result.is_ok() {
                    write_result = sink.finding(finding);
                }
            }
        }
        ScanItem::Suppressed(end) => suppressed += end.len() as u64,
    });
    progress.finish();
    let governance = args
        .report_unused_exceptions
        .then(|| scan_setup::unused_notes(&policy))
        .into_iter()
        .flatten()
        .chain(scan_setup::suppressed_note(&policy, suppressed));
    for note in governance {
        eprintln!("{note}");
        notes.push(note);
    }
    write_result.map_err(options::write_error)?;
    // A live cluster is not files: its objects are counted, and the summary names no files.
    let files_scanned = if args.cluster.cluster {
        0
    } else {
        files.len() as u64
    };

    let finished = match sink {
        Sink::Table(table) => table.finish(
            &errors,
            &notes,
            objects_scanned,
            files_scanned,
            &mut *writer,
        ),
        Sink::Json(json) => {
            json.finish_with_rules(&errors, &notes, objects_scanned, files_scanned, &rules)
        }
        Sink::Sarif(sarif) => sarif.finish(&errors),
        Sink::Junit(junit) => junit.finish(&errors, &mut *writer),
        Sink::Html(html) => {
            let context = HtmlContext {
                tool: &TOOL,
                policy: PolicyInfo {
                    pss_level: &args.pss_level.text,
                    pss_version: &args.pss_version.text,
                },
                rules: &rules,
                errors: &errors,
                notes: &notes,
                objects_scanned,
                files_scanned,
            };
            html.finish(&context, &mut *writer)
        }
    };
    finished
        .and_then(|()| writer.flush())
        .map_err(options::write_error)?;
    Ok(Outcome {
        errors: !errors.is_empty(),
        failed,
    })
}

/// Where findings go while the scan runs. Every writer streams with bounded memory.
enum Sink<'w, 'a> {
    /// Rendered per phase into bounded buffers, assembled at the end.
    Table(TableWriter),
    Json(JsonReportWriter<'w>),
    Sarif(SarifWriter<'w, 'a>),
    /// Testcases per object × rule family, assembled at the end (totals come first in JUnit XML).
    Junit(JunitWriter),
    /// Finding data buffered, the page assembled at the end.
    Html(HtmlWriter),
}

impl Sink<'_, '_> {
    /// The rendering this sink's writer would do for each object, as a hook the scan workers run: the same
    /// bytes, produced in parallel.
    fn render_hook(&self) -> RenderHook {
        match self {
            Sink::Table(writer) => {
                let renderer = writer.finding_renderer();
                per_finding(move |finding, out| renderer.render(finding, out))
            }
            Sink::Json(_) => per_finding(mamori_report::json::render_finding),
            Sink::Sarif(writer) => {
                let renderer = writer.result_renderer();
                per_finding(move |finding, out| renderer.render(finding, out))
            }
            Sink::Html(_) => per_finding(mamori_report::html::render_finding),
            Sink::Junit(writer) => {
                let renderer = writer.object_renderer();
                RenderHook::new(move |object, rendered| {
                    renderer.render(
                        &object.source.file,
                        object.source.pos.line,
                        &object.object,
                        object.pss.is_some(),
                        &object.findings,
                        rendered.buffer(),
                    )?;
                    rendered.end_part();
                    Ok(())
                })
            }
        }
    }

    /// One scanned object with its findings.
    fn object(&mut self, object: &ObjectResult) -> io::Result<()> {
        if let Some(rendered) = &object.rendered {
            return self.object_rendered(object, rendered);
        }
        self.object_serial(object)
    }

    /// Writes the bytes the workers rendered for `object` (falls back to rendering when they do not fit).
    fn object_rendered(&mut self, object: &ObjectResult, rendered: &Rendered) -> io::Result<()> {
        let findings = &object.findings;
        if let Sink::Junit(writer) = self {
            return match rendered.parts().next() {
                Some(testcases) if rendered.part_count() == 1 => writer.object_rendered(
                    &object.source.file,
                    object.pss.is_some(),
                    findings,
                    testcases,
                ),
                _ => self.object_serial(object),
            };
        }
        if rendered.part_count() != findings.len() {
            return self.object_serial(object);
        }
        for (finding, part) in findings.iter().zip(rendered.parts()) {
            match self {
                Sink::Table(writer) => writer.finding_rendered(finding, part)?,
                Sink::Json(writer) => writer.finding_rendered(finding, part)?,
                Sink::Sarif(writer) => writer.finding_rendered(part)?,
                Sink::Html(writer) => writer.finding_rendered(finding, part)?,
                Sink::Junit(_) => {}
            }
        }
        Ok(())
    }

    /// One scanned object, rendered here.
    fn object_serial(&mut self, object: &ObjectResult) -> io::Result<()> {
        if let Sink::Junit(writer) = self {
            return writer.object(
                &object.source.file,
                object.source.pos.line,
                &object.object,
                object.pss.is_some(),
                &object.findings,
            );
        }
        for finding in &object.findings {
            self.finding(finding)?;
        }
        Ok(())
    }

    /// One finding outside the per-object stream (e.g. end-of-scan inventory findings).
    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        match self {
            Sink::Table(writer) => writer.finding(finding),
            Sink::Json(writer) => writer.finding(finding),
            Sink::Sarif(writer) => writer.finding(finding),
            Sink::Junit(writer) => writer.findings(std::slice::from_ref(finding)),
            Sink::Html(writer) => writer.finding(finding),
        }
    }
}

/// A hook rendering each finding of an object as one part.
fn per_finding(
    render: impl Fn(&Finding, &mut Vec<u8>) -> io::Result<()> + Send + Sync + 'static,
) -> RenderHook {
    RenderHook::new(move |object, rendered| {
        for finding in &object.findings {
            render(finding, rendered.buffer())?;
            rendered.end_part();
        }
        Ok(())
    })
}

fn note_file(files: &mut HashSet<Arc<str>>, file: &Arc<str>) {
    if !files.contains(file) {
        files.insert(file.clone());
    }
}

/// The engine's rule table as the renderers' descriptors.
fn rule_descriptors() -> Vec<RuleDescriptor<'static>> {
    let references = rule_references();
    mamori_scan::rules()
        .iter()
        .enumerate()
        .map(|(i, r)| RuleDescriptor {
            id: r.id,
            title: r.title,
            severity: r.severity,
            phase: r.phase,
            description: r.description,
            remediation: r.remediation,
            help_uri: r.help_uri,
            // The engine's description is the rule's rationale paragraph.
            rationale: "",
            references: references.get(i).map_or(&[], Vec::as_slice),
        })
        .collect()
}

/// The references of every rule (same order as `mamori_scan::rules()`) with human labels, built once.
fn rule_references() -> &'static [Vec<RuleReference<'static>>] {
    static LABELS: OnceLock<Vec<Vec<(String, &'static str)>>> = OnceLock::new();
    static REFERENCES: OnceLock<Vec<Vec<RuleReference<'static>>>> = OnceLock::new();
    let labels = LABELS.get_or_init(|| {
        mamori_scan::rules()
            .iter()
            .map(|r| {
                r.references
                    .iter()
                    .map(|x| (reference_label(x), x.url))
                    .collect()
            })
            .collect()
    });
    REFERENCES.get_or_init(|| {
        labels
            .iter()
            .map(|rule| {
                rule.iter()
                    .map(|(label, url)| RuleReference { label, url })
                    .collect()
            })
            .collect()
    })
}

/// `CIS 5.2.2`, `MITRE ATT&CK T1611`, `NSA/CISA: Pod security`, `Kubernetes docs: Auditing`, `CVE-2020-8554`.
fn reference_label(reference: &mamori_rules::Reference) -> String {
    use mamori_rules::RefKind;
    let id = reference.id;
    match reference.kind {
        RefKind::Pss if id.starts_with("Pod Security") => id.to_owned(),
        RefKind::Pss => format!("Pod Security Standards: {id}"),
        RefKind::Cis => format!("CIS {id}"),
        RefKind::NsaCisa => format!("NSA/CISA: {id}"),
        RefKind::MitreAttack => format!("MITRE ATT&CK {id}"),
        RefKind::K8sDocs => format!("Kubernetes docs: {id}"),
        RefKind::Cve => id.to_owned(),
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

/// The benchmark input generator (read in place), for the rendering equivalence tests.
#[cfg(test)]
#[path = "../../../mamori-scan/examples/support/generate.rs"]
#[allow(dead_code)]
mod generate;

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::path::Path;

    use super::generate;

    #[derive(Parser)]
    struct TestCli {
        #[command(flatten)]
        scan: ScanArgs,
    }

    const FORMATS: [&str; 5] = ["table", "json", "sarif", "junit", "html"];

    /// The report `mamori scan <extra> <input>` writes with the given rendering.
    fn report(input: &Path, extra: &[&str], rendering: Rendering) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let output = dir.path().join("report");
        let mut argv = vec![
            "mamori".to_owned(),
            "--no-config".to_owned(),
            "--no-progress".to_owned(),
            "--threads".to_owned(),
            "2".to_owned(),
            "--output".to_owned(),
            output.display().to_string(),
        ];
        argv.extend(extra.iter().map(|s| (*s).to_owned()));
        argv.push(input.display().to_string());
        let cli = TestCli::try_parse_from(argv).expect("valid arguments");
        run_with(&cli.scan, rendering).expect("scan runs");
        std::fs::read(&output).expect("report written")
    }

    /// Worker-rendered output equals the calling thread's rendering, byte for byte, for every format, with and
    /// without the rule catalogue; returns the reports for further checks.
    fn assert_identical(input: &Path, extra: &[&str]) -> Vec<(String, Vec<u8>)> {
        let mut reports = Vec::new();
        for format in FORMATS {
            for catalogue in [false, true] {
                let mut args = vec!["--format", format];
                args.extend_from_slice(extra);
                if !catalogue {
                    args.push("--pss-only");
                }
                let serial = report(input, &args, Rendering::Serial);
                let parallel = report(input, &args, Rendering::InWorkers);
                let label = format!("{format} {args:?} {}", input.display());
                assert!(serial == parallel, "{label}: outputs differ");
                reports.push((label, parallel));
            }
        }
        reports
    }

    fn examples_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
    }

    #[test]
    fn examples_render_identically_in_workers() {
        let examples = examples_dir();
        assert!(examples.is_dir(), "{} is missing", examples.display());
        for (label, bytes) in assert_identical(&examples, &[]) {
            let text = String::from_utf8(bytes).expect("UTF-8 report");
            // The insecure examples have findings: the comparison covers real finding bytes.
            assert!(text.contains("pss.privileged"), "{label}: no findings");
        }
    }

    #[test]
    fn coloured_table_renders_identically_in_workers() {
        let reports = assert_identical(&examples_dir(), &["--color", "always"]);
        let (label, table) = reports.first().expect("a table report");
        assert!(table.contains(&0x1b), "{label}: no colour");
    }

    #[test]
    fn generated_objects_render_identically_in_workers() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let input = dir.path().join("generated.yaml");
        std::fs::write(&input, generate::generate(7, 2_000, false)).expect("input written");
        for (label, bytes) in assert_identical(&input, &[]) {
            assert!(bytes.len() > 100_000, "{label}: only {} bytes", bytes.len());
        }
    }

    #[test]
    fn hostile_text_and_errors_render_identically_in_workers() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let input = dir.path().join("hostile.yaml");
        let text = concat!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"evil\\e]0;x\\a<b>&'\"\n",
            "  namespace: \"n\\e[31ms\"\nspec:\n  template:\n    spec:\n      containers:\n",
            "      - name: \"c\\x01\\e[\"\n        image: \"img:\\u00e9\\e\"\n",
            "        securityContext:\n          privileged: true\n",
            "---\nkind: [unclosed\n",
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: plain\nspec:\n  hostNetwork: true\n",
            "  containers:\n  - name: app\n    image: nginx\n",
        );
        std::fs::write(&input, text).expect("input written");
        let reports = assert_identical(&input, &[]);
        assert!(reports
            .iter()
            .all(|(_, bytes)| bytes.windows(4).any(|w| w == b"evil")));
    }
}
