//! The rule catalogue: mamori's own checks beyond the Pod Security Standards, organised by the phases of the
//! cloud-native security lifecycle.
//!
//! One rule = one file under `src/rules/<group>/`, defining `pub static RULE: Rule` with its metadata (id, title,
//! severity, phase, rationale, remediation, references, a failing and a passing example) and its check. The
//! build script collects the files into [`CATALOGUE`]; nothing else needs editing to add a rule.
//!
//! Two kinds of check exist:
//! - [`Check::Object`] looks at one object at a time. It runs in the scan's parallel workers, streaming.
//! - [`Check::Inventory`] needs facts across objects (a namespace without a ResourceQuota, a kube-apiserver
//!   flag pointing at an EncryptionConfiguration file). The engine keeps only the objects of the kinds such rules
//!   declare in [`Inventory`] and runs them once at the end.

mod context;
pub mod util;

pub use util::{containers, glob_match, pod_template_of, ContainerRef};

pub use context::{Emitter, Inventory, ObjectCtx, RuleSettings};

use mamori_model::{Phase, Severity};

include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// Where a rule's guidance comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// Kubernetes Pod Security Standards.
    Pss,
    /// CIS Kubernetes Benchmark (the id is the recommendation number, e.g. `5.1.3`).
    Cis,
    /// NSA/CISA Kubernetes Hardening Guide.
    NsaCisa,
    /// MITRE ATT&CK for containers (technique id, e.g. `T1611`).
    MitreAttack,
    /// Kubernetes documentation page.
    K8sDocs,
    /// A CVE.
    Cve,
}

/// One reference of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    pub kind: RefKind,
    /// `5.1.3`, `T1611`, `CVE-2020-8554`, or a short label for docs.
    pub id: &'static str,
    pub url: &'static str,
}

/// What a rule says about itself: everything `mamori rules explain` prints and SARIF's rule help carries.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    /// Stable id, `<group>.<name>` in kebab case, e.g. `workload.resources-missing`. Never reused.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub phase: Phase,
    /// Why it matters (a paragraph).
    pub rationale: &'static str,
    /// What to change, concretely.
    pub remediation: &'static str,
    pub references: &'static [Reference],
    /// A manifest (one or more YAML documents) on which the rule fires.
    pub fail_example: &'static str,
    /// The same manifest fixed: the rule does not fire.
    pub pass_example: &'static str,
    /// Settings (mamori.yaml) the examples are evaluated with; `None` = defaults.
    pub example_settings: Option<fn() -> RuleSettings>,
}

/// How a rule looks at the input.
#[derive(Clone, Copy)]
pub enum Check {
    /// Per object, in the parallel workers.
    Object(fn(&ObjectCtx<'_>, &mut Emitter<'_>)),
    /// Once, at the end, over the objects of the listed kinds.
    Inventory {
        kinds: &'static [&'static str],
        check: fn(&Inventory, &RuleSettings, &mut Emitter<'_>),
    },
    /// Like `Inventory`, but only objects for which `keep` is true are kept: rules over kinds that are
    /// numerous on real clusters (Pods, workloads) keep just what they read, so memory stays flat.
    InventoryFiltered {
        kinds: &'static [&'static str],
        keep: fn(&mamori_model::K8sObject, &RuleSettings) -> bool,
        check: fn(&Inventory, &RuleSettings, &mut Emitter<'_>),
    },
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Object(_) => f.write_str("Check::Object"),
            Check::Inventory { kinds, .. } => write!(f, "Check::Inventory({kinds:?})"),
            Check::InventoryFiltered { kinds, .. } => {
                write!(f, "Check::InventoryFiltered({kinds:?})")
            }
        }
    }
}

/// A rule of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    CATALOGUE.iter().copied().find(|r| r.meta.id == id)
}

/// Whether the engine must keep `object` for the inventory rules: an inventory rule declared its kind and, for
/// filtered rules, its `keep` predicate accepts it. `kinds` is [`inventory_kinds`], a cheap first filter.
pub fn wanted_by_inventory(
    object: &mamori_model::K8sObject,
    kinds: &[&str],
    settings: &RuleSettings,
) -> bool {
    let kind = object.id.kind.as_str();
    if !kinds.contains(&kind) {
        return false;
    }
    CATALOGUE.iter().any(|rule| match rule.check {
        Check::Inventory { kinds, .. } => kinds.contains(&kind),
        Check::InventoryFiltered { kinds, keep, .. } => {
            kinds.contains(&kind) && keep(object, settings)
        }
        Check::Object(_) => false,
    })
}

/// The union of the kinds inventory rules need (the engine keeps only objects of these kinds, filtered by
/// [`wanted_by_inventory`]).
pub fn inventory_kinds() -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = CATALOGUE
        .iter()
        .filter_map(|r| match r.check {
            Check::Inventory { kinds, .. } | Check::InventoryFiltered { kinds, .. } => {
                Some(kinds.iter().copied())
            }
            Check::Object(_) => None,
        })
        .flatten()
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

/// Which rules run: the engine passes the configured enable/disable decision.
pub type RuleFilter<'a> = &'a dyn Fn(&Rule) -> bool;

/// Runs every enabled object rule on one object, appending findings.
pub fn run_object_rules(
    object: &mamori_model::K8sObject,
    settings: &RuleSettings,
    enabled: RuleFilter<'_>,
    out: &mut Vec<mamori_model::Finding>,
) {
    let ctx = ObjectCtx {
        object,
        pod: pod_template_of(object),
        settings,
    };
    for rule in CATALOGUE {
        if let Check::Object(check) = rule.check {
            if enabled(rule) {
                check(&ctx, &mut Emitter::new(&rule.meta, out));
            }
        }
    }
}

/// Runs every enabled inventory rule once over the collected objects, appending findings.
pub fn run_inventory_rules(
    inventory: &Inventory,
    settings: &RuleSettings,
    enabled: RuleFilter<'_>,
    out: &mut Vec<mamori_model::Finding>,
) {
    for rule in CATALOGUE {
        if let Check::Inventory { check, .. } | Check::InventoryFiltered { check, .. } = rule.check
        {
            if enabled(rule) {
                check(inventory, settings, &mut Emitter::new(&rule.meta, out));
            }
        }
    }
}

/// Convenience for tests, examples and `rules explain`: every enabled rule over a set of objects (object rules
/// in order, then inventory rules).
pub fn evaluate_all(
    objects: &[mamori_model::K8sObject],
    settings: &RuleSettings,
    enabled: RuleFilter<'_>,
) -> Vec<mamori_model::Finding> {
    let kinds = inventory_kinds();
    let mut out = Vec::new();
    let mut inventory = Inventory::default();
    for object in objects {
        run_object_rules(object, settings, enabled, &mut out);
        if wanted_by_inventory(object, &kinds, settings) {
            inventory.add(object.clone());
        }
    }
    run_inventory_rules(&inventory, settings, enabled, &mut out);
    out
}
