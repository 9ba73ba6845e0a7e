//! The demo's traffic: a thread that produces generated LSS records into the raw topic at a
//! steady rate, with optional bursts of one status code on top.
//!
//! It is an ordinary Kafka producer client, so the service under demonstration sees exactly
//! what a real LSS receiver pipeline would give it. It knows nothing of the service.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use tokio_util::sync::CancellationToken;

use super::Burst;
use crate::catalog::Catalog;
use crate::generate::{Generator, GeneratorOptions};

/// How long the thread sleeps at most before it looks at the stop token again.
const MAX_NAP: Duration = Duration::from_millis(50);

/// How long the producer may take to deliver what is queued when the demo stops.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// What to produce, and where.
#[derive(Debug)]
pub(super) struct Traffic {
    /// Bootstrap servers of the (mock) cluster.
    pub(super) brokers: String,
    /// The raw topic.
    pub(super) topic: String,
    /// Records per second, at least 1.
    pub(super) rate: u64,
    /// Generator seed, mix and ratios.
    pub(super) options: GeneratorOptions,
    /// Bursts of one code, if any.
    pub(super) burst: Option<Burst>,
    /// The catalog the generator draws its codes from.
    pub(super) catalog: Arc<Catalog>,
}

/// Records produced so far, read by the summary while the thread writes.
#[derive(Debug, Default)]
pub(super) struct TrafficCounts {
    /// Every record handed to the producer (bursts included).
    pub(super) sent: AtomicU64,
    /// Records of bursts.
    pub(super) burst: AtomicU64,
}

impl Traffic {
    /// Starts the producing thread; it runs until `stop` is cancelled, then flushes. If the
    /// producer fails, the thread cancels `stop` itself (the demo has no traffic left to show)
    /// and returns the error.
    ///
    /// # Errors
    /// The thread cannot be spawned.
    pub(super) fn spawn(
        self,
        counts: Arc<TrafficCounts>,
        stop: CancellationToken,
    ) -> std::io::Result<JoinHandle<Result<(), KafkaError>>> {
        std::thread::Builder::new()
            .name("demo-traffic".into())
            .spawn(move || {
                let result = self.run(&counts, &stop);
                if let Err(error) = &result {
                    tracing::error!(%error, "demo traffic: producing failed; stopping the demo");
                    stop.cancel();
                }
                result
            })
    }

    fn run(self, counts: &TrafficCounts, stop: &CancellationToken) -> Result<(), KafkaError> {
        let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", "zpa-enricher-demo-traffic")
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set("compression.type", "lz4")
            .set("partitioner", "murmur2_random")
            .create()?;
        let mut generator = Generator::new(&self.catalog, self.options.clone());
        let mut buf = Vec::with_capacity(4096);
        let started = Instant::now();
        let mut paced: u64 = 0;
        let mut next_burst = self.burst.as_ref().map(|b| started + b.every);
        while !stop.is_cancelled() {
            if let (Some(b), Some(at)) = (&self.burst, next_burst)
                && Instant::now() >= at
            {
                for _ in 0..b.size {
                    buf.clear();
                    generator.record_with_code(&b.code, &mut buf);
                    if !self.send(&producer, &buf, stop)? {
                        break;
                    }
                    counts.sent.fetch_add(1, Ordering::Relaxed);
                    counts.burst.fetch_add(1, Ordering::Relaxed);
                }
                next_burst = Some(at + b.every);
            }
            // Pace against the start time, so the average rate holds even after a stall.
            let due = Duration::from_secs_f64(paced as f64 / self.rate as f64);
            if let Some(ahead) = due.checked_sub(started.elapsed())
                && ahead > Duration::from_millis(1)
            {
                std::thread::sleep(ahead.min(MAX_NAP));
                continue;
            }
            buf.clear();
            generator.next_record(&mut buf);
            if !self.send(&producer, &buf, stop)? {
                break;
            }
            paced += 1;
            counts.sent.fetch_add(1, Ordering::Relaxed);
        }
        if let Err(error) = producer.flush(FLUSH_TIMEOUT) {
            tracing::warn!(%error, "demo traffic: not every generated record was delivered");
        }
        Ok(())
    }

    /// Hands one record to the producer, waiting while its queue is full. False when the demo
    /// stopped meanwhile (the record is dropped).
    fn send(
        &self,
        producer: &ThreadedProducer<DefaultProducerContext>,
        payload: &[u8],
        stop: &CancellationToken,
    ) -> Result<bool, KafkaError> {
        let mut record = BaseRecord::<[u8], [u8]>::to(&self.topic).payload(payload);
        // One session's records share a key, hence a partition, as an LSS receiver would do.
        if let Some(key) = session_key(payload) {
            record = record.key(key);
        }
        loop {
            match producer.send(record) {
                Ok(()) => return Ok(true),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    if stop.is_cancelled() {
                        return Ok(false);
                    }
                    record = r;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(e),
            }
        }
    }
}

/// The `SessionID` of a generated record, found without parsing (generated identifiers have no
/// escapes).
fn session_key(record: &[u8]) -> Option<&[u8]> {
    const NEEDLE: &[u8] = b"\"SessionID\":\"";
    let start = memchr::memmem::find(record, NEEDLE)? + NEEDLE.len();
    let len = memchr::memchr(b'"', &record[start..])?;
    Some(&record[start..start + len]).filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_key_is_found_without_parsing() {
        let r = br#"{"LogTimestamp":"x","SessionID":"abc123","ConnectionID":"abc123,9"}"#;
        assert_eq!(session_key(r), Some(&b"abc123"[..]));
        assert_eq!(session_key(br#"{"SessionID":""}"#), None);
        assert_eq!(session_key(br#"{"Username":"u"}"#), None);
        assert_eq!(session_key(br#"{"SessionID":"trunc"#), None);
    }
}
