//! Backpressure and shutdown of the loop, on librdkafka's mock cluster with tokio's clock
//! paused: a pause after `pause_after` of virtual time, not 20 s of a frozen broker.
//!
//! Each test runs the pipeline on two mock clusters, one for the input (the consumer) and one for
//! the output (the producer), so that the output can stall while the input goes on answering.
//!
//! Two clocks are at work. The mock clusters and the Kafka clients run on librdkafka's threads in
//! real time; the loop's own timers (the housekeeping tick that decides a pause, the drain's
//! deadline) run on tokio's paused clock. A paused runtime with nothing to do jumps its clock to
//! the next timer, which would fire those timers while a test merely waits for a delivery. So
//! the tests wait for Kafka events in real time inside blocking tasks, during which tokio does not
//! move the clock (see [`Fixture::until`]), and the clock moves only when a test advances it.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{
    BaseProducer, BaseRecord, DefaultProducerContext, FutureProducer, Producer,
};
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Handles, Pipeline, PipelineError, PipelineOptions};
use crate::admin::{Health, REASON_SHUTTING_DOWN};
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::enrich::Enricher;
use crate::kafka::context::{Fatal, ServiceContext};
use crate::kafka::{consumer_config, producer_config};
use crate::metrics::Metrics;

/// The loop's housekeeping period (`Pipeline::run`).
const TICK: Duration = Duration::from_millis(200);
/// The longest a test waits for one Kafka event, in real time.
const REAL_LIMIT: Duration = Duration::from_secs(30);
/// The mock clusters' only broker.
const BROKER: i32 = 1;

const INPUT: &str = "raw";
const OUTPUT: &str = "enriched";
const DLQ: &str = "dlq";
const GROUP: &str = "pipeline-tests";
const RECORD: &[u8] = br#"{"InternalReason":"BRK_MT_TERMINATED","ConnectionStatus":"close"}"#;

const CONSUMED: &str = "zpa_enricher_records_consumed_total";
const PRODUCED: &str = "zpa_enricher_records_produced_total{destination=\"output\"}";
const IN_FLIGHT: &str = "zpa_enricher_in_flight";
const PAUSED: &str = "zpa_enricher_paused";
/// An in-flight count the loop never reports: set before a tick, it shows when the loop's
/// housekeeping has run (which overwrites it).
const NOT_YET: usize = 999_999;

/// What the tests vary of the loop's settings.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_in_flight: usize,
    pause_after: Duration,
    shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_in_flight: 100,
            pause_after: 5 * TICK,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// The loop's options for `limits`: the one place the tests spell out [`PipelineOptions`].
fn options(limits: Limits) -> PipelineOptions {
    PipelineOptions {
        output_topic: OUTPUT.into(),
        dlq_topic: DLQ.into(),
        on_invalid: crate::kafka::InvalidPolicy::Dlq,
        partitioning: crate::kafka::Partitioning::Key,
        timestamp: crate::kafka::OutputTimestamp::Source,
        max_in_flight: limits.max_in_flight,
        pause_after: limits.pause_after,
        // Readiness is not under test here.
        readiness_stall: Duration::from_secs(3600),
        shutdown_grace: limits.shutdown_grace,
        #[cfg(feature = "bench-passthrough")]
        passthrough: super::Passthrough::Off,
    }
}

/// A running pipeline between an input and an output mock cluster.
struct Fixture {
    /// Options so that a failed test can leave the clusters behind (see `Drop`).
    input: Option<MockCluster<'static, DefaultProducerContext>>,
    output: Option<MockCluster<'static, DefaultProducerContext>>,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    shutdown: CancellationToken,
    run: Option<JoinHandle<Result<(), PipelineError>>>,
    /// Kept so that the loop's reload channel stays open.
    _reloads: mpsc::Sender<Arc<Enricher>>,
}

impl Fixture {
    /// Starts the pipeline with `limits`, consuming the input partition from its start (no
    /// committed offset yet). Offsets are committed only at shutdown (the interval is longer
    /// than any test), so that what a test finds committed is what the shutdown committed.
    fn start(limits: Limits) -> Self {
        let input = MockCluster::new(1).expect("an input mock cluster");
        input.create_topic(INPUT, 1, 1).expect("the input topic");
        let output = MockCluster::new(1).expect("an output mock cluster");
        for topic in [OUTPUT, DLQ] {
            output.create_topic(topic, 1, 1).expect("an output topic");
        }

        let mut settings = Settings::default();
        settings.kafka.brokers = input.bootstrap_servers();
        settings.kafka.group_id = GROUP.into();
        settings.kafka.commit_interval_ms = 3_600_000;
        settings.kafka.linger_ms = 1;
        settings.kafka.max_in_flight = limits.max_in_flight;
        // A stopped output broker is reconnected to soon after it is back.
        settings
            .kafka
            .producer_librdkafka
            .insert("reconnect.backoff.max.ms".into(), "100".into());
        let consumer_cfg = consumer_config(&settings.kafka).expect("a consumer configuration");
        settings.kafka.brokers = output.bootstrap_servers();
        let producer_cfg = producer_config(&settings.kafka).expect("a producer configuration");

        let metrics = Arc::new(Metrics::new("mock").expect("metrics"));
        let health = Arc::new(Health::new(Arc::clone(&metrics)));
        let shutdown = CancellationToken::new();
        let fatal = Arc::new(Fatal::new(shutdown.clone()));
        let context = || {
            ServiceContext::new(
                Arc::clone(&metrics),
                Arc::clone(&health),
                Arc::clone(&fatal),
                Duration::from_secs(3600),
            )
        };
        let consumer: StreamConsumer<ServiceContext> = consumer_cfg
            .create_with_context(context())
            .expect("a consumer");
        // Assigned rather than subscribed: no group rebalance to wait for.
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(INPUT, 0, Offset::Stored)
            .expect("an assignment");
        consumer.assign(&assignment).expect("the input assigned");
        let producer: FutureProducer<ServiceContext> = producer_cfg
            .create_with_context(context())
            .expect("a producer");

        let enricher = Arc::new(Enricher::new(
            Arc::new(Catalog::builtin()),
            settings.enrich_options(),
        ));
        let handles = Handles {
            metrics: Arc::clone(&metrics),
            health: Arc::clone(&health),
            fatal,
        };
        let (reloads, reload_rx) = mpsc::channel(1);
        let pipeline = Pipeline::new(
            consumer,
            producer,
            options(limits),
            enricher,
            handles,
            reload_rx,
        );
        let run = tokio::spawn(pipeline.run(shutdown.clone()));
        Self {
            input: Some(input),
            output: Some(output),
            metrics,
            health,
            shutdown,
            run: Some(run),
            _reloads: reloads,
        }
    }

    fn input(&self) -> &MockCluster<'static, DefaultProducerContext> {
        self.input.as_ref().expect("the input cluster")
    }

    fn output(&self) -> &MockCluster<'static, DefaultProducerContext> {
        self.output.as_ref().expect("the output cluster")
    }

    /// Stops the output broker: deliveries wait until [`Self::output_up`].
    fn output_down(&self) {
        self.output()
            .broker_down(BROKER)
            .expect("the output broker down");
    }

    fn output_up(&self) {
        self.output()
            .broker_up(BROKER)
            .expect("the output broker up");
    }

    /// The value of a sample of the pipeline's metrics (`name` with its labels, if any).
    fn metric(&self, name: &str) -> usize {
        let text = self.metrics.encode();
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no sample {name} in\n{text}"));
        value
            .parse()
            .unwrap_or_else(|e| panic!("{name} = {value}: {e}"))
    }

    fn consumed(&self) -> usize {
        self.metric(CONSUMED)
    }

    /// Records whose delivery to the output was acknowledged.
    fn produced(&self) -> usize {
        self.metric(PRODUCED)
    }

    fn paused(&self) -> bool {
        self.metric(PAUSED) == 1
    }

    /// Waits, in real time, until `done` holds (at most [`REAL_LIMIT`]). The waiting happens in
    /// blocking tasks: while one runs, tokio does not move its paused clock, so no timer of the
    /// loop fires because of the wait.
    async fn until(&self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let started = std::time::Instant::now();
        while !done(self) {
            assert!(
                started.elapsed() < REAL_LIMIT,
                "waited {REAL_LIMIT:?} for {what}; metrics:\n{}",
                self.metrics.encode()
            );
            tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(2)))
                .await
                .expect("a blocking wait");
        }
    }

    /// Advances the paused clock by one housekeeping period and waits until the loop has done
    /// that housekeeping; returns the number of records in flight it saw.
    async fn tick(&self) -> usize {
        self.metrics.set_in_flight(NOT_YET);
        tokio::time::advance(TICK).await;
        self.until("the loop's housekeeping", |f| {
            f.metric(IN_FLIGHT) != NOT_YET
        })
        .await;
        self.metric(IN_FLIGHT)
    }

    /// Records 0..10 acknowledged, then the output down and records 10..25 consumed: the
    /// window holds 15 records that cannot be acknowledged until the output comes back.
    async fn ten_acknowledged_then_fifteen_in_flight(&self) {
        self.produce_input(0..10).await;
        self.until("the first records acknowledged", |f| f.produced() == 10)
            .await;
        self.output_down();
        self.produce_input(10..25).await;
        self.until("the later records in flight", |f| f.consumed() == 25)
            .await;
    }

    /// Produces input records with `id` headers `ids`, and waits until the input cluster has
    /// them.
    async fn produce_input(&self, ids: Range<usize>) {
        let brokers = self.input().bootstrap_servers();
        tokio::task::spawn_blocking(move || {
            let producer: BaseProducer = ClientConfig::new()
                .set("bootstrap.servers", &brokers)
                .create()
                .expect("an input producer");
            for i in ids {
                let id = i.to_string();
                let key = format!("session-{}", i % 3);
                let headers = OwnedHeaders::new().insert(Header {
                    key: "id",
                    value: Some(&id),
                });
                producer
                    .send(
                        BaseRecord::to(INPUT)
                            .key(&key)
                            .payload(RECORD)
                            .headers(headers),
                    )
                    .map_err(|(e, _)| e)
                    .expect("an input record queued");
            }
            producer
                .flush(REAL_LIMIT)
                .expect("the input records produced");
        })
        .await
        .expect("the input producer");
    }

    /// The `id` headers of the output topic's records, in order, once there are `n`.
    async fn output_ids(&self, n: usize) -> Vec<usize> {
        let brokers = self.output().bootstrap_servers();
        tokio::task::spawn_blocking(move || {
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &brokers)
                .set("group.id", "output-reader")
                .set("enable.auto.commit", "false")
                .create()
                .expect("an output reader");
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(OUTPUT, 0, Offset::Beginning)
                .expect("the output partition");
            consumer.assign(&tpl).expect("the output assigned");
            let started = std::time::Instant::now();
            let mut ids = Vec::new();
            while ids.len() < n && started.elapsed() < REAL_LIMIT {
                if let Some(m) = consumer.poll(Duration::from_millis(100)) {
                    let m = m.expect("an output record");
                    let id = m
                        .headers()
                        .and_then(|h| h.iter().find(|h| h.key == "id"))
                        .and_then(|h| h.value)
                        .expect("an id header");
                    let id = std::str::from_utf8(id).expect("an id in UTF-8");
                    ids.push(id.parse().expect("a numeric id"));
                }
            }
            ids
        })
        .await
        .expect("the output reader")
    }

    /// The offset the group has committed for the input partition, if any.
    async fn committed(&self) -> Option<i64> {
        let brokers = self.input().bootstrap_servers();
        tokio::task::spawn_blocking(move || {
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &brokers)
                .set("group.id", GROUP)
                .create()
                .expect("a reader of committed offsets");
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition(INPUT, 0);
            let committed = consumer
                .committed_offsets(tpl, REAL_LIMIT)
                .expect("the committed offsets");
            match committed
                .find_partition(INPUT, 0)
                .expect("the input partition")
                .offset()
            {
                Offset::Offset(o) => Some(o),
                _ => None,
            }
        })
        .await
        .expect("the committed offsets reader")
    }

    /// True once the loop has begun its shutdown.
    fn shutting_down(&self) -> bool {
        self.health
            .not_ready_reasons()
            .iter()
            .any(|r| r == REASON_SHUTTING_DOWN)
    }

    /// True once the loop has returned.
    fn finished(&self) -> bool {
        self.run.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits, in real time, for the loop to return, and returns its result.
    async fn join(&mut self) -> Result<(), PipelineError> {
        self.until("the loop to return", Self::finished).await;
        self.run
            .take()
            .expect("a running loop")
            .await
            .expect("the loop did not panic")
    }

    /// Stops the loop as a stop signal does, and returns its result.
    async fn stop(&mut self) -> Result<(), PipelineError> {
        self.shutdown.cancel();
        self.join().await
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if self.run.is_some() {
            // A failed test: the loop still holds clients of the clusters, which it closes only
            // when the runtime drops it, after this. Destroying a cluster under its clients can
            // hang them, so the clusters are left to the end of the process.
            std::mem::forget(self.input.take());
            std::mem::forget(self.output.take());
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_stalled_output_pauses_consumption_and_acknowledgements_resume_it() {
    const RECORDS: usize = 40;
    const MAX: usize = 8;
    let limits = Limits {
        max_in_flight: MAX,
        pause_after: 5 * TICK,
        ..Limits::default()
    };
    let mut f = Fixture::start(limits);
    f.output_down();
    f.produce_input(0..RECORDS).await;
    f.until("a full window", |f| f.consumed() == MAX).await;

    // Full, with nothing acknowledged: nothing more is taken, and after `pause_after` (give or
    // take the housekeeping period, which notices the full window) consumption is paused.
    let mut paused_at = None;
    for tick in 1..=8 {
        let in_flight = f.tick().await;
        assert_eq!(
            in_flight, MAX,
            "records in flight at tick {tick} (the window holds {MAX})"
        );
        assert_eq!(
            f.consumed(),
            MAX,
            "records taken from the consumer by tick {tick}, with a full window"
        );
        if f.paused() {
            paused_at = Some(tick);
            break;
        }
    }
    let paused_at =
        paused_at.expect("consumption still not paused 8 ticks after the window was full");
    let full_for = TICK * paused_at;
    assert!(
        full_for >= limits.pause_after && full_for <= limits.pause_after + TICK,
        "consumption paused after {full_for:?} of a full window without acknowledgements; \
         pause_after is {:?}, checked every {TICK:?}",
        limits.pause_after
    );

    // Paused, it stays paused however long the output is away, and takes nothing more.
    for _ in 0..10 {
        f.tick().await;
    }
    assert!(
        f.paused(),
        "consumption resumed while the output was still down"
    );
    assert_eq!(
        f.consumed(),
        MAX,
        "records taken from the consumer while paused"
    );

    // The output is back: the window drains, consumption resumes by itself (no tick needed) and
    // every record goes out, in order.
    f.output_up();
    f.until("every record delivered", |f| f.produced() == RECORDS)
        .await;
    assert!(!f.paused(), "consumption is still reported paused");
    assert_eq!(
        f.output_ids(RECORDS).await,
        (0..RECORDS).collect::<Vec<_>>(),
        "ids of the output records"
    );
    f.stop().await.expect("a clean stop");
    assert_eq!(
        f.committed().await,
        Some(i64::try_from(RECORDS).expect("a small count")),
        "offset committed for the input partition after the stop"
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_window_that_keeps_moving_is_not_paused() {
    const RECORDS: usize = 120;
    const MAX: usize = 4;
    let limits = Limits {
        max_in_flight: MAX,
        pause_after: 5 * TICK / 2,
        ..Limits::default()
    };
    let mut f = Fixture::start(limits);
    // A slow output, so that the window is full most of the time.
    f.output()
        .broker_round_trip_time(BROKER, Duration::from_millis(20))
        .expect("a slow output broker");
    f.produce_input(0..RECORDS).await;

    // Each housekeeping period sees a full window and at least one acknowledgement: a fast
    // pipeline, not a stuck output.
    let (mut full_ticks, mut longest_run, mut run) = (0, 0, 0);
    while f.produced() < RECORDS {
        f.until("a full window, or the last records in flight", |f| {
            f.consumed().saturating_sub(f.produced()) == MAX || f.consumed() == RECORDS
        })
        .await;
        let acknowledged = f.produced();
        if f.tick().await == MAX {
            full_ticks += 1;
            run += 1;
            longest_run = longest_run.max(run);
        } else {
            run = 0;
        }
        assert!(
            !f.paused(),
            "paused after {full_ticks} ticks with a full window that kept moving \
             ({acknowledged} of {RECORDS} records acknowledged)"
        );
        f.until("an acknowledgement", |f| f.produced() > acknowledged)
            .await;
    }
    // The window stayed full, tick after tick, far longer than `pause_after`.
    assert!(
        TICK * longest_run >= 4 * limits.pause_after,
        "the window was full at {longest_run} consecutive ticks at most ({full_ticks} in all): \
         too few to show that a moving window is not paused"
    );
    f.stop().await.expect("a clean stop");
    assert_eq!(
        f.committed().await,
        Some(i64::try_from(RECORDS).expect("a small count")),
        "offset committed for the input partition after the stop"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_drains_the_window_and_commits_every_acknowledged_offset() {
    let mut f = Fixture::start(Limits::default());
    f.ten_acknowledged_then_fifteen_in_flight().await;

    // The stop comes while 15 records are in flight. The drain waits for them (its deadline is
    // on the paused clock, which stands still) and stores their offsets as they are
    // acknowledged, so that the final commit covers all 25.
    f.shutdown.cancel();
    f.until("the shutdown to begin", Fixture::shutting_down)
        .await;
    f.output_up();
    f.join().await.expect("a clean stop");
    assert_eq!(f.produced(), 25, "records acknowledged by the output");
    assert_eq!(
        f.committed().await,
        Some(25),
        "offset committed for the input partition after the drain"
    );
    assert_eq!(
        f.output_ids(25).await,
        (0..25).collect::<Vec<_>>(),
        "ids of the output records"
    );
}

#[tokio::test(start_paused = true)]
async fn a_drain_cut_short_by_the_grace_period_commits_only_what_was_acknowledged() {
    let limits = Limits::default();
    let mut f = Fixture::start(limits);
    f.ten_acknowledged_then_fifteen_in_flight().await;

    f.shutdown.cancel();
    f.until("the shutdown to begin", Fixture::shutting_down)
        .await;
    // The drain may take the grace period less the final commit's share (a fifth, at most 3 s).
    let drain = limits.shutdown_grace - limits.shutdown_grace / 5;
    tokio::time::advance(drain - TICK).await;
    let real_moment = Duration::from_millis(300);
    tokio::task::spawn_blocking(move || std::thread::sleep(real_moment))
        .await
        .expect("a blocking wait");
    assert!(
        !f.finished(),
        "the drain gave up before its deadline, with records still in flight"
    );
    tokio::time::advance(TICK).await;
    f.join().await.expect("a clean stop");

    // The 15 records in flight were never acknowledged: they will be consumed again.
    assert_eq!(f.produced(), 10, "records acknowledged by the output");
    assert_eq!(
        f.committed().await,
        Some(10),
        "offset committed for the input partition: the first record never acknowledged"
    );
}
