//! The consume → enrich → produce → store-offset loop: the only module that joins Kafka I/O to
//! the enrichment core.
//!
//! # Delivery semantics
//! At-least-once. Each consumed record is enriched and produced; its offset is stored only when
//! the broker has acknowledged it *and* every record consumed before it. Deliveries are kept in
//! a bounded, ordered window (`FuturesOrdered` yields in submission order), so storing the
//! offset of the record that completes is always safe. librdkafka commits stored offsets on an
//! interval; the context commits on partition revoke, and shutdown commits after draining. A
//! crash loses nothing: what was not committed is consumed again (duplicates are possible, and
//! are the price of never losing a record).
//!
//! # Backpressure
//! The window bounds the records in flight. When it has been full for `pause_after_ms` (the
//! output is slow or unreachable), the assigned partitions are paused, so that librdkafka stops
//! fetching; the few records already fetched are held in a stash bounded by the consumer queue
//! size. Consumption resumes by itself once the window has drained to half.

mod record;

pub use record::ERROR_HEADERS;

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::oneshot::Canceled;
use futures::stream::FuturesOrdered;
use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::OwnedMessage;
use rdkafka::producer::future_producer::OwnedDeliveryResult;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::admin::Health;
use crate::config::{InvalidPolicy, Partitioning};
use crate::enrich::{Enricher, Outcome};
use crate::event::InvalidRecord;
use crate::kafka::context::{Fatal, ServiceContext};
use crate::metrics::{Destination, EventCounters, Metrics, ProduceErrorKind, UnknownCodes};

use record::OutputRecord;

/// Why the pipeline stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A record could not be read and the policy is `fail`.
    #[error(
        "invalid record at {topic}/{partition}@{offset}: {error} (kafka.on_invalid = \"fail\")"
    )]
    Invalid {
        /// Source topic.
        topic: String,
        /// Source partition.
        partition: i32,
        /// Source offset.
        offset: i64,
        /// What is wrong.
        error: InvalidRecord,
    },
    /// A record could not be delivered (after the producer's own retries).
    #[error("delivery to {topic} failed for the record from {source_topic}/{partition}@{offset}")]
    Delivery {
        /// Destination topic.
        topic: String,
        /// Source topic.
        source_topic: String,
        /// Source partition.
        partition: i32,
        /// Source offset.
        offset: i64,
        /// The producer's error.
        #[source]
        error: Box<KafkaError>,
    },
    /// A fatal Kafka client error.
    #[error("{0}")]
    Fatal(String),
}

/// Settings the loop needs, copied out of the service settings.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Enriched records go here.
    pub output_topic: String,
    /// Invalid records go here under `InvalidPolicy::Dlq`.
    pub dlq_topic: String,
    /// Invalid-record policy.
    pub on_invalid: InvalidPolicy,
    /// Output partition choice.
    pub partitioning: Partitioning,
    /// In-flight window size.
    pub max_in_flight: usize,
    /// Pause consumption after the window has been full this long.
    pub pause_after: Duration,
    /// Not ready while the oldest in-flight record is older than this.
    pub readiness_stall: Duration,
    /// Time allowed for draining on shutdown.
    pub shutdown_grace: Duration,
    /// Copy records unchanged without enriching them (a benchmark ceiling).
    pub passthrough: bool,
}

/// What is remembered about a record while its delivery is pending.
#[derive(Debug)]
struct Pending {
    topic: Arc<str>,
    partition: i32,
    offset: i64,
    /// Input record timestamp (ms since the epoch), for end-to-end latency.
    timestamp_ms: Option<i64>,
    destination: Destination,
    destination_topic: Arc<str>,
}

/// A delivery outcome as the producer reports it (or `Canceled` if the producer went away).
type DeliveryResult = Result<OwnedDeliveryResult, Canceled>;

/// A pending delivery as the window holds it.
type Tracked = Pin<Box<dyn Future<Output = (Pending, DeliveryResult)> + Send>>;

/// The in-flight deliveries, in consumption order, with their send times (oldest first).
///
/// `FuturesOrdered` yields results in the order records were sent, whatever order the broker
/// acknowledges them in: that is what makes storing each completed record's offset safe.
struct Window {
    deliveries: FuturesOrdered<Tracked>,
    sent: VecDeque<Instant>,
}

impl Window {
    fn new() -> Self {
        Self {
            deliveries: FuturesOrdered::new(),
            sent: VecDeque::new(),
        }
    }

    fn len(&self) -> usize {
        self.deliveries.len()
    }

    fn push(&mut self, pending: Pending, delivery: DeliveryFuture) {
        self.sent.push_back(Instant::now());
        self.deliveries
            .push_back(Box::pin(async move { (pending, delivery.await) }));
    }

    /// The next completed delivery, in order; `None` when nothing is in flight.
    async fn next(&mut self) -> Option<(Pending, DeliveryResult)> {
        let done = self.deliveries.next().await;
        if done.is_some() {
            self.sent.pop_front();
        }
        done
    }

    fn oldest(&self) -> Option<Instant> {
        self.sent.front().copied()
    }
}

/// The loop's mutable state, apart from the Kafka clients.
struct State {
    enricher: Arc<Enricher>,
    counters: EventCounters,
    unknown: UnknownCodes,
    out: Vec<u8>,
    /// Topic names are shared, not copied per record.
    topics: Vec<Arc<str>>,
}

impl State {
    fn topic(&mut self, name: &str) -> Arc<str> {
        if let Some(t) = self.topics.iter().find(|t| &***t == name) {
            return Arc::clone(t);
        }
        let t: Arc<str> = name.into();
        self.topics.push(Arc::clone(&t));
        t
    }
}

/// Shared handles the pipeline reports into.
#[derive(Debug, Clone)]
pub struct Handles {
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Readiness.
    pub health: Arc<Health>,
    /// Fatal conditions raised by the Kafka clients.
    pub fatal: Arc<Fatal>,
}

/// The Kafka clients: only ever borrowed shared, so that a consumed message (which borrows the
/// consumer) can be processed while the loop state is borrowed mutably.
struct Clients {
    consumer: StreamConsumer<ServiceContext>,
    producer: FutureProducer<ServiceContext>,
}

/// Everything of the loop except the clients.
struct Core {
    opts: PipelineOptions,
    handles: Handles,
    reloads: mpsc::Receiver<Arc<Enricher>>,
    state: State,
}

/// The running pipeline.
pub struct Pipeline {
    clients: Clients,
    core: Core,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("opts", &self.core.opts)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// Assembles a pipeline from a subscribed consumer and a producer.
    #[must_use]
    pub fn new(
        consumer: StreamConsumer<ServiceContext>,
        producer: FutureProducer<ServiceContext>,
        opts: PipelineOptions,
        enricher: Arc<Enricher>,
        handles: Handles,
        reloads: mpsc::Receiver<Arc<Enricher>>,
    ) -> Self {
        let counters = EventCounters::new(
            &handles.metrics,
            Arc::clone(enricher.catalog()),
            enricher.options().unknown_severity,
        );
        Self {
            clients: Clients { consumer, producer },
            core: Core {
                opts,
                handles,
                reloads,
                state: State {
                    enricher,
                    counters,
                    unknown: UnknownCodes::default(),
                    out: Vec::with_capacity(64 * 1024),
                    topics: Vec::new(),
                },
            },
        }
    }

    /// Runs until `shutdown` is cancelled (then drains, flushes and commits) or a fatal error.
    ///
    /// # Errors
    /// A fatal condition: delivery failed past its timeout, an invalid record under the `fail`
    /// policy, or a fatal client error.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), PipelineError> {
        let Pipeline { clients, mut core } = self;
        let mut window = Window::new();
        let mut stash: VecDeque<OwnedMessage> = VecDeque::new();
        let mut full_since: Option<Instant> = None;
        let mut paused = false;
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let max = core.opts.max_in_flight;

        let result: Result<(), PipelineError> = 'run: loop {
            // Records held back while paused go first, in order.
            while window.len() < max {
                let Some(msg) = stash.pop_front() else { break };
                if let Err(e) = core.process(&clients, &msg, &mut window).await {
                    break 'run Err(e);
                }
            }
            if paused && stash.is_empty() && window.len() <= max / 2 {
                core.set_paused(&clients, false);
                paused = false;
            }
            let can_take = window.len() < max && stash.is_empty();
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break Ok(()),
                Some((pending, delivered)) = window.next(), if window.len() > 0 => {
                    if let Err(e) = core.settle(&clients, &pending, delivered) {
                        break Err(e);
                    }
                }
                msg = clients.consumer.recv(), if can_take || paused => {
                    match msg {
                        Ok(m) if can_take => {
                            if let Err(e) = core.process(&clients, &m, &mut window).await {
                                break Err(e);
                            }
                        }
                        Ok(m) => stash.push_back(m.detach()),
                        Err(e) if crate::kafka::is_fatal(&e) => {
                            break Err(PipelineError::Fatal(e.to_string()));
                        }
                        Err(e) => tracing::warn!(error = %e, "consumer error; retrying"),
                    }
                }
                Some(enricher) = core.reloads.recv() => core.swap(enricher),
                _ = tick.tick() => core.housekeeping(&clients, &window, &mut full_since, &mut paused),
            }
        };
        let result = match (result, core.handles.fatal.reason()) {
            (Ok(()), Some(reason)) => Err(PipelineError::Fatal(reason)),
            (r, _) => r,
        };
        if let Err(e) = &result {
            core.handles.health.set_fatal(e.to_string());
        }
        core.finish(&clients, window, result.is_ok()).await;
        result
    }
}

impl Core {
    /// Enriches one record and hands it to the producer.
    async fn process<M: Message>(
        &mut self,
        clients: &Clients,
        msg: &M,
        window: &mut Window,
    ) -> Result<(), PipelineError> {
        let metrics = Arc::clone(&self.handles.metrics);
        metrics.record_consumed();
        let payload = msg.payload().unwrap_or_default();
        if self.opts.passthrough {
            let topic = self.state.topic(&self.opts.output_topic);
            let record = OutputRecord::enriched(msg, &topic);
            return self.send(clients, msg, &record, payload, window).await;
        }
        let started = Instant::now();
        self.state.out.clear();
        let outcome = self.state.enricher.enrich(payload, &mut self.state.out);
        metrics.observe_processing(started.elapsed());
        let (record, raw) = match outcome {
            Outcome::Invalid(error) => {
                metrics.record_invalid(error.reason);
                let (topic, destination) = match self.opts.on_invalid {
                    InvalidPolicy::Fail => {
                        return Err(PipelineError::Invalid {
                            topic: msg.topic().to_owned(),
                            partition: msg.partition(),
                            offset: msg.offset(),
                            error,
                        });
                    }
                    InvalidPolicy::Dlq => {
                        metrics.record_dead_lettered(error.reason);
                        (self.state.topic(&self.opts.dlq_topic), Destination::Dlq)
                    }
                    InvalidPolicy::Pass => (
                        self.state.topic(&self.opts.output_topic),
                        Destination::Output,
                    ),
                };
                tracing::debug!(topic = msg.topic(), partition = msg.partition(), offset = msg.offset(), %error, "invalid record");
                (
                    OutputRecord::dead_letter(msg, &error, &topic, destination),
                    true,
                )
            }
            outcome => {
                if let Outcome::Unknown { code, source, .. } = &outcome
                    && self.state.unknown.observe(code)
                {
                    tracing::warn!(code = %code, field = %source, "unknown status code (logged once per code)");
                    metrics.unknown_code_seen_count(self.state.unknown.distinct());
                }
                self.state.counters.count(&outcome);
                let topic = self.state.topic(&self.opts.output_topic);
                (OutputRecord::enriched(msg, &topic), false)
            }
        };
        let body = if raw {
            payload.to_vec()
        } else {
            std::mem::take(&mut self.state.out)
        };
        let result = self.send(clients, msg, &record, &body, window).await;
        if !raw {
            // Give the buffer back so the next record reuses its capacity.
            self.state.out = body;
        }
        result
    }

    async fn send<M: Message>(
        &mut self,
        clients: &Clients,
        msg: &M,
        record: &OutputRecord,
        body: &[u8],
        window: &mut Window,
    ) -> Result<(), PipelineError> {
        let partition = match self.opts.partitioning {
            Partitioning::Key => None,
            Partitioning::Source => Some(msg.partition()),
        };
        loop {
            let mut fr = FutureRecord::to(&record.topic)
                .payload(body)
                .headers(record.headers.clone());
            if let Some(k) = msg.key() {
                fr = fr.key(k);
            }
            if let Some(ts) = msg.timestamp().to_millis() {
                fr = fr.timestamp(ts);
            }
            if let Some(p) = partition {
                fr = fr.partition(p);
            }
            match clients.producer.send_result(fr) {
                Ok(delivery) => {
                    let pending = Pending {
                        topic: self.state.topic(msg.topic()),
                        partition: msg.partition(),
                        offset: msg.offset(),
                        timestamp_ms: msg.timestamp().to_millis(),
                        destination: record.destination,
                        destination_topic: Arc::clone(&record.topic),
                    };
                    window.push(pending, delivery);
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    self.handles
                        .metrics
                        .produce_error(ProduceErrorKind::QueueFull);
                    // Make room: wait for the oldest delivery, or a moment when nothing of
                    // ours is in flight.
                    match window.next().await {
                        Some((pending, delivered)) => self.settle(clients, &pending, delivered)?,
                        None => tokio::time::sleep(Duration::from_millis(10)).await,
                    }
                }
                Err((error, _)) => {
                    self.handles.metrics.produce_error(ProduceErrorKind::Other);
                    return Err(PipelineError::Delivery {
                        topic: record.topic.to_string(),
                        source_topic: msg.topic().to_owned(),
                        partition: msg.partition(),
                        offset: msg.offset(),
                        error: Box::new(error),
                    });
                }
            }
        }
    }

    /// A delivery completed. On success the source offset is stored: every record consumed
    /// before it has completed too. On failure the service stops without storing it.
    fn settle(
        &mut self,
        clients: &Clients,
        pending: &Pending,
        delivered: DeliveryResult,
    ) -> Result<(), PipelineError> {
        let metrics = &self.handles.metrics;
        match delivered {
            Ok(Ok(_)) => {
                self.handles.health.set_producer_ok(true);
                metrics.record_produced(pending.destination);
                if let Some(ts) = pending.timestamp_ms {
                    let now_ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                    if let Ok(ms) = u64::try_from(now_ms.saturating_sub(ts)) {
                        metrics.observe_end_to_end(Duration::from_millis(ms));
                    }
                }
                if let Err(e) =
                    clients
                        .consumer
                        .store_offset(&pending.topic, pending.partition, pending.offset)
                {
                    // The partition was revoked meanwhile: its new owner consumes the record
                    // again from the last commit.
                    tracing::debug!(error = %e, topic = %pending.topic, partition = pending.partition, offset = pending.offset, "offset not stored");
                }
                Ok(())
            }
            Ok(Err((error, _))) => {
                let kind = if matches!(
                    error,
                    KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut)
                ) {
                    ProduceErrorKind::Timeout
                } else {
                    ProduceErrorKind::Broker
                };
                metrics.produce_error(kind);
                Err(PipelineError::Delivery {
                    topic: pending.destination_topic.to_string(),
                    source_topic: pending.topic.to_string(),
                    partition: pending.partition,
                    offset: pending.offset,
                    error: Box::new(error),
                })
            }
            Err(Canceled) => Err(PipelineError::Fatal(
                "the producer went away before acknowledging a record".into(),
            )),
        }
    }

    fn swap(&mut self, enricher: Arc<Enricher>) {
        tracing::info!(
            version = enricher.catalog().version(),
            "enriching with the new catalog"
        );
        self.state.counters = EventCounters::new(
            &self.handles.metrics,
            Arc::clone(enricher.catalog()),
            enricher.options().unknown_severity,
        );
        self.state.enricher = enricher;
    }

    fn housekeeping(
        &self,
        clients: &Clients,
        window: &Window,
        full_since: &mut Option<Instant>,
        paused: &mut bool,
    ) {
        let now = Instant::now();
        self.handles.metrics.set_in_flight(window.len());
        if window.len() >= self.opts.max_in_flight {
            let since = *full_since.get_or_insert(now);
            if !*paused && now.duration_since(since) >= self.opts.pause_after {
                self.set_paused(clients, true);
                *paused = true;
            }
        } else {
            *full_since = None;
        }
        // Stalled: a record has waited for its acknowledgement too long (broker unreachable).
        let stalled = window
            .oldest()
            .is_some_and(|t| now.duration_since(t) >= self.opts.readiness_stall);
        self.handles.health.set_stalled(stalled);
    }

    fn set_paused(&self, clients: &Clients, pause: bool) {
        let Ok(assignment) = clients.consumer.assignment() else {
            return;
        };
        let result = if pause {
            clients.consumer.pause(&assignment)
        } else {
            clients.consumer.resume(&assignment)
        };
        match result {
            Ok(()) => {
                self.handles.metrics.set_paused(pause);
                if pause {
                    tracing::warn!(
                        in_flight = self.opts.max_in_flight,
                        "output is not keeping up; consumption paused"
                    );
                } else {
                    tracing::info!("consumption resumed");
                }
            }
            Err(e) => tracing::warn!(error = %e, pause, "pause/resume failed"),
        }
    }

    /// Shutdown: stop consuming, drain the window (storing offsets), flush, commit; all within
    /// the grace period.
    async fn finish(&mut self, clients: &Clients, mut window: Window, clean: bool) {
        self.handles.health.set_shutting_down();
        let grace = self.opts.shutdown_grace;
        let deadline = Instant::now() + grace;
        tracing::info!(
            in_flight = window.len(),
            grace_secs = grace.as_secs(),
            "draining"
        );
        let drained = tokio::time::timeout(grace, async {
            while let Some((pending, delivered)) = window.next().await {
                if let Err(e) = self.settle(clients, &pending, delivered) {
                    tracing::warn!(error = %e, "delivery failed while draining; the record will be consumed again");
                    return false;
                }
            }
            true
        })
        .await
        .unwrap_or(false);
        if !drained {
            tracing::warn!(
                left = window.len(),
                "not every record was acknowledged in the grace period; unacknowledged records will be consumed again"
            );
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if let Err(e) = clients.producer.flush(left.max(Duration::from_millis(100))) {
            tracing::warn!(error = %e, "producer flush incomplete");
        }
        match clients.consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {
                self.handles.metrics.commit(true);
                tracing::info!(clean, "offsets committed");
            }
            Err(e) => {
                self.handles.metrics.commit(false);
                tracing::warn!(error = %e, "final commit failed; the last records may be consumed again");
            }
        }
        clients.consumer.unsubscribe();
    }
}
