//! The check registry (`policy/registry.go`): collects the checks, validates them and precomputes, for every
//! policy version 1.0..=max, the ordered active check list per level so evaluation is a table lookup.

use crate::check::{Check, CheckFn};
use crate::checks;
use crate::level::{Level, Version};
use std::fmt;

/// Every check, one line each (adding a check = one file under `checks/` + one line here).
pub static DEFAULT_CHECKS: &[&Check] = &[
    &checks::check_allow_privilege_escalation::CHECK,
    &checks::check_app_armor_profile::CHECK,
    &checks::check_capabilities_baseline::CHECK,
    &checks::check_capabilities_restricted::CHECK,
    &checks::check_host_namespaces::CHECK,
    &checks::check_host_path_volumes::CHECK,
    &checks::check_host_ports::CHECK,
    &checks::check_host_probes_and_host_lifecycle::CHECK,
    &checks::check_privileged::CHECK,
    &checks::check_proc_mount_baseline::CHECK,
    &checks::check_proc_mount_restricted::CHECK,
    &checks::check_restricted_volumes::CHECK,
    &checks::check_run_as_non_root::CHECK,
    &checks::check_run_as_user::CHECK,
    &checks::check_se_linux_options::CHECK,
    &checks::check_seccomp_profile_baseline::CHECK,
    &checks::check_seccomp_profile_restricted::CHECK,
    &checks::check_sysctls::CHECK,
    &checks::check_windows_host_process::CHECK,
];

/// Why a check list is invalid (upstream `validateChecks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError(pub String);

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RegistryError {}

/// Checks the invariants upstream enforces: unique IDs; level baseline or restricted; versions non-empty,
/// explicit and strictly increasing; overrides only on restricted checks and only naming baseline checks.
pub fn validate(checks: &[&Check]) -> Result<(), RegistryError> {
    let fail = |message: String| Err(RegistryError(message));
    for (index, check) in checks.iter().enumerate() {
        if checks[..index].iter().any(|other| other.id == check.id) {
            return fail(format!("multiple checks registered for ID {}", check.id));
        }
        if check.level == Level::Privileged {
            return fail(format!("check {} has invalid level privileged", check.id));
        }
        if check.versions.is_empty() {
            return fail(format!("check {} has no versions", check.id));
        }
        let mut previous: Option<Version> = None;
        for versioned in check.versions {
            if versioned.minimum_version.is_latest() {
                return fail(format!("check {} has a latest version", check.id));
            }
            if previous.is_some_and(|p| !p.older(versioned.minimum_version)) {
                return fail(format!(
                    "check {}: versions must be strictly increasing",
                    check.id
                ));
            }
            previous = Some(versioned.minimum_version);
            for overridden in versioned.override_ids {
                if check.level != Level::Restricted {
                    return fail(format!(
                        "check {}: only restricted checks may override",
                        check.id
                    ));
                }
                let target = checks.iter().find(|c| c.id == *overridden);
                match target {
                    Some(target) if target.level == Level::Baseline => {}
                    _ => {
                        return fail(format!(
                        "check {} overrides {overridden}, which is not a registered baseline check",
                        check.id
                    ))
                    }
                }
            }
        }
    }
    Ok(())
}

/// An active check at some version: its ID and the implementation in force.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ActiveCheck {
    pub(crate) id: &'static str,
    pub(crate) check: CheckFn,
}

/// Per-version ordered active check lists for baseline and restricted.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    /// The highest policy minor any check starts at (`latest` resolves to it).
    pub(crate) max_minor: u64,
    /// Indexed by minor, 0..=max_minor.
    pub(crate) baseline: Vec<Vec<ActiveCheck>>,
    pub(crate) restricted: Vec<Vec<ActiveCheck>>,
}

/// The implementation of `check` in force at `minor`, with its overrides; None before its first version.
fn in_force(check: &Check, minor: u64) -> Option<&crate::check::VersionedCheck> {
    check
        .versions
        .iter()
        .rev()
        .find(|v| v.minimum_version.minor().is_some_and(|m| m <= minor))
}

impl Tables {
    /// Builds the tables (upstream `populate`). Assumes `validate` passed.
    pub(crate) fn build(checks: &[&Check]) -> Tables {
        let max_minor = checks
            .iter()
            .filter_map(|c| c.versions.last().and_then(|v| v.minimum_version.minor()))
            .max()
            .unwrap_or(0);
        let mut sorted: Vec<&Check> = checks.to_vec();
        // Go string order is bytewise, as is Rust's str order.
        sorted.sort_by(|a, b| a.id.cmp(b.id));

        let mut baseline = Vec::new();
        let mut restricted = Vec::new();
        for minor in 0..=max_minor {
            let active_of = |level: Level| -> Vec<(&'static str, &crate::check::VersionedCheck)> {
                sorted
                    .iter()
                    .filter(|c| c.level == level)
                    .filter_map(|c| in_force(c, minor).map(|v| (c.id, v)))
                    .collect()
            };
            let baseline_active = active_of(Level::Baseline);
            let restricted_active = active_of(Level::Restricted);
            let overridden: Vec<&str> = restricted_active
                .iter()
                .flat_map(|(_, v)| v.override_ids.iter().copied())
                .collect();
            let to_active = |(id, v): &(&'static str, &crate::check::VersionedCheck)| ActiveCheck {
                id,
                check: v.check,
            };
            baseline.push(baseline_active.iter().map(to_active).collect());
            restricted.push(
                baseline_active
                    .iter()
                    .filter(|(id, _)| !overridden.contains(id))
                    .chain(restricted_active.iter())
                    .map(to_active)
                    .collect(),
            );
        }
        Tables {
            max_minor,
            baseline,
            restricted,
        }
    }

    /// The ordered active check list at `level` for an already clamped minor.
    pub(crate) fn active(&self, level: Level, minor: u64) -> &[ActiveCheck] {
        let table = match level {
            Level::Privileged => return &[],
            Level::Baseline => &self.baseline,
            Level::Restricted => &self.restricted,
        };
        usize::try_from(minor)
            .ok()
            .and_then(|index| table.get(index))
            .map_or(&[], Vec::as_slice)
    }
}
