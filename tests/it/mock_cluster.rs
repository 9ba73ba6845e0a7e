//! A record the broker refuses as too large (its topic's `max.message.bytes` below the
//! producer's `message.max.bytes`) is replaced by a dead letter without its value, instead of
//! stopping the service, which would meet the record again after every restart.
//!
//! The test broker enforces no record size, so this one runs the service in process against
//! librdkafka's mock cluster, which can be told to refuse the next produce request. It needs no
//! broker, so it is not among the broker tests of `kafka`.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, OwnedHeaders, OwnedMessage};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;
use zpa_enricher::catalog::Catalog;
use zpa_enricher::config::Settings;
use zpa_enricher::metrics::Metrics;

const RECORD: &[u8] = br#"{"InternalReason":"BRK_MT_TERMINATED","ConnectionStatus":"close"}"#;

fn consume(brokers: &str, topic: &str, n: usize) -> Vec<OwnedMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("check-{topic}"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = Vec::new();
    while got.len() < n && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            got.push(m.detach());
        }
    }
    got
}

fn header<'a>(m: &'a OwnedMessage, key: &str) -> Option<&'a [u8]> {
    m.headers()?
        .iter()
        .find(|h| h.key == key)
        .and_then(|h| h.value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_the_broker_refuses_as_too_large_is_dead_lettered_without_its_value() {
    let cluster = MockCluster::new(1).unwrap();
    for topic in ["raw", "enriched", "dlq"] {
        cluster.create_topic(topic, 1, 1).unwrap();
    }
    let brokers = cluster.bootstrap_servers();
    let input: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()
        .unwrap();
    input
        .send(
            FutureRecord::to("raw")
                .key("session-1")
                .payload(RECORD)
                .headers(OwnedHeaders::new().insert(Header {
                    key: "id",
                    value: Some("7"),
                })),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    // The broker refuses the next produce request: the service's enriched record.
    cluster.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE],
    );

    let mut settings = Settings::default();
    settings.kafka.brokers.clone_from(&brokers);
    settings.kafka.input_topics = vec!["raw".into()];
    settings.kafka.output_topic = "enriched".into();
    settings.kafka.dlq_topic = "dlq".into();
    settings.kafka.group_id = "refusal".into();
    settings.kafka.commit_interval_ms = 100;
    settings.metrics.addr = "127.0.0.1:0".into();
    let stop = CancellationToken::new();
    let metrics: Arc<Mutex<Option<Arc<Metrics>>>> = Arc::default();
    let service = {
        let (stop, metrics) = (stop.clone(), Arc::clone(&metrics));
        tokio::spawn(async move {
            zpa_enricher::service::run(&settings, Arc::new(Catalog::builtin()), stop, |running| {
                *metrics.lock().unwrap() = Some(Arc::clone(&running.metrics));
            })
            .await
        })
    };

    let dlq = {
        let brokers = brokers.clone();
        tokio::task::spawn_blocking(move || consume(&brokers, "dlq", 1))
            .await
            .unwrap()
    };
    assert_eq!(dlq.len(), 1, "no dead letter");
    let m = &dlq[0];
    assert_eq!(m.payload(), None, "the value is left out");
    assert_eq!(m.key(), Some(&b"session-1"[..]));
    assert_eq!(header(m, "id"), Some(&b"7"[..]), "input headers are kept");
    assert_eq!(header(m, "zpa.error.reason"), Some(&b"too_large"[..]));
    assert_eq!(header(m, "zpa.source.topic"), Some(&b"raw"[..]));
    assert_eq!(header(m, "zpa.source.partition"), Some(&b"0"[..]));
    assert_eq!(header(m, "zpa.source.offset"), Some(&b"0"[..]));
    let message = String::from_utf8_lossy(header(m, "zpa.error.message").unwrap()).into_owned();
    assert!(
        message.starts_with("the broker refused the record ("),
        "{message}"
    );
    assert_eq!(
        m.headers()
            .unwrap()
            .iter()
            .filter(|h| h.key == "zpa.error.reason")
            .count(),
        1
    );

    // The service goes on, and stops cleanly with the record's offset committed.
    assert!(!service.is_finished(), "the service stopped");
    stop.cancel();
    service.await.unwrap().unwrap();
    let text = metrics.lock().unwrap().as_ref().unwrap().encode();
    for sample in [
        "zpa_enricher_records_dead_lettered_total{reason=\"too_large\"} 1",
        "zpa_enricher_records_produced_total{destination=\"dlq\"} 1",
        "zpa_enricher_records_produced_total{destination=\"output\"} 0",
        "zpa_enricher_records_invalid_total{reason=\"too_large\"} 1",
        // Dead-lettered, the record is not a failure of the producer (which alerts page for).
        "zpa_enricher_produce_errors_total{kind=\"broker\"} 0",
    ] {
        assert!(
            text.lines().any(|l| l == sample),
            "no {sample:?} in\n{text}"
        );
    }
    let committed: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", "refusal")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition("raw", 0);
    let offsets = committed
        .committed_offsets(tpl, Duration::from_secs(10))
        .unwrap();
    assert_eq!(
        offsets.find_partition("raw", 0).unwrap().offset(),
        Offset::Offset(1)
    );
}
