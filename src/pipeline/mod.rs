//! The consume → enrich → produce → store-offset loop: the only module that joins Kafka I/O to
//! the enrichment core.
//!
//! # Delivery semantics
//! At-least-once. Each consumed record is enriched and produced; its offset is stored only when
//! the broker has acknowledged it *and* every record consumed before it. Deliveries are kept in
//! a bounded window in consumption order and settled only from its oldest end, so storing the
//! offset of the record that completes is always safe. librdkafka commits stored offsets on an
//! interval; the context commits on partition revoke, and shutdown commits after draining. A
//! crash loses nothing: what was not committed is consumed again (duplicates are possible, and
//! are the price of never losing a record). A record the broker refuses as too large takes no
//! offset with it: its place at the front of the window goes to a dead letter without the value,
//! whose acknowledgement stores the offset.
//!
//! # Backpressure
//! The window bounds the records in flight. When it has been full with nothing acknowledged for
//! `pause_after_ms` (the output is unreachable or far slower than the input), the assigned
//! partitions are paused, so that librdkafka stops fetching; the few records already fetched are
//! held in a stash bounded by the consumer queue size. Consumption resumes by itself once the
//! window has drained to half. A window that is full but moving is not paused: while it is
//! full, nothing more is taken from the consumer, whose prefetch is bounded anyway, and a pause
//! would throw away that prefetch.
//!
//! The loop's timers and timestamps are tokio's (`tokio::time::Instant`): the system's monotonic
//! clock in a running service, and one that tests can pause and advance.
//!
//! # Batching
//! Records that are already fetched are processed in batches of up to 256 (`BATCH`) per
//! wake-up, and acknowledgements that have already arrived are settled in one go, so that the
//! per-record cost is the enrichment and the hand-over to the producer, not the event loop.
//!
//! # Benchmark set-ups
//! Built with the `bench-passthrough` feature, the loop can instead copy records unchanged or
//! splice in a pre-built enrichment (`run --passthrough[=splice]`, for `scripts/bench_kafka.py`).
//! Without it none of that is compiled, and every record takes the one path above.

mod backpressure;
mod drain;
#[cfg(feature = "bench-passthrough")]
mod passthrough;
mod process;
mod record;
#[cfg(test)]
mod tests;
mod types;
mod window;

#[cfg(feature = "bench-passthrough")]
pub use passthrough::Passthrough;
pub use record::ERROR_HEADERS;
pub use types::{PipelineError, PipelineOptions};

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures::channel::oneshot::Canceled;
use futures::{FutureExt, StreamExt};
use rdkafka::consumer::StreamConsumer;
use rdkafka::error::KafkaError;
use rdkafka::message::OwnedMessage;
use rdkafka::producer::FutureProducer;
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::admin::Health;
use crate::enrich::Enricher;
use crate::kafka::InvalidPolicy;
use crate::kafka::context::{Fatal, ServiceContext};
use crate::metrics::{EventCounters, Metrics, ProduceErrorKind, UnknownCodes};

#[cfg(feature = "bench-passthrough")]
use passthrough::SpliceTable;
use window::{DeliveryResult, Offsets, Pending, Window};

/// The loop's mutable state, apart from the Kafka clients.
struct State {
    enricher: Arc<Enricher>,
    counters: EventCounters,
    unknown: UnknownCodes,
    out: Vec<u8>,
    /// The benchmark's splice set-up only.
    #[cfg(feature = "bench-passthrough")]
    splice: Option<SpliceTable>,
    /// Topic names are shared, not copied per record.
    topics: Vec<Arc<str>>,
    /// When deliveries were last settled (progress, for the pause decision).
    last_ack: Instant,
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
pub(crate) struct Handles {
    /// Metrics.
    pub(crate) metrics: Arc<Metrics>,
    /// Readiness.
    pub(crate) health: Arc<Health>,
    /// Fatal conditions raised by the Kafka clients.
    pub(crate) fatal: Arc<Fatal>,
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
pub(crate) struct Pipeline {
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
    pub(crate) fn new(
        consumer: StreamConsumer<ServiceContext>,
        producer: FutureProducer<ServiceContext>,
        opts: PipelineOptions,
        enricher: Arc<Enricher>,
        handles: Handles,
        reloads: mpsc::Receiver<Arc<Enricher>>,
    ) -> Self {
        #[cfg(feature = "bench-passthrough")]
        let splice = (opts.passthrough == Passthrough::Splice).then(|| SpliceTable::new(&enricher));
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
                    #[cfg(feature = "bench-passthrough")]
                    splice,
                    topics: Vec::new(),
                    last_ack: Instant::now(),
                },
            },
        }
    }

    /// Runs until `shutdown` is cancelled (then drains, flushes and commits) or a fatal error.
    ///
    /// # Errors
    /// A fatal condition: delivery failed past its timeout, an invalid record under the `fail`
    /// policy, or a fatal client error.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), PipelineError> {
        let Pipeline { clients, mut core } = self;
        let mut window = Window::new();
        let mut stash: VecDeque<OwnedMessage> = VecDeque::new();
        let mut full_since: Option<Instant> = None;
        let mut paused = false;
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let max = core.opts.max_in_flight;
        // One stream and one cancellation future for the whole run: creating them per record
        // costs a lock each.
        let mut stream = clients.consumer.stream();
        let cancelled = shutdown.cancelled();
        tokio::pin!(cancelled);

        let result: Result<(), PipelineError> = 'run: loop {
            // Records held back while paused go first, in order.
            if !stash.is_empty() {
                let now = Instant::now();
                while window.len() < max {
                    let Some(msg) = stash.pop_front() else { break };
                    if let Err(e) = core.process(&clients, &msg, &mut window, now).await {
                        break 'run Err(e);
                    }
                }
            }
            if paused && stash.is_empty() && window.len() <= max / 2 {
                core.set_paused(&clients, false);
                paused = false;
            }
            let can_take = window.len() < max && stash.is_empty();
            tokio::select! {
                biased;
                () = &mut cancelled => break Ok(()),
                Some(done) = window.next(), if window.len() > 0 => {
                    if let Err(e) = core.settle_ready(&clients, &mut window, done) {
                        break Err(e);
                    }
                }
                msg = stream.next(), if can_take || paused => {
                    // This record and whatever else is already fetched (up to BATCH), without
                    // going back to the event loop.
                    let now = Instant::now();
                    let mut next = msg;
                    let mut taken = 0;
                    loop {
                        let m = match next {
                            Some(Ok(m)) => m,
                            Some(Err(e)) => match consumer_error(&e) {
                                Some(fatal) => break 'run Err(fatal),
                                None => break,
                            },
                            None => break,
                        };
                        if !can_take {
                            stash.push_back(m.detach());
                            break;
                        }
                        if let Err(e) = core.process(&clients, &m, &mut window, now).await {
                            break 'run Err(e);
                        }
                        taken += 1;
                        // Take another only to process it: a record taken from the stream and
                        // dropped would be skipped.
                        if taken == BATCH || window.len() >= max {
                            break;
                        }
                        let Some(more) = stream.next().now_or_never() else { break };
                        next = more;
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

/// Records processed per wake-up at most, when they are already fetched.
const BATCH: usize = 256;

/// A consumer error: fatal ones stop the service; others are logged (librdkafka retries).
fn consumer_error(e: &KafkaError) -> Option<PipelineError> {
    if crate::kafka::is_fatal(e) {
        return Some(PipelineError::Fatal(e.to_string()));
    }
    tracing::warn!(error = %e, "consumer error; retrying");
    None
}

/// Wall-clock milliseconds since the epoch, for end-to-end latency.
fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Core {
    /// Settles `first` and every later delivery whose outcome is already known.
    fn settle_ready(
        &mut self,
        clients: &Clients,
        window: &mut Window,
        first: (Pending, DeliveryResult),
    ) -> Result<(), PipelineError> {
        let now_ms = wall_clock_ms();
        let mut offsets = Offsets::default();
        let mut result = self.settle(clients, window, first, now_ms, &mut offsets);
        while result.is_ok()
            && let Some(done) = window.try_next()
        {
            result = self.settle(clients, window, done, now_ms, &mut offsets);
        }
        // Whatever was acknowledged before a failure is stored all the same.
        offsets.store(&clients.consumer);
        result?;
        self.state.last_ack = Instant::now();
        self.handles.health.set_producer_ok(true);
        Ok(())
    }

    /// Settles one delivery and stores its offset at once (the rare paths: a full producer
    /// queue, the shutdown drain).
    fn settle_one(
        &mut self,
        clients: &Clients,
        window: &mut Window,
        done: (Pending, DeliveryResult),
    ) -> Result<(), PipelineError> {
        let mut offsets = Offsets::default();
        let result = self.settle(clients, window, done, wall_clock_ms(), &mut offsets);
        offsets.store(&clients.consumer);
        if result.is_ok() {
            self.state.last_ack = Instant::now();
        }
        result
    }

    /// A delivery completed. On success the source offset is noted in `offsets`, to be stored:
    /// every record consumed before it has completed too. A record the broker refused as too
    /// large is replaced, at the front of `window`, by a dead letter without its value (unless
    /// `kafka.on_invalid = "fail"`, or it was such a replacement already). On other failures the
    /// service stops without storing the offset. `now_ms` is the wall clock for the end-to-end
    /// latency.
    fn settle(
        &mut self,
        clients: &Clients,
        window: &mut Window,
        (pending, delivered): (Pending, DeliveryResult),
        now_ms: i64,
        offsets: &mut Offsets,
    ) -> Result<(), PipelineError> {
        if let Ok(Err((error, refused))) = &delivered
            && process::too_large(error)
            && !pending.replacement
            && self.opts.on_invalid != InvalidPolicy::Fail
        {
            // Counted as an invalid record (too_large) by the replacement, not as a failure.
            return self.replace_refused(clients, window, pending, refused);
        }
        let metrics = &self.handles.metrics;
        match delivered {
            Ok(Ok(_)) => {
                metrics.record_produced(pending.destination);
                if let Some(ts) = pending.timestamp_ms
                    && let Ok(ms) = u64::try_from(now_ms.saturating_sub(ts))
                {
                    metrics.observe_end_to_end(Duration::from_millis(ms));
                }
                offsets.note(&pending);
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
        #[cfg(feature = "bench-passthrough")]
        if self.state.splice.is_some() {
            self.state.splice = Some(SpliceTable::new(&enricher));
        }
        self.state.enricher = enricher;
    }
}
