//! `restrictedVolumes` (restricted, v1.0; overrides `hostPathVolumes`): only ephemeral/projected-style volume
//! types are allowed. A volume is allowed if any of `configMap, csi, downwardAPI, emptyDir, ephemeral, image,
//! persistentVolumeClaim, projected, secret` is set (`image` is allowed at every version); otherwise its
//! reported type is the first set of `hostPath, gcePersistentDisk, awsElasticBlockStore, gitRepo, nfs, iscsi,
//! glusterfs, rbd, flexVolume, cinder, cephfs, flocker, fc, azureFile, vsphereVolume, quobyte, azureDisk,
//! photonPersistentDisk, portworxVolume, scaleIO, storageos`, or `unknown` (only reachable without volume
//! defaulting, see `ViewOptions`).
//!
//! Reason `restricted volume types`; detail `{volume(s) "names", spec order} {uses|use} {restricted volume
//! type(s)} {"sorted", "types"}`. References: PSS "Volume Types" (restricted); upstream
//! `policy/check_restrictedVolumes.go`.

use super::{check_host_path_volumes, evidence, forbid};
use crate::check::{Check, VersionedCheck};
use crate::format::{join_quote, pluralize, sorted_set};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{PodView, VolumeView};

pub const ID: &str = "restrictedVolumes";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[VersionedCheck {
        minimum_version: Version::v1(0),
        check: restricted_volumes_1_0,
        override_ids: &[check_host_path_volumes::ID],
    }],
};

fn restricted_volumes_1_0(pod: &PodView) -> Option<CheckResult> {
    let bad: Vec<&VolumeView> = pod
        .volumes
        .iter()
        .filter(|v| v.allowed_source.is_none())
        .collect();
    if bad.is_empty() {
        return None;
    }
    let volume_names: Vec<&str> = bad.iter().map(|v| v.name.as_str()).collect();
    let types = sorted_set(
        bad.iter()
            .map(|v| v.restricted_source.map_or("unknown", |(kind, _)| kind))
            .collect(),
    );
    let found = bad
        .iter()
        .map(|v| match v.restricted_source {
            Some((kind, pos)) => {
                evidence!(
                    pod,
                    pod.spec_field(&format!("volumes[{}].{kind}", v.index)),
                    pos
                )
            }
            None => evidence!(pod, pod.spec_field(&format!("volumes[{}]", v.index)), v.pos),
        })
        .collect();
    forbid(
        ID,
        "restricted volume types",
        format!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", volume_names.len()),
            join_quote(&volume_names),
            pluralize("uses", "use", volume_names.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(&types)
        ),
        found,
    )
}
