//! Signals: SIGTERM and SIGINT stop the service gracefully (a second one exits at once, and a
//! shutdown that outlasts its grace period is ended); SIGHUP asks for a reload (the catalog, and
//! for `receive` the certificates).

use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Exit status when a second stop signal cuts the graceful shutdown short.
pub const EXIT_FORCED: i32 = 130;

/// Exit status when the graceful shutdown outlasts its grace period (a broker that does not
/// answer the final commit, say).
pub(crate) const EXIT_GRACE_EXCEEDED: i32 = 1;

/// Spawns the signal task: the first SIGTERM/SIGINT cancels `token` and gives the shutdown
/// `grace` to finish, after which the process exits; a second one exits the process at once.
/// Every SIGHUP sends a unit on `reload`.
///
/// # Errors
/// The signal handlers cannot be installed.
pub(crate) fn spawn(
    token: CancellationToken,
    reload: mpsc::Sender<()>,
    grace: Duration,
) -> std::io::Result<()> {
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
                    tracing::info!("SIGHUP: reloading");
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
            watchdog(grace);
        }
    });
    Ok(())
}

/// Ends the process once `grace` has passed. The shutdown keeps within it by itself, except
/// where librdkafka blocks: a final commit to a broker that does not answer waits for it.
fn watchdog(grace: Duration) {
    let spawned = std::thread::Builder::new()
        .name("shutdown-watchdog".into())
        .spawn(move || {
            std::thread::sleep(grace);
            tracing::error!(
                grace_secs = grace.as_secs(),
                "shutdown did not finish within the grace period (does the broker answer?); \
                 exiting without the final commit: records after the last commit will be \
                 consumed again"
            );
            std::process::exit(EXIT_GRACE_EXCEEDED);
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no shutdown watchdog: the shutdown may outlast its grace period");
    }
}
