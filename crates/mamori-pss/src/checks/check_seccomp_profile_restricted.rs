//! `seccompProfile_restricted` (restricted, v1.19 and v1.25; overrides `seccompProfile_baseline`): a seccomp
//! profile must be in force. `spec.securityContext.seccompProfile.type` and
//! `containers[*].securityContext.seccompProfile.type` must be `RuntimeDefault` or `Localhost` where set; a
//! container that leaves it unset is implicitly bad unless the pod sets a valid type. From v1.25 Windows
//! pods are exempt (no seccomp check at all: the baseline one is overridden).
//!
//! Reason `seccompProfile`; detail `{pod and/or container(s)} must not set securityContext.seccompProfile.type
//! to {"sorted"}` (explicit, takes precedence) or `pod or {container(s)} must set
//! securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` (implicit). References: PSS
//! "Seccomp" (restricted); upstream `policy/check_seccompProfile_restricted.go`.

use super::check_seccomp_profile_baseline::{self, profile_path, valid_profile_type};
use super::{container_evidence, evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::{containers_phrase, join_quote, setters, sorted_set};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{ContainerView, PodView, ProfileView};

pub const ID: &str = "seccompProfile_restricted";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[
        VersionedCheck {
            minimum_version: Version::v1(19),
            check: seccomp_profile_restricted_1_19,
            override_ids: &[check_seccomp_profile_baseline::ID],
        },
        VersionedCheck {
            minimum_version: Version::v1(25),
            check: seccomp_profile_restricted_1_25,
            override_ids: &[check_seccomp_profile_baseline::ID],
        },
    ],
};

fn profile(c: &ContainerView) -> Option<&ProfileView> {
    c.security_context.as_ref()?.seccomp_profile.as_ref()
}

fn seccomp_profile_restricted_1_19(pod: &PodView) -> Option<CheckResult> {
    let pod_profile = pod
        .pod_security_context
        .as_ref()
        .and_then(|sc| sc.seccomp_profile.as_ref());
    let pod_bad = pod_profile.filter(|p| !valid_profile_type(&p.profile_type));
    let pod_set = pod_profile.is_some_and(|p| valid_profile_type(&p.profile_type));
    let explicit: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| profile(c).is_some_and(|p| !valid_profile_type(&p.profile_type)))
        .collect();
    if pod_bad.is_some() || !explicit.is_empty() {
        let mut bad_types = Vec::new();
        let mut found = Vec::new();
        if let Some(p) = pod_bad {
            bad_types.push(p.profile_type.as_str());
            found.push(evidence!(pod, pod.spec_field(profile_path(p)), p.pos));
        }
        for c in &explicit {
            if let Some(p) = profile(c) {
                bad_types.push(p.profile_type.as_str());
                found.push(evidence!(
                    pod,
                    c.path(pod.spec_path, profile_path(p)),
                    p.pos
                ));
            }
        }
        return forbid(
            ID,
            "seccompProfile",
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters(pod_bad.is_some(), &names(&explicit)),
                join_quote(&sorted_set(bad_types))
            ),
            found,
        );
    }
    if pod_set {
        return None;
    }
    let implicit: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| profile(c).is_none())
        .collect();
    if implicit.is_empty() {
        return None;
    }
    forbid(
        ID,
        "seccompProfile",
        format!(
            "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
            containers_phrase(&names(&implicit))
        ),
        container_evidence(pod, &implicit),
    )
}

fn seccomp_profile_restricted_1_25(pod: &PodView) -> Option<CheckResult> {
    if pod.windows {
        return None;
    }
    seccomp_profile_restricted_1_19(pod)
}
