//! Objects → PSS evaluation → findings.

use crate::rules::pss_rule;
use crate::{ObjectResult, Rendered, ScanItem, ScanOptions};
use mamori_load::{parse_raw, LoadError, Loaded, Note, RawDocument};
use mamori_model::finding::Location;
use mamori_model::{Finding, K8sObject, ObjectRef, Phase, Pos, Severity, SourceRef};
use mamori_pss::{pod_template, CheckResult, Evaluator, PodView, PssResult};
use std::borrow::Cow;
use std::sync::Arc;

/// API groups whose kinds PSA extracts pod templates from. A custom resource that happens to be called `Job` or
/// `Pod` in another group has a different schema and is not evaluated.
fn is_workload_group(api_version: &str) -> bool {
    let group = api_version.split_once('/').map_or("", |(group, _)| group);
    matches!(group, "" | "apps" | "batch" | "extensions")
}

/// The kinds the inventory rules enabled under `opts` need (empty when the catalogue is off). Computed once
/// per scan: only objects of these kinds are kept until the end.
pub(crate) fn inventory_kinds(opts: &ScanOptions) -> Vec<&'static str> {
    if !opts.rules.catalogue {
        return Vec::new();
    }
    let policy = &*opts.rules.policy;
    let mut kinds: Vec<&'static str> = mamori_rules::CATALOGUE
        .iter()
        .filter(|rule| policy.rule_enabled(rule.meta.id))
        .filter_map(|rule| match rule.check {
            mamori_rules::Check::Inventory { kinds, .. }
            | mamori_rules::Check::InventoryFiltered { kinds, .. } => Some(kinds.iter().copied()),
            mamori_rules::Check::Object(_) => None,
        })
        .flatten()
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

/// Parses one raw document and evaluates each object in it, appending the items in document order; objects
/// the inventory rules need are also appended to `inventory`.
pub(crate) fn evaluate_loaded(
    doc: &RawDocument,
    opts: &ScanOptions,
    evaluator: &Evaluator,
    out: &mut Vec<ScanItem>,
    inventory_kinds: &[&str],
    inventory: &mut Vec<K8sObject>,
) {
    for loaded in parse_raw(doc, &opts.limits) {
        match loaded {
            Loaded::Object(object) => {
                evaluate_into(&object, opts, evaluator, out);
                // Cheap kind test first; filtered rules then keep only the objects they read.
                if mamori_rules::wanted_by_inventory(
                    &object,
                    inventory_kinds,
                    &opts.rules.policy.config().settings,
                ) {
                    inventory.push(object);
                }
            }
            Loaded::Note(note) => out.push(ScanItem::Note(note)),
            Loaded::Error(err) => out.push(ScanItem::Error(err)),
        }
    }
}

/// Evaluates one object: an [`ObjectResult`] with the PSS findings at `opts.pss` and (when enabled) the
/// catalogue's object rules, after the policy; or an error when a pod field PSA reads has the wrong type. A
/// note about an unusable `mamori.io/exempt` annotation is dropped here; [`evaluate_object_items`] keeps it.
pub fn evaluate_object(object: &K8sObject, opts: &ScanOptions, evaluator: &Evaluator) -> ScanItem {
    let mut items = Vec::with_capacity(1);
    evaluate_into(object, opts, evaluator, &mut items);
    // The object result (or error) is always pushed last, after any note.
    items
        .pop()
        .unwrap_or_else(|| ScanItem::Object(empty_result(object)))
}

/// [`evaluate_object`] with its notes: an ignored exemption annotation comes first as a [`ScanItem::Note`].
pub fn evaluate_object_items(
    object: &K8sObject,
    opts: &ScanOptions,
    evaluator: &Evaluator,
) -> Vec<ScanItem> {
    let mut items = Vec::with_capacity(1);
    evaluate_into(object, opts, evaluator, &mut items);
    items
}

fn empty_result(object: &K8sObject) -> ObjectResult {
    ObjectResult {
        source: object.source.clone(),
        object: object.id.clone(),
        pss: None,
        findings: Vec::new(),
        suppressed: Vec::new(),
        rendered: None,
    }
}

fn evaluate_into(
    object: &K8sObject,
    opts: &ScanOptions,
    evaluator: &Evaluator,
    out: &mut Vec<ScanItem>,
) {
    let mut result = match evaluate_pss(object, opts, evaluator) {
        Ok(result) => result,
        Err(err) => {
            out.push(ScanItem::Error(err));
            return;
        }
    };
    let policy = &*opts.rules.policy;
    if opts.rules.catalogue {
        mamori_rules::run_object_rules(
            object,
            &policy.config().settings,
            &|rule| policy.rule_enabled(rule.meta.id),
            &mut result.findings,
        );
    }
    let exemption = match mamori_config::exemption(object) {
        None => None,
        Some(Ok(exemption)) => Some(exemption),
        Some(Err(err)) => {
            out.push(ScanItem::Note(Note {
                file: object.source.file.clone(),
                pos: err.pos,
                message: format!("error: {}", err.message),
            }));
            None
        }
    };
    policy.apply(
        &mut result.findings,
        exemption.as_ref(),
        &mut result.suppressed,
    );
    if let Some(hook) = &opts.render {
        let mut rendered = Rendered::default();
        // On failure the consumer renders the findings itself (and meets the error there).
        if (hook.0)(&result, &mut rendered).is_ok() {
            result.rendered = Some(rendered);
        }
    }
    out.push(ScanItem::Object(result));
}

/// The PSS part: the object's result with its `pss.*` findings (none for objects without a pod template).
fn evaluate_pss(
    object: &K8sObject,
    opts: &ScanOptions,
    evaluator: &Evaluator,
) -> Result<ObjectResult, LoadError> {
    let template = if is_workload_group(&object.id.api_version) {
        pod_template(&object.id.kind, &object.root)
    } else {
        None
    };
    let Some(template) = template else {
        return Ok(empty_result(object));
    };
    let view = match PodView::from_template(&template) {
        Ok(view) => view,
        Err(err) => {
            return Err(LoadError {
                file: object.source.file.clone(),
                pos: if err.pos.is_known() {
                    err.pos
                } else {
                    object.source.pos
                },
                message: format!("{}: {}", err.field_path, err.message),
            });
        }
    };
    let result = evaluator.evaluate(opts.pss, &view);
    let spec_pos = if template.spec.pos.is_known() {
        template.spec.pos
    } else {
        object.source.pos
    };
    let findings = findings_for(
        &result,
        &object.source,
        &object.id,
        template.spec_path,
        spec_pos,
    );
    Ok(ObjectResult {
        source: object.source.clone(),
        object: object.id.clone(),
        pss: Some(result),
        findings,
        suppressed: Vec::new(),
        rendered: None,
    })
}

/// One finding per violated check: rule `pss.<checkID>`, the upstream `<reason>: <detail>` message, located at
/// the first evidence (or at the pod spec when the check gave none).
pub fn findings_for(
    result: &PssResult,
    source: &SourceRef,
    object: &Arc<ObjectRef>,
    spec_path: &str,
    spec_pos: Pos,
) -> Vec<Finding> {
    result
        .violations
        .iter()
        .map(|violation| finding(violation, source, object, spec_path, spec_pos))
        .collect()
}

fn finding(
    violation: &CheckResult,
    source: &SourceRef,
    object: &Arc<ObjectRef>,
    spec_path: &str,
    spec_pos: Pos,
) -> Finding {
    let info = pss_rule(violation.check_id);
    let rule_id: Cow<'static, str> = info.map_or_else(
        || Cow::Owned(format!("pss.{}", violation.check_id)),
        |info| Cow::Borrowed(info.id),
    );
    let (field_path, pos) = match violation.evidence.first() {
        Some(evidence) if evidence.pos.is_known() => (evidence.field_path.clone(), evidence.pos),
        Some(evidence) => (evidence.field_path.clone(), spec_pos),
        None => (spec_path.to_owned(), spec_pos),
    };
    let message = if violation.detail.is_empty() {
        violation.reason.clone()
    } else {
        format!("{}: {}", violation.reason, violation.detail)
    };
    Finding {
        rule_id,
        // An unknown check id cannot come from the 19 upstream checks; default to high rather than hide it.
        severity: info.map_or(Severity::High, |info| info.severity),
        phase: info.map_or(Phase::RuntimeCompute, |info| info.phase),
        object: object.clone(),
        location: Location {
            file: source.file.clone(),
            doc_index: source.doc_index,
            pos,
            field_path,
        },
        message,
        remediation: info.map_or(Cow::Borrowed(""), |info| Cow::Borrowed(info.remediation)),
    }
}
