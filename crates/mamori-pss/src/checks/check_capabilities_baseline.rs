//! `capabilities_baseline` (baseline, v1.0): adding Linux capabilities beyond the container runtime's
//! default set grants privileges, so `containers[*].securityContext.capabilities.add` may only contain
//! `AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP,
//! SETUID, SYS_CHROOT` (exact, case-sensitive, no `CAP_` prefix). `drop` is ignored. Overridden in restricted
//! from v1.22 by `capabilities_restricted`.
//!
//! Reason `non-default capabilities`; detail `{container(s)} must not include {"sorted", "caps"} in
//! securityContext.capabilities.add`. References: PSS "Capabilities" (baseline); upstream
//! `policy/check_capabilities_baseline.go`.

use super::{evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::{containers_phrase, join_quote, sorted_set};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{ContainerView, PodView, Spanned};

pub const ID: &str = "capabilities_baseline";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck {
        minimum_version: Version::v1(0),
        check: capabilities_baseline_1_0,
        override_ids: &[],
    }],
};

const ALLOWED_1_0: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn is_allowed(capability: &str) -> bool {
    ALLOWED_1_0.contains(&capability)
}

fn added(c: &ContainerView) -> &[Spanned<String>] {
    c.security_context
        .as_ref()
        .and_then(|sc| sc.capabilities.as_ref())
        .map_or(&[][..], |caps| caps.add.as_slice())
}

fn capabilities_baseline_1_0(pod: &PodView) -> Option<CheckResult> {
    let bad: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| added(c).iter().any(|cap| !is_allowed(&cap.value)))
        .collect();
    if bad.is_empty() {
        return None;
    }
    let forbidden = sorted_set(
        bad.iter()
            .flat_map(|c| added(c).iter())
            .map(|cap| cap.value.as_str())
            .filter(|cap| !is_allowed(cap))
            .collect(),
    );
    let found = bad
        .iter()
        .flat_map(|c| {
            added(c)
                .iter()
                .enumerate()
                .filter(|(_, cap)| !is_allowed(&cap.value))
                .map(|(index, cap)| {
                    evidence!(
                        pod,
                        c.path(
                            pod.spec_path,
                            &format!("securityContext.capabilities.add[{index}]"),
                        ),
                        cap.pos,
                    )
                })
        })
        .collect();
    forbid(
        ID,
        "non-default capabilities",
        format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&names(&bad)),
            join_quote(&forbidden)
        ),
        found,
    )
}
