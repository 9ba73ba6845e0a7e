//! Typed settings into librdkafka client configurations: what the service sets itself, the
//! pass-through maps applied last, and the properties of those maps that may not change what
//! the service sets.

use std::collections::BTreeMap;
use std::path::Path;

use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;

use super::{KafkaSettings, KafkaSetupError, SecurityProtocol, is_secret_property};
use crate::checks::Problem;

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
pub fn property_name(key: &str) -> String {
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
                let secret = is_secret_property(&key);
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
pub fn consumer_config(k: &KafkaSettings) -> Result<ClientConfig, KafkaSetupError> {
    finish(&consumer_owned(k), &consumer_maps(k))
}

fn consumer_maps(k: &KafkaSettings) -> [(&'static str, &BTreeMap<String, String>); 2] {
    [
        ("librdkafka", &k.librdkafka),
        ("consumer_librdkafka", &k.consumer_librdkafka),
    ]
}

/// What the consumer's configuration sets before the pass-through maps.
fn consumer_owned(k: &KafkaSettings) -> Owned {
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
        k.statistics_interval_ms.to_string(),
    );
    o
}

/// The producer configuration: idempotent, `acks=all`, Java-compatible key hashing.
///
/// # Errors
/// A pass-through property contradicts a typed setting.
pub fn producer_config(k: &KafkaSettings) -> Result<ClientConfig, KafkaSetupError> {
    finish(&producer_owned(k), &producer_maps(k))
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
pub fn check_clients(k: &KafkaSettings) -> Vec<Problem> {
    let mut problems: Vec<Problem> = Vec::new();
    for (map, props) in [
        ("librdkafka", &k.librdkafka),
        ("consumer_librdkafka", &k.consumer_librdkafka),
        ("producer_librdkafka", &k.producer_librdkafka),
    ] {
        for (key, value) in props {
            let name = property_name(key);
            let mut one = ClientConfig::new();
            one.set(&name, value);
            if let Err(KafkaError::ClientConfig(_, reason, ..)) = one.create_native_config() {
                let shown = if is_secret_property(&name) {
                    "***".to_owned()
                } else {
                    format!("{value:?}")
                };
                problems.push(Problem::named(
                    vec!["kafka".into(), map.into(), name.clone()],
                    format!("kafka.{map}.\"{name}\" = {shown}: {reason}"),
                ));
            }
        }
    }
    let all = conflicts(&consumer_owned(k), &consumer_maps(k))
        .into_iter()
        .chain(conflicts(&producer_owned(k), &producer_maps(k)));
    for conflict in all {
        let KafkaSetupError::Conflict { map, key, .. } = &conflict else {
            continue;
        };
        let problem = Problem::named(
            vec!["kafka".into(), (*map).into(), key.clone()],
            conflict.to_string(),
        );
        // A property of `kafka.librdkafka` conflicts in both clients: said once.
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    problems
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
pub(super) fn conflict_reason(property: &str, ours: &str) -> String {
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

/// The clients of a producer that is not the service's own (`generate`): bootstrap servers
/// `brokers` and its own client id, with the security settings and pass-through properties of
/// `k`. Returns the connection alone (`kafka.librdkafka`), for [`super::check_reachable`], and the
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
