//! mamori admission decisions: AdmissionReview v1 in, PSA-compatible verdicts and catalogue rule modes out
//! (no I/O: the server supplies the body and a [`ClusterState`], and writes back [`Reviewed::body`]).
//!
//! Two layers decide every request:
//! - **Pod Security Admission**, exactly as upstream's webhook (`k8s.io/pod-security-admission`): namespace
//!   labels with the [`PodSecurityConfiguration`] defaults and exemptions; enforce on pods only; warn and audit
//!   on pods and pod-template workloads; the namespace relabel dry run. Messages, warnings and audit
//!   annotations carry upstream's text, so `kubectl` prints the same lines.
//! - **mamori's rule catalogue** (when a mamori.yaml [`mamori_config::Config`] is given): the object rules, run
//!   through `mamori_scan::evaluate_object` with the policy of `mamori scan` (disabled rules, exceptions with
//!   expiry, `mamori.io/exempt`), each fired rule in the mode `admission:` gives it for the namespace.
//!   A denied rule is one line `mamori: <rule id>: <message>` of the rejection message (appended after Pod
//!   Security's own message when both reject); a warned rule is one warning of the same form; audited rules
//!   go, one per line, to the `mamori-audit` audit annotation.
//!
//! **Dry run** (`EngineSettings::dry_run` or `admission.dryRun`): nothing is rejected. Each line of what would
//! have been the rejection message becomes a warning `(dry-run) <line>`, and the audit annotation
//! `mamori-dry-run-denied` records the message.

mod catalogue;
mod podsecurity;
mod policy;
mod psa;
mod review;
mod state;

pub use mamori_config::AdmissionMode as Mode;
pub use podsecurity::{
    parse_pod_security_configuration, Exemptions, ModePolicies, PodSecurityConfiguration,
};
pub use review::RESPONSE_HEAD;
pub use state::{ClusterState, NamespaceInfo, PodInfo};

use mamori_config::{AdmissionSettings, Date, Policy};
use mamori_model::{K8sObject, ObjectRef, Pos, SourceRef};
use mamori_pss::{Evaluator, Level, LevelVersion, Version};
use mamori_scan::{RuleOptions, ScanOptions};
use psa::{ignored_pod_subresource, is_significant_pod_update, pod_controller_kind, Outcome, Psa};
use review::{Details, Request, Status};
use std::fmt;
use std::sync::Arc;

/// Everything the engine is built from, once.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Pod Security defaults and exemptions (`--pod-security-config`); the default is privileged everywhere.
    pub pod_security: PodSecurityConfiguration,
    /// mamori.yaml; `None` = Pod Security only (no catalogue rules at admission).
    pub config: Option<mamori_config::Config>,
    /// Turn every deny into a `(dry-run)` warning (also switched on by `admission.dryRun` in mamori.yaml).
    pub dry_run: bool,
    /// The day exceptions expire against (`expires` is inclusive).
    pub today: Date,
}

/// The admission decision engine. `Send + Sync`: build it once and share it between server threads.
pub struct Engine {
    pod_security: PodSecurityConfiguration,
    evaluator: Evaluator,
    catalogue: Option<Catalogue>,
    dry_run: bool,
    /// How much of each request's objects is built: only what Pod Security reads when no catalogue rule runs.
    object_parts: review::ObjectParts,
}

/// The catalogue part, resolved once: the scan options (policy included) and the rule modes.
struct Catalogue {
    options: ScanOptions,
    admission: AdmissionSettings,
    source_file: Arc<str>,
}

/// One review's outcome: the response body and what the server needs for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewed {
    /// The JSON AdmissionReview with `response` (the request echoed back verbatim); see `echo`.
    pub body: Vec<u8>,
    /// `None` from [`Engine::review`]: `body` is the whole response. `Some(range)` from
    /// [`Engine::review_echoing`]: the response is [`RESPONSE_HEAD`], then `input[range]` (the request, echoed
    /// from the reviewed input without a copy), then `body`, which holds only the rest.
    pub echo: Option<std::ops::Range<usize>>,
    pub uid: String,
    pub allowed: bool,
    pub operation: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    /// `request.name` (empty when the API server has not assigned one yet, e.g. `generateName`).
    pub name: String,
    /// One per (mode, rule) that fired: `pss.<checkID>` for Pod Security (enforce → `Deny`), catalogue ids.
    pub decisions: Vec<Decision>,
    /// `Some("namespace" | "user" | "runtimeClass")` when Pod Security exempted the request.
    pub exempt: Option<&'static str>,
}

/// A rule that fired in a mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub mode: Mode,
    pub rule_id: String,
    /// False for a deny under dry-run (it was only a warning).
    pub enforced: bool,
}

/// An HTTP-level rejection (→ 400): the body is not a usable `admission.k8s.io/v1` AdmissionReview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewError {
    pub message: String,
}

impl fmt::Display for ReviewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReviewError {}

/// The audit annotation listing audited catalogue rules, one `mamori: <rule id>: <message>` per line.
pub const AUDIT_ANNOTATION: &str = "mamori-audit";
/// The audit annotation recording the rejection a dry run turned into warnings.
pub const DRY_RUN_ANNOTATION: &str = "mamori-dry-run-denied";
/// The prefix of a warning that would have been a rejection without dry-run.
pub const DRY_RUN_PREFIX: &str = "(dry-run) ";

impl Engine {
    /// Resolves the settings once (policy bound to `today`, rule modes, PSS tables).
    pub fn new(settings: EngineSettings) -> Result<Engine, String> {
        let config_dry_run = settings
            .config
            .as_ref()
            .is_some_and(|c| c.admission.dry_run);
        let catalogue = settings.config.map(|config| {
            let admission = config.admission.clone();
            let policy = Arc::new(Policy::new(config, settings.today));
            // As `mamori scan` builds them (crates/mamori-cli/src/cmd/scan_setup.rs), except that Pod Security
            // is evaluated at privileged (no checks): at admission the namespace labels decide it.
            let mut options = ScanOptions::new(
                LevelVersion::new(Level::Privileged, Version::LATEST),
                mamori_yaml::Limits::default(),
                1,
            );
            options.rules = RuleOptions {
                catalogue: true,
                policy,
            };
            Catalogue {
                options,
                admission,
                source_file: Arc::from("admission"),
            }
        });
        let object_parts = match catalogue {
            Some(_) => review::ObjectParts::AllButBookkeeping,
            None => review::ObjectParts::PodSecurity,
        };
        Ok(Engine {
            pod_security: settings.pod_security,
            evaluator: Evaluator::new(),
            catalogue,
            dry_run: settings.dry_run || config_dry_run,
            object_parts,
        })
    }

    /// Builds every request object in full (bookkeeping aside), as with catalogue rules, even when only Pod
    /// Security runs. Without catalogue rules the engine otherwise builds just the fields Pod Security reads,
    /// which gives the same responses faster; this switch lets tests and benchmarks compare the two.
    pub fn with_full_objects(mut self) -> Engine {
        self.object_parts = review::ObjectParts::AllButBookkeeping;
        self
    }

    /// Whether denies are turned into warnings.
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// The mamori.yaml policy in force (exception use counts included), when a config was given.
    pub fn policy(&self) -> Option<&Policy> {
        self.catalogue.as_ref().map(|c| &*c.options.rules.policy)
    }

    /// One HTTP body → the response body. `Err` only for HTTP-level rejections (→ 400): not JSON, not an
    /// `admission.k8s.io/v1` AdmissionReview, no request or uid. Never panics; never allows by accident (an
    /// unreadable pod is denied; a namespace lookup failure denies pods).
    pub fn review(&self, body: &[u8], state: &dyn ClusterState) -> Result<Reviewed, ReviewError> {
        self.review_inner(body, state, None, false)
    }

    /// [`Engine::review_with_deadline`] for a server that sends the response in parts: the echoed request is
    /// returned as a range of `body` ([`Reviewed::echo`]) instead of being copied into the response.
    pub fn review_echoing(
        &self,
        body: &[u8],
        state: &dyn ClusterState,
        deadline: Option<std::time::Instant>,
    ) -> Result<Reviewed, ReviewError> {
        self.review_inner(body, state, deadline, true)
    }

    /// [`Engine::review`] for a request the API server abandons at `deadline` (the webhook's `?timeout=`): the
    /// namespace relabel dry run then stops after half the remaining time, as upstream's does.
    pub fn review_with_deadline(
        &self,
        body: &[u8],
        state: &dyn ClusterState,
        deadline: std::time::Instant,
    ) -> Result<Reviewed, ReviewError> {
        self.review_inner(body, state, Some(deadline), false)
    }

    fn review_inner(
        &self,
        body: &[u8],
        state: &dyn ClusterState,
        deadline: Option<std::time::Instant>,
        echo_in_place: bool,
    ) -> Result<Reviewed, ReviewError> {
        let mut request =
            review::decode(body, self.object_parts).map_err(|message| ReviewError { message })?;
        let psa = Psa {
            config: &self.pod_security,
            evaluator: &self.evaluator,
            request_deadline: deadline,
        };
        let creates_or_updates = matches!(request.operation.as_str(), "CREATE" | "UPDATE");
        let mut outcome = if !creates_or_updates {
            Outcome::default()
        } else {
            match (request.group.as_str(), request.resource.as_str()) {
                ("", "pods") => psa.validate_pod(&request, state),
                ("", "namespaces") => psa.validate_namespace(&request, state),
                (group, resource) => match pod_controller_kind(group, resource) {
                    Some(kind) => psa.validate_pod_controller(&request, kind, state),
                    None => Outcome::default(),
                },
            }
        };
        let verdicts = match &self.catalogue {
            Some(catalogue) if creates_or_updates && catalogue_applies(&request) => {
                catalogue.verdicts(&mut request, &self.evaluator, self.dry_run)
            }
            _ => Ok(catalogue::RuleVerdicts::default()),
        };
        let mut response = outcome.response;
        let verdicts = verdicts.unwrap_or_else(|err| {
            // An object the catalogue cannot read is not admitted unchecked.
            if response.allowed() {
                response.status = Some(Status {
                    message: "failed to decode object".to_owned(),
                    reason: "BadRequest",
                    details: None,
                    code: 400,
                });
                response.annotate("error", format!("failed to decode object: {err}"));
            }
            catalogue::RuleVerdicts::default()
        });

        if !verdicts.deny.is_empty() {
            let lines = verdicts.deny.join("\n");
            match &mut response.status {
                Some(status) => {
                    status.message.push('\n');
                    status.message.push_str(&lines);
                }
                None => {
                    response.status = Some(Status {
                        message: lines,
                        reason: "Forbidden",
                        details: Some(Details {
                            name: request.name.clone(),
                            group: request.group.clone(),
                            kind: request.resource.clone(),
                            causes: Vec::new(),
                        }),
                        code: 403,
                    })
                }
            }
        }
        if self.dry_run {
            if let Some(status) = response.status.take() {
                let mut warnings: Vec<String> = status
                    .message
                    .lines()
                    .map(|line| format!("{DRY_RUN_PREFIX}{line}"))
                    .collect();
                warnings.append(&mut response.warnings);
                response.warnings = warnings;
                response.annotate(DRY_RUN_ANNOTATION, status.message);
            }
            for decision in &mut outcome.decisions {
                if decision.mode == Mode::Deny {
                    decision.enforced = false;
                }
            }
        }
        if response.allowed() {
            response.warnings.extend(verdicts.warn);
        }
        if !verdicts.audit.is_empty() {
            response.annotate(AUDIT_ANNOTATION, verdicts.audit.join("\n"));
        }
        let mut decisions = outcome.decisions;
        decisions.extend(verdicts.decisions);
        // The request is a slice of the input (both decoders borrow it): its range follows from the addresses.
        // An address inside the input is a position in it, and `get` checks that the whole span is.
        let echo = echo_in_place
            .then(|| {
                let start = (request.raw.as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
                let range = start..start.checked_add(request.raw.len())?;
                body.get(range.clone()).map(|_| range)
            })
            .flatten();
        let body = match echo {
            Some(_) => review::response_tail(&request.uid, &response),
            None => review::write_body(request.raw, &request.uid, &response),
        };
        Ok(Reviewed {
            body,
            echo,
            allowed: response.allowed(),
            uid: request.uid,
            operation: request.operation,
            resource: request.resource,
            subresource: request.subresource,
            namespace: request.namespace,
            name: request.name,
            decisions,
            exempt: outcome.exempt,
        })
    }
}

/// Catalogue rules look at what is created or changed: main resources, and pods' evaluated subresources
/// (`ephemeralcontainers`); a pod UPDATE only when significant (§5.5: images or containers changed), as the
/// rest of a pod spec is immutable.
fn catalogue_applies(request: &Request) -> bool {
    let is_pod = request.group.is_empty() && request.resource == "pods";
    // Pods' evaluated subresources (ephemeralcontainers, resize) carry the whole pod; others are skipped.
    let evaluated_subresource = is_pod && !ignored_pod_subresource(&request.subresource);
    if !request.subresource.is_empty() && !evaluated_subresource {
        return false;
    }
    if is_pod && request.operation == "UPDATE" {
        if let (Ok(Some(object)), Ok(Some(old))) = (request.object.get(), request.old_object.get())
        {
            return is_significant_pod_update(object, old);
        }
    }
    true
}

impl Catalogue {
    /// The catalogue's verdicts on the request's object; `Err` when the object cannot be decoded (it is then
    /// rejected rather than admitted unchecked).
    fn verdicts(
        &self,
        request: &mut Request,
        evaluator: &Evaluator,
        dry_run: bool,
    ) -> Result<catalogue::RuleVerdicts, String> {
        let Some(root) = request.object.take()? else {
            return Ok(catalogue::RuleVerdicts::default());
        };
        let mut id = ObjectRef::from_node(&root);
        if id.namespace.is_none() && !request.namespace.is_empty() {
            id.namespace = Some(request.namespace.clone());
        }
        if id.name.is_empty() {
            id.name.clone_from(&request.name);
        }
        let object = K8sObject {
            source: SourceRef {
                file: self.source_file.clone(),
                doc_index: 0,
                pos: Pos::UNKNOWN,
            },
            id: Arc::new(id),
            root,
        };
        let findings = catalogue::findings(&object, &self.options, evaluator);
        let verdicts = catalogue::verdicts(&findings, &self.admission, &request.namespace, dry_run);
        request.object.put(object.root);
        Ok(verdicts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Engine>();
    }
}
