//! `runAsUser` (restricted, v1.23 and v1.35): containers must not run as UID 0, so
//! `spec.securityContext.runAsUser` and `containers[*].securityContext.runAsUser` must not be explicitly `0`
//! (unset is fine). From v1.35 a user-namespace pod (`spec.hostUsers: false`) is allowed.
//!
//! Reason `runAsUser=0`; detail `{pod and/or container(s)} must not set runAsUser=0`. References: PSS
//! "Running as Non-root user" (restricted); upstream `policy/check_runAsUser.go`.

use super::{evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::setters;
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{ContainerView, PodView, SecurityContextView, Spanned};

pub const ID: &str = "runAsUser";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[
        VersionedCheck {
            minimum_version: Version::v1(23),
            check: run_as_user_1_23,
            override_ids: &[],
        },
        VersionedCheck {
            minimum_version: Version::v1(35),
            check: run_as_user_1_35,
            override_ids: &[],
        },
    ],
};

const SUFFIX: &str = "securityContext.runAsUser";

fn root_user(sc: Option<&SecurityContextView>) -> Option<&Spanned<i64>> {
    sc?.run_as_user.as_ref().filter(|u| u.value == 0)
}

fn run_as_user_1_23(pod: &PodView) -> Option<CheckResult> {
    let pod_bad = root_user(pod.pod_security_context.as_ref());
    let bad: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| root_user(c.security_context.as_ref()).is_some())
        .collect();
    if pod_bad.is_none() && bad.is_empty() {
        return None;
    }
    let mut found = Vec::new();
    if let Some(f) = pod_bad {
        found.push(evidence!(pod, pod.spec_field(SUFFIX), f.pos));
    }
    for c in &bad {
        if let Some(f) = root_user(c.security_context.as_ref()) {
            found.push(evidence!(pod, c.path(pod.spec_path, SUFFIX), f.pos));
        }
    }
    forbid(
        ID,
        "runAsUser=0",
        format!(
            "{} must not set runAsUser=0",
            setters(pod_bad.is_some(), &names(&bad))
        ),
        found,
    )
}

fn run_as_user_1_35(pod: &PodView) -> Option<CheckResult> {
    if pod.user_namespaced() {
        return None;
    }
    run_as_user_1_23(pod)
}
