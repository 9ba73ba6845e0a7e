//! Typed Kafka settings into librdkafka client configurations, in one place; topic checks at
//! start; and the classification of Kafka errors into fatal and transient.
//!
//! This module knows nothing of the catalog or the enrichment: it only builds and inspects
//! clients.

pub mod context;
mod probe;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode as Code;

use crate::config::{KafkaSettings, SecurityProtocol, Settings};

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

/// A property set by typed settings: a pass-through map may repeat it only with the same value.
struct Owned {
    props: BTreeMap<&'static str, String>,
    /// Tuned librdkafka defaults: applied like `props`, but the pass-through maps may change
    /// them (they are not tied to a typed setting).
    defaults: BTreeMap<&'static str, String>,
}

impl Owned {
    fn set(&mut self, key: &'static str, value: impl Into<String>) {
        self.props.insert(key, value.into());
    }

    fn default(&mut self, key: &'static str, value: impl Into<String>) {
        self.defaults.insert(key, value.into());
    }
}

fn common(k: &KafkaSettings) -> Owned {
    let mut o = Owned {
        props: BTreeMap::new(),
        defaults: BTreeMap::new(),
    };
    o.set("bootstrap.servers", k.brokers.clone());
    o.set("client.id", k.client_id.clone());
    let sec = &k.security;
    o.set(
        "security.protocol",
        match sec.protocol {
            SecurityProtocol::Plaintext => "plaintext",
            SecurityProtocol::Ssl => "ssl",
            SecurityProtocol::SaslPlaintext => "sasl_plaintext",
            SecurityProtocol::SaslSsl => "sasl_ssl",
        },
    );
    if matches!(
        sec.protocol,
        SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
    ) {
        o.set("sasl.mechanism", sec.sasl_mechanism.as_str());
        o.set("sasl.username", sec.sasl_username.clone());
        o.set("sasl.password", sec.sasl_password.expose());
    }
    if matches!(
        sec.protocol,
        SecurityProtocol::Ssl | SecurityProtocol::SaslSsl
    ) {
        let path = |p: &Path| p.display().to_string();
        if !sec.ca_file.as_os_str().is_empty() {
            o.set("ssl.ca.location", path(&sec.ca_file));
        }
        if !sec.cert_file.as_os_str().is_empty() {
            o.set("ssl.certificate.location", path(&sec.cert_file));
            o.set("ssl.key.location", path(&sec.key_file));
        }
        if !sec.key_password.is_empty() {
            o.set("ssl.key.password", sec.key_password.expose());
        }
        o.set(
            "ssl.endpoint.identification.algorithm",
            if sec.verify_hostname { "https" } else { "none" },
        );
    }
    o
}

fn finish(
    owned: &Owned,
    maps: &[(&'static str, &BTreeMap<String, String>)],
) -> Result<ClientConfig, KafkaSetupError> {
    if let Some(conflict) = conflicts(owned, maps).into_iter().next() {
        return Err(conflict);
    }
    let mut cfg = ClientConfig::new();
    for (k, v) in owned.defaults.iter().chain(&owned.props) {
        cfg.set(*k, v);
    }
    for &(_, props) in maps {
        for (key, value) in props {
            let key = property_name(key);
            if !owned.props.contains_key(key.as_str()) {
                cfg.set(key, value);
            }
        }
    }
    Ok(cfg)
}

/// librdkafka property names never contain '_': it is accepted for '.', so that the maps can be
/// set through environment variables (`ZPA_ENRICHER__KAFKA__LIBRDKAFKA__
/// SOCKET_KEEPALIVE_ENABLE=true`), where a '.' would start a nested key.
fn property_name(key: &str) -> String {
    key.replace('_', ".")
}

/// Every pass-through property that differs from what the service sets itself.
fn conflicts(
    owned: &Owned,
    maps: &[(&'static str, &BTreeMap<String, String>)],
) -> Vec<KafkaSetupError> {
    let mut found = Vec::new();
    for &(map, props) in maps {
        for (key, value) in props {
            let key = property_name(key);
            if let Some(ours) = owned.props.get(key.as_str())
                && ours != value
            {
                // Never echo a secret back.
                let secret = crate::config::is_secret_property(&key);
                found.push(KafkaSetupError::Conflict {
                    map,
                    value: if secret { "***".into() } else { value.clone() },
                    ours: if secret { "***".into() } else { ours.clone() },
                    key,
                });
            }
        }
    }
    found
}

/// The consumer configuration. Offsets are stored by the application only after delivery
/// (`enable.auto.offset.store = false`, forced) and committed by librdkafka on an interval.
///
/// # Errors
/// A pass-through property contradicts a typed setting.
pub fn consumer_config(s: &Settings) -> Result<ClientConfig, KafkaSetupError> {
    finish(&consumer_owned(s), &consumer_maps(&s.kafka))
}

fn consumer_maps(k: &KafkaSettings) -> [(&'static str, &BTreeMap<String, String>); 2] {
    [
        ("librdkafka", &k.librdkafka),
        ("consumer_librdkafka", &k.consumer_librdkafka),
    ]
}

/// What the consumer's configuration sets before the pass-through maps.
fn consumer_owned(s: &Settings) -> Owned {
    let k = &s.kafka;
    let mut o = common(k);
    o.set("group.id", k.group_id.clone());
    o.set("enable.auto.commit", "true");
    o.set("auto.commit.interval.ms", k.commit_interval_ms.to_string());
    o.set("enable.auto.offset.store", "false");
    o.set("auto.offset.reset", k.auto_offset_reset.as_str());
    o.set(
        "queued.max.messages.kbytes",
        k.consumer_queue_kbytes.to_string(),
    );
    // librdkafka waits fetch.queue.backoff.ms (1 s by default) before fetching again once the
    // prefetch queue is over its limit. With a queue small enough to keep memory low, that
    // pause starves the pipeline: a 2 MB queue drains in a few milliseconds at 200,000
    // records/s, so even 10 ms leaves it empty most of the time.
    o.default("fetch.queue.backoff.ms", "1");
    // A fetch may bring this much (compressed) per partition on top of the queue limit, and
    // compressed batches are held decompressed: 1 MB of lz4 JSON is several MB in memory.
    o.default("max.partition.fetch.bytes", "262144");
    // How long the broker may hold a fetch when there is nothing new (librdkafka: 500 ms). A
    // broker that answers only at this deadline, rather than when data arrives, adds up to this
    // much latency to every record; 100 ms bounds that at the cost of ten empty fetches a
    // second when idle.
    o.default("fetch.wait.max.ms", "100");
    o.set("enable.partition.eof", "false");
    o.set(
        "allow.auto.create.topics",
        if k.create_missing_topics {
            "true"
        } else {
            "false"
        },
    );
    o.set(
        "statistics.interval.ms",
        s.service.statistics_interval_ms.to_string(),
    );
    o
}

/// The producer configuration: idempotent, `acks=all`, Java-compatible key hashing.
///
/// # Errors
/// A pass-through property contradicts a typed setting.
pub fn producer_config(s: &Settings) -> Result<ClientConfig, KafkaSetupError> {
    finish(&producer_owned(&s.kafka), &producer_maps(&s.kafka))
}

fn producer_maps(k: &KafkaSettings) -> [(&'static str, &BTreeMap<String, String>); 2] {
    [
        ("librdkafka", &k.librdkafka),
        ("producer_librdkafka", &k.producer_librdkafka),
    ]
}

/// What the producer's configuration sets before the pass-through maps.
fn producer_owned(k: &KafkaSettings) -> Owned {
    let mut o = common(k);
    o.set("enable.idempotence", "true");
    o.set("acks", "all");
    o.set("message.timeout.ms", k.delivery_timeout_ms.to_string());
    o.set("linger.ms", k.linger_ms.to_string());
    o.set("compression.type", k.compression.as_str());
    o.set("partitioner", "murmur2_random");
    // The in-flight window bounds what is queued; leave room for dead letters.
    o.set(
        "queue.buffering.max.messages",
        (k.max_in_flight.saturating_mul(2)).max(1000).to_string(),
    );
    o
}

/// Problems with the librdkafka properties that show without a broker: a pass-through property
/// that librdkafka does not know or whose value it refuses, and one that contradicts a typed
/// setting. Secret values are not repeated.
#[must_use]
pub fn check_clients(s: &Settings) -> Vec<String> {
    let k = &s.kafka;
    let mut problems = Vec::new();
    for (map, props) in [
        ("librdkafka", &k.librdkafka),
        ("consumer_librdkafka", &k.consumer_librdkafka),
        ("producer_librdkafka", &k.producer_librdkafka),
    ] {
        for (key, value) in props {
            let name = key.replace('_', ".");
            let mut one = ClientConfig::new();
            one.set(&name, value);
            if let Err(KafkaError::ClientConfig(_, reason, ..)) = one.create_native_config() {
                let shown = if crate::config::is_secret_property(&name) {
                    "***".to_owned()
                } else {
                    format!("{value:?}")
                };
                problems.push(format!("kafka.{map}.\"{name}\" = {shown}: {reason}"));
            }
        }
    }
    let all = conflicts(&consumer_owned(s), &consumer_maps(k))
        .into_iter()
        .chain(conflicts(&producer_owned(k), &producer_maps(k)));
    for conflict in all {
        // A property of `kafka.librdkafka` conflicts in both clients: said once.
        let message = conflict.to_string();
        if !problems.contains(&message) {
            problems.push(message);
        }
    }
    problems
}

/// Why `name` cannot be a Kafka topic name (the broker's own rule), or `None` when it can.
#[must_use]
pub fn topic_name_problem(name: &str) -> Option<String> {
    const MAX: usize = 249;
    if name.is_empty() {
        return Some("a topic name cannot be empty".to_owned());
    }
    if name == "." || name == ".." {
        return Some(format!("{name:?} cannot be a topic name"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Some(format!(
            "{name:?} is not a valid topic name: it contains {c:?}, and topic names use only \
             ASCII letters, digits, '.', '_' and '-'"
        ));
    }
    if name.len() > MAX {
        return Some(format!(
            "a topic name has at most {MAX} characters, this one {}",
            name.len()
        ));
    }
    None
}

/// Checks the Kafka settings that types alone cannot; returns every problem.
#[must_use]
pub fn validate(k: &KafkaSettings) -> Vec<String> {
    let mut p = Vec::new();
    if k.brokers.trim().is_empty() {
        p.push("kafka.brokers: must name at least one broker".to_owned());
    }
    if k.input_topics.is_empty() || k.input_topics.iter().any(|t| t.trim().is_empty()) {
        p.push("kafka.input_topics: must name at least one topic, none empty".to_owned());
    }
    if k.output_topic.trim().is_empty() {
        p.push("kafka.output_topic: must not be empty".to_owned());
    }
    let named = k.input_topics.iter().map(|t| ("input_topics", t)).chain([
        ("output_topic", &k.output_topic),
        ("dlq_topic", &k.dlq_topic),
    ]);
    for (key, topic) in named {
        if let Some(why) = topic_name_problem(topic).filter(|_| !topic.trim().is_empty()) {
            p.push(format!("kafka.{key}: {why}"));
        }
    }
    if k.input_topics.contains(&k.output_topic) {
        p.push(format!(
            "kafka.output_topic: {:?} is also an input topic (records would be enriched again and again)",
            k.output_topic
        ));
    }
    if k.dlq_topic.trim().is_empty() && k.on_invalid == crate::config::InvalidPolicy::Dlq {
        p.push("kafka.dlq_topic: must not be empty when kafka.on_invalid = \"dlq\"".to_owned());
    }
    if k.input_topics.contains(&k.dlq_topic) {
        p.push(format!(
            "kafka.dlq_topic: {:?} is also an input topic",
            k.dlq_topic
        ));
    }
    if k.group_id.trim().is_empty() {
        p.push("kafka.group_id: must not be empty".to_owned());
    }
    // The librdkafka properties behind the typed settings bound the ranges.
    for (key, value, lo, hi) in [
        ("max_in_flight", k.max_in_flight as u64, 1, 1_000_000),
        // message.timeout.ms
        (
            "delivery_timeout_ms",
            k.delivery_timeout_ms,
            1_000,
            2_147_483_647,
        ),
        // auto.commit.interval.ms
        ("commit_interval_ms", k.commit_interval_ms, 1, 86_400_000),
        // linger.ms
        ("linger_ms", k.linger_ms, 0, 900_000),
        // queued.max.messages.kbytes
        (
            "consumer_queue_kbytes",
            k.consumer_queue_kbytes,
            1,
            2_097_151,
        ),
    ] {
        p.extend(crate::config::out_of_range("kafka", key, value, lo, hi));
    }
    for (key, value) in [
        ("create_partitions", k.create_partitions),
        ("create_replication_factor", k.create_replication_factor),
    ] {
        if value < 1 {
            p.push(format!("kafka.{key}: must be at least 1, not {value}"));
        }
    }
    let sec = &k.security;
    let sasl = matches!(
        sec.protocol,
        SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
    );
    if sasl && (sec.sasl_username.is_empty() || sec.sasl_password.is_empty()) {
        p.push(format!(
            "kafka.security.protocol: {} needs kafka.security.sasl_username and sasl_password",
            sec.protocol
        ));
    }
    if !sasl && (!sec.sasl_username.is_empty() || !sec.sasl_password.is_empty()) {
        let set = if sec.sasl_username.is_empty() {
            "sasl_password"
        } else {
            "sasl_username"
        };
        p.push(format!(
            "kafka.security.{set}: set, but kafka.security.protocol is {} (use sasl_ssl or sasl_plaintext)",
            sec.protocol
        ));
    }
    match (
        sec.cert_file.as_os_str().is_empty(),
        sec.key_file.as_os_str().is_empty(),
    ) {
        (false, true) => p.push(
            "kafka.security.cert_file: set without kafka.security.key_file (mTLS needs both)"
                .to_owned(),
        ),
        (true, false) => p.push(
            "kafka.security.key_file: set without kafka.security.cert_file (mTLS needs both)"
                .to_owned(),
        ),
        _ => {}
    }
    let tls = matches!(
        sec.protocol,
        SecurityProtocol::Ssl | SecurityProtocol::SaslSsl
    );
    for (name, path) in [
        ("ca_file", &sec.ca_file),
        ("cert_file", &sec.cert_file),
        ("key_file", &sec.key_file),
    ] {
        if path.as_os_str().is_empty() {
            continue;
        }
        if !tls {
            p.push(format!(
                "kafka.security.{name}: set but protocol is {} (use ssl or sasl_ssl)",
                sec.protocol
            ));
        } else if !path.is_file() {
            p.push(format!(
                "kafka.security.{name}: {}",
                crate::config::not_a_file(path)
            ));
        } else if let Some(why) = pem_problem(path) {
            p.push(format!("kafka.security.{name}: {} {why}", path.display()));
        }
    }
    p
}

/// Why the file at `path` cannot be the PEM file librdkafka expects, or `None` when it holds a
/// PEM block. (Whether the block is sound only the TLS library can tell, at start.)
fn pem_problem(path: &std::path::Path) -> Option<String> {
    match std::fs::read(path) {
        Err(e) => Some(format!("cannot be read: {e}")),
        Ok(bytes) if memchr::memmem::find(&bytes, b"-----BEGIN ").is_none() => Some(
            "holds no PEM block (\"-----BEGIN ...\"); the certificates and key are read in PEM"
                .to_owned(),
        ),
        Ok(_) => None,
    }
}

/// The typed setting that decides a librdkafka property, if one does.
fn typed_setting(property: &str) -> Option<&'static str> {
    Some(match property {
        "bootstrap.servers" => "kafka.brokers",
        "client.id" => "kafka.client_id",
        "security.protocol" => "kafka.security.protocol",
        "sasl.mechanism" | "sasl.mechanisms" => "kafka.security.sasl_mechanism",
        "sasl.username" => "kafka.security.sasl_username",
        "sasl.password" => "kafka.security.sasl_password",
        "ssl.ca.location" => "kafka.security.ca_file",
        "ssl.certificate.location" => "kafka.security.cert_file",
        "ssl.key.location" => "kafka.security.key_file",
        "ssl.key.password" => "kafka.security.key_password",
        "ssl.endpoint.identification.algorithm" => "kafka.security.verify_hostname",
        "group.id" => "kafka.group_id",
        "auto.commit.interval.ms" => "kafka.commit_interval_ms",
        "auto.offset.reset" => "kafka.auto_offset_reset",
        "queued.max.messages.kbytes" => "kafka.consumer_queue_kbytes",
        "message.timeout.ms" => "kafka.delivery_timeout_ms",
        "linger.ms" => "kafka.linger_ms",
        "compression.type" | "compression.codec" => "kafka.compression",
        "queue.buffering.max.messages" => "kafka.max_in_flight",
        _ => return None,
    })
}

/// Why a pass-through property may not differ from what the service sets (`ours`).
fn conflict_reason(property: &str, ours: &str) -> String {
    match typed_setting(property) {
        Some(setting) => format!(
            "contradicts the typed setting {setting} ({property} = {ours:?}); set {setting} instead"
        ),
        None => format!(
            "cannot be changed: the service sets {property} = {ours:?} itself, and its delivery \
             guarantees depend on it"
        ),
    }
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
pub fn is_fatal(e: &KafkaError) -> bool {
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
pub fn is_fatal_code(code: Code) -> bool {
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
pub async fn ensure_topics(s: &Settings) -> Result<(), KafkaSetupError> {
    let k = &s.kafka;
    let mut wanted: Vec<&str> = k.input_topics.iter().map(String::as_str).collect();
    wanted.push(&k.output_topic);
    if k.on_invalid == crate::config::InvalidPolicy::Dlq {
        wanted.push(&k.dlq_topic);
    }
    wanted.sort_unstable();
    wanted.dedup();
    let mut cfg = consumer_config(s)?;
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

/// The clients of a producer that is not the service's own (`generate`): bootstrap servers
/// `brokers` and its own client id, with the security settings and pass-through properties of
/// `k`. Returns the connection alone (`kafka.librdkafka`), for [`check_reachable`], and the
/// producer's (`kafka.producer_librdkafka` too), to which the caller adds its tuning.
///
/// # Errors
/// A pass-through property contradicts a typed setting.
pub fn generator_configs(
    k: &KafkaSettings,
    brokers: &str,
    client_id: &str,
) -> Result<(ClientConfig, ClientConfig), KafkaSetupError> {
    let mut o = common(k);
    o.set("bootstrap.servers", brokers);
    o.set("client.id", client_id);
    let connection = finish(&o, &[("librdkafka", &k.librdkafka)])?;
    let producer = finish(
        &o,
        &[
            ("librdkafka", &k.librdkafka),
            ("producer_librdkafka", &k.producer_librdkafka),
        ],
    )?;
    Ok((connection, producer))
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
pub fn librdkafka_version() -> String {
    rdkafka::util::get_rdkafka_version().1
}

#[cfg(test)]
mod tests;
