//! zpa-enricher: turns cryptic Zscaler Private Access (ZPA) status codes in LSS log records into
//! something a SOC analyst can read, and counts them.
//!
//! # Layout
//! The library is the service and its core; the `zpa-enricher` binary (`src/main.rs`,
//! `src/cli/`) is the command line on top of it, and nothing here imports it.
//!
//! - [`catalog`]: the status-code catalog (built-in TOML, optional user file), validation,
//!   lookup, export, the severity rule. Pure.
//! - [`event`]: the LSS record model: a validating JSON scanner, log-type detection, status
//!   field extraction, invalid-input classification, the repair of list fields a template
//!   wrote without brackets, and LSS lines (JSON, the vendor's CSV and TSV templates, custom
//!   templates) read into records. Pure.
//! - [`enrich`]: the core: record bytes in, record bytes plus an enrichment object out, and an
//!   [`enrich::Outcome`]. Pure; no I/O, no async.
//! - `json_members`: JSON objects read with a repeated key kept, for the files that report
//!   one (catalogs, config files); `line_index`: line numbers for their messages;
//!   [`spelling`]: the nearest name to a misspelt one, for messages; `json_string`: the one
//!   JSON string escaper. Pure.
//! - [`checks`]: what a settings problem is, and the value checks several sections share;
//!   [`errors`]: an error and its causes on one line. Leaves.
//! - [`config`]: layered settings (defaults, file, environment, flags) with full validation;
//!   it owns every section but `[kafka]`, which [`kafka`] owns.
//! - [`kafka`]: the `[kafka]` settings and their checks, librdkafka configurations, topic
//!   checks, error classes, and the client context (statistics, rebalances, fatal errors).
//! - [`pipeline`]: the consume → enrich → produce → store-offset loop; the only module that
//!   joins Kafka I/O to the core.
//! - [`receiver`]: the LSS log receiver of `receive`: TCP and mutual-TLS listeners, newline
//!   framing, backpressure on the sockets, and the producer into the raw topic (optionally
//!   through the enrichment core too); the other module that joins I/O to the core.
//! - [`service`]: `run`, wiring [`metrics`], `admin` (health endpoint), `reload` (catalog
//!   hot reload), [`shutdown`] (signals) and the pipeline.
//! - [`synth`]: synthetic LSS traffic for `generate`, the demo, tests and benchmarks: the
//!   generator (`synth/generate/`, pure) and the schedule that writes its records as lines or
//!   produces them to Kafka (`synth/traffic/`). The service never uses it.
//! - [`vendor_api`]: the vendor's ZPA management API for `catalog sync`: signing in (OneAPI or
//!   legacy) and reading the LSS status codes, over blocking HTTP with timeouts, bounded
//!   answers and retries. The service never uses it.
//!
//! The dependency direction is the design: `catalog`, `event` and `enrich` import no runtime,
//! no I/O and nothing from the other modules but the pure leaves (`json_members`, `json_string`,
//! `line_index`, `spelling`, `vocab`); `config` builds on `kafka`, never the reverse; everything else builds
//! on them.
//!
//! # Delivery semantics
//! At least once. A record's offset is stored only after the broker acknowledged its enriched
//! (or dead-lettered) copy and every record consumed before it; deliveries complete in order
//! through a bounded window, and stored offsets are committed on an interval, on partition
//! revoke and at shutdown. A crash re-consumes from the last commit: duplicates, never loss.
//!
//! # Shutdown
//! SIGTERM/SIGINT: not ready at once, stop consuming, drain the window, flush, commit, exit 0,
//! all within the grace period. Fatal conditions take the same path and exit non-zero.
//!
//! # Configuration precedence
//! Built-in defaults (`config/default.toml`), then `--config FILE`, then environment variables
//! `ZPA_ENRICHER__SECTION__KEY`, then command-line flags. Unknown keys are errors, and every
//! problem is reported at once.
//!
//! # Output
//! Every original byte of a record is kept, in order; the enrichment is added as one object
//! (default key `enrichment`) or as prefixed top-level keys. Records that cannot be read are
//! never dropped silently: callers choose to pass, reject or fail them.

pub(crate) mod admin;
pub mod catalog;
pub mod checks;
pub mod config;
pub mod enrich;
pub mod errors;
pub mod event;
pub(crate) mod json_members;
pub(crate) mod json_string;
pub mod kafka;
pub(crate) mod line_index;
pub mod metrics;
pub mod pipeline;
pub mod receiver;
pub(crate) mod reload;
pub mod service;
pub mod shutdown;
pub mod spelling;
pub mod synth;
pub mod vendor_api;
mod vocab;
