//! Every Prometheus metric of the service: names, help texts, label sets and buckets live here
//! and nowhere else.
//!
//! [`Metrics`] owns its own [`Registry`]; nothing is ever registered in the `prometheus` default
//! registry, so two instances (two tests) never share a counter. Business code does not touch
//! metric objects: it calls verbs such as [`Metrics::record_consumed`] or
//! [`Metrics::produce_error`]. Label values come from closed enums with `as_str()`, and every
//! child whose labels are fixed is resolved once at construction, so the hot path never looks a
//! label set up. The per-code counter is driven through [`EventCounters`], which caches its
//! children per catalog.
//!
//! This module must not log per record, perform I/O other than exposition, or let free text
//! (an unknown status code, a topic chosen by a producer) become an unbounded label value;
//! the only exception, `topic`/`partition` on the consumer-lag gauge, is bounded by the
//! consumer's assignment.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus::core::Collector;
use prometheus::{
    Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, Result, TextEncoder,
};

use crate::catalog::{Catalog, Component, Severity};
use crate::enrich::Outcome;
use crate::event::{InvalidReason, LogType};

/// The content type of [`Metrics::encode`] output (Prometheus text exposition format 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `code` label of records whose code is not in the catalog.
pub const UNKNOWN_CODE_LABEL: &str = "__unknown__";

/// `code` label of records that carry no status code.
pub const NO_CODE_LABEL: &str = "__none__";

/// Buckets of `zpa_enricher_processing_duration_seconds`: 1 µs to 10 ms.
const PROCESSING_BUCKETS: [f64; 11] = [
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 2.5e-3, 1e-2,
];

/// Buckets of `zpa_enricher_end_to_end_latency_seconds`: 1 ms to 5 min.
const END_TO_END_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Where a produced record went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// The output topic.
    Output,
    /// The dead-letter topic.
    Dlq,
}

impl Destination {
    /// Every destination, in declaration order.
    pub const ALL: [Destination; 2] = [Destination::Output, Destination::Dlq];

    /// The `destination` label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Destination::Output => "output",
            Destination::Dlq => "dlq",
        }
    }
}

/// The class of a failed produce attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProduceErrorKind {
    /// The producer's local queue was full (retried after a pause).
    QueueFull,
    /// The delivery timed out (`message.timeout.ms`).
    Timeout,
    /// The broker rejected the record.
    Broker,
    /// Anything else.
    Other,
}

impl ProduceErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ProduceErrorKind; 4] = [
        ProduceErrorKind::QueueFull,
        ProduceErrorKind::Timeout,
        ProduceErrorKind::Broker,
        ProduceErrorKind::Other,
    ];

    /// The `kind` label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ProduceErrorKind::QueueFull => "queue_full",
            ProduceErrorKind::Timeout => "timeout",
            ProduceErrorKind::Broker => "broker",
            ProduceErrorKind::Other => "other",
        }
    }
}

/// A consumer-group rebalance event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RebalanceKind {
    /// Partitions were assigned.
    Assign,
    /// Partitions were revoked.
    Revoke,
    /// The assignment was lost (session timeout, fenced member).
    Lost,
}

impl RebalanceKind {
    /// Every kind, in declaration order.
    pub const ALL: [RebalanceKind; 3] = [
        RebalanceKind::Assign,
        RebalanceKind::Revoke,
        RebalanceKind::Lost,
    ];

    /// The `kind` label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RebalanceKind::Assign => "assign",
            RebalanceKind::Revoke => "revoke",
            RebalanceKind::Lost => "lost",
        }
    }
}

/// Registers `collector` in `registry` and hands it back.
fn register<C: Collector + Clone + 'static>(registry: &Registry, collector: C) -> Result<C> {
    registry.register(Box::new(collector.clone()))?;
    Ok(collector)
}

fn counter(registry: &Registry, name: &str, help: &str) -> Result<IntCounter> {
    register(registry, IntCounter::with_opts(Opts::new(name, help))?)
}

fn counter_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<IntCounterVec> {
    register(registry, IntCounterVec::new(Opts::new(name, help), labels)?)
}

fn gauge(registry: &Registry, name: &str, help: &str) -> Result<IntGauge> {
    register(registry, IntGauge::with_opts(Opts::new(name, help))?)
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<IntGaugeVec> {
    register(registry, IntGaugeVec::new(Opts::new(name, help), labels)?)
}

fn histogram(registry: &Registry, name: &str, help: &str, buckets: &[f64]) -> Result<Histogram> {
    let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
    register(registry, Histogram::with_opts(opts)?)
}

/// `usize` to a gauge value, saturating (a count never comes near `i64::MAX`).
fn gauge_value(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// All metrics of the service, in their own registry.
///
/// Share it as `Arc<Metrics>`; every method takes `&self` and is cheap (an atomic operation),
/// except [`Metrics::encode`] and the catalog and consumer-lag updates, which are rare.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    events: IntCounterVec,
    records_consumed: IntCounter,
    /// Indexed by `Destination as usize`.
    records_produced: [IntCounter; Destination::ALL.len()],
    /// Indexed by `InvalidReason as usize`.
    records_invalid: [IntCounter; InvalidReason::ALL.len()],
    /// Indexed by `InvalidReason as usize`.
    records_dead_lettered: [IntCounter; InvalidReason::ALL.len()],
    /// Indexed by `ProduceErrorKind as usize`.
    produce_errors: [IntCounter; ProduceErrorKind::ALL.len()],
    in_flight: IntGauge,
    paused: IntGauge,
    ready: IntGauge,
    assigned_partitions: IntGauge,
    /// Indexed by `RebalanceKind as usize`.
    rebalances: [IntCounter; RebalanceKind::ALL.len()],
    commits_success: IntCounter,
    commits_failure: IntCounter,
    processing_duration: Histogram,
    end_to_end_latency: Histogram,
    consumer_lag: IntGaugeVec,
    catalog_entries: IntGauge,
    catalog_info: IntGaugeVec,
    code_info: IntGaugeVec,
    catalog_reloads_success: IntCounter,
    catalog_reloads_failure: IntCounter,
    catalog_loaded_timestamp: Gauge,
    unknown_codes: IntGauge,
    /// The version currently exported by `catalog_info`, so that a new catalog can remove the
    /// old series. `None` until the first catalog is loaded; a mutex because loads are rare and
    /// may come from a reload task.
    catalog_version: Mutex<Option<String>>,
}

impl Metrics {
    /// Creates every metric in a fresh registry. `librdkafka_version` is exported as a label of
    /// `zpa_enricher_build_info`.
    ///
    /// # Errors
    /// Only if a metric definition is invalid (names, labels and buckets are constants, so the
    /// unit tests would catch that) or the process collector cannot be registered.
    pub fn new(librdkafka_version: &str) -> Result<Self> {
        let r = Registry::new();

        let events = counter_vec(
            &r,
            "zpa_enricher_events_total",
            "Enriched records by log type and status code (code __unknown__ for codes not in \
             the catalog, __none__ for records without a code).",
            &["log_type", "code", "component", "severity", "category"],
        )?;
        let produced = counter_vec(
            &r,
            "zpa_enricher_records_produced_total",
            "Records whose delivery was acknowledged, by destination.",
            &["destination"],
        )?;
        let invalid = counter_vec(
            &r,
            "zpa_enricher_records_invalid_total",
            "Records that could not be read, by reason.",
            &["reason"],
        )?;
        let dead_lettered = counter_vec(
            &r,
            "zpa_enricher_records_dead_lettered_total",
            "Records sent to the dead-letter topic, by reason.",
            &["reason"],
        )?;
        let produce_errors = counter_vec(
            &r,
            "zpa_enricher_produce_errors_total",
            "Failed produce attempts, by kind.",
            &["kind"],
        )?;
        let rebalances = counter_vec(
            &r,
            "zpa_enricher_rebalances_total",
            "Consumer-group rebalance events, by kind.",
            &["kind"],
        )?;
        let commits = counter_vec(
            &r,
            "zpa_enricher_commits_total",
            "Offset commits, by result.",
            &["result"],
        )?;
        let catalog_reloads = counter_vec(
            &r,
            "zpa_enricher_catalog_reloads_total",
            "Catalog reloads after the initial load, by result.",
            &["result"],
        )?;

        let build_info = IntGauge::with_opts(
            Opts::new(
                "zpa_enricher_build_info",
                "Build information; the value is always 1.",
            )
            .const_label("version", env!("CARGO_PKG_VERSION"))
            .const_label("librdkafka", librdkafka_version),
        )?;
        register(&r, build_info)?.set(1);

        #[cfg(target_os = "linux")]
        r.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;

        Ok(Self {
            events,
            records_consumed: counter(
                &r,
                "zpa_enricher_records_consumed_total",
                "Records received from the input topic.",
            )?,
            records_produced: Destination::ALL.map(|d| produced.with_label_values(&[d.as_str()])),
            records_invalid: InvalidReason::ALL.map(|x| invalid.with_label_values(&[x.as_str()])),
            records_dead_lettered: InvalidReason::ALL
                .map(|x| dead_lettered.with_label_values(&[x.as_str()])),
            produce_errors: ProduceErrorKind::ALL
                .map(|k| produce_errors.with_label_values(&[k.as_str()])),
            in_flight: gauge(
                &r,
                "zpa_enricher_in_flight",
                "Records sent to the producer and not yet acknowledged.",
            )?,
            paused: gauge(
                &r,
                "zpa_enricher_paused",
                "1 while consumption is paused by backpressure.",
            )?,
            ready: gauge(&r, "zpa_enricher_ready", "1 when /readyz answers 200.")?,
            assigned_partitions: gauge(
                &r,
                "zpa_enricher_assigned_partitions",
                "Input partitions currently assigned to this consumer.",
            )?,
            rebalances: RebalanceKind::ALL.map(|k| rebalances.with_label_values(&[k.as_str()])),
            commits_success: commits.with_label_values(&["success"]),
            commits_failure: commits.with_label_values(&["failure"]),
            processing_duration: histogram(
                &r,
                "zpa_enricher_processing_duration_seconds",
                "Time to enrich one record.",
                &PROCESSING_BUCKETS,
            )?,
            end_to_end_latency: histogram(
                &r,
                "zpa_enricher_end_to_end_latency_seconds",
                "Delivery acknowledgement time minus the input record's timestamp.",
                &END_TO_END_BUCKETS,
            )?,
            consumer_lag: gauge_vec(
                &r,
                "zpa_enricher_consumer_lag_messages",
                "Consumer lag per assigned input partition, from librdkafka statistics.",
                &["topic", "partition"],
            )?,
            catalog_entries: gauge(
                &r,
                "zpa_enricher_catalog_entries",
                "Entries in the catalog in use.",
            )?,
            catalog_info: gauge_vec(
                &r,
                "zpa_enricher_catalog_info",
                "The version of the catalog in use; the value is always 1.",
                &["version"],
            )?,
            code_info: gauge_vec(
                &r,
                "zpa_enricher_code_info",
                "One series per catalog entry with its status text and classification, to join \
                 onto zpa_enricher_events_total by code; the value is always 1.",
                &["code", "status", "component", "severity", "category"],
            )?,
            catalog_reloads_success: catalog_reloads.with_label_values(&["success"]),
            catalog_reloads_failure: catalog_reloads.with_label_values(&["failure"]),
            catalog_loaded_timestamp: register(
                &r,
                Gauge::with_opts(Opts::new(
                    "zpa_enricher_catalog_loaded_timestamp_seconds",
                    "Unix time at which the catalog in use was loaded.",
                ))?,
            )?,
            unknown_codes: gauge(
                &r,
                "zpa_enricher_unknown_codes",
                "Distinct status codes not in the catalog seen since start (capped).",
            )?,
            catalog_version: Mutex::new(None),
            registry: r,
        })
    }

    /// The registry holding every metric of this instance.
    #[must_use]
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Renders every metric in the Prometheus text exposition format ([`CONTENT_TYPE`]).
    #[must_use]
    pub fn encode(&self) -> String {
        match TextEncoder::new().encode_to_string(&self.registry.gather()) {
            Ok(text) => text,
            Err(error) => {
                // Only malformed metric families fail to encode, and all of ours are built from
                // constants; answer with what Prometheus reads as an empty scrape.
                tracing::warn!(%error, "cannot encode metrics");
                String::new()
            }
        }
    }

    /// One record was received from the input topic.
    pub fn record_consumed(&self) {
        self.records_consumed.inc();
    }

    /// The delivery of one record to `destination` was acknowledged.
    pub fn record_produced(&self, destination: Destination) {
        self.records_produced[destination as usize].inc();
    }

    /// One record could not be read.
    pub fn record_invalid(&self, reason: InvalidReason) {
        self.records_invalid[reason as usize].inc();
    }

    /// One record was sent to the dead-letter topic.
    pub fn record_dead_lettered(&self, reason: InvalidReason) {
        self.records_dead_lettered[reason as usize].inc();
    }

    /// One produce attempt failed.
    pub fn produce_error(&self, kind: ProduceErrorKind) {
        self.produce_errors[kind as usize].inc();
    }

    /// Records sent and not yet acknowledged.
    pub fn set_in_flight(&self, n: usize) {
        self.in_flight.set(gauge_value(n));
    }

    /// Consumption is paused (`true`) or resumed (`false`) by backpressure.
    pub fn set_paused(&self, paused: bool) {
        self.paused.set(i64::from(paused));
    }

    /// `/readyz` answers 200 (`true`) or 503 (`false`).
    pub fn set_ready(&self, ready: bool) {
        self.ready.set(i64::from(ready));
    }

    /// Input partitions currently assigned.
    pub fn set_assigned_partitions(&self, n: usize) {
        self.assigned_partitions.set(gauge_value(n));
    }

    /// A rebalance event happened.
    pub fn rebalance(&self, kind: RebalanceKind) {
        self.rebalances[kind as usize].inc();
    }

    /// An offset commit finished, successfully or not.
    pub fn commit(&self, ok: bool) {
        if ok {
            self.commits_success.inc();
        } else {
            self.commits_failure.inc();
        }
    }

    /// Time taken to enrich one record.
    pub fn observe_processing(&self, elapsed: Duration) {
        self.processing_duration.observe(elapsed.as_secs_f64());
    }

    /// Delivery acknowledgement time minus the input record's timestamp.
    pub fn observe_end_to_end(&self, latency: Duration) {
        self.end_to_end_latency.observe(latency.as_secs_f64());
    }

    /// Sets the lag of one partition.
    pub fn set_consumer_lag(&self, topic: &str, partition: i32, lag: i64) {
        let partition = partition.to_string();
        self.consumer_lag
            .with_label_values(&[topic, partition.as_str()])
            .set(lag);
    }

    /// Replaces every lag series with `lags` (`(topic, partition, lag)`), so that partitions no
    /// longer assigned disappear.
    pub fn replace_consumer_lag<T: AsRef<str>>(&self, lags: &[(T, i32, i64)]) {
        self.consumer_lag.reset();
        for (topic, partition, lag) in lags {
            self.set_consumer_lag(topic.as_ref(), *partition, *lag);
        }
    }

    /// Removes every lag series (for example when the assignment is revoked).
    pub fn clear_consumer_lag(&self) {
        self.consumer_lag.reset();
    }

    /// A catalog was loaded and is now in use. The first call is the initial load; later calls
    /// count as successful reloads. The `catalog_info` series of the previous version is
    /// removed.
    pub fn catalog_loaded(&self, catalog: &Catalog) {
        let mut current = self
            .catalog_version
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = current.as_deref() {
            if old != catalog.version() {
                // Err only means the series did not exist; nothing to remove then.
                let _removed = self.catalog_info.remove_label_values(&[old]);
            }
            self.catalog_reloads_success.inc();
        }
        self.catalog_info
            .with_label_values(&[catalog.version()])
            .set(1);
        *current = Some(catalog.version().to_owned());
        drop(current);

        self.code_info.reset();
        for entry in catalog.entries() {
            self.code_info
                .with_label_values(&[
                    entry.code.as_str(),
                    entry.status.as_str(),
                    entry.component.as_str(),
                    entry.severity.as_str(),
                    entry.category.as_str(),
                ])
                .set(1);
        }
        self.catalog_entries.set(gauge_value(catalog.len()));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        self.catalog_loaded_timestamp.set(now.as_secs_f64());
    }

    /// A catalog reload failed; the previous catalog stays in use.
    pub fn catalog_reload_failed(&self) {
        self.catalog_reloads_failure.inc();
    }

    /// The number of distinct unknown codes seen so far (see [`UnknownCodes::distinct`]).
    pub fn unknown_code_seen_count(&self, n: usize) {
        self.unknown_codes.set(gauge_value(n));
    }
}

/// Number of `component` label values of unknown codes: every component, plus `unknown`.
const UNKNOWN_COMPONENTS: usize = Component::ALL.len() + 1;

/// The per-code counter `zpa_enricher_events_total`, with its children cached for one catalog.
///
/// Build one per catalog (and rebuild it when the catalog is replaced). The first record of a
/// given (log type, code) pair resolves the labelled child; every later one is an index into a
/// `Vec` and an atomic increment. Series of a previous catalog are kept: they are counters, and
/// removing them would lose counts.
#[derive(Debug)]
pub struct EventCounters {
    events: IntCounterVec,
    catalog: Arc<Catalog>,
    unknown_severity: Severity,
    /// Known codes, indexed by `log_type as usize * catalog.len() + entry.index()`.
    known: Vec<Option<IntCounter>>,
    /// Unknown codes, indexed by `log_type as usize * UNKNOWN_COMPONENTS + component`, where
    /// the component is the one guessed from the code, or the last slot for `unknown`.
    unknown: Vec<Option<IntCounter>>,
    /// Records without a code, indexed by `log_type as usize`.
    none: Vec<Option<IntCounter>>,
}

impl EventCounters {
    /// Prepares the counters of `catalog`. Codes not in the catalog are counted with
    /// `unknown_severity`.
    #[must_use]
    pub fn new(metrics: &Metrics, catalog: Arc<Catalog>, unknown_severity: Severity) -> Self {
        let log_types = LogType::ALL.len();
        Self {
            events: metrics.events.clone(),
            known: vec![None; log_types * catalog.len()],
            unknown: vec![None; log_types * UNKNOWN_COMPONENTS],
            none: vec![None; log_types],
            catalog,
            unknown_severity,
        }
    }

    /// The catalog these counters were prepared for.
    #[must_use]
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Counts one enriched record. [`Outcome::Invalid`] is not counted here (see
    /// [`Metrics::record_invalid`]).
    pub fn count(&mut self, outcome: &Outcome<'_>) {
        match outcome {
            Outcome::Known {
                entry, log_type, ..
            } => {
                let n = self.catalog.len();
                debug_assert!(entry.index() < n, "entry id from another catalog");
                let Some(e) = self.catalog.entries().get(entry.index()) else {
                    // An id from another catalog: a caller bug. Count it without a code rather
                    // than panic on the hot path.
                    self.count_unknown(*log_type, None);
                    return;
                };
                let slot = &mut self.known[*log_type as usize * n + entry.index()];
                slot.get_or_insert_with(|| {
                    self.events.with_label_values(&[
                        log_type.as_str(),
                        e.code.as_str(),
                        e.component.as_str(),
                        e.severity.as_str(),
                        e.category.as_str(),
                    ])
                })
                .inc();
            }
            Outcome::Unknown { code, log_type, .. } => {
                self.count_unknown(*log_type, Component::guess_from_code(code));
            }
            Outcome::NoCode { log_type } => {
                self.none[*log_type as usize]
                    .get_or_insert_with(|| {
                        self.events.with_label_values(&[
                            log_type.as_str(),
                            NO_CODE_LABEL,
                            "none",
                            Severity::Info.as_str(),
                            "info",
                        ])
                    })
                    .inc();
            }
            Outcome::Invalid(_) => {}
        }
    }

    fn count_unknown(&mut self, log_type: LogType, component: Option<Component>) {
        let c = component.map_or(UNKNOWN_COMPONENTS - 1, |c| c as usize);
        let severity = self.unknown_severity;
        self.unknown[log_type as usize * UNKNOWN_COMPONENTS + c]
            .get_or_insert_with(|| {
                self.events.with_label_values(&[
                    log_type.as_str(),
                    UNKNOWN_CODE_LABEL,
                    component.map_or("unknown", Component::as_str),
                    severity.as_str(),
                    "unknown",
                ])
            })
            .inc();
    }
}

/// Default number of distinct unknown codes remembered by [`UnknownCodes`].
pub const UNKNOWN_CODES_LIMIT: usize = 10_000;

/// Codes are remembered by at most this many leading bytes, which bounds the memory of
/// [`UnknownCodes`] even when records carry huge garbage codes.
const UNKNOWN_CODE_MAX_BYTES: usize = 128;

/// A bounded set of the distinct unknown codes seen since start, so that each one is logged
/// once and `zpa_enricher_unknown_codes` can be set.
///
/// Holds at most a fixed number of codes (by default [`UNKNOWN_CODES_LIMIT`]), each
/// truncated to 128 bytes; once full, new codes are no longer reported.
#[derive(Debug)]
pub struct UnknownCodes {
    seen: HashSet<Box<str>>,
    limit: usize,
}

impl Default for UnknownCodes {
    fn default() -> Self {
        Self::new()
    }
}

impl UnknownCodes {
    /// An empty tracker holding up to [`UNKNOWN_CODES_LIMIT`] codes.
    #[must_use]
    pub fn new() -> Self {
        Self::with_limit(UNKNOWN_CODES_LIMIT)
    }

    /// An empty tracker holding up to `limit` codes.
    #[must_use]
    pub fn with_limit(limit: usize) -> Self {
        Self {
            seen: HashSet::new(),
            limit,
        }
    }

    /// Records `code`; true the first time it is seen (the caller logs it then). Always false
    /// once the tracker is full.
    pub fn observe(&mut self, code: &str) -> bool {
        let key = truncate(code, UNKNOWN_CODE_MAX_BYTES);
        if self.seen.len() >= self.limit || self.seen.contains(key) {
            return false;
        }
        self.seen.insert(key.into())
    }

    /// Number of distinct codes seen (at most the limit).
    #[must_use]
    pub fn distinct(&self) -> usize {
        self.seen.len()
    }

    /// True once the limit is reached and new codes are no longer tracked.
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.seen.len() >= self.limit
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::{EnrichOptions, Enricher};

    /// The value of the sample `name{labels}` in `text`, where `labels` is the exact label text
    /// (the encoder writes labels sorted by name).
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    fn events_series(log_type: &str, code: &str, comp: &str, sev: &str, cat: &str) -> String {
        format!(
            "zpa_enricher_events_total{{category=\"{cat}\",code=\"{code}\",\
             component=\"{comp}\",log_type=\"{log_type}\",severity=\"{sev}\"}}"
        )
    }

    fn enrich_and_count(
        enricher: &Enricher,
        counters: &mut EventCounters,
        record: &str,
    ) -> &'static str {
        let mut out = Vec::new();
        let outcome = enricher.enrich(record.as_bytes(), &mut out);
        counters.count(&outcome);
        outcome.as_str()
    }

    #[test]
    fn label_enums_index_in_declaration_order() {
        for (i, d) in Destination::ALL.into_iter().enumerate() {
            assert_eq!(d as usize, i);
        }
        for (i, k) in ProduceErrorKind::ALL.into_iter().enumerate() {
            assert_eq!(k as usize, i);
        }
        for (i, k) in RebalanceKind::ALL.into_iter().enumerate() {
            assert_eq!(k as usize, i);
        }
        for (i, r) in InvalidReason::ALL.into_iter().enumerate() {
            assert_eq!(r as usize, i);
        }
        for (i, t) in LogType::ALL.into_iter().enumerate() {
            assert_eq!(t as usize, i);
        }
        for (i, c) in Component::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i);
        }
    }

    #[test]
    fn every_metric_is_exposed_with_help_and_type() {
        let m = Metrics::new("2.10.0").unwrap();
        let catalog = Arc::new(Catalog::builtin());
        m.catalog_loaded(&catalog);
        m.set_consumer_lag("zpa-in", 0, 5);
        let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
        let mut counters = EventCounters::new(&m, catalog, Severity::Medium);
        enrich_and_count(&enricher, &mut counters, r#"{"SessionStatus":""}"#);

        let text = m.encode();
        let names = [
            ("zpa_enricher_events_total", "counter"),
            ("zpa_enricher_records_consumed_total", "counter"),
            ("zpa_enricher_records_produced_total", "counter"),
            ("zpa_enricher_records_invalid_total", "counter"),
            ("zpa_enricher_records_dead_lettered_total", "counter"),
            ("zpa_enricher_produce_errors_total", "counter"),
            ("zpa_enricher_in_flight", "gauge"),
            ("zpa_enricher_paused", "gauge"),
            ("zpa_enricher_ready", "gauge"),
            ("zpa_enricher_assigned_partitions", "gauge"),
            ("zpa_enricher_rebalances_total", "counter"),
            ("zpa_enricher_commits_total", "counter"),
            ("zpa_enricher_processing_duration_seconds", "histogram"),
            ("zpa_enricher_end_to_end_latency_seconds", "histogram"),
            ("zpa_enricher_consumer_lag_messages", "gauge"),
            ("zpa_enricher_catalog_entries", "gauge"),
            ("zpa_enricher_catalog_info", "gauge"),
            ("zpa_enricher_code_info", "gauge"),
            ("zpa_enricher_catalog_reloads_total", "counter"),
            ("zpa_enricher_catalog_loaded_timestamp_seconds", "gauge"),
            ("zpa_enricher_unknown_codes", "gauge"),
            ("zpa_enricher_build_info", "gauge"),
        ];
        for (name, kind) in names {
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "no HELP for {name}:\n{text}"
            );
            assert!(
                text.contains(&format!("# TYPE {name} {kind}\n")),
                "no TYPE {kind} for {name}:\n{text}"
            );
        }
        #[cfg(target_os = "linux")]
        assert!(
            text.contains("# TYPE process_resident_memory_bytes gauge"),
            "{text}"
        );
        let build = format!(
            "zpa_enricher_build_info{{librdkafka=\"2.10.0\",version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(sample(&text, &build), Some(1.0), "{text}");
        // Fixed children exist from the start, at zero.
        for series in [
            "zpa_enricher_records_produced_total{destination=\"dlq\"}",
            "zpa_enricher_records_invalid_total{reason=\"too_large\"}",
            "zpa_enricher_produce_errors_total{kind=\"queue_full\"}",
            "zpa_enricher_rebalances_total{kind=\"lost\"}",
            "zpa_enricher_commits_total{result=\"failure\"}",
            "zpa_enricher_catalog_reloads_total{result=\"success\"}",
        ] {
            assert_eq!(sample(&text, series), Some(0.0), "{series}:\n{text}");
        }
        assert_eq!(
            sample(&text, "zpa_enricher_catalog_entries"),
            Some(f64::from(u32::try_from(Catalog::builtin().len()).unwrap()))
        );
        assert_eq!(
            sample(
                &text,
                "zpa_enricher_consumer_lag_messages{partition=\"0\",topic=\"zpa-in\"}"
            ),
            Some(5.0),
            "{text}"
        );
    }

    #[test]
    fn verbs_move_their_series() {
        let m = Metrics::new("x").unwrap();
        m.record_consumed();
        m.record_consumed();
        m.record_produced(Destination::Output);
        m.record_produced(Destination::Dlq);
        m.record_invalid(InvalidReason::NotJson);
        m.record_dead_lettered(InvalidReason::NotJson);
        m.produce_error(ProduceErrorKind::Timeout);
        m.set_in_flight(7);
        m.set_paused(true);
        m.set_ready(true);
        m.set_assigned_partitions(3);
        m.rebalance(RebalanceKind::Assign);
        m.commit(true);
        m.commit(false);
        m.observe_processing(Duration::from_micros(3));
        m.observe_end_to_end(Duration::from_millis(40));
        m.catalog_reload_failed();
        m.unknown_code_seen_count(4);
        let text = m.encode();
        for (series, value) in [
            ("zpa_enricher_records_consumed_total", 2.0),
            (
                "zpa_enricher_records_produced_total{destination=\"output\"}",
                1.0,
            ),
            (
                "zpa_enricher_records_produced_total{destination=\"dlq\"}",
                1.0,
            ),
            (
                "zpa_enricher_records_invalid_total{reason=\"not_json\"}",
                1.0,
            ),
            ("zpa_enricher_records_invalid_total{reason=\"empty\"}", 0.0),
            (
                "zpa_enricher_records_dead_lettered_total{reason=\"not_json\"}",
                1.0,
            ),
            ("zpa_enricher_produce_errors_total{kind=\"timeout\"}", 1.0),
            ("zpa_enricher_in_flight", 7.0),
            ("zpa_enricher_paused", 1.0),
            ("zpa_enricher_ready", 1.0),
            ("zpa_enricher_assigned_partitions", 3.0),
            ("zpa_enricher_rebalances_total{kind=\"assign\"}", 1.0),
            ("zpa_enricher_commits_total{result=\"success\"}", 1.0),
            ("zpa_enricher_commits_total{result=\"failure\"}", 1.0),
            ("zpa_enricher_processing_duration_seconds_count", 1.0),
            (
                "zpa_enricher_processing_duration_seconds_bucket{le=\"0.000005\"}",
                1.0,
            ),
            (
                "zpa_enricher_processing_duration_seconds_bucket{le=\"0.0000025\"}",
                0.0,
            ),
            (
                "zpa_enricher_end_to_end_latency_seconds_bucket{le=\"0.05\"}",
                1.0,
            ),
            (
                "zpa_enricher_end_to_end_latency_seconds_bucket{le=\"0.025\"}",
                0.0,
            ),
            (
                "zpa_enricher_catalog_reloads_total{result=\"failure\"}",
                1.0,
            ),
            ("zpa_enricher_unknown_codes", 4.0),
        ] {
            assert_eq!(sample(&text, series), Some(value), "{series}:\n{text}");
        }
        m.set_paused(false);
        assert_eq!(sample(&m.encode(), "zpa_enricher_paused"), Some(0.0));
    }

    #[test]
    fn events_are_labelled_by_catalog_entry_or_bucket() {
        let m = Metrics::new("x").unwrap();
        let catalog = Arc::new(Catalog::builtin());
        let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
        let mut counters = EventCounters::new(&m, Arc::clone(&catalog), Severity::High);

        let known = r#"{"InternalReason":"BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY","ConnectionStatus":"close"}"#;
        let unknown_ast = r#"{"InternalReason":"AST_MT_SOMETHING_NEW","ConnectionStatus":"close"}"#;
        let unknown_other = r#"{"SessionStatus":"WHOLLY_NEW_CODE","Connector":"c1"}"#;
        let none = r#"{"SessionStatus":""}"#;
        assert_eq!(enrich_and_count(&enricher, &mut counters, known), "known");
        assert_eq!(enrich_and_count(&enricher, &mut counters, known), "known");
        assert_eq!(
            enrich_and_count(&enricher, &mut counters, unknown_ast),
            "unknown_code"
        );
        assert_eq!(
            enrich_and_count(&enricher, &mut counters, unknown_other),
            "unknown_code"
        );
        assert_eq!(enrich_and_count(&enricher, &mut counters, none), "no_code");
        assert_eq!(enrich_and_count(&enricher, &mut counters, "[1]"), "invalid");

        let e = catalog.get("BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY").unwrap();
        let text = m.encode();
        let cases = [
            (
                events_series(
                    "user_activity",
                    &e.code,
                    e.component.as_str(),
                    e.severity.as_str(),
                    e.category.as_str(),
                ),
                2.0,
            ),
            (
                events_series(
                    "user_activity",
                    "__unknown__",
                    "App Connector",
                    "high",
                    "unknown",
                ),
                1.0,
            ),
            (
                events_series(
                    "app_connector_status",
                    "__unknown__",
                    "unknown",
                    "high",
                    "unknown",
                ),
                1.0,
            ),
            (
                events_series("user_status", "__none__", "none", "info", "info"),
                1.0,
            ),
        ];
        for (series, value) in &cases {
            assert_eq!(sample(&text, series), Some(*value), "{series}:\n{text}");
        }
        // Exactly these series: the unknown code text never becomes a label, and the invalid
        // record is not counted here.
        let samples = text
            .lines()
            .filter(|l| l.starts_with("zpa_enricher_events_total{"))
            .count();
        assert_eq!(samples, cases.len(), "{text}");
        assert!(!text.contains("SOMETHING_NEW"), "{text}");
        assert!(!text.contains("WHOLLY_NEW_CODE"), "{text}");
    }

    #[test]
    fn a_new_catalog_version_replaces_the_info_series() {
        let m = Metrics::new("x").unwrap();
        let first = Catalog::builtin();
        m.catalog_loaded(&first);
        let v1 = format!(
            "zpa_enricher_catalog_info{{version=\"{}\"}}",
            first.version()
        );
        let text = m.encode();
        assert_eq!(sample(&text, &v1), Some(1.0), "{text}");
        assert_eq!(
            sample(
                &text,
                "zpa_enricher_catalog_reloads_total{result=\"success\"}"
            ),
            Some(0.0)
        );

        let second = Catalog::new("test-2".into(), first.entries()[..3].to_vec()).unwrap();
        m.catalog_loaded(&second);
        let text = m.encode();
        assert_eq!(sample(&text, &v1), None, "{text}");
        assert_eq!(
            sample(&text, "zpa_enricher_catalog_info{version=\"test-2\"}"),
            Some(1.0),
            "{text}"
        );
        assert_eq!(sample(&text, "zpa_enricher_catalog_entries"), Some(3.0));
        assert_eq!(
            sample(
                &text,
                "zpa_enricher_catalog_reloads_total{result=\"success\"}"
            ),
            Some(1.0)
        );
        let info_series = text
            .lines()
            .filter(|l| l.starts_with("zpa_enricher_catalog_info{"))
            .count();
        assert_eq!(info_series, 1, "{text}");
        // The code info series follow the catalog in use: one per entry, none left over.
        let code_info: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("zpa_enricher_code_info{"))
            .collect();
        assert_eq!(code_info.len(), 3, "{text}");
        let entry = &second.entries()[0];
        let series = format!(
            "zpa_enricher_code_info{{category=\"{}\",code=\"{}\",component=\"{}\",\
             severity=\"{}\",status=\"{}\"}}",
            entry.category.as_str(),
            entry.code,
            entry.component.as_str(),
            entry.severity.as_str(),
            entry.status
        );
        assert_eq!(sample(&text, &series), Some(1.0), "{series}\n{text}");

        // Reloading the same version keeps its series.
        m.catalog_loaded(&second);
        let text = m.encode();
        assert_eq!(
            sample(&text, "zpa_enricher_catalog_info{version=\"test-2\"}"),
            Some(1.0)
        );
        assert!(sample(&text, "zpa_enricher_catalog_loaded_timestamp_seconds").unwrap() > 1.0e9);
    }

    #[test]
    fn replacing_the_lag_drops_unassigned_partitions() {
        let m = Metrics::new("x").unwrap();
        m.replace_consumer_lag(&[("in", 0, 10), ("in", 1, 20)]);
        m.replace_consumer_lag(&[("in", 1, 25)]);
        let text = m.encode();
        assert_eq!(
            sample(
                &text,
                "zpa_enricher_consumer_lag_messages{partition=\"0\",topic=\"in\"}"
            ),
            None
        );
        assert_eq!(
            sample(
                &text,
                "zpa_enricher_consumer_lag_messages{partition=\"1\",topic=\"in\"}"
            ),
            Some(25.0)
        );
        m.clear_consumer_lag();
        assert!(!m.encode().contains("zpa_enricher_consumer_lag_messages"));
    }

    #[test]
    fn unknown_codes_are_bounded() {
        let mut u = UnknownCodes::with_limit(3);
        assert!(u.observe("A"));
        assert!(!u.observe("A"));
        assert!(u.observe("B"));
        assert!(u.observe("C"));
        assert!(u.is_full());
        assert!(!u.observe("D"));
        assert!(!u.observe("A"));
        assert_eq!(u.distinct(), 3);

        let mut u = UnknownCodes::new();
        for i in 0..UNKNOWN_CODES_LIMIT + 50 {
            u.observe(&format!("CODE_{i}"));
        }
        assert_eq!(u.distinct(), UNKNOWN_CODES_LIMIT);

        // Huge codes are remembered by a bounded prefix, cut on a character boundary.
        let mut u = UnknownCodes::new();
        let long = format!("{}é{}", "X".repeat(127), "Y".repeat(1000));
        assert!(u.observe(&long));
        assert!(!u.observe(&format!("{}é{}", "X".repeat(127), "Z".repeat(10))));
        assert!(u.seen.iter().all(|c| c.len() <= UNKNOWN_CODE_MAX_BYTES));
    }

    #[test]
    fn instances_do_not_share_counters() {
        let a = Metrics::new("x").unwrap();
        let b = Metrics::new("x").unwrap();
        a.record_consumed();
        a.record_invalid(InvalidReason::Empty);
        assert_eq!(
            sample(&a.encode(), "zpa_enricher_records_consumed_total"),
            Some(1.0)
        );
        assert_eq!(
            sample(&b.encode(), "zpa_enricher_records_consumed_total"),
            Some(0.0)
        );
        assert_eq!(
            sample(
                &b.encode(),
                "zpa_enricher_records_invalid_total{reason=\"empty\"}"
            ),
            Some(0.0)
        );
        // Nothing leaks into the process-wide default registry either.
        assert!(
            prometheus::gather()
                .iter()
                .all(|f| !f.name().starts_with("zpa_enricher_"))
        );
    }
}
