//! Upstream `PodSecurityConfiguration` (`pod-security.admission.config.k8s.io` v1, v1beta1, v1alpha1): defaults
//! and exemptions, defaulted and validated like `admission/api` (§5.1 of pss-semantics.md). Also accepted nested
//! in an `AdmissionConfiguration` (`plugins[].configuration` of the `PodSecurity` plugin).

use mamori_model::{Entry, Node, Pos, Value};
use mamori_pss::{go_quote, Level, LevelVersion, Version};

/// The policy of each mode, as a namespace's labels (or the defaults) set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModePolicies {
    pub enforce: LevelVersion,
    pub audit: LevelVersion,
    pub warn: LevelVersion,
}

impl ModePolicies {
    /// `privileged:latest` for every mode (upstream's default with no configuration).
    pub const PRIVILEGED: ModePolicies = ModePolicies {
        enforce: PRIVILEGED_LATEST,
        audit: PRIVILEGED_LATEST,
        warn: PRIVILEGED_LATEST,
    };

    /// Upstream `FullyPrivileged`: all three levels are privileged.
    pub fn fully_privileged(&self) -> bool {
        [self.enforce, self.audit, self.warn]
            .iter()
            .all(|lv| lv.level == Level::Privileged)
    }

    /// Upstream `Policy.Equivalent`: every mode equivalent.
    pub fn equivalent(&self, other: &ModePolicies) -> bool {
        self.enforce.equivalent(other.enforce)
            && self.audit.equivalent(other.audit)
            && self.warn.equivalent(other.warn)
    }
}

impl Default for ModePolicies {
    fn default() -> Self {
        ModePolicies::PRIVILEGED
    }
}

pub(crate) const PRIVILEGED_LATEST: LevelVersion = LevelVersion {
    level: Level::Privileged,
    version: Version::LATEST,
};

/// Requests PSA does not evaluate: by user name, by namespace, by the pod's runtimeClassName (exact matches).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exemptions {
    pub usernames: Vec<String>,
    pub namespaces: Vec<String>,
    pub runtime_classes: Vec<String>,
}

/// A defaulted, validated PodSecurityConfiguration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodSecurityConfiguration {
    pub defaults: ModePolicies,
    pub exemptions: Exemptions,
}

const GROUP: &str = "pod-security.admission.config.k8s.io";
const VERSIONS: [&str; 3] = ["v1", "v1beta1", "v1alpha1"];
const ADMISSION_CONFIG_VERSIONS: [&str; 3] = [
    "apiserver.config.k8s.io/v1",
    "apiserver.config.k8s.io/v1alpha1",
    "apiserver.k8s.io/v1alpha1",
];
const DEFAULT_KEYS: [&str; 6] = [
    "enforce",
    "enforce-version",
    "audit",
    "audit-version",
    "warn",
    "warn-version",
];
const EXEMPTION_KEYS: [&str; 3] = ["usernames", "namespaces", "runtimeClasses"];

/// Parses a PodSecurityConfiguration (YAML or JSON), or an AdmissionConfiguration holding one inline. Every
/// problem is reported as `file:line:col: message`; validation messages are upstream's field errors
/// (`defaults.enforce: Invalid value: "strict": must be one of privileged, baseline, restricted`).
pub fn parse_pod_security_configuration(
    text: &str,
    file: &str,
) -> Result<PodSecurityConfiguration, Vec<String>> {
    let mut errors = Errors {
        file,
        list: Vec::new(),
    };
    let root = match mamori_yaml::parse_document(text, 1, &mamori_yaml::Limits::default()) {
        Ok(Some(root)) if !root.is_null() => root,
        Ok(_) => {
            errors.push(
                Pos::new(1, 1),
                "empty file: expected a PodSecurityConfiguration".to_owned(),
            );
            return Err(errors.list);
        }
        Err(err) => {
            errors.push(err.pos, err.message);
            return Err(errors.list);
        }
    };
    let config = match find_configuration(&root, &mut errors) {
        Some(node) => read_configuration(node, &mut errors),
        None => None,
    };
    match config {
        Some(config) if errors.list.is_empty() => Ok(config),
        _ => Err(errors.list),
    }
}

struct Errors<'a> {
    file: &'a str,
    list: Vec<String>,
}

impl Errors<'_> {
    fn push(&mut self, pos: Pos, message: String) {
        self.list
            .push(format!("{}:{}:{}: {message}", self.file, pos.line, pos.col));
    }
}

fn text_at<'n>(node: &'n Node, key: &str) -> Option<&'n str> {
    node.get(key).and_then(Node::as_str)
}

/// The PodSecurityConfiguration node: the document itself, or the `configuration` of the PodSecurity plugin
/// of an AdmissionConfiguration.
fn find_configuration<'n>(root: &'n Node, errors: &mut Errors) -> Option<&'n Node> {
    let api_version = text_at(root, "apiVersion").unwrap_or("");
    let kind = text_at(root, "kind").unwrap_or("");
    match kind {
        "PodSecurityConfiguration" => {
            if check_api_version(root, api_version, errors) {
                Some(root)
            } else {
                None
            }
        }
        "AdmissionConfiguration" => {
            if !ADMISSION_CONFIG_VERSIONS.contains(&api_version) {
                errors.push(
                    root.get("apiVersion").map_or(root.pos, |n| n.pos),
                    format!(
                        "AdmissionConfiguration apiVersion {api_version:?} is not supported (expected one of: {})",
                        ADMISSION_CONFIG_VERSIONS.join(", ")
                    ),
                );
                return None;
            }
            let plugins = root.get("plugins").and_then(Node::as_seq).unwrap_or(&[]);
            let Some(plugin) = plugins
                .iter()
                .find(|p| text_at(p, "name") == Some("PodSecurity"))
            else {
                errors.push(
                    root.pos,
                    "AdmissionConfiguration has no plugin named \"PodSecurity\"".to_owned(),
                );
                return None;
            };
            match plugin.get("configuration") {
                Some(config) if !config.is_null() => {
                    let inner_version = text_at(config, "apiVersion").unwrap_or("");
                    let inner_kind = text_at(config, "kind").unwrap_or("");
                    if inner_kind != "PodSecurityConfiguration" {
                        errors.push(
                            config.pos,
                            format!(
                                "plugins[PodSecurity].configuration: kind must be PodSecurityConfiguration, found {inner_kind:?}"
                            ),
                        );
                        return None;
                    }
                    check_api_version(config, inner_version, errors).then_some(config)
                }
                _ => {
                    errors.push(
                        plugin.pos,
                        "plugins[PodSecurity]: only an inline `configuration` is supported (not `path`)"
                            .to_owned(),
                    );
                    None
                }
            }
        }
        _ => {
            errors.push(
                root.get("kind").map_or(root.pos, |n| n.pos),
                format!(
                    "kind must be PodSecurityConfiguration (or AdmissionConfiguration), found {kind:?}"
                ),
            );
            None
        }
    }
}

fn check_api_version(node: &Node, api_version: &str, errors: &mut Errors) -> bool {
    let ok = api_version
        .split_once('/')
        .is_some_and(|(group, version)| group == GROUP && VERSIONS.contains(&version));
    if !ok {
        errors.push(
            node.get("apiVersion").map_or(node.pos, |n| n.pos),
            format!(
                "apiVersion {api_version:?} is not supported (expected {GROUP}/v1, v1beta1 or v1alpha1)"
            ),
        );
    }
    ok
}

fn entries<'n>(node: &'n Node, what: &str, known: &[&str], errors: &mut Errors) -> &'n [Entry] {
    if node.is_null() {
        return &[];
    }
    let Some(entries) = node.as_map() else {
        errors.push(
            node.pos,
            format!("{what} must be a map, found a {}", node.type_name()),
        );
        return &[];
    };
    for entry in entries {
        if !known.contains(&entry.key.as_str()) {
            errors.push(
                entry.key_pos,
                format!(
                    "unknown field {:?} in {what} (expected one of: {})",
                    entry.key,
                    known.join(", ")
                ),
            );
        }
    }
    entries
}

fn read_configuration(node: &Node, errors: &mut Errors) -> Option<PodSecurityConfiguration> {
    let mut config = PodSecurityConfiguration::default();
    let top = entries(
        node,
        "PodSecurityConfiguration",
        &["apiVersion", "kind", "defaults", "exemptions"],
        errors,
    );
    let mut levels: [(Option<String>, Pos); 6] = Default::default();
    let mut lists: [Vec<(String, Pos)>; 3] = Default::default();
    for entry in top {
        match entry.key.as_str() {
            "defaults" => {
                for field in entries(&entry.value, "defaults", &DEFAULT_KEYS, errors) {
                    if let Some(slot) = DEFAULT_KEYS.iter().position(|k| *k == field.key) {
                        let value =
                            scalar_string(&field.value, &format!("defaults.{}", field.key), errors);
                        if let Some(cell) = levels.get_mut(slot) {
                            *cell = (value, field.value.pos);
                        }
                    }
                }
            }
            "exemptions" => {
                for field in entries(&entry.value, "exemptions", &EXEMPTION_KEYS, errors) {
                    if let Some(slot) = EXEMPTION_KEYS.iter().position(|k| *k == field.key) {
                        let values =
                            string_list(&field.value, &format!("exemptions.{}", field.key), errors);
                        if let Some(cell) = lists.get_mut(slot) {
                            *cell = values;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // Validation in upstream's order: enforce, enforce-version, warn, warn-version, audit, audit-version.
    let [enforce, enforce_version, audit, audit_version, warn, warn_version] = levels;
    config.defaults.enforce = level_version(&enforce, &enforce_version, "enforce", errors);
    config.defaults.warn = level_version(&warn, &warn_version, "warn", errors);
    config.defaults.audit = level_version(&audit, &audit_version, "audit", errors);
    let [usernames, namespaces, runtime_classes] = lists;
    config.exemptions.namespaces =
        validate_list(namespaces, "exemptions.namespaces", errors, |ns| {
            dns1123_label_errors(ns)
        });
    config.exemptions.runtime_classes =
        validate_list(runtime_classes, "exemptions.runtimeClasses", errors, |rc| {
            dns1123_subdomain_errors(rc)
        });
    config.exemptions.usernames = validate_list(usernames, "exemptions.usernames", errors, |u| {
        if u.is_empty() {
            vec!["username must not be empty".to_owned()]
        } else {
            Vec::new()
        }
    });
    Some(config)
}

fn scalar_string(node: &Node, what: &str, errors: &mut Errors) -> Option<String> {
    match &node.value {
        Value::Null => None,
        Value::Str(s) => Some(s.clone()),
        _ => {
            errors.push(
                node.pos,
                format!("{what} must be a string, found a {}", node.type_name()),
            );
            None
        }
    }
}

fn string_list(node: &Node, what: &str, errors: &mut Errors) -> Vec<(String, Pos)> {
    match &node.value {
        Value::Null => Vec::new(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|item| match item.as_str() {
                Some(text) => Some((text.to_owned(), item.pos)),
                None => {
                    errors.push(
                        item.pos,
                        format!(
                            "each item of {what} must be a string, found a {}",
                            item.type_name()
                        ),
                    );
                    None
                }
            })
            .collect(),
        _ => {
            errors.push(
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

/// Defaulting (empty level → privileged, empty version → latest) then upstream validation.
fn level_version(
    level: &(Option<String>, Pos),
    version: &(Option<String>, Pos),
    mode: &str,
    errors: &mut Errors,
) -> LevelVersion {
    let mut result = PRIVILEGED_LATEST;
    match level.0.as_deref() {
        None | Some("") => {}
        Some(text) => match Level::parse(text) {
            Ok(parsed) => result.level = parsed,
            Err(err) => errors.push(
                level.1,
                format!("defaults.{mode}: Invalid value: {}: {err}", go_quote(text)),
            ),
        },
    }
    match version.0.as_deref() {
        None | Some("") => {}
        Some(text) => match Version::parse(text) {
            Ok(parsed) => result.version = parsed,
            Err(err) => errors.push(
                version.1,
                format!(
                    "defaults.{mode}-version: Invalid value: {}: {err}",
                    go_quote(text)
                ),
            ),
        },
    }
    result
}

fn validate_list(
    values: Vec<(String, Pos)>,
    path: &str,
    errors: &mut Errors,
    check: impl Fn(&str) -> Vec<String>,
) -> Vec<String> {
    let mut valid: Vec<String> = Vec::with_capacity(values.len());
    for (index, (value, pos)) in values.into_iter().enumerate() {
        let problems = check(&value);
        if !problems.is_empty() {
            errors.push(
                pos,
                format!(
                    "{path}[{index}]: Invalid value: {}: {}",
                    go_quote(&value),
                    problems.join(", ")
                ),
            );
        } else if valid.contains(&value) {
            errors.push(
                pos,
                format!("{path}[{index}]: Duplicate value: {}", go_quote(&value)),
            );
        } else {
            valid.push(value);
        }
    }
    valid
}

const DNS1123_LABEL_MESSAGE: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', \
and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is \
'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MESSAGE: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric \
characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for \
validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

fn is_dns1123_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
        }
        _ => false,
    }
}

/// apimachinery `IsDNS1123Label` (what `ValidateNamespaceName` applies).
pub(crate) fn dns1123_label_errors(text: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if text.len() > 63 {
        errs.push("must be no more than 63 characters".to_owned());
    }
    if !is_dns1123_label(text) {
        errs.push(DNS1123_LABEL_MESSAGE.to_owned());
    }
    errs
}

/// apimachinery `IsDNS1123Subdomain`.
pub(crate) fn dns1123_subdomain_errors(text: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if text.len() > 253 {
        errs.push("must be no more than 253 characters".to_owned());
    }
    if text.is_empty() || !text.split('.').all(is_dns1123_label) {
        errs.push(DNS1123_SUBDOMAIN_MESSAGE.to_owned());
    }
    errs
}
