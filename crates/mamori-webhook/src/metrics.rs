//! Prometheus metrics of the webhook (OpenMetrics text through `prometheus-client`).
//!
//! Every label set a request can reach is created up front or once per (namespace, rule) and then reused, so a
//! request increments existing counters without allocating. Namespaces are capped at
//! [`MAX_NAMESPACE_LABELS`] distinct values; later namespaces share the label value `_other`, which bounds the
//! cardinality whatever the cluster does.

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Distinct namespace label values kept in `mamori_admission_decisions_total`; the rest count as `_other`.
pub const MAX_NAMESPACE_LABELS: usize = 256;
/// Label value of namespaces beyond the cap.
pub const OTHER_NAMESPACE: &str = "_other";

/// HTTP status codes the server answers with; anything else is counted under `code="other"`.
const CODES: [u16; 10] = [200, 400, 404, 405, 408, 413, 415, 500, 503, 504];

/// A decision's mode as a label value.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum ModeLabel {
    /// The request was (or, under dry-run, would have been) denied by the rule.
    Deny,
    /// The rule produced a warning.
    Warn,
    /// The rule produced an audit annotation.
    Audit,
}

/// Why a request failed before (or instead of) a review, as a label value.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum ErrorKind {
    /// The body was at or above the size limit (413).
    BodyTooLarge,
    /// Content-Type was not exactly `application/json` (415).
    ContentType,
    /// Empty or unreadable body, or the engine rejected the review (400).
    BadRequest,
    /// The body did not arrive before the request deadline (408).
    Timeout,
    /// Not a POST on /validate (405).
    Method,
    /// The TLS handshake failed or timed out (no HTTP request was read).
    TlsHandshake,
}

impl ModeLabel {
    /// The label value: `deny`, `warn` or `audit`.
    pub fn label(self) -> &'static str {
        match self {
            ModeLabel::Deny => "deny",
            ModeLabel::Warn => "warn",
            ModeLabel::Audit => "audit",
        }
    }
}

impl ErrorKind {
    /// The label value, e.g. `body_too_large`.
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::BodyTooLarge => "body_too_large",
            ErrorKind::ContentType => "content_type",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Method => "method",
            ErrorKind::TlsHandshake => "tls_handshake",
        }
    }
}

const ERROR_KINDS: [ErrorKind; 6] = [
    ErrorKind::BodyTooLarge,
    ErrorKind::ContentType,
    ErrorKind::BadRequest,
    ErrorKind::Timeout,
    ErrorKind::Method,
    ErrorKind::TlsHandshake,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AllowedLabels {
    allowed: bool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    mode: &'static str,
    rule: String,
    namespace: String,
    enforced: bool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// Counters of one (namespace, rule): index = mode × 2 + enforced.
type DecisionCounters = [ShardedCounter; 6];

/// Shards of a [`ShardedCounter`]: at least the server's two workers, each on its own shard in the common case.
const COUNTER_SHARDS: usize = 4;

/// One shard, alone on its cache line pair (adjacent-line prefetching pairs 64-byte lines).
#[derive(Debug, Default)]
#[repr(align(128))]
struct CounterShard(AtomicU64);

/// A counter whose increments go to a per-thread shard, summed when scraped.
///
/// A violating pod increments ~20 decision counters, and both workers increment the same ones: with one atomic
/// per counter, each increment waited for the cache line to come back from the other core (`lock incq` was 80 %
/// of `Metrics::decisions`, 2.5 % of the server's CPU with the violating body). A thread keeps its shard for
/// life, so the workers' increments stay on their own lines.
#[derive(Clone, Debug, Default)]
pub struct ShardedCounter {
    shards: Arc<[CounterShard; COUNTER_SHARDS]>,
}

impl ShardedCounter {
    pub fn inc(&self) {
        thread_local! {
            static SHARD: usize = {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                NEXT.fetch_add(1, Ordering::Relaxed) % COUNTER_SHARDS
            };
        }
        let shard = SHARD.with(|shard| *shard);
        if let Some(CounterShard(count)) = self.shards.get(shard) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The sum of the shards (each read atomically; increments racing with the read land in this or the next
    /// scrape, as with one atomic).
    pub fn get(&self) -> u64 {
        self.shards
            .iter()
            .map(|CounterShard(count)| count.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

impl TypedMetric for ShardedCounter {
    const TYPE: MetricType = MetricType::Counter;
}

impl EncodeMetric for ShardedCounter {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_counter::<NoLabelSet, _, u64>(&self.get(), None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// All metrics of one server; shared by the connection tasks.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests_by_code: Vec<(u16, Counter)>,
    requests_other_code: Counter,
    reviews_allowed: Counter,
    reviews_denied: Counter,
    errors: Vec<(ErrorKind, Counter)>,
    decisions: Family<DecisionLabels, ShardedCounter>,
    /// namespace label value → rule id → counters; capped at MAX_NAMESPACE_LABELS namespaces.
    decision_cache: RwLock<HashMap<String, HashMap<String, DecisionCounters>>>,
    latency: Histogram,
    connections_open: Gauge,
    cert_reloads_ok: Counter,
    cert_reloads_failed: Counter,
    ready: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Registers every metric family and pre-creates the label sets known up front.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();

        let requests = Family::<CodeLabels, Counter>::default();
        registry.register(
            "mamori_admission_http_requests",
            "HTTP requests answered, by status code",
            requests.clone(),
        );
        let requests_by_code = CODES
            .iter()
            .map(|&code| {
                let label = code_label(code);
                (
                    code,
                    requests.get_or_create_owned(&CodeLabels { code: label }),
                )
            })
            .collect();
        let requests_other_code = requests.get_or_create_owned(&CodeLabels { code: "other" });

        let reviews = Family::<AllowedLabels, Counter>::default();
        registry.register(
            "mamori_admission_reviews",
            "AdmissionReviews answered, by verdict",
            reviews.clone(),
        );
        let reviews_allowed = reviews.get_or_create_owned(&AllowedLabels { allowed: true });
        let reviews_denied = reviews.get_or_create_owned(&AllowedLabels { allowed: false });

        let error_family = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "mamori_admission_errors",
            "Requests rejected before a review, by cause",
            error_family.clone(),
        );
        let errors = ERROR_KINDS
            .iter()
            .map(|&kind| {
                let labels = ErrorLabels { kind: kind.label() };
                (kind, error_family.get_or_create_owned(&labels))
            })
            .collect();

        let decisions = Family::<DecisionLabels, ShardedCounter>::default();
        registry.register(
            "mamori_admission_decisions",
            "Rule decisions by mode, rule id and namespace (enforced=false under dry-run); namespaces beyond the cap are _other",
            decisions.clone(),
        );

        // 25 µs … ~3.3 s: the interesting range is tens of µs to a few ms.
        let latency = Histogram::new(exponential_buckets(0.000_025, 2.0, 18));
        registry.register_with_unit(
            "mamori_admission_request_duration",
            "Time from request head to response for POST /validate",
            prometheus_client::registry::Unit::Seconds,
            latency.clone(),
        );

        let connections_open = Gauge::default();
        registry.register(
            "mamori_admission_connections_open",
            "TLS connections currently open",
            connections_open.clone(),
        );

        let reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "mamori_admission_certificate_reloads",
            "Serving certificate reloads after the files changed, by result",
            reloads.clone(),
        );
        let cert_reloads_ok = reloads.get_or_create_owned(&ResultLabels { result: "success" });
        let cert_reloads_failed = reloads.get_or_create_owned(&ResultLabels { result: "failure" });

        let ready = Gauge::default();
        registry.register(
            "mamori_admission_ready",
            "1 once the namespace (and pod) cache has synced",
            ready.clone(),
        );

        Metrics {
            registry,
            requests_by_code,
            requests_other_code,
            reviews_allowed,
            reviews_denied,
            errors,
            decisions,
            decision_cache: RwLock::new(HashMap::new()),
            latency,
            connections_open,
            cert_reloads_ok,
            cert_reloads_failed,
            ready,
        }
    }

    /// Counts one HTTP response.
    pub fn request(&self, code: u16) {
        match self
            .requests_by_code
            .iter()
            .find(|(known, _)| *known == code)
        {
            Some((_, counter)) => counter.inc(),
            None => self.requests_other_code.inc(),
        };
    }

    /// Records the latency of one POST /validate.
    pub fn latency(&self, elapsed: Duration) {
        self.latency.observe(elapsed.as_secs_f64());
    }

    /// Counts one answered review.
    pub fn review(&self, allowed: bool) {
        if allowed {
            self.reviews_allowed.inc();
        } else {
            self.reviews_denied.inc();
        }
    }

    /// Counts one request rejected before a review.
    pub fn error(&self, kind: ErrorKind) {
        if let Some((_, counter)) = self.errors.iter().find(|(known, _)| *known == kind) {
            counter.inc();
        }
    }

    /// Counts one rule decision in `namespace`.
    pub fn decision(&self, mode: ModeLabel, rule: &str, namespace: &str, enforced: bool) {
        self.decisions(namespace, [(mode, rule, enforced)]);
    }

    /// Counts the rule decisions of one review in `namespace`: `(mode, rule id, enforced)` each. The cache
    /// is locked and the namespace looked up once for all of them (a violating pod has one decision per
    /// failed check and mode, ~20 with restricted in all three modes).
    pub fn decisions<'r>(
        &self,
        namespace: &str,
        decisions: impl IntoIterator<Item = (ModeLabel, &'r str, bool)>,
    ) {
        // Counter index = mode × 2 + enforced (see `DecisionCounters`).
        let mut decisions = decisions
            .into_iter()
            .map(|(mode, rule, enforced)| (mode as usize * 2 + usize::from(enforced), rule))
            .peekable();
        if decisions.peek().is_none() {
            return;
        }
        let mut missing = Vec::new();
        if let Ok(cache) = self.decision_cache.read() {
            let rules = cache.get(namespace).or_else(|| {
                (real_namespace_count(&cache) >= MAX_NAMESPACE_LABELS)
                    .then(|| cache.get(OTHER_NAMESPACE))
                    .flatten()
            });
            for (index, rule) in decisions.by_ref() {
                match rules
                    .and_then(|rules| rules.get(rule))
                    .and_then(|counters| counters.get(index))
                {
                    Some(counter) => counter.inc(),
                    None => missing.push((index, rule)),
                }
            }
        }
        // A poisoned lock left `decisions` unread: those go the slow way too.
        missing.extend(decisions);
        for (index, rule) in missing {
            self.decision_slow(index, rule, namespace);
        }
    }

    /// First decision for this (namespace, rule): create its counters under the write lock.
    fn decision_slow(&self, index: usize, rule: &str, namespace: &str) {
        let Ok(mut cache) = self.decision_cache.write() else {
            return;
        };
        let namespace_label = if cache.contains_key(namespace)
            || real_namespace_count(&cache) < MAX_NAMESPACE_LABELS
        {
            namespace
        } else {
            OTHER_NAMESPACE
        };
        let rules = cache.entry(namespace_label.to_owned()).or_default();
        let counters = rules.entry(rule.to_owned()).or_insert_with(|| {
            let make = |mode: ModeLabel, enforced: bool| {
                self.decisions.get_or_create_owned(&DecisionLabels {
                    mode: mode.label(),
                    rule: rule.to_owned(),
                    namespace: namespace_label.to_owned(),
                    enforced,
                })
            };
            [
                make(ModeLabel::Deny, false),
                make(ModeLabel::Deny, true),
                make(ModeLabel::Warn, false),
                make(ModeLabel::Warn, true),
                make(ModeLabel::Audit, false),
                make(ModeLabel::Audit, true),
            ]
        });
        if let Some(counter) = counters.get(index) {
            counter.inc();
        }
    }

    /// A TLS connection opened (`true`) or closed (`false`).
    pub fn connection(&self, opened: bool) {
        if opened {
            self.connections_open.inc();
        } else {
            self.connections_open.dec();
        }
    }

    /// Counts one certificate reload attempt.
    pub fn cert_reload(&self, success: bool) {
        if success {
            self.cert_reloads_ok.inc();
        } else {
            self.cert_reloads_failed.inc();
        }
    }

    /// Sets the readiness gauge.
    pub fn set_ready(&self, ready: bool) {
        self.ready.set(i64::from(ready));
    }

    /// The OpenMetrics text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Namespaces with their own label value (`_other` is not one; namespace names cannot start with `_`).
fn real_namespace_count(cache: &HashMap<String, HashMap<String, DecisionCounters>>) -> usize {
    cache.len() - usize::from(cache.contains_key(OTHER_NAMESPACE))
}

fn code_label(code: u16) -> &'static str {
    match code {
        200 => "200",
        400 => "400",
        404 => "404",
        405 => "405",
        408 => "408",
        413 => "413",
        415 => "415",
        500 => "500",
        503 => "503",
        504 => "504",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_appear_in_the_exposition() {
        let metrics = Metrics::new();
        metrics.request(200);
        metrics.request(200);
        metrics.request(413);
        metrics.request(299);
        metrics.review(false);
        metrics.error(ErrorKind::BodyTooLarge);
        metrics.decision(ModeLabel::Deny, "image.latest-tag", "prod", true);
        metrics.decisions(
            "prod",
            [
                (ModeLabel::Deny, "image.latest-tag", true),
                (ModeLabel::Warn, "pss.privileged", false),
                (ModeLabel::Warn, "pss.privileged", false),
            ],
        );
        metrics.decisions("prod", []);
        metrics.latency(Duration::from_micros(40));
        let text = metrics.encode();
        assert!(
            text.contains("mamori_admission_http_requests_total{code=\"200\"} 2"),
            "{text}"
        );
        assert!(text.contains("mamori_admission_http_requests_total{code=\"413\"} 1"));
        assert!(text.contains("mamori_admission_http_requests_total{code=\"other\"} 1"));
        assert!(text.contains("mamori_admission_reviews_total{allowed=\"false\"} 1"));
        assert!(text.contains("mamori_admission_errors_total{kind=\"body_too_large\"} 1"));
        assert!(text.contains(
            "mamori_admission_decisions_total{mode=\"deny\",rule=\"image.latest-tag\",namespace=\"prod\",enforced=\"true\"} 2"
        ));
        assert!(text.contains(
            "mamori_admission_decisions_total{mode=\"warn\",rule=\"pss.privileged\",namespace=\"prod\",enforced=\"false\"} 2"
        ));
        assert!(text.contains("mamori_admission_request_duration_seconds_count 1"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn sharded_counts_from_many_threads_add_up_in_the_exposition() {
        let metrics = Metrics::new();
        std::thread::scope(|scope| {
            for _ in 0..COUNTER_SHARDS + 3 {
                scope.spawn(|| {
                    for _ in 0..1000 {
                        metrics.decision(ModeLabel::Audit, "pss.privileged", "shop", true);
                    }
                });
            }
        });
        let expected = (COUNTER_SHARDS + 3) * 1000;
        let text = metrics.encode();
        assert!(
            text.contains(&format!(
                "mamori_admission_decisions_total{{mode=\"audit\",rule=\"pss.privileged\",namespace=\"shop\",enforced=\"true\"}} {expected}\n"
            )),
            "{text}"
        );
        assert!(
            text.contains("# TYPE mamori_admission_decisions counter"),
            "{text}"
        );
    }

    #[test]
    fn namespace_labels_are_capped() {
        let metrics = Metrics::new();
        for index in 0..MAX_NAMESPACE_LABELS + 50 {
            metrics.decision(ModeLabel::Warn, "rule.a", &format!("ns-{index}"), true);
        }
        metrics.decision(ModeLabel::Warn, "rule.a", "ns-0", true);
        let text = metrics.encode();
        let series = text
            .lines()
            .filter(|line| line.starts_with("mamori_admission_decisions_total{"))
            .count();
        // Six series (mode × enforced) per namespace label value, the cap plus `_other`.
        assert_eq!(series, (MAX_NAMESPACE_LABELS + 1) * 6);
        assert!(text.contains("namespace=\"_other\",enforced=\"true\"} 50"));
        assert!(text.contains("rule=\"rule.a\",namespace=\"ns-0\",enforced=\"true\"} 2"));
    }
}
