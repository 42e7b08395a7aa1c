//! `windowsHostProcess` (baseline, v1.0): Windows HostProcess containers get privileged access to the
//! Windows node, so `spec.securityContext.windowsOptions.hostProcess` and
//! `containers[*].securityContext.windowsOptions.hostProcess` must be unset or false.
//!
//! Reason `hostProcess`; detail `{pod and/or container(s)} must not set
//! securityContext.windowsOptions.hostProcess=true`. References: PSS "HostProcess" (baseline); upstream
//! `policy/check_windowsHostProcess.go`.

use super::{evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::setters;
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{ContainerView, PodView, SecurityContextView, Spanned};

pub const ID: &str = "windowsHostProcess";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck {
        minimum_version: Version::v1(0),
        check: windows_host_process_1_0,
        override_ids: &[],
    }],
};

const SUFFIX: &str = "securityContext.windowsOptions.hostProcess";

fn host_process_true(sc: Option<&SecurityContextView>) -> Option<&Spanned<bool>> {
    sc?.host_process.as_ref().filter(|h| h.value)
}

fn windows_host_process_1_0(pod: &PodView) -> Option<CheckResult> {
    let bad: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| host_process_true(c.security_context.as_ref()).is_some())
        .collect();
    let pod_field = host_process_true(pod.pod_security_context.as_ref());
    if bad.is_empty() && pod_field.is_none() {
        return None;
    }
    let mut found = Vec::new();
    if let Some(field) = pod_field {
        found.push(evidence!(pod, pod.spec_field(SUFFIX), field.pos));
    }
    for c in &bad {
        if let Some(field) = host_process_true(c.security_context.as_ref()) {
            found.push(evidence!(pod, c.path(pod.spec_path, SUFFIX), field.pos));
        }
    }
    forbid(
        ID,
        "hostProcess",
        format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters(pod_field.is_some(), &names(&bad))
        ),
        found,
    )
}
