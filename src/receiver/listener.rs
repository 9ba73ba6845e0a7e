//! Accepting connections, within the limits: a listener's own maximum and the maximum of all
//! listeners together. A connection over a limit, or one that arrives as the service stops, is
//! closed at once, logged with its address and counted by reason.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::tls::TlsSlot;
use super::{ListenerOptions, Shared, connection};
use crate::event::{LineReader, LogType};
use crate::metrics::{ListenerMetrics, RefuseReason};

/// A listener, as its connections see it.
#[derive(Debug)]
pub(crate) struct ListenerState {
    pub(crate) name: String,
    pub(crate) addr: SocketAddr,
    pub(crate) reader: LineReader,
    pub(crate) log_type: Option<LogType>,
    pub(crate) tls: Option<Arc<TlsSlot>>,
    pub(crate) metrics: ListenerMetrics,
    /// Its open connections.
    open: AtomicUsize,
    max: usize,
}

impl ListenerState {
    pub(crate) fn new(
        opts: &ListenerOptions,
        tls: Option<Arc<TlsSlot>>,
        addr: SocketAddr,
        metrics: ListenerMetrics,
    ) -> Self {
        Self {
            name: opts.name.clone(),
            addr,
            reader: opts.reader.clone(),
            log_type: opts.log_type,
            tls,
            metrics,
            open: AtomicUsize::new(0),
            max: opts.max_connections,
        }
    }
}

/// Counts one open connection of a listener and of the receiver until it is dropped.
#[derive(Debug)]
pub(crate) struct Admitted {
    listener: Arc<ListenerState>,
    shared: Arc<Shared>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.listener.open.fetch_sub(1, Ordering::Relaxed);
        self.shared.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Takes a place for a new connection, or says which limit it is over.
fn admit(listener: &Arc<ListenerState>, shared: &Arc<Shared>) -> Result<Admitted, RefuseReason> {
    // Only this listener's accept loop adds to its count, so checking first is exact.
    if listener.open.load(Ordering::Relaxed) >= listener.max {
        return Err(RefuseReason::ListenerLimit);
    }
    shared
        .open
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (n < shared.max_connections).then_some(n + 1)
        })
        .map_err(|_| RefuseReason::TotalLimit)?;
    listener.open.fetch_add(1, Ordering::Relaxed);
    Ok(Admitted {
        listener: Arc::clone(listener),
        shared: Arc::clone(shared),
    })
}

/// Accepts on `socket` until `shutdown`, then closes it.
pub(crate) async fn accept(
    socket: TcpListener,
    listener: Arc<ListenerState>,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    loop {
        let (tcp, peer) = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            accepted = socket.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(listener = %listener.name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let admitted = if shutdown.is_cancelled() {
            Err(RefuseReason::ShuttingDown)
        } else {
            admit(&listener, &shared)
        };
        match admitted {
            Ok(admitted) => {
                tokio::spawn(connection::serve(
                    tcp,
                    peer,
                    Arc::clone(&listener),
                    Arc::clone(&shared),
                    admitted,
                    shutdown.clone(),
                ));
            }
            Err(reason) => {
                listener.metrics.connection_refused(reason);
                tracing::warn!(listener = %listener.name, %peer, reason = reason.as_str(), "connection refused");
                drop(tcp);
            }
        }
    }
    drop(socket);
    tracing::info!(listener = %listener.name, addr = %listener.addr, "listener closed");
}
