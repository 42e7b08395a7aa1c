//! The check model (`policy/checks.go`): a check has an ID, a level and versioned implementations.

use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::PodView;

/// A check implementation: `None` when the pod is allowed. Must not allocate on the allowed path.
pub type CheckFn = fn(&PodView) -> Option<CheckResult>;

/// One implementation of a check, in force from `minimum_version` up to (excluding) the next one's.
#[derive(Debug, Clone, Copy)]
pub struct VersionedCheck {
    /// Always an explicit version (never `latest`).
    pub minimum_version: Version,
    pub check: CheckFn,
    /// Baseline check IDs this restricted implementation replaces while it is in force.
    pub override_ids: &'static [&'static str],
}

/// A Pod Security check, like upstream's `policy/check_*.go`.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Upstream check ID, e.g. `capabilities_restricted`.
    pub id: &'static str,
    /// Baseline or Restricted.
    pub level: Level,
    /// Implementations ordered by strictly increasing minimum version.
    pub versions: &'static [VersionedCheck],
}
