//! Broker outage against the real broker: freeze it (SIGSTOP) for 20 s in the middle of a run.
//! The service must not crash, must report not-ready, must keep its memory bounded, and must
//! deliver everything once the broker is back (SIGCONT). Then a stop during a second freeze: the
//! shutdown must end within its grace period, though the final commit gets no answer.
//!
//! Needs the test broker: `scripts/test.sh` starts it and sets `ZPA_ENRICHER_TEST_BROKERS` and
//! `ZPA_ENRICHER_TEST_BROKER_PID`.

#![allow(clippy::unwrap_used, clippy::cast_possible_wrap)] // Tests fail loudly on purpose.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::common::kafka::{
    Service, ServiceSpec, consume_settled, exclusive_broker, generated, id, metric, produce, signal,
};

const RECORDS: usize = 30_000;

/// Resumes the broker even if the test fails half-way.
struct Thaw(u32);

impl Drop for Thaw {
    fn drop(&mut self) {
        signal(self.0, "CONT");
    }
}

#[test]
fn a_frozen_broker_is_survived_with_bounded_memory_and_no_loss() {
    let _broker = exclusive_broker();
    let broker_pid: u32 = std::env::var("ZPA_ENRICHER_TEST_BROKER_PID")
        .expect("ZPA_ENRICHER_TEST_BROKER_PID: run scripts/test.sh, which sets it")
        .parse()
        .unwrap();
    let spec = ServiceSpec::new("outage")
        .env("SERVICE__READINESS_STALL_SECS", "3")
        .env("SERVICE__PAUSE_AFTER_MS", "500")
        .env("KAFKA__MAX_IN_FLIGHT", "2000")
        .env("SERVICE__SHUTDOWN_GRACE_PERIOD_SECS", "5")
        .env("SERVICE__STATISTICS_INTERVAL_MS", "1000")
        // Offsets wait for the final commit, which the second freeze leaves unanswered.
        .env("KAFKA__COMMIT_INTERVAL_MS", "600000");
    spec.create_topics(2);
    let input = generated(RECORDS, 9, 31, 0.0);
    produce(&spec.input, &input, "lz4");
    let mut svc = Service::start(&spec);
    svc.wait_ready(Duration::from_secs(60));
    svc.wait_metric(
        "zpa_enricher_records_consumed_total",
        500.0,
        Duration::from_secs(60),
    );
    let rss_before = svc.rss_kib();

    signal(broker_pid, "STOP");
    let thaw = Thaw(broker_pid);
    let frozen = Instant::now();
    let mut saw_not_ready = false;
    let mut max_rss = 0;
    while frozen.elapsed() < Duration::from_secs(20) {
        if let Some((503, _)) = svc.get("/readyz") {
            saw_not_ready = true;
        }
        max_rss = max_rss.max(svc.rss_kib());
        std::thread::sleep(Duration::from_millis(250));
    }
    let text = svc.metrics();
    drop(thaw);

    assert!(
        saw_not_ready,
        "readiness never dropped during the outage:\n{}",
        svc.log()
    );
    // Bounded: the window and the consumer queue cap what is held; no growth with the backlog.
    assert!(
        max_rss < 200 * 1024,
        "RSS grew to {max_rss} KiB during the freeze, over the bound of 200 MiB \
         (before: {rss_before} KiB)"
    );
    let in_flight = metric(&text, "zpa_enricher_in_flight").unwrap_or(0.0);
    assert!(
        in_flight <= 2000.0,
        "{in_flight} records in flight during the freeze, over kafka.max_in_flight = 2000"
    );

    let out = consume_settled(
        &spec.output,
        RECORDS,
        Duration::from_secs(180),
        Duration::from_secs(2),
    );
    let ids: HashSet<usize> = out.iter().map(id).collect();
    assert_eq!(
        ids.len(),
        RECORDS,
        "records lost after the outage: distinct records in the output (left) for the records \
         sent (right):\n{}",
        svc.log()
    );
    svc.wait_ready(Duration::from_secs(60));
    eprintln!(
        "outage test: RSS before {rss_before} KiB, max during the 20 s freeze {max_rss} KiB; \
         paused={}; {} output records for {RECORDS} inputs",
        metric(&text, "zpa_enricher_paused").unwrap_or(0.0),
        out.len()
    );

    // A freeze while nothing is in flight: no delivery stalls, but the brokers fall silent.
    signal(broker_pid, "STOP");
    let thaw = Thaw(broker_pid);
    let frozen = Instant::now();
    let mut answer = None;
    while frozen.elapsed() < Duration::from_secs(30) {
        if let Some((503, body)) = svc.get("/readyz") {
            answer = Some(body);
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    drop(thaw);
    let body =
        answer.unwrap_or_else(|| panic!("still ready after 30 s of silence:\n{}", svc.log()));
    assert!(body.contains("brokers not answering"), "{body}");
    svc.wait_ready(Duration::from_secs(60));

    // More records, acknowledged; then a freeze and a stop. librdkafka's final commit waits for
    // a broker that does not answer; the grace period (5 s) must still end the process.
    let produced = metric(&svc.metrics(), "zpa_enricher_records_produced_total").unwrap();
    let more = generated(1_000, 10, 7, 0.0);
    produce(&spec.input, &more, "lz4");
    svc.wait_metric(
        "zpa_enricher_records_produced_total",
        produced + more.len() as f64,
        Duration::from_secs(60),
    );
    signal(broker_pid, "STOP");
    let thaw = Thaw(broker_pid);
    let (status, log) = svc.stop(Duration::from_secs(60));
    drop(thaw);
    assert_eq!(status.code(), Some(1), "exit code:\n{log}");
    assert!(
        log.contains("shutdown did not finish within the grace period"),
        "{log}"
    );
}
