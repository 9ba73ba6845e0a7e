//! The LSS log receiver: the TCP (optionally mutual TLS) server App Connectors stream to, one
//! record per line, and the producer that writes each record to Kafka. Beside `pipeline`, it is
//! the other module that joins I/O to the core: with enrichment on, each record also goes
//! through [`Enricher::enrich`] to the output topic or the dead-letter topic, as `run` would
//! send it.
//!
//! # Parts
//! - `listener`: accepting, and the connection limits (per listener and in total);
//! - `tls`: server configurations from certificate files, their reload, handshake failures,
//!   the client certificate's subject;
//! - `connection`: one connection's life: handshake, reads, idle timeout, drain;
//! - `framing`: newline framing with a maximum line length, without I/O;
//! - `line`: one line into one record, the single step that knows the line formats;
//! - `record`: what each line becomes: the raw record, its enrichment, its dead letters;
//! - `flight`: the in-flight bound, and the pauses it makes;
//! - `produce`: the producer, acknowledgements, re-producing failed deliveries.
//!
//! # Backpressure
//! At most `max_in_flight` records are handed to the producer and not yet acknowledged, over
//! all listeners. A connection that needs a permit when none is left stops reading its socket
//! until acknowledgements return some: the kernel's buffers fill and TCP pushes back to the App
//! Connector. Memory stays bounded by the permits, the connections' read buffers and
//! librdkafka's queue, whatever the input rate or the state of Kafka.
//!
//! # Shutdown
//! When the shutdown token is cancelled the listeners close (new connections are refused by the
//! kernel), and each open connection reads on until nothing has arrived for a short while, the
//! peer closes, or two thirds of the working part of the grace period have passed; its partial
//! last line is dead-lettered. Then the receiver waits for every acknowledgement and flushes the
//! producer, within the grace period.
//!
//! # What a crash loses
//! Records read but not yet acknowledged by Kafka (at most `max_in_flight`, plus what the
//! connections had read and not yet handed over). LSS re-sends only some of what it believes
//! was not received.
//!
//! This module must not parse records itself (that is `line`'s one function, and the core's)
//! nor hold more than its bounds: every buffer has a size set by the options.

mod connection;
mod flight;
mod framing;
mod line;
mod listener;
mod produce;
mod record;
mod tls;

pub use produce::{DEAD_LETTER_HEADERS, RECEIVE_HEADERS};
pub use tls::{TlsError, TlsOptions};

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer as _;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::admin::Health;
use crate::enrich::Enricher;
use crate::event::{LineReader, LogType};
use crate::kafka::context::{Fatal, ServiceContext};
use crate::kafka::{InvalidPolicy, OutputTimestamp};
use crate::metrics::{Metrics, ReceiveMetrics};

use flight::Flight;
use listener::ListenerState;
use produce::{Sink, Topics};
use record::EnrichStep;
use tls::TlsSlot;

/// Settings of the receiver, copied out of the service settings.
#[derive(Debug, Clone)]
pub struct ReceiverOptions {
    /// The listeners; their names are unique.
    pub listeners: Vec<ListenerOptions>,
    /// Where every record goes (`receive.topic`).
    pub raw_topic: String,
    /// With enrichment: where enriched records go (`kafka.output_topic`).
    pub output_topic: String,
    /// Dead letters: lines that are not records, and records that cannot be enriched
    /// (`kafka.dlq_topic`).
    pub dlq_topic: String,
    /// Also enrich each record to the output topic.
    pub enrich: bool,
    /// With enrichment: where a record that cannot be enriched goes (`pass`: the output topic;
    /// otherwise the dead-letter topic).
    pub on_invalid: InvalidPolicy,
    /// With enrichment: the timestamp of enriched records (`source`: when it was received).
    pub output_timestamp: OutputTimestamp,
    /// Lines longer than this are cut and dead-lettered.
    pub max_line_bytes: usize,
    /// How much of an over-long line its dead letter keeps.
    pub dead_letter_prefix_bytes: usize,
    /// Open connections of all listeners together, at most.
    pub max_connections: usize,
    /// A connection silent this long is closed; `None`: never.
    pub idle_timeout: Option<Duration>,
    /// A TLS handshake must finish within this.
    pub tls_handshake_timeout: Duration,
    /// Bytes read from a connection at a time (its buffer, unless a line is longer).
    pub read_buffer_bytes: usize,
    /// Records handed to the producer and not yet acknowledged, all listeners together.
    pub max_in_flight: usize,
    /// How often certificate files are checked for a change; `None`: only on SIGHUP.
    pub tls_reload_interval: Option<Duration>,
    /// Time for the shutdown: reading what peers sent, producing, flushing.
    pub shutdown_grace: Duration,
    /// Not ready while records in flight have had no acknowledgement for this long.
    pub readiness_stall: Duration,
}

/// One listener.
#[derive(Debug, Clone)]
pub struct ListenerOptions {
    /// Its name: a metric label and a header value.
    pub name: String,
    /// `host:port` to listen on (port 0: any free port).
    pub addr: String,
    /// How its lines are read.
    pub reader: LineReader,
    /// The log type of its records when it is configured (dead letters name it); `None`:
    /// detected per record.
    pub log_type: Option<LogType>,
    /// TLS certificate files; `None`: plain TCP.
    pub tls: Option<TlsOptions>,
    /// Its open connections, at most.
    pub max_connections: usize,
}

/// Why the receiver cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    /// A listener's address cannot be bound.
    #[error("cannot listen on {addr:?} for listener {listener:?}")]
    Bind {
        /// The listener.
        listener: String,
        /// Its address.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A listener's certificate files cannot be used.
    #[error("listener {listener:?}")]
    Tls {
        /// The listener.
        listener: String,
        /// Why.
        #[source]
        source: Box<TlsError>,
    },
    /// The producer cannot be created.
    #[error("cannot create the Kafka producer")]
    Producer(#[source] KafkaError),
}

/// The shared handles the receiver reports into.
#[derive(Debug, Clone)]
pub(crate) struct Handles {
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) receive: ReceiveMetrics,
    pub(crate) health: Arc<Health>,
    pub(crate) fatal: Arc<Fatal>,
}

/// Listeners bound and certificates loaded, not yet accepting.
#[derive(Debug)]
pub(crate) struct Bound {
    listeners: Vec<(TcpListener, Arc<ListenerState>)>,
    slots: Vec<Arc<TlsSlot>>,
}

impl Bound {
    /// Loads every listener's certificates and binds its address.
    ///
    /// # Errors
    /// Certificate files that cannot be used, or an address that cannot be bound.
    pub(crate) async fn new(
        opts: &ReceiverOptions,
        receive: &ReceiveMetrics,
    ) -> Result<Self, ReceiverError> {
        let mut listeners = Vec::new();
        let mut slots = Vec::new();
        for l in &opts.listeners {
            let slot = match &l.tls {
                None => None,
                Some(files) => {
                    let slot = TlsSlot::load(&l.name, files.clone()).map_err(|source| {
                        ReceiverError::Tls {
                            listener: l.name.clone(),
                            source: Box::new(source),
                        }
                    })?;
                    Some(Arc::new(slot))
                }
            };
            let socket =
                TcpListener::bind(&l.addr)
                    .await
                    .map_err(|source| ReceiverError::Bind {
                        listener: l.name.clone(),
                        addr: l.addr.clone(),
                        source,
                    })?;
            let addr = socket.local_addr().map_err(|source| ReceiverError::Bind {
                listener: l.name.clone(),
                addr: l.addr.clone(),
                source,
            })?;
            match (&l.tls, &slot) {
                (Some(files), Some(_)) => tracing::info!(
                    listener = %l.name,
                    %addr,
                    cert = %files.cert.display(),
                    client_certificates = if files.client_ca.is_some() { "required" } else { "not asked for" },
                    "listening with TLS"
                ),
                _ => tracing::warn!(
                    listener = %l.name,
                    %addr,
                    "listening on plain TCP: records arrive unencrypted and unauthenticated \
                     (set tls_cert, tls_key and client_ca for mutual TLS)"
                ),
            }
            if let Some(slot) = &slot {
                slots.push(Arc::clone(slot));
            }
            let state = ListenerState::new(l, slot, addr, receive.listener(&l.name));
            listeners.push((socket, Arc::new(state)));
        }
        Ok(Self { listeners, slots })
    }

    /// The listeners' names and the addresses they are bound to.
    pub(crate) fn addrs(&self) -> Vec<(String, SocketAddr)> {
        self.listeners
            .iter()
            .map(|(_, l)| (l.name.clone(), l.addr))
            .collect()
    }
}

/// What every connection shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) sink: Arc<Sink>,
    pub(crate) enrich: Option<EnrichStep>,
    pub(crate) max_line_bytes: usize,
    pub(crate) prefix_bytes: usize,
    pub(crate) read_buffer_bytes: usize,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) handshake_timeout: Duration,
    /// Open connections of all listeners.
    pub(crate) open: AtomicUsize,
    pub(crate) max_connections: usize,
    /// How long connections read on once the shutdown starts, at the most.
    pub(crate) drain_read: Duration,
    pub(crate) metrics: Arc<Metrics>,
}

/// How long a connection waits for more bytes during the shutdown before it takes it that the
/// peer has sent everything.
const DRAIN_QUIET: Duration = Duration::from_millis(500);

/// The running receiver.
#[derive(Debug)]
pub(crate) struct Receiver {
    bound: Bound,
    shared: Arc<Shared>,
    retries: mpsc::UnboundedReceiver<produce::Retry>,
    opts: ReceiverOptions,
    handles: Handles,
}

impl Receiver {
    /// Creates the producer from `producer_config` (reporting into `context`) and assembles the
    /// receiver; `enricher` is the enrichment when `opts.enrich` is on.
    ///
    /// # Errors
    /// librdkafka refuses the producer configuration.
    pub(crate) fn new(
        opts: ReceiverOptions,
        bound: Bound,
        producer_config: &ClientConfig,
        context: ServiceContext,
        enricher: Option<Arc<Enricher>>,
        handles: Handles,
    ) -> Result<Self, ReceiverError> {
        let flight = Arc::new(Flight::new(
            opts.max_in_flight,
            Arc::clone(&handles.metrics),
            handles.receive.clone(),
            Arc::clone(&handles.health),
        ));
        let (producer, retries) = produce::producer(
            producer_config,
            context,
            Arc::clone(&flight),
            Arc::clone(&handles.fatal),
        )
        .map_err(ReceiverError::Producer)?;
        let sink = Arc::new(Sink {
            producer,
            flight,
            topics: Topics {
                raw: opts.raw_topic.clone(),
                output: opts.output_topic.clone(),
                dlq: opts.dlq_topic.clone(),
            },
            prefix_bytes: opts.dead_letter_prefix_bytes,
        });
        let enrich = enricher
            .filter(|_| opts.enrich)
            .map(|e| EnrichStep::new(e, opts.on_invalid, opts.output_timestamp));
        let shared = Arc::new(Shared {
            sink,
            enrich,
            max_line_bytes: opts.max_line_bytes,
            prefix_bytes: opts.dead_letter_prefix_bytes,
            read_buffer_bytes: opts.read_buffer_bytes,
            idle_timeout: opts.idle_timeout,
            handshake_timeout: opts.tls_handshake_timeout,
            open: AtomicUsize::new(0),
            max_connections: opts.max_connections,
            drain_read: drain_budget(opts.shutdown_grace) * 2 / 3,
            metrics: Arc::clone(&handles.metrics),
        });
        Ok(Self {
            bound,
            shared,
            retries,
            opts,
            handles,
        })
    }

    /// The listeners' names and bound addresses.
    pub(crate) fn addrs(&self) -> Vec<(String, SocketAddr)> {
        self.bound.addrs()
    }

    /// Accepts and reads until `shutdown` is cancelled, then drains (see the module
    /// documentation). `hup` carries SIGHUP (certificate reload); `reloads` new enrichers.
    pub(crate) async fn run(
        self,
        shutdown: CancellationToken,
        hup: mpsc::Receiver<()>,
        mut reloads: mpsc::Receiver<Arc<Enricher>>,
    ) {
        let Receiver {
            bound,
            shared,
            retries,
            opts,
            handles,
        } = self;
        let retry_task = tokio::spawn(produce::retry(Arc::clone(&shared.sink), retries));
        let watch = tokio::spawn(tls::watch(
            bound.slots.clone(),
            opts.tls_reload_interval,
            hup,
            handles.receive.clone(),
            shutdown.clone(),
        ));
        let mut accepting = Vec::new();
        for (socket, state) in bound.listeners {
            accepting.push(tokio::spawn(listener::accept(
                socket,
                state,
                Arc::clone(&shared),
                shutdown.clone(),
            )));
        }
        handles.health.set_listening(true);
        let housekeeping = tokio::spawn(housekeeping(
            Arc::clone(&shared),
            handles.clone(),
            opts.readiness_stall,
            shutdown.clone(),
        ));

        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(enricher) = reloads.recv() => {
                    if let Some(step) = &shared.enrich {
                        step.swap(enricher);
                    }
                }
            }
        }

        // The drain.
        handles.health.set_shutting_down();
        let grace = opts.shutdown_grace;
        let deadline = Instant::now() + drain_budget(grace);
        for a in accepting {
            a.await.ok();
        }
        tracing::info!(
            connections = shared.open.load(Ordering::Relaxed),
            in_flight = shared.sink.flight.in_flight(),
            grace_secs = grace.as_secs(),
            "draining: reading what the peers sent, then producing and flushing"
        );
        while shared.open.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let open = shared.open.load(Ordering::Relaxed);
        if open > 0 {
            tracing::warn!(
                connections = open,
                "connections still busy at the end of the grace period; what they hold is lost"
            );
        }
        while shared.sink.flight.in_flight() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let sink = Arc::clone(&shared.sink);
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(100));
        let flushed = tokio::task::spawn_blocking(move || sink.producer.flush(left)).await;
        let in_flight = shared.sink.flight.in_flight();
        match flushed {
            Ok(Ok(())) if in_flight == 0 => {
                tracing::info!("every record received was acknowledged");
            }
            _ => tracing::warn!(
                in_flight,
                "records received were not acknowledged within the grace period; they are lost"
            ),
        }
        housekeeping.abort();
        watch.abort();
        retry_task.abort();
    }
}

/// The part of the grace period the drain may take: the rest is a margin for the exit.
fn drain_budget(grace: Duration) -> Duration {
    grace.saturating_sub((grace / 5).min(Duration::from_secs(3)))
}

/// Readiness: not ready while records in flight have had no acknowledgement for `stall`, or
/// while the producer cannot fetch metadata from the brokers.
async fn housekeeping(
    shared: Arc<Shared>,
    handles: Handles,
    stall: Duration,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n: u64 = 0;
    let probe_timeout = stall.clamp(Duration::from_secs(1), Duration::from_secs(5));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let flight = &shared.sink.flight;
        handles.metrics.set_in_flight(flight.in_flight());
        handles
            .health
            .set_stalled(flight.in_flight() > 0 && flight.since_last_ack() >= stall);
        n += 1;
        if n % 3 != 1 {
            continue;
        }
        let sink = Arc::clone(&shared.sink);
        let topic = shared.sink.topics.raw.clone();
        let reached = tokio::task::spawn_blocking(move || {
            sink.producer
                .client()
                .fetch_metadata(Some(&topic), probe_timeout)
                .is_ok()
        })
        .await
        .unwrap_or(false);
        handles.health.set_producer_ok(reached);
    }
}
