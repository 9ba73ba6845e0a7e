//! Dead letters against a real Kafka-protocol broker over TCP: each kind of unreadable record
//! lands in the dead-letter topic unchanged, with headers naming the problem and the source;
//! so does a record that would be too large for the producer once enriched, and one too large
//! even as read goes there without its value, instead of stopping the service. A record whose
//! template wrote list fields without brackets is repaired and enriched instead; one broken in
//! another way as well is still a dead letter.
//!
//! Needs the test broker: `scripts/test.sh` starts it and sets `ZPA_ENRICHER_TEST_BROKERS`.

#![allow(clippy::unwrap_used, clippy::cast_possible_wrap)] // Tests fail loudly on purpose; test counts are small.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::Message;
use zpa_enricher::catalog::Catalog;
use zpa_enricher::enrich::{EnrichOptions, Enricher};

use crate::common::kafka::{
    Service, ServiceSpec, TestRecord, consume, header, id, metric, produce, produce_tombstone,
    series, shared_broker,
};

const T: Duration = Duration::from_secs(60);

#[test]
fn dead_letters_carry_raw_bytes_and_error_headers() {
    let _broker = shared_broker();
    let spec = ServiceSpec::new("dlq");
    spec.create_topics(1);
    let cases: Vec<(&[u8], &str, &str)> = vec![
        (b"not json at all", "not_json", "1"),
        (br#"{"InternalReason":"APP_NOT_REACH"#, "truncated", "32"),
        (b"{\"InternalReason\":\"\xff\"}", "invalid_utf8", "19"),
        (br#"{"InternalReason":17}"#, "wrong_type", "18"),
        (b"", "empty", "0"),
        (b"[1,2]", "not_object", "0"),
        (br#"{"a":1} x"#, "trailing_data", "8"),
        (
            br#"{"InternalReason":"close","enrichment":"kept"}"#,
            "key_conflict",
            "26",
        ),
        // A list without brackets, and two commas: not the template quirk, not repaired.
        (
            br#"{"SessionStatus":"ZPN_STATUS_AUTHENTICATED","PosturesHit":"a","b",,"City":"x"}"#,
            "not_json",
            "65",
        ),
    ];
    // After the cases: the nesting bomb, a valid record, one with list fields written without
    // brackets, and a tombstone.
    let (bomb_id, valid_id, quirky_id, tombstone_id) = (
        cases.len(),
        cases.len() + 1,
        cases.len() + 2,
        cases.len() + 3,
    );
    let bomb = format!("{{\"a\":{}1{}}}", "[".repeat(3000), "]".repeat(3000));
    let mut input: Vec<TestRecord> = cases
        .iter()
        .enumerate()
        .map(|(i, (p, ..))| TestRecord {
            key: Some(format!("k{i}").into_bytes()),
            payload: p.to_vec(),
            headers: vec![("id".into(), i.to_string().into_bytes())],
            timestamp_ms: 1_764_000_000_000 + i as i64,
        })
        .collect();
    input.push(TestRecord {
        key: None,
        payload: bomb.clone().into_bytes(),
        headers: vec![("id".into(), bomb_id.to_string().into_bytes())],
        timestamp_ms: 1_764_000_000_000 + bomb_id as i64,
    });
    // One valid record, which must not go to the DLQ.
    input.push(TestRecord {
        key: None,
        payload: br#"{"InternalReason":"BRK_MT_TERMINATED","ConnectionStatus":"close"}"#.to_vec(),
        headers: vec![("id".into(), valid_id.to_string().into_bytes())],
        timestamp_ms: 1_764_000_000_000 + valid_id as i64,
    });
    // One that an older template wrote, repaired and enriched.
    input.push(TestRecord {
        key: None,
        payload: br#"{"SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks":,"PosturesHit":"a","b","City":"x"}"#.to_vec(),
        headers: vec![("id".into(), quirky_id.to_string().into_bytes())],
        timestamp_ms: 1_764_000_000_000 + quirky_id as i64,
    });
    produce(&spec.input, &input, "none");
    // A record without a value (a tombstone) is dead-lettered without one, not as "".
    produce_tombstone(&spec.input, tombstone_id);
    let mut svc = Service::start(&spec);
    svc.wait_ready(T);
    let dead = cases.len() + 2;
    let dlq = consume(&spec.dlq, dead, T);
    assert_eq!(
        dlq.len(),
        dead,
        "dead letters (left) for the unreadable records sent (right):\n{}",
        svc.log()
    );
    for m in &dlq {
        let i = id(m);
        if i == tombstone_id {
            assert_eq!(m.payload(), None, "the tombstone got a value");
            assert_eq!(m.key(), Some(&b"gone"[..]), "key of the tombstone");
            assert_eq!(
                header(m, "zpa.error.reason"),
                Some(&b"empty"[..]),
                "zpa.error.reason of the tombstone"
            );
            assert_eq!(
                header(m, "zpa.source.offset"),
                Some(i.to_string().as_bytes()),
                "zpa.source.offset of the tombstone"
            );
            continue;
        }
        let (reason, offset) = if i == bomb_id {
            ("too_deep", "68")
        } else {
            (cases[i].1, cases[i].2)
        };
        assert_eq!(
            m.payload().unwrap_or_default(),
            &input[i].payload[..],
            "record {i} changed"
        );
        assert_eq!(
            header(m, "zpa.error.reason"),
            Some(reason.as_bytes()),
            "zpa.error.reason of record {i}"
        );
        assert_eq!(
            header(m, "zpa.error.offset"),
            Some(offset.as_bytes()),
            "zpa.error.offset (byte offset of the problem) of record {i}"
        );
        assert!(
            header(m, "zpa.error.message").is_some_and(|v| !v.is_empty()),
            "zpa.error.message of record {i}"
        );
        assert!(
            header(m, "zpa.error.time").is_some_and(|v| v.len() == 24),
            "zpa.error.time of record {i}"
        );
        assert_eq!(
            header(m, "zpa.source.topic"),
            Some(spec.input.as_bytes()),
            "zpa.source.topic of record {i}"
        );
        assert_eq!(
            header(m, "zpa.source.partition"),
            Some(&b"0"[..]),
            "zpa.source.partition of record {i}"
        );
        assert_eq!(
            header(m, "zpa.source.offset"),
            Some(i.to_string().as_bytes()),
            "zpa.source.offset of record {i}"
        );
        assert_eq!(m.key(), input[i].key.as_deref(), "key of record {i}");
    }
    let out = consume(&spec.output, 2, T);
    let ids: Vec<usize> = out.iter().map(id).collect();
    assert_eq!(
        ids,
        [valid_id, quirky_id],
        "ids of the records in the output topic"
    );
    // The repaired record goes out as valid JSON, with brackets, marked.
    let repaired = std::str::from_utf8(out[1].payload().unwrap()).unwrap();
    assert!(
        repaired.starts_with(r#"{"SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks":[],"PosturesHit":["a","b"],"City":"x","enrichment":{"#),
        "{repaired}"
    );
    let v: serde_json::Value = serde_json::from_str(repaired).unwrap();
    assert_eq!(
        v["enrichment"]["repaired"],
        serde_json::json!(["empty_list", "unbracketed_list"]),
        "{repaired}"
    );
    assert_eq!(v["enrichment"]["code"], "ZPN_STATUS_AUTHENTICATED");
    svc.wait_metric(
        "zpa_enricher_records_produced_total{destination=\"dlq\"}",
        dead as f64,
        T,
    );
    let text = svc.metrics();
    assert_eq!(
        metric(&text, "zpa_enricher_records_dead_lettered_total"),
        Some(dead as f64),
        "zpa_enricher_records_dead_lettered_total (left) for the unreadable records sent (right)"
    );
    assert_eq!(
        metric(
            &text,
            "zpa_enricher_records_invalid_total{reason=\"truncated\"}"
        ),
        Some(1.0),
        "zpa_enricher_records_invalid_total{{reason=\"truncated\"}}"
    );
    svc.wait_metric(
        "zpa_enricher_records_produced_total{destination=\"output\"}",
        2.0,
        T,
    );
    let text = svc.metrics();
    for quirk in ["empty_list", "unbracketed_list"] {
        let name = format!("zpa_enricher_records_repaired_total{{quirk=\"{quirk}\"}}");
        assert_eq!(metric(&text, &name), Some(1.0), "{name}");
    }
    let (status, log) = svc.stop(T);
    assert!(status.success(), "stopped with {status}:\n{log}");
}

#[test]
fn records_too_large_for_the_producer_are_dead_lettered_and_the_service_goes_on() {
    // The producer accepts records of at most LIMIT bytes. Before, the service stopped on a
    // record it could not produce, and met it again after every restart.
    const LIMIT: usize = 4_000;
    let _broker = shared_broker();
    let spec = ServiceSpec::new("toolarge").env(
        "KAFKA__PRODUCER_LIBRDKAFKA__MESSAGE_MAX_BYTES",
        &LIMIT.to_string(),
    );
    spec.create_topics(1);
    let record = |pad: usize| {
        format!(
            r#"{{"LogTimestamp":"Mon Nov 24 10:00:00 2025","InternalReason":"BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY","ConnectionStatus":"close","Pad":"{}"}}"#,
            "x".repeat(pad)
        )
        .into_bytes()
    };
    // 0 and 2 go out enriched; 1 fits as read, 3 does not even so, and 4 is unreadable and
    // too large.
    let mut garbage = b"not json ".to_vec();
    garbage.resize(5_000, b'x');
    let payloads = [
        record(10),
        record(3_300),
        record(20),
        record(4_500),
        garbage,
    ];
    // The test's premise, checked with the same core and catalog as the service.
    let enricher = Enricher::new(Arc::new(Catalog::builtin()), EnrichOptions::default());
    let mut out = Vec::new();
    enricher.enrich(&payloads[1], &mut out);
    assert!(
        out.len() > LIMIT,
        "enriched, the record is {} bytes, not over the producer's limit of {LIMIT}",
        out.len()
    );
    // As read, it fits even with the dead-letter headers (under 500 bytes).
    assert!(
        payloads[1].len() + 500 < LIMIT,
        "the record is {} bytes as read: with the dead-letter headers it may not fit in {LIMIT}",
        payloads[1].len()
    );
    let input: Vec<TestRecord> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| TestRecord {
            key: Some(format!("k{i}").into_bytes()),
            payload: p.clone(),
            headers: vec![("id".into(), i.to_string().into_bytes())],
            timestamp_ms: 1_764_000_000_000 + i as i64,
        })
        .collect();
    produce(&spec.input, &input, "none");
    let mut svc = Service::start(&spec);
    svc.wait_ready(T);
    let enriched = consume(&spec.output, 2, T);
    let ids: Vec<usize> = enriched.iter().map(id).collect();
    assert_eq!(ids, [0, 2], "ids of the enriched records:\n{}", svc.log());
    let dlq = consume(&spec.dlq, 3, T);
    let ids: Vec<usize> = dlq.iter().map(id).collect();
    assert_eq!(ids, [1, 3, 4], "ids of the dead letters:\n{}", svc.log());
    // Too large even as read: the headers go out without the value, and point at the source.
    for (m, reason, offset) in [(&dlq[1], "too_large", "3"), (&dlq[2], "not_json", "4")] {
        assert_eq!(
            m.payload(),
            None,
            "value of the dead letter of offset {offset}"
        );
        assert_eq!(
            header(m, "zpa.error.reason"),
            Some(reason.as_bytes()),
            "zpa.error.reason of the dead letter of offset {offset}"
        );
        assert_eq!(
            header(m, "zpa.source.topic"),
            Some(spec.input.as_bytes()),
            "zpa.source.topic of the dead letter of offset {offset}"
        );
        assert_eq!(
            header(m, "zpa.source.offset"),
            Some(offset.as_bytes()),
            "zpa.source.offset of the dead letter of offset {offset}"
        );
        let message = String::from_utf8_lossy(header(m, "zpa.error.message").unwrap()).into_owned();
        assert!(message.contains("its value is left out"), "{message}");
    }
    let m = &dlq[0];
    assert_eq!(id(m), 1, "id of the first dead letter");
    assert_eq!(m.payload(), Some(&payloads[1][..]), "changed");
    assert_eq!(m.key(), Some(&b"k1"[..]), "key of dead letter 1");
    assert_eq!(
        header(m, "zpa.error.reason"),
        Some(&b"too_large"[..]),
        "zpa.error.reason of dead letter 1"
    );
    assert_eq!(
        header(m, "zpa.error.offset"),
        Some(payloads[1].len().to_string().as_bytes()),
        "zpa.error.offset of dead letter 1: the size of the record as read"
    );
    let message = String::from_utf8_lossy(header(m, "zpa.error.message").unwrap()).into_owned();
    assert!(
        // The key ("k1") and the header ("id" = "1") count too.
        message.contains(&format!(
            "the record is {} bytes, {} with its key and headers",
            out.len(),
            out.len() + 5
        )) && message.contains("message.max.bytes"),
        "{message}"
    );
    assert_eq!(
        header(m, "zpa.source.offset"),
        Some(&b"1"[..]),
        "zpa.source.offset of dead letter 1"
    );
    svc.wait_metric(
        "zpa_enricher_records_produced_total{destination=\"dlq\"}",
        3.0,
        T,
    );
    let text = svc.metrics();
    for (name, value) in [
        (
            "zpa_enricher_records_invalid_total{reason=\"too_large\"}",
            2.0,
        ),
        (
            "zpa_enricher_records_invalid_total{reason=\"not_json\"}",
            1.0,
        ),
        (
            "zpa_enricher_records_dead_lettered_total{reason=\"too_large\"}",
            2.0,
        ),
        (
            "zpa_enricher_records_dead_lettered_total{reason=\"not_json\"}",
            1.0,
        ),
        (
            "zpa_enricher_records_produced_total{destination=\"output\"}",
            2.0,
        ),
    ] {
        assert_eq!(metric(&text, name), Some(value), "{name}");
    }
    // Dead-lettered, they are not failures of the producer (which alerts page for).
    let produce_errors: f64 = series(&text, "zpa_enricher_produce_errors_total")
        .iter()
        .map(|(_, v)| v)
        .sum();
    assert!(
        produce_errors.abs() < f64::EPSILON,
        "zpa_enricher_produce_errors_total is {produce_errors}, not 0"
    );
    // Counted as enriched only once published enriched.
    let events: f64 = series(&text, "zpa_enricher_events_total")
        .iter()
        .map(|(_, v)| v)
        .sum();
    assert!(
        (events - 2.0).abs() < f64::EPSILON,
        "zpa_enricher_events_total is {events}, not the 2 records published enriched"
    );
    let (status, log) = svc.stop(T);
    assert!(status.success(), "stopped with {status}:\n{log}");
}
