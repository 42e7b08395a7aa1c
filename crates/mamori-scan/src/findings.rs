//! Objects → PSS evaluation → findings.

use crate::rules::rule;
use crate::{ObjectResult, ScanItem, ScanOptions};
use mamori_load::{parse_raw, LoadError, Loaded, RawDocument};
use mamori_model::finding::Location;
use mamori_model::{Finding, K8sObject, ObjectRef, Phase, Pos, Severity, SourceRef};
use mamori_pss::{pod_template, CheckResult, Evaluator, PodView, PssResult};

/// API groups whose kinds PSA extracts pod templates from. A custom resource that happens to be called `Job` or
/// `Pod` in another group has a different schema and is not evaluated.
fn is_workload_group(api_version: &str) -> bool {
    let group = api_version.split_once('/').map_or("", |(group, _)| group);
    matches!(group, "" | "apps" | "batch" | "extensions")
}

/// Parses one raw document and evaluates each object in it, appending the items in document order.
pub(crate) fn evaluate_loaded(
    doc: &RawDocument,
    opts: &ScanOptions,
    evaluator: &Evaluator,
    out: &mut Vec<ScanItem>,
) {
    for loaded in parse_raw(doc, &opts.limits) {
        out.push(match loaded {
            Loaded::Object(object) => evaluate_object(&object, opts, evaluator),
            Loaded::Note(note) => ScanItem::Note(note),
            Loaded::Error(err) => ScanItem::Error(err),
        });
    }
}

/// Evaluates one object at `opts.pss`: an [`ObjectResult`] with one finding per violated check, or an error
/// when a pod field PSA reads has the wrong type.
pub fn evaluate_object(object: &K8sObject, opts: &ScanOptions, evaluator: &Evaluator) -> ScanItem {
    let template = if is_workload_group(&object.id.api_version) {
        pod_template(&object.id.kind, &object.root)
    } else {
        None
    };
    let Some(template) = template else {
        return ScanItem::Object(ObjectResult {
            source: object.source.clone(),
            object: object.id.clone(),
            pss: None,
            findings: Vec::new(),
        });
    };
    let view = match PodView::from_template(&template) {
        Ok(view) => view,
        Err(err) => {
            return ScanItem::Error(LoadError {
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
    ScanItem::Object(ObjectResult {
        source: object.source.clone(),
        object: object.id.clone(),
        pss: Some(result),
        findings,
    })
}

/// One finding per violated check: rule `pss.<checkID>`, the upstream `<reason>: <detail>` message, located at
/// the first evidence (or at the pod spec when the check gave none).
pub fn findings_for(
    result: &PssResult,
    source: &SourceRef,
    object: &ObjectRef,
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
    object: &ObjectRef,
    spec_path: &str,
    spec_pos: Pos,
) -> Finding {
    let rule_id = format!("pss.{}", violation.check_id);
    let info = rule(&rule_id);
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
        remediation: info.map_or_else(String::new, |info| info.remediation.to_owned()),
    }
}
