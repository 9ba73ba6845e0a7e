//! Backpressure and shutdown: a flood larger than the in-flight bound keeps memory bounded and
//! loses nothing; a frozen broker stops the sockets being read (the client's writes block) and
//! everything arrives after it thaws; SIGTERM in the middle of a stream exits 0 with everything
//! the client wrote in Kafka.

#![allow(clippy::unwrap_used, clippy::cast_precision_loss)] // Tests fail loudly on purpose.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::super::support::{Client, Receive, Spec, T, Topics, line, seq};
use crate::common::kafka::{consume_settled, exclusive_broker, shared_broker, signal};

/// Writes lines `first..first + n` of about `size` bytes to `addr` on a thread, counting the
/// lines written; stops early when `stop` is set or the receiver closes the connection. Returns
/// the thread, which hands the client back.
fn writer(
    addr: std::net::SocketAddr,
    (first, n): (usize, usize),
    size: usize,
    written: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Client> {
    std::thread::spawn(move || {
        let mut client = Client::plain(addr);
        for i in first..first + n {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let text = line(&format!("s-{}", i % 101), i, size) + "\n";
            if client.send(text.as_bytes()).is_err() {
                break;
            }
            written.fetch_add(1, Ordering::Relaxed);
        }
        client
    })
}

#[test]
fn a_flood_larger_than_the_in_flight_bound_keeps_memory_bounded_and_loses_nothing() {
    let _broker = exclusive_broker();
    let topics = Topics::new("recv-flood", 3);
    let max_in_flight = 500;
    let r = Receive::start(
        &Spec::new(&topics)
            .env("RECEIVE__MAX_IN_FLIGHT", &max_in_flight.to_string())
            .env("RECEIVE__READ_BUFFER_BYTES", "65536"),
    );
    let baseline = r.peak_rss_kib();
    let (n, size) = (100_000, 1000);
    let written = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|k| {
            let part = (k * n / 2, n / 2);
            writer(r.addr, part, size, Arc::clone(&written), Arc::clone(&stop))
        })
        .collect();
    let mut max_in_flight_seen = 0.0f64;
    while writers.iter().any(|w| !w.is_finished()) {
        max_in_flight_seen = max_in_flight_seen.max(r.metric("zpa_enricher_in_flight"));
        std::thread::sleep(Duration::from_millis(100));
    }
    for w in writers {
        w.join().unwrap().close();
    }
    let out = consume_settled(&topics.raw, n, T, Duration::from_secs(1));
    let distinct: HashSet<usize> = out.iter().map(seq).collect();
    assert_eq!(
        distinct.len(),
        n,
        "distinct lines in the raw topic for {n} sent:\n{}",
        r.log()
    );
    let peak = r.peak_rss_kib();
    let sent_mib = n * size / (1 << 20);
    eprintln!(
        "flood: {n} lines ({sent_mib} MiB), peak RSS {peak} KiB (baseline {baseline} KiB), \
         in flight at most {max_in_flight_seen}, paused {} s",
        r.metric("zpa_enricher_receive_paused_seconds_total")
    );
    assert!(
        max_in_flight_seen <= f64::from(max_in_flight),
        "{max_in_flight_seen} in flight, over the bound of {max_in_flight}"
    );
    // Bounded: what the receiver holds does not grow with what it is sent.
    assert!(
        peak < baseline + 32 * 1024,
        "peak RSS {peak} KiB grew more than 32 MiB over the {baseline} KiB at start while \
         {sent_mib} MiB went through"
    );
}

/// Resumes the broker even if the test fails half-way.
struct Thaw(u32);

impl Drop for Thaw {
    fn drop(&mut self) {
        signal(self.0, "CONT");
    }
}

/// Waits until `written` has not moved for `still`, within the test's deadline; returns it.
fn wait_blocked(written: &AtomicUsize, still: Duration, r: &Receive) -> usize {
    let deadline = Instant::now() + T;
    let mut last = written.load(Ordering::Relaxed);
    let mut since = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = written.load(Ordering::Relaxed);
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() >= still {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "the client's writes never blocked:\n{}",
            r.log()
        );
    }
}

#[test]
fn a_frozen_broker_stops_the_reading_and_everything_arrives_after_it_thaws() {
    let _broker = exclusive_broker();
    let broker_pid: u32 = std::env::var("ZPA_ENRICHER_TEST_BROKER_PID")
        .expect("ZPA_ENRICHER_TEST_BROKER_PID: run scripts/test.sh, which sets it")
        .parse()
        .unwrap();
    let topics = Topics::new("recv-frozen", 2);
    let r = Receive::start(
        &Spec::new(&topics)
            .env("RECEIVE__MAX_IN_FLIGHT", "500")
            .env("RECEIVE__READ_BUFFER_BYTES", "4096")
            .env("SERVICE__READINESS_STALL_SECS", "2")
            .env("KAFKA__DELIVERY_TIMEOUT_MS", "3000"),
    );
    let (n, size) = (40_000, 1000);
    let written = Arc::new(AtomicUsize::new(0));
    let w = writer(
        r.addr,
        (0, n),
        size,
        Arc::clone(&written),
        Arc::new(AtomicBool::new(false)),
    );
    while written.load(Ordering::Relaxed) < 1000 {
        assert!(!w.is_finished());
        std::thread::sleep(Duration::from_millis(10));
    }

    signal(broker_pid, "STOP");
    let thaw = Thaw(broker_pid);
    let blocked_at = wait_blocked(&written, Duration::from_secs(2), &r);
    assert!(
        blocked_at < n,
        "every line was written while the broker was frozen"
    );
    assert_eq!(
        r.metric("zpa_enricher_receive_paused"),
        1.0,
        "reading is paused:\n{}",
        r.log()
    );
    assert!(r.metric("zpa_enricher_in_flight") <= 500.0);
    let deadline = Instant::now() + T;
    while !matches!(r.get("/readyz"), Some((503, _))) {
        assert!(
            Instant::now() < deadline,
            "still ready while frozen:\n{}",
            r.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Past the delivery timeout, so that deliveries fail and are produced again.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        written.load(Ordering::Relaxed),
        blocked_at,
        "the client wrote on while nothing was read"
    );
    drop(thaw);

    let client = w.join().unwrap();
    client.close();
    let out = consume_settled(&topics.raw, n, T, Duration::from_secs(1));
    let seqs: HashSet<usize> = out.iter().map(seq).collect();
    assert_eq!(
        seqs.len(),
        n,
        "distinct lines in the raw topic after the thaw:\n{}",
        r.log()
    );
    eprintln!(
        "frozen broker: the client blocked after {blocked_at} of {n} lines; {} records for \
         {n} lines; produce errors {}",
        out.len(),
        r.metric("zpa_enricher_produce_errors_total")
    );
}

#[test]
fn sigterm_mid_stream_exits_0_with_everything_written_in_kafka() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-sigterm", 2);
    let r = Receive::start(&Spec::new(&topics).env("SERVICE__SHUTDOWN_GRACE_PERIOD_SECS", "20"));
    let written = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(
        r.addr,
        (0, 1_000_000),
        300,
        Arc::clone(&written),
        Arc::clone(&stop),
    );
    while written.load(Ordering::Relaxed) < 5000 {
        assert!(!w.is_finished(), "{}", r.log());
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(r.pid(), "TERM");
    stop.store(true, Ordering::Relaxed);
    // The writer finishes the line it is in; the connection stays open.
    let client = w.join().unwrap();
    let total = written.load(Ordering::Relaxed);
    let (status, log) = r.wait_exit();
    drop(client);
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(
        log.contains("every record received was acknowledged"),
        "{log}"
    );
    let out = consume_settled(&topics.raw, total, T, Duration::from_secs(1));
    let seqs: HashSet<usize> = out.iter().map(seq).collect();
    assert_eq!(
        seqs,
        (0..total).collect(),
        "every line written before the stop is in Kafka ({total} lines):\n{log}"
    );
}
