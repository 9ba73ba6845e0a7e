//! Crash safety against the real broker: `kill -9` the service at random moments while it
//! works through 100,000 records, restart it each time, and check that every input record
//! reaches the output at least once. The duplicate count is printed.
//!
//! The input arrives over the whole kill schedule (in chunks, as a live source would send it),
//! so that every kill lands while there is work in flight, however fast the service drains.
//! Each instance is killed only once it has consumed records: on a busy machine joining the
//! group can take long, and a kill before any work would test nothing.
//!
//! Needs the test broker: `scripts/test.sh` starts it and sets `ZPA_ENRICHER_TEST_BROKERS`.

#![allow(clippy::unwrap_used, clippy::cast_possible_wrap)] // Tests fail loudly on purpose.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::common::kafka::{
    Service, ServiceSpec, consume_settled, exclusive_broker, generated, id, metric, produce,
};

const RECORDS: usize = 100_000;
const KILLS: usize = 6;
/// The input goes out in 50 chunks, 200 ms apart ...
const CHUNK: usize = 2_000;
/// ... of which each start of the service releases this many; the rest only after the last
/// kill, so that the input keeps arriving for as long as the kill schedule lasts, however fast
/// this machine produces.
const CHUNKS_PER_START: usize = 7;
const CONSUMED: &str = "zpa_enricher_records_consumed_total";

#[test]
fn kill_9_at_random_moments_loses_nothing() {
    let _broker = exclusive_broker();
    // A killed member stays in the group until its session times out; keep that short so that
    // each restart takes over quickly.
    let spec = ServiceSpec::new("crash")
        .env("KAFKA__CONSUMER_LIBRDKAFKA__SESSION_TIMEOUT_MS", "6000")
        .env("KAFKA__CONSUMER_LIBRDKAFKA__HEARTBEAT_INTERVAL_MS", "500");
    spec.create_topics(4);
    let input = generated(RECORDS, 5, 101, 0.0);
    let topic = spec.input.clone();
    let (release, released) = std::sync::mpsc::channel::<usize>();
    let feeder = std::thread::spawn(move || {
        let mut budget = 0;
        for chunk in input.chunks(CHUNK) {
            while budget == 0 {
                // All the rest once the kill loop is over (the sender is dropped).
                budget = released.recv().unwrap_or(usize::MAX);
            }
            budget -= 1;
            produce(&topic, chunk, "lz4");
            std::thread::sleep(Duration::from_millis(200));
        }
    });

    // A fixed pseudo-random schedule (reproducible): kill after 300..1800 ms of work, counted
    // from the instance's first consumed record.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        300 + state % 1500
    };
    let mut kills = 0;
    let mut consumed_at_kill = Vec::new();
    while kills < KILLS {
        release.send(CHUNKS_PER_START).unwrap();
        let mut svc = Service::start(&spec);
        svc.wait_ready(Duration::from_secs(60));
        // Ready is not yet working: the group may still be handing out partitions.
        svc.wait_metric(CONSUMED, 1.0, Duration::from_secs(120));
        let started = Instant::now();
        let wait = Duration::from_millis(next());
        while started.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(20));
        }
        // None if the scrape failed (the count is only reported).
        let consumed = metric(&svc.metrics(), CONSUMED);
        svc.kill9();
        kills += 1;
        consumed_at_kill.push(consumed);
    }
    // Every kill hit the service in the middle of work, with more input still to come.
    assert!(
        consumed_at_kill.iter().flatten().all(|c| *c > 0.0),
        "an instance was killed before it had consumed any record, which tests nothing; \
         records consumed by each instance when it was killed: {consumed_at_kill:?}"
    );
    assert!(
        !feeder.is_finished(),
        "the input was complete before the last kill: the test would not kill mid-run"
    );
    drop(release);
    feeder.join().expect("the input feeder failed");

    // A last instance finishes the job.
    let mut last = Service::start(&spec);
    last.wait_ready(Duration::from_secs(60));
    let out = consume_settled(
        &spec.output,
        RECORDS,
        Duration::from_secs(240),
        Duration::from_secs(3),
    );
    let ids: HashSet<usize> = out.iter().map(id).collect();
    let missing: Vec<usize> = (0..RECORDS).filter(|i| !ids.contains(i)).collect();
    assert!(
        missing.is_empty(),
        "{} of the {RECORDS} input records never reached the output, e.g. the ids {:?}; \
         the output has {} records; the last instance's log:\n{}",
        missing.len(),
        &missing[..missing.len().min(10)],
        out.len(),
        last.log()
    );
    let duplicates = out.len() - ids.len();
    eprintln!(
        "crash test: {RECORDS} records, {kills} kills (consumed before each kill: {consumed_at_kill:?}), \
         {} output records, {duplicates} duplicates ({:.2}%), 0 lost",
        out.len(),
        duplicates as f64 * 100.0 / RECORDS as f64
    );
    let (status, log) = last.stop(Duration::from_secs(60));
    assert!(
        status.success(),
        "the last instance did not stop cleanly ({status}):\n{log}"
    );
}
