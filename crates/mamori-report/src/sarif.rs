//! SARIF 2.1.0 output that GitHub code scanning ingests.
//!
//! Hand-written serde structs for the subset we emit (no SARIF crate: the schema-generated ones pull a large
//! build-time tree). Every rule of the engine is listed in `tool.driver.rules` (so `ruleIndex` is stable across
//! runs); each result points at `file:line:col` through a `%SRCROOT%`-relative URI and names the Kubernetes
//! object as a logical location. Input errors become `toolExecutionNotifications`.

use crate::{Diagnostic, RuleDescriptor, ScanReport, ToolInfo};
use mamori_model::{Finding, Pos, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// The SARIF schema URI written as `$schema`.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The `uriBaseId` every relative artifact URI is expressed against.
pub const SRCROOT: &str = "%SRCROOT%";
/// Key of the stable fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "mamoriFinding/v1";

/// Options of the SARIF renderer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SarifOptions<'a> {
    /// The directory relative paths are relative to (usually the working directory). When set, absolute input
    /// paths under it are made relative and `originalUriBaseIds` records it as a `file://` URI.
    pub source_root: Option<&'a Path>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    semantic_version: &'a str,
    information_uri: &'a str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    help_uri: &'a str,
    default_configuration: DefaultConfiguration,
    properties: RuleProperties<'a>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct DefaultConfiguration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties<'a> {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: Vec<&'a str>,
    phase: &'static str,
    severity: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<RuleReferenceProperty<'a>>,
}

#[derive(Serialize)]
struct RuleReferenceProperty<'a> {
    label: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: [ResultLocation<'a>; 1],
    partial_fingerprints: Fingerprints,
    properties: ResultProperties<'a>,
}

/// `partialFingerprints` of a result: one key, [`FINGERPRINT_KEY`].
#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "mamoriFinding/v1")]
    finding: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    severity: &'static str,
    phase: &'static str,
    field_path: &'a str,
}

/// A result's location: where in the file, and which Kubernetes object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation<'a> {
    physical_location: PhysicalLocation,
    logical_locations: [ResultLogicalLocation<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLogicalLocation<'a> {
    name: &'a str,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    /// Absent for objects that have no line (read from a live cluster): the logical location names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

/// SARIF result level for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` (a numeric string; ≥ 9 critical, ≥ 7 high, ≥ 4 medium, > 0 low).
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// Streams a SARIF 2.1.0 log: the run header (tool with every rule, base URIs) first, then one result per line
/// as findings arrive, then the invocation with input errors as notifications. Memory does not grow with the
/// number of findings.
pub struct SarifWriter<'w, 'a> {
    out: &'w mut dyn Write,
    rule_index: HashMap<&'a str, usize>,
    options: SarifOptions<'a>,
    results: u64,
    /// Reused buffer of [`SarifWriter::finding`].
    scratch: Vec<u8>,
}

/// Renders SARIF results exactly as the [`SarifWriter`] it came from ([`SarifWriter::result_renderer`]), owning
/// its data so that worker threads can share it.
#[derive(Debug, Clone)]
pub struct SarifResultRenderer {
    rule_index: HashMap<String, usize>,
    source_root: Option<PathBuf>,
}

impl SarifResultRenderer {
    /// Appends the compact JSON of one finding's result (no separator) to `out`.
    pub fn render(&self, f: &Finding, out: &mut Vec<u8>) -> io::Result<()> {
        let options = SarifOptions {
            source_root: self.source_root.as_deref(),
        };
        let index = |id: &str| self.rule_index.get(id).copied();
        write_compact(out, &result(f, index, options))
    }
}

impl<'w, 'a> SarifWriter<'w, 'a> {
    /// Writes the log header and opens the results array.
    pub fn new(
        out: &'w mut dyn Write,
        tool: &ToolInfo,
        rules: &[RuleDescriptor<'a>],
        options: SarifOptions<'a>,
    ) -> io::Result<SarifWriter<'w, 'a>> {
        write!(
            out,
            "{{\"$schema\":\"{SCHEMA_URI}\",\"version\":\"2.1.0\",\"runs\":[{{\n\"tool\":"
        )?;
        let driver = Tool {
            driver: Driver {
                name: tool.name,
                version: tool.version,
                semantic_version: tool.version,
                information_uri: tool.information_uri,
                rules: rules.iter().map(rule).collect(),
            },
        };
        write_compact(out, &driver)?;
        if let Some(uri) = options.source_root.and_then(directory_file_uri) {
            out.write_all(b",\n\"originalUriBaseIds\":")?;
            let base = BTreeMap::from([(
                SRCROOT,
                ArtifactLocation {
                    uri,
                    uri_base_id: None,
                },
            )]);
            write_compact(out, &base)?;
        }
        out.write_all(b",\n\"columnKind\":\"unicodeCodePoints\",\n\"results\":[")?;
        Ok(SarifWriter {
            out,
            rule_index: rules.iter().enumerate().map(|(i, r)| (r.id, i)).collect(),
            options,
            results: 0,
            scratch: Vec::new(),
        })
    }

    /// Appends the result of one finding.
    pub fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let mut bytes = std::mem::take(&mut self.scratch);
        bytes.clear();
        let index = |id: &str| self.rule_index.get(id).copied();
        let written = write_compact(&mut bytes, &result(f, index, self.options))
            .and_then(|()| self.finding_rendered(&bytes));
        self.scratch = bytes;
        written
    }

    /// Appends one result that a [`SarifResultRenderer`] of this writer already produced (e.g. in a worker
    /// thread): the same bytes as [`SarifWriter::finding`].
    pub fn finding_rendered(&mut self, rendered: &[u8]) -> io::Result<()> {
        self.out
            .write_all(if self.results == 0 { b"\n" } else { b",\n" })?;
        self.results += 1;
        self.out.write_all(rendered)
    }

    /// A stateless renderer of this writer's results (same rule indices and source root), for worker threads.
    pub fn result_renderer(&self) -> SarifResultRenderer {
        SarifResultRenderer {
            rule_index: self
                .rule_index
                .iter()
                .map(|(id, index)| ((*id).to_owned(), *index))
                .collect(),
            source_root: self.options.source_root.map(Path::to_path_buf),
        }
    }

    /// Closes the results and writes the invocation (input errors as notifications).
    pub fn finish(self, errors: &[Diagnostic]) -> io::Result<()> {
        let invocation = Invocation {
            execution_successful: errors.is_empty(),
            tool_execution_notifications: errors
                .iter()
                .map(|e| notification(e, self.options))
                .collect(),
        };
        self.out.write_all(b"],\n\"invocations\":[")?;
        write_compact(self.out, &invocation)?;
        self.out.write_all(b"]\n}]}\n")
    }
}

fn write_compact<W: Write + ?Sized, T: Serialize>(out: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer(out, value).map_err(io::Error::other)
}

/// Writes a collected `report` as a SARIF 2.1.0 log (same bytes as streaming it through [`SarifWriter`]).
pub fn render(
    report: &ScanReport,
    tool: &ToolInfo,
    rules: &[RuleDescriptor<'_>],
    options: SarifOptions<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut writer = SarifWriter::new(out, tool, rules, options)?;
    for f in &report.findings {
        writer.finding(f)?;
    }
    writer.finish(&report.errors)
}

fn rule<'a>(r: &RuleDescriptor<'a>) -> Rule<'a> {
    Rule {
        id: r.id,
        name: pascal_case(r.title),
        short_description: Text {
            text: sentence(r.title),
        },
        full_description: Text {
            text: sentence(r.description),
        },
        help: Help {
            text: help_text(r),
            markdown: help_markdown(r),
        },
        help_uri: r.help_uri,
        default_configuration: DefaultConfiguration {
            level: level(r.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(r.severity),
            tags: rule_tags(r),
            phase: r.phase.id(),
            severity: r.severity.as_str(),
            references: r
                .references
                .iter()
                .map(|reference| RuleReferenceProperty {
                    label: reference.label,
                    url: reference.url,
                })
                .collect(),
        },
    }
}

/// The references of a rule; the help URI stands in when the rule lists none.
fn references_or_help<'a>(r: &RuleDescriptor<'a>) -> Vec<(&'a str, &'a str)> {
    if r.references.is_empty() {
        vec![("Documentation", r.help_uri)]
    } else {
        r.references.iter().map(|x| (x.label, x.url)).collect()
    }
}

/// Plain-text help: rationale, remediation and references with their URLs.
fn help_text(r: &RuleDescriptor<'_>) -> String {
    let references: Vec<String> = references_or_help(r)
        .into_iter()
        .map(|(label, url)| format!("{label} <{url}>"))
        .collect();
    format!(
        "{} Remediation: {} References: {}",
        sentence(r.explanation()),
        sentence(r.remediation),
        references.join("; ")
    )
}

/// Markdown help (what GitHub code scanning shows under "Rule help"): title line, rationale, remediation and
/// the references as links.
fn help_markdown(r: &RuleDescriptor<'_>) -> String {
    let mut markdown = format!(
        "**{}** ({} severity, phase {})\n\n{}\n\n**Remediation:** {}\n\n**References:**\n",
        markdown_text(r.title),
        r.severity,
        r.phase.title(),
        markdown_text(r.explanation()),
        markdown_text(r.remediation),
    );
    for (label, url) in references_or_help(r) {
        markdown.push_str(&format!(
            "- [{}]({})\n",
            markdown_text(label),
            url.replace(['(', ')', ' '], "")
        ));
    }
    markdown
}

/// Escapes the characters that would start markdown links, emphasis or HTML in rule metadata.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '[' | ']' | '*' | '_' | '<' | '>' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn result<'f>(
    f: &'f Finding,
    rule_index: impl Fn(&str) -> Option<usize>,
    options: SarifOptions<'_>,
) -> SarifResult<'f> {
    let object = &f.object;
    let namespace = object.namespace.as_deref().unwrap_or("");
    let mut fully_qualified =
        String::with_capacity(namespace.len() + object.kind.len() + object.name.len() + 2);
    if !namespace.is_empty() {
        fully_qualified.push_str(namespace);
        fully_qualified.push('/');
    }
    fully_qualified.push_str(&object.kind);
    fully_qualified.push('/');
    fully_qualified.push_str(&object.name);
    // `Kind/name: message`, as one sentence.
    let mut message =
        String::with_capacity(object.kind.len() + object.name.len() + f.message.len() + 4);
    message.push_str(&object.kind);
    message.push('/');
    message.push_str(&object.name);
    message.push_str(": ");
    message.push_str(&f.message);
    SarifResult {
        rule_id: &f.rule_id,
        rule_index: rule_index(&f.rule_id),
        level: level(f.severity),
        message: Text {
            text: into_sentence(message),
        },
        locations: [ResultLocation {
            physical_location: physical_location(&f.location.file, f.location.pos, options),
            logical_locations: [ResultLogicalLocation {
                name: &object.name,
                fully_qualified_name: fully_qualified,
                kind: "resource",
            }],
        }],
        partial_fingerprints: Fingerprints {
            finding: fingerprint(f),
        },
        properties: ResultProperties {
            severity: f.severity.as_str(),
            phase: f.phase.id(),
            field_path: &f.location.field_path,
        },
    }
}

fn notification(d: &Diagnostic, options: SarifOptions<'_>) -> Notification {
    Notification {
        level: "error",
        message: Text {
            text: sentence(&d.message),
        },
        locations: vec![Location {
            physical_location: physical_location(&d.file, d.pos, options),
            logical_locations: Vec::new(),
        }],
    }
}

fn physical_location(file: &str, pos: Pos, options: SarifOptions<'_>) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact_location(file, options.source_root),
        // SARIF regions are 1-based; a known line with an unknown column points at the line's start.
        region: pos.is_known().then(|| Region {
            start_line: pos.line,
            start_column: pos.col.max(1),
        }),
    }
}

/// A stable identity of a finding that survives unrelated edits moving it to another line: rule, file, object
/// and field path (FNV-1a 64, hex).
fn fingerprint(f: &Finding) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let parts = [
        f.rule_id.as_ref(),
        &f.location.file,
        &f.object.kind,
        f.object.namespace.as_deref().unwrap_or(""),
        &f.object.name,
        &f.location.field_path,
    ];
    for part in parts {
        for byte in part.bytes().chain([0u8]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The artifact location for an input name: relative paths (and absolute ones under `source_root`) become
/// `%SRCROOT%`-relative URIs; other absolute paths become `file://` URIs; stdin (`-`) becomes `stdin`.
fn artifact_location(file: &str, source_root: Option<&Path>) -> ArtifactLocation {
    if file == "-" {
        return ArtifactLocation {
            uri: "stdin".into(),
            uri_base_id: Some(SRCROOT),
        };
    }
    let path = Path::new(file);
    let relative = if path.is_absolute() {
        match source_root.and_then(|root| path.strip_prefix(root).ok()) {
            Some(rel) => rel,
            None => {
                return ArtifactLocation {
                    uri: format!("file://{}", encode_path(path)),
                    uri_base_id: None,
                };
            }
        }
    } else {
        path
    };
    ArtifactLocation {
        uri: encode_path(relative),
        uri_base_id: Some(SRCROOT),
    }
}

fn directory_file_uri(root: &Path) -> Option<String> {
    if !root.is_absolute() {
        return None;
    }
    let mut uri = format!("file://{}", encode_path(root));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    Some(uri)
}

/// Joins the normal components of `path` with `/`, percent-encoding everything outside RFC 3986 unreserved
/// characters (plus a few safe sub-delims). `.` components are dropped; absolute paths keep their leading `/`.
fn encode_path(path: &Path) -> String {
    let mut out = String::new();
    for component in path.components() {
        match component {
            Component::RootDir => out.push('/'),
            Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => push_segment(&mut out, ".."),
            Component::Normal(segment) => push_segment(&mut out, &segment.to_string_lossy()),
        }
    }
    out
}

fn push_segment(out: &mut String, segment: &str) {
    if !out.is_empty() && !out.ends_with('/') {
        out.push('/');
    }
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'+' | b'=' | b'@')
        {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

/// `Privileged container` → `PrivilegedContainer` (SARIF rule names are conventionally PascalCase).
fn pascal_case(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// [`sentence`] of an owned text, reusing its allocation.
fn into_sentence(mut text: String) -> String {
    text.truncate(text.trim_end().len());
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

/// SARIF messages are expected to be complete sentences ending with a period.
fn sentence(text: &str) -> String {
    let trimmed = text.trim_end();
    if trimmed.ends_with(['.', '!', '?']) {
        trimmed.to_owned()
    } else {
        format!("{trimmed}.")
    }
}

/// `security`, `kubernetes`, the phase and the rule family, without repeats: SARIF requires unique tags, and a
/// family can share its name with a phase (`network`).
fn rule_tags<'a>(r: &RuleDescriptor<'a>) -> Vec<&'a str> {
    let mut tags = vec!["security", "kubernetes", r.phase.id()];
    let family = crate::rule_family(r.id);
    if !tags.contains(&family) {
        tags.push(family);
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, rules, TOOL};
    use std::sync::Arc;

    fn render_value(report: &ScanReport, root: Option<&Path>) -> serde_json::Value {
        let mut out = Vec::new();
        render(
            report,
            &TOOL,
            &rules(),
            SarifOptions { source_root: root },
            &mut out,
        )
        .unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn driver_lists_every_rule_with_github_properties() {
        let log = render_value(&ScanReport::default(), None);
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SCHEMA_URI);
        let rules = &log["runs"][0]["tool"]["driver"]["rules"];
        assert_eq!(rules.as_array().unwrap().len(), 2);
        assert_eq!(rules[0]["id"], "pss.privileged");
        assert_eq!(rules[0]["name"], "PrivilegedContainer");
        assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
        assert_eq!(rules[0]["properties"]["security-severity"], "9.5");
        assert_eq!(rules[1]["properties"]["security-severity"], "5.5");
        assert_eq!(rules[1]["defaultConfiguration"]["level"], "warning");
        let markdown = rules[0]["help"]["markdown"].as_str().unwrap();
        assert!(markdown.contains("**Remediation:** Remove securityContext.privileged"));
        // The rationale (escaped), then every reference as a link.
        assert!(markdown.contains("A privileged container \\<b\\>runs\\</b\\> with all"));
        assert!(markdown
            .contains("- [MITRE ATT&CK T1611](https://attack.mitre.org/techniques/T1611/)\n"));
        assert!(rules[0]["help"]["text"]
            .as_str()
            .unwrap()
            .contains("References: PSS baseline <https://kubernetes.io/"));
        assert_eq!(
            rules[0]["properties"]["references"][1]["label"],
            "MITRE ATT&CK T1611"
        );
        assert_eq!(rules[0]["properties"]["tags"][3], "pss");
        // A rule without references links its help URI.
        assert!(rules[1]["help"]["markdown"]
            .as_str()
            .unwrap()
            .ends_with("- [Documentation](https://kubernetes.io/docs/concepts/security/pod-security-standards/)\n"));
        assert!(rules[1]["properties"].get("references").is_none());
        assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn results_point_at_relative_files_with_index_and_fingerprint() {
        let mut unknown = finding(
            "pss.unknownRule",
            Severity::Low,
            "/elsewhere/x y.yaml",
            0,
            "x",
        );
        unknown.location.pos = Pos::UNKNOWN;
        let report = ScanReport {
            findings: vec![
                finding(
                    "pss.hostPorts",
                    Severity::Medium,
                    "./deploy/app.yaml",
                    7,
                    "web",
                ),
                finding(
                    "pss.privileged",
                    Severity::Critical,
                    "/repo/k8s/db.yaml",
                    3,
                    "db",
                ),
                unknown,
            ],
            errors: vec![Diagnostic {
                file: Arc::from("bad.yaml"),
                pos: Pos::new(2, 3),
                message: "oops".into(),
            }],
            ..ScanReport::default()
        };
        let log = render_value(&report, Some(Path::new("/repo")));
        let run = &log["runs"][0];
        assert_eq!(
            run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            "file:///repo/"
        );
        let first = &run["results"][0];
        assert_eq!(first["ruleIndex"], 1);
        assert_eq!(first["level"], "warning");
        let physical = &first["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "deploy/app.yaml");
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(physical["region"]["startLine"], 7);
        assert_eq!(
            first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "shop/Deployment/web"
        );
        assert_eq!(
            first["partialFingerprints"][FINGERPRINT_KEY]
                .as_str()
                .unwrap()
                .len(),
            16
        );
        assert!(first["message"]["text"].as_str().unwrap().ends_with('.'));
        assert_eq!(
            run["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "k8s/db.yaml"
        );
        let third = &run["results"][2];
        assert!(third.get("ruleIndex").is_none());
        assert_eq!(
            third["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "file:///elsewhere/x%20y.yaml"
        );
        // Its position is unknown (0:0): no region rather than a made-up line 1.
        assert!(third["locations"][0]["physicalLocation"]
            .get("region")
            .is_none());
        let invocation = &run["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        assert_eq!(
            invocation["toolExecutionNotifications"][0]["message"]["text"],
            "oops."
        );
    }

    #[test]
    fn fingerprint_ignores_line_but_not_object() {
        let a = finding("pss.privileged", Severity::Critical, "a.yaml", 3, "web");
        let moved = finding("pss.privileged", Severity::Critical, "a.yaml", 30, "web");
        let other = finding("pss.privileged", Severity::Critical, "a.yaml", 3, "db");
        assert_eq!(fingerprint(&a), fingerprint(&moved));
        assert_ne!(fingerprint(&a), fingerprint(&other));
    }

    #[test]
    fn stdin_and_pascal_case() {
        assert_eq!(artifact_location("-", None).uri, "stdin");
        assert_eq!(
            pascal_case("host namespaces (hostNetwork)"),
            "HostNamespacesHostNetwork"
        );
        assert_eq!(sentence("done."), "done.");
    }
}
