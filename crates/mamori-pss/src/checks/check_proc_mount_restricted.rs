//! `procMount_restricted` (restricted, v1.35; overrides `procMount`): the unconditional baseline v1.0 rule —
//! `containers[*].securityContext.procMount`, if set, must be `Default` — with no user-namespace relaxation,
//! so restricted never allows `Unmasked` even when `spec.hostUsers: false`.
//!
//! Reason `procMount`; detail as `procMount`. References: PSS "/proc Mount Type"; upstream
//! `policy/check_procMount_restricted.go`.

use super::check_proc_mount_baseline::{self, proc_mount_violation};
use crate::check::{Check, VersionedCheck};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::PodView;

pub const ID: &str = "procMount_restricted";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[VersionedCheck {
        minimum_version: Version::v1(35),
        check: proc_mount_restricted_1_35,
        override_ids: &[check_proc_mount_baseline::ID],
    }],
};

fn proc_mount_restricted_1_35(pod: &PodView) -> Option<CheckResult> {
    proc_mount_violation(pod, ID)
}
