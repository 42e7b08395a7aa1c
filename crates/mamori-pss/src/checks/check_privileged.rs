//! `privileged` (baseline, v1.0): privileged containers disable most security mechanisms, so
//! `securityContext.privileged` must be unset or false in every container (init, regular, ephemeral).
//!
//! Reads `containers[*].securityContext.privileged`. Reason `privileged`; detail
//! `{container(s) "a", ...} must not set securityContext.privileged=true`.
//! References: PSS "Privileged Containers" (baseline); upstream `policy/check_privileged.go`.

use super::{evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::containers_phrase;
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{ContainerView, PodView, Spanned};

pub const ID: &str = "privileged";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck {
        minimum_version: Version::v1(0),
        check: privileged_1_0,
        override_ids: &[],
    }],
};

fn privileged_1_0(pod: &PodView) -> Option<CheckResult> {
    let bad: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| {
            matches!(
                c.security_context
                    .as_ref()
                    .and_then(|sc| sc.privileged.as_ref()),
                Some(Spanned { value: true, .. })
            )
        })
        .collect();
    if bad.is_empty() {
        return None;
    }
    let evidence = bad
        .iter()
        .filter_map(|c| {
            let field = c.security_context.as_ref()?.privileged.as_ref()?;
            Some(evidence!(
                pod,
                c.path(pod.spec_path, "securityContext.privileged"),
                field.pos,
            ))
        })
        .collect();
    forbid(
        ID,
        "privileged",
        format!(
            "{} must not set securityContext.privileged=true",
            containers_phrase(&names(&bad))
        ),
        evidence,
    )
}
