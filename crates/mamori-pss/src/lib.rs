//! The Pod Security Standards engine: a faithful re-implementation of Kubernetes' `pod-security-admission`
//! evaluation (levels, policy versions, the 19 checks, the versioned registry with overrides, exact
//! upstream messages), over mamori's positioned document tree.
//!
//! Typical use: [`pod_template`] finds the pod spec of a workload, [`PodView::from_template`] reads the fields
//! PSA looks at (once; [`scan_pod_json`] reads them straight from JSON text), and [`Evaluator::evaluate`] checks it at any [`LevelVersion`]. Nothing here prints,
//! exits or panics on input.

pub mod check;
pub mod checks;
mod evaluator;
mod format;
mod level;
mod quote;
pub mod registry;
mod result;
mod template;
mod view;
mod view_json;

pub use check::{Check, CheckFn, VersionedCheck};
pub use evaluator::Evaluator;
pub use level::{Level, LevelParseError, LevelVersion, Version, VersionParseError};
pub use quote::go_quote;
pub use registry::{RegistryError, DEFAULT_CHECKS};
pub use result::{CheckResult, Evidence, PssResult};
pub use template::{pod_template, PodTemplate};
pub use view::{ContainerList, FieldError, PodView, ViewOptions};
pub use view_json::{scan_pod_json, ScannedPod};

use mamori_model::Node;

/// Evaluates every pod-bearing object at every level and every version 1.0..=max plus `latest`, for fuzz
/// targets: `kind`/`root` come from arbitrary input; nothing may panic. Returns how many evaluations ran
/// (0 when the object is not pod-bearing or its fields have the wrong type).
pub fn evaluate_everywhere(evaluator: &Evaluator, kind: &str, root: &Node) -> usize {
    let Some(template) = pod_template(kind, root) else {
        return 0;
    };
    let Ok(view) = PodView::from_template(&template) else {
        return 0;
    };
    let max_minor = evaluator.max_version().minor().unwrap_or(0);
    let versions = (0..=max_minor + 1)
        .map(Version::v1)
        .chain(std::iter::once(Version::LATEST));
    let mut evaluated = 0;
    for version in versions {
        for level in Level::ALL {
            let result = evaluator.evaluate(LevelVersion::new(level, version), &view);
            // Formatting is part of what must not panic.
            let _ = result.forbidden_detail();
            evaluated += 1;
        }
    }
    evaluated
}
