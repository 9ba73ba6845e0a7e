//! Backpressure: pausing consumption while the output is stuck, readiness while it stalls.

use rdkafka::consumer::Consumer;
use tokio::time::Instant;

use super::window::{Window, stuck};
use super::{Clients, Core};

impl Core {
    pub(super) fn housekeeping(
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
            if !*paused && stuck(since, self.state.last_ack, now, self.opts.pause_after) {
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

    pub(super) fn set_paused(&self, clients: &Clients, pause: bool) {
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
}
