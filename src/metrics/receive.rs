//! The metrics of `receive`, the LSS log receiver: connections, TLS, bytes and records in per
//! listener, parse failures, produce latency and the time reading was paused.
//!
//! They are registered only by a service that receives ([`Metrics::receive`]), so that `run`
//! exports none of them. The `listener` label is a listener's name from the settings, a bounded
//! set chosen by the operator; every other label comes from the closed enums below, a
//! [`LogType`], or a line reader's `&'static str` reason. Business code holds one
//! [`ListenerMetrics`] per listener, whose fixed children are resolved once.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus::{
    Counter, Gauge, GaugeVec, Histogram, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Result,
};

use super::{Metrics, counter_vec, gauge, gauge_vec, histogram, register};
use crate::event::{LineNote, LogType, Notes};

/// Buckets of `zpa_enricher_receive_produce_duration_seconds`: 1 ms to 2 min (a delivery
/// re-produced after a broker outage takes as long as the outage).
const PRODUCE_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// Why a connection was closed as soon as it was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefuseReason {
    /// The listener has its maximum of connections open.
    ListenerLimit,
    /// All listeners together have the maximum of connections open.
    TotalLimit,
    /// The service is stopping.
    ShuttingDown,
}

impl RefuseReason {
    /// Every reason, in declaration order.
    pub const ALL: [RefuseReason; 3] = [
        RefuseReason::ListenerLimit,
        RefuseReason::TotalLimit,
        RefuseReason::ShuttingDown,
    ];

    /// The `reason` label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RefuseReason::ListenerLimit => "listener_limit",
            RefuseReason::TotalLimit => "total_limit",
            RefuseReason::ShuttingDown => "shutting_down",
        }
    }
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The peer closed it.
    Peer,
    /// Nothing arrived for the idle timeout.
    IdleTimeout,
    /// Reading failed (reset, TLS error after the handshake).
    ReadError,
    /// The service stopped and had read what the peer sent.
    Shutdown,
    /// The TLS handshake failed (counted by its own reason in the TLS failures too).
    Tls,
}

impl CloseReason {
    /// Every reason, in declaration order.
    pub const ALL: [CloseReason; 5] = [
        CloseReason::Peer,
        CloseReason::IdleTimeout,
        CloseReason::ReadError,
        CloseReason::Shutdown,
        CloseReason::Tls,
    ];

    /// The `reason` label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Peer => "peer",
            CloseReason::IdleTimeout => "idle_timeout",
            CloseReason::ReadError => "read_error",
            CloseReason::Shutdown => "shutdown",
            CloseReason::Tls => "tls",
        }
    }
}

/// Why a TLS handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsFailure {
    /// The handshake did not finish within the handshake timeout.
    HandshakeTimeout,
    /// Client certificates are required and the client sent none.
    NoClientCertificate,
    /// The client's certificate does not verify against the CA bundle (or is expired, ...).
    BadClientCertificate,
    /// Anything else the peer did wrong: not TLS, no common version or cipher suite, an alert.
    Protocol,
    /// The peer closed the connection before the handshake finished.
    ClosedDuringHandshake,
}

impl TlsFailure {
    /// Every reason, in declaration order.
    pub const ALL: [TlsFailure; 5] = [
        TlsFailure::HandshakeTimeout,
        TlsFailure::NoClientCertificate,
        TlsFailure::BadClientCertificate,
        TlsFailure::Protocol,
        TlsFailure::ClosedDuringHandshake,
    ];

    /// The `reason` label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TlsFailure::HandshakeTimeout => "handshake_timeout",
            TlsFailure::NoClientCertificate => "no_client_certificate",
            TlsFailure::BadClientCertificate => "bad_client_certificate",
            TlsFailure::Protocol => "protocol",
            TlsFailure::ClosedDuringHandshake => "closed_during_handshake",
        }
    }
}

/// The `receive` metric families, registered in a [`Metrics`] registry.
#[derive(Debug, Clone)]
pub struct ReceiveMetrics {
    connections_open: IntGaugeVec,
    connections: IntCounterVec,
    refused: IntCounterVec,
    closed: IntCounterVec,
    tls_failures: IntCounterVec,
    tls_reloads_ok: IntCounter,
    tls_reloads_failed: IntCounter,
    bytes: IntCounterVec,
    records: IntCounterVec,
    parse_failures: IntCounterVec,
    line_notes: IntCounterVec,
    last_record: GaugeVec,
    produce_duration: Histogram,
    paused: IntGauge,
    paused_seconds: Counter,
}

impl Metrics {
    /// Registers the metrics of `receive` in this registry. Call it once per [`Metrics`].
    ///
    /// # Errors
    /// The families are registered already, or (never, with these constants) a definition is
    /// invalid.
    pub fn receive(&self) -> Result<ReceiveMetrics> {
        let r = &self.registry;
        let listener = &["listener"];
        let with_reason = &["listener", "reason"];
        let reloads = counter_vec(
            r,
            "zpa_enricher_receive_tls_reloads_total",
            "Reloads of the listeners' certificate files, by result (a failed one keeps the \
             certificates in use).",
            &["result"],
        )?;
        Ok(ReceiveMetrics {
            connections_open: gauge_vec(
                r,
                "zpa_enricher_receive_connections_open",
                "Open connections, by listener.",
                listener,
            )?,
            connections: counter_vec(
                r,
                "zpa_enricher_receive_connections_total",
                "Connections accepted, by listener.",
                listener,
            )?,
            refused: counter_vec(
                r,
                "zpa_enricher_receive_connections_refused_total",
                "Connections closed as soon as they were accepted, by listener and reason.",
                with_reason,
            )?,
            closed: counter_vec(
                r,
                "zpa_enricher_receive_connections_closed_total",
                "Connections that ended, by listener and how.",
                with_reason,
            )?,
            tls_failures: counter_vec(
                r,
                "zpa_enricher_receive_tls_failures_total",
                "Failed TLS handshakes, by listener and reason.",
                with_reason,
            )?,
            tls_reloads_ok: reloads.with_label_values(&["ok"]),
            tls_reloads_failed: reloads.with_label_values(&["failed"]),
            bytes: counter_vec(
                r,
                "zpa_enricher_receive_bytes_total",
                "Bytes read from connections (after TLS), by listener.",
                listener,
            )?,
            records: counter_vec(
                r,
                "zpa_enricher_receive_records_total",
                "Lines read as records, by listener and log type.",
                &["listener", "log_type"],
            )?,
            parse_failures: counter_vec(
                r,
                "zpa_enricher_receive_parse_failures_total",
                "Lines dead-lettered instead of read as records, by listener and reason.",
                with_reason,
            )?,
            line_notes: counter_vec(
                r,
                "zpa_enricher_receive_line_notes_total",
                "Records whose line needed a decision the record tells in its lss_line member                  (unsplit, ambiguous, conflict, repaired), by listener and note.",
                &["listener", "note"],
            )?,
            last_record: register(
                r,
                GaugeVec::new(
                    Opts::new(
                        "zpa_enricher_receive_last_record_timestamp_seconds",
                        "Unix time of the last record read, by listener (the start time until \
                         the first).",
                    ),
                    listener,
                )?,
            )?,
            produce_duration: histogram(
                r,
                "zpa_enricher_receive_produce_duration_seconds",
                "Time from handing a received record to the producer to its acknowledgement.",
                &PRODUCE_BUCKETS,
            )?,
            paused: gauge(
                r,
                "zpa_enricher_receive_paused",
                "1 while reading from connections is paused because the records in flight are \
                 at their maximum.",
            )?,
            paused_seconds: register(
                r,
                Counter::with_opts(Opts::new(
                    "zpa_enricher_receive_paused_seconds_total",
                    "Time reading from connections was paused for backpressure.",
                ))?,
            )?,
        })
    }
}

impl ReceiveMetrics {
    /// The metrics of the listener named `name`, with its series created at zero and its
    /// last-record time set to now.
    #[must_use]
    pub fn listener(&self, name: &str) -> ListenerMetrics {
        let with = |vec: &IntCounterVec, reason: &str| vec.with_label_values(&[name, reason]);
        let last_record = self.last_record.with_label_values(&[name]);
        last_record.set(unix_now());
        ListenerMetrics(Arc::new(Listener {
            name: name.into(),
            open: self.connections_open.with_label_values(&[name]),
            accepted: self.connections.with_label_values(&[name]),
            refused: RefuseReason::ALL.map(|r| with(&self.refused, r.as_str())),
            closed: CloseReason::ALL.map(|r| with(&self.closed, r.as_str())),
            tls_failures: TlsFailure::ALL.map(|r| with(&self.tls_failures, r.as_str())),
            bytes: self.bytes.with_label_values(&[name]),
            records: LogType::ALL.map(|t| self.records.with_label_values(&[name, t.as_str()])),
            parse_failures: self.parse_failures.clone(),
            line_notes: LineNote::ALL
                .iter()
                .map(|n| self.line_notes.with_label_values(&[name, n.as_str()]))
                .collect(),
            last_record,
        }))
    }

    /// A reload of certificate files succeeded (`true`) or failed (`false`).
    pub fn tls_reloaded(&self, ok: bool) {
        if ok {
            self.tls_reloads_ok.inc();
        } else {
            self.tls_reloads_failed.inc();
        }
    }

    /// A record handed to the producer `elapsed` ago was acknowledged.
    pub fn observe_produce(&self, elapsed: Duration) {
        self.produce_duration.observe(elapsed.as_secs_f64());
    }

    /// Reading is paused for backpressure (`true`) or goes on (`false`).
    pub fn set_paused(&self, paused: bool) {
        self.paused.set(i64::from(paused));
    }

    /// Reading was paused for `paused`.
    pub fn add_paused(&self, paused: Duration) {
        self.paused_seconds.inc_by(paused.as_secs_f64());
    }
}

/// The metrics of one listener; cheap to clone (one shared set of children).
#[derive(Debug, Clone)]
pub struct ListenerMetrics(Arc<Listener>);

#[derive(Debug)]
struct Listener {
    name: Box<str>,
    open: IntGauge,
    accepted: IntCounter,
    /// Indexed by `RefuseReason as usize`.
    refused: [IntCounter; RefuseReason::ALL.len()],
    /// Indexed by `CloseReason as usize`.
    closed: [IntCounter; CloseReason::ALL.len()],
    /// Indexed by `TlsFailure as usize`.
    tls_failures: [IntCounter; TlsFailure::ALL.len()],
    bytes: IntCounter,
    /// Indexed by `LogType as usize`.
    records: [IntCounter; LogType::ALL.len()],
    /// Reasons come from closed sets, but from more than one; resolved per failure.
    parse_failures: IntCounterVec,
    /// Indexed by `LineNote as usize`.
    line_notes: Box<[IntCounter]>,
    last_record: Gauge,
}

impl ListenerMetrics {
    /// A connection was accepted and is open.
    pub fn connection_opened(&self) {
        self.0.accepted.inc();
        self.0.open.inc();
    }

    /// An open connection ended.
    pub fn connection_closed(&self, reason: CloseReason) {
        self.0.open.dec();
        self.0.closed[reason as usize].inc();
    }

    /// A connection was closed as soon as it was accepted.
    pub fn connection_refused(&self, reason: RefuseReason) {
        self.0.refused[reason as usize].inc();
    }

    /// A TLS handshake failed.
    pub fn tls_failed(&self, reason: TlsFailure) {
        self.0.tls_failures[reason as usize].inc();
    }

    /// `n` bytes were read.
    pub fn bytes_read(&self, n: usize) {
        self.0.bytes.inc_by(u64::try_from(n).unwrap_or(u64::MAX));
    }

    /// A line was read as a record of `log_type`.
    pub fn record_read(&self, log_type: LogType) {
        self.0.records[log_type as usize].inc();
    }

    /// A record was read with `notes` (nearly always none).
    pub fn line_noted(&self, notes: Notes) {
        for note in notes.iter() {
            self.0.line_notes[note as usize].inc();
        }
    }

    /// Records were read just now: the last-record time becomes the current time.
    pub fn records_seen_now(&self) {
        self.0.last_record.set(unix_now());
    }

    /// A line was dead-lettered for `reason` (a closed-set label such as `line_too_long`).
    pub fn parse_failed(&self, reason: &'static str) {
        self.0
            .parse_failures
            .with_label_values(&[&self.0.name, reason])
            .inc();
    }
}

/// Seconds since the epoch, as a float.
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn label_enums_index_in_declaration_order() {
        for (i, r) in RefuseReason::ALL.into_iter().enumerate() {
            assert_eq!(r as usize, i);
        }
        for (i, r) in CloseReason::ALL.into_iter().enumerate() {
            assert_eq!(r as usize, i);
        }
        for (i, r) in TlsFailure::ALL.into_iter().enumerate() {
            assert_eq!(r as usize, i);
        }
        for (i, n) in LineNote::ALL.iter().enumerate() {
            assert_eq!(*n as usize, i);
        }
    }

    #[test]
    fn receive_metrics_are_only_in_a_receiving_registry() {
        let m = Metrics::new("2.10.0").unwrap();
        assert!(!m.encode().contains("zpa_enricher_receive_"));
        let r = m.receive().unwrap();
        assert!(m.receive().is_err(), "registered twice");
        let l = r.listener("user_activity");
        l.connection_opened();
        l.connection_opened();
        l.connection_closed(CloseReason::IdleTimeout);
        l.connection_refused(RefuseReason::TotalLimit);
        l.tls_failed(TlsFailure::NoClientCertificate);
        l.bytes_read(1200);
        l.record_read(LogType::UserActivity);
        l.parse_failed("line_too_long");
        l.parse_failed("line_too_long");
        l.line_noted(
            Notes::default()
                .with(LineNote::Ambiguous)
                .with(LineNote::Repaired),
        );
        l.line_noted(Notes::default().with(LineNote::Ambiguous));
        r.tls_reloaded(false);
        r.observe_produce(Duration::from_millis(3));
        r.set_paused(true);
        r.add_paused(Duration::from_millis(1500));
        let text = m.encode();
        let at = |s: &str| sample(&text, s);
        let l = "listener=\"user_activity\"";
        assert_eq!(
            at(&format!("zpa_enricher_receive_connections_open{{{l}}}")),
            Some(1.0)
        );
        assert_eq!(
            at(&format!("zpa_enricher_receive_connections_total{{{l}}}")),
            Some(2.0)
        );
        assert_eq!(
            at(&format!(
                "zpa_enricher_receive_connections_closed_total{{{l},reason=\"idle_timeout\"}}"
            )),
            Some(1.0)
        );
        assert_eq!(
            at(&format!(
                "zpa_enricher_receive_connections_closed_total{{{l},reason=\"peer\"}}"
            )),
            Some(0.0),
            "fixed children exist at zero"
        );
        assert_eq!(
            at(&format!(
                "zpa_enricher_receive_connections_refused_total{{{l},reason=\"total_limit\"}}"
            )),
            Some(1.0)
        );
        assert_eq!(
            at(&format!(
                "zpa_enricher_receive_tls_failures_total{{{l},reason=\"no_client_certificate\"}}"
            )),
            Some(1.0)
        );
        assert_eq!(
            at(&format!("zpa_enricher_receive_bytes_total{{{l}}}")),
            Some(1200.0)
        );
        assert_eq!(
            at(&format!(
                "zpa_enricher_receive_records_total{{{l},log_type=\"user_activity\"}}"
            )),
            Some(1.0)
        );
        assert_eq!(
            at(&format!(
                "zpa_enricher_receive_parse_failures_total{{{l},reason=\"line_too_long\"}}"
            )),
            Some(2.0)
        );
        for (note, n) in [("ambiguous", 2.0), ("repaired", 1.0), ("unsplit", 0.0)] {
            assert_eq!(
                at(&format!(
                    "zpa_enricher_receive_line_notes_total{{{l},note=\"{note}\"}}"
                )),
                Some(n),
                "{note}"
            );
        }
        assert_eq!(
            at("zpa_enricher_receive_tls_reloads_total{result=\"failed\"}"),
            Some(1.0)
        );
        assert_eq!(
            at("zpa_enricher_receive_tls_reloads_total{result=\"ok\"}"),
            Some(0.0)
        );
        assert_eq!(
            at("zpa_enricher_receive_produce_duration_seconds_count"),
            Some(1.0)
        );
        assert_eq!(at("zpa_enricher_receive_paused"), Some(1.0));
        assert_eq!(at("zpa_enricher_receive_paused_seconds_total"), Some(1.5));
        let started = at(&format!(
            "zpa_enricher_receive_last_record_timestamp_seconds{{{l}}}"
        ))
        .unwrap();
        assert!(started > 1.7e9, "set to the start time: {started}");
    }
}
