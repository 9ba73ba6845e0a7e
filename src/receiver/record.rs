//! What each line of a connection becomes: a record in the raw topic, with its key and the
//! receive headers; with enrichment, also the enriched record in the output topic (or the
//! record in the dead-letter topic when it cannot be enriched), as `run` sends it; and for a
//! line that is no record, a dead letter.
//!
//! | header | value |
//! |---|---|
//! | `zpa.receive.listener` | the listener's name |
//! | `zpa.receive.peer` | the peer's `ip:port` |
//! | `zpa.receive.client_subject` | the client certificate's subject (mutual TLS only) |
//! | `zpa.log_type` | the record's log type (on a line that is no record: the listener's, else `unknown`) |
//! | `zpa.receive.format` | `json`, `csv`, `tsv` or `custom` (records only) |
//! | `zpa.error.reason`, `zpa.error.offset`, `zpa.error.message`, `zpa.error.time` | dead letters only (the offset for records that cannot be enriched) |

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use rdkafka::message::{Header, OwnedHeaders};

use super::Shared;
use super::line::{self, Record};
use super::listener::ListenerState;
use super::produce::{Outgoing, RECEIVE_HEADERS, error_headers};
use crate::enrich::{Enricher, Outcome};
use crate::event::LogType;
use crate::kafka::{InvalidPolicy, OutputTimestamp};
use crate::metrics::{Destination, EventCounters, UnknownCodes};

/// The record buffers of a connection keep at most this much memory between reads (LSS lines
/// are a few KB; a longer one borrows its memory for the read it comes in).
const RETAIN: usize = 64 * 1024;

/// The enrichment of received records, shared by every connection.
#[derive(Debug)]
pub(crate) struct EnrichStep {
    /// The enricher in use and its generation (bumped by each catalog reload).
    current: RwLock<Arc<Enricher>>,
    generation: AtomicU64,
    on_invalid: InvalidPolicy,
    timestamp: OutputTimestamp,
    /// Unknown codes seen, to log each once.
    unknown: Mutex<UnknownCodes>,
}

impl EnrichStep {
    pub(crate) fn new(
        enricher: Arc<Enricher>,
        on_invalid: InvalidPolicy,
        timestamp: OutputTimestamp,
    ) -> Self {
        Self {
            current: RwLock::new(enricher),
            generation: AtomicU64::new(0),
            on_invalid,
            timestamp,
            unknown: Mutex::new(UnknownCodes::default()),
        }
    }

    /// A reloaded catalog: connections take it up at their next read.
    pub(crate) fn swap(&self, enricher: Arc<Enricher>) {
        tracing::info!(
            version = enricher.catalog().version(),
            "enriching received records with the new catalog"
        );
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = enricher;
        self.generation.fetch_add(1, Ordering::Release);
    }

    fn current(&self) -> (Arc<Enricher>, u64) {
        let generation = self.generation.load(Ordering::Acquire);
        let e = Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner));
        (e, generation)
    }
}

/// A connection's enricher and its counters.
#[derive(Debug)]
struct Local {
    enricher: Arc<Enricher>,
    generation: u64,
    counters: EventCounters,
}

/// Where a connection's records come from: what their receive headers say.
#[derive(Debug)]
struct Origin {
    listener: Arc<ListenerState>,
    peer: String,
    subject: Option<String>,
}

impl Origin {
    /// The receive headers of a record of `log_type` read as `format`, with room for `extra`.
    fn headers(
        &self,
        log_type: Option<LogType>,
        format: Option<&str>,
        extra: usize,
    ) -> OwnedHeaders {
        let values = [
            Some(self.listener.name.as_str()),
            Some(self.peer.as_str()),
            self.subject.as_deref(),
            log_type.map(LogType::as_str),
            format,
        ];
        let mut h = OwnedHeaders::new_with_capacity(RECEIVE_HEADERS.len() + extra);
        for (key, value) in RECEIVE_HEADERS.iter().zip(values) {
            if let Some(value) = value {
                h = h.insert(Header {
                    key,
                    value: Some(value),
                });
            }
        }
        h
    }
}

/// Turns one connection's lines into records and dead letters.
#[derive(Debug)]
pub(crate) struct Lines {
    origin: Origin,
    listener: Arc<ListenerState>,
    shared: Arc<Shared>,
    /// The record of the current line.
    out: Vec<u8>,
    /// Its enriched form.
    enriched: Vec<u8>,
    local: Option<Local>,
    /// Records read since the last-record time was set.
    seen: bool,
}

impl Lines {
    pub(crate) fn new(
        listener: Arc<ListenerState>,
        shared: Arc<Shared>,
        peer: String,
        subject: Option<String>,
    ) -> Self {
        let local = shared.enrich.as_ref().map(|step| {
            let (enricher, generation) = step.current();
            Local {
                counters: counters(&shared, &enricher),
                enricher,
                generation,
            }
        });
        Self {
            origin: Origin {
                listener: Arc::clone(&listener),
                peer,
                subject,
            },
            listener,
            shared,
            out: Vec::new(),
            enriched: Vec::new(),
            local,
            seen: false,
        }
    }

    /// Takes up a reloaded catalog, if there is one; called once per read.
    pub(crate) fn refresh(&mut self) {
        let (Some(step), Some(local)) = (&self.shared.enrich, &mut self.local) else {
            return;
        };
        if step.generation.load(Ordering::Acquire) != local.generation {
            let (enricher, generation) = step.current();
            local.counters = counters(&self.shared, &enricher);
            local.enricher = enricher;
            local.generation = generation;
        }
    }

    /// After each read: sets the listener's last-record time if records were read since it
    /// was last set, and gives back the memory of an unusually long line.
    pub(crate) fn read_done(&mut self) {
        if std::mem::take(&mut self.seen) {
            self.listener.metrics.records_seen_now();
        }
        for buf in [&mut self.out, &mut self.enriched] {
            if buf.capacity() > RETAIN {
                *buf = Vec::new();
            }
        }
    }

    /// One complete line.
    pub(crate) async fn line(&mut self, line: &[u8]) {
        self.out.clear();
        let record = match line::read_line(&self.listener.reader, line, &mut self.out) {
            Ok(r) => r,
            Err(rejected) => {
                self.dead_letter(line, rejected.reason, &rejected.message)
                    .await;
                return;
            }
        };
        self.listener.metrics.record_read(record.log_type);
        if !record.notes.is_empty() {
            self.listener.metrics.line_noted(record.notes);
        }
        self.seen = true;
        let key = record.key.clone().map(|r| &self.out[r]);
        let out = Outgoing {
            destination: Destination::Raw,
            payload: &self.out,
            key,
            headers: self
                .origin
                .headers(Some(record.log_type), Some(record.format), 0),
            timestamp: None,
        };
        self.shared.sink.send(out).await;
        if self.local.is_some() {
            self.enrich(&record).await;
        }
    }

    /// The record in `out` through the enrichment, to the output or where invalid records go.
    async fn enrich(&mut self, record: &Record) {
        let Some(step) = &self.shared.enrich else {
            return;
        };
        let Some(local) = &mut self.local else {
            return;
        };
        let metrics = &self.shared.metrics;
        self.enriched.clear();
        let started = std::time::Instant::now();
        let outcome = local.enricher.enrich(&self.out, &mut self.enriched);
        metrics.observe_processing(started.elapsed());
        let key = record.key.clone().map(|r| &self.out[r]);
        let format = Some(record.format);
        if let Outcome::Invalid(error) = &outcome {
            metrics.record_invalid(error.reason);
            let destination = if step.on_invalid == InvalidPolicy::Pass {
                Destination::Output
            } else {
                metrics.record_dead_lettered(error.reason);
                Destination::Dlq
            };
            tracing::debug!(listener = %self.listener.name, peer = %self.origin.peer, %error, "received record cannot be enriched");
            let headers = error_headers(
                self.origin.headers(Some(record.log_type), format, 4),
                error.reason.as_str(),
                Some(error.offset),
                &error.detail,
            );
            let out = Outgoing {
                destination,
                payload: &self.out,
                key,
                headers,
                timestamp: None,
            };
            self.shared.sink.send(out).await;
            return;
        }
        if let Outcome::Unknown { code, source, .. } = &outcome {
            let mut unknown = step.unknown.lock().unwrap_or_else(PoisonError::into_inner);
            if unknown.observe(code) {
                tracing::warn!(code = %crate::metrics::shown_code(code), field = %source, "unknown status code (logged once per code)");
                metrics.unknown_code_seen_count(unknown.distinct());
            }
        }
        let timestamp = match step.timestamp {
            OutputTimestamp::Source => None,
            OutputTimestamp::Event => outcome.event_time().map(|t| t.millis),
        };
        let log_type = outcome.log_type().unwrap_or(record.log_type);
        let out = Outgoing {
            destination: Destination::Output,
            payload: &self.enriched,
            key,
            headers: self.origin.headers(Some(log_type), format, 0),
            timestamp,
        };
        self.shared.sink.send(out).await;
        local.counters.count(&outcome);
    }

    /// A dead letter of `bytes` (a line, or the first bytes of one) for `reason`.
    pub(crate) async fn dead_letter(&mut self, bytes: &[u8], reason: &'static str, message: &str) {
        self.listener.metrics.parse_failed(reason);
        tracing::debug!(listener = %self.listener.name, peer = %self.origin.peer, reason, message, "line dead-lettered");
        let headers = error_headers(
            self.origin.headers(
                Some(self.listener.log_type.unwrap_or(LogType::Unknown)),
                None,
                3,
            ),
            reason,
            None,
            message,
        );
        let out = Outgoing {
            destination: Destination::Dlq,
            payload: bytes,
            key: None,
            headers,
            timestamp: None,
        };
        self.shared.sink.send(out).await;
    }
}

fn counters(shared: &Shared, enricher: &Enricher) -> EventCounters {
    EventCounters::new(
        &shared.metrics,
        Arc::clone(enricher.catalog()),
        enricher.options().unknown_severity,
    )
}
