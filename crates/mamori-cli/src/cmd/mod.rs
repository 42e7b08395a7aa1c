//! The subcommands. Each returns an [`Outcome`]; `main` maps it to the exit status.

pub mod admission;
pub mod config;
pub mod pss;
pub mod rbac;
pub mod rules;
pub mod scan;
pub mod scan_cluster;
pub mod scan_setup;
pub mod snapshot;

/// What a command found, for the exit status (errors win over failures).
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// Any usage or input error occurred.
    pub errors: bool,
    /// Violations, or findings at or above the `--fail-on` gate.
    pub failed: bool,
}
