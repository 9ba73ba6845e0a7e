//! `zpa-enricher demo`: the whole Kafka service on a machine with no broker.
//!
//! The demo starts librdkafka's in-process mock cluster, creates the raw, enriched and
//! dead-letter topics in it, and feeds the raw topic with [`zpa_enricher::synth::Traffic`] (the
//! producer of `zpa-enricher generate --topic`) on a background thread: a steady rate, optional
//! bursts of one code. It then runs
//! the real service ([`zpa_enricher::service::run`]) against the mock cluster, with the user's
//! settings except the brokers and the security settings, and prints a summary of the
//! service's own metrics every second: redrawn in place on a terminal, as plain blocks
//! otherwise (CI logs). It stops after `--duration` or on Ctrl-C/SIGTERM through the service's
//! graceful shutdown, and prints a final summary with a check that every consumed record was
//! delivered once.
//!
//! This module must not reimplement any part of the pipeline: what it shows is what
//! `zpa-enricher run` does, read from the same registry `/metrics` serves.

pub(super) mod summary;

use std::io::{self, IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use rdkafka::mocking::MockCluster;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use zpa_enricher::catalog::Catalog;
use zpa_enricher::config::{ConfigError, Settings};
use zpa_enricher::kafka::SecuritySettings;
use zpa_enricher::service::{self, Running, ServiceError};
use zpa_enricher::synth::{
    Burst, GeneratorOptions, KafkaTarget, Traffic, TrafficCounts, Undelivered,
};

pub(super) use summary::{Frame, Snapshot, render};

/// How long the traffic's producer may take to deliver what is queued when the demo stops.
const TRAFFIC_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// What the demo does.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DemoOptions {
    /// Generated records per second (at least 1).
    pub rate: u64,
    /// Stop after this long; `None` runs until a stop signal.
    pub duration: Option<Duration>,
    /// Partitions of each topic in the mock cluster.
    pub partitions: i32,
    /// Generator seed, log-type mix, unknown and invalid ratios.
    pub generator: GeneratorOptions,
    /// Bursts of one code, if any.
    pub burst: Option<Burst>,
    /// Codes shown per severity in the summary.
    pub top: usize,
}

/// Why the demo stopped with an error.
#[derive(Debug, thiserror::Error)]
pub(super) enum DemoError {
    /// The mock cluster could not be started.
    #[error("cannot start the mock Kafka cluster")]
    MockCluster(#[source] KafkaError),
    /// A topic could not be created in the mock cluster.
    #[error("cannot create topic {topic} in the mock Kafka cluster")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// The cause.
        #[source]
        source: KafkaError,
    },
    /// The settings, pointed at the mock cluster, are not valid.
    #[error("the settings cannot be used with the mock cluster")]
    Settings(#[source] ConfigError),
    /// The service failed to start or stopped on a fatal error.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The traffic thread could not be started.
    #[error("cannot start the traffic generator")]
    Spawn(#[source] io::Error),
    /// The traffic generator's producer failed.
    #[error("the traffic generator failed")]
    Traffic(#[source] KafkaError),
    /// The traffic thread panicked.
    #[error("the traffic generator thread panicked")]
    TrafficPanicked,
    /// The summary could not be written to stdout.
    #[error("cannot write the summary to stdout")]
    Output(#[source] io::Error),
}

/// The user's settings pointed at the mock cluster at `brokers`. The security settings are reset
/// (the mock cluster speaks plaintext only); everything else, topics and group included, is kept.
///
/// # Errors
/// The adjusted settings do not validate.
pub(super) fn demo_settings(settings: &Settings, brokers: &str) -> Result<Settings, DemoError> {
    let mut s = settings.clone();
    s.kafka.brokers = brokers.to_owned();
    if s.kafka.security != SecuritySettings::default() {
        tracing::info!("kafka.security is ignored: the mock cluster speaks plaintext only");
        s.kafka.security = SecuritySettings::default();
    }
    s.validate().map_err(DemoError::Settings)?;
    Ok(s)
}

/// The topics the demo creates: the input topics, the output topic and the dead-letter topic,
/// without duplicates or empty names.
#[must_use]
pub(super) fn demo_topics(settings: &Settings) -> Vec<String> {
    let k = &settings.kafka;
    let mut topics: Vec<String> = Vec::new();
    for t in k.input_topics.iter().chain([&k.output_topic, &k.dlq_topic]) {
        if !t.trim().is_empty() && !topics.contains(t) {
            topics.push(t.clone());
        }
    }
    topics
}

/// The URL of `/metrics` on `addr`; an unspecified address (`0.0.0.0`, `::`) is shown as the
/// loopback address, which is where a browser on this machine reaches it.
#[must_use]
pub(super) fn metrics_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/metrics", SocketAddr::new(ip, addr.port()))
}

/// Runs the demo until `opts.duration` has passed or `shutdown` is cancelled (the service
/// cancels it on SIGTERM/SIGINT), then prints the final summary and returns it.
///
/// # Errors
/// The mock cluster, its topics, the service or the traffic generator fail, or stdout cannot be
/// written.
pub(super) async fn run(
    settings: &Settings,
    catalog: Arc<Catalog>,
    opts: &DemoOptions,
    shutdown: CancellationToken,
) -> Result<Snapshot, DemoError> {
    let cluster = MockCluster::new(1).map_err(DemoError::MockCluster)?;
    let brokers = cluster.bootstrap_servers();
    let settings = demo_settings(settings, &brokers)?;
    for topic in demo_topics(&settings) {
        cluster
            .create_topic(&topic, opts.partitions, 1)
            .map_err(|source| DemoError::CreateTopic {
                topic: topic.clone(),
                source,
            })?;
    }
    tracing::info!(%brokers, partitions = opts.partitions, "mock Kafka cluster started");

    let screen = Screen::new(io::stdout().is_terminal());
    let counts = Arc::new(TrafficCounts::default());
    let (started_tx, started_rx) = oneshot::channel::<Running>();
    let service = service::run(&settings, Arc::clone(&catalog), shutdown.clone(), |r| {
        // The receiver lives as long as the join below.
        started_tx.send(r.clone()).ok();
    });
    let watch = Watch {
        settings: &settings,
        catalog,
        opts,
        counts: &counts,
        shutdown: &shutdown,
        screen,
        brokers: &brokers,
    };
    let (served, watched) = tokio::join!(service, watch.run(started_rx));
    // Whatever ended first, nothing may keep running: stop the traffic too.
    shutdown.cancel();
    let watched = match watched {
        Ok(Some(w)) => w,
        Ok(None) => {
            // The service did not start; its error says why.
            served?;
            return Ok(Snapshot::default());
        }
        Err(e) => {
            served?;
            return Err(e);
        }
    };
    let traffic = join_traffic(watched.traffic).await;
    served?;
    traffic?;
    let mut last = Snapshot::from_families(&watched.running.metrics.registry().gather());
    last.generated = counts.sent.load(Ordering::Relaxed);
    let elapsed = watched.started.elapsed();
    let text = render(
        &last,
        &Snapshot::default(),
        elapsed,
        &Frame {
            title: "final summary",
            elapsed,
            metrics_url: &watched.url,
            top: opts.top,
            last: true,
        },
    );
    screen
        .show(&watched.banner, &text)
        .map_err(DemoError::Output)?;
    // The clients are gone; the cluster may go now.
    drop(cluster);
    Ok(last)
}

/// Starts the traffic's producing thread; it runs until `stop` is cancelled, then flushes. If the
/// producer fails, the thread cancels `stop` itself (the demo has no traffic left to show) and
/// returns the error.
fn spawn_traffic(
    traffic: Traffic,
    target: KafkaTarget,
    counts: Arc<TrafficCounts>,
    stop: CancellationToken,
) -> io::Result<JoinHandle<Result<(), KafkaError>>> {
    std::thread::Builder::new()
        .name("demo-traffic".into())
        .spawn(move || {
            let result = traffic.produce(&target, &counts, &stop);
            if let Err(error) = &result {
                tracing::error!(%error, "demo traffic: producing failed; stopping the demo");
                stop.cancel();
            }
            result
        })
}

/// Waits for the traffic thread (it stops on the cancelled token and flushes).
async fn join_traffic(handle: JoinHandle<Result<(), KafkaError>>) -> Result<(), DemoError> {
    match tokio::task::spawn_blocking(move || handle.join()).await {
        Ok(Ok(result)) => result.map_err(DemoError::Traffic),
        Ok(Err(_)) | Err(_) => Err(DemoError::TrafficPanicked),
    }
}

/// The parts the live summary needs.
struct Watch<'a> {
    settings: &'a Settings,
    catalog: Arc<Catalog>,
    opts: &'a DemoOptions,
    counts: &'a Arc<TrafficCounts>,
    shutdown: &'a CancellationToken,
    screen: Screen,
    brokers: &'a str,
}

/// What [`Watch::run`] leaves for the final summary.
struct Watched {
    running: Running,
    traffic: JoinHandle<Result<(), KafkaError>>,
    started: Instant,
    url: String,
    banner: String,
}

impl Watch<'_> {
    /// Once the service is up: starts the traffic, then shows a summary every second until the
    /// duration has passed (it then cancels the token) or the token is cancelled. `None` when
    /// the service never started (its own error says why).
    async fn run(self, started: oneshot::Receiver<Running>) -> Result<Option<Watched>, DemoError> {
        let Ok(running) = started.await else {
            return Ok(None);
        };
        let k = &self.settings.kafka;
        let Some(raw) = k.input_topics.first() else {
            // Validation guarantees an input topic; stop cleanly anyway.
            self.shutdown.cancel();
            return Ok(None);
        };
        let url = metrics_url(running.metrics_addr);
        let mut client = rdkafka::ClientConfig::new();
        client.set("bootstrap.servers", self.brokers);
        let traffic = Traffic {
            catalog: Arc::clone(&self.catalog),
            options: self.opts.generator.clone(),
            rate: self.opts.rate,
            count: 0,
            burst: self.opts.burst.clone(),
            enricher: None,
        };
        let target = KafkaTarget {
            client,
            topic: raw.clone(),
            client_id: "zpa-enricher-demo-traffic".into(),
            compression: "lz4".into(),
            key_field: "SessionID".into(),
            flush_timeout: TRAFFIC_FLUSH_TIMEOUT,
            undelivered: Undelivered::Warn,
        };
        let spawned = spawn_traffic(
            traffic,
            target,
            Arc::clone(self.counts),
            self.shutdown.clone(),
        );
        let handle = match spawned {
            Ok(h) => h,
            Err(e) => {
                self.shutdown.cancel();
                return Err(DemoError::Spawn(e));
            }
        };
        let banner = self.banner(&url);
        let watched = Watched {
            running,
            traffic: handle,
            started: Instant::now(),
            url,
            banner,
        };
        tracing::info!(url = %watched.url, "demo running");
        if let Err(e) = self.screen.start(&watched.banner) {
            self.shutdown.cancel();
            return Err(DemoError::Output(e));
        }
        self.live(&watched).await?;
        Ok(Some(watched))
    }

    fn banner(&self, url: &str) -> String {
        let k = &self.settings.kafka;
        let o = self.opts;
        let bursts = o.burst.as_ref().map_or_else(
            || "no bursts".to_owned(),
            |b| {
                let spread = if b.spread.is_zero() {
                    String::new()
                } else {
                    format!(" over {} s", b.spread.as_secs())
                };
                format!(
                    "bursts of {} {}{spread} every {} s",
                    b.size,
                    b.code,
                    b.every.as_secs()
                )
            },
        );
        let until = o.duration.map_or_else(
            || "runs until Ctrl-C".to_owned(),
            |d| format!("stops after {} s or on Ctrl-C", d.as_secs()),
        );
        format!(
            "zpa-enricher demo: mock Kafka cluster at {}, {} -> {} (dead letters to {}), {} partitions each\n\
             traffic: {} records/s, {bursts}; metrics at {url}; {until}\n",
            self.brokers,
            k.input_topics.join(","),
            k.output_topic,
            k.dlq_topic,
            o.partitions,
            o.rate,
        )
    }

    async fn live(&self, watched: &Watched) -> Result<(), DemoError> {
        let deadline = self.opts.duration.map(|d| tokio::time::Instant::now() + d);
        let until_deadline = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(until_deadline);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        // The first tick is immediate: nothing to show yet.
        tick.tick().await;
        let mut prev = Snapshot::default();
        let mut prev_at = watched.started;
        loop {
            tokio::select! {
                () = self.shutdown.cancelled() => return Ok(()),
                () = &mut until_deadline => {
                    tracing::info!("demo duration reached: stopping");
                    self.shutdown.cancel();
                    return Ok(());
                }
                _ = tick.tick() => {
                    let mut now = Snapshot::from_families(&watched.running.metrics.registry().gather());
                    now.generated = self.counts.sent.load(Ordering::Relaxed);
                    let text = render(&now, &prev, prev_at.elapsed(), &Frame {
                        title: "live",
                        elapsed: watched.started.elapsed(),
                        metrics_url: &watched.url,
                        top: self.opts.top,
                        last: false,
                    });
                    if let Err(e) = self.screen.show(&watched.banner, &text) {
                        self.shutdown.cancel();
                        return Err(DemoError::Output(e));
                    }
                    prev = now;
                    prev_at = Instant::now();
                }
            }
        }
    }
}

/// Where the summary goes: a terminal is redrawn in place, under the banner; anything else
/// (a pipe, a CI log) gets the banner once and then one plain block per second.
#[derive(Debug, Clone, Copy)]
struct Screen {
    terminal: bool,
}

/// ANSI: cursor home, then clear the screen.
const CLEAR: &str = "\x1b[H\x1b[2J";

impl Screen {
    fn new(terminal: bool) -> Self {
        Self { terminal }
    }

    fn start(self, banner: &str) -> io::Result<()> {
        if self.terminal {
            Ok(())
        } else {
            write_stdout(&format!("{banner}\n"))
        }
    }

    fn show(self, banner: &str, block: &str) -> io::Result<()> {
        if self.terminal {
            write_stdout(&format!("{CLEAR}{banner}\n{block}"))
        } else {
            write_stdout(&format!("{block}\n"))
        }
    }
}

fn write_stdout(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zpa_enricher::config::Sources;
    use zpa_enricher::kafka::SecurityProtocol;

    fn settings() -> Settings {
        Settings::load(&Sources {
            env: Some(std::collections::HashMap::new()),
            ..Sources::default()
        })
        .unwrap()
    }

    #[test]
    fn settings_point_at_the_mock_cluster_and_keep_the_rest() {
        let mut user = settings();
        user.kafka.group_id = "mine".into();
        user.kafka.output_topic = "out".into();
        user.kafka.security.protocol = SecurityProtocol::SaslSsl;
        user.kafka.security.sasl_username = "u".into();
        user.metrics.addr = "127.0.0.1:0".into();
        let s = demo_settings(&user, "127.0.0.1:40000").unwrap();
        assert_eq!(s.kafka.brokers, "127.0.0.1:40000");
        assert_eq!(s.kafka.security, SecuritySettings::default());
        assert_eq!(s.kafka.group_id, "mine");
        assert_eq!(s.kafka.output_topic, "out");
        assert_eq!(s.metrics.addr, "127.0.0.1:0");
        assert_eq!(s.service, user.service);
    }

    #[test]
    fn invalid_settings_are_refused() {
        let mut user = settings();
        user.kafka.output_topic = user.kafka.input_topics[0].clone();
        assert!(matches!(
            demo_settings(&user, "127.0.0.1:1"),
            Err(DemoError::Settings(_))
        ));
    }

    #[test]
    fn topics_are_listed_once() {
        let mut s = settings();
        assert_eq!(demo_topics(&s), ["zpa.raw", "zpa.enriched", "zpa.dlq"]);
        s.kafka.input_topics = vec!["a".into(), "b".into(), "a".into()];
        s.kafka.dlq_topic = String::new();
        assert_eq!(demo_topics(&s), ["a", "b", "zpa.enriched"]);
    }

    #[test]
    fn metrics_url_uses_loopback_for_unspecified_addresses() {
        let url = |a: &str| metrics_url(a.parse().unwrap());
        assert_eq!(url("127.0.0.1:9464"), "http://127.0.0.1:9464/metrics");
        assert_eq!(url("0.0.0.0:9464"), "http://127.0.0.1:9464/metrics");
        assert_eq!(url("[::]:80"), "http://[::1]:80/metrics");
        assert_eq!(url("10.1.2.3:1"), "http://10.1.2.3:1/metrics");
    }
}
