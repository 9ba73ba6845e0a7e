//! `zpa-enricher generate`: realistic synthetic LSS records, one per line, to a file or stdout.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::catalog::Catalog;
use crate::event::LogType;
use crate::generate::{Generator, GeneratorOptions};

/// Arguments of the `generate` command.
#[derive(Debug, Clone)]
pub struct GenerateJob {
    /// Number of records; 0 means without end.
    pub count: u64,
    /// Records per second; 0 means as fast as possible.
    pub rate: u64,
    /// Generator options (seed, log-type mix, unknown and invalid ratios).
    pub options: GeneratorOptions,
    /// Output file; `None` or `-` writes stdout.
    pub output: Option<PathBuf>,
    /// Produce to Kafka instead of writing lines.
    pub kafka: Option<KafkaSink>,
}

/// Where generated records go in Kafka.
#[derive(Debug, Clone)]
pub struct KafkaSink {
    /// Bootstrap servers.
    pub brokers: String,
    /// Topic.
    pub topic: String,
    /// Compression of produced batches (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
    pub compression: String,
    /// The record field whose value becomes the message key (empty: no key).
    pub key_field: String,
}

/// Why generating stopped.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The Kafka producer failed.
    #[error("cannot produce to Kafka")]
    Kafka(#[from] rdkafka::error::KafkaError),
}

/// The value of a top-level string field, found without parsing (generated records have no
/// escapes in identifiers).
fn field_value<'a>(record: &'a [u8], field: &str) -> Option<&'a [u8]> {
    let needle = format!("\"{field}\":\"");
    let start = memchr::memmem::find(record, needle.as_bytes())? + needle.len();
    let len = memchr::memchr(b'"', &record[start..])?;
    Some(&record[start..start + len])
}

/// Parses `TYPE` or `TYPE=WEIGHT` (weight 1 by default).
///
/// # Errors
/// An unknown log type or a weight that is not a positive integer.
pub fn parse_log_type_weight(s: &str) -> Result<(LogType, u32), String> {
    let (name, weight) = match s.split_once('=') {
        Some((n, w)) => (
            n,
            w.trim()
                .parse::<u32>()
                .ok()
                .filter(|w| *w > 0)
                .ok_or_else(|| format!("weight {w:?} is not a positive integer"))?,
        ),
        None => (s, 1),
    };
    let t = LogType::from_name(name)
        .filter(|t| *t != LogType::Unknown)
        .ok_or_else(|| {
            let names: Vec<&str> = LogType::ALL
                .iter()
                .filter(|t| **t != LogType::Unknown)
                .map(|t| t.as_str())
                .collect();
            format!(
                "unknown log type {name:?}; expected one of: {}",
                names.join(", ")
            )
        })?;
    Ok((t, weight))
}

/// Writes the records.
///
/// # Errors
/// The output cannot be created or written, or producing to Kafka fails.
pub fn run(catalog: &Catalog, job: &GenerateJob) -> Result<(), GenerateError> {
    match &job.kafka {
        Some(sink) => produce(catalog, job, sink),
        None => write_lines(catalog, job).map_err(GenerateError::from),
    }
}

fn produce(catalog: &Catalog, job: &GenerateJob, sink: &KafkaSink) -> Result<(), GenerateError> {
    use rdkafka::ClientConfig;
    use rdkafka::error::KafkaError;
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    use rdkafka::types::RDKafkaErrorCode;

    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &sink.brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("compression.type", &sink.compression)
        .set("partitioner", "murmur2_random")
        .create()?;
    let mut generator = Generator::new(catalog, job.options.clone());
    let mut buf = Vec::with_capacity(4096);
    let pace = Pace::new(job.rate);
    let mut written: u64 = 0;
    while job.count == 0 || written < job.count {
        buf.clear();
        generator.next_record(&mut buf);
        let key = if sink.key_field.is_empty() {
            None
        } else {
            field_value(&buf, &sink.key_field)
        };
        let mut record = BaseRecord::<[u8], [u8]>::to(&sink.topic).payload(&buf);
        if let Some(k) = key {
            record = record.key(k);
        }
        let mut record = record;
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(e.into()),
            }
        }
        written += 1;
        pace.wait(written);
    }
    producer.flush(Duration::from_secs(60))?;
    Ok(())
}

/// Paces a loop to a rate (records per second); zero means no pacing.
struct Pace {
    rate: u64,
    started: Instant,
}

impl Pace {
    fn new(rate: u64) -> Self {
        Self {
            rate,
            started: Instant::now(),
        }
    }

    /// True when record `done` is due more than a millisecond from now.
    fn due_soon(&self, done: u64) -> bool {
        let due = Duration::from_secs_f64(done as f64 / self.rate as f64);
        due.checked_sub(self.started.elapsed())
            .is_some_and(|w| w > Duration::from_millis(1))
    }

    /// Sleeps until `done` records are due. Returns true when it slept.
    fn wait(&self, done: u64) -> bool {
        if self.rate == 0 {
            return false;
        }
        // Pace against the start time, so the average rate holds even if a write stalls.
        let due = Duration::from_secs_f64(done as f64 / self.rate as f64);
        match due.checked_sub(self.started.elapsed()) {
            Some(wait) if wait > Duration::from_millis(1) => {
                std::thread::sleep(wait);
                true
            }
            _ => false,
        }
    }
}

fn write_lines(catalog: &Catalog, job: &GenerateJob) -> io::Result<()> {
    let out: Box<dyn Write> = match &job.output {
        Some(p) if p.as_os_str() != "-" => Box::new(File::create(p).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create {}: {e}", p.display()))
        })?),
        _ => Box::new(io::stdout().lock()),
    };
    let mut out = io::BufWriter::with_capacity(256 * 1024, out);
    let mut generator = Generator::new(catalog, job.options.clone());
    let mut buf = Vec::with_capacity(4096);
    let pace = Pace::new(job.rate);
    let mut written: u64 = 0;
    while job.count == 0 || written < job.count {
        buf.clear();
        generator.next_record(&mut buf);
        buf.push(b'\n');
        out.write_all(&buf)?;
        written += 1;
        if job.rate > 0 && pace.due_soon(written) {
            out.flush()?;
            pace.wait(written);
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_field_is_found_without_parsing() {
        let r = br#"{"LogTimestamp":"x","SessionID":"abc123","ConnectionID":"abc123,9"}"#;
        assert_eq!(field_value(r, "SessionID"), Some(&b"abc123"[..]));
        assert_eq!(field_value(r, "Username"), None);
    }

    #[test]
    fn log_type_weights_parse() {
        assert_eq!(
            parse_log_type_weight("user_activity"),
            Ok((LogType::UserActivity, 1))
        );
        assert_eq!(
            parse_log_type_weight("zpn_auth_log=5"),
            Ok((LogType::UserStatus, 5))
        );
        assert!(parse_log_type_weight("user_activity=0").is_err());
        assert!(
            parse_log_type_weight("unknown")
                .unwrap_err()
                .contains("user_activity")
        );
    }
}
