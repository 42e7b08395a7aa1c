//! `procMount` (baseline, v1.0 and v1.35): the default `/proc` masks prevent information leaks and host
//! access, so `containers[*].securityContext.procMount`, if set, must be `Default` (`Unmasked` and `""` are
//! forbidden). From v1.35 a user-namespace pod (`spec.hostUsers: false`) is allowed any procMount. Overridden
//! in restricted from v1.35 by `procMount_restricted`, which keeps the unconditional rule.
//!
//! Reason `procMount`; detail `{container(s)} must not set securityContext.procMount to {"sorted", "values"}`.
//! References: PSS "/proc Mount Type" (baseline); upstream `policy/check_procMount_baseline.go`.

use super::{evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::{containers_phrase, join_quote, sorted_set};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{ContainerView, PodView, Spanned};

pub const ID: &str = "procMount";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[
        VersionedCheck {
            minimum_version: Version::v1(0),
            check: proc_mount_1_0,
            override_ids: &[],
        },
        VersionedCheck {
            minimum_version: Version::v1(35),
            check: proc_mount_1_35,
            override_ids: &[],
        },
    ],
};

fn proc_mount_1_0(pod: &PodView) -> Option<CheckResult> {
    proc_mount_violation(pod, ID)
}

fn proc_mount_1_35(pod: &PodView) -> Option<CheckResult> {
    if pod.user_namespaced() {
        return None;
    }
    proc_mount_violation(pod, ID)
}

fn bad_proc_mount(c: &ContainerView) -> Option<&Spanned<String>> {
    c.security_context
        .as_ref()?
        .proc_mount
        .as_ref()
        .filter(|p| p.value != "Default")
}

/// The unconditional v1.0 rule, shared with `procMount_restricted` (reported under `check_id`).
pub(crate) fn proc_mount_violation(pod: &PodView, check_id: &'static str) -> Option<CheckResult> {
    let bad: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| bad_proc_mount(c).is_some())
        .collect();
    if bad.is_empty() {
        return None;
    }
    let values = sorted_set(
        bad.iter()
            .filter_map(|c| bad_proc_mount(c))
            .map(|p| p.value.as_str())
            .collect(),
    );
    let found = bad
        .iter()
        .filter_map(|c| {
            bad_proc_mount(c).map(|p| {
                evidence!(
                    pod,
                    c.path(pod.spec_path, "securityContext.procMount"),
                    p.pos
                )
            })
        })
        .collect();
    forbid(
        check_id,
        "procMount",
        format!(
            "{} must not set securityContext.procMount to {}",
            containers_phrase(&names(&bad)),
            join_quote(&values)
        ),
        found,
    )
}
