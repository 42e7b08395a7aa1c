//! The one finding model. Every rule (PSS today, the catalogue later, admission and cluster scans too) emits
//! [`Finding`]s; every output format renders them.

use crate::node::Pos;
use crate::object::ObjectRef;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Severity, ordered so that `Critical > High > Medium > Low > Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The phase of the cloud-native security lifecycle a finding belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Develop,
    Distribute,
    Deploy,
    RuntimeAccess,
    RuntimeCompute,
    RuntimeStorage,
    Network,
    Observability,
}

impl Phase {
    pub const ALL: [Phase; 8] = [
        Phase::Develop,
        Phase::Distribute,
        Phase::Deploy,
        Phase::RuntimeAccess,
        Phase::RuntimeCompute,
        Phase::RuntimeStorage,
        Phase::Network,
        Phase::Observability,
    ];

    /// Stable machine id (JSON, SARIF properties, config files).
    pub fn id(self) -> &'static str {
        match self {
            Phase::Develop => "develop",
            Phase::Distribute => "distribute",
            Phase::Deploy => "deploy",
            Phase::RuntimeAccess => "runtime-access",
            Phase::RuntimeCompute => "runtime-compute",
            Phase::RuntimeStorage => "runtime-storage",
            Phase::Network => "network",
            Phase::Observability => "observability",
        }
    }

    /// Human title (table headings, HTML).
    pub fn title(self) -> &'static str {
        match self {
            Phase::Develop => "Develop",
            Phase::Distribute => "Distribute",
            Phase::Deploy => "Deploy",
            Phase::RuntimeAccess => "Runtime: access",
            Phase::RuntimeCompute => "Runtime: compute",
            Phase::RuntimeStorage => "Runtime: storage",
            Phase::Network => "Network",
            Phase::Observability => "Observability",
        }
    }
}

/// Where in the input a finding points: file and 1-based line/column (0 when unknown, e.g. live objects), the
/// 0-based document index, and the field path inside the object (`spec.template.spec.containers[0].securityContext.privileged`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: Arc<str>,
    pub doc_index: u32,
    pub pos: Pos,
    pub field_path: String,
}

/// One finding: a rule that an object breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule ids and remediations are static text of the rule tables; `Cow` keeps them allocation-free per finding.
    pub rule_id: Cow<'static, str>,
    pub severity: Severity,
    pub phase: Phase,
    /// Shared by every finding of the object (one allocation per object, not per finding).
    pub object: Arc<ObjectRef>,
    pub location: Location,
    pub message: String,
    pub remediation: Cow<'static, str>,
}

impl Serialize for Pos {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Pos", 2)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("column", &self.col)?;
        st.end()
    }
}

impl Serialize for ObjectRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ObjectRef", 4)?;
        st.serialize_field("apiVersion", &self.api_version)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("namespace", &self.namespace)?;
        st.serialize_field("name", &self.name)?;
        st.end()
    }
}
