//! The 19 upstream checks, one file each (upstream `policy/check_*.go`). File names are the snake_case form
//! of the check ID.

pub mod check_allow_privilege_escalation;
pub mod check_app_armor_profile;
pub mod check_capabilities_baseline;
pub mod check_capabilities_restricted;
pub mod check_host_namespaces;
pub mod check_host_path_volumes;
pub mod check_host_ports;
pub mod check_host_probes_and_host_lifecycle;
pub mod check_privileged;
pub mod check_proc_mount_baseline;
pub mod check_proc_mount_restricted;
pub mod check_restricted_volumes;
pub mod check_run_as_non_root;
pub mod check_run_as_user;
pub mod check_se_linux_options;
pub mod check_seccomp_profile_baseline;
pub mod check_seccomp_profile_restricted;
pub mod check_sysctls;
pub mod check_windows_host_process;

use crate::result::{CheckResult, Evidence};
use crate::view::{ContainerView, PodView};

/// `evidence!(pod, path, pos)`: an [`Evidence`] at `pos` whose field path is the expression `path`, evaluated
/// only when the view wants evidence ([`PodView::without_evidence`]: admission needs verdicts and messages,
/// and building every path with `format!` was most of a violating pod's evaluation). Without it the path is
/// empty; the evidence entries themselves stay, one per offending field.
macro_rules! evidence {
    ($pod:expr, $path:expr, $pos:expr $(,)?) => {
        $crate::result::Evidence {
            field_path: if $pod.evidence { $path } else { String::new() },
            pos: $pos,
        }
    };
}
pub(crate) use evidence;

pub(crate) fn forbid(
    check_id: &'static str,
    reason: &str,
    detail: String,
    evidence: Vec<Evidence>,
) -> Option<CheckResult> {
    Some(CheckResult {
        check_id,
        reason: reason.to_owned(),
        detail,
        evidence,
    })
}

/// Names of the given containers, in order, duplicates kept.
pub(crate) fn names<'a>(containers: &[&'a ContainerView]) -> Vec<&'a str> {
    containers.iter().map(|c| c.name.as_str()).collect()
}

/// Evidence pointing at each container (for "must set X" violations).
pub(crate) fn container_evidence(pod: &PodView, containers: &[&ContainerView]) -> Vec<Evidence> {
    containers
        .iter()
        .map(|c| evidence!(pod, c.path(pod.spec_path, ""), c.pos))
        .collect()
}
