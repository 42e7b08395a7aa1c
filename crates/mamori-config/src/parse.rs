//! mamori.yaml text → [`Config`], collecting every error with its position.

use crate::suggest::closest;
use crate::{
    known_rule_ids, Config, ConfigError, Date, Exception, Pattern, PssSettings, RuleSelection,
    SeverityOverride,
};
use mamori_model::{Entry, Node, Pos, Severity, Value};
use mamori_pss::{Level, Version};
use mamori_rules::RuleSettings;
use std::sync::Arc;

const TOP_KEYS: &[&str] = &[
    "pss",
    "rules",
    "severity",
    "registries",
    "sandbox",
    "nodeIsolation",
    "exceptions",
    "admission",
];
const PSS_KEYS: &[&str] = &["level", "version"];
const RULES_KEYS: &[&str] = &["enable", "disable"];
const REGISTRY_KEYS: &[&str] = &["allowed", "private"];
const SANDBOX_KEYS: &[&str] = &["namespaces", "namespaceLabels", "runtimeClasses"];
const ISOLATION_KEYS: &[&str] = &["namespaces", "podLabels", "nodeLabel", "taintKey"];
const EXCEPTION_KEYS: &[&str] = &[
    "id",
    "rules",
    "namespaces",
    "kinds",
    "names",
    "fieldPath",
    "reason",
    "owner",
    "expires",
];

/// The keys each section accepts, for the schema consistency test.
#[doc(hidden)]
pub fn accepted_keys() -> [(&'static str, &'static [&'static str]); 8] {
    [
        ("", TOP_KEYS),
        ("pss", PSS_KEYS),
        ("rules", RULES_KEYS),
        ("registries", REGISTRY_KEYS),
        ("sandbox", SANDBOX_KEYS),
        ("nodeIsolation", ISOLATION_KEYS),
        ("exceptions[]", EXCEPTION_KEYS),
        ("admission", crate::admission::ADMISSION_KEYS),
    ]
}

/// Parses mamori.yaml text. `file` names it in errors. All problems are reported, not just the first.
pub fn parse(text: &str, file: Arc<str>) -> Result<Config, Vec<ConfigError>> {
    let mut parser = Parser {
        file: file.clone(),
        errors: Vec::new(),
    };
    let root = match mamori_yaml::parse_document(text, 1, &mamori_yaml::Limits::default()) {
        Ok(root) => root,
        Err(err) => {
            parser.error(err.pos, err.message);
            return Err(parser.errors);
        }
    };
    let mut config = Config {
        file,
        ..Config::default()
    };
    if let Some(root) = root.filter(|r| !r.is_null()) {
        parser.config(&root, &mut config);
    }
    if parser.errors.is_empty() {
        Ok(config)
    } else {
        Err(parser.errors)
    }
}

struct Parser {
    file: Arc<str>,
    errors: Vec<ConfigError>,
}

impl Parser {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors.push(ConfigError {
            file: self.file.clone(),
            pos,
            message: message.into(),
        });
    }

    fn config(&mut self, root: &Node, config: &mut Config) {
        for entry in self.map(root, "mamori.yaml", TOP_KEYS) {
            let value = &entry.value;
            match entry.key.as_str() {
                "pss" => config.pss = self.pss(value),
                "rules" => config.rules = self.rules(value),
                "severity" => config.severity = self.severity(value),
                "registries" => self.registries(value, &mut config.settings),
                "sandbox" => self.sandbox(value, &mut config.settings),
                "nodeIsolation" => self.isolation(value, &mut config.settings),
                "exceptions" => config.exceptions = self.exceptions(value),
                "admission" => {
                    config.admission =
                        crate::admission::parse_admission(value, &self.file, &mut self.errors)
                }
                _ => {}
            }
        }
    }

    /// The entries of a map (nothing for null), reporting a wrong type and unknown keys.
    fn map<'n>(&mut self, node: &'n Node, what: &str, known: &[&str]) -> &'n [Entry] {
        crate::schema::map_entries(node, what, known, |pos, message| self.error(pos, message))
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.error(
                    node.pos,
                    format!("{what} must be a string, found a {}", node.type_name()),
                );
                None
            }
        }
    }

    /// A list of strings (a single string is accepted as a one-item list; null as empty).
    fn strings(&mut self, node: &Node, what: &str) -> Vec<Pattern> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Str(s) => vec![Pattern {
                text: s.clone(),
                pos: node.pos,
            }],
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| {
                    self.string(item, &format!("each item of {what}"))
                        .map(|text| Pattern {
                            text,
                            pos: item.pos,
                        })
                })
                .collect(),
            _ => {
                self.error(
                    node.pos,
                    format!(
                        "{what} must be a list of strings, found a {}",
                        node.type_name()
                    ),
                );
                Vec::new()
            }
        }
    }

    /// Globs over names: `*` and `?` only; bracket and brace syntax is not supported and would silently
    /// match nothing, so it is an error.
    fn globs(&mut self, node: &Node, what: &str) -> Vec<Pattern> {
        let patterns = self.strings(node, what);
        for p in &patterns {
            if p.text.is_empty() {
                self.error(p.pos, format!("empty pattern in {what}"));
            } else if let Some(c) = p.text.chars().find(|&c| !glob_char(c)) {
                self.error(
                    p.pos,
                    format!(
                        "invalid glob {:?} in {what}: {c:?} is not supported (use * and ?)",
                        p.text
                    ),
                );
            }
        }
        patterns
    }

    /// Rule ids or globs: a literal must be a known id, a glob must match at least one.
    fn rule_patterns(&mut self, node: &Node, what: &str) -> Vec<Pattern> {
        let patterns = self.globs(node, what);
        for p in patterns.iter().filter(|p| is_valid_glob(&p.text)) {
            self.check_rule_pattern(p, what);
        }
        patterns
    }

    fn check_rule_pattern(&mut self, p: &Pattern, what: &str) {
        let ids = known_rule_ids();
        if p.text.contains(['*', '?']) {
            if !ids.iter().any(|id| p.matches(id)) {
                self.error(
                    p.pos,
                    format!("pattern {:?} in {what} matches no rule", p.text),
                );
            }
        } else if !p.text.is_empty() && !ids.contains(&p.text) {
            let hint = closest(&p.text, ids.iter().map(String::as_str)).map_or_else(
                || " (`mamori rules` lists them)".to_owned(),
                |id| format!(" (did you mean {id:?}?)"),
            );
            self.error(
                p.pos,
                format!("unknown rule id {:?} in {what}{hint}", p.text),
            );
        }
    }

    fn pss(&mut self, node: &Node) -> PssSettings {
        let mut pss = PssSettings::default();
        for entry in self.map(node, "pss", PSS_KEYS) {
            let Some(text) = self.string(&entry.value, &format!("pss.{}", entry.key)) else {
                continue;
            };
            match entry.key.as_str() {
                "level" => match Level::parse(&text) {
                    Ok(level) => pss.level = Some(level),
                    Err(e) => self.error(entry.value.pos, format!("pss.level {text:?}: {e}")),
                },
                "version" => match Version::parse(&text) {
                    Ok(version) => pss.version = Some(version),
                    Err(e) => self.error(entry.value.pos, format!("pss.version {text:?}: {e}")),
                },
                _ => {}
            }
        }
        pss
    }

    fn rules(&mut self, node: &Node) -> RuleSelection {
        let mut selection = RuleSelection::default();
        for entry in self.map(node, "rules", RULES_KEYS) {
            let what = format!("rules.{}", entry.key);
            match entry.key.as_str() {
                "enable" => selection.enable = self.rule_patterns(&entry.value, &what),
                "disable" => selection.disable = self.rule_patterns(&entry.value, &what),
                _ => {}
            }
        }
        selection
    }

    fn severity(&mut self, node: &Node) -> Vec<SeverityOverride> {
        let mut overrides = Vec::new();
        // Any key is a rule id or glob; checked below rather than against a fixed key list.
        let entries: &[Entry] = match &node.value {
            Value::Null => &[],
            Value::Map(entries) => entries,
            _ => {
                self.error(
                    node.pos,
                    format!(
                        "severity must be a map of rule id to severity, found a {}",
                        node.type_name()
                    ),
                );
                &[]
            }
        };
        for entry in entries {
            let rule = Pattern {
                text: entry.key.clone(),
                pos: entry.key_pos,
            };
            self.check_rule_pattern(&rule, "severity");
            let Some(text) = self.string(&entry.value, &format!("severity of {}", entry.key))
            else {
                continue;
            };
            match Severity::parse(&text) {
                Some(severity) => overrides.push(SeverityOverride { rule, severity }),
                None => self.error(
                    entry.value.pos,
                    format!(
                        "invalid severity {text:?} for {}: use critical, high, medium, low or info",
                        entry.key
                    ),
                ),
            }
        }
        overrides
    }

    fn registries(&mut self, node: &Node, settings: &mut RuleSettings) {
        for entry in self.map(node, "registries", REGISTRY_KEYS) {
            let what = format!("registries.{}", entry.key);
            let values = self.non_empty_strings(&entry.value, &what);
            match entry.key.as_str() {
                "allowed" => settings.allowed_registries = values,
                "private" => settings.private_registries = values,
                _ => {}
            }
        }
    }

    fn sandbox(&mut self, node: &Node, settings: &mut RuleSettings) {
        for entry in self.map(node, "sandbox", SANDBOX_KEYS) {
            let what = format!("sandbox.{}", entry.key);
            match entry.key.as_str() {
                "namespaces" => {
                    settings.sandbox_namespaces = texts(self.globs(&entry.value, &what))
                }
                "namespaceLabels" => {
                    settings.sandbox_namespace_labels = self.labels(&entry.value, &what)
                }
                "runtimeClasses" => {
                    settings.sandbox_runtime_classes = self.non_empty_strings(&entry.value, &what)
                }
                _ => {}
            }
        }
    }

    fn isolation(&mut self, node: &Node, settings: &mut RuleSettings) {
        for entry in self.map(node, "nodeIsolation", ISOLATION_KEYS) {
            let what = format!("nodeIsolation.{}", entry.key);
            match entry.key.as_str() {
                "namespaces" => {
                    settings.isolated_namespaces = texts(self.globs(&entry.value, &what))
                }
                "podLabels" => settings.isolated_pod_labels = self.labels(&entry.value, &what),
                "nodeLabel" => {
                    settings.isolation_node_label =
                        self.string(&entry.value, &what).filter(|label| {
                            let ok = is_label(label);
                            if !ok {
                                self.error(
                                    entry.value.pos,
                                    format!("{what} must be key=value, found {label:?}"),
                                );
                            }
                            ok
                        });
                }
                "taintKey" => settings.isolation_taint_key = self.string(&entry.value, &what),
                _ => {}
            }
        }
    }

    fn non_empty_strings(&mut self, node: &Node, what: &str) -> Vec<String> {
        let values = self.strings(node, what);
        for v in &values {
            if v.text.trim().is_empty() {
                self.error(v.pos, format!("empty value in {what}"));
            }
        }
        texts(values)
    }

    fn labels(&mut self, node: &Node, what: &str) -> Vec<String> {
        let values = self.strings(node, what);
        for v in &values {
            if !is_label(&v.text) {
                self.error(
                    v.pos,
                    format!("{what} entries must be key=value, found {:?}", v.text),
                );
            }
        }
        texts(values)
    }

    fn exceptions(&mut self, node: &Node) -> Vec<Exception> {
        let items: &[Node] = match &node.value {
            Value::Null => &[],
            Value::Seq(items) => items,
            _ => {
                self.error(
                    node.pos,
                    format!("exceptions must be a list, found a {}", node.type_name()),
                );
                &[]
            }
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| self.exception(item, index))
            .collect()
    }

    fn exception(&mut self, node: &Node, index: usize) -> Option<Exception> {
        let what = format!("exceptions[{index}]");
        if !node.is_null() && node.as_map().is_none() {
            self.error(
                node.pos,
                format!("{what} must be a map, found a {}", node.type_name()),
            );
            return None;
        }
        let errors_before = self.errors.len();
        let mut exception = Exception {
            id: None,
            rules: Vec::new(),
            namespaces: Vec::new(),
            kinds: Vec::new(),
            names: Vec::new(),
            field_path: None,
            reason: String::new(),
            owner: String::new(),
            expires: Date::from_days_since_epoch(0),
            pos: node.pos,
            index,
        };
        let mut expires = None;
        for entry in self.map(node, &what, EXCEPTION_KEYS) {
            let field = format!("{what}.{}", entry.key);
            let value = &entry.value;
            match entry.key.as_str() {
                "id" => exception.id = self.string(value, &field),
                "rules" => exception.rules = self.rule_patterns(value, &field),
                "namespaces" => exception.namespaces = self.globs(value, &field),
                "kinds" => exception.kinds = self.globs(value, &field),
                "names" => exception.names = self.globs(value, &field),
                "fieldPath" => exception.field_path = self.string(value, &field),
                "reason" => exception.reason = self.string(value, &field).unwrap_or_default(),
                "owner" => exception.owner = self.string(value, &field).unwrap_or_default(),
                "expires" => {
                    if let Some(text) = self.string(value, &field) {
                        match Date::parse(&text) {
                            Ok(date) => expires = Some(date),
                            Err(e) => self.error(value.pos, format!("{field}: {e}")),
                        }
                    }
                }
                _ => {}
            }
        }
        let present = |key: &str| node.entry(key).is_some();
        if !present("rules") {
            self.error(
                node.pos,
                format!("{what}: `rules` is required (rule ids or globs)"),
            );
        } else if exception.rules.is_empty() && self.errors.len() == errors_before {
            self.error(
                node.pos,
                format!("{what}: `rules` must name at least one rule"),
            );
        }
        for (key, value) in [("reason", &exception.reason), ("owner", &exception.owner)] {
            if value.trim().is_empty() && node.get(key).is_none_or(|v| v.as_str().is_some()) {
                self.error(
                    node.get(key).map_or(node.pos, |v| v.pos),
                    format!("{what}: `{key}` is required and must not be empty"),
                );
            }
        }
        if !present("expires") {
            self.error(
                node.pos,
                format!("{what}: `expires` is required (YYYY-MM-DD); exceptions must end"),
            );
        }
        exception.expires = expires?;
        (self.errors.len() == errors_before).then_some(exception)
    }
}

fn glob_char(c: char) -> bool {
    !matches!(c, '[' | ']' | '{' | '}' | '!' | '\\')
}

fn is_valid_glob(text: &str) -> bool {
    !text.is_empty() && text.chars().all(glob_char)
}

fn texts(patterns: Vec<Pattern>) -> Vec<String> {
    patterns.into_iter().map(|p| p.text).collect()
}

fn is_label(text: &str) -> bool {
    text.split_once('=')
        .is_some_and(|(key, _)| !key.trim().is_empty())
}
