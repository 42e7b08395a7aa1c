//! `capabilities_restricted` (restricted, v1.22 and v1.25; overrides `capabilities_baseline`): containers
//! must drop all capabilities and may add back only `NET_BIND_SERVICE`. Per container:
//! `securityContext.capabilities.drop` must contain `"ALL"` (case-sensitive; a missing securityContext or
//! capabilities counts as not dropped) and every `add` entry other than `NET_BIND_SERVICE` is forbidden.
//! From v1.25 Windows pods are exempt (and, the baseline check being overridden, get no capability check).
//!
//! Reason `unrestricted capabilities`; detail a `"; "`-join of `{container(s)} must set
//! securityContext.capabilities.drop=["ALL"]` and `{container(s)} must not include {"sorted"} in
//! securityContext.capabilities.add`. References: PSS "Capabilities" (restricted); upstream
//! `policy/check_capabilities_restricted.go`.

use super::{check_capabilities_baseline, evidence, forbid, names};
use crate::check::{Check, VersionedCheck};
use crate::format::{containers_phrase, join_quote, sorted_set};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{CapabilitiesView, ContainerView, PodView};

pub const ID: &str = "capabilities_restricted";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[
        VersionedCheck {
            minimum_version: Version::v1(22),
            check: capabilities_restricted_1_22,
            override_ids: &[check_capabilities_baseline::ID],
        },
        VersionedCheck {
            minimum_version: Version::v1(25),
            check: capabilities_restricted_1_25,
            override_ids: &[check_capabilities_baseline::ID],
        },
    ],
};

const CAPABILITY_ALL: &str = "ALL";
const CAPABILITY_NET_BIND_SERVICE: &str = "NET_BIND_SERVICE";

fn capabilities(c: &ContainerView) -> Option<&CapabilitiesView> {
    c.security_context.as_ref()?.capabilities.as_ref()
}

fn missing_drop_all(c: &ContainerView) -> bool {
    capabilities(c).is_none_or(|caps| !caps.drop.iter().any(|d| d == CAPABILITY_ALL))
}

fn adds_forbidden(c: &ContainerView) -> bool {
    capabilities(c).is_some_and(|caps| {
        caps.add
            .iter()
            .any(|a| a.value != CAPABILITY_NET_BIND_SERVICE)
    })
}

fn capabilities_restricted_1_22(pod: &PodView) -> Option<CheckResult> {
    let missing: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| missing_drop_all(c))
        .collect();
    let adding: Vec<&ContainerView> = pod
        .containers
        .iter()
        .filter(|c| adds_forbidden(c))
        .collect();
    if missing.is_empty() && adding.is_empty() {
        return None;
    }
    let mut details = Vec::new();
    let mut found = Vec::new();
    if !missing.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&names(&missing))
        ));
        for c in &missing {
            found.push(match capabilities(c) {
                Some(caps) => evidence!(
                    pod,
                    c.path(pod.spec_path, "securityContext.capabilities"),
                    caps.pos,
                ),
                None => evidence!(pod, c.path(pod.spec_path, ""), c.pos),
            });
        }
    }
    if !adding.is_empty() {
        let mut forbidden = Vec::new();
        for c in &adding {
            let Some(caps) = capabilities(c) else {
                continue;
            };
            for (index, cap) in caps.add.iter().enumerate() {
                if cap.value != CAPABILITY_NET_BIND_SERVICE {
                    forbidden.push(cap.value.as_str());
                    found.push(evidence!(
                        pod,
                        c.path(
                            pod.spec_path,
                            &format!("securityContext.capabilities.add[{index}]"),
                        ),
                        cap.pos,
                    ));
                }
            }
        }
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&names(&adding)),
            join_quote(&sorted_set(forbidden))
        ));
    }
    forbid(ID, "unrestricted capabilities", details.join("; "), found)
}

fn capabilities_restricted_1_25(pod: &PodView) -> Option<CheckResult> {
    if pod.windows {
        return None;
    }
    capabilities_restricted_1_22(pod)
}
