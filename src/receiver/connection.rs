//! One connection, from accept to close: the TLS handshake (within its timeout), then reads into
//! the framer and every line to [`Lines`], until the peer closes, the connection falls idle,
//! reading fails, or the shutdown has read what the peer sent. A partial last line is
//! dead-lettered whatever the way it ends. Each end is logged once with the peer's address and
//! counted by reason.
//!
//! Backpressure needs nothing here: a line waits in [`Lines::line`] for a permit of the
//! in-flight bound, and while it waits this task does not read.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::framing::{Frame, Framer};
use super::listener::{Admitted, ListenerState};
use super::record::Lines;
use super::tls::{self, TlsSlot};
use super::{DRAIN_QUIET, Shared};
use crate::metrics::{CloseReason, TlsFailure};

/// Serves one accepted connection until it ends.
pub(crate) async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    listener: Arc<ListenerState>,
    shared: Arc<Shared>,
    admitted: Admitted,
    shutdown: CancellationToken,
) {
    listener.metrics.connection_opened();
    tracing::debug!(listener = %listener.name, %peer, "connection accepted");
    let reason = match listener.tls.clone() {
        None => {
            let lines = Lines::new(
                Arc::clone(&listener),
                Arc::clone(&shared),
                peer.to_string(),
                None,
            );
            read(tcp, lines, &listener, &shared, peer, &shutdown).await
        }
        Some(slot) => match handshake(tcp, &slot, &listener, &shared, peer, &shutdown).await {
            Ok((stream, subject)) => {
                let lines = Lines::new(
                    Arc::clone(&listener),
                    Arc::clone(&shared),
                    peer.to_string(),
                    subject,
                );
                read(stream, lines, &listener, &shared, peer, &shutdown).await
            }
            Err(reason) => reason,
        },
    };
    listener.metrics.connection_closed(reason);
    drop(admitted);
}

/// The TLS handshake with the configuration current at its start: the stream and the client
/// certificate's subject, or why the connection ends.
async fn handshake(
    tcp: TcpStream,
    slot: &TlsSlot,
    listener: &ListenerState,
    shared: &Shared,
    peer: SocketAddr,
    shutdown: &CancellationToken,
) -> Result<(tokio_rustls::server::TlsStream<TcpStream>, Option<String>), CloseReason> {
    let acceptor = tokio_rustls::TlsAcceptor::from(slot.current());
    let accepted = tokio::select! {
        r = tokio::time::timeout(shared.handshake_timeout, acceptor.accept(tcp)) => r,
        // A peer still in its handshake has sent no record yet.
        () = shutdown.cancelled() => return Err(CloseReason::Shutdown),
    };
    let (failure, error) = match accepted {
        Ok(Ok(stream)) => {
            let subject = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .and_then(|cert| tls::subject(cert));
            return Ok((stream, subject));
        }
        Err(_) => (
            TlsFailure::HandshakeTimeout,
            format!(
                "no complete handshake within {} s",
                shared.handshake_timeout.as_secs_f64()
            ),
        ),
        Ok(Err(e)) => (tls::failure(&e), e.to_string()),
    };
    listener.metrics.tls_failed(failure);
    tracing::warn!(listener = %listener.name, %peer, reason = failure.as_str(), %error, "TLS handshake failed; connection closed");
    Err(CloseReason::Tls)
}

/// Reads `stream` into `lines` until the connection ends; returns how it ended.
async fn read<S: AsyncRead + Unpin>(
    mut stream: S,
    mut lines: Lines,
    listener: &ListenerState,
    shared: &Shared,
    peer: SocketAddr,
    shutdown: &CancellationToken,
) -> CloseReason {
    let mut framer = Framer::new(
        shared.read_buffer_bytes,
        shared.max_line_bytes,
        shared.prefix_bytes,
    );
    // Set once the shutdown starts: reading goes on until then at the latest.
    let mut until: Option<Instant> = None;
    let reason = loop {
        let spare = framer.spare();
        let read = match until {
            None => tokio::select! {
                biased;
                r = stream.read(spare) => r,
                () = shutdown.cancelled() => {
                    until = Some(Instant::now() + shared.drain_read);
                    continue;
                }
                () = idle(shared.idle_timeout) => {
                    tracing::info!(listener = %listener.name, %peer, "connection idle too long; closed");
                    break CloseReason::IdleTimeout;
                }
            },
            Some(limit) => {
                // What the peer sent before the stop arrives within moments; a connection that
                // stays quiet has nothing more.
                let quiet = (Instant::now() + DRAIN_QUIET).min(limit);
                match tokio::time::timeout_at(quiet, stream.read(spare)).await {
                    Ok(r) => r,
                    Err(_) => break CloseReason::Shutdown,
                }
            }
        };
        let n = match read {
            Ok(0) => break CloseReason::Peer,
            Ok(n) => n,
            // A TLS peer that closes without close_notify: an App Connector going away.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break CloseReason::Peer,
            Err(e) => {
                tracing::warn!(listener = %listener.name, %peer, error = %e, "reading failed; connection closed");
                break CloseReason::ReadError;
            }
        };
        listener.metrics.bytes_read(n);
        framer.filled(n);
        lines.refresh();
        while let Some(frame) = framer.next() {
            match frame {
                Frame::Line(line) => lines.line(line).await,
                Frame::TooLong(prefix) => {
                    let message = format!(
                        "the line is longer than receive.max_line_bytes ({} bytes); its first {} bytes are kept, the rest is skipped",
                        shared.max_line_bytes,
                        prefix.len()
                    );
                    lines.dead_letter(prefix, "line_too_long", &message).await;
                }
            }
        }
        lines.read_done();
    };
    if let Some(rest) = framer.finish() {
        let message = format!(
            "the connection ended ({}) in the middle of a line of {} bytes",
            reason.as_str(),
            rest.len()
        );
        lines.dead_letter(rest, "partial_line", &message).await;
    }
    tracing::debug!(listener = %listener.name, %peer, reason = reason.as_str(), "connection closed");
    reason
}

/// Completes after `timeout` (never without one).
async fn idle(timeout: Option<std::time::Duration>) {
    match timeout {
        Some(t) => tokio::time::sleep(t).await,
        None => std::future::pending().await,
    }
}
