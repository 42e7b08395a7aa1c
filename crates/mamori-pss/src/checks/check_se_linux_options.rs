//! `seLinuxOptions` (baseline, v1.0 and v1.31): setting a custom SELinux user or role, or a type outside the
//! container types, can escape confinement.
//!
//! Reads `spec.securityContext.seLinuxOptions` and `containers[*].securityContext.seLinuxOptions` (only set
//! ones): `type` must be `""`, `container_t`, `container_init_t` or `container_kvm_t` (plus
//! `container_engine_t` from v1.31); `user` and `role` must be empty; `level` is not checked.
//!
//! Reason `seLinuxOptions`; detail `{pod and/or container(s)} set forbidden securityContext.seLinuxOptions:
//! {type(s) "x"; user may not be set; role may not be set}`. References: PSS "SELinux" (baseline); upstream
//! `policy/check_seLinuxOptions.go`.

use super::{evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::{join_quote, pluralize, setters, sorted_set};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{ContainerView, PodView, SeLinuxView, SecurityContextView};

pub const ID: &str = "seLinuxOptions";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[
        VersionedCheck {
            minimum_version: Version::v1(0),
            check: se_linux_options_1_0,
            override_ids: &[],
        },
        VersionedCheck {
            minimum_version: Version::v1(31),
            check: se_linux_options_1_31,
            override_ids: &[],
        },
    ],
};

const ALLOWED_TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const ALLOWED_TYPES_1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn se_linux_options_1_0(pod: &PodView) -> Option<CheckResult> {
    check_se_linux(pod, ALLOWED_TYPES_1_0)
}

fn se_linux_options_1_31(pod: &PodView) -> Option<CheckResult> {
    check_se_linux(pod, ALLOWED_TYPES_1_31)
}

fn options(sc: Option<&SecurityContextView>) -> Option<&SeLinuxView> {
    sc?.selinux_options.as_ref()
}

fn check_se_linux(pod: &PodView, allowed_types: &[&str]) -> Option<CheckResult> {
    let is_bad = |o: &SeLinuxView| {
        !allowed_types.contains(&o.selinux_type.as_str())
            || !o.user.is_empty()
            || !o.role.is_empty()
    };
    let pod_bad = options(pod.pod_security_context.as_ref()).filter(|o| is_bad(o));
    let bad: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| options(c.security_context.as_ref()).is_some_and(is_bad))
        .collect();
    if pod_bad.is_none() && bad.is_empty() {
        return None;
    }

    let mut offending: Vec<&SeLinuxView> = Vec::new();
    let mut found = Vec::new();
    if let Some(o) = pod_bad {
        offending.push(o);
        found.push(evidence!(
            pod,
            pod.spec_field("securityContext.seLinuxOptions"),
            o.pos,
        ));
    }
    for c in &bad {
        if let Some(o) = options(c.security_context.as_ref()) {
            offending.push(o);
            found.push(evidence!(
                pod,
                c.path(pod.spec_path, "securityContext.seLinuxOptions"),
                o.pos,
            ));
        }
    }
    let bad_types = sorted_set(
        offending
            .iter()
            .map(|o| o.selinux_type.as_str())
            .filter(|t| !allowed_types.contains(t))
            .collect(),
    );
    let mut data = Vec::new();
    if !bad_types.is_empty() {
        data.push(format!(
            "{} {}",
            pluralize("type", "types", bad_types.len()),
            join_quote(&bad_types)
        ));
    }
    if offending.iter().any(|o| !o.user.is_empty()) {
        data.push(String::from("user may not be set"));
    }
    if offending.iter().any(|o| !o.role.is_empty()) {
        data.push(String::from("role may not be set"));
    }
    forbid(
        ID,
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters(pod_bad.is_some(), &names(&bad)),
            data.join("; ")
        ),
        found,
    )
}
