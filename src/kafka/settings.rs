//! The `[kafka]` settings: brokers and topics, delivery, security, and the librdkafka
//! pass-through maps. Their checks are in `validate` and `client_config`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::vocab::vocabulary;

/// `[kafka]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaSettings {
    /// Bootstrap servers, comma-separated `host:port`.
    pub brokers: String,
    /// Topics with raw LSS records.
    pub input_topics: Vec<String>,
    /// Topic for enriched records.
    pub output_topic: String,
    /// Topic for records that cannot be read (`on_invalid = "dlq"`).
    pub dlq_topic: String,
    /// Consumer group.
    pub group_id: String,
    /// Client id (shown in broker logs and metrics).
    pub client_id: String,
    /// Where to start in a partition without a committed offset.
    pub auto_offset_reset: OffsetReset,
    /// What to do with a record that cannot be read.
    pub on_invalid: InvalidPolicy,
    /// How the output partition is chosen.
    pub output_partitioning: Partitioning,
    /// Which timestamp an enriched record is produced with.
    pub output_timestamp: OutputTimestamp,
    /// Records sent but not yet acknowledged, at most (the in-flight window).
    pub max_in_flight: usize,
    /// How often stored offsets are committed.
    pub commit_interval_ms: u64,
    /// How long the producer keeps retrying one record before the service gives up (fatal).
    pub delivery_timeout_ms: u64,
    /// Producer batching delay.
    pub linger_ms: u64,
    /// Compression of produced batches.
    pub compression: Compression,
    /// Create missing input, output and dead-letter topics at start (else: fatal error).
    pub create_missing_topics: bool,
    /// Partitions of topics created by `create_missing_topics`.
    pub create_partitions: i32,
    /// Replication factor of topics created by `create_missing_topics`.
    pub create_replication_factor: i32,
    /// Upper bound of records prefetched by the consumer, in KiB (bounds memory).
    pub consumer_queue_kbytes: u64,
    /// How often librdkafka statistics (consumer lag, broker silence for readiness) are emitted.
    pub statistics_interval_ms: u64,
    /// Security protocol, SASL and TLS.
    pub security: SecuritySettings,
    /// librdkafka properties applied to both clients, last (refused if they contradict a
    /// typed setting).
    #[serde(serialize_with = "serialize_properties")]
    pub librdkafka: BTreeMap<String, String>,
    /// librdkafka properties for the consumer only.
    #[serde(serialize_with = "serialize_properties")]
    pub consumer_librdkafka: BTreeMap<String, String>,
    /// librdkafka properties for the producer only.
    #[serde(serialize_with = "serialize_properties")]
    pub producer_librdkafka: BTreeMap<String, String>,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        Self {
            brokers: "127.0.0.1:9092".into(),
            input_topics: vec!["zpa.raw".into()],
            output_topic: "zpa.enriched".into(),
            dlq_topic: "zpa.dlq".into(),
            group_id: "zpa-enricher".into(),
            client_id: "zpa-enricher".into(),
            auto_offset_reset: OffsetReset::Earliest,
            on_invalid: InvalidPolicy::Dlq,
            output_partitioning: Partitioning::Key,
            output_timestamp: OutputTimestamp::Source,
            max_in_flight: 5_000,
            commit_interval_ms: 5_000,
            delivery_timeout_ms: 300_000,
            linger_ms: 5,
            compression: Compression::Lz4,
            create_missing_topics: false,
            create_partitions: 6,
            create_replication_factor: 1,
            consumer_queue_kbytes: 2_048,
            statistics_interval_ms: 5_000,
            security: SecuritySettings::default(),
            librdkafka: BTreeMap::new(),
            consumer_librdkafka: BTreeMap::new(),
            producer_librdkafka: BTreeMap::new(),
        }
    }
}

vocabulary! {
    /// `auto.offset.reset`.
    OffsetReset {
        /// From the oldest record.
        Earliest => "earliest",
        /// Only new records.
        Latest => "latest",
    }
}

vocabulary! {
    /// What the service does with a record that cannot be read.
    InvalidPolicy {
        /// Produce it unchanged to the dead-letter topic, with headers naming the problem.
        Dlq => "dlq",
        /// Produce it unchanged to the output topic, with the same headers.
        Pass => "pass",
        /// Stop the service (exit non-zero); the record is not committed.
        Fail => "fail",
    }
}

vocabulary! {
    /// How the output partition is chosen.
    Partitioning {
        /// By the record key (murmur2, as Java clients do); records without a key are spread.
        Key => "key",
        /// The same partition number as the input record (topics need as many partitions).
        Source => "source",
    }
}

vocabulary! {
    /// Which timestamp an enriched record is produced with.
    OutputTimestamp {
        /// The input record's (Kafka's record timestamp, as it came).
        Source => "source",
        /// The event time read from the record (the processing time when it has none).
        Event => "event",
    }
}

vocabulary! {
    /// Producer compression.
    Compression {
        /// None.
        None => "none",
        /// gzip.
        Gzip => "gzip",
        /// Snappy.
        Snappy => "snappy",
        /// LZ4.
        Lz4 => "lz4",
        /// Zstandard.
        Zstd => "zstd",
    }
}

vocabulary! {
    /// `security.protocol`.
    SecurityProtocol {
        /// No TLS, no SASL.
        Plaintext => "plaintext",
        /// TLS (optionally with a client certificate: mTLS).
        Ssl => "ssl",
        /// SASL without TLS.
        SaslPlaintext => "sasl_plaintext",
        /// SASL over TLS.
        SaslSsl => "sasl_ssl",
    }
}

vocabulary! {
    /// `sasl.mechanism`.
    SaslMechanism {
        /// PLAIN.
        Plain => "PLAIN",
        /// SCRAM-SHA-256.
        ScramSha256 => "SCRAM-SHA-256",
        /// SCRAM-SHA-512.
        ScramSha512 => "SCRAM-SHA-512",
    }
}

/// `[kafka.security]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecuritySettings {
    /// `plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl`.
    pub protocol: SecurityProtocol,
    /// SASL mechanism (with a `sasl_*` protocol).
    pub sasl_mechanism: SaslMechanism,
    /// SASL user name.
    pub sasl_username: String,
    /// SASL password (never logged; redacted by `--print-config`).
    pub sasl_password: Secret,
    /// CA certificate(s) to verify the brokers (PEM file); empty: the system store.
    pub ca_file: PathBuf,
    /// Client certificate for mTLS (PEM file).
    pub cert_file: PathBuf,
    /// Client private key for mTLS (PEM file).
    pub key_file: PathBuf,
    /// Password of the client private key, if it is encrypted.
    pub key_password: Secret,
    /// Check that the broker certificate matches its host name.
    pub verify_hostname: bool,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            protocol: SecurityProtocol::Plaintext,
            sasl_mechanism: SaslMechanism::Plain,
            sasl_username: String::new(),
            sasl_password: Secret::default(),
            ca_file: PathBuf::new(),
            cert_file: PathBuf::new(),
            key_file: PathBuf::new(),
            key_password: Secret::default(),
            verify_hostname: true,
        }
    }
}

/// True for a librdkafka property whose value is a secret (a password, a private key, a
/// client secret, a JAAS or OAUTHBEARER configuration): never printed or logged. `_` counts as
/// `.`, as in the property maps.
#[must_use]
pub fn is_secret_property(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace('_', ".");
    [
        "password",
        "secret",
        "passphrase",
        "jaas",
        "sasl.oauthbearer.config",
    ]
    .iter()
    .any(|word| key.contains(word))
        || key == "ssl.key"
        || (key.contains("key") && key.contains("pem"))
}

/// Serialises a librdkafka property map for `--print-config`, with [`Secret::REDACTED`] in
/// place of every secret value.
fn serialize_properties<S: serde::Serializer>(
    map: &BTreeMap<String, String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut out = s.serialize_map(Some(map.len()))?;
    for (key, value) in map {
        let shown = if is_secret_property(key) && !value.is_empty() {
            Secret::REDACTED
        } else {
            value.as_str()
        };
        out.serialize_entry(key, shown)?;
    }
    out.end()
}

/// A secret string: `Debug` and `Display` print `***`, and serialising (for `--print-config`)
/// writes `<redacted>` unless it is empty.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The placeholder printed instead of a set secret.
    pub const REDACTED: &'static str = "<redacted>";

    /// Wraps a value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for handing to the Kafka client only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no secret is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() {
            ""
        } else {
            Self::REDACTED
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"<redacted>\"");
        assert_eq!(serde_json::to_string(&Secret::default()).unwrap(), "\"\"");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn secret_librdkafka_properties_are_redacted_when_serialised() {
        let secrets = [
            "sasl.password",
            "ssl.key.password",
            "ssl.keystore.password",
            "ssl_truststore_password",
            "sasl.oauthbearer.client.secret",
            "sasl.oauthbearer.config",
            "sasl.oauthbearer.assertion.private.key.passphrase",
            "sasl.oauthbearer.assertion.private.key.pem",
            "ssl.key.pem",
            "ssl_key_pem",
            "sasl.jaas.config",
        ];
        let plain = [
            "ssl.key.location",
            "sasl.username",
            "socket.keepalive.enable",
        ];
        let mut k = KafkaSettings::default();
        for key in secrets.iter().chain(&plain) {
            k.producer_librdkafka
                .insert((*key).into(), format!("value-of-{key}"));
        }
        let text = serde_json::to_string(&k).unwrap();
        for key in secrets {
            assert!(is_secret_property(key), "{key}");
            assert!(
                !text.contains(&format!("value-of-{key}")),
                "{key} leaked: {text}"
            );
        }
        for key in plain {
            assert!(!is_secret_property(key), "{key}");
            assert!(text.contains(&format!("value-of-{key}")), "{key}: {text}");
        }
    }
}
