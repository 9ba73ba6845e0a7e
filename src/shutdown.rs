//! Signals: SIGTERM and SIGINT stop the service gracefully (a second one exits at once);
//! SIGHUP asks for a catalog reload.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Exit status when a second stop signal cuts the graceful shutdown short.
pub const EXIT_FORCED: i32 = 130;

/// Spawns the signal task: the first SIGTERM/SIGINT cancels `token`; a second one exits the
/// process at once. Every SIGHUP sends a unit on `reload`.
///
/// # Errors
/// The signal handlers cannot be installed.
pub fn spawn(token: CancellationToken, reload: mpsc::Sender<()>) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        let mut stopping = false;
        loop {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
                _ = hup.recv() => {
                    tracing::info!("SIGHUP: reloading the catalog");
                    // A full channel means a reload is already pending.
                    reload.try_send(()).ok();
                    continue;
                }
            };
            if stopping {
                tracing::warn!(signal = name, "second stop signal: exiting now");
                std::process::exit(EXIT_FORCED);
            }
            tracing::info!(signal = name, "stop requested: draining and committing");
            stopping = true;
            token.cancel();
        }
    });
    Ok(())
}
