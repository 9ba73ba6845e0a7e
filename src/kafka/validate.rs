//! The checks of the Kafka settings that types alone cannot make: topic names, consistency of
//! the security settings, TLS files, and the ranges librdkafka allows.

use super::{InvalidPolicy, KafkaSettings, SecurityProtocol};
use crate::checks::{Problem, not_a_file, out_of_range};

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
pub fn validate(k: &KafkaSettings) -> Vec<Problem> {
    let mut p = Vec::new();
    let problem = |key: &str, text: String| Problem::new(&format!("kafka.{key}"), text);
    if k.brokers.trim().is_empty() {
        p.push(problem(
            "brokers",
            "must name at least one broker".to_owned(),
        ));
    }
    if k.input_topics.is_empty() || k.input_topics.iter().any(|t| t.trim().is_empty()) {
        p.push(problem(
            "input_topics",
            "must name at least one topic, none empty".to_owned(),
        ));
    }
    if k.output_topic.trim().is_empty() {
        p.push(problem("output_topic", "must not be empty".to_owned()));
    }
    let named = k.input_topics.iter().map(|t| ("input_topics", t)).chain([
        ("output_topic", &k.output_topic),
        ("dlq_topic", &k.dlq_topic),
    ]);
    for (key, topic) in named {
        if let Some(why) = topic_name_problem(topic).filter(|_| !topic.trim().is_empty()) {
            p.push(problem(key, why));
        }
    }
    if k.input_topics.contains(&k.output_topic) {
        p.push(problem(
            "output_topic",
            format!(
                "{:?} is also an input topic (records would be enriched again and again)",
                k.output_topic
            ),
        ));
    }
    if k.dlq_topic.trim().is_empty() && k.on_invalid == InvalidPolicy::Dlq {
        p.push(problem(
            "dlq_topic",
            "must not be empty when kafka.on_invalid = \"dlq\"".to_owned(),
        ));
    }
    if k.input_topics.contains(&k.dlq_topic) {
        p.push(problem(
            "dlq_topic",
            format!("{:?} is also an input topic", k.dlq_topic),
        ));
    }
    if k.group_id.trim().is_empty() {
        p.push(problem("group_id", "must not be empty".to_owned()));
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
        // statistics.interval.ms, from 100 ms: more often costs CPU for nothing.
        (
            "statistics_interval_ms",
            k.statistics_interval_ms,
            STATISTICS_INTERVAL_MS.0,
            STATISTICS_INTERVAL_MS.1,
        ),
    ] {
        p.extend(out_of_range(&format!("kafka.{key}"), value, lo, hi));
    }
    for (key, value) in [
        ("create_partitions", k.create_partitions),
        ("create_replication_factor", k.create_replication_factor),
    ] {
        if value < 1 {
            p.push(problem(key, format!("must be at least 1, not {value}")));
        }
    }
    let sec = &k.security;
    let sasl = matches!(
        sec.protocol,
        SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
    );
    if sasl && (sec.sasl_username.is_empty() || sec.sasl_password.is_empty()) {
        p.push(problem(
            "security.protocol",
            format!(
                "{} needs kafka.security.sasl_username and sasl_password",
                sec.protocol
            ),
        ));
    }
    if !sasl && (!sec.sasl_username.is_empty() || !sec.sasl_password.is_empty()) {
        let set = if sec.sasl_username.is_empty() {
            "sasl_password"
        } else {
            "sasl_username"
        };
        p.push(problem(
            &format!("security.{set}"),
            format!(
                "set, but kafka.security.protocol is {} (use sasl_ssl or sasl_plaintext)",
                sec.protocol
            ),
        ));
    }
    match (
        sec.cert_file.as_os_str().is_empty(),
        sec.key_file.as_os_str().is_empty(),
    ) {
        (false, true) => p.push(problem(
            "security.cert_file",
            "set without kafka.security.key_file (mTLS needs both)".to_owned(),
        )),
        (true, false) => p.push(problem(
            "security.key_file",
            "set without kafka.security.cert_file (mTLS needs both)".to_owned(),
        )),
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
        let key = format!("security.{name}");
        if !tls {
            p.push(problem(
                &key,
                format!("set but protocol is {} (use ssl or sasl_ssl)", sec.protocol),
            ));
        } else if !path.is_file() {
            p.push(problem(&key, not_a_file(path)));
        } else if let Some(why) = pem_problem(path) {
            p.push(problem(&key, format!("{} {why}", path.display())));
        }
    }
    p
}

/// The range of `kafka.statistics_interval_ms` (and of its former name).
pub const STATISTICS_INTERVAL_MS: (u64, u64) = (100, 86_400_000);

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
