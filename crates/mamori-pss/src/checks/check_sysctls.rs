//! `sysctls` (baseline, v1.0 / v1.27 / v1.29 / v1.32 / v1.37): only namespaced, safe sysctls may be set, so
//! every `spec.securityContext.sysctls[*].name` must be in the allowed set (exact match, no `/`↔`.`
//! normalisation):
//! - 1.0: `kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies,
//!   net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start`
//! - 1.27: `+ net.ipv4.ip_local_reserved_ports`
//! - 1.29: `+ net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl,
//!   net.ipv4.tcp_keepalive_probes`
//! - 1.32: `+ net.ipv4.tcp_rmem, net.ipv4.tcp_wmem`
//! - 1.37: `+ net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat`
//!
//! Reason `forbidden sysctls` (always plural); detail the forbidden names in spec order, duplicates kept,
//! joined `", "`, unquoted. References: PSS "Sysctls" (baseline); upstream `policy/check_sysctls.go`.

use super::{evidence, forbid};
use crate::check::{Check, VersionedCheck};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{PodView, Spanned};

pub const ID: &str = "sysctls";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[
        VersionedCheck {
            minimum_version: Version::v1(0),
            check: sysctls_1_0,
            override_ids: &[],
        },
        VersionedCheck {
            minimum_version: Version::v1(27),
            check: sysctls_1_27,
            override_ids: &[],
        },
        VersionedCheck {
            minimum_version: Version::v1(29),
            check: sysctls_1_29,
            override_ids: &[],
        },
        VersionedCheck {
            minimum_version: Version::v1(32),
            check: sysctls_1_32,
            override_ids: &[],
        },
        VersionedCheck {
            minimum_version: Version::v1(37),
            check: sysctls_1_37,
            override_ids: &[],
        },
    ],
};

/// The cumulative allowed list; each version allows a prefix of it.
const ALLOWED: [&str; 14] = [
    // 1.0
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    // 1.27
    "net.ipv4.ip_local_reserved_ports",
    // 1.29
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    // 1.32
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    // 1.37
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn sysctls_1_0(pod: &PodView) -> Option<CheckResult> {
    check_sysctls(pod, &ALLOWED[..5])
}

fn sysctls_1_27(pod: &PodView) -> Option<CheckResult> {
    check_sysctls(pod, &ALLOWED[..6])
}

fn sysctls_1_29(pod: &PodView) -> Option<CheckResult> {
    check_sysctls(pod, &ALLOWED[..10])
}

fn sysctls_1_32(pod: &PodView) -> Option<CheckResult> {
    check_sysctls(pod, &ALLOWED[..12])
}

fn sysctls_1_37(pod: &PodView) -> Option<CheckResult> {
    check_sysctls(pod, &ALLOWED)
}

fn check_sysctls(pod: &PodView, allowed: &[&str]) -> Option<CheckResult> {
    let forbidden = |s: &&Spanned<String>| !allowed.contains(&s.value.as_str());
    if !pod.sysctls.iter().any(|s| forbidden(&s)) {
        return None;
    }
    let mut bad_names = Vec::new();
    let mut found = Vec::new();
    for (index, sysctl) in pod.sysctls.iter().enumerate() {
        if forbidden(&sysctl) {
            bad_names.push(sysctl.value.as_str());
            found.push(evidence!(
                pod,
                pod.spec_field(&format!("securityContext.sysctls[{index}].name")),
                sysctl.pos,
            ));
        }
    }
    forbid(ID, "forbidden sysctls", bad_names.join(", "), found)
}
