//! `admission:`: how `mamori admission serve` treats catalogue findings — each rule in a mode (`deny`, `warn`,
//! `audit`), globally and per namespace — and the dry-run switch for a safe rollout.
//!
//! ```yaml
//! admission:
//!   defaultMode: warn            # deny | warn | audit (default: warn)
//!   dryRun: false                # true: every deny becomes a "(dry-run) …" warning
//!   rules:                       # later entries win over earlier ones
//!     - {id: "image.*", mode: deny}
//!   namespaces:                  # the first entry whose name glob matches the namespace applies
//!     - name: "dev-*"
//!       defaultMode: audit
//!       rules: [{id: image.registry-not-allowed, mode: warn}]
//! ```
//!
//! Resolution for a rule in a namespace: the first `namespaces` entry whose `name` matches (its `rules`, last
//! match wins, then its `defaultMode`), else the global `rules` (last match wins), else `defaultMode`. Pod
//! Security checks (`pss.*`) are not listed here: at admission they follow the namespace's Pod Security labels.

use crate::suggest::closest;
use crate::{ConfigError, Pattern};
use mamori_model::{Entry, Node, Pos, Value};
use std::fmt;
use std::sync::Arc;

/// What admission does with a finding of a rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AdmissionMode {
    /// Reject the request (a warning under dry-run).
    Deny,
    /// Admit it with a warning the client (kubectl) prints.
    #[default]
    Warn,
    /// Admit it silently; the finding goes to the API server's audit log as an annotation.
    Audit,
}

impl AdmissionMode {
    /// All modes, in the order of their strength.
    pub const ALL: [AdmissionMode; 3] = [
        AdmissionMode::Deny,
        AdmissionMode::Warn,
        AdmissionMode::Audit,
    ];

    /// Parses `deny`, `warn` or `audit` (exact, lower case).
    pub fn parse(text: &str) -> Option<AdmissionMode> {
        match text {
            "deny" => Some(AdmissionMode::Deny),
            "warn" => Some(AdmissionMode::Warn),
            "audit" => Some(AdmissionMode::Audit),
            _ => None,
        }
    }

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AdmissionMode::Deny => "deny",
            AdmissionMode::Warn => "warn",
            AdmissionMode::Audit => "audit",
        }
    }
}

impl fmt::Display for AdmissionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `{id, mode}` entry: the rules the id or glob names take this mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeRule {
    pub rule: Pattern,
    pub mode: AdmissionMode,
}

/// One entry of `admission.namespaces`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceModes {
    /// Namespace name globs (at least one).
    pub names: Vec<Pattern>,
    /// The mode of rules this entry's `rules` do not name; `None` = fall back to the global settings.
    pub default_mode: Option<AdmissionMode>,
    pub rules: Vec<ModeRule>,
    pub pos: Pos,
}

/// The `admission:` section. The default is every rule in `warn`, no dry-run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdmissionSettings {
    pub default_mode: AdmissionMode,
    pub dry_run: bool,
    pub rules: Vec<ModeRule>,
    pub namespaces: Vec<NamespaceModes>,
}

impl AdmissionSettings {
    /// The global mode of `rule_id` (no namespace override).
    pub fn global_mode(&self, rule_id: &str) -> AdmissionMode {
        last_match(&self.rules, rule_id).unwrap_or(self.default_mode)
    }

    /// The first `namespaces` entry that applies to `namespace` (never for cluster-scoped objects, `""`).
    pub fn namespace_entry(&self, namespace: &str) -> Option<&NamespaceModes> {
        if namespace.is_empty() {
            return None;
        }
        self.namespaces
            .iter()
            .find(|entry| entry.names.iter().any(|p| p.matches(namespace)))
    }

    /// The mode of `rule_id` for an object in `namespace` (`""` for cluster-scoped objects).
    pub fn mode_for(&self, rule_id: &str, namespace: &str) -> AdmissionMode {
        if let Some(entry) = self.namespace_entry(namespace) {
            if let Some(mode) = last_match(&entry.rules, rule_id).or(entry.default_mode) {
                return mode;
            }
        }
        self.global_mode(rule_id)
    }
}

fn last_match(rules: &[ModeRule], rule_id: &str) -> Option<AdmissionMode> {
    rules
        .iter()
        .rev()
        .find(|r| r.rule.matches(rule_id))
        .map(|r| r.mode)
}

pub(crate) const ADMISSION_KEYS: &[&str] = &["defaultMode", "dryRun", "rules", "namespaces"];
const MODE_RULE_KEYS: &[&str] = &["id", "mode"];
const NAMESPACE_KEYS: &[&str] = &["name", "defaultMode", "rules"];

/// Parses the `admission:` node, appending every problem to `errors`.
pub(crate) fn parse_admission(
    node: &Node,
    file: &Arc<str>,
    errors: &mut Vec<ConfigError>,
) -> AdmissionSettings {
    let mut parser = SectionParser { file, errors };
    parser.settings(node)
}

struct SectionParser<'a> {
    file: &'a Arc<str>,
    errors: &'a mut Vec<ConfigError>,
}

impl SectionParser<'_> {
    fn error(&mut self, pos: Pos, message: String) {
        self.errors.push(ConfigError {
            file: self.file.clone(),
            pos,
            message,
        });
    }

    fn map<'n>(&mut self, node: &'n Node, what: &str, known: &[&str]) -> &'n [Entry] {
        crate::schema::map_entries(node, what, known, |pos, message| self.error(pos, message))
    }

    fn list<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
        match &node.value {
            Value::Null => &[],
            Value::Seq(items) => items,
            _ => {
                self.error(
                    node.pos,
                    format!("{what} must be a list, found a {}", node.type_name()),
                );
                &[]
            }
        }
    }

    fn mode(&mut self, node: &Node, what: &str) -> Option<AdmissionMode> {
        let parsed = node.as_str().and_then(AdmissionMode::parse);
        if parsed.is_none() {
            let found = node
                .as_str()
                .map_or_else(|| format!("a {}", node.type_name()), |s| format!("{s:?}"));
            self.error(
                node.pos,
                format!("{what} must be deny, warn or audit, found {found}"),
            );
        }
        parsed
    }

    fn settings(&mut self, node: &Node) -> AdmissionSettings {
        let mut settings = AdmissionSettings::default();
        for entry in self.map(node, "admission", ADMISSION_KEYS) {
            let value = &entry.value;
            match entry.key.as_str() {
                "defaultMode" => {
                    if let Some(mode) = self.mode(value, "admission.defaultMode") {
                        settings.default_mode = mode;
                    }
                }
                "dryRun" => match value.as_bool() {
                    Some(flag) => settings.dry_run = flag,
                    None => self.error(
                        value.pos,
                        format!(
                            "admission.dryRun must be true or false, found a {}",
                            value.type_name()
                        ),
                    ),
                },
                "rules" => settings.rules = self.mode_rules(value, "admission.rules"),
                "namespaces" => {
                    let items = self.list(value, "admission.namespaces");
                    settings.namespaces = items
                        .iter()
                        .enumerate()
                        .filter_map(|(i, item)| self.namespace(item, i))
                        .collect();
                }
                _ => {}
            }
        }
        settings
    }

    fn mode_rules(&mut self, node: &Node, what: &str) -> Vec<ModeRule> {
        let items = self.list(node, what);
        let mut rules = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_what = format!("{what}[{index}]");
            let entries = self.map(item, &item_what, MODE_RULE_KEYS);
            if item.as_map().is_none() {
                if item.is_null() {
                    self.error(
                        item.pos,
                        format!("{item_what} must be a map of id and mode"),
                    );
                }
                continue;
            }
            let mut rule = None;
            let mut mode = None;
            for entry in entries {
                match entry.key.as_str() {
                    "id" => rule = self.rule_pattern(&entry.value, &format!("{item_what}.id")),
                    "mode" => mode = self.mode(&entry.value, &format!("{item_what}.mode")),
                    _ => {}
                }
            }
            for key in MODE_RULE_KEYS {
                if item.get(key).is_none() {
                    self.error(item.pos, format!("{item_what}: `{key}` is required"));
                }
            }
            if let (Some(rule), Some(mode)) = (rule, mode) {
                rules.push(ModeRule { rule, mode });
            }
        }
        rules
    }

    /// A catalogue rule id or glob. PSS ids are refused: at admission they follow Pod Security labels.
    fn rule_pattern(&mut self, node: &Node, what: &str) -> Option<Pattern> {
        let Some(text) = node.as_str() else {
            self.error(
                node.pos,
                format!("{what} must be a string, found a {}", node.type_name()),
            );
            return None;
        };
        let pattern = Pattern {
            text: text.to_owned(),
            pos: node.pos,
        };
        if text.is_empty() || text.contains(['[', ']', '{', '}', '!', '\\']) {
            self.error(
                node.pos,
                format!("invalid rule id or glob {text:?} in {what} (use * and ?)"),
            );
            return None;
        }
        let catalogue = || mamori_rules::CATALOGUE.iter().map(|rule| rule.meta.id);
        if text.starts_with("pss.") {
            self.error(
                node.pos,
                format!(
                    "{what}: {text:?} is a Pod Security check; at admission those follow the namespace's \
                     pod-security.kubernetes.io labels, not admission modes"
                ),
            );
            return None;
        }
        if !catalogue().any(|id| pattern.matches(id)) {
            let hint = closest(text, catalogue()).map_or_else(
                || " (`mamori rules` lists them)".to_owned(),
                |id| format!(" (did you mean {id:?}?)"),
            );
            self.error(
                node.pos,
                format!("{what}: {text:?} matches no catalogue rule{hint}"),
            );
            return None;
        }
        Some(pattern)
    }

    fn namespace(&mut self, node: &Node, index: usize) -> Option<NamespaceModes> {
        let what = format!("admission.namespaces[{index}]");
        if node.as_map().is_none() {
            self.error(
                node.pos,
                format!("{what} must be a map, found a {}", node.type_name()),
            );
            return None;
        }
        let errors_before = self.errors.len();
        let mut modes = NamespaceModes {
            names: Vec::new(),
            default_mode: None,
            rules: Vec::new(),
            pos: node.pos,
        };
        for entry in self.map(node, &what, NAMESPACE_KEYS) {
            let field = format!("{what}.{}", entry.key);
            match entry.key.as_str() {
                "name" => modes.names = self.names(&entry.value, &field),
                "defaultMode" => modes.default_mode = self.mode(&entry.value, &field),
                "rules" => modes.rules = self.mode_rules(&entry.value, &field),
                _ => {}
            }
        }
        if node.get("name").is_none() {
            self.error(
                node.pos,
                format!("{what}: `name` is required (namespace names or globs)"),
            );
        }
        (self.errors.len() == errors_before).then_some(modes)
    }

    /// One glob or a list of globs over namespace names.
    fn names(&mut self, node: &Node, what: &str) -> Vec<Pattern> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        let mut names = Vec::with_capacity(items.len());
        for item in items {
            match item.as_str() {
                Some(text)
                    if !text.is_empty() && !text.contains(['[', ']', '{', '}', '!', '\\']) =>
                {
                    names.push(Pattern {
                        text: text.to_owned(),
                        pos: item.pos,
                    });
                }
                Some(text) => self.error(
                    item.pos,
                    format!("invalid namespace glob {text:?} in {what} (use * and ?)"),
                ),
                None => self.error(
                    item.pos,
                    format!(
                        "{what} must be a string or a list of strings, found a {}",
                        item.type_name()
                    ),
                ),
            }
        }
        if names.is_empty() && node.as_seq().is_some_and(<[Node]>::is_empty) {
            self.error(node.pos, format!("{what} must name at least one namespace"));
        }
        names
    }
}
