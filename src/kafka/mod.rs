//! The Kafka side of the service: its settings (`[kafka]`, in `settings`), their checks
//! (`validate`), the librdkafka client configurations built from them (`client_config`), topic
//! checks at start, and the classification of Kafka errors into fatal and transient.
//!
//! This module knows nothing of the catalog or the enrichment: it only builds and inspects
//! clients.

mod client_config;
pub(crate) mod context;
mod probe;
mod settings;
mod validate;

use client_config::conflict_reason;
pub use client_config::property_name;
pub use client_config::{check_clients, consumer_config, generator_configs, producer_config};
pub use settings::{
    Compression, InvalidPolicy, KafkaSettings, OffsetReset, OutputTimestamp, Partitioning,
    SaslMechanism, Secret, SecurityProtocol, SecuritySettings, is_secret_property,
};
pub use validate::{STATISTICS_INTERVAL_MS, topic_name_problem, validate};

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode as Code;

/// A problem with the Kafka settings or the cluster at start.
#[derive(Debug, thiserror::Error)]
pub enum KafkaSetupError {
    /// A librdkafka property in a pass-through map contradicts a typed setting, or one the
    /// service sets itself.
    #[error("kafka.{map}.\"{key}\" = {value:?} {}", conflict_reason(key, ours))]
    Conflict {
        /// Which map (`librdkafka`, `consumer_librdkafka`, `producer_librdkafka`).
        map: &'static str,
        /// The property.
        key: String,
        /// The value given in the map.
        value: String,
        /// The value the typed settings require.
        ours: String,
    },
    /// Creating a client failed (librdkafka rejected a property, ...).
    #[error("cannot create the Kafka {what}{}", setting_behind(source))]
    Client {
        /// "consumer", "producer" or "admin client".
        what: &'static str,
        /// The cause.
        #[source]
        source: KafkaError,
    },
    /// Cluster metadata could not be fetched in time (brokers unreachable or not answering).
    #[error("cannot fetch metadata from {brokers} within {} s", METADATA_TIMEOUT.as_secs())]
    Metadata {
        /// The bootstrap servers.
        brokers: String,
        /// What the client reported while waiting.
        #[source]
        cause: MetadataFailure,
    },
    /// The cluster refused the client in a way waiting cannot cure (authentication, TLS).
    #[error("cannot fetch metadata from {brokers}: {reason}")]
    Refused {
        /// The bootstrap servers.
        brokers: String,
        /// The client's report.
        reason: String,
    },
    /// Topics are missing and may not be created.
    #[error("topic(s) {} do not exist; create them, or set kafka.create_missing_topics = true", topics.join(", "))]
    MissingTopics {
        /// The missing topics.
        topics: Vec<String>,
    },
    /// Creating a topic failed.
    #[error("cannot create topic {topic}: {reason}")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// Why.
        reason: String,
    },
}

/// For a client that librdkafka refused to create, the setting behind the property it names.
fn setting_behind(e: &KafkaError) -> &'static str {
    let text = e.to_string();
    [
        ("ssl.ca.location", " (kafka.security.ca_file)"),
        ("ssl.certificate.location", " (kafka.security.cert_file)"),
        ("ssl.key.location", " (kafka.security.key_file)"),
        ("ssl.key.password", " (kafka.security.key_password)"),
    ]
    .into_iter()
    .find_map(|(property, setting)| text.contains(property).then_some(setting))
    .unwrap_or("")
}

/// True for errors after which the service cannot go on by itself: bad credentials, missing
/// authorisation, a librdkafka fatal error, a record that could not be delivered within the
/// delivery timeout. Everything else (broker down, network) is retried.
#[must_use]
pub(crate) fn is_fatal(e: &KafkaError) -> bool {
    match e {
        KafkaError::Subscription(_) | KafkaError::MessageConsumptionFatal(_) => true,
        KafkaError::MessageProduction(c)
        | KafkaError::Global(c)
        | KafkaError::MessageConsumption(c)
        | KafkaError::MetadataFetch(c) => is_fatal_code(*c),
        _ => false,
    }
}

/// The error codes [`is_fatal`] treats as fatal.
#[must_use]
pub(crate) fn is_fatal_code(code: Code) -> bool {
    matches!(
        code,
        Code::Authentication
            | Code::SaslAuthenticationFailed
            | Code::TopicAuthorizationFailed
            | Code::GroupAuthorizationFailed
            | Code::ClusterAuthorizationFailed
            | Code::Fatal
            | Code::MessageTimedOut
            | Code::UnknownTopicOrPartition
            | Code::UnknownTopic
            | Code::SSL
            | Code::InvalidRecord
            | Code::MessageSizeTooLarge
            | Code::InvalidConfig
    )
}

/// Checks that the topics exist, creating the missing ones when allowed.
///
/// # Errors
/// Metadata cannot be fetched, topics are missing and may not be created, or creation fails.
pub(crate) async fn ensure_topics(k: &KafkaSettings) -> Result<(), KafkaSetupError> {
    let mut wanted: Vec<&str> = k.input_topics.iter().map(String::as_str).collect();
    wanted.push(&k.output_topic);
    if k.on_invalid == InvalidPolicy::Dlq {
        wanted.push(&k.dlq_topic);
    }
    ensure_these(k, wanted).await
}

/// Checks that the topics `wanted` exist (`receive`'s, which reads no input topic), creating
/// the missing ones when allowed.
///
/// # Errors
/// As [`ensure_topics`].
pub(crate) async fn ensure_these(
    k: &KafkaSettings,
    mut wanted: Vec<&str>,
) -> Result<(), KafkaSetupError> {
    wanted.sort_unstable();
    wanted.dedup();
    let mut cfg = consumer_config(k)?;
    // Metadata only: no group membership, no statistics.
    cfg.remove("group.id");
    cfg.remove("statistics.interval.ms");
    let md = probe::fetch_metadata(&cfg, &k.brokers)?;
    let missing = missing_topics(&md, &wanted);
    if missing.is_empty() {
        return Ok(());
    }
    if !k.create_missing_topics {
        return Err(KafkaSetupError::MissingTopics { topics: missing });
    }
    let admin: AdminClient<DefaultClientContext> =
        cfg.create().map_err(|source| KafkaSetupError::Client {
            what: "admin client",
            source,
        })?;
    let new: Vec<NewTopic<'_>> = missing
        .iter()
        .map(|t| {
            NewTopic::new(
                t,
                k.create_partitions,
                TopicReplication::Fixed(k.create_replication_factor),
            )
        })
        .collect();
    let results = admin
        .create_topics(
            &new,
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .map_err(|e| KafkaSetupError::CreateTopic {
            topic: missing.join(", "),
            reason: e.to_string(),
        })?;
    for r in results {
        match r {
            Ok(topic) => tracing::info!(%topic, partitions = k.create_partitions, "created topic"),
            Err((_, Code::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(KafkaSetupError::CreateTopic {
                    topic,
                    reason: code.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// What a metadata wait that ran out of time has to say for itself.
#[derive(Debug, thiserror::Error)]
pub enum MetadataFailure {
    /// The client's last report while waiting (connection refused, name not resolved, ...).
    #[error("the Kafka client's last report: {0}")]
    Report(String),
    /// The client reported nothing; only the request's own error is known.
    #[error("are the brokers reachable and the settings right?")]
    Unexplained(#[source] KafkaError),
}

/// Checks that the cluster at `brokers` answers a client configured by `cfg` (`generate`),
/// for at most the metadata wait.
///
/// # Errors
/// [`KafkaSetupError::Refused`] at once when the cluster refuses the client in a way waiting
/// cannot cure, or [`KafkaSetupError::Metadata`] with the client's last report when it does not
/// answer in time.
pub fn check_reachable(cfg: &ClientConfig, brokers: &str) -> Result<(), KafkaSetupError> {
    probe::fetch_metadata(cfg, brokers).map(drop)
}

/// How long the start waits for cluster metadata.
const METADATA_TIMEOUT: Duration = Duration::from_secs(15);

/// The `wanted` topics that `md` does not list with partitions.
fn missing_topics(md: &rdkafka::metadata::Metadata, wanted: &[&str]) -> Vec<String> {
    wanted
        .iter()
        .filter(|t| {
            !md.topics()
                .iter()
                .any(|mt| mt.name() == **t && mt.error().is_none() && !mt.partitions().is_empty())
        })
        .map(|t| (*t).to_owned())
        .collect()
}

/// The librdkafka version, e.g. `2.12.1`.
#[must_use]
pub(crate) fn librdkafka_version() -> String {
    rdkafka::util::get_rdkafka_version().1
}

#[cfg(test)]
mod tests;
