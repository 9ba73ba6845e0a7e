//! The Kafka producer of generated traffic: [`Traffic::produce`] pumps its schedule into a
//! topic.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use tokio_util::sync::CancellationToken;

use super::{Sink, Traffic};

/// What [`Traffic::produce`] makes of records still undelivered when it stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undelivered {
    /// Log a warning and succeed (the demo stops promptly rather than completely).
    Warn,
    /// Fail with the first delivery error (`generate`: every record must arrive).
    Fail,
}

/// A Kafka topic that [`Traffic::produce`] produces generated records to, and how.
#[derive(Debug, Clone)]
pub struct KafkaTarget {
    /// How to reach the cluster: bootstrap servers, and security settings when it has them.
    pub client: ClientConfig,
    /// The topic.
    pub topic: String,
    /// The producer's `client.id`.
    pub client_id: String,
    /// Compression of produced batches (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
    pub compression: String,
    /// The record field whose value becomes the message key, so one session's records share a
    /// partition as an LSS receiver would do (empty: no key).
    pub key_field: String,
    /// How long the producer may take to deliver what is queued when the run stops.
    pub flush_timeout: Duration,
    /// Whether records left undelivered fail the run.
    pub undelivered: Undelivered,
}

/// Records produced so far, readable while the producing thread writes.
#[derive(Debug, Default)]
pub struct TrafficCounts {
    /// Every record handed to the producer (bursts included).
    pub sent: AtomicU64,
    /// Records of bursts.
    pub burst: AtomicU64,
}

impl Traffic {
    /// Produces `count` paced records plus the bursts to `to`, or until `stop` is cancelled,
    /// then flushes. Blocks the calling thread.
    ///
    /// # Errors
    /// The producer cannot be created or refuses a record; with [`Undelivered::Fail`], also
    /// records not delivered by the end of the flush.
    pub fn produce(
        &self,
        to: &KafkaTarget,
        counts: &TrafficCounts,
        stop: &CancellationToken,
    ) -> Result<(), KafkaError> {
        let producer: ThreadedProducer<Deliveries> = to
            .client
            .clone()
            .set("client.id", &to.client_id)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set("compression.type", &to.compression)
            .set("partitioner", "murmur2_random")
            .create_with_context(Deliveries::default())?;
        let mut sink = Producing {
            producer: &producer,
            topic: &to.topic,
            key: KeyField::new(&to.key_field),
            counts,
            stop,
        };
        self.pump_into(&mut sink, stop)?;
        let flushed = producer.flush(to.flush_timeout);
        let deliveries = producer.context();
        let failed = deliveries.failed.load(Ordering::Relaxed);
        let error = flushed.err().or_else(|| deliveries.first.get().cloned());
        let Some(error) = error else {
            return Ok(());
        };
        let queued = producer.in_flight_count();
        match to.undelivered {
            Undelivered::Warn => {
                tracing::warn!(client = %to.client_id, %error, failed, queued,
                    "not every generated record was delivered");
                Ok(())
            }
            Undelivered::Fail => {
                tracing::error!(client = %to.client_id, failed, queued,
                    "not every generated record was delivered");
                Err(error)
            }
        }
    }
}

/// The producer's context: counts the records that could not be delivered and keeps the first
/// error, which `flush` alone would not report.
#[derive(Debug, Default)]
struct Deliveries {
    failed: AtomicU64,
    first: OnceLock<KafkaError>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _opaque: ()) {
        if let Err((error, _)) = result {
            self.failed.fetch_add(1, Ordering::Relaxed);
            // Later failures mostly repeat the first; only the count is kept for them.
            self.first.set(error.clone()).ok();
        }
    }
}

/// The Kafka [`Sink`] of [`Traffic::produce`].
struct Producing<'a> {
    producer: &'a ThreadedProducer<Deliveries>,
    topic: &'a str,
    key: Option<KeyField>,
    counts: &'a TrafficCounts,
    stop: &'a CancellationToken,
}

impl Sink for Producing<'_> {
    type Error = KafkaError;

    /// Hands one record to the producer, waiting while its queue is full. False when the run
    /// was stopped meanwhile (the record is dropped).
    fn put(&mut self, payload: &[u8], burst: bool) -> Result<bool, KafkaError> {
        let mut record = BaseRecord::<[u8], [u8]>::to(self.topic).payload(payload);
        if let Some(key) = self.key.as_ref().and_then(|k| k.find(payload)) {
            record = record.key(key);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    if self.stop.is_cancelled() {
                        return Ok(false);
                    }
                    record = r;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(e),
            }
        }
        self.counts.sent.fetch_add(1, Ordering::Relaxed);
        if burst {
            self.counts.burst.fetch_add(1, Ordering::Relaxed);
        }
        Ok(true)
    }
}

/// A top-level string field of generated records, found without parsing (generated identifiers
/// have no escapes).
#[derive(Debug)]
pub(super) struct KeyField {
    /// `"FIELD":"`
    needle: Vec<u8>,
}

impl KeyField {
    /// `None` for an empty field name (no key).
    pub(super) fn new(field: &str) -> Option<Self> {
        (!field.is_empty()).then(|| Self {
            needle: format!("\"{field}\":\"").into_bytes(),
        })
    }

    /// The field's value in `record`; `None` when it is missing, cut off or empty.
    pub(super) fn find<'r>(&self, record: &'r [u8]) -> Option<&'r [u8]> {
        let start = memchr::memmem::find(record, &self.needle)? + self.needle.len();
        let len = memchr::memchr(b'"', &record[start..])?;
        Some(&record[start..start + len]).filter(|v| !v.is_empty())
    }
}
