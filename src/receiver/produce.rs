//! The way out: every record read goes to the producer with a permit of the in-flight bound
//! ([`Flight`]), and the permit comes back when the broker acknowledges it.
//!
//! # Delivery
//! A received record cannot be read again from anywhere, so nothing is given up while Kafka
//! may still take it:
//! - a full producer queue is waited out and the same record offered again;
//! - a delivery that fails for a reason that can pass (timed out while the brokers were
//!   unreachable, a leader change) is produced again, with the same key, headers and
//!   timestamp, by the retry task ([`retry`]), holding its permit all along;
//! - a record refused as too large (by the producer's `message.max.bytes` or the topic's
//!   `max.message.bytes`) becomes a dead letter holding its first `dead_letter_prefix_bytes`;
//! - an error that waiting cannot cure (authorisation, a fatal producer error) stops the
//!   service, as it stops `run`.
//!
//! Acknowledgements arrive on librdkafka's polling thread ([`ReceiveContext::delivery`]); each
//! carries a [`Ticket`] packed into the opaque pointer, so no allocation is made per record.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Headers, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{BaseRecord, DeliveryResult, ProducerContext, ThreadedProducer};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Message};
use tokio::sync::mpsc;

use super::flight::Flight;
use crate::event::{EventTime, TimeSource};
use crate::kafka::context::{Fatal, ServiceContext};
use crate::metrics::{Destination, ProduceErrorKind};

/// Header names of what `receive` writes, in the order they are added.
pub const RECEIVE_HEADERS: [&str; 5] = [
    "zpa.receive.listener",
    "zpa.receive.peer",
    "zpa.receive.client_subject",
    "zpa.log_type",
    "zpa.receive.format",
];

/// Header names a dead letter adds to [`RECEIVE_HEADERS`] (`zpa.error.offset` only for a record
/// that cannot be enriched, as `run` writes it).
pub const DEAD_LETTER_HEADERS: [&str; 4] = [
    "zpa.error.reason",
    "zpa.error.offset",
    "zpa.error.message",
    "zpa.error.time",
];

/// How long a full producer queue is waited out before the record is offered again.
const QUEUE_FULL_WAIT: Duration = Duration::from_millis(5);

/// Pause between two rounds of re-produced records, so that an error that comes back at once
/// does not spin.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// What is remembered of a record while it is in flight, packed into the opaque pointer
/// librdkafka hands back: the destination (2 bits), whether it replaces a refused record (1 bit),
/// and when it was first handed over, in microseconds after [`Flight::base`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(usize);

impl Ticket {
    const REPLACEMENT: usize = 0b100;

    fn new(destination: Destination, sent_micros: u64) -> Self {
        let d = match destination {
            Destination::Output => 0,
            Destination::Dlq => 1,
            Destination::Raw => 2,
        };
        let micros = usize::try_from(sent_micros).unwrap_or(usize::MAX >> 3);
        Self((micros << 3) | d)
    }

    pub(super) fn destination(self) -> Destination {
        match self.0 & 0b11 {
            0 => Destination::Output,
            1 => Destination::Dlq,
            _ => Destination::Raw,
        }
    }

    fn replacement(self) -> bool {
        self.0 & Self::REPLACEMENT != 0
    }

    pub(super) fn sent_micros(self) -> u64 {
        u64::try_from(self.0 >> 3).unwrap_or(u64::MAX)
    }

    /// The ticket of the dead letter that takes a refused record's place (and its permit).
    fn replaced(self) -> Self {
        Self((self.0 & !0b11) | 1 | Self::REPLACEMENT)
    }
}

/// A delivery that failed and goes out again: as it was, or, when it was refused as too large,
/// as a dead letter.
#[derive(Debug)]
pub(crate) struct Retry {
    message: OwnedMessage,
    ticket: Ticket,
    too_large: bool,
}

/// What the producer reports into: the service's client context (errors, fatal conditions)
/// and the acknowledgements.
#[derive(Debug)]
pub(crate) struct ReceiveContext {
    service: ServiceContext,
    flight: Arc<Flight>,
    retries: mpsc::UnboundedSender<Retry>,
    fatal: Arc<Fatal>,
}

impl ClientContext for ReceiveContext {
    fn stats(&self, stats: Statistics) {
        self.service.stats(stats);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.service.error(error, reason);
    }
}

/// What to do with a failed delivery.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    /// Produce it again.
    Retry,
    /// It cannot fit: dead-letter its first bytes.
    TooLarge,
    /// Stop the service.
    Fatal,
}

fn classify(e: &KafkaError) -> Failure {
    if too_large(e) {
        Failure::TooLarge
    } else if matches!(
        e,
        KafkaError::MessageProduction(
            RDKafkaErrorCode::MessageTimedOut
                | RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::UnknownTopic
        )
    ) || !crate::kafka::is_fatal(e)
    {
        // A timeout is the brokers being away; an unknown topic right after start is metadata
        // not propagated yet (the topics were checked at start).
        Failure::Retry
    } else {
        Failure::Fatal
    }
}

/// A record was refused as too large: by the producer before sending it, or by the broker.
fn too_large(e: &KafkaError) -> bool {
    matches!(
        e,
        KafkaError::MessageProduction(
            RDKafkaErrorCode::MessageSizeTooLarge | RDKafkaErrorCode::MessageBatchTooLarge
        )
    )
}

impl ProducerContext for ReceiveContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, opaque: usize) {
        let ticket = Ticket(opaque);
        let (error, message) = match result {
            Ok(_) => return self.flight.acknowledged(ticket),
            Err((error, message)) => (error, message),
        };
        let failure = classify(error);
        let metrics = &self.flight.metrics;
        match failure {
            Failure::Retry => {
                metrics.produce_error(
                    if matches!(
                        error,
                        KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut)
                    ) {
                        ProduceErrorKind::Timeout
                    } else {
                        ProduceErrorKind::Broker
                    },
                );
                self.flight.failing();
            }
            Failure::TooLarge if !ticket.replacement() => {}
            Failure::TooLarge | Failure::Fatal => {
                metrics.produce_error(ProduceErrorKind::Broker);
                if failure == Failure::Fatal {
                    self.fatal
                        .raise(format!("delivery to {} failed: {error}", message.topic()));
                } else {
                    tracing::error!(topic = message.topic(), %error, "a dead letter was refused as too large; it is lost");
                }
                self.flight.release();
                return;
            }
        }
        let retry = Retry {
            message: message.detach(),
            ticket,
            too_large: failure == Failure::TooLarge,
        };
        if self.retries.send(retry).is_err() {
            // The receiver is gone: the service is at the end of its shutdown.
            self.flight.release();
        }
    }
}

/// The producer of `receive`.
pub(crate) type Producer = ThreadedProducer<ReceiveContext>;

/// Creates the producer from `config`, reporting into `service` and `flight`; failed
/// deliveries to produce again come out of the returned receiver (for [`retry`]).
///
/// # Errors
/// librdkafka refuses the configuration.
pub(crate) fn producer(
    config: &ClientConfig,
    service: ServiceContext,
    flight: Arc<Flight>,
    fatal: Arc<Fatal>,
) -> Result<(Producer, mpsc::UnboundedReceiver<Retry>), KafkaError> {
    let (retries, rx) = mpsc::unbounded_channel();
    let context = ReceiveContext {
        service,
        flight,
        retries,
        fatal,
    };
    Ok((config.create_with_context(context)?, rx))
}

/// Where a record goes.
#[derive(Debug, Clone)]
pub(crate) struct Topics {
    /// The raw topic (`receive.topic`).
    pub(crate) raw: String,
    /// Enriched records (`kafka.output_topic`).
    pub(crate) output: String,
    /// Dead letters (`kafka.dlq_topic`).
    pub(crate) dlq: String,
}

impl Topics {
    fn name(&self, destination: Destination) -> &str {
        match destination {
            Destination::Raw => &self.raw,
            Destination::Output => &self.output,
            Destination::Dlq => &self.dlq,
        }
    }
}

/// One record to produce.
#[derive(Debug)]
pub(crate) struct Outgoing<'a> {
    pub(crate) destination: Destination,
    pub(crate) payload: &'a [u8],
    pub(crate) key: Option<&'a [u8]>,
    pub(crate) headers: OwnedHeaders,
    /// Milliseconds since the epoch; `None`: the time it is handed over.
    pub(crate) timestamp: Option<i64>,
}

/// Hands records to the producer; shared by every connection.
pub(crate) struct Sink {
    pub(crate) producer: Producer,
    pub(crate) flight: Arc<Flight>,
    pub(crate) topics: Topics,
    /// What an over-long or refused record's dead letter keeps of it.
    pub(crate) prefix_bytes: usize,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("flight", &self.flight)
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

impl Sink {
    /// Produces `out` once a permit is free. Never fails: what cannot go out as it is goes out
    /// as a dead letter, and what cannot go out at all is counted, logged and, if the cause is
    /// fatal, stops the service.
    pub(crate) async fn send(&self, out: Outgoing<'_>) {
        self.flight.acquire().await;
        let ticket = Ticket::new(out.destination, self.flight.now_micros());
        self.produce(out, ticket).await;
    }

    /// Produces `out` under a permit already held, waiting out a full queue.
    async fn produce(&self, out: Outgoing<'_>, ticket: Ticket) {
        let mut record = BaseRecord::with_opaque_to(self.topics.name(out.destination), ticket.0)
            .payload(out.payload)
            .headers(out.headers);
        if let Some(key) = out.key {
            record = record.key(key);
        }
        if let Some(ts) = out.timestamp {
            record = record.timestamp(ts);
        }
        let mut record = record;
        loop {
            match self.producer.send(record) {
                Ok(()) => return,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    self.flight
                        .metrics
                        .produce_error(ProduceErrorKind::QueueFull);
                    tokio::time::sleep(QUEUE_FULL_WAIT).await;
                    record = back;
                }
                Err((e, back)) if too_large(&e) && !ticket.replacement() => {
                    // Refused before sending: larger than the producer's message.max.bytes.
                    let headers = back.headers.unwrap_or_default();
                    let size = out.payload.len();
                    let replacement = Outgoing {
                        destination: Destination::Dlq,
                        payload: &out.payload[..size.min(self.prefix_bytes)],
                        key: out.key,
                        headers: too_large_headers(&headers, size),
                        timestamp: out.timestamp,
                    };
                    // A boxed future: this recursion happens at most once.
                    return Box::pin(self.produce(replacement, ticket.replaced())).await;
                }
                Err((e, back)) => {
                    self.flight.metrics.produce_error(ProduceErrorKind::Other);
                    tracing::error!(topic = back.topic, error = %e, "a record cannot be produced; it is lost");
                    self.flight.release();
                    return;
                }
            }
        }
    }

    /// Produces a failed delivery again (as it was, or as a dead letter if it was too large),
    /// under the permit it still holds.
    async fn again(&self, mut retry: Retry) {
        let headers = retry.message.detach_headers().unwrap_or_default();
        let payload = retry.message.payload().unwrap_or_default();
        let timestamp = retry.message.timestamp().to_millis();
        let key = retry.message.key();
        if retry.too_large {
            let out = Outgoing {
                destination: Destination::Dlq,
                payload: &payload[..payload.len().min(self.prefix_bytes)],
                key,
                headers: too_large_headers(&headers, payload.len()),
                timestamp,
            };
            self.produce(out, retry.ticket.replaced()).await;
        } else {
            let out = Outgoing {
                destination: retry.ticket.destination(),
                payload,
                key,
                headers,
                timestamp,
            };
            self.produce(out, retry.ticket).await;
        }
    }
}

/// Produces the failed deliveries that come out of `retries` again, until every sender is gone.
pub(crate) async fn retry(sink: Arc<Sink>, mut retries: mpsc::UnboundedReceiver<Retry>) {
    while let Some(first) = retries.recv().await {
        tokio::time::sleep(RETRY_PAUSE).await;
        sink.again(first).await;
        while let Ok(next) = retries.try_recv() {
            sink.again(next).await;
        }
    }
}

/// The headers of the dead letter that replaces a record of `size` bytes refused as too large:
/// the record's own headers, then the error headers.
fn too_large_headers(headers: &OwnedHeaders, size: usize) -> OwnedHeaders {
    let mut out = OwnedHeaders::new_with_capacity(headers.count() + DEAD_LETTER_HEADERS.len());
    for h in headers.iter() {
        out = out.insert(Header {
            key: h.key,
            value: h.value,
        });
    }
    error_headers(
        out,
        "too_large",
        None,
        &format!(
            "the record ({size} bytes) is larger than Kafka accepts (the producer's \
             message.max.bytes or the topic's max.message.bytes); its first bytes are kept"
        ),
    )
}

/// `headers` followed by the dead-letter headers for `reason`, the byte `offset` of the problem
/// when it is known (`zpa.error.offset`, as `run` writes it) and `message`.
pub(crate) fn error_headers(
    headers: OwnedHeaders,
    reason: &str,
    offset: Option<usize>,
    message: &str,
) -> OwnedHeaders {
    let mut time = Vec::with_capacity(24);
    EventTime {
        millis: crate::enrich::system_clock(),
        source: TimeSource::Processing,
    }
    .write_rfc3339(&mut time);
    let time = String::from_utf8_lossy(&time);
    let offset = offset.map(|o| o.to_string());
    let values = [
        ("zpa.error.reason", Some(reason)),
        ("zpa.error.offset", offset.as_deref()),
        ("zpa.error.message", Some(message)),
        ("zpa.error.time", Some(&*time)),
    ];
    let mut headers = headers;
    for (key, value) in values {
        if let Some(value) = value {
            headers = headers.insert(Header {
                key,
                value: Some(value),
            });
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_keep_destination_replacement_and_time() {
        for d in Destination::ALL {
            let t = Ticket::new(d, 123_456_789);
            assert_eq!(t.destination(), d);
            assert!(!t.replacement());
            assert_eq!(t.sent_micros(), 123_456_789);
            let r = t.replaced();
            assert_eq!(r.destination(), Destination::Dlq);
            assert!(r.replacement());
            assert_eq!(r.sent_micros(), 123_456_789);
        }
    }

    #[test]
    fn failed_deliveries_are_retried_unless_too_large_or_fatal() {
        use RDKafkaErrorCode as C;
        let p = KafkaError::MessageProduction;
        assert_eq!(classify(&p(C::MessageTimedOut)), Failure::Retry);
        assert_eq!(classify(&p(C::NotLeaderForPartition)), Failure::Retry);
        assert_eq!(classify(&p(C::BrokerTransportFailure)), Failure::Retry);
        assert_eq!(classify(&p(C::UnknownTopicOrPartition)), Failure::Retry);
        assert_eq!(classify(&p(C::MessageSizeTooLarge)), Failure::TooLarge);
        assert_eq!(classify(&p(C::TopicAuthorizationFailed)), Failure::Fatal);
        assert_eq!(classify(&p(C::Fatal)), Failure::Fatal);
    }

    #[test]
    fn dead_letter_headers_follow_the_record_headers() {
        let base = OwnedHeaders::new().insert(Header {
            key: "zpa.receive.listener",
            value: Some("ua"),
        });
        let h = too_large_headers(&base, 5000);
        let keys: Vec<&str> = h.iter().map(|h| h.key).collect();
        assert_eq!(
            keys,
            [
                "zpa.receive.listener",
                "zpa.error.reason",
                "zpa.error.message",
                "zpa.error.time"
            ]
        );
        let value = |i: usize| String::from_utf8(h.get(i).value.unwrap().to_vec()).unwrap();
        assert_eq!(value(1), "too_large");
        assert!(value(2).contains("5000 bytes"), "{}", value(2));
        assert_eq!(value(3).len(), 24, "{}", value(3));
    }
}
