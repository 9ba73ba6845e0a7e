//! Backpressure: the bound on records handed to the producer and not yet acknowledged. A
//! connection takes a permit per record it produces and waits, without reading its socket, when
//! none is left; each acknowledgement gives one back. While connections wait, the receiver counts
//! as paused.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::produce::Ticket;
use crate::admin::Health;
use crate::metrics::{Metrics, ReceiveMetrics};

/// The records handed to the producer and not yet acknowledged, bounded by permits: a
/// connection that finds none left stops reading its socket until acknowledgements return some.
#[derive(Debug)]
pub(crate) struct Flight {
    permits: Semaphore,
    max: usize,
    /// When `Flight` was made: tickets and acknowledgement times count from it.
    base: Instant,
    /// Microseconds after `base` of the last acknowledgement.
    last_ack: AtomicU64,
    /// Connections waiting for a permit, and since when the first of them waits.
    pause: Mutex<(usize, Option<Instant>)>,
    pub(super) metrics: Arc<Metrics>,
    receive: ReceiveMetrics,
    health: Arc<Health>,
    /// Whether the last delivery succeeded, so that readiness is updated only on a change.
    delivering: AtomicBool,
}

impl Flight {
    /// A bound of `max` records in flight.
    pub(crate) fn new(
        max: usize,
        metrics: Arc<Metrics>,
        receive: ReceiveMetrics,
        health: Arc<Health>,
    ) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            permits: Semaphore::new(max),
            max,
            base: Instant::now(),
            last_ack: AtomicU64::new(0),
            pause: Mutex::new((0, None)),
            metrics,
            receive,
            health,
            delivering: AtomicBool::new(true),
        }
    }

    /// Takes one permit, waiting (paused, as the metrics say) while none is left.
    pub(crate) async fn acquire(&self) {
        let permit = match self.permits.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                self.pausing(true);
                let permit = self.permits.acquire().await;
                self.pausing(false);
                match permit {
                    Ok(p) => p,
                    // Never closed.
                    Err(_) => return,
                }
            }
        };
        // Given back by the acknowledgement, not by the permit's drop.
        permit.forget();
    }

    fn pausing(&self, start: bool) {
        let mut p = self.pause.lock().unwrap_or_else(PoisonError::into_inner);
        if start {
            p.0 += 1;
            if p.0 == 1 {
                p.1 = Some(Instant::now());
                self.receive.set_paused(true);
                tracing::debug!(
                    max_in_flight = self.max,
                    "reading paused: the records in flight are at their maximum"
                );
            }
        } else {
            p.0 = p.0.saturating_sub(1);
            if p.0 == 0 {
                if let Some(since) = p.1.take() {
                    self.receive.add_paused(since.elapsed());
                }
                self.receive.set_paused(false);
            }
        }
    }

    /// Gives one permit back.
    pub(crate) fn release(&self) {
        self.permits.add_permits(1);
    }

    /// Records in flight now.
    pub(crate) fn in_flight(&self) -> usize {
        self.max.saturating_sub(self.permits.available_permits())
    }

    pub(super) fn now_micros(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// How long ago the last acknowledgement arrived (since start, if none did).
    pub(crate) fn since_last_ack(&self) -> Duration {
        let last = self.last_ack.load(Ordering::Relaxed);
        Duration::from_micros(self.now_micros().saturating_sub(last))
    }

    /// A record of `ticket` was acknowledged.
    pub(super) fn acknowledged(&self, ticket: Ticket) {
        let now = self.now_micros();
        self.last_ack.store(now, Ordering::Relaxed);
        self.metrics.record_produced(ticket.destination());
        self.receive.observe_produce(Duration::from_micros(
            now.saturating_sub(ticket.sent_micros()),
        ));
        if !self.delivering.swap(true, Ordering::Relaxed) {
            tracing::info!("deliveries acknowledged again");
            self.health.set_producer_ok(true);
        }
        self.release();
    }

    /// A delivery failed and is tried again.
    pub(super) fn failing(&self) {
        if self.delivering.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                "deliveries are failing (are the brokers reachable?); the records are kept and \
                 produced again"
            );
        }
    }
}
