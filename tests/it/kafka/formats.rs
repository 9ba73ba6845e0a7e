//! The output formats and the event time through the real broker: `run` with
//! `output.format = "ecs"` and `"splunk_hec"` (every record once, key, headers and timestamp
//! kept, each document valid for its SIEM, dead letters unchanged) and
//! `kafka.output_timestamp = "event"`.
//!
//! Needs the test broker: `scripts/test.sh` starts it and sets `ZPA_ENRICHER_TEST_BROKERS`.

#![allow(clippy::unwrap_used, clippy::cast_possible_wrap)] // Tests fail loudly on purpose; test counts are small.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::Message;
use serde_json::Value;
use zpa_enricher::catalog::Catalog;
use zpa_enricher::enrich::{EnrichOptions, Enricher, Outcome};
use zpa_enricher::event::EventTime;

use crate::common;
use crate::common::kafka::{
    Service, ServiceSpec, TestRecord, consume, generated, header, id, produce, series,
    shared_broker,
};

const T: Duration = Duration::from_secs(60);

/// Records that cannot be read, to go to the dead-letter topic unchanged.
const BROKEN: [&[u8]; 3] = [
    b"not a record",
    b"{\"InternalReason\":\"BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY\",",
    b"<14>Dec  1 10:38:41 zpa-lss: User Activity, 2021,a,b,c",
];

/// What the in-process core says about a record: its code (or `__unknown__`, `__none__`),
/// and its event time when the record has a readable one.
fn expected(enricher: &Enricher, payload: &[u8]) -> (String, Option<EventTime>) {
    let outcome = enricher.enrich(payload, &mut Vec::new());
    let time = outcome.event_time().filter(|t| !t.is_processing_time());
    let code = match outcome {
        Outcome::Known { entry, .. } => enricher.catalog().entry(entry).code.clone(),
        Outcome::Unknown { .. } => "__unknown__".into(),
        Outcome::NoCode { .. } => "__none__".into(),
        Outcome::Invalid(e) => panic!("generated an invalid record: {e}"),
    };
    (code, time)
}

/// `n` generated records and then the broken ones, each with an `id` header.
fn input(n: usize, seed: u64) -> Vec<TestRecord> {
    let mut records = generated(n, seed, 13, 0.02);
    for (i, broken) in BROKEN.iter().enumerate() {
        records.push(TestRecord {
            key: Some(b"broken".to_vec()),
            payload: broken.to_vec(),
            headers: vec![("id".into(), (n + i).to_string().into_bytes())],
            timestamp_ms: 1_764_000_000_000 + (n + i) as i64,
        });
    }
    records
}

#[test]
fn ecs_and_splunk_hec_go_end_to_end_with_dead_letters_unchanged() {
    let _broker = shared_broker();
    let catalog = Arc::new(Catalog::builtin());
    let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
    for (format, seed) in [("ecs", 21), ("splunk_hec", 22)] {
        let spec = ServiceSpec::new(&format!("format-{format}")).env("OUTPUT__FORMAT", format);
        spec.create_topics(3);
        let n = 800;
        let records = input(n, seed);
        produce(&spec.input, &records, "lz4");
        let started = zpa_enricher::enrich::system_clock();
        let mut svc = Service::start(&spec);
        svc.wait_ready(T);
        let out = consume(&spec.output, n, T);
        let dlq = consume(&spec.dlq, BROKEN.len(), T);
        let finished = zpa_enricher::enrich::system_clock();
        assert_eq!(out.len(), n, "{format}: enriched records\n{}", svc.log());
        assert_eq!(
            dlq.len(),
            BROKEN.len(),
            "{format}: dead letters\n{}",
            svc.log()
        );

        let mut seen = vec![false; n];
        let mut codes: HashMap<String, f64> = HashMap::new();
        for m in &out {
            let i = id(m);
            assert!(
                !std::mem::replace(&mut seen[i], true),
                "{format}: record {i} twice"
            );
            let src = &records[i];
            assert_eq!(m.key(), src.key.as_deref(), "{format}: key of record {i}");
            assert_eq!(
                m.timestamp().to_millis(),
                Some(src.timestamp_ms),
                "{format}: {i}"
            );
            let doc: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            let (code, time) = expected(&enricher, &src.payload);
            *codes.entry(code.clone()).or_default() += 1.0;
            let (problems, enrichment, at) = if format == "ecs" {
                let at = zpa_enricher::event::parse_timestamp(
                    doc["@timestamp"].as_str().unwrap().as_bytes(),
                );
                (
                    common::ecs::check_ecs_document(&doc),
                    doc["zscaler_zpa"]["enrichment"].clone(),
                    at,
                )
            } else {
                let secs = doc["time"].as_f64().unwrap();
                #[allow(clippy::cast_possible_truncation)]
                let at = Some((secs * 1000.0).round() as i64);
                (
                    common::cim::check_hec_envelope(&doc),
                    doc["event"]["enrichment"].clone(),
                    at,
                )
            };
            assert!(
                problems.is_empty(),
                "{format}: record {i}: {problems:#?}\n{doc}"
            );
            match code.as_str() {
                "__none__" => assert_eq!(enrichment["code"], Value::Null, "{doc}"),
                "__unknown__" => assert_eq!(enrichment["known"], false, "{doc}"),
                code => assert_eq!(enrichment["code"], code, "{format}: {doc}"),
            }
            let at = at.unwrap_or_else(|| panic!("{format}: no time in {doc}"));
            match time {
                Some(t) => assert_eq!(at, t.millis, "{format}: event time of {doc}"),
                None => assert!(
                    (started - 1000..=finished + 1000).contains(&at),
                    "{format}: the processing time of {doc}"
                ),
            }
        }
        // Dead letters: the bytes as sent, with the reason.
        for m in &dlq {
            let i = id(m);
            assert_eq!(
                m.payload(),
                Some(BROKEN[i - n]),
                "{format}: dead letter {i}"
            );
            assert!(header(m, "zpa.error.reason").is_some(), "{format}: {i}");
        }
        svc.wait_metric(
            "zpa_enricher_records_produced_total{destination=\"output\"}",
            n as f64,
            T,
        );
        let text = svc.metrics();
        let mut got: HashMap<String, f64> = HashMap::new();
        for (labels, v) in series(&text, "zpa_enricher_events_total") {
            *got.entry(labels["code"].clone()).or_default() += v;
        }
        assert_eq!(got, codes, "{format}: zpa_enricher_events_total by code");
        let dead: f64 = series(&text, "zpa_enricher_records_dead_lettered_total")
            .iter()
            .map(|(_, v)| v)
            .sum();
        assert_eq!(dead, BROKEN.len() as f64, "{format}");
        let (status, log) = svc.stop(T);
        assert!(status.success(), "{format}: stopped with {status}:\n{log}");
    }
}

#[test]
fn records_can_be_produced_with_their_event_time() {
    let _broker = shared_broker();
    let catalog = Arc::new(Catalog::builtin());
    let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
    let spec = ServiceSpec::new("event-time").env("KAFKA__OUTPUT_TIMESTAMP", "event");
    spec.create_topics(2);
    let n = 400;
    let mut records = generated(n, 23, 7, 0.0);
    // Two records of no known type without a time: they go out with the processing time.
    for (j, payload) in [&br#"{"foo":"bar"}"#[..], br#"{"LogTimestamp":"soon"}"#]
        .iter()
        .enumerate()
    {
        records.push(TestRecord {
            key: None,
            payload: payload.to_vec(),
            headers: vec![("id".into(), (n + j).to_string().into_bytes())],
            timestamp_ms: 1_764_000_000_000,
        });
    }
    produce(&spec.input, &records, "none");
    let started = zpa_enricher::enrich::system_clock();
    let mut svc = Service::start(&spec);
    svc.wait_ready(T);
    let out = consume(&spec.output, records.len(), T);
    let finished = zpa_enricher::enrich::system_clock();
    assert_eq!(out.len(), records.len(), "{}", svc.log());
    let mut unreadable = 0;
    for m in &out {
        let i = id(m);
        let ts = m.timestamp().to_millis().unwrap();
        let doc: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        match expected(&enricher, &records[i].payload).1 {
            Some(t) => {
                assert_eq!(ts, t.millis, "record {i}: {doc}");
                assert!(doc["enrichment"].get("event_time_unreadable").is_none());
            }
            None => {
                unreadable += 1;
                assert!(
                    (started - 1000..=finished + 1000).contains(&ts),
                    "{i}: {ts}"
                );
                assert_eq!(doc["enrichment"]["event_time_unreadable"], true, "{doc}");
                let at = zpa_enricher::event::parse_timestamp(
                    doc["enrichment"]["event_time"].as_str().unwrap().as_bytes(),
                );
                assert_eq!(at, Some(ts), "the record and its timestamp agree: {doc}");
            }
        }
    }
    assert_eq!(unreadable, 2, "records without a readable time");
    svc.wait_metric(
        "zpa_enricher_event_time_unreadable_total{log_type=\"unknown\"}",
        2.0,
        T,
    );
    let (status, log) = svc.stop(T);
    assert!(status.success(), "stopped with {status}:\n{log}");
}
