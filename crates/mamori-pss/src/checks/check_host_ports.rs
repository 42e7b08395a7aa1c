//! `hostPorts` (baseline, v1.0): host ports bind the node's network and bypass network policy, so every
//! `containers[*].ports[*].hostPort` must be unset or 0 (negative values are forbidden too).
//!
//! Reason `hostPort`; detail `{container(s)} {uses|use} {hostPort|hostPorts} P` with the distinct ports
//! sorted as strings (so `10000, 8080`) and not quoted. References: PSS "HostPorts" (baseline); upstream
//! `policy/check_hostPorts.go`.

use super::{evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::{containers_phrase, pluralize, sorted_set};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{ContainerView, PodView};

pub const ID: &str = "hostPorts";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck {
        minimum_version: Version::v1(0),
        check: host_ports_1_0,
        override_ids: &[],
    }],
};

fn host_ports_1_0(pod: &PodView) -> Option<CheckResult> {
    let bad: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| !c.host_ports.is_empty())
        .collect();
    if bad.is_empty() {
        return None;
    }
    let ports = sorted_set(
        bad.iter()
            .flat_map(|c| c.host_ports.iter().map(|(_, port)| port.value.to_string()))
            .collect(),
    );
    let found = bad
        .iter()
        .flat_map(|c| {
            c.host_ports.iter().map(|(port_index, port)| {
                evidence!(
                    pod,
                    c.path(pod.spec_path, &format!("ports[{port_index}].hostPort")),
                    port.pos,
                )
            })
        })
        .collect();
    forbid(
        ID,
        "hostPort",
        format!(
            "{} {} {} {}",
            containers_phrase(&names(&bad)),
            pluralize("uses", "use", bad.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
        found,
    )
}
