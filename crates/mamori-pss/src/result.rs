//! Check and aggregate results (`policy/checks.go`, `AggregateCheckResults`).

use mamori_model::Pos;

/// Where an offending field is: its path from the object root and its position (best effort; `Pos::UNKNOWN`
/// when the document carried no positions). For "must set X" violations it points at the container or pod
/// spec that lacks the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub field_path: String,
    pub pos: Pos,
}

/// One forbidding check: upstream's reason and detail strings, plus evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub check_id: &'static str,
    pub reason: String,
    pub detail: String,
    pub evidence: Vec<Evidence>,
}

/// The result of evaluating one pod at one level/version: the forbidding checks, in upstream's check order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PssResult {
    pub violations: Vec<CheckResult>,
}

/// Upstream's text for a forbidding check that gave no reason (never produced by the 19 checks).
const UNKNOWN_REASON: &str = "unknown forbidden reason";

impl PssResult {
    /// True when no check forbids the pod.
    pub fn allowed(&self) -> bool {
        self.violations.is_empty()
    }

    /// The reasons joined by `", "` (upstream `ForbiddenReason()`, used in namespace dry-run warnings).
    pub fn forbidden_reason(&self) -> String {
        let mut out = String::new();
        for (index, violation) in self.violations.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            out.push_str(reason_or_unknown(&violation.reason));
        }
        out
    }

    /// `reason (detail)` per forbidding check joined by `", "` (upstream `ForbiddenDetail()`, the text users
    /// see in errors, warnings and audit annotations).
    pub fn forbidden_detail(&self) -> String {
        let mut out = String::new();
        for (index, violation) in self.violations.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            out.push_str(reason_or_unknown(&violation.reason));
            if !violation.detail.is_empty() {
                out.push_str(" (");
                out.push_str(&violation.detail);
                out.push(')');
            }
        }
        out
    }
}

fn reason_or_unknown(reason: &str) -> &str {
    if reason.is_empty() {
        UNKNOWN_REASON
    } else {
        reason
    }
}
