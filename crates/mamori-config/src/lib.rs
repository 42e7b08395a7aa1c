//! `mamori.yaml`: which rules run, severity overrides, the Pod Security policy, the settings rules read
//! (registries, sandboxing, node isolation) and exceptions with governance (reason, owner, expiry).
//!
//! [`parse`] turns the text into a typed [`Config`], reporting every problem with its `file:line:col` (unknown
//! keys and rule ids with the closest valid one suggested, wrong types, bad dates, unsupported glob syntax).
//! [`Policy`] is a `Config` bound to a date: it decides whether a rule runs, rewrites severities and suppresses
//! findings covered by an exception or a `mamori.io/exempt` annotation, counting what each exception matched.
//! The format is documented in `docs/configuration.md`; its JSON Schema is [`SCHEMA`].

mod admission;
mod date;
mod parse;
mod policy;
mod schema;
mod suggest;

pub use admission::{AdmissionMode, AdmissionSettings, ModeRule, NamespaceModes};
pub use date::Date;
pub use parse::{accepted_keys, parse};
pub use policy::{
    exemption, Exemption, ExemptionError, Policy, Suppressed, Suppression, EXEMPT_ANNOTATION,
    EXEMPT_REASON_ANNOTATION,
};
pub use suggest::closest;

use mamori_model::{Pos, Severity};
use mamori_pss::{Level, Version};
use mamori_rules::RuleSettings;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The JSON Schema (draft 2020-12) of mamori.yaml, as printed by `mamori config schema`.
pub const SCHEMA: &str = include_str!("../../../docs/mamori.schema.json");

/// The file name looked for in the working directory when no `--config` is given.
pub const DEFAULT_FILE_NAME: &str = "mamori.yaml";

/// A problem in a config file, at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: Arc<str>,
    /// 1-based; `Pos::UNKNOWN` when the file could not be read.
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.pos.line, self.pos.col, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// A glob (`*`, `?`) or literal as written in the file, with its position for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub text: String,
    pub pos: Pos,
}

impl Pattern {
    /// Whether `text` matches this pattern.
    pub fn matches(&self, text: &str) -> bool {
        mamori_rules::glob_match(&self.text, text)
    }
}

/// `rules:`: a rule runs unless a `disable` pattern matches it; an `enable` pattern wins over `disable`, so a
/// group can be switched off and one rule of it kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSelection {
    pub enable: Vec<Pattern>,
    pub disable: Vec<Pattern>,
}

/// `severity: {<rule id or glob>: <severity>}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityOverride {
    pub rule: Pattern,
    pub severity: Severity,
}

/// `pss:`: the Pod Security level/version (command-line flags win over these).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PssSettings {
    pub level: Option<Level>,
    pub version: Option<Version>,
}

/// One entry of `exceptions:`: findings of the listed rules on matching objects are suppressed until the end
/// of the `expires` day (an exception expiring today still applies; from tomorrow it does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// Optional `id` naming the exception in reports; otherwise `exceptions[<index>]`.
    pub id: Option<String>,
    /// Rule ids or globs (at least one).
    pub rules: Vec<Pattern>,
    /// Namespace globs; empty = any. An object without a namespace matches only `*`-style patterns that match "".
    pub namespaces: Vec<Pattern>,
    /// Kind globs; empty = any.
    pub kinds: Vec<Pattern>,
    /// Object name globs; empty = any.
    pub names: Vec<Pattern>,
    /// Only findings whose field path starts with this (at a `.`/`[` boundary).
    pub field_path: Option<String>,
    pub reason: String,
    pub owner: String,
    pub expires: Date,
    /// Where the entry starts in the file.
    pub pos: Pos,
    /// 0-based index in `exceptions:`.
    pub index: usize,
}

impl Exception {
    /// `"legacy-batch"` or `exceptions[2]`.
    pub fn label(&self) -> String {
        match &self.id {
            Some(id) => format!("{id:?}"),
            None => format!("exceptions[{}]", self.index),
        }
    }
}

/// A parsed mamori.yaml. `Config::default()` is the empty configuration (every rule, default settings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The file it came from (empty for the default config).
    pub file: Arc<str>,
    pub rules: RuleSelection,
    pub severity: Vec<SeverityOverride>,
    pub pss: PssSettings,
    pub settings: RuleSettings,
    pub exceptions: Vec<Exception>,
    /// `admission:`: rule modes and dry-run for `mamori admission serve`.
    pub admission: AdmissionSettings,
}

/// Reads and parses a config file.
pub fn load(path: &Path) -> Result<Config, Vec<ConfigError>> {
    let file: Arc<str> = Arc::from(path.display().to_string());
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![ConfigError {
            file: file.clone(),
            pos: Pos::UNKNOWN,
            message: format!("cannot read config: {e}"),
        }]
    })?;
    parse(&text, file)
}

/// `mamori.yaml` in `dir` when it exists.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    let candidate = dir.join(DEFAULT_FILE_NAME);
    candidate.is_file().then_some(candidate)
}

/// Every rule id a config may name: the Pod Security checks (`pss.<checkID>`) and the catalogue.
pub fn known_rule_ids() -> &'static [String] {
    static IDS: OnceLock<Vec<String>> = OnceLock::new();
    IDS.get_or_init(|| {
        mamori_pss::DEFAULT_CHECKS
            .iter()
            .map(|check| format!("pss.{}", check.id))
            .chain(
                mamori_rules::CATALOGUE
                    .iter()
                    .map(|rule| rule.meta.id.to_owned()),
            )
            .collect()
    })
}
