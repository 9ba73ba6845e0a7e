//! Every Prometheus metric of the service: names, help texts, label sets and buckets live here
//! and nowhere else.
//!
//! [`Metrics`] owns its own [`Registry`]; nothing is ever registered in the `prometheus` default
//! registry, so two instances (two tests) never share a counter. Business code does not touch
//! metric objects: it calls verbs such as [`Metrics::record_consumed`] or
//! `Metrics::produce_error`. Label values come from closed enums with `as_str()`, and every
//! child whose labels are fixed is resolved once at construction, so the hot path never looks a
//! label set up. The per-code counter is driven through [`EventCounters`], which caches its
//! children per catalog.
//!
//! This module must not log per record, perform I/O other than exposition, or let free text
//! (an unknown status code, a topic chosen by a producer) become an unbounded label value;
//! the only exception, `topic`/`partition` on the consumer-lag gauge, is bounded by the
//! consumer's assignment.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus::core::Collector;
use prometheus::{
    Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, Result, TextEncoder,
};

use crate::catalog::Catalog;
use crate::event::{InvalidReason, LogType, Quirk};

mod events;
mod labels;
#[cfg(target_os = "linux")]
mod process;
mod receive;

pub use events::{EventCounters, UNKNOWN_CODES_LIMIT, UnknownCodes, shown_code};
pub use labels::{Destination, ProduceErrorKind, RebalanceKind};
pub use receive::{CloseReason, ListenerMetrics, ReceiveMetrics, RefuseReason, TlsFailure};

/// The content type of [`Metrics::encode`] output (Prometheus text exposition format 0.0.4).
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

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
    /// Indexed by `Quirk as usize`; counted through [`EventCounters`].
    records_repaired: [IntCounter; Quirk::ALL.len()],
    /// Indexed by `LogType as usize`; counted through [`EventCounters`].
    event_time_unreadable: [IntCounter; LogType::ALL.len()],
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
        let repaired = counter_vec(
            &r,
            "zpa_enricher_records_repaired_total",
            "Records enriched after the repair of a template quirk, by quirk (a record with \
             both counts under each).",
            &["quirk"],
        )?;
        let time_unreadable = counter_vec(
            &r,
            "zpa_enricher_event_time_unreadable_total",
            "Records enriched without a readable event time (no LogTimestamp, ModifiedTime or \
             CreationTime in a known form): they carry the processing time, by log type.",
            &["log_type"],
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
        r.register(Box::new(process::ProcessMetrics::new()?))?;

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
            records_repaired: Quirk::ALL.map(|q| repaired.with_label_values(&[q.as_str()])),
            event_time_unreadable: LogType::ALL
                .map(|t| time_unreadable.with_label_values(&[t.as_str()])),
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

    /// Renders every metric in the Prometheus text exposition format (`CONTENT_TYPE`).
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
    pub(crate) fn set_paused(&self, paused: bool) {
        self.paused.set(i64::from(paused));
    }

    /// `/readyz` answers 200 (`true`) or 503 (`false`).
    pub(crate) fn set_ready(&self, ready: bool) {
        self.ready.set(i64::from(ready));
    }

    /// Input partitions currently assigned.
    pub fn set_assigned_partitions(&self, n: usize) {
        self.assigned_partitions.set(gauge_value(n));
    }

    /// A rebalance event happened.
    pub(crate) fn rebalance(&self, kind: RebalanceKind) {
        self.rebalances[kind as usize].inc();
    }

    /// An offset commit finished, successfully or not.
    pub(crate) fn commit(&self, ok: bool) {
        if ok {
            self.commits_success.inc();
        } else {
            self.commits_failure.inc();
        }
    }

    /// Time taken to enrich one record.
    pub(crate) fn observe_processing(&self, elapsed: Duration) {
        self.processing_duration.observe(elapsed.as_secs_f64());
    }

    /// Delivery acknowledgement time minus the input record's timestamp.
    pub(crate) fn observe_end_to_end(&self, latency: Duration) {
        self.end_to_end_latency.observe(latency.as_secs_f64());
    }

    /// Sets the lag of one partition.
    pub(crate) fn set_consumer_lag(&self, topic: &str, partition: i32, lag: i64) {
        let partition = partition.to_string();
        self.consumer_lag
            .with_label_values(&[topic, partition.as_str()])
            .set(lag);
    }

    /// Replaces every lag series with `lags` (`(topic, partition, lag)`), so that partitions no
    /// longer assigned disappear.
    pub(crate) fn replace_consumer_lag<T: AsRef<str>>(&self, lags: &[(T, i32, i64)]) {
        self.consumer_lag.reset();
        for (topic, partition, lag) in lags {
            self.set_consumer_lag(topic.as_ref(), *partition, *lag);
        }
    }

    /// Removes every lag series (for example when the assignment is revoked).
    #[cfg(test)]
    pub(crate) fn clear_consumer_lag(&self) {
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
    pub(crate) fn catalog_reload_failed(&self) {
        self.catalog_reloads_failure.inc();
    }

    /// The number of distinct unknown codes seen so far (see `UnknownCodes::distinct`).
    pub fn unknown_code_seen_count(&self, n: usize) {
        self.unknown_codes.set(gauge_value(n));
    }
}

#[cfg(test)]
mod tests;
