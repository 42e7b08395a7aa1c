//! `runAsNonRoot` (restricted, v1.0 and v1.35): containers must run as non-root. `spec.securityContext.
//! runAsNonRoot: false` or a container's explicit `false` is explicitly bad; a container that leaves it unset
//! is implicitly bad unless the pod sets `true`. `runAsUser` is not considered. From v1.35 a user-namespace
//! pod (`spec.hostUsers: false`) is allowed.
//!
//! Reason `runAsNonRoot != true`; detail `{pod and/or container(s)} must not set
//! securityContext.runAsNonRoot=false` (explicit, takes precedence) or `pod or {container(s)} must set
//! securityContext.runAsNonRoot=true` (implicit). References: PSS "Running as Non-root" (restricted);
//! upstream `policy/check_runAsNonRoot.go`.

use super::{container_evidence, evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::{containers_phrase, setters};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{ContainerView, PodView, Spanned};

pub const ID: &str = "runAsNonRoot";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[
        VersionedCheck {
            minimum_version: Version::v1(0),
            check: run_as_non_root_1_0,
            override_ids: &[],
        },
        VersionedCheck {
            minimum_version: Version::v1(35),
            check: run_as_non_root_1_35,
            override_ids: &[],
        },
    ],
};

const SUFFIX: &str = "securityContext.runAsNonRoot";
const REASON: &str = "runAsNonRoot != true";

fn field(c: &ContainerView) -> Option<&Spanned<bool>> {
    c.security_context.as_ref()?.run_as_non_root.as_ref()
}

fn run_as_non_root_1_0(pod: &PodView) -> Option<CheckResult> {
    let pod_field = pod
        .pod_security_context
        .as_ref()
        .and_then(|sc| sc.run_as_non_root.as_ref());
    let pod_bad = pod_field.filter(|f| !f.value);
    let pod_true = pod_field.is_some_and(|f| f.value);
    let explicit: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| field(c).is_some_and(|f| !f.value))
        .collect();
    if pod_bad.is_some() || !explicit.is_empty() {
        let mut found = Vec::new();
        if let Some(f) = pod_bad {
            found.push(evidence!(pod, pod.spec_field(SUFFIX), f.pos));
        }
        for c in &explicit {
            if let Some(f) = field(c) {
                found.push(evidence!(pod, c.path(pod.spec_path, SUFFIX), f.pos));
            }
        }
        return forbid(
            ID,
            REASON,
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters(pod_bad.is_some(), &names(&explicit))
            ),
            found,
        );
    }
    if pod_true {
        return None;
    }
    let implicit: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| field(c).is_none())
        .collect();
    if implicit.is_empty() {
        return None;
    }
    forbid(
        ID,
        REASON,
        format!(
            "pod or {} must set securityContext.runAsNonRoot=true",
            containers_phrase(&names(&implicit))
        ),
        container_evidence(pod, &implicit),
    )
}

fn run_as_non_root_1_35(pod: &PodView) -> Option<CheckResult> {
    if pod.user_namespaced() {
        return None;
    }
    run_as_non_root_1_0(pod)
}
