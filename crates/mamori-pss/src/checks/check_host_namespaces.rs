//! `hostNamespaces` (baseline, v1.0): sharing the host's network, PID or IPC namespace breaks pod isolation,
//! so `spec.hostNetwork`, `spec.hostPID` and `spec.hostIPC` must be unset or false.
//!
//! Reason `host namespaces`; detail the true ones in the fixed order `hostNetwork=true, hostPID=true,
//! hostIPC=true`. References: PSS "Host Namespaces" (baseline); upstream `policy/check_hostNamespaces.go`.

use super::{evidence, forbid};
use crate::check::{Check, VersionedCheck};
use crate::level::{Level, Version};
use crate::result::CheckResult;
use crate::view::{PodView, Spanned};

pub const ID: &str = "hostNamespaces";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck {
        minimum_version: Version::v1(0),
        check: host_namespaces_1_0,
        override_ids: &[],
    }],
};

fn host_namespaces_1_0(pod: &PodView) -> Option<CheckResult> {
    let fields = [
        ("hostNetwork", &pod.host_network),
        ("hostPID", &pod.host_pid),
        ("hostIPC", &pod.host_ipc),
    ];
    let is_true =
        |field: &Option<Spanned<bool>>| matches!(field, Some(Spanned { value: true, .. }));
    if !fields.iter().any(|(_, field)| is_true(field)) {
        return None;
    }
    let mut items = Vec::new();
    let mut found = Vec::new();
    for (name, field) in fields {
        if let Some(Spanned { value: true, pos }) = field {
            items.push(format!("{name}=true"));
            found.push(evidence!(pod, pod.spec_field(name), *pos));
        }
    }
    forbid(ID, "host namespaces", items.join(", "), found)
}
