//! zpa-enricher: turns cryptic Zscaler Private Access (ZPA) status codes in LSS log records into
//! something a SOC analyst can read, and counts them.
//!
//! # Layout
//! - [`catalog`]: the status-code catalog (built-in TOML, optional user file), validation,
//!   lookup, export. Pure.
//! - [`event`]: the LSS record model: a validating JSON scanner, log-type detection, status
//!   field extraction, invalid-input classification. Pure.
//! - [`enrich`]: the core: record bytes in, record bytes plus an enrichment object out, and an
//!   [`enrich::Outcome`]. Pure; no I/O, no async.
//! - [`config`]: layered settings (defaults, file, environment, flags) with full validation.
//! - [`commands`]: the command-line commands on top of the library.
//! - [`cli`], [`app`], [`telemetry`]: argument parsing, dispatch, logging.
//!
//! The dependency direction is the design: `catalog`, `event` and `enrich` import no runtime,
//! no I/O and nothing from the other modules; everything else builds on them.
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

pub mod admin;
pub mod app;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod enrich;
pub mod event;
pub mod generate;
pub mod kafka;
pub mod metrics;
pub mod pipeline;
pub mod reload;
pub mod service;
pub mod shutdown;
pub mod telemetry;
pub mod traffic;
mod vocab;
