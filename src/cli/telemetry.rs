//! Logging set-up: `tracing` to stderr, as text or JSON, filtered by `RUST_LOG` or the
//! configured default.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use zpa_enricher::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG`, when set, wins over `default_filter`.
/// Calling it twice is harmless (the second call does nothing).
pub(super) fn init(format: LogFormat, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(default_filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // When stderr is gone (a log reader that ended, a full disk), a log line is lost, but the
        // subscriber would report that with `eprintln!`, which panics on the same broken stderr.
        .log_internal_errors(false)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none());
    // An error only means a subscriber is already installed (e.g. in tests).
    let _already_installed = match format {
        LogFormat::Text => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().with_current_span(false).try_init(),
    };
}
