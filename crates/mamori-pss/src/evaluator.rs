//! Evaluation of a pod at a level/version (`checkRegistry.EvaluatePod`).

use crate::check::Check;
use crate::level::{Level, LevelVersion, Version};
use crate::registry::{self, RegistryError, Tables, DEFAULT_CHECKS};
use crate::result::PssResult;
use crate::view::PodView;

/// Evaluates pods against the Pod Security Standards. Build once (the per-version tables are precomputed)
/// and share; evaluation is a table lookup plus the active checks, allocation-free when the pod is allowed.
#[derive(Debug, Clone)]
pub struct Evaluator {
    tables: Tables,
    /// The version `latest` and newer explicit versions resolve to.
    clamp_minor: u64,
}

impl Default for Evaluator {
    fn default() -> Self {
        Evaluator::new()
    }
}

impl Evaluator {
    /// The evaluator over upstream's 19 checks; `latest` resolves to the newest policy version (v1.37).
    pub fn new() -> Evaluator {
        debug_assert!(registry::validate(DEFAULT_CHECKS).is_ok());
        let tables = Tables::build(DEFAULT_CHECKS);
        Evaluator {
            clamp_minor: tables.max_minor,
            tables,
        }
    }

    /// An evaluator over a custom check list, validated like upstream's `NewEvaluator`.
    pub fn with_checks(checks: &[&Check]) -> Result<Evaluator, RegistryError> {
        registry::validate(checks)?;
        let tables = Tables::build(checks);
        Ok(Evaluator {
            clamp_minor: tables.max_minor,
            tables,
        })
    }

    /// Lowers what `latest` (and newer explicit versions) resolve to, as the in-tree plugin does when the
    /// cluster emulates an older Kubernetes version. Versions newer than the check set are ignored.
    pub fn with_emulation_version(mut self, emulation: Version) -> Evaluator {
        if let Some(minor) = emulation.minor() {
            self.clamp_minor = self.tables.max_minor.min(minor);
        }
        self
    }

    /// The newest policy version the checks define (what `latest` means without emulation).
    pub fn max_version(&self) -> Version {
        Version::v1(self.tables.max_minor)
    }

    /// The explicit version a LevelVersion is evaluated at (the displayed string is never clamped).
    pub fn effective_version(&self, version: Version) -> Version {
        Version::v1(self.effective_minor(version))
    }

    fn effective_minor(&self, version: Version) -> u64 {
        version
            .minor()
            .map_or(self.clamp_minor, |minor| minor.min(self.clamp_minor))
    }

    /// IDs of the checks evaluated at `lv`, in message order (baseline IDs sorted, then restricted IDs
    /// sorted, overridden ones removed).
    pub fn active_check_ids(&self, lv: LevelVersion) -> impl Iterator<Item = &'static str> + '_ {
        self.tables
            .active(lv.level, self.effective_minor(lv.version))
            .iter()
            .map(|a| a.id)
    }

    /// Evaluates `pod` at `lv`. Privileged evaluates nothing.
    pub fn evaluate(&self, lv: LevelVersion, pod: &PodView) -> PssResult {
        if lv.level == Level::Privileged {
            return PssResult::default();
        }
        let mut violations = Vec::new();
        for active in self
            .tables
            .active(lv.level, self.effective_minor(lv.version))
        {
            if let Some(result) = (active.check)(pod) {
                violations.push(result);
            }
        }
        PssResult { violations }
    }
}
