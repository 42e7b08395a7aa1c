//! `seccompProfile_baseline` (baseline, v1.0 and v1.19): seccomp must not be explicitly disabled.
//!
//! - v1.0–v1.18 (annotations): `seccomp.security.alpha.kubernetes.io/pod` and, for each visited container,
//!   `container.seccomp.security.alpha.kubernetes.io/<name>` must be `runtime/default`, `docker/default` or
//!   start with `localhost/` (`""` is bad). Reason `seccompProfile`; detail `forbidden annotation(s)
//!   {sorted distinct key="%q"}`.
//! - v1.19+ (fields; annotations ignored): `spec.securityContext.seccompProfile.type` and
//!   `containers[*].securityContext.seccompProfile.type`, if set, must be `RuntimeDefault` or `Localhost`.
//!   Detail `{pod and/or container(s)} must not set securityContext.seccompProfile.type to {"sorted"}`.
//!
//! Overridden in restricted from v1.19 by `seccompProfile_restricted`. References: PSS "Seccomp" (baseline);
//! upstream `policy/check_seccompProfile_baseline.go`.

use super::{evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::{join_quote, pluralize, setters, sorted_set};
use crate::level::{Level, Version};
use crate::quote::go_quote;
use crate::result::CheckResult;
use crate::view::{
    AnnotationView, ContainerView, PodView, ProfileView, SecurityContextView,
    SECCOMP_CONTAINER_ANNOTATION_PREFIX, SECCOMP_POD_ANNOTATION,
};

pub const ID: &str = "seccompProfile_baseline";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[
        VersionedCheck {
            minimum_version: Version::v1(0),
            check: seccomp_profile_baseline_1_0,
            override_ids: &[],
        },
        VersionedCheck {
            minimum_version: Version::v1(19),
            check: seccomp_profile_baseline_1_19,
            override_ids: &[],
        },
    ],
};

fn valid_annotation_value(value: &str) -> bool {
    value == "runtime/default" || value == "docker/default" || value.starts_with("localhost/")
}

/// `RuntimeDefault` or `Localhost`; shared with `seccompProfile_restricted`.
pub(crate) fn valid_profile_type(profile_type: &str) -> bool {
    matches!(profile_type, "RuntimeDefault" | "Localhost")
}

/// The evidence path of a profile below a security context.
pub(crate) fn profile_path(profile: &ProfileView) -> &'static str {
    if profile.has_type {
        "securityContext.seccompProfile.type"
    } else {
        "securityContext.seccompProfile"
    }
}

fn is_read(pod: &PodView, annotation: &AnnotationView) -> bool {
    annotation.key == SECCOMP_POD_ANNOTATION
        || annotation
            .key
            .strip_prefix(SECCOMP_CONTAINER_ANNOTATION_PREFIX)
            .is_some_and(|name| pod.containers.iter().any(|c| c.name == name))
}

fn seccomp_profile_baseline_1_0(pod: &PodView) -> Option<CheckResult> {
    let bad: Vec<&AnnotationView> = pod
        .seccomp_annotations
        .iter()
        .filter(|a| !valid_annotation_value(&a.value) && is_read(pod, a))
        .collect();
    if bad.is_empty() {
        return None;
    }
    let forbidden = sorted_set(
        bad.iter()
            .map(|a| format!("{}={}", a.key, go_quote(&a.value)))
            .collect(),
    );
    let metadata_path = pod.metadata_path();
    let found = bad
        .iter()
        .map(|a| {
            evidence!(
                pod,
                format!("{metadata_path}.annotations[{}]", a.key),
                a.pos
            )
        })
        .collect();
    forbid(
        ID,
        "seccompProfile",
        format!(
            "forbidden {} {}",
            pluralize("annotation", "annotations", forbidden.len()),
            forbidden.join(", ")
        ),
        found,
    )
}

fn bad_profile(sc: Option<&SecurityContextView>) -> Option<&ProfileView> {
    sc?.seccomp_profile
        .as_ref()
        .filter(|p| !valid_profile_type(&p.profile_type))
}

fn seccomp_profile_baseline_1_19(pod: &PodView) -> Option<CheckResult> {
    let pod_bad = bad_profile(pod.pod_security_context.as_ref());
    let bad: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| bad_profile(c.security_context.as_ref()).is_some())
        .collect();
    if pod_bad.is_none() && bad.is_empty() {
        return None;
    }
    let mut bad_types = Vec::new();
    let mut found = Vec::new();
    if let Some(profile) = pod_bad {
        bad_types.push(profile.profile_type.as_str());
        found.push(evidence!(
            pod,
            pod.spec_field(profile_path(profile)),
            profile.pos
        ));
    }
    for c in &bad {
        if let Some(profile) = bad_profile(c.security_context.as_ref()) {
            bad_types.push(profile.profile_type.as_str());
            found.push(evidence!(
                pod,
                c.path(pod.spec_path, profile_path(profile)),
                profile.pos,
            ));
        }
    }
    forbid(
        ID,
        "seccompProfile",
        format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters(pod_bad.is_some(), &names(&bad)),
            join_quote(&sorted_set(bad_types))
        ),
        found,
    )
}
