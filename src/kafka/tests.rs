use std::collections::BTreeMap;

use super::*;
use crate::kafka::Secret;

fn get(cfg: &ClientConfig, key: &str) -> Option<String> {
    cfg.get(key).map(str::to_owned)
}

#[test]
fn consumer_stores_offsets_only_by_hand() {
    let s = KafkaSettings::default();
    let c = consumer_config(&s).unwrap();
    assert_eq!(
        get(&c, "enable.auto.offset.store").as_deref(),
        Some("false")
    );
    assert_eq!(get(&c, "enable.auto.commit").as_deref(), Some("true"));
    assert_eq!(get(&c, "group.id").as_deref(), Some("zpa-enricher"));
    assert_eq!(get(&c, "auto.commit.interval.ms").as_deref(), Some("5000"));
    assert_eq!(get(&c, "security.protocol").as_deref(), Some("plaintext"));
    assert!(get(&c, "sasl.password").is_none());
}

#[test]
fn producer_is_idempotent_with_acks_all() {
    let p = producer_config(&KafkaSettings::default()).unwrap();
    assert_eq!(get(&p, "enable.idempotence").as_deref(), Some("true"));
    assert_eq!(get(&p, "acks").as_deref(), Some("all"));
    assert_eq!(get(&p, "compression.type").as_deref(), Some("lz4"));
    assert_eq!(get(&p, "partitioner").as_deref(), Some("murmur2_random"));
    assert_eq!(get(&p, "message.timeout.ms").as_deref(), Some("300000"));
}

#[test]
fn sasl_scram_over_tls_with_mtls() {
    let mut s = KafkaSettings::default();
    let sec = &mut s.security;
    sec.protocol = crate::kafka::SecurityProtocol::SaslSsl;
    sec.sasl_mechanism = crate::kafka::SaslMechanism::ScramSha256;
    sec.sasl_username = "svc".into();
    sec.sasl_password = Secret::new("pw");
    sec.ca_file = "/etc/ca.pem".into();
    sec.cert_file = "/etc/client.pem".into();
    sec.key_file = "/etc/client.key".into();
    sec.verify_hostname = false;
    let c = consumer_config(&s).unwrap();
    assert_eq!(get(&c, "security.protocol").as_deref(), Some("sasl_ssl"));
    assert_eq!(get(&c, "sasl.mechanism").as_deref(), Some("SCRAM-SHA-256"));
    assert_eq!(get(&c, "sasl.username").as_deref(), Some("svc"));
    assert_eq!(get(&c, "sasl.password").as_deref(), Some("pw"));
    assert_eq!(get(&c, "ssl.ca.location").as_deref(), Some("/etc/ca.pem"));
    assert_eq!(
        get(&c, "ssl.certificate.location").as_deref(),
        Some("/etc/client.pem")
    );
    assert_eq!(
        get(&c, "ssl.key.location").as_deref(),
        Some("/etc/client.key")
    );
    assert_eq!(
        get(&c, "ssl.endpoint.identification.algorithm").as_deref(),
        Some("none")
    );
    // The same for the producer.
    let p = producer_config(&s).unwrap();
    assert_eq!(get(&p, "sasl.mechanism").as_deref(), Some("SCRAM-SHA-256"));
}

#[test]
fn passthrough_applies_last_but_cannot_contradict_typed_settings() {
    let mut s = KafkaSettings {
        librdkafka: BTreeMap::from([("socket.keepalive.enable".into(), "true".into())]),
        producer_librdkafka: BTreeMap::from([("batch_size".into(), "1000000".into())]),
        ..KafkaSettings::default()
    };
    let p = producer_config(&s).unwrap();
    assert_eq!(get(&p, "socket.keepalive.enable").as_deref(), Some("true"));
    assert_eq!(get(&p, "batch.size").as_deref(), Some("1000000"));

    s.consumer_librdkafka = BTreeMap::from([("enable.auto.offset.store".into(), "true".into())]);
    let err = consumer_config(&s).unwrap_err().to_string();
    assert!(err.contains("enable.auto.offset.store"), "{err}");
    // Repeating a typed value is fine.
    s.consumer_librdkafka = BTreeMap::from([("enable.auto.offset.store".into(), "false".into())]);
    assert!(consumer_config(&s).is_ok());
    // Secrets are not echoed in the error.
    s.security.protocol = crate::kafka::SecurityProtocol::SaslSsl;
    s.security.sasl_password = Secret::new("right");
    s.librdkafka = BTreeMap::from([("sasl.password".into(), "wrong".into())]);
    let err = producer_config(&s).unwrap_err().to_string();
    assert!(!err.contains("right") && !err.contains("wrong"), "{err}");
}

#[test]
fn a_client_refused_for_a_tls_file_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    // A PEM block, so the settings check lets it through; its content is not a certificate.
    std::fs::write(
        &ca,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let mut s = KafkaSettings::default();
    s.security.protocol = crate::kafka::SecurityProtocol::Ssl;
    s.security.ca_file = ca;
    let Err(source) = consumer_config(&s)
        .unwrap()
        .create::<rdkafka::consumer::BaseConsumer>()
    else {
        panic!("librdkafka took a CA file that holds no certificate");
    };
    let err = KafkaSetupError::Client {
        what: "consumer",
        source,
    };
    let text = crate::errors::error_chain(&err);
    assert!(
        text.starts_with("cannot create the Kafka consumer (kafka.security.ca_file): ")
            && text.contains("ssl.ca.location"),
        "{text}"
    );
}

#[test]
fn tuned_consumer_defaults_can_be_changed_through_the_pass_through_map() {
    let mut s = KafkaSettings::default();
    let c = consumer_config(&s).unwrap();
    assert_eq!(get(&c, "fetch.queue.backoff.ms").as_deref(), Some("1"));
    assert_eq!(
        get(&c, "max.partition.fetch.bytes").as_deref(),
        Some("262144")
    );
    assert_eq!(get(&c, "fetch.wait.max.ms").as_deref(), Some("100"));
    // Unlike a typed setting, a tuned default is not a contradiction, also with '_' for '.'.
    s.consumer_librdkafka = BTreeMap::from([
        ("fetch_queue_backoff_ms".into(), "100".into()),
        ("max.partition.fetch.bytes".into(), "1048576".into()),
    ]);
    let c = consumer_config(&s).unwrap();
    assert_eq!(get(&c, "fetch.queue.backoff.ms").as_deref(), Some("100"));
    assert_eq!(
        get(&c, "max.partition.fetch.bytes").as_deref(),
        Some("1048576")
    );
    // The producer has none of the consumer's tuning.
    let p = producer_config(&KafkaSettings::default()).unwrap();
    assert!(get(&p, "fetch.queue.backoff.ms").is_none());
}

#[test]
fn fatal_errors_are_told_apart_from_transient_ones() {
    use rdkafka::types::RDKafkaErrorCode as C;
    assert!(is_fatal(&KafkaError::Global(C::Authentication)));
    assert!(is_fatal(&KafkaError::MessageProduction(C::MessageTimedOut)));
    assert!(is_fatal(&KafkaError::MessageConsumption(
        C::TopicAuthorizationFailed
    )));
    assert!(!is_fatal(&KafkaError::Global(C::AllBrokersDown)));
    assert!(!is_fatal(&KafkaError::MessageProduction(C::QueueFull)));
    assert!(!is_fatal(&KafkaError::Global(C::BrokerTransportFailure)));
}
