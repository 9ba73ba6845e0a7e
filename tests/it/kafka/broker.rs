//! The service's guarantees against a real Kafka-protocol broker over TCP: end to end with keys,
//! headers, timestamps and order kept and metrics equal to what was sent; two instances in one
//! group; graceful shutdown commits; a log reader that goes away; compressed input; catalog hot
//! reload; fatal conditions at start.
//!
//! Needs the test broker: `scripts/test.sh` starts it and sets `ZPA_ENRICHER_TEST_BROKERS`.

#![allow(clippy::unwrap_used, clippy::cast_possible_wrap)] // Tests fail loudly on purpose; test counts are small.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::Message;
use serde_json::Value;
use zpa_enricher::catalog::Catalog;
use zpa_enricher::enrich::{EnrichOptions, Enricher, Outcome};

use crate::common;
use crate::common::kafka::{
    Service, ServiceSpec, TestRecord, consume, generated, header, id, metric, produce, series,
    shared_broker,
};

const T: Duration = Duration::from_secs(60);

/// `n` generated records over 17 session keys, each with an `id` and a `source` header.
fn records(n: usize, seed: u64, unknown_ratio: f64) -> Vec<TestRecord> {
    let mut records = generated(n, seed, 17, unknown_ratio);
    for r in &mut records {
        r.headers
            .push(("source".into(), b"lss-receiver-1".to_vec()));
    }
    records
}

#[test]
fn end_to_end_every_record_once_with_key_headers_timestamp_order_and_metrics() {
    let _broker = shared_broker();
    let spec = ServiceSpec::new("e2e");
    spec.create_topics(3);
    let input = records(3000, 11, 0.01);
    produce(&spec.input, &input, "lz4");
    let mut svc = Service::start(&spec);
    svc.wait_ready(T);
    let out = consume(&spec.output, input.len(), T);
    assert_eq!(
        out.len(),
        input.len(),
        "records in the output topic (left) for the records sent (right):\n{}",
        svc.log()
    );

    // Exactly once each, unchanged apart from the added object, with key, headers and timestamp.
    let mut seen = HashSet::new();
    let mut per_partition: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for m in &out {
        let i = id(m);
        assert!(seen.insert(i), "record {i} delivered twice");
        let src = &input[i];
        assert_eq!(m.key(), src.key.as_deref(), "key of record {i}");
        assert_eq!(
            m.timestamp().to_millis(),
            Some(src.timestamp_ms),
            "timestamp (ms) of record {i}"
        );
        assert_eq!(
            header(m, "source"),
            Some(&b"lss-receiver-1"[..]),
            "source header of record {i}"
        );
        let payload = m.payload().unwrap();
        let body = &src.payload[..src.payload.len() - 1];
        assert!(payload.starts_with(body), "record {i} changed");
        let v: Value = serde_json::from_slice(payload).unwrap();
        assert!(v["enrichment"]["status"].is_string(), "record {i}: {v}");
        per_partition.entry(m.partition()).or_default().push(i);
    }
    // One key always lands in one partition, and its records keep their order.
    let mut key_partition: HashMap<&[u8], i32> = HashMap::new();
    for m in &out {
        let k = m.key().unwrap();
        let p = *key_partition.entry(k).or_insert(m.partition());
        assert_eq!(
            p,
            m.partition(),
            "a key spread over partitions: {:?}",
            String::from_utf8_lossy(k)
        );
    }
    for ids in per_partition.values() {
        let mut by_key: HashMap<&[u8], Vec<usize>> = HashMap::new();
        for i in ids {
            by_key
                .entry(input[*i].key.as_deref().unwrap())
                .or_default()
                .push(*i);
        }
        for seq in by_key.values() {
            assert!(
                seq.windows(2).all(|w| w[0] < w[1]),
                "the records of one key came out of order; their ids: {seq:?}"
            );
        }
    }

    // The per-code counters equal what was sent.
    let catalog = Arc::new(Catalog::builtin());
    let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
    let mut expected: HashMap<String, f64> = HashMap::new();
    for r in &input {
        let mut buf = Vec::new();
        let code = match enricher.enrich(&r.payload, &mut buf) {
            Outcome::Known { entry, .. } => catalog.entry(entry).code.clone(),
            Outcome::Unknown { .. } => "__unknown__".into(),
            Outcome::NoCode { .. } => "__none__".into(),
            Outcome::Invalid(e) => panic!("generated an invalid record: {e}"),
        };
        *expected.entry(code).or_default() += 1.0;
    }
    svc.wait_metric(
        "zpa_enricher_records_produced_total{destination=\"output\"}",
        input.len() as f64,
        T,
    );
    let text = svc.metrics();
    let mut got: HashMap<String, f64> = HashMap::new();
    for (labels, v) in series(&text, "zpa_enricher_events_total") {
        *got.entry(labels["code"].clone()).or_default() += v;
    }
    assert_eq!(
        got, expected,
        "zpa_enricher_events_total by code (left) against the codes of the records sent (right)"
    );
    assert_eq!(
        metric(&text, "zpa_enricher_records_consumed_total"),
        Some(input.len() as f64),
        "zpa_enricher_records_consumed_total (left) for the records sent (right)"
    );
    assert!(
        expected.contains_key("__unknown__"),
        "the run should include unknown codes"
    );
    let latencies = metric(&text, "zpa_enricher_end_to_end_latency_seconds_count").unwrap();
    assert!(
        latencies >= input.len() as f64,
        "end-to-end latencies observed: {latencies}, fewer than the {} records sent",
        input.len()
    );
    assert!(text.contains("zpa_enricher_build_info{"), "{text}");
    let (status, log) = svc.stop(T);
    assert!(status.success(), "stopped with {status}:\n{log}");
    // The start-up line names the catalog in use.
    let running = log
        .lines()
        .find(|l| l.contains("zpa-enricher running"))
        .unwrap_or_else(|| panic!("no start-up line in the log:\n{log}"));
    for field in [
        format!("catalog_version={}", catalog.version()),
        format!("catalog_entries={}", catalog.len()),
        "catalog_path=built-in".to_owned(),
        "catalog_mode=extend".to_owned(),
    ] {
        assert!(
            running.contains(&field),
            "the start-up line should say {field}: {running}"
        );
    }
}

#[test]
fn two_instances_split_the_partitions_and_take_over_without_loss() {
    let _broker = shared_broker();
    let spec = ServiceSpec::new("group")
        .env("KAFKA__CONSUMER_LIBRDKAFKA__SESSION_TIMEOUT_MS", "6000")
        .env("KAFKA__CONSUMER_LIBRDKAFKA__HEARTBEAT_INTERVAL_MS", "500");
    spec.create_topics(4);
    let mut a = Service::start(&spec);
    let mut b = Service::start(&spec);
    a.wait_ready(T);
    b.wait_ready(T);
    // Both hold partitions once the group has settled.
    let deadline = std::time::Instant::now() + T;
    loop {
        let pa = metric(&a.metrics(), "zpa_enricher_assigned_partitions").unwrap_or(0.0);
        let pb = metric(&b.metrics(), "zpa_enricher_assigned_partitions").unwrap_or(0.0);
        if pa > 0.0 && pb > 0.0 && pa + pb == 4.0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the 4 partitions were not split between the two instances: one holds {pa}, the \
             other {pb}\n{}\n{}",
            a.log(),
            b.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let first = records(1000, 21, 0.0);
    produce(&spec.input, &first, "none");
    let out = consume(&spec.output, first.len(), T);
    assert_eq!(
        out.len(),
        first.len(),
        "records in the output topic (left) for the records sent (right)"
    );
    let ca = metric(&a.metrics(), "zpa_enricher_records_consumed_total").unwrap_or(0.0);
    let cb = metric(&b.metrics(), "zpa_enricher_records_consumed_total").unwrap_or(0.0);
    assert!(
        ca > 0.0 && cb > 0.0,
        "one instance did all the work: one consumed {ca} records, the other {cb}"
    );

    // Stop one; the other takes its partitions over and nothing is lost.
    let (status, log) = a.stop(T);
    assert!(status.success(), "stopped with {status}:\n{log}");
    b.wait_metric("zpa_enricher_assigned_partitions", 4.0, T);
    let mut second = records(1000, 22, 0.0);
    for (i, r) in second.iter_mut().enumerate() {
        r.headers[0].1 = (first.len() + i).to_string().into_bytes();
    }
    produce(&spec.input, &second, "none");
    let out = consume(&spec.output, first.len() + second.len(), T);
    let ids: HashSet<usize> = out.iter().map(id).collect();
    assert_eq!(
        ids.len(),
        first.len() + second.len(),
        "distinct records in the output topic (left) for the records sent (right):\n{}",
        b.log()
    );
    let (status, log) = b.stop(T);
    assert!(status.success(), "stopped with {status}:\n{log}");
}

#[test]
fn a_member_without_partitions_is_not_ready_for_that_reason_only() {
    let _broker = shared_broker();
    // One partition, two members: one stands by. Fetching nothing, it hears from the cluster
    // only through the group coordinator, which must count as the cluster answering.
    let spec = ServiceSpec::new("standby").env("SERVICE__READINESS_STALL_SECS", "2");
    spec.create_topics(1);
    let mut a = Service::start(&spec);
    a.wait_ready(T);
    let b = Service::start(&spec);
    // The group settles with the partition on one of the two, whichever.
    let assigned = |s: &Service| metric(&s.metrics(), "zpa_enricher_assigned_partitions");
    let deadline = std::time::Instant::now() + T;
    while !(b.log().contains("assigned")
        && assigned(&a).unwrap_or(0.0) + assigned(&b).unwrap_or(0.0) == 1.0)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the group did not settle with its one partition on one of the two members \
             (assigned: {:?} and {:?})\n{}\n{}",
            assigned(&a),
            assigned(&b),
            a.log(),
            b.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (active, standby) = if assigned(&a) == Some(1.0) {
        (&a, &b)
    } else {
        (&b, &a)
    };
    // Several statistics rounds (one a second) past the 2 s limit.
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(
        standby.get("/readyz"),
        Some((503, "not ready: no partitions assigned".to_owned())),
        "{}",
        standby.log()
    );
    assert_eq!(
        active.get("/readyz").map(|(s, _)| s),
        Some(200),
        "{}",
        active.log()
    );
    assert!(
        standby
            .log()
            .contains("no partitions assigned: the group has more members"),
        "{}",
        standby.log()
    );
    let (status, log) = b.stop(T);
    assert!(status.success(), "stopped with {status}:\n{log}");
    let (status, log) = a.stop(T);
    assert!(status.success(), "stopped with {status}:\n{log}");
}

#[test]
fn graceful_shutdown_commits_so_a_restart_redelivers_nothing() {
    let _broker = shared_broker();
    let spec = ServiceSpec::new("restart");
    spec.create_topics(2);
    let input = records(2000, 31, 0.0);
    produce(&spec.input, &input, "none");
    let mut svc = Service::start(&spec);
    svc.wait_ready(T);
    svc.wait_metric(
        "zpa_enricher_records_produced_total{destination=\"output\"}",
        2000.0,
        T,
    );
    let (status, log) = svc.stop(T);
    assert!(status.success(), "{log}");
    // The final commit, or nothing left for it after the last interval's.
    assert!(
        log.contains("offsets committed") || log.contains("no new offsets to commit"),
        "{log}"
    );

    let mut again = Service::start(&spec);
    again.wait_ready(T);
    // Give it time to (wrongly) re-consume.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        metric(&again.metrics(), "zpa_enricher_records_consumed_total"),
        Some(0.0),
        "records consumed again after the restart"
    );
    let (status, log) = again.stop(T);
    assert!(status.success(), "stopped with {status}:\n{log}");
    assert_eq!(
        consume(&spec.output, 2000, T).len(),
        2000,
        "records in the output topic (left) for the records sent (right)"
    );
}

#[test]
fn a_log_reader_that_goes_away_does_not_stop_the_service() {
    let _broker = shared_broker();
    let spec = ServiceSpec::new("log-closed");
    spec.create_topics(1);
    let mut svc = Service::start(&spec);
    svc.wait_ready(T);
    svc.close_log();
    // Distinct unknown codes are logged, each once: enough lines to meet the closed pipe.
    let input = records(500, 41, 0.3);
    produce(&spec.input, &input, "none");
    svc.wait_metric(
        "zpa_enricher_records_produced_total{destination=\"output\"}",
        500.0,
        T,
    );
    let (status, _) = svc.stop(T);
    assert!(status.success(), "stopped with {status}");
    assert_eq!(
        consume(&spec.output, 500, T).len(),
        500,
        "records in the output topic (left) for the records sent (right)"
    );
}

#[test]
fn generate_produces_keyed_enriched_records_to_a_topic() {
    let _broker = shared_broker();
    let spec = ServiceSpec::new("generate");
    spec.create_topics(3);
    let args = [
        "generate",
        "-n",
        "500",
        "--seed",
        "21",
        "--start",
        "2026-11-25T08:00:00Z",
        "--enriched",
    ];
    let mut cmd = common::bin();
    cmd.args(args).args([
        "--topic",
        &spec.input,
        "--brokers",
        &common::kafka::brokers(),
    ]);
    let produced = common::run_with(&mut cmd, b"");
    assert!(produced.status.success(), "{}", common::stderr(&produced));
    let lines = common::run(&args, b"");
    assert!(lines.status.success(), "{}", common::stderr(&lines));

    let out = consume(&spec.input, 500, T);
    let mut got: Vec<&[u8]> = out.iter().map(|m| m.payload().unwrap()).collect();
    let mut want: Vec<&[u8]> = lines
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got.len(), 500, "records in the topic (left) for `-n 500`");
    assert!(got == want, "the topic holds other records than the lines");
    for m in &out {
        let record: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        assert!(record["enrichment"]["severity"].is_string(), "{record}");
        let session = record["SessionID"].as_str();
        assert_eq!(m.key().map(|k| std::str::from_utf8(k).unwrap()), session);
    }
}

#[test]
fn compressed_input_of_every_codec_is_read() {
    let _broker = shared_broker();
    let spec = ServiceSpec::new("codecs");
    spec.create_topics(1);
    let mut all = Vec::new();
    for (n, codec) in ["gzip", "snappy", "lz4", "zstd"].iter().enumerate() {
        let mut batch = records(200, 40 + n as u64, 0.0);
        for (i, r) in batch.iter_mut().enumerate() {
            r.headers[0].1 = (n * 200 + i).to_string().into_bytes();
        }
        produce(&spec.input, &batch, codec);
        all.extend(batch);
    }
    let mut svc = Service::start(&spec);
    svc.wait_ready(T);
    let out = consume(&spec.output, all.len(), T);
    let ids: HashSet<usize> = out.iter().map(id).collect();
    assert_eq!(
        ids.len(),
        all.len(),
        "distinct records in the output topic (left) for the records sent (right):\n{}",
        svc.log()
    );
    let (status, log) = svc.stop(T);
    assert!(status.success(), "stopped with {status}:\n{log}");
}

const CATALOG_V1: &str = r#"
catalog_version = "local-1"

[[entry]]
code = "BRK_MT_SETUP_FAIL_BRAND_NEW_REASON"
status = "SE: Brand new reason"
description = "A code added locally for the reload test; this is version one."
severity = "high"
component = "Service Edge"
category = "error"
"#;

#[test]
fn catalog_hot_reload_swaps_valid_files_and_rejects_broken_ones() {
    let _broker = shared_broker();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local.toml");
    std::fs::write(&path, CATALOG_V1).unwrap();
    let spec = ServiceSpec::new("reload")
        .env("CATALOG__PATH", path.to_str().unwrap())
        .env("SERVICE__CATALOG_RELOAD_INTERVAL_SECS", "1");
    spec.create_topics(1);
    let mut svc = Service::start(&spec);
    svc.wait_ready(T);
    let rec = |i: usize| TestRecord {
        key: None,
        payload:
            br#"{"InternalReason":"BRK_MT_SETUP_FAIL_BRAND_NEW_REASON","ConnectionStatus":"close"}"#
                .to_vec(),
        headers: vec![("id".into(), i.to_string().into_bytes())],
        timestamp_ms: 1_764_000_000_000,
    };
    let builtin = Catalog::builtin().version().to_owned();
    produce(&spec.input, &[rec(0)], "none");
    let out = consume(&spec.output, 1, T);
    let v: Value = serde_json::from_slice(out[0].payload().unwrap()).unwrap();
    assert_eq!(
        v["enrichment"]["catalog_version"],
        format!("{builtin}+local-1")
    );
    assert_eq!(v["enrichment"]["severity"], "high");

    // A new valid version is picked up by itself.
    std::fs::write(
        &path,
        CATALOG_V1
            .replace("local-1", "local-2")
            .replace("\"high\"", "\"critical\""),
    )
    .unwrap();
    svc.wait_metric(
        "zpa_enricher_catalog_reloads_total{result=\"success\"}",
        1.0,
        T,
    );
    produce(&spec.input, &[rec(1)], "none");
    let out = consume(&spec.output, 2, T);
    let v: Value =
        serde_json::from_slice(out.iter().find(|m| id(m) == 1).unwrap().payload().unwrap())
            .unwrap();
    assert_eq!(
        v["enrichment"]["catalog_version"],
        format!("{builtin}+local-2")
    );
    assert_eq!(v["enrichment"]["severity"], "critical");
    assert!(svc.metrics().contains(&format!(
        "zpa_enricher_catalog_info{{version=\"{builtin}+local-2\"}} 1"
    )));

    // A broken file is rejected, counted and logged; the previous catalog keeps working.
    std::fs::write(
        &path,
        CATALOG_V1
            .replace("local-1", "local-3")
            .replace("\"high\"", "\"urgent\""),
    )
    .unwrap();
    svc.wait_metric(
        "zpa_enricher_catalog_reloads_total{result=\"failure\"}",
        1.0,
        T,
    );
    // SIGHUP reloads at once (still broken: a second failure).
    common::kafka::signal(svc.pid(), "HUP");
    svc.wait_metric(
        "zpa_enricher_catalog_reloads_total{result=\"failure\"}",
        2.0,
        T,
    );
    produce(&spec.input, &[rec(2)], "none");
    let out = consume(&spec.output, 3, T);
    let v: Value =
        serde_json::from_slice(out.iter().find(|m| id(m) == 2).unwrap().payload().unwrap())
            .unwrap();
    assert_eq!(
        v["enrichment"]["catalog_version"],
        format!("{builtin}+local-2")
    );
    let (status, log) = svc.stop(T);
    assert!(status.success(), "stopped with {status}:\n{log}");
    assert!(log.contains("catalog reload rejected"), "{log}");
    assert!(
        log.contains("unknown severity \\\"urgent\\\"")
            || log.contains("unknown severity \"urgent\""),
        "{log}"
    );
}

#[test]
fn missing_topics_are_fatal_at_start_with_a_clear_message() {
    let _broker = shared_broker();
    let spec = ServiceSpec::new("missing");
    // No topics created, auto-creation off (the default).
    let svc = Service::start(&spec);
    let (status, log) = svc.wait_exit(T);
    assert!(!status.success(), "exited with {status}:\n{log}");
    assert!(
        log.contains("do not exist; create them, or set kafka.create_missing_topics = true"),
        "{log}"
    );
    assert!(log.contains(&spec.output), "{log}");
}

#[test]
fn invalid_record_under_the_fail_policy_stops_the_service() {
    let _broker = shared_broker();
    let spec = ServiceSpec::new("fail").env("KAFKA__ON_INVALID", "fail");
    spec.create_topics(1);
    produce(
        &spec.input,
        &[TestRecord {
            key: None,
            payload: b"garbage".to_vec(),
            headers: vec![],
            timestamp_ms: 1_764_000_000_000,
        }],
        "none",
    );
    let svc = Service::start(&spec);
    let (status, log) = svc.wait_exit(T);
    assert_eq!(status.code(), Some(1), "exit code:\n{log}");
    assert!(log.contains("invalid record at"), "{log}");
    assert!(
        log.contains("kafka.on_invalid = \\\"fail\\\"")
            || log.contains("kafka.on_invalid = \"fail\""),
        "{log}"
    );
}
