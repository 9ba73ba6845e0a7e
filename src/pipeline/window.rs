//! The in-flight window and the bookkeeping of settled offsets.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use futures::channel::oneshot::Canceled;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::DeliveryFuture;
use rdkafka::producer::future_producer::OwnedDeliveryResult;
use tokio::time::Instant;

use crate::kafka::context::ServiceContext;
use crate::metrics::Destination;

/// What is remembered about a record while its delivery is pending.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) topic: Arc<str>,
    pub(super) partition: i32,
    pub(super) offset: i64,
    /// Input record timestamp (ms since the epoch), for end-to-end latency.
    pub(super) timestamp_ms: Option<i64>,
    pub(super) destination: Destination,
    pub(super) destination_topic: Arc<str>,
    /// A dead letter sent, without the value, in place of a record the broker refused.
    pub(super) replacement: bool,
}

/// A delivery outcome as the producer reports it (or `Canceled` if the producer went away).
pub(super) type DeliveryResult = Result<OwnedDeliveryResult, Canceled>;

/// One record in flight: what to do when it is acknowledged, and when it was sent.
struct InFlight {
    pending: Pending,
    delivery: DeliveryFuture,
    sent: Instant,
}

/// The in-flight deliveries, in consumption order (oldest first).
///
/// Outcomes are taken strictly in the order records were sent, whatever order the broker
/// acknowledges them in: that is what makes storing each completed record's offset safe. Only
/// the oldest delivery is ever waited on; the ones behind it are looked at once it is done.
pub(super) struct Window {
    slots: VecDeque<InFlight>,
}

impl Window {
    pub(super) fn new() -> Self {
        Self {
            slots: VecDeque::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(super) fn push(&mut self, pending: Pending, delivery: DeliveryFuture, sent: Instant) {
        self.slots.push_back(InFlight {
            pending,
            delivery,
            sent,
        });
    }

    /// Puts a delivery before all others: the replacement of the oldest record, just taken
    /// out, which must be settled before anything sent after that record.
    pub(super) fn push_front(&mut self, pending: Pending, delivery: DeliveryFuture, sent: Instant) {
        self.slots.push_front(InFlight {
            pending,
            delivery,
            sent,
        });
    }

    fn poll_oldest(&mut self, cx: &mut Context<'_>) -> Poll<Option<(Pending, DeliveryResult)>> {
        let Some(oldest) = self.slots.front_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(&mut oldest.delivery).poll(cx) {
            Poll::Ready(delivered) => {
                let done = self.slots.pop_front().map(|d| (d.pending, delivered));
                Poll::Ready(done)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// The oldest delivery's outcome once it is known; `None` when nothing is in flight.
    pub(super) async fn next(&mut self) -> Option<(Pending, DeliveryResult)> {
        std::future::poll_fn(|cx| self.poll_oldest(cx)).await
    }

    /// The oldest delivery's outcome if it is already known.
    pub(super) fn try_next(&mut self) -> Option<(Pending, DeliveryResult)> {
        self.next().now_or_never().flatten()
    }

    pub(super) fn oldest(&self) -> Option<Instant> {
        self.slots.front().map(|d| d.sent)
    }
}

/// The highest settled offset per partition, stored once per batch of acknowledgements rather
/// than once per record (each store takes librdkafka's locks).
#[derive(Default)]
pub(super) struct Offsets(Vec<(Arc<str>, i32, i64)>);

impl Offsets {
    pub(super) fn note(&mut self, p: &Pending) {
        // Settled in consumption order, so a later offset of a partition is a higher one.
        match self
            .0
            .iter_mut()
            .find(|(t, part, _)| *part == p.partition && *t == p.topic)
        {
            Some(slot) => slot.2 = p.offset,
            None => self.0.push((Arc::clone(&p.topic), p.partition, p.offset)),
        }
    }

    pub(super) fn store(self, consumer: &StreamConsumer<ServiceContext>) {
        for (topic, partition, offset) in self.0 {
            if let Err(e) = consumer.store_offset(&topic, partition, offset) {
                // The partition was revoked meanwhile: its new owner consumes the record again
                // from the last commit.
                tracing::debug!(error = %e, %topic, partition, offset, "offset not stored");
            }
        }
    }
}

/// True when a window first seen full at `full_since` has had nothing acknowledged for
/// `pause_after`. A window that is full but moving (acknowledgements keep arriving) is just a
/// fast pipeline, not a stuck output.
pub(super) fn stuck(
    full_since: Instant,
    last_ack: Instant,
    now: Instant,
    pause_after: Duration,
) -> bool {
    now.saturating_duration_since(full_since.max(last_ack)) >= pause_after
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_keep_the_last_settled_offset_of_each_partition() {
        let a: Arc<str> = "a".into();
        let b: Arc<str> = "b".into();
        let pending = |topic: &Arc<str>, partition, offset| Pending {
            topic: Arc::clone(topic),
            partition,
            offset,
            timestamp_ms: None,
            destination: Destination::Output,
            destination_topic: Arc::clone(topic),
            replacement: false,
        };
        let mut offsets = Offsets::default();
        for (t, p, o) in [(&a, 0, 5), (&a, 1, 7), (&b, 0, 3), (&a, 0, 6), (&b, 0, 4)] {
            offsets.note(&pending(t, p, o));
        }
        let seen: Vec<(&str, i32, i64)> =
            offsets.0.iter().map(|(t, p, o)| (&**t, *p, *o)).collect();
        assert_eq!(seen, [("a", 0, 6), ("a", 1, 7), ("b", 0, 4)]);
    }

    #[test]
    fn a_full_window_pauses_only_when_nothing_is_acknowledged() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let pause_after = ms(1000);
        // Full since t0, last acknowledgement long before: stuck after pause_after.
        assert!(!stuck(t0, t0 - ms(5000), t0 + ms(999), pause_after));
        assert!(stuck(t0, t0 - ms(5000), t0 + ms(1000), pause_after));
        // Full all along but acknowledgements keep coming: never stuck.
        assert!(!stuck(t0, t0 + ms(4900), t0 + ms(5000), pause_after));
        // The last acknowledgement was a second ago: stuck.
        assert!(stuck(t0, t0 + ms(4000), t0 + ms(5000), pause_after));
    }
}
