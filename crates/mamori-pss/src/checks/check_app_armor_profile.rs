//! `appArmorProfile` (baseline, v1.0, not version-gated): AppArmor must not be disabled or overridden with an
//! arbitrary profile.
//!
//! Reads `spec.securityContext.appArmorProfile.type` and `containers[*].securityContext.appArmorProfile.type`
//! (if set, must be `RuntimeDefault` or `Localhost`; `Unconfined` and `""` are bad) and every
//! `metadata.annotations` key starting with `container.apparmor.security.beta.kubernetes.io/` (value must be
//! `""`, `runtime/default` or start with `localhost/`). The field checks were added in library v0.30 but
//! apply at every policy version.
//!
//! Reason `forbidden AppArmor profile(s)` (plural when types + annotations > 1); detail `{pod and
//! container(s) and annotation(s)} must not set AppArmor profile type to {"types", "key="%q""}`.
//! References: PSS "AppArmor" (baseline); upstream `policy/check_appArmorProfile.go`.

use super::{evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::{containers_phrase, join_quote, pluralize, sorted_set};
use crate::level::{Level, Version};
use crate::quote::go_quote;
use crate::result::CheckResult;
use crate::view::{AnnotationView, ContainerView, PodView, ProfileView, SecurityContextView};

pub const ID: &str = "appArmorProfile";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck {
        minimum_version: Version::v1(0),
        check: app_armor_profile_1_0,
        override_ids: &[],
    }],
};

fn bad_profile(sc: Option<&SecurityContextView>) -> Option<&ProfileView> {
    sc?.apparmor_profile
        .as_ref()
        .filter(|p| !matches!(p.profile_type.as_str(), "RuntimeDefault" | "Localhost"))
}

fn allowed_annotation_value(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

fn profile_path(profile: &ProfileView) -> &'static str {
    if profile.has_type {
        "securityContext.appArmorProfile.type"
    } else {
        "securityContext.appArmorProfile"
    }
}

fn app_armor_profile_1_0(pod: &PodView) -> Option<CheckResult> {
    let pod_bad = bad_profile(pod.pod_security_context.as_ref());
    let bad: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| bad_profile(c.security_context.as_ref()).is_some())
        .collect();
    let bad_annotations: Vec<&AnnotationView> = pod
        .apparmor_annotations
        .iter()
        .filter(|a| !allowed_annotation_value(&a.value))
        .collect();
    if pod_bad.is_none() && bad.is_empty() && bad_annotations.is_empty() {
        return None;
    }

    let mut setters = Vec::new();
    let mut bad_types = Vec::new();
    let mut found = Vec::new();
    if let Some(profile) = pod_bad {
        setters.push(String::from("pod"));
        bad_types.push(profile.profile_type.as_str());
        found.push(evidence!(
            pod,
            pod.spec_field(profile_path(profile)),
            profile.pos
        ));
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&names(&bad)));
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
    }
    let mut values: Vec<String> = sorted_set(bad_types)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if !bad_annotations.is_empty() {
        let mut annotations: Vec<String> = bad_annotations
            .iter()
            .map(|a| format!("{}={}", a.key, go_quote(&a.value)))
            .collect();
        annotations.sort();
        values.extend(annotations);
        setters.push(pluralize("annotation", "annotations", bad_annotations.len()).to_owned());
        let metadata_path = pod.metadata_path();
        for a in &bad_annotations {
            found.push(evidence!(
                pod,
                format!("{metadata_path}.annotations[{}]", a.key),
                a.pos,
            ));
        }
    }
    forbid(
        ID,
        pluralize(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            values.len(),
        ),
        format!(
            "{} must not set AppArmor profile type to {}",
            setters.join(" and "),
            join_quote(&values)
        ),
        found,
    )
}
