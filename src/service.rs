//! `zpa-enricher run` and `zpa-enricher receive`: wire the parts of the service together and run
//! them until a stop signal or a fatal error.
//!
//! # Shutdown
//! SIGTERM or SIGINT cancels the run token. The pipeline then stops consuming, drains its
//! in-flight window (storing offsets as acknowledgements arrive), flushes the producer and
//! commits, all within `service.shutdown_grace_period_secs`; `/readyz` turns 503 at once.
//! Fatal errors (bad credentials, a record undeliverable past its timeout, an invalid record
//! under `kafka.on_invalid = "fail"`) take the same path and then exit non-zero.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::FutureProducer;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::admin::{self, Health};
use crate::catalog::Catalog;
use crate::config::{CatalogMode, ListenerSpec, Settings};
use crate::enrich::Enricher;
use crate::event::{LineReader, Template};
use crate::kafka::context::{Fatal, ServiceContext};
use crate::kafka::{self, KafkaSetupError};
use crate::metrics::Metrics;
#[cfg(feature = "bench-passthrough")]
use crate::pipeline::Passthrough;
use crate::pipeline::{Handles, Pipeline, PipelineError, PipelineOptions};
use crate::receiver::{
    Bound, ListenerOptions, Receiver, ReceiverError, ReceiverOptions, TlsOptions,
};
use crate::reload::Reloader;

/// Why the service stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Kafka set-up failed at start.
    #[error(transparent)]
    Setup(#[from] KafkaSetupError),
    /// The metrics endpoint could not be started.
    #[error(transparent)]
    Admin(#[from] admin::AdminError),
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers")]
    Signals(#[source] std::io::Error),
    /// Metrics could not be registered.
    #[error("cannot register metrics")]
    Metrics(#[source] prometheus::Error),
    /// The pipeline stopped on a fatal condition.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The receiver cannot start (a listener cannot bind, certificate files cannot be used).
    #[error(transparent)]
    Receiver(#[from] ReceiverError),
    /// A listener's custom template does not parse.
    #[error("listener {listener:?}: its template cannot be read: {problem}")]
    Template {
        /// The listener.
        listener: String,
        /// What is wrong with the template, and where.
        problem: String,
    },
    /// The receiver stopped on a fatal condition (a delivery that cannot succeed).
    #[error("{0}")]
    Fatal(String),
}

/// Everything a running service is made of, for callers that want to observe it (the demo).
#[derive(Debug, Clone)]
pub struct Running {
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
    /// The address the metrics endpoint listens on.
    pub metrics_addr: SocketAddr,
    /// `receive`: each listener's name and the address it is bound to (empty for `run`).
    pub listeners: Vec<(String, SocketAddr)>,
}

/// Starts the metrics endpoint and the Kafka clients, then runs the pipeline until `shutdown`
/// is cancelled or something fatal happens. `on_start` is called once everything is up.
///
/// # Errors
/// A start-up failure (bad Kafka settings, unreachable brokers, missing topics, busy metrics
/// address) or a fatal condition while running.
pub async fn run(
    settings: &Settings,
    catalog: Arc<Catalog>,
    shutdown: CancellationToken,
    on_start: impl FnOnce(&Running),
) -> Result<(), ServiceError> {
    serve(settings, catalog, shutdown, on_start, |_| {}).await
}

/// [`run`], or one of the benchmark's reference set-ups ([`Passthrough`]). Only in a build with
/// the `bench-passthrough` feature.
///
/// # Errors
/// As [`run`].
#[cfg(feature = "bench-passthrough")]
pub async fn run_with(
    settings: &Settings,
    catalog: Arc<Catalog>,
    shutdown: CancellationToken,
    passthrough: Passthrough,
    on_start: impl FnOnce(&Running),
) -> Result<(), ServiceError> {
    match passthrough {
        Passthrough::Off => {}
        Passthrough::Copy => {
            tracing::warn!("passthrough mode: records are copied without enrichment");
        }
        Passthrough::Splice => tracing::warn!(
            "splice mode: enrichment spliced into User Activity records without validation"
        ),
    }
    serve(settings, catalog, shutdown, on_start, |opts| {
        opts.passthrough = passthrough;
    })
    .await
}

/// [`run`]; `adjust` may change the pipeline's options before it starts.
async fn serve(
    settings: &Settings,
    catalog: Arc<Catalog>,
    shutdown: CancellationToken,
    on_start: impl FnOnce(&Running),
    adjust: impl FnOnce(&mut PipelineOptions),
) -> Result<(), ServiceError> {
    let metrics =
        Arc::new(Metrics::new(&kafka::librdkafka_version()).map_err(ServiceError::Metrics)?);
    metrics.catalog_loaded(&catalog);
    let health = Arc::new(Health::new(Arc::clone(&metrics)));
    // Fatal errors from the Kafka clients cancel the same token a stop signal does.
    let fatal = Arc::new(Fatal::new(shutdown.clone()));

    let admin = Admin::start(settings, &metrics, &health).await?;
    let k = &settings.kafka;
    warn_clear_text_password(k);
    kafka::ensure_topics(&settings.kafka).await?;
    let context = || {
        ServiceContext::new(
            Arc::clone(&metrics),
            Arc::clone(&health),
            Arc::clone(&fatal),
            Duration::from_secs(settings.service.readiness_stall_secs),
        )
    };
    let consumer: StreamConsumer<ServiceContext> = kafka::consumer_config(&settings.kafka)?
        .create_with_context(context())
        .map_err(|source| KafkaSetupError::Client {
            what: "consumer",
            source,
        })?;
    let producer: FutureProducer<ServiceContext> = kafka::producer_config(&settings.kafka)?
        .create_with_context(context())
        .map_err(|source| KafkaSetupError::Client {
            what: "producer",
            source,
        })?;
    let topics: Vec<&str> = k.input_topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(|source| KafkaSetupError::Client {
            what: "consumer subscription",
            source,
        })?;
    health.set_producer_ok(true);

    let (catalog_version, catalog_entries) = (catalog.version().to_owned(), catalog.len());
    let enricher = Arc::new(Enricher::new(catalog, settings.enrich_options()));
    let (hup_tx, hup_rx) = mpsc::channel(1);
    let (reload_tx, reload_rx) = mpsc::channel(1);
    crate::shutdown::spawn(
        shutdown.clone(),
        hup_tx,
        Duration::from_secs(settings.service.shutdown_grace_period_secs),
    )
    .map_err(ServiceError::Signals)?;
    if let Some(path) = settings.catalog.user_file() {
        let reloader = catalog_reloader(settings, path);
        tokio::spawn(reloader.run(hup_rx, reload_tx, Arc::clone(&metrics), shutdown.clone()));
    } else {
        tokio::spawn(ignore_reloads(hup_rx));
    }

    let mut opts = PipelineOptions {
        output_topic: k.output_topic.clone(),
        dlq_topic: k.dlq_topic.clone(),
        on_invalid: k.on_invalid,
        partitioning: k.output_partitioning,
        timestamp: k.output_timestamp,
        max_in_flight: k.max_in_flight,
        pause_after: Duration::from_millis(settings.service.pause_after_ms),
        readiness_stall: Duration::from_secs(settings.service.readiness_stall_secs),
        shutdown_grace: Duration::from_secs(settings.service.shutdown_grace_period_secs),
        #[cfg(feature = "bench-passthrough")]
        passthrough: Passthrough::Off,
    };
    adjust(&mut opts);
    tracing::info!(
        brokers = %k.brokers,
        input = %k.input_topics.join(","),
        output = %k.output_topic,
        dlq = %k.dlq_topic,
        group = %k.group_id,
        grace_secs = settings.service.shutdown_grace_period_secs,
        catalog_version = %catalog_version,
        catalog_entries,
        catalog_path = %settings
            .catalog
            .user_file()
            .map_or_else(|| "built-in".to_owned(), |p| p.display().to_string()),
        catalog_mode = %settings.catalog.mode,
        "zpa-enricher running"
    );
    on_start(&Running {
        metrics: Arc::clone(&metrics),
        metrics_addr: admin.addr,
        listeners: Vec::new(),
    });
    let handles = Handles {
        metrics: Arc::clone(&metrics),
        health: Arc::clone(&health),
        fatal,
    };
    let result = Pipeline::new(consumer, producer, opts, enricher, handles, reload_rx)
        .run(shutdown.clone())
        .await;
    shutdown.cancel();
    admin.stop().await;
    result.map_err(ServiceError::from)
}

/// The admin endpoint (`/metrics`, `/healthz`, `/readyz`) of a running service.
struct Admin {
    addr: SocketAddr,
    token: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Admin {
    /// Binds `metrics.addr` and serves it until [`Admin::stop`].
    async fn start(
        settings: &Settings,
        metrics: &Arc<Metrics>,
        health: &Arc<Health>,
    ) -> Result<Admin, ServiceError> {
        let listener = admin::bind(&settings.metrics.addr).await?;
        let addr = listener.local_addr().map_err(|e| admin::AdminError::Bind {
            addr: settings.metrics.addr.clone(),
            source: e,
        })?;
        let token = CancellationToken::new();
        let task = tokio::spawn(admin::serve(
            listener,
            Arc::clone(metrics),
            Arc::clone(health),
            token.clone(),
        ));
        tracing::info!(%addr, "metrics on /metrics, health on /healthz and /readyz");
        Ok(Admin { addr, token, task })
    }

    /// Stops the endpoint. It is stopped after the work it reports on, so that a last scrape
    /// sees the final counts.
    async fn stop(self) {
        self.token.cancel();
        if let Ok(Err(e)) = self.task.await {
            tracing::warn!(error = %e, "metrics endpoint stopped with an error");
        }
    }
}

/// Warns when the Kafka settings send a password in clear text.
fn warn_clear_text_password(k: &crate::kafka::KafkaSettings) {
    if k.security.sasl_mechanism == crate::kafka::SaslMechanism::Plain
        && k.security.protocol == crate::kafka::SecurityProtocol::SaslPlaintext
    {
        tracing::warn!("SASL PLAIN without TLS sends the password in clear text");
    }
}

/// The reloader of the catalog file at `path`.
fn catalog_reloader(settings: &Settings, path: &std::path::Path) -> Reloader {
    Reloader {
        path: path.to_owned(),
        replace: settings.catalog.mode == CatalogMode::Replace,
        interval: Duration::from_secs(settings.service.catalog_reload_interval_secs),
        options: settings.enrich_options(),
    }
}

/// Without a catalog file there is nothing to reload: says so on every SIGHUP.
async fn ignore_reloads(mut hup: mpsc::Receiver<()>) {
    while hup.recv().await.is_some() {
        tracing::warn!(
            "no catalog file is configured (catalog.path), so there is nothing to reload; the built-in catalog stays in use"
        );
    }
}

/// `zpa-enricher receive`: starts the metrics endpoint, checks the topics, binds the listeners
/// and creates the producer, then receives until `shutdown` is cancelled or something fatal
/// happens, and drains (reads what the peers sent, produces, flushes). `on_start` is called
/// once everything is up, with the listeners' bound addresses.
///
/// SIGHUP reloads the certificate files (and, with enrichment and a catalog file, the catalog).
///
/// # Errors
/// A start-up failure (bad Kafka settings, unreachable brokers, missing topics, a busy metrics
/// or listener address, unusable certificate files) or a fatal condition while running.
pub async fn receive(
    settings: &Settings,
    catalog: Arc<Catalog>,
    shutdown: CancellationToken,
    on_start: impl FnOnce(&Running),
) -> Result<(), ServiceError> {
    let r = &settings.receive;
    let k = &settings.kafka;
    let opts = receiver_options(settings)?;
    let metrics =
        Arc::new(Metrics::new(&kafka::librdkafka_version()).map_err(ServiceError::Metrics)?);
    let receive_metrics = metrics.receive().map_err(ServiceError::Metrics)?;
    if r.enrich {
        metrics.catalog_loaded(&catalog);
    }
    let health = Arc::new(Health::receiver(Arc::clone(&metrics)));
    let fatal = Arc::new(Fatal::new(shutdown.clone()));

    let admin = Admin::start(settings, &metrics, &health).await?;
    warn_clear_text_password(k);
    // Certificates are checked and addresses bound before Kafka is asked anything: a mistake
    // in them is the quicker to report.
    let bound = Bound::new(&opts, &receive_metrics).await?;
    let mut topics = vec![r.topic.as_str(), k.dlq_topic.as_str()];
    if r.enrich {
        topics.push(&k.output_topic);
    }
    kafka::ensure_these(k, topics).await?;
    let mut producer_config = kafka::producer_config(k)?;
    // The producer's queue holds what the in-flight bound lets through, and the dead letters.
    producer_config.set(
        "queue.buffering.max.messages",
        r.max_in_flight.saturating_mul(2).max(1000).to_string(),
    );
    let context = ServiceContext::new(
        Arc::clone(&metrics),
        Arc::clone(&health),
        Arc::clone(&fatal),
        Duration::from_secs(settings.service.readiness_stall_secs),
    );
    let enricher = r.enrich.then(|| {
        Arc::new(Enricher::new(
            Arc::clone(&catalog),
            settings.enrich_options(),
        ))
    });
    let handles = crate::receiver::Handles {
        metrics: Arc::clone(&metrics),
        receive: receive_metrics,
        health: Arc::clone(&health),
        fatal: Arc::clone(&fatal),
    };
    let receiver = Receiver::new(opts, bound, &producer_config, context, enricher, handles)?;
    health.set_producer_ok(true);

    // One SIGHUP reloads the certificates, and the catalog when there is one to reload.
    let (hup_tx, mut hup_rx) = mpsc::channel(1);
    let (tls_tx, tls_rx) = mpsc::channel(1);
    let (catalog_tx, catalog_rx) = mpsc::channel(1);
    crate::shutdown::spawn(
        shutdown.clone(),
        hup_tx,
        Duration::from_secs(settings.service.shutdown_grace_period_secs),
    )
    .map_err(ServiceError::Signals)?;
    tokio::spawn(async move {
        while hup_rx.recv().await.is_some() {
            // A full channel means a reload is pending already.
            tls_tx.try_send(()).ok();
            catalog_tx.try_send(()).ok();
        }
    });
    let (reload_tx, reload_rx) = mpsc::channel(1);
    match settings.catalog.user_file().filter(|_| r.enrich) {
        Some(path) => {
            let reloader = catalog_reloader(settings, path);
            tokio::spawn(reloader.run(
                catalog_rx,
                reload_tx,
                Arc::clone(&metrics),
                shutdown.clone(),
            ));
        }
        None => drop(catalog_rx),
    }

    let listeners = receiver.addrs();
    tracing::info!(
        brokers = %k.brokers,
        topic = %r.topic,
        dlq = %k.dlq_topic,
        enrich = r.enrich,
        output = %if r.enrich { k.output_topic.as_str() } else { "-" },
        listeners = %listeners
            .iter()
            .map(|(name, addr)| format!("{name}={addr}"))
            .collect::<Vec<_>>()
            .join(","),
        grace_secs = settings.service.shutdown_grace_period_secs,
        "zpa-enricher receiving"
    );
    on_start(&Running {
        metrics: Arc::clone(&metrics),
        metrics_addr: admin.addr,
        listeners,
    });
    receiver.run(shutdown.clone(), tls_rx, reload_rx).await;
    shutdown.cancel();
    admin.stop().await;
    match fatal.reason() {
        Some(reason) => {
            health.set_fatal(reason.clone());
            Err(ServiceError::Fatal(reason))
        }
        None => Ok(()),
    }
}

/// The receiver's options from the settings.
fn receiver_options(settings: &Settings) -> Result<ReceiverOptions, ServiceError> {
    let r = &settings.receive;
    let k = &settings.kafka;
    let secs = |s: u64| (s > 0).then(|| Duration::from_secs(s));
    let listeners = r
        .listeners()
        .iter()
        .map(|spec| {
            Ok(ListenerOptions {
                name: spec.name.clone(),
                addr: spec.addr.clone(),
                reader: line_reader(spec)?,
                log_type: spec.log_type,
                tls: spec.tls.as_ref().map(|t| TlsOptions {
                    cert: t.cert.clone(),
                    key: t.key.clone(),
                    client_ca: t.client_ca.clone(),
                }),
                max_connections: spec.max_connections,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    Ok(ReceiverOptions {
        listeners,
        raw_topic: r.topic.clone(),
        output_topic: k.output_topic.clone(),
        dlq_topic: k.dlq_topic.clone(),
        enrich: r.enrich,
        on_invalid: k.on_invalid,
        output_timestamp: k.output_timestamp,
        max_line_bytes: r.max_line_bytes,
        dead_letter_prefix_bytes: r.dead_letter_prefix_bytes,
        max_connections: r.max_connections,
        idle_timeout: secs(r.idle_timeout_secs),
        tls_handshake_timeout: Duration::from_secs(r.tls_handshake_timeout_secs.max(1)),
        read_buffer_bytes: r.read_buffer_bytes,
        max_in_flight: r.max_in_flight,
        tls_reload_interval: secs(r.tls_reload_interval_secs),
        shutdown_grace: Duration::from_secs(settings.service.shutdown_grace_period_secs),
        readiness_stall: Duration::from_secs(settings.service.readiness_stall_secs),
    })
}

/// How a listener reads its lines: its custom template when it has one, else its format.
fn line_reader(spec: &ListenerSpec) -> Result<LineReader, ServiceError> {
    let Some(text) = &spec.template else {
        return Ok(LineReader::new(spec.format, spec.log_type));
    };
    // The settings were checked before; a template that does not parse is still refused.
    let template = Template::parse(text).map_err(|e| ServiceError::Template {
        listener: spec.name.clone(),
        problem: e.to_string(),
    })?;
    Ok(LineReader::with_template(template, spec.log_type))
}
