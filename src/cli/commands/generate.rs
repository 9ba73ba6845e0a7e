//! `zpa-enricher generate`: realistic synthetic LSS records, one per line to a file or stdout,
//! one per line to a log receiver over TCP or TLS (`--tcp`, as an App Connector streams them),
//! or produced to a Kafka topic. Either way it is one [`Traffic`]: paced at `--rate`, with
//! optional bursts of one code on top; the Kafka side is the producer the demo uses too.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use zpa_enricher::event::{LineFormat, LogType};
use zpa_enricher::synth::{
    KafkaTarget, TcpTarget, TlsClientFiles, Traffic, TrafficCounts, Undelivered,
};

/// How long the producer may take to deliver what is queued at the end: everything must arrive.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(60);

/// Arguments of the `generate` command.
#[derive(Debug, Clone)]
pub(crate) struct GenerateJob {
    /// The records: seed, mix, ratios, count, rate, bursts, enriched or not.
    pub traffic: Traffic,
    /// Output file; `None` or `-` writes stdout.
    pub output: Option<PathBuf>,
    /// The template of the lines written: JSON as generated, or the vendor's CSV or TSV.
    pub template: LineFormat,
    /// Produce to Kafka instead of writing lines.
    pub kafka: Option<KafkaSink>,
    /// Stream the lines to a log receiver instead of writing them.
    pub tcp: Option<TcpSink>,
}

/// Where generated lines go over TCP.
#[derive(Debug, Clone)]
pub(crate) struct TcpSink {
    /// The receiver, `HOST:PORT`.
    pub addr: String,
    /// TLS, when the receiver speaks it.
    pub tls: Option<TlsClientFiles>,
    /// How long to keep trying to connect before giving up.
    pub deadline: Duration,
}

/// Where generated records go in Kafka.
#[derive(Debug, Clone)]
pub(crate) struct KafkaSink {
    /// Bootstrap servers.
    pub brokers: String,
    /// Topic.
    pub topic: String,
    /// Compression of produced batches (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
    pub compression: String,
    /// The record field whose value becomes the message key (empty: no key).
    pub key_field: String,
    /// The `[kafka]` settings whose security and pass-through properties apply.
    pub settings: zpa_enricher::kafka::KafkaSettings,
}

/// Why generating stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GenerateError {
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The Kafka producer failed, or records were not delivered.
    #[error("cannot produce to Kafka")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// The client settings are contradictory, or the cluster does not answer or refuses the
    /// client.
    #[error(transparent)]
    Setup(Box<zpa_enricher::kafka::KafkaSetupError>),
    /// The receiver cannot be reached, or TLS cannot be set up or fails.
    #[error(transparent)]
    Tcp(#[from] zpa_enricher::synth::TcpError),
    /// The SIGINT/SIGTERM handlers could not be installed.
    #[error("cannot install the signal handlers")]
    Signals(#[source] io::Error),
}

/// Parses `TYPE` or `TYPE=WEIGHT` (weight 1 by default).
///
/// # Errors
/// An unknown log type or a weight that is not a positive integer.
pub(crate) fn parse_log_type_weight(s: &str) -> Result<(LogType, u32), String> {
    let (name, weight) = match s.split_once('=') {
        Some((n, w)) => (
            n,
            w.trim()
                .parse::<u32>()
                .ok()
                .filter(|w| *w > 0)
                .ok_or_else(|| format!("weight {w:?} is not a positive integer"))?,
        ),
        None => (s, 1),
    };
    let t = LogType::from_name(name)
        .filter(|t| *t != LogType::Unknown)
        .ok_or_else(|| {
            let names: Vec<&str> = LogType::ALL
                .iter()
                .filter(|t| **t != LogType::Unknown)
                .map(|t| t.as_str())
                .collect();
            format!(
                "unknown log type {name:?}; expected one of: {}",
                names.join(", ")
            )
        })?;
    Ok((t, weight))
}

/// Writes or produces the records.
///
/// # Errors
/// The output cannot be created or written, or producing to Kafka fails.
pub(crate) fn run(job: &GenerateJob) -> Result<(), GenerateError> {
    match (&job.kafka, &job.tcp) {
        (Some(sink), _) => produce(&job.traffic, sink),
        (None, Some(sink)) => send_tcp(&job.traffic, job.template, sink),
        (None, None) => write_lines(job),
    }
}

/// Streams lines to the receiver until the count is reached or SIGINT/SIGTERM arrives, then
/// writes what is pending and closes the connection.
fn send_tcp(traffic: &Traffic, template: LineFormat, sink: &TcpSink) -> Result<(), GenerateError> {
    let target = TcpTarget::new(&sink.addr, sink.tls.as_ref(), sink.deadline)?;
    let counts = TrafficCounts::default();
    until_signalled("sending what is pending", |stop| {
        traffic.send_tcp(&target, template, &counts, stop)
    })??;
    tracing::info!(
        addr = %sink.addr,
        sent = counts.sent.load(std::sync::atomic::Ordering::Relaxed),
        "generated records sent"
    );
    Ok(())
}

/// The client id of `generate`'s producer.
const CLIENT_ID: &str = "zpa-enricher-generate";

/// Produces to Kafka until the count is reached or SIGINT/SIGTERM arrives, then delivers what
/// is queued.
fn produce(traffic: &Traffic, sink: &KafkaSink) -> Result<(), GenerateError> {
    let setup = |e| GenerateError::Setup(Box::new(e));
    let (connection, client) =
        zpa_enricher::kafka::generator_configs(&sink.settings, &sink.brokers, CLIENT_ID)
            .map_err(setup)?;
    // Fail with the client's reason rather than after the flush timeout with "timed out".
    zpa_enricher::kafka::check_reachable(&connection, &sink.brokers).map_err(setup)?;
    let target = KafkaTarget {
        client,
        topic: sink.topic.clone(),
        client_id: CLIENT_ID.into(),
        compression: sink.compression.clone(),
        key_field: sink.key_field.clone(),
        flush_timeout: FLUSH_TIMEOUT,
        undelivered: Undelivered::Fail,
    };
    let counts = TrafficCounts::default();
    let result = until_signalled("delivering what is queued", |stop| {
        traffic.produce(&target, &counts, stop)
    })?;
    tracing::debug!(
        sent = counts.sent.load(std::sync::atomic::Ordering::Relaxed),
        "generated records produced"
    );
    Ok(result?)
}

/// Runs `job` with a stop token that the first SIGINT or SIGTERM cancels (logging that the run
/// is `then`); a second signal exits at once.
fn until_signalled<T>(
    then: &'static str,
    job: impl FnOnce(&CancellationToken) -> T,
) -> Result<T, GenerateError> {
    let stop = CancellationToken::new();
    let done = CancellationToken::new();
    let signals =
        watch_signals(stop.clone(), done.clone(), then).map_err(GenerateError::Signals)?;
    let result = job(&stop);
    done.cancel();
    // The watcher returns as soon as `done` is cancelled; it has nothing to report.
    signals.join().ok();
    Ok(result)
}

/// Starts a thread that cancels `stop` on the first SIGINT or SIGTERM and exits the process at
/// once on a second one (as the service does); it returns when `done` is cancelled.
fn watch_signals(
    stop: CancellationToken,
    done: CancellationToken,
    then: &'static str,
) -> io::Result<JoinHandle<()>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    // Installed before the first record, so no early signal takes the default (abrupt) exit.
    let (mut term, mut int) = {
        let _entered = rt.enter();
        (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        )
    };
    std::thread::Builder::new()
        .name("generate-signals".into())
        .spawn(move || {
            rt.block_on(async move {
                loop {
                    let name = tokio::select! {
                        () = done.cancelled() => return,
                        _ = term.recv() => "SIGTERM",
                        _ = int.recv() => "SIGINT",
                    };
                    if stop.is_cancelled() {
                        tracing::warn!(signal = name, "second stop signal: exiting now");
                        std::process::exit(zpa_enricher::shutdown::EXIT_FORCED);
                    }
                    tracing::info!(signal = name, "stop requested: {then}");
                    stop.cancel();
                }
            });
        })
}

/// Writes lines until the count is reached or SIGINT/SIGTERM arrives; the last line is always
/// whole.
fn write_lines(job: &GenerateJob) -> Result<(), GenerateError> {
    Ok(until_signalled("ending after a whole line", |stop| {
        write_lines_until(job, stop)
    })??)
}

fn write_lines_until(job: &GenerateJob, stop: &CancellationToken) -> io::Result<()> {
    let (out, name): (Box<dyn Write>, String) = match &job.output {
        Some(p) if p.as_os_str() != "-" => (
            Box::new(File::create(p).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot create {}: {e}", p.display()))
            })?),
            p.display().to_string(),
        ),
        _ => (Box::new(io::stdout().lock()), "standard output".to_owned()),
    };
    let out = io::BufWriter::with_capacity(256 * 1024, out);
    job.traffic
        .write_lines_as(out, stop, job.template)
        .map_err(crate::cli::stdio::writing(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_type_weights_parse() {
        assert_eq!(
            parse_log_type_weight("user_activity"),
            Ok((LogType::UserActivity, 1))
        );
        assert_eq!(
            parse_log_type_weight("zpn_auth_log=5"),
            Ok((LogType::UserStatus, 5))
        );
        assert!(parse_log_type_weight("user_activity=0").is_err());
        assert!(
            parse_log_type_weight("unknown")
                .unwrap_err()
                .contains("user_activity")
        );
    }
}
