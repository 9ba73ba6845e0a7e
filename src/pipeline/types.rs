//! The pipeline's options and errors.

use std::time::Duration;

use rdkafka::error::KafkaError;

use crate::event::InvalidRecord;
use crate::kafka::{InvalidPolicy, OutputTimestamp, Partitioning};

/// Why the pipeline stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A record could not be read and the policy is `fail`.
    #[error(
        "invalid record at {topic}/{partition}@{offset}: {error} (kafka.on_invalid = \"fail\")"
    )]
    Invalid {
        /// Source topic.
        topic: String,
        /// Source partition.
        partition: i32,
        /// Source offset.
        offset: i64,
        /// What is wrong.
        error: InvalidRecord,
    },
    /// A record could not be delivered (after the producer's own retries).
    #[error("delivery to {topic} failed for the record from {source_topic}/{partition}@{offset}")]
    Delivery {
        /// Destination topic.
        topic: String,
        /// Source topic.
        source_topic: String,
        /// Source partition.
        partition: i32,
        /// Source offset.
        offset: i64,
        /// The producer's error.
        #[source]
        error: Box<KafkaError>,
    },
    /// A fatal Kafka client error.
    #[error("{0}")]
    Fatal(String),
}

/// Settings the loop needs, copied out of the service settings.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Enriched records go here.
    pub(crate) output_topic: String,
    /// Invalid records go here under `InvalidPolicy::Dlq`.
    pub(crate) dlq_topic: String,
    /// Invalid-record policy.
    pub(crate) on_invalid: InvalidPolicy,
    /// Output partition choice.
    pub(crate) partitioning: Partitioning,
    /// The timestamp of enriched records.
    pub(crate) timestamp: OutputTimestamp,
    /// In-flight window size.
    pub(crate) max_in_flight: usize,
    /// Pause consumption after the window has been full this long.
    pub(crate) pause_after: Duration,
    /// Not ready while the oldest in-flight record is older than this.
    pub(crate) readiness_stall: Duration,
    /// Time allowed for draining on shutdown.
    pub(crate) shutdown_grace: Duration,
    /// `run`, or one of the benchmark's reference set-ups.
    #[cfg(feature = "bench-passthrough")]
    pub(crate) passthrough: super::Passthrough,
}
