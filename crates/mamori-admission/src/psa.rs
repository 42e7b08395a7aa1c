//! Pod Security Admission, as upstream's `admission/admission.go` decides it (§5.4–§5.8): pods (the only place
//! enforce applies), pod-template workloads (warn and audit only, fail open), namespaces (label validation, the
//! exempt warning and the relabel dry run over existing pods).

use crate::podsecurity::{ModePolicies, PodSecurityConfiguration};
use crate::policy::{
    aggregate, has_label, policy_to_evaluate, LabelError, AUDIT_LEVEL, AUDIT_VERSION,
    ENFORCE_LEVEL, ENFORCE_VERSION, WARN_LEVEL, WARN_VERSION,
};
use crate::review::{Cause, Details, Request, Response, Status};
use crate::state::{labels_of, ClusterState, NamespaceInfo, PodInfo};
use crate::{Decision, Mode};
use mamori_model::Node;
use mamori_pss::{go_quote, pod_template, Evaluator, Level, LevelVersion, PodView, PssResult};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Pod subresources PSA never evaluates (`ignoredPodSubresources`).
const IGNORED_POD_SUBRESOURCES: [&str; 8] = [
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

/// At most this many existing pods are checked when a namespace's enforce level is tightened.
pub(crate) const NAMESPACE_MAX_PODS_TO_CHECK: usize = 3000;
/// Time budget of that check (upstream's default `namespacePodCheckTimeout`).
const NAMESPACE_POD_CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// Resource (group, resource) → the kind whose pod template PSA extracts (`DefaultPodSpecExtractor`).
pub(crate) fn pod_controller_kind(group: &str, resource: &str) -> Option<&'static str> {
    Some(match (group, resource) {
        ("", "podtemplates") => "PodTemplate",
        ("", "replicationcontrollers") => "ReplicationController",
        ("apps", "replicasets") => "ReplicaSet",
        ("apps", "deployments") => "Deployment",
        ("apps", "daemonsets") => "DaemonSet",
        ("apps", "statefulsets") => "StatefulSet",
        ("batch", "jobs") => "Job",
        ("batch", "cronjobs") => "CronJob",
        _ => return None,
    })
}

pub(crate) fn ignored_pod_subresource(subresource: &str) -> bool {
    IGNORED_POD_SUBRESOURCES.contains(&subresource)
}

/// What PSA decided about one request.
#[derive(Default)]
pub(crate) struct Outcome {
    pub response: Response,
    pub exempt: Option<&'static str>,
    pub decisions: Vec<Decision>,
}

impl Outcome {
    fn exempt(kind: &'static str) -> Outcome {
        let mut outcome = Outcome {
            exempt: Some(kind),
            ..Outcome::default()
        };
        outcome.response.annotate("exempt", kind.to_owned());
        outcome
    }
}

pub(crate) struct Psa<'e> {
    pub config: &'e PodSecurityConfiguration,
    pub evaluator: &'e Evaluator,
    /// When the API server gives up on the request (its `?timeout=`); the relabel dry run takes at most half
    /// of what is left.
    pub request_deadline: Option<Instant>,
}

/// Upstream `GroupResource.String()`.
fn group_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_owned()
    } else {
        format!("{resource}.{group}")
    }
}

/// `apierrors.NewForbidden(groupResource, name, err)`.
pub(crate) fn forbidden(request: &Request, err: &str) -> Status {
    let qualified = group_resource(&request.group, &request.resource);
    let message = if request.name.is_empty() {
        format!("{qualified} is forbidden: {err}")
    } else {
        format!(
            "{qualified} {} is forbidden: {err}",
            go_quote(&request.name)
        )
    };
    Status {
        message,
        reason: "Forbidden",
        details: Some(Details {
            name: request.name.clone(),
            group: request.group.clone(),
            kind: request.resource.clone(),
            causes: Vec::new(),
        }),
        code: 403,
    }
}

/// `errorResponse(err, NewBadRequest(message))`: denied, with an `error` audit annotation.
fn bad_request(message: &str, err: Option<&str>) -> Outcome {
    let mut outcome = Outcome::default();
    outcome.response.status = Some(Status {
        message: message.to_owned(),
        reason: "BadRequest",
        details: None,
        code: 400,
    });
    let detail = err.map_or_else(|| message.to_owned(), |e| format!("{message}: {e}"));
    outcome.response.annotate("error", detail);
    outcome
}

/// A namespace lookup: the namespace (shared with the cache, not copied), or upstream's error text.
fn lookup_namespace(
    state: &dyn ClusterState,
    namespace: &str,
) -> Result<Arc<NamespaceInfo>, String> {
    match state.namespace(namespace) {
        Ok(Some(info)) => Ok(info),
        Ok(None) => Err(format!("namespaces {} not found", go_quote(namespace))),
        Err(err) => Err(err),
    }
}

/// Per-request cache of evaluations: one per (level, effective version), privileged never evaluated.
struct Results<'v> {
    view: &'v PodView,
    evaluator: &'v Evaluator,
    cache: Vec<(Level, mamori_pss::Version, PssResult)>,
}

impl Results<'_> {
    fn get(&mut self, lv: LevelVersion) -> &PssResult {
        let version = self.evaluator.effective_version(lv.version);
        let index = match self
            .cache
            .iter()
            .position(|(level, v, _)| *level == lv.level && *v == version)
        {
            Some(index) => index,
            None => {
                let result = if lv.level == Level::Privileged {
                    PssResult::default()
                } else {
                    self.evaluator.evaluate(lv, self.view)
                };
                self.cache.push((lv.level, version, result));
                self.cache.len() - 1
            }
        };
        // The index is in range: found above, or the element just pushed.
        &self.cache[index].2
    }
}

fn decisions_for(result: &PssResult, mode: Mode, enforced: bool, out: &mut Vec<Decision>) {
    out.extend(result.violations.iter().map(|v| Decision {
        mode,
        rule_id: format!("pss.{}", v.check_id),
        enforced,
    }));
}

impl Psa<'_> {
    fn exempt_namespace(&self, namespace: &str) -> bool {
        self.config
            .exemptions
            .namespaces
            .iter()
            .any(|n| n == namespace)
    }

    fn exempt_user(&self, username: &str) -> bool {
        self.config
            .exemptions
            .usernames
            .iter()
            .any(|u| u == username)
    }

    fn exempt_runtime_class(&self, runtime_class: Option<&str>) -> bool {
        runtime_class.is_some_and(|rc| {
            !rc.is_empty()
                && self
                    .config
                    .exemptions
                    .runtime_classes
                    .iter()
                    .any(|r| r == rc)
        })
    }

    /// The namespace, then the user exemption: what both validators check first (§5.5, §5.6).
    fn exempt_request(&self, request: &Request) -> Option<Outcome> {
        if self.exempt_namespace(&request.namespace) {
            Some(Outcome::exempt("namespace"))
        } else if self.exempt_user(&request.username) {
            Some(Outcome::exempt("user"))
        } else {
            None
        }
    }

    /// `ValidatePod` (§5.5).
    pub(crate) fn validate_pod(&self, request: &Request, state: &dyn ClusterState) -> Outcome {
        if ignored_pod_subresource(&request.subresource) {
            return Outcome::default();
        }
        if let Some(exempt) = self.exempt_request(request) {
            return exempt;
        }
        let namespace = match lookup_namespace(state, &request.namespace) {
            Ok(namespace) => namespace,
            Err(err) => {
                let message = format!(
                    "Internal error occurred: failed to lookup namespace {}",
                    go_quote(&request.namespace)
                );
                let mut outcome = Outcome::default();
                outcome
                    .response
                    .annotate("error", format!("{message}: {err}"));
                outcome.response.status = Some(Status {
                    message,
                    reason: "InternalError",
                    details: Some(Details {
                        causes: vec![Cause {
                            reason: "",
                            message: format!(
                                "failed to lookup namespace {}",
                                go_quote(&request.namespace)
                            ),
                            field: String::new(),
                        }],
                        ..Details::default()
                    }),
                    code: 500,
                });
                return outcome;
            }
        };
        let (policy, errors) = policy_to_evaluate(&namespace.labels, &self.config.defaults);
        if errors.is_empty() && policy.fully_privileged() {
            let mut outcome = Outcome::default();
            outcome
                .response
                .annotate("enforce-policy", "privileged:latest".to_owned());
            return outcome;
        }
        if request.operation != "UPDATE" {
            if let Some(pod) = request.object.scanned_pod("Pod") {
                if pod.object_kind.as_deref().is_some_and(|k| k != "Pod") {
                    return bad_request("failed to decode pod", None);
                }
                let runtime_class = pod.runtime_class.as_deref();
                return self.evaluate_pod(
                    &policy,
                    &errors,
                    &pod.view,
                    runtime_class,
                    request,
                    true,
                );
            }
        }
        let object = match request.object.get() {
            Ok(Some(object)) => object,
            Ok(None) => {
                return bad_request("failed to decode object", Some("request has no object"))
            }
            Err(err) => return bad_request("failed to decode object", Some(err)),
        };
        if object
            .get("kind")
            .and_then(Node::as_str)
            .is_some_and(|k| k != "Pod")
        {
            return bad_request("failed to decode pod", None);
        }
        if request.operation == "UPDATE" {
            let old = match request.old_object.get() {
                Ok(Some(old)) => old,
                Ok(None) => {
                    return bad_request(
                        "failed to decode old object",
                        Some("request has no oldObject"),
                    )
                }
                Err(err) => return bad_request("failed to decode old object", Some(err)),
            };
            if !is_significant_pod_update(object, old) {
                return Outcome::default();
            }
        }
        let Some(template) = pod_template("Pod", object) else {
            return bad_request("failed to decode pod", None);
        };
        let view = match PodView::from_template(&template).map(PodView::without_evidence) {
            Ok(view) => view,
            Err(err) => {
                return bad_request(
                    "failed to decode object",
                    Some(&format!("{}: {}", err.field_path, err.message)),
                )
            }
        };
        let runtime_class = runtime_class_of(template.spec);
        self.evaluate_pod(&policy, &errors, &view, runtime_class, request, true)
    }

    /// `ValidatePodController` (§5.6): warn and audit only; failures allow with an `error` annotation.
    pub(crate) fn validate_pod_controller(
        &self,
        request: &Request,
        kind: &str,
        state: &dyn ClusterState,
    ) -> Outcome {
        if !request.subresource.is_empty() {
            return Outcome::default();
        }
        if let Some(exempt) = self.exempt_request(request) {
            return exempt;
        }
        let namespace = match lookup_namespace(state, &request.namespace) {
            Ok(namespace) => namespace,
            Err(err) => {
                let mut outcome = Outcome::default();
                outcome.response.annotate(
                    "error",
                    format!(
                        "failed to lookup namespace {}: {err}",
                        go_quote(&request.namespace)
                    ),
                );
                return outcome;
            }
        };
        let (policy, errors) = policy_to_evaluate(&namespace.labels, &self.config.defaults);
        if errors.is_empty()
            && policy.warn.level == Level::Privileged
            && policy.audit.level == Level::Privileged
        {
            return Outcome::default();
        }
        let allow_with_error = |error: String| {
            let mut outcome = Outcome::default();
            outcome.response.annotate("error", error);
            outcome
        };
        if let Some(pod) = request.object.scanned_pod(kind) {
            let runtime_class = pod.runtime_class.as_deref();
            return self.evaluate_pod(&policy, &errors, &pod.view, runtime_class, request, false);
        }
        let object = match request.object.get() {
            Ok(Some(object)) => object,
            Ok(None) => {
                return allow_with_error(
                    "failed to decode object: request has no object".to_owned(),
                )
            }
            Err(err) => return allow_with_error(format!("failed to decode object: {err}")),
        };
        let Some(template) = pod_template(kind, object) else {
            // A ReplicationController without a template: nothing to evaluate.
            return Outcome::default();
        };
        let view = match PodView::from_template(&template).map(PodView::without_evidence) {
            Ok(view) => view,
            Err(err) => {
                return allow_with_error(format!(
                    "failed to extract pod template: {}: {}",
                    err.field_path, err.message
                ))
            }
        };
        let runtime_class = runtime_class_of(template.spec);
        self.evaluate_pod(&policy, &errors, &view, runtime_class, request, false)
    }

    /// `EvaluatePod` (§5.8), shared by pods (`enforce`) and templates.
    fn evaluate_pod(
        &self,
        policy: &ModePolicies,
        label_errors: &[LabelError],
        view: &PodView,
        runtime_class: Option<&str>,
        request: &Request,
        enforce: bool,
    ) -> Outcome {
        if self.exempt_runtime_class(runtime_class) {
            return Outcome::exempt("runtimeClass");
        }
        let mut outcome = Outcome::default();
        if !label_errors.is_empty() {
            outcome.response.annotate(
                "error",
                format!("Failed to parse policy: {}", aggregate(label_errors)),
            );
        }
        let mut results = Results {
            view,
            evaluator: self.evaluator,
            cache: Vec::with_capacity(3),
        };
        if enforce {
            outcome
                .response
                .annotate("enforce-policy", policy.enforce.to_string());
            let result = results.get(policy.enforce);
            if !result.allowed() {
                let err = format!(
                    "violates PodSecurity {}: {}",
                    go_quote(&policy.enforce.to_string()),
                    result.forbidden_detail()
                );
                decisions_for(result, Mode::Deny, true, &mut outcome.decisions);
                outcome.response.status = Some(forbidden(request, &err));
            }
        }
        let audit = results.get(policy.audit);
        if !audit.allowed() {
            let value = format!(
                "would violate PodSecurity {}: {}",
                go_quote(&policy.audit.to_string()),
                audit.forbidden_detail()
            );
            decisions_for(audit, Mode::Audit, true, &mut outcome.decisions);
            outcome.response.annotate("audit-violations", value);
        }
        if outcome.response.allowed() {
            let warn = results.get(policy.warn);
            if !warn.allowed() {
                let warning = format!(
                    "would violate PodSecurity {}: {}",
                    go_quote(&policy.warn.to_string()),
                    warn.forbidden_detail()
                );
                decisions_for(warn, Mode::Warn, true, &mut outcome.decisions);
                outcome.response.warnings.push(warning);
            }
        }
        outcome
    }

    /// `ValidateNamespace` (§5.7).
    pub(crate) fn validate_namespace(
        &self,
        request: &Request,
        state: &dyn ClusterState,
    ) -> Outcome {
        if !request.subresource.is_empty() {
            return Outcome::default();
        }
        let object = match request.object.get() {
            Ok(Some(object)) => object,
            Ok(None) => {
                return bad_request("failed to decode object", Some("request has no object"))
            }
            Err(err) => return bad_request("failed to decode object", Some(err)),
        };
        let Some(metadata) = object.get("metadata") else {
            return bad_request("failed to decode namespace", None);
        };
        let name = metadata
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or(&request.name);
        let labels = labels_of(metadata);
        let (new_policy, new_errors) = policy_to_evaluate(&labels, &self.config.defaults);
        // The API server names a namespace request's namespace after the namespace itself.
        let request_namespace = if request.namespace.is_empty() {
            name
        } else {
            &request.namespace
        };
        let exempt_warning = |outcome: &mut Outcome| {
            if self.exempt_namespace(request_namespace) {
                if let Some(warning) = self.exempt_namespace_warning(name, &new_policy, &labels) {
                    outcome.response.warnings.push(warning);
                }
            }
        };
        match request.operation.as_str() {
            "CREATE" => {
                if !new_errors.is_empty() {
                    return invalid(name, &new_errors);
                }
                let mut outcome = Outcome::default();
                exempt_warning(&mut outcome);
                outcome
            }
            "UPDATE" => {
                let old = match request.old_object.get() {
                    Ok(Some(old)) => old,
                    Ok(None) => {
                        return bad_request(
                            "failed to decode old object",
                            Some("request has no oldObject"),
                        )
                    }
                    Err(err) => return bad_request("failed to decode old object", Some(err)),
                };
                let old_labels = old.get("metadata").map(labels_of).unwrap_or_default();
                let (old_policy, old_errors) =
                    policy_to_evaluate(&old_labels, &self.config.defaults);
                if !new_errors.is_empty() && (old_errors.is_empty() || new_errors != old_errors) {
                    return invalid(name, &new_errors);
                }
                if new_policy.enforce == old_policy.enforce
                    || new_policy.enforce.level == Level::Privileged
                    || (new_policy.enforce.version == old_policy.enforce.version
                        && new_policy.enforce.level <= old_policy.enforce.level)
                {
                    return Outcome::default();
                }
                if self.exempt_namespace(request_namespace) {
                    let mut outcome = Outcome::default();
                    exempt_warning(&mut outcome);
                    return outcome;
                }
                let mut outcome = Outcome::default();
                outcome.response.warnings =
                    self.evaluate_pods_in_namespace(state, name, new_policy.enforce);
                outcome
            }
            _ => Outcome::default(),
        }
    }

    /// `exemptNamespaceWarning`: `None` when the policy is fully privileged or equivalent to the defaults.
    fn exempt_namespace_warning(
        &self,
        namespace: &str,
        policy: &ModePolicies,
        labels: &[(String, String)],
    ) -> Option<String> {
        if policy.fully_privileged() || policy.equivalent(&self.config.defaults) {
            return None;
        }
        let mut parts: Vec<String> = Vec::with_capacity(3);
        for (mode, lv, level_key, version_key) in [
            ("enforce", policy.enforce, ENFORCE_LEVEL, ENFORCE_VERSION),
            ("audit", policy.audit, AUDIT_LEVEL, AUDIT_VERSION),
            ("warn", policy.warn, WARN_LEVEL, WARN_VERSION),
        ] {
            if lv.level != Level::Privileged && has_label(labels, level_key, version_key) {
                parts.push(format!("{mode}={lv}"));
            }
        }
        Some(format!(
            "namespace {} is exempt from Pod Security, and the policy ({}) will be ignored",
            go_quote(namespace),
            parts.join(", ")
        ))
    }

    /// `EvaluatePodsInNamespace`: the dry run of a tightened enforce level over existing pods; warnings only.
    pub(crate) fn evaluate_pods_in_namespace(
        &self,
        state: &dyn ClusterState,
        namespace: &str,
        enforce: LevelVersion,
    ) -> Vec<String> {
        let now = Instant::now();
        let timeout = self
            .request_deadline
            .map_or(NAMESPACE_POD_CHECK_TIMEOUT, |end| {
                NAMESPACE_POD_CHECK_TIMEOUT.min(end.saturating_duration_since(now) / 2)
            });
        let deadline = now + timeout;
        let pods = match state.pods(namespace) {
            Ok(pods) => pods,
            Err(_) => {
                return vec![
                    "failed to list pods while checking new PodSecurity enforce level".to_owned(),
                ]
            }
        };
        let prioritized = self.prioritize_pods(&pods);
        let total = prioritized.len();
        let mut checked = total.min(NAMESPACE_MAX_PODS_TO_CHECK);
        // (reasons, smallest pod name, pod count), in first-seen order.
        let mut groups: Vec<(String, String, usize)> = Vec::new();
        for (index, pod) in prioritized.iter().take(checked).enumerate() {
            if let Some(reason) = self.pod_forbidden_reason(pod, enforce) {
                match groups.iter_mut().find(|(r, _, _)| *r == reason) {
                    Some(group) => {
                        if pod.name < group.1 {
                            group.1.clone_from(&pod.name);
                        }
                        group.2 += 1;
                    }
                    None => groups.push((reason, pod.name.clone(), 1)),
                }
            }
            if Instant::now() >= deadline {
                checked = index + 1;
                break;
            }
        }
        let mut warnings = Vec::with_capacity(groups.len() + 2);
        if checked < total {
            warnings.push(format!(
                "new PodSecurity enforce level only checked against the first {checked} of {total} existing pods"
            ));
        }
        if !groups.is_empty() {
            warnings.push(format!(
                "existing pods in namespace {} violate the new PodSecurity enforce level {}",
                go_quote(namespace),
                go_quote(&enforce.to_string())
            ));
        }
        let mut decorated: Vec<String> = groups
            .into_iter()
            .map(|(reason, name, count)| match count {
                1 => format!("{name}: {reason}"),
                2 => format!("{name} (and 1 other pod): {reason}"),
                n => format!("{name} (and {} other pods): {reason}", n - 1),
            })
            .collect();
        decorated.sort();
        warnings.extend(decorated);
        warnings
    }

    /// Exempt runtime classes dropped; pods without a controller and the first pod of each controller first,
    /// the other replicas after them (`prioritizePods`).
    fn prioritize_pods<'p>(&self, pods: &'p [std::sync::Arc<PodInfo>]) -> Vec<&'p PodInfo> {
        let mut first: Vec<&PodInfo> = Vec::with_capacity(pods.len());
        let mut replicas: Vec<&PodInfo> = Vec::new();
        let mut controllers: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for pod in pods {
            if self.exempt_runtime_class(pod.runtime_class.as_deref()) {
                continue;
            }
            match pod.controller_uid.as_deref() {
                None => first.push(pod),
                Some(uid) => {
                    if controllers.insert(uid) {
                        first.push(pod);
                    } else {
                        replicas.push(pod);
                    }
                }
            }
        }
        first.extend(replicas);
        first
    }

    /// `ForbiddenReason()` of an existing pod at `enforce`; `None` when allowed or unreadable.
    fn pod_forbidden_reason(&self, pod: &PodInfo, enforce: LevelVersion) -> Option<String> {
        let template = pod_template("Pod", &pod.object.root)?;
        let view = PodView::from_template(&template)
            .map(PodView::without_evidence)
            .ok()?;
        let result = self.evaluator.evaluate(enforce, &view);
        (!result.allowed()).then(|| result.forbidden_reason())
    }
}

fn runtime_class_of(spec: &Node) -> Option<&str> {
    spec.get("runtimeClassName").and_then(Node::as_str)
}

/// `apierrors.NewInvalid(Namespace, name, errs)`: 422 with apimachinery's message and causes.
fn invalid(name: &str, errors: &[LabelError]) -> Outcome {
    let mut outcome = Outcome::default();
    outcome.response.status = Some(Status {
        message: format!(
            "Namespace {} is invalid: {}",
            go_quote(name),
            aggregate(errors)
        ),
        reason: "Invalid",
        details: Some(Details {
            name: name.to_owned(),
            group: String::new(),
            kind: "Namespace".to_owned(),
            causes: errors
                .iter()
                .map(|e| Cause {
                    reason: "FieldValueInvalid",
                    message: e.body(),
                    field: e.field(),
                })
                .collect(),
        }),
        code: 422,
    });
    outcome
}

/// `isSignificantPodUpdate` (§5.5 step 6): container counts, images by index, ephemeral containers by name.
pub(crate) fn is_significant_pod_update(pod: &Node, old: &Node) -> bool {
    let list = |root: &Node, field: &str| -> Vec<(Option<String>, Option<String>)> {
        root.path(&["spec", field])
            .and_then(Node::as_seq)
            .map(|items| {
                items
                    .iter()
                    .map(|c| {
                        let text = |key: &str| c.get(key).and_then(Node::as_str).map(str::to_owned);
                        (text("name"), text("image"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for field in ["containers", "initContainers"] {
        let (new, previous) = (list(pod, field), list(old, field));
        if new.len() != previous.len() || new.iter().zip(&previous).any(|(a, b)| a.1 != b.1) {
            return true;
        }
    }
    let previous = list(old, "ephemeralContainers");
    list(pod, "ephemeralContainers")
        .iter()
        .any(
            |(name, image)| match previous.iter().find(|(old_name, _)| old_name == name) {
                None => true,
                Some((_, old_image)) => old_image != image,
            },
        )
}
