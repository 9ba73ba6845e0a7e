//! The metadata fetch at start, with the Kafka client's own reports.
//!
//! librdkafka says why it cannot reach a cluster (connection refused, name not resolved, TLS
//! handshake or SASL authentication failed) only through error events on its main queue; a
//! plain blocking metadata request ends with a bare "transport failure". The probe fetches in
//! short steps and serves those events in between (its log lines go out then too), so the
//! last report is named in the final error, and a failure that waiting cannot cure (credentials,
//! TLS) ends the wait at once.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::metadata::Metadata;
use rdkafka::types::RDKafkaErrorCode as Code;

use super::{KafkaSetupError, METADATA_TIMEOUT, MetadataFailure, is_fatal_code};

/// How long one metadata request may wait before the probe serves the client's reports.
const STEP: Duration = Duration::from_millis(500);

/// How long the probe serves the client's queued events after each request.
const DRAIN: Duration = Duration::from_millis(20);

/// Collects what the client reports while the probe waits.
#[derive(Debug, Default)]
struct ProbeContext {
    reports: Mutex<Reports>,
}

#[derive(Debug, Default)]
struct Reports {
    /// The most recent report worth naming ("all brokers down" says nothing new).
    last: Option<String>,
    /// The first report that waiting cannot cure.
    fatal: Option<String>,
}

impl ClientContext for ProbeContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let code = error.rdkafka_error_code();
        let mut r = self
            .reports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if code == Some(Code::AllBrokersDown) {
            return;
        }
        let text = if reason.is_empty() {
            error.to_string()
        } else {
            reason.to_owned()
        };
        if code.is_some_and(is_fatal_code) && r.fatal.is_none() {
            r.fatal = Some(text.clone());
        }
        r.last = Some(text);
    }
}

impl ConsumerContext for ProbeContext {}

/// Fetches the cluster metadata through a group-less consumer built from `cfg`, for at most
/// [`METADATA_TIMEOUT`].
///
/// # Errors
/// The client cannot be created; a report that waiting cannot cure arrives
/// ([`KafkaSetupError::Refused`]); or no metadata arrives in time
/// ([`KafkaSetupError::Metadata`], naming the client's last report).
pub(super) fn fetch_metadata(
    cfg: &ClientConfig,
    brokers: &str,
) -> Result<Metadata, KafkaSetupError> {
    let probe: BaseConsumer<ProbeContext> = cfg
        .create_with_context(ProbeContext::default())
        .map_err(|source| KafkaSetupError::Client {
            what: "metadata client",
            source,
        })?;
    let deadline = Instant::now() + METADATA_TIMEOUT;
    loop {
        let started = Instant::now();
        let step = deadline.saturating_duration_since(started).min(STEP);
        let source = match probe.fetch_metadata(None, step) {
            Ok(md) => return Ok(md),
            Err(e) => e,
        };
        // Serve the reports that arrived meanwhile: without a group, the consumer's poll reads
        // the client's main queue, where librdkafka puts its error and log events. A poll
        // returns early only for an error; log events are served for the whole of its timeout
        // (with no timeout, one log event would end it and leave the rest queued).
        while probe.poll(DRAIN).is_some() {}
        let mut reports = probe
            .context()
            .reports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(reason) = reports.fatal.take() {
            return Err(KafkaSetupError::Refused {
                brokers: brokers.to_owned(),
                reason,
            });
        }
        if Instant::now() >= deadline {
            // A report says more than the request's own error, which then adds nothing.
            return Err(KafkaSetupError::Metadata {
                brokers: brokers.to_owned(),
                cause: reports.last.take().map_or(
                    MetadataFailure::Unexplained(source),
                    MetadataFailure::Report,
                ),
            });
        }
        drop(reports);
        // Not answered yet: try again, at most once a step.
        std::thread::sleep(step.saturating_sub(started.elapsed()));
    }
}
