//! `hostProbesAndHostLifecycle` (baseline, v1.34): probes and lifecycle hooks with an explicit `host` make
//! the kubelet connect to arbitrary addresses, so for every container `{liveness,readiness,startup}Probe` and
//! `lifecycle.{postStart,preStop}` must not set a non-empty `httpGet.host` or `tcpSocket.host` (`grpc`,
//! `exec` and `sleep` handlers are irrelevant).
//!
//! Reason `probe or lifecycle host`; detail `{container(s) as a sorted set} {uses|use} {probe or lifecycle
//! host(s)} {"sorted", "hosts"}` — the only check whose container list is sorted and de-duplicated.
//! References: PSS "Host Probes / Lifecycle Hooks" (baseline, 1.34); upstream
//! `policy/check_hostProbesAndhostLifecycle.go` (note the file-name casing).

use super::{evidence, forbid};
use crate::check::{Check, VersionedCheck};
use crate::format::{containers_phrase, join_quote, pluralize, sorted_set};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{ContainerView, PodView};

pub const ID: &str = "hostProbesAndHostLifecycle";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck {
        minimum_version: Version::v1(34),
        check: host_probes_and_host_lifecycle_1_34,
        override_ids: &[],
    }],
};

fn host_probes_and_host_lifecycle_1_34(pod: &PodView) -> Option<CheckResult> {
    let bad: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| !c.probe_hosts.is_empty())
        .collect();
    if bad.is_empty() {
        return None;
    }
    let container_names = sorted_set(bad.iter().map(|c| c.name.as_str()).collect());
    let hosts = sorted_set(
        bad.iter()
            .flat_map(|c| c.probe_hosts.iter().map(|h| h.host.as_str()))
            .collect(),
    );
    let found = bad
        .iter()
        .flat_map(|c| {
            c.probe_hosts
                .iter()
                .map(|h| evidence!(pod, c.path(pod.spec_path, h.suffix), h.pos))
        })
        .collect();
    forbid(
        ID,
        "probe or lifecycle host",
        format!(
            "{} {} {} {}",
            containers_phrase(&container_names),
            pluralize("uses", "use", container_names.len()),
            pluralize(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                hosts.len()
            ),
            join_quote(&hosts)
        ),
        found,
    )
}
