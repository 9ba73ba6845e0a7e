//! The admin HTTP server: `/metrics` (Prometheus text format), `/healthz` (liveness) and
//! `/readyz` (readiness), plus the [`Health`] state the rest of the service updates.
//!
//! Readiness is the conjunction of a few conditions reported by other tasks (partitions
//! assigned, or for `receive` listeners bound; producer healthy, consumption or delivery not
//! stalled, not shutting down, no fatal error);
//! [`Health`] keeps them together with the `zpa_enricher_ready` gauge in step. The server only
//! reads that state and renders [`Metrics`]: it must not know about Kafka, the catalog or the
//! pipeline, and it must not block shutdown: [`serve`] stops accepting connections when its
//! token is cancelled and returns once open requests have been answered.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::metrics::{self, Metrics};

/// Why the admin server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The listen address cannot be resolved or bound.
    #[error(
        "cannot listen on {addr:?} for /metrics, /healthz and /readyz (metrics.addr, flag --metrics-addr)"
    )]
    Bind {
        /// The address as configured.
        addr: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Binds the admin listener on `addr` (`host:port`; port 0 picks a free port).
///
/// Binding is separate from [`serve`] so that a bad address fails startup before anything else
/// runs, and so that tests can learn the port with [`TcpListener::local_addr`].
///
/// # Errors
/// [`AdminError::Bind`], naming the address, when it cannot be resolved or bound (in use,
/// permission denied, unknown host).
pub(crate) async fn bind(addr: &str) -> Result<TcpListener, AdminError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| AdminError::Bind {
            addr: addr.to_owned(),
            source,
        })
}

/// Serves `/metrics`, `/healthz` and `/readyz` on `listener` until `shutdown` is cancelled.
///
/// On cancellation the server stops accepting connections, closes idle keep-alive
/// connections, and returns once in-progress requests are answered (they are short; the
/// caller's grace timeout bounds the wait anyway).
///
/// # Errors
/// Only an I/O error of the server itself; failed accepts are retried internally.
pub(crate) async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::debug!(%addr, "admin server listening");
    }
    let app = Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(AppState { metrics, health });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    tracing::debug!("admin server stopped");
    Ok(())
}

#[derive(Clone)]
struct AppState {
    metrics: Arc<Metrics>,
    health: Arc<Health>,
}

async fn metrics_handler(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        state.metrics.encode(),
    )
        .into_response()
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.health.fatal() {
        None => (StatusCode::OK, "ok").into_response(),
        Some(msg) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{REASON_FATAL}: {msg}"),
        )
            .into_response(),
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    let reasons = state.health.not_ready_reasons();
    if reasons.is_empty() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}", reasons.join(", ")),
        )
            .into_response()
    }
}

/// Readiness reason: no input partition is assigned.
pub(crate) const REASON_NOT_ASSIGNED: &str = "no partitions assigned";
/// Readiness reason: the receiver's listeners are not bound (yet).
pub(crate) const REASON_NOT_LISTENING: &str = "listeners not bound";
/// Readiness reason: the producer reports a persistent failure.
pub(crate) const REASON_PRODUCER: &str = "producer unavailable";
/// Readiness reason: the oldest unacknowledged record has waited too long.
pub(crate) const REASON_STALLED: &str = "deliveries stalled";
/// Readiness reason: no broker has answered the consumer for the stall period.
pub(crate) const REASON_BROKERS_SILENT: &str = "brokers not answering";
/// Readiness reason: shutdown has begun.
pub(crate) const REASON_SHUTTING_DOWN: &str = "shutting down";
/// Readiness and liveness reason: a fatal error happened (followed by its message).
pub(crate) const REASON_FATAL: &str = "fatal error";

#[derive(Debug, Clone, PartialEq, Eq)]
struct HealthState {
    assigned: bool,
    producer_ok: bool,
    stalled: bool,
    brokers_silent: bool,
    shutting_down: bool,
    fatal: Option<String>,
    /// `receive` only: its listeners are bound. `None` for a service without listeners.
    listening: Option<bool>,
}

impl HealthState {
    #[cfg(test)]
    fn is_ready(&self) -> bool {
        self.assigned
            && self.producer_ok
            && !self.stalled
            && !self.brokers_silent
            && !self.shutting_down
            && self.fatal.is_none()
            && self.listening != Some(false)
    }

    fn not_ready_reasons(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        if !self.assigned {
            reasons.push(REASON_NOT_ASSIGNED.to_owned());
        }
        if self.listening == Some(false) {
            reasons.push(REASON_NOT_LISTENING.to_owned());
        }
        if !self.producer_ok {
            reasons.push(REASON_PRODUCER.to_owned());
        }
        if self.stalled {
            reasons.push(REASON_STALLED.to_owned());
        }
        if self.brokers_silent {
            reasons.push(REASON_BROKERS_SILENT.to_owned());
        }
        if self.shutting_down {
            reasons.push(REASON_SHUTTING_DOWN.to_owned());
        }
        if let Some(msg) = &self.fatal {
            reasons.push(format!("{REASON_FATAL}: {msg}"));
        }
        reasons
    }
}

/// Liveness and readiness of the service, updated by the tasks that know each condition and
/// read by the admin server.
///
/// Ready means: partitions assigned, producer healthy, consumption not stalled, not shutting
/// down and no fatal error. It starts not ready (nothing assigned yet) with the producer
/// presumed healthy. Every update that changes readiness also sets `zpa_enricher_ready`.
#[derive(Debug)]
pub(crate) struct Health {
    metrics: Arc<Metrics>,
    /// One lock for all conditions: updates are rare (rebalances, producer state changes) and
    /// computing readiness and publishing the gauge under the same lock keeps the gauge equal to
    /// what `/readyz` answers even when two tasks update at once.
    state: Mutex<HealthState>,
}

impl Health {
    /// A new, not yet ready state that publishes readiness to `metrics`.
    #[must_use]
    pub(crate) fn new(metrics: Arc<Metrics>) -> Self {
        metrics.set_ready(false);
        Self {
            metrics,
            state: Mutex::new(HealthState {
                assigned: false,
                producer_ok: true,
                stalled: false,
                brokers_silent: false,
                shutting_down: false,
                fatal: None,
                listening: None,
            }),
        }
    }

    /// A new, not yet ready state for `receive`, which consumes nothing: ready means its
    /// listeners are bound and its producer reaches the brokers (and the rest, as above).
    #[must_use]
    pub(crate) fn receiver(metrics: Arc<Metrics>) -> Self {
        let health = Self::new(metrics);
        {
            let mut state = health.lock();
            state.assigned = true;
            state.listening = Some(false);
        }
        health
    }

    fn lock(&self) -> MutexGuard<'_, HealthState> {
        // The state stays consistent whatever a panicking holder did: every field is
        // independent and readiness is recomputed from them.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(&mut HealthState)) {
        let mut state = self.lock();
        let before = state.clone();
        change(&mut state);
        if *state == before {
            return;
        }
        // A change of readiness, or of the reasons for not being ready, is logged.
        let after = state.not_ready_reasons();
        self.metrics.set_ready(after.is_empty());
        if after.is_empty() {
            tracing::info!(ready = true, "readiness changed: ready");
        } else {
            let reasons = after.join(", ");
            tracing::info!(ready = false, %reasons, "readiness changed: not ready ({reasons})");
        }
    }

    /// At least one input partition is assigned (`true`) or none is (`false`).
    pub(crate) fn set_assigned(&self, assigned: bool) {
        self.update(|s| s.assigned = assigned);
    }

    /// The receiver's listeners are bound (`true`) or not (`false`).
    pub(crate) fn set_listening(&self, listening: bool) {
        self.update(|s| s.listening = Some(listening));
    }

    /// The producer works (`true`) or reports a persistent failure (`false`).
    pub(crate) fn set_producer_ok(&self, ok: bool) {
        self.update(|s| s.producer_ok = ok);
    }

    /// Consumption is stalled (`true`) or making progress again (`false`).
    pub(crate) fn set_stalled(&self, stalled: bool) {
        self.update(|s| s.stalled = stalled);
    }

    /// No broker has answered the consumer for the stall period (`true`), or one has (`false`).
    pub(crate) fn set_brokers_silent(&self, silent: bool) {
        self.update(|s| s.brokers_silent = silent);
    }

    /// Shutdown has begun; the service stays not ready from now on.
    pub(crate) fn set_shutting_down(&self) {
        self.update(|s| s.shutting_down = true);
    }

    /// A fatal error happened: the service is neither ready nor live from now on. Only the
    /// first message is kept.
    pub(crate) fn set_fatal(&self, msg: impl Into<String>) {
        self.update(|s| {
            s.fatal.get_or_insert_with(|| msg.into());
        });
    }

    /// True when `/readyz` answers 200.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn is_ready(&self) -> bool {
        self.lock().is_ready()
    }

    /// True when `/healthz` answers 200 (no fatal error).
    #[cfg(test)]
    #[must_use]
    pub(crate) fn is_alive(&self) -> bool {
        self.lock().fatal.is_none()
    }

    /// The fatal error message, if any.
    #[must_use]
    pub(crate) fn fatal(&self) -> Option<String> {
        self.lock().fatal.clone()
    }

    /// Why the service is not ready; empty when it is.
    #[must_use]
    pub(crate) fn not_ready_reasons(&self) -> Vec<String> {
        self.lock().not_ready_reasons()
    }
}

#[cfg(test)]
mod tests;
