//! `allowPrivilegeEscalation` (restricted, v1.8 and v1.25): privilege escalation (e.g. via setuid binaries)
//! must be disallowed, so every container must set `securityContext.allowPrivilegeEscalation: false`
//! explicitly (a missing securityContext, a missing field or `true` are all bad). From v1.25 Windows pods
//! (`spec.os.name: windows`) are exempt.
//!
//! Reason `allowPrivilegeEscalation != false`; detail `{container(s)} must set
//! securityContext.allowPrivilegeEscalation=false`. References: PSS "Privilege Escalation" (restricted);
//! upstream `policy/check_allowPrivilegeEscalation.go`.

use super::{evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::containers_phrase;
use crate::level::{Level, Version};
use crate::result::{CheckResult, Evidence};
use crate::view::{ContainerView, PodView, Spanned};

pub const ID: &str = "allowPrivilegeEscalation";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[
        VersionedCheck {
            minimum_version: Version::v1(8),
            check: allow_privilege_escalation_1_8,
            override_ids: &[],
        },
        VersionedCheck {
            minimum_version: Version::v1(25),
            check: allow_privilege_escalation_1_25,
            override_ids: &[],
        },
    ],
};

fn field(c: &ContainerView) -> Option<&Spanned<bool>> {
    c.security_context
        .as_ref()?
        .allow_privilege_escalation
        .as_ref()
}

fn allow_privilege_escalation_1_8(pod: &PodView) -> Option<CheckResult> {
    let bad: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| field(c).is_none_or(|f| f.value))
        .collect();
    if bad.is_empty() {
        return None;
    }
    let found: Vec<Evidence> = bad
        .iter()
        .map(|c| match field(c) {
            Some(f) => evidence!(
                pod,
                c.path(pod.spec_path, "securityContext.allowPrivilegeEscalation"),
                f.pos,
            ),
            None => evidence!(pod, c.path(pod.spec_path, ""), c.pos),
        })
        .collect();
    forbid(
        ID,
        "allowPrivilegeEscalation != false",
        format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers_phrase(&names(&bad))
        ),
        found,
    )
}

fn allow_privilege_escalation_1_25(pod: &PodView) -> Option<CheckResult> {
    if pod.windows {
        return None;
    }
    allow_privilege_escalation_1_8(pod)
}
