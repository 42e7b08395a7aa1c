//! `hostPathVolumes` (baseline, v1.0): hostPath volumes expose the node's filesystem, so no
//! `spec.volumes[*].hostPath` may be set. Overridden in restricted by `restrictedVolumes`.
//!
//! Reason `hostPath volumes`; detail `volume "a"` / `volumes "a", "b"` in spec order. References: PSS
//! "HostPath Volumes" (baseline); upstream `policy/check_hostPathVolumes.go`.

use super::{evidence, forbid};
use crate::check::{Check, VersionedCheck};
use crate::format::{join_quote, pluralize};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{PodView, VolumeView};

pub const ID: &str = "hostPathVolumes";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck {
        minimum_version: Version::v1(0),
        check: host_path_volumes_1_0,
        override_ids: &[],
    }],
};

fn host_path_volumes_1_0(pod: &PodView) -> Option<CheckResult> {
    let bad: Vec<&VolumeView> = pod
        .volumes
        .iter()
        .filter(|v| v.host_path.is_some())
        .collect();
    if bad.is_empty() {
        return None;
    }
    let volume_names: Vec<&str> = bad.iter().map(|v| v.name.as_str()).collect();
    let found = bad
        .iter()
        .map(|v| {
            evidence!(
                pod,
                pod.spec_field(&format!("volumes[{}].hostPath", v.index)),
                v.host_path.unwrap_or(v.pos),
            )
        })
        .collect();
    forbid(
        ID,
        "hostPath volumes",
        format!(
            "{} {}",
            pluralize("volume", "volumes", volume_names.len()),
            join_quote(&volume_names)
        ),
        found,
    )
}
