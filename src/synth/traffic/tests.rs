//! Schedules, the pump, the enriching sink and the Kafka producer of generated traffic.

use std::sync::atomic::Ordering;

use super::*;
use crate::catalog::Catalog;

const MS: Duration = Duration::from_millis(1);

fn burst(every_ms: u64, size: u64) -> Option<Burst> {
    Some(Burst {
        code: "CODE".into(),
        every: Duration::from_millis(every_ms),
        size,
        spread: Duration::ZERO,
        first: Duration::from_millis(every_ms),
    })
}

/// The steps at each of `times` (milliseconds after the start), one call each.
fn steps(s: &mut Schedule, times: &[u64]) -> Vec<Step> {
    times
        .iter()
        .map(|t| s.next(Duration::from_millis(*t)))
        .collect()
}

/// Runs `s` to its end on a fake clock that jumps over every wait; returns the paced and
/// burst record counts and the time taken.
fn simulate(s: &mut Schedule) -> (u64, u64, Duration) {
    let (mut paced, mut bursts, mut now) = (0, 0, Duration::ZERO);
    loop {
        match s.next(now) {
            Step::Done => return (paced, bursts, now),
            Step::Paced => paced += 1,
            Step::Burst(n) => bursts += n,
            Step::Wait(w) => now += w,
        }
    }
}

#[test]
fn unpaced_schedule_hands_out_count_records_at_once() {
    let mut s = Schedule::new(0, 3, None);
    assert!(!s.is_timed());
    assert!(Schedule::new(1, 3, None).is_timed() && Schedule::new(0, 3, burst(1, 1)).is_timed());
    let all = steps(&mut s, &[0, 0, 0, 0, 9]);
    assert_eq!(
        all,
        [
            Step::Paced,
            Step::Paced,
            Step::Paced,
            Step::Done,
            Step::Done
        ]
    );
}

#[test]
fn paced_records_are_due_at_index_over_rate() {
    let mut s = Schedule::new(10, 0, None);
    assert_eq!(
        steps(&mut s, &[0, 0, 40, 100, 100, 350, 350, 350, 350]),
        [
            Step::Paced,
            Step::Wait(MS * 100),
            Step::Wait(MS * 60),
            Step::Paced,
            Step::Wait(MS * 100),
            // Late: the rate catches up, records 2 and 3 were due at 200 and 300 ms.
            Step::Paced,
            Step::Paced,
            Step::Wait(MS * 50),
            Step::Wait(MS * 50),
        ]
    );
}

#[test]
fn bursts_come_first_and_cut_waits_short() {
    let mut s = Schedule::new(1, 0, burst(300, 5));
    assert_eq!(s.burst_code(), "CODE");
    assert_eq!(
        steps(&mut s, &[0, 0, 300, 300, 650, 900, 900, 1000, 1000]),
        [
            Step::Paced,
            Step::Wait(MS * 300),
            Step::Burst(5),
            Step::Wait(MS * 300),
            Step::Burst(5),
            Step::Burst(5),
            Step::Wait(MS * 100),
            Step::Paced,
            Step::Wait(MS * 200),
        ]
    );
}

#[test]
fn missed_bursts_come_one_after_the_other() {
    let mut s = Schedule::new(0, 0, burst(1000, 2));
    assert_eq!(
        steps(&mut s, &[3500, 3500, 3500, 3500]),
        [Step::Burst(2), Step::Burst(2), Step::Burst(2), Step::Paced]
    );
}

#[test]
fn the_count_ends_the_schedule_even_with_bursts_due() {
    let mut s = Schedule::new(0, 1, burst(1000, 2));
    assert_eq!(steps(&mut s, &[0, 5000]), [Step::Paced, Step::Done]);
}

#[test]
fn bursts_of_nothing_are_ignored() {
    let mut s = Schedule::new(0, 2, burst(0, 5));
    assert_eq!(s.burst_code(), "");
    assert_eq!(
        steps(&mut s, &[0, 0, 0]),
        [Step::Paced, Step::Paced, Step::Done]
    );
    let mut s = Schedule::new(0, 1, burst(10, 0));
    assert_eq!(steps(&mut s, &[50, 50]), [Step::Paced, Step::Done]);
}

#[test]
fn a_paced_run_with_bursts_on_top() {
    // What `generate -n 50 --rate 40 --burst-every-secs 1 --burst-size 30` does: the 50th
    // record is due at 1.225 s, so one burst of 30 fits in.
    let mut s = Schedule::new(40, 50, burst(1000, 30));
    let (paced, bursts, took) = simulate(&mut s);
    assert_eq!((paced, bursts), (50, 30));
    assert!(took >= MS * 1225 && took < MS * 1250, "{took:?}");
    // The same for ten seconds at 1000 records/s, bursts every 2 s.
    let mut s = Schedule::new(1000, 10_000, burst(2000, 100));
    let (paced, bursts, _) = simulate(&mut s);
    assert_eq!((paced, bursts), (10_000, 400));
}

#[test]
fn burst_flags_of_zero_mean_no_bursts() {
    assert_eq!(Burst::from_flags("X", 0, 5), None);
    assert_eq!(Burst::from_flags("X", 5, 0), None);
    assert_eq!(
        Burst::from_flags("X", 2, 5),
        Some(Burst {
            code: "X".into(),
            every: Duration::from_secs(2),
            size: 5,
            spread: Duration::ZERO,
            first: Duration::from_secs(2),
        })
    );
}

#[test]
fn a_spread_burst_hands_out_its_records_evenly() {
    // 4 records over 400 ms: due at 1000, 1100, 1200 and 1300 ms, first burst at 1 s.
    let b = Burst::from_flags("CODE", 10, 4)
        .unwrap()
        .spread_over(MS * 400)
        .first_after(MS * 1000);
    let mut s = Schedule::new(1, 0, Some(b));
    assert_eq!(
        steps(&mut s, &[0, 0, 1000, 1000, 1150, 1150, 1400, 1400]),
        [
            Step::Paced,
            Step::Wait(MS * 1000),
            // Burst records come before the paced record due at the same moment.
            Step::Burst(1),
            Step::Paced,
            Step::Burst(1),
            // The next burst record (index 2) is due at 1200 ms, before the paced one.
            Step::Wait(MS * 50),
            // Late: both remaining records at once, then the burst is over.
            Step::Burst(2),
            Step::Wait(MS * 600),
        ]
    );
    // The next burst starts 10 s after the first one.
    assert_eq!(s.next(MS * 1500), Step::Wait(MS * 500));
    assert_eq!(s.next(MS * 11_000), Step::Burst(1));
}

#[test]
fn a_spread_burst_raises_the_rate_for_its_duration() {
    // 10 paced records/s for 100 s; from 30 s, 1,000 extra records over 20 s (50/s), every
    // 60 s: the second burst starts at 90 s and has 10 s left when the run ends.
    let b = Burst::from_flags("CODE", 60, 1000)
        .unwrap()
        .spread_over(Duration::from_secs(20))
        .first_after(Duration::from_secs(30));
    let mut s = Schedule::new(10, 1000, Some(b));
    let mut per_second = vec![0_u64; 101];
    let mut now = Duration::ZERO;
    loop {
        match s.next(now) {
            Step::Done => break,
            Step::Paced => {}
            Step::Burst(n) => per_second[usize::try_from(now.as_secs()).unwrap()] += n,
            Step::Wait(w) => now += w,
        }
    }
    assert_eq!(per_second[..30].iter().sum::<u64>(), 0);
    assert!(
        per_second[30..50].iter().all(|&n| (49..=51).contains(&n)),
        "{per_second:?}"
    );
    assert_eq!(per_second[30..50].iter().sum::<u64>(), 1000);
    assert_eq!(per_second[50..90].iter().sum::<u64>(), 0);
    // The run ends with the last paced record, due at 99.9 s: the last second is cut short.
    assert!(
        per_second[90..99].iter().all(|&n| (49..=51).contains(&n)),
        "{per_second:?}"
    );
    assert!(per_second[99] < 50, "{per_second:?}");
}

/// Collects records; stops after `limit` of them.
#[derive(Default)]
struct Collect {
    records: Vec<(Vec<u8>, bool)>,
    limit: Option<usize>,
    idles: usize,
}

impl Sink for Collect {
    type Error = std::convert::Infallible;

    fn put(&mut self, record: &[u8], burst: bool) -> Result<bool, Self::Error> {
        self.records.push((record.to_vec(), burst));
        Ok(self.limit.is_none_or(|l| self.records.len() < l))
    }

    fn idle(&mut self) -> Result<(), Self::Error> {
        self.idles += 1;
        Ok(())
    }
}

fn generator() -> Generator {
    Generator::new(
        &Catalog::builtin(),
        GeneratorOptions {
            seed: 7,
            ..GeneratorOptions::default()
        },
    )
}

/// Pumps `schedule` into a fresh [`Collect`] that stops after `limit` records.
fn pumped(mut schedule: Schedule, limit: Option<usize>, stop: &CancellationToken) -> Collect {
    let mut sink = Collect {
        limit,
        ..Collect::default()
    };
    pump(&mut generator(), &mut schedule, &mut sink, stop).unwrap();
    sink
}

#[test]
fn pump_writes_the_schedule_into_the_sink() {
    let sink = pumped(Schedule::new(0, 25, None), None, &CancellationToken::new());
    assert_eq!(sink.records.len(), 25);
    assert!(
        sink.records
            .iter()
            .all(|(r, burst)| r.starts_with(b"{") && !burst)
    );
}

#[test]
fn pump_writes_bursts_of_the_code_and_flushes_while_waiting() {
    // 4 paced records due at 0, 33, 67 and 100 ms; bursts of 4 at 40 and 80 ms.
    let schedule = Schedule::new(30, 4, burst(40, 4));
    let sink = pumped(schedule, None, &CancellationToken::new());
    let bursts: Vec<&Vec<u8>> = sink.records.iter().filter(|r| r.1).map(|r| &r.0).collect();
    assert!(bursts.len() >= 8, "{}", bursts.len());
    assert!(
        bursts
            .iter()
            .all(|r| memchr::memmem::find(r, b"\"InternalReason\":\"CODE\"").is_some())
    );
    assert_eq!(sink.records.len() - bursts.len(), 4);
    assert!(sink.idles > 0);
}

#[test]
fn pump_stops_on_the_token_or_when_the_sink_says_so() {
    let stop = CancellationToken::new();
    stop.cancel();
    assert!(
        pumped(Schedule::new(0, 0, None), None, &stop)
            .records
            .is_empty()
    );
    let endless = Schedule::new(0, 0, burst(1, 100));
    let sink = pumped(endless, Some(3), &CancellationToken::new());
    assert_eq!(sink.records.len(), 3);
}

#[test]
fn a_paced_clock_started_now_keeps_up_and_a_pinned_one_does_not() {
    use crate::synth::Start;
    // Paced records at 0, 200 and 400 ms; one burst record (a close, with its end time) at 150
    // and at 300 ms.
    let ends = |start: Start| {
        let mut g = Generator::new(
            &Catalog::builtin(),
            GeneratorOptions {
                start,
                ..GeneratorOptions::default()
            },
        );
        let mut sink = Collect::default();
        let schedule = &mut Schedule::new(5, 3, burst(150, 1));
        pump(&mut g, schedule, &mut sink, &CancellationToken::new()).unwrap();
        let ends: Vec<i64> = sink
            .records
            .iter()
            .filter(|(_, burst)| *burst)
            .map(|(r, _)| {
                let r: serde_json::Value = serde_json::from_slice(r).unwrap();
                let end = r["TimestampConnectionEnd"].as_str().unwrap();
                match end.parse() {
                    Ok(Start::At(ms)) => ms,
                    other => panic!("{end}: {other:?}"),
                }
            })
            .collect();
        ends
    };
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap())
        .unwrap();
    let live = ends(Start::Now);
    assert_eq!(live.len(), 2, "{live:?}");
    assert!(
        live[1] >= before + 300,
        "{} ms after the start",
        live[1] - before
    );
    let pinned = ends(Start::At(1_795_593_600_000));
    assert!(pinned[1] < 1_795_593_600_050, "{pinned:?}");
}

#[test]
fn enriching_hands_on_what_the_enricher_makes_and_invalid_records_unchanged() {
    let catalog = Arc::new(Catalog::builtin());
    let enricher = Arc::new(Enricher::new(
        Arc::clone(&catalog),
        crate::enrich::EnrichOptions::default(),
    ));
    // Pinned: the two generators below must write the same records.
    let options = GeneratorOptions {
        seed: 11,
        invalid_ratio: 0.2,
        unknown_ratio: 0.2,
        start: crate::synth::Start::At(1_795_593_600_000),
        ..GeneratorOptions::default()
    };
    let mut plain = Collect::default();
    let stop = CancellationToken::new();
    let mut generator = Generator::new(&catalog, options.clone());
    pump(
        &mut generator,
        &mut Schedule::new(0, 300, None),
        &mut plain,
        &stop,
    )
    .unwrap();
    let mut enriched = Collect::default();
    let mut generator = Generator::new(&catalog, options);
    pump_records(
        &mut generator,
        &mut Schedule::new(0, 300, None),
        &mut enriched,
        Some(&enricher),
        &stop,
    )
    .unwrap();

    assert_eq!(enriched.records.len(), 300);
    let (mut invalid, mut added) = (0, 0);
    for ((raw, _), (got, _)) in plain.records.iter().zip(&enriched.records) {
        let mut want = Vec::new();
        if let Outcome::Invalid(_) = enricher.enrich(raw, &mut want) {
            invalid += 1;
            assert_eq!(got, raw);
        } else {
            added += 1;
            assert_eq!(got, &want);
            assert!(memchr::memmem::find(got, b"\"enrichment\":{").is_some());
        }
    }
    assert!(
        invalid > 20 && added > 200,
        "{invalid} invalid, {added} enriched"
    );
}

#[test]
fn key_field_is_found_without_parsing() {
    let r = br#"{"LogTimestamp":"x","SessionID":"abc123","ConnectionID":"abc123,9"}"#;
    let session = KeyField::new("SessionID").unwrap();
    assert_eq!(session.find(r), Some(&b"abc123"[..]));
    assert_eq!(KeyField::new("Username").unwrap().find(r), None);
    assert_eq!(session.find(br#"{"SessionID":""}"#), None);
    assert_eq!(session.find(br#"{"SessionID":"trunc"#), None);
    assert!(KeyField::new("").is_none());
}

fn traffic(count: u64) -> Traffic {
    Traffic {
        catalog: Arc::new(Catalog::builtin()),
        options: GeneratorOptions::default(),
        rate: 0,
        count,
        burst: None,
        enricher: None,
    }
}

fn target(brokers: &str, topic: &str) -> KafkaTarget {
    KafkaTarget {
        client: {
            let mut c = rdkafka::ClientConfig::new();
            c.set("bootstrap.servers", brokers);
            c
        },
        topic: topic.to_owned(),
        client_id: "zpa-enricher-test".into(),
        compression: "lz4".into(),
        key_field: "SessionID".into(),
        flush_timeout: Duration::from_secs(10),
        undelivered: Undelivered::Fail,
    }
}

#[test]
fn lines_are_whole_and_flushed() {
    let mut t = traffic(20);
    t.enricher = Some(Arc::new(Enricher::new(
        Arc::clone(&t.catalog),
        crate::enrich::EnrichOptions::default(),
    )));
    let mut out = Vec::new();
    t.write_lines(io::BufWriter::new(&mut out), &CancellationToken::new())
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 20);
    assert!(text.ends_with('\n'));
    assert!(
        text.lines().all(|l| l.contains("\"enrichment\":{")),
        "{text}"
    );
}

#[test]
fn traffic_produces_count_records_and_the_bursts() {
    let cluster = rdkafka::mocking::MockCluster::new(1).unwrap();
    cluster.create_topic("raw", 2, 1).unwrap();
    let mut t = traffic(40);
    t.rate = 200;
    t.burst = burst(100, 10);
    let counts = TrafficCounts::default();
    t.produce(
        &target(&cluster.bootstrap_servers(), "raw"),
        &counts,
        &CancellationToken::new(),
    )
    .unwrap();
    let burst = counts.burst.load(Ordering::Relaxed);
    assert!(burst >= 10 && burst % 10 == 0, "{burst}");
    assert_eq!(counts.sent.load(Ordering::Relaxed), 40 + burst);
}

#[test]
fn undelivered_records_fail_the_run_only_when_required() {
    // Nothing listens on port 1: the records stay queued past the flush timeout.
    let t = traffic(5);
    let mut to = target("127.0.0.1:1", "raw");
    to.flush_timeout = MS * 200;
    let counts = TrafficCounts::default();
    assert!(t.produce(&to, &counts, &CancellationToken::new()).is_err());
    assert_eq!(counts.sent.load(Ordering::Relaxed), 5);
    to.undelivered = Undelivered::Warn;
    t.produce(&to, &counts, &CancellationToken::new()).unwrap();
}
