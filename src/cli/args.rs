//! Command-line interface (clap derive). Parsing only; `main` dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::cli::commands::catalog::{ExportFormat, StatsFormat as CatalogStatsFormat};
use crate::cli::commands::enrich::{OnInvalid, StatsFormat};
use crate::cli::commands::sync::ReportFormat;
use zpa_enricher::catalog::{Category, Component, ENTRY_LOG_TYPES, Severity, entry_log_type};
use zpa_enricher::config::{FormatKind, LogFormat};
use zpa_enricher::event::{LineFormat, LogType};
use zpa_enricher::synth::{Burst, Start};

/// Enriches Zscaler Private Access (ZPA) LSS log records with human-readable status-code
/// context: status, description, severity, component, category and remediation.
#[derive(Debug, Parser)]
#[command(name = "zpa-enricher", version, about, long_about = None)]
#[command(args_conflicts_with_subcommands = false, subcommand_required = false)]
pub(crate) struct Cli {
    /// Settings file (TOML, YAML or JSON); see config/default.toml for every key.
    #[arg(short, long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Validate the settings and the catalog, report every problem, and exit.
    #[arg(long, global = true)]
    pub check_config: bool,

    /// Print the effective settings (all layers applied) as TOML and exit.
    #[arg(long, global = true)]
    pub print_config: bool,

    /// Log format on stderr (overrides log.format).
    #[arg(long, global = true, value_name = "FORMAT", value_parser = parse_vocab::<LogFormat>)]
    pub log_format: Option<LogFormat>,

    /// A catalog file of your own (overrides catalog.path).
    #[arg(long, global = true, value_name = "FILE")]
    pub catalog: Option<PathBuf>,

    /// The command to run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Enrich newline-delimited LSS records (stdin to stdout by default).
    Enrich(EnrichArgs),
    /// Inspect or export the status-code catalog.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Write realistic synthetic LSS records: lines to stdout or a file, lines to a log receiver
    /// over TCP or TLS, or records to a Kafka topic.
    Generate(GenerateArgs),
    /// Run the Kafka service: consume raw records, enrich, produce, export metrics.
    Run(RunArgs),
    /// Receive LSS from App Connectors: listen on TCP or TLS ports, read one record per line,
    /// produce each to the raw topic (and, with --enrich, enriched to the output topic).
    Receive(ReceiveArgs),
    /// Run the whole service against an in-process mock Kafka cluster fed by the generator,
    /// with a live summary on stdout (no broker needed).
    Demo(DemoArgs),
    /// Ask a running service's /readyz (or /healthz); exit 0 when it answers 200 (for container
    /// health checks).
    Healthcheck(HealthcheckArgs),
}

/// `healthcheck` arguments.
#[derive(Debug, Args)]
pub(crate) struct HealthcheckArgs {
    /// Address of the service's metrics endpoint (default: `metrics.addr`, with a wildcard
    /// address reached over loopback).
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_host_port)]
    pub addr: Option<String>,
    /// The endpoint to ask: `ready` (/readyz) or `alive` (/healthz).
    #[arg(long, value_enum, default_value_t = crate::cli::commands::healthcheck::Endpoint::Ready)]
    pub endpoint: crate::cli::commands::healthcheck::Endpoint,
    /// Give up after this many milliseconds (each of connect, send, receive).
    #[arg(long, default_value_t = 2000, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub timeout_ms: u64,
}

/// `demo` arguments.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Generated records per second produced into the raw topic.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub rate: u64,
    /// Stop after this many seconds (0: run until Ctrl-C or SIGTERM).
    #[arg(long, default_value_t = 0, value_name = "SECS")]
    pub duration: u64,
    /// Address of /metrics, /healthz and /readyz (`metrics.addr`); port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:9464", value_name = "HOST:PORT")]
    pub metrics_addr: String,
    /// The status code of the bursts.
    #[arg(
        long,
        default_value = "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY",
        value_name = "CODE"
    )]
    pub burst_code: String,
    /// Seconds between two bursts of --burst-code (0: no bursts).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub burst_every_secs: u64,
    /// Records in one burst.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub burst_size: u64,
    /// Spread the records of one burst evenly over this many seconds (0: all at once; at most
    /// --burst-every-secs).
    #[arg(long, default_value_t = 0, value_name = "SECS")]
    pub burst_spread_secs: u64,
    /// Seconds from the start to the first burst (default: --burst-every-secs).
    #[arg(long, value_name = "SECS")]
    pub burst_first_secs: Option<u64>,
    /// Fraction of User Activity records with a code the catalog does not know (0 to 1).
    #[arg(long, default_value_t = 0.002, value_parser = parse_ratio)]
    pub unknown_ratio: f64,
    /// Fraction of deliberately invalid records, which go to the dead-letter topic (0 to 1).
    #[arg(long, default_value_t = 0.002, value_parser = parse_ratio)]
    pub invalid_ratio: f64,
    /// Partitions of each topic in the mock cluster.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..=64))]
    pub partitions: i32,
    /// Codes shown per severity in the summary.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub top: usize,
    /// Seed of the generator (default: a new seed each run).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// `run` arguments: the common Kafka settings as flags (everything else in the config file or
/// environment).
#[derive(Debug, Args, Default)]
pub(crate) struct RunArgs {
    /// Bootstrap servers, e.g. 127.0.0.1:9092 (`kafka.brokers`).
    #[arg(long, value_name = "HOST:PORT,...")]
    pub brokers: Option<String>,
    /// Input topic; repeat or separate with commas for several (`kafka.input_topics`).
    #[arg(long = "input-topic", value_name = "TOPIC", value_delimiter = ',')]
    pub input_topics: Vec<String>,
    /// Topic for enriched records (`kafka.output_topic`).
    #[arg(long, value_name = "TOPIC")]
    pub output_topic: Option<String>,
    /// Dead-letter topic (`kafka.dlq_topic`).
    #[arg(long, value_name = "TOPIC")]
    pub dlq_topic: Option<String>,
    /// Consumer group (`kafka.group_id`).
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Address of /metrics, /healthz and /readyz (`metrics.addr`).
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_addr: Option<String>,
    /// Benchmark reference set-ups, with the same clients, window and offset handling: `copy`
    /// (the default) sends records unchanged, the ceiling; `splice` writes the enriched output
    /// of User Activity records with catalog codes without validating or scanning them. Only in
    /// a build with the `bench-passthrough` feature.
    #[cfg(feature = "bench-passthrough")]
    #[arg(
        long,
        hide = true,
        value_name = "MODE",
        num_args = 0..=1,
        default_missing_value = "copy"
    )]
    pub passthrough: Option<PassthroughMode>,
}

/// `run --passthrough` modes.
#[cfg(feature = "bench-passthrough")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PassthroughMode {
    /// Records unchanged.
    Copy,
    /// Enrichment spliced in without validation.
    Splice,
}

impl RunArgs {
    /// What the pipeline does with each record.
    #[cfg(feature = "bench-passthrough")]
    #[must_use]
    pub(crate) fn passthrough(&self) -> zpa_enricher::pipeline::Passthrough {
        use zpa_enricher::pipeline::Passthrough;
        match self.passthrough {
            None => Passthrough::Off,
            Some(PassthroughMode::Copy) => Passthrough::Copy,
            Some(PassthroughMode::Splice) => Passthrough::Splice,
        }
    }

    /// The settings these flags override, as `(key, value)` pairs.
    #[must_use]
    pub(crate) fn overrides(&self) -> Vec<(String, zpa_enricher::config::Override)> {
        use zpa_enricher::config::Override;
        let mut o = Vec::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                o.push((k.to_owned(), Override::Str(v.clone())));
            }
        };
        put("kafka.brokers", &self.brokers);
        put("kafka.output_topic", &self.output_topic);
        put("kafka.dlq_topic", &self.dlq_topic);
        put("kafka.group_id", &self.group);
        put("metrics.addr", &self.metrics_addr);
        if !self.input_topics.is_empty() {
            o.push((
                "kafka.input_topics".to_owned(),
                Override::List(self.input_topics.clone()),
            ));
        }
        o
    }
}

/// `receive` arguments: the common settings of the log receiver as flags (everything else in
/// the config file's `[receive]` section or the environment).
#[derive(Debug, Args, Default)]
pub(crate) struct ReceiveArgs {
    /// Bootstrap servers, e.g. 127.0.0.1:9092 (`kafka.brokers`).
    #[arg(long, value_name = "HOST:PORT,...")]
    pub brokers: Option<String>,
    /// Topic the received records go to (`receive.topic`).
    #[arg(long, value_name = "TOPIC", value_parser = parse_topic)]
    pub topic: Option<String>,
    /// Address to listen on, e.g. 0.0.0.0:9018; repeat for several listeners, one per log
    /// receiver (`receive.listen`).
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_host_port)]
    pub listen: Vec<String>,
    /// How lines are read: `json`, `csv` or `tsv` (the vendor's default templates), or `auto`,
    /// which tells them apart per line (`receive.format`; default auto).
    #[arg(long, value_name = "FORMAT", value_parser = parse_vocab::<LineFormat>)]
    pub format: Option<LineFormat>,
    /// PEM server certificate chain: the listeners speak TLS (`receive.tls_cert`).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert (`receive.tls_key`).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle: client certificates are required and verified against it, as LSS does
    /// with the App Connector enrollment CA (`receive.client_ca` and `receive.mtls`).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub client_ca: Option<PathBuf>,
    /// Also enrich: records go through the catalog straight to --output-topic, invalid ones
    /// to --dlq-topic (`receive.enrich`).
    #[arg(long)]
    pub enrich: bool,
    /// Topic for enriched records, with --enrich (`kafka.output_topic`).
    #[arg(long, value_name = "TOPIC", value_parser = parse_topic)]
    pub output_topic: Option<String>,
    /// Dead-letter topic: lines that are not records, and with --enrich invalid records
    /// (`kafka.dlq_topic`).
    #[arg(long, value_name = "TOPIC", value_parser = parse_topic)]
    pub dlq_topic: Option<String>,
    /// Address of /metrics, /healthz and /readyz (`metrics.addr`).
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_addr: Option<String>,
}

impl ReceiveArgs {
    /// The settings these flags override, as `(key, value)` pairs.
    #[must_use]
    pub(crate) fn overrides(&self) -> Vec<(String, zpa_enricher::config::Override)> {
        use zpa_enricher::config::Override;
        let mut o = Vec::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                o.push((k.to_owned(), Override::Str(v)));
            }
        };
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        put("kafka.brokers", self.brokers.clone());
        put("receive.topic", self.topic.clone());
        put("receive.format", self.format.map(|f| f.as_str().to_owned()));
        put("receive.tls_cert", path(&self.tls_cert));
        put("receive.tls_key", path(&self.tls_key));
        put("receive.client_ca", path(&self.client_ca));
        if self.client_ca.is_some() {
            put("receive.mtls", Some("true".to_owned()));
        }
        if self.enrich {
            put("receive.enrich", Some("true".to_owned()));
        }
        put("kafka.output_topic", self.output_topic.clone());
        put("kafka.dlq_topic", self.dlq_topic.clone());
        put("metrics.addr", self.metrics_addr.clone());
        if !self.listen.is_empty() {
            o.push((
                "receive.listen".to_owned(),
                Override::List(self.listen.clone()),
            ));
        }
        o
    }
}

/// `generate` arguments.
#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Number of records (0: without end, until interrupted).
    #[arg(short = 'n', long, default_value_t = 1000, value_parser = parse_whole)]
    pub count: u64,
    /// Records per second (0: as fast as possible).
    #[arg(long, default_value_t = 0, value_parser = parse_whole)]
    pub rate: u64,
    /// Seed; the same seed and options, with --start pinned, give the same records (default: a
    /// new seed each run).
    #[arg(long)]
    pub seed: Option<u64>,
    /// When the records' clock starts: `now`, the current time in UTC, or a UTC time such as
    /// 2026-11-25T08:00:00Z to pin it (reproducible fixtures). Records are about 1 ms apart;
    /// with --rate, a clock started now keeps up with the wall clock.
    #[arg(long, value_name = "TIME", default_value = "now")]
    pub start: Start,
    /// Log types to generate, as TYPE or TYPE=WEIGHT, repeatable, e.g.
    /// `--log-type user_activity=9 --log-type user_status` (default: a realistic mix of all).
    #[arg(long = "log-type", value_name = "TYPE[=WEIGHT]", value_parser = crate::cli::commands::generate::parse_log_type_weight)]
    pub log_types: Vec<(zpa_enricher::event::LogType, u32)>,
    /// Fraction of User Activity records with a code the catalog does not know (0 to 1).
    #[arg(long, default_value_t = 0.0, value_parser = parse_ratio)]
    pub unknown_ratio: f64,
    /// Fraction of deliberately invalid records (0 to 1).
    #[arg(long, default_value_t = 0.0, value_parser = parse_ratio)]
    pub invalid_ratio: f64,
    /// Output file ("-" for stdout).
    #[arg(short, long, value_name = "FILE", conflicts_with = "topic")]
    pub output: Option<PathBuf>,
    /// Produce to this Kafka topic instead of writing lines (needs --brokers).
    #[arg(long, value_name = "TOPIC", requires = "brokers", value_parser = parse_topic)]
    pub topic: Option<String>,
    /// Kafka bootstrap servers for --topic (the security settings and `kafka.librdkafka`
    /// properties of `[kafka]` apply).
    #[arg(long, value_name = "HOST:PORT,...", requires = "topic")]
    pub brokers: Option<String>,
    /// Compression of the produced batches: none, gzip, snappy, lz4 or zstd (with --topic).
    #[arg(long, default_value = "lz4", value_parser = ["none", "gzip", "snappy", "lz4", "zstd"], requires = "topic")]
    pub compression: String,
    /// Record field used as the message key, so one session's records share a partition
    /// (empty: no key; with --topic).
    #[arg(
        long,
        default_value = "SessionID",
        value_name = "FIELD",
        requires = "topic"
    )]
    pub key_field: String,
    /// Streaming to a log receiver over TCP or TLS instead (boxed: the flags would make every
    /// command's arguments as large as these).
    #[command(flatten)]
    pub tcp: Box<TcpArgs>,
    /// Write the records as `run` publishes them: enriched with the catalog and the `[output]`
    /// settings (invalid records unchanged). To try a SIEM's parsing or dashboards without the
    /// service.
    #[arg(long)]
    pub enriched: bool,
    /// With --enriched: `lss`, `ecs` or `splunk_hec`, as `enrich --format` (overrides output.format).
    #[arg(long, value_name = "FORMAT", value_parser = parse_vocab::<FormatKind>, requires = "enriched")]
    pub format: Option<FormatKind>,
    /// Write each record as a line of the vendor's default template of its log type: `json`
    /// (the record as it is), `csv` or `tsv`, as an LSS log receiver gets it (records of no
    /// known log type, and invalid ones, stay JSON).
    #[arg(
        long,
        value_name = "TEMPLATE",
        default_value = "json",
        value_parser = parse_template,
        conflicts_with_all = ["enriched", "topic"]
    )]
    pub template: LineFormat,
    /// The status code of the bursts.
    #[arg(
        long,
        default_value = "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY",
        value_name = "CODE",
        requires = "burst_every_secs"
    )]
    pub burst_code: String,
    /// Seconds between two bursts of --burst-code records, on top of the paced ones (0: no
    /// bursts).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub burst_every_secs: u64,
    /// Records in one burst.
    #[arg(
        long,
        default_value_t = 500,
        value_name = "N",
        requires = "burst_every_secs"
    )]
    pub burst_size: u64,
    /// Spread the records of one burst evenly over this many seconds, so that it looks like an
    /// incident that lasts rather than one instant (0: all at once; at most --burst-every-secs).
    #[arg(
        long,
        default_value_t = 0,
        value_name = "SECS",
        requires = "burst_every_secs"
    )]
    pub burst_spread_secs: u64,
    /// Seconds from the start to the first burst (default: --burst-every-secs).
    #[arg(long, value_name = "SECS", requires = "burst_every_secs")]
    pub burst_first_secs: Option<u64>,
}

/// `generate --tcp` and its TLS flags.
#[derive(Debug, Args)]
pub(crate) struct TcpArgs {
    /// Stream the records as lines to an LSS log receiver at HOST:PORT over TCP, as an App
    /// Connector does (`zpa-enricher receive`, or any receiver), instead of writing them;
    /// reconnects when the connection drops.
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_host_port, conflicts_with_all = ["topic", "output"])]
    pub tcp: Option<String>,
    /// With --tcp: speak TLS, trusting the CA certificates of this PEM file to sign the
    /// receiver's certificate (for a certificate from a public CA, the system's bundle, e.g.
    /// /etc/ssl/certs/ca-certificates.crt).
    #[arg(long, value_name = "FILE", requires = "tcp")]
    pub tls_ca: Option<PathBuf>,
    /// With --tls-ca: present this PEM client certificate (chain) to the receiver, as an App
    /// Connector presents its enrollment certificate (needs --tls-key).
    #[arg(long, value_name = "FILE", requires_all = ["tls_ca", "tls_key"])]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// With --tls-ca: the name the receiver's certificate must be valid for (default: the host
    /// of --tcp).
    #[arg(long, value_name = "NAME", requires = "tls_ca")]
    pub tls_server_name: Option<String>,
    /// With --tcp: how long to keep trying to connect, at the start or after losing the
    /// connection, before giving up with exit status 1.
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400), requires = "tcp")]
    pub connect_deadline_secs: u64,
}

impl GenerateArgs {
    /// The bursts these flags ask for.
    ///
    /// # Errors
    /// A spread longer than the interval between bursts.
    pub(crate) fn burst(&self) -> Result<Option<Burst>, String> {
        burst_from_flags(
            &self.burst_code,
            self.burst_every_secs,
            self.burst_size,
            self.burst_spread_secs,
            self.burst_first_secs,
        )
    }
}

impl DemoArgs {
    /// The bursts these flags ask for.
    ///
    /// # Errors
    /// A spread longer than the interval between bursts.
    pub(crate) fn burst(&self) -> Result<Option<Burst>, String> {
        burst_from_flags(
            &self.burst_code,
            self.burst_every_secs,
            self.burst_size,
            self.burst_spread_secs,
            self.burst_first_secs,
        )
    }
}

/// Bursts from the `--burst-*` flags; `None` when the interval or the size is 0.
fn burst_from_flags(
    code: &str,
    every_secs: u64,
    size: u64,
    spread_secs: u64,
    first_secs: Option<u64>,
) -> Result<Option<Burst>, String> {
    if spread_secs > every_secs && every_secs > 0 {
        return Err(format!(
            "--burst-spread-secs {spread_secs} is longer than --burst-every-secs {every_secs}: \
             one burst would not end before the next begins"
        ));
    }
    Ok(Burst::from_flags(code, every_secs, size).map(|b| {
        let b = b.spread_over(std::time::Duration::from_secs(spread_secs));
        match first_secs {
            Some(first) => b.first_after(std::time::Duration::from_secs(first)),
            None => b,
        }
    }))
}

fn parse_host_port(s: &str) -> Result<String, String> {
    if zpa_enricher::checks::is_host_port(s) {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "{s:?} is not HOST:PORT (e.g. 127.0.0.1:9464 or localhost:9464)"
        ))
    }
}

fn parse_whole(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("{s:?} is not a whole number of 0 or more"))
}

fn parse_topic(s: &str) -> Result<String, String> {
    match zpa_enricher::kafka::topic_name_problem(s) {
        Some(why) => Err(why),
        None => Ok(s.to_owned()),
    }
}

fn parse_ratio(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|r| (0.0..=1.0).contains(r))
        .ok_or_else(|| format!("{s:?} is not a number from 0 to 1"))
}

/// `enrich` arguments.
#[derive(Debug, Args)]
pub(crate) struct EnrichArgs {
    /// Input file, one record per line ("-" for stdin).
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Output file ("-" for stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// What to do with a record that cannot be read: write it unchanged (pass), move it to
    /// --rejects (reject), or stop with exit status 65 (fail).
    #[arg(long, value_enum, default_value_t = OnInvalid::Pass, value_name = "POLICY")]
    pub on_invalid: OnInvalid,
    /// File that rejected records are appended to, unchanged (with --on-invalid reject only).
    #[arg(long, value_name = "FILE", required_if_eq("on_invalid", "reject"))]
    pub rejects: Option<PathBuf>,
    /// Format of the per-code summary written to stderr at the end.
    #[arg(long, value_enum, default_value_t = StatsFormat::Text, value_name = "FORMAT")]
    pub stats: StatsFormat,
    /// What each record becomes: `lss` (the record with the enrichment added), `ecs` (an Elastic
    /// Common Schema document) or `splunk_hec` (a Splunk HTTP Event Collector envelope); overrides
    /// output.format.
    #[arg(long, value_name = "FORMAT", value_parser = parse_vocab::<FormatKind>)]
    pub format: Option<FormatKind>,
}

/// `catalog` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCommand {
    /// List the codes (optionally filtered).
    List {
        /// Only codes at or above this severity.
        #[arg(long, value_parser = parse_vocab::<Severity>)]
        severity: Option<Severity>,
        /// Only codes of this component (e.g. "App Connector").
        #[arg(long, value_parser = parse_vocab::<Component>)]
        component: Option<Component>,
        /// Only codes of this category.
        #[arg(long, value_parser = parse_vocab::<Category>)]
        category: Option<Category>,
        /// Only codes that appear in this log type (e.g. `app_connector_status`, or the vendor's
        /// `zpn_ast_auth_log`); severity and component are then the code's in that log type.
        #[arg(long, value_parser = parse_log_type, value_name = "LOG_TYPE")]
        log_type: Option<LogType>,
    },
    /// Show everything about one code.
    Show {
        /// The code, e.g. `BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY` (letter case is ignored).
        code: String,
        /// Print the entry as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Count the entries by severity, category, component, cause, vendor status, log type,
    /// retired and source.
    Stats {
        /// Output format.
        #[arg(long, value_enum, default_value_t = CatalogStatsFormat::Text, value_name = "FORMAT")]
        format: CatalogStatsFormat,
    },
    /// Export the catalog as JSON or CSV (a Splunk lookup / Vector enrichment table).
    Export {
        /// Output format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Output file (default stdout).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Compare the catalog with the status codes the vendor publishes through the ZPA
    /// management API (settings `[catalog.sync]`): new, changed and removed codes. Exit status
    /// 0: no difference; 3: differences; 1: the API could not be read; 64: bad settings.
    Sync(SyncArgs),
    /// Compare two catalog files (TOML or JSON): new, changed and removed codes. Exit status
    /// 0: no difference; 3: differences; 64: a file is not a valid catalog.
    Diff {
        /// The older catalog file.
        old: PathBuf,
        /// The newer catalog file.
        new: PathBuf,
        /// Report format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
}

/// `catalog sync` arguments.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Base URL of the ZPA API, e.g. `https://api.zsapi.net/zpa` (`catalog.sync.api_url`).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// OneAPI token endpoint, `https://<vanity domain>.zslogin.net/oauth2/v1/token`
    /// (`catalog.sync.token_url`).
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Also write the new codes to this catalog file (.toml), for `catalog.path` in mode
    /// "extend": its entries are kept, and the ones an earlier sync wrote are updated.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Leave the vendor's titles out of the comparison (the built-in catalog words some titles
    /// as the help pages do, not as the API does).
    #[arg(long)]
    pub ignore_titles: bool,
}

impl SyncArgs {
    /// The settings these flags override, as `(key, value)` pairs.
    #[must_use]
    pub(crate) fn overrides(&self) -> Vec<(String, zpa_enricher::config::Override)> {
        let mut o = Vec::new();
        for (key, value) in [
            ("catalog.sync.api_url", &self.api_url),
            ("catalog.sync.token_url", &self.token_url),
        ] {
            if let Some(v) = value {
                o.push((
                    key.to_owned(),
                    zpa_enricher::config::Override::Str(v.clone()),
                ));
            }
        }
        o
    }
}

/// Parses `generate --template`: `json`, `csv` or `tsv`, ignoring letter case.
fn parse_template(s: &str) -> Result<LineFormat, String> {
    match s.trim().parse::<LineFormat>() {
        Ok(f) if f != LineFormat::Auto => Ok(f),
        _ => Err("expected one of: json, csv, tsv".to_owned()),
    }
}

/// Parses a vocabulary value, ignoring letter case.
fn parse_vocab<T: VocabValue>(s: &str) -> Result<T, String> {
    T::values()
        .iter()
        .copied()
        .find(|v| v.text().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| {
            let all: Vec<&str> = T::values().iter().map(|v| v.text()).collect();
            format!("expected one of: {}", all.join(", "))
        })
}

/// Parses a log type as catalog entries name them: the enrichment's name or the vendor's
/// `sourceLogType`, ignoring letter case.
fn parse_log_type(s: &str) -> Result<LogType, String> {
    entry_log_type(s).ok_or_else(|| {
        let all: Vec<&str> = ENTRY_LOG_TYPES.iter().map(|t| t.as_str()).collect();
        format!("expected one of: {}", all.join(", "))
    })
}

trait VocabValue: Copy + Send + Sync + 'static {
    fn values() -> &'static [Self];
    fn text(self) -> &'static str;
}

macro_rules! vocab_value {
    ($($t:ty),*) => {$(
        impl VocabValue for $t {
            fn values() -> &'static [Self] { <$t>::ALL }
            fn text(self) -> &'static str { self.as_str() }
        }
    )*};
}
vocab_value!(
    Severity, Component, Category, LogFormat, FormatKind, LineFormat
);

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn vocab_values_parse_ignoring_case() {
        assert_eq!(
            parse_vocab::<Component>("app connector"),
            Ok(Component::AppConnector)
        );
        assert_eq!(parse_vocab::<Severity>("HIGH"), Ok(Severity::High));
        assert!(
            parse_vocab::<Category>("bad")
                .unwrap_err()
                .contains("policy_block")
        );
    }

    #[test]
    fn log_types_parse_by_either_name() {
        assert_eq!(
            parse_log_type("app_connector_status"),
            Ok(LogType::AppConnectorStatus)
        );
        assert_eq!(
            parse_log_type("ZPN_AST_AUTH_LOG"),
            Ok(LogType::AppConnectorStatus)
        );
        assert!(
            parse_log_type("unknown")
                .unwrap_err()
                .contains("user_activity")
        );
    }

    #[test]
    fn ratios_are_bounded() {
        assert_eq!(parse_ratio("0.25"), Ok(0.25));
        assert!(parse_ratio("1.5").is_err());
        assert!(parse_ratio("x").is_err());
    }

    #[cfg(feature = "bench-passthrough")]
    #[test]
    fn passthrough_modes() {
        use zpa_enricher::pipeline::Passthrough;
        let mode = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).unwrap();
            let Some(Command::Run(run)) = cli.command else {
                panic!("not run: {cli:?}");
            };
            run.passthrough()
        };
        assert_eq!(mode(&["zpa-enricher", "run"]), Passthrough::Off);
        assert_eq!(
            mode(&["zpa-enricher", "run", "--passthrough", "--group", "g"]),
            Passthrough::Copy
        );
        assert_eq!(
            mode(&["zpa-enricher", "run", "--passthrough=splice"]),
            Passthrough::Splice
        );
        assert!(Cli::try_parse_from(["zpa-enricher", "run", "--passthrough=fast"]).is_err());
    }

    #[test]
    fn demo_defaults() {
        let cli = Cli::try_parse_from(["zpa-enricher", "demo"]).unwrap();
        let Some(Command::Demo(args)) = cli.command else {
            panic!("not demo: {cli:?}");
        };
        assert_eq!(args.rate, 2000);
        assert_eq!(args.duration, 0);
        assert_eq!(args.metrics_addr, "127.0.0.1:9464");
        assert_eq!(args.burst_code, "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY");
        assert_eq!((args.burst_every_secs, args.burst_size), (20, 500));
        assert!(Cli::try_parse_from(["zpa-enricher", "demo", "--rate", "0"]).is_err());
    }

    #[test]
    fn reject_needs_a_rejects_file() {
        let err =
            Cli::try_parse_from(["zpa-enricher", "enrich", "--on-invalid", "reject"]).unwrap_err();
        assert!(err.to_string().contains("--rejects"), "{err}");
    }
}
