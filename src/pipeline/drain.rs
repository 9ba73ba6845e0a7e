//! Shutdown: drain the window, flush, commit.

use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;
use rdkafka::types::RDKafkaErrorCode;
use tokio::time::Instant;

use super::window::Window;
use super::{Clients, Core};

impl Core {
    /// Shutdown: stop consuming, drain the window (storing offsets), flush, commit; all within
    /// the grace period.
    pub(super) async fn finish(&mut self, clients: &Clients, mut window: Window, clean: bool) {
        self.handles.health.set_shutting_down();
        let grace = self.opts.shutdown_grace;
        // The final commit gets the end of the grace period, whatever the drain takes.
        let work = grace - (grace / 5).min(Duration::from_secs(3));
        let deadline = Instant::now() + work;
        tracing::info!(
            in_flight = window.len(),
            grace_secs = grace.as_secs(),
            "draining"
        );
        let drained = tokio::time::timeout(work, async {
            while let Some(done) = window.next().await {
                if let Err(e) = self.settle_one(clients, &mut window, done) {
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
            Ok(()) => {
                self.handles.metrics.commit(true);
                tracing::info!(clean, "offsets committed");
            }
            // Not a failure: every offset stored was committed already (or none was stored).
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {
                tracing::info!(clean, "no new offsets to commit");
            }
            Err(e) => {
                self.handles.metrics.commit(false);
                tracing::warn!(error = %e, "final commit failed; the last records may be consumed again");
            }
        }
        clients.consumer.unsubscribe();
    }
}
