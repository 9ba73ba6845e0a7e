//! Settings: one typed tree, loaded in layers and validated in one place.
//!
//! Layers, lowest first: the serde defaults below (identical to `config/default.toml`, which is
//! compiled in and loaded next), the file given with `--config`, environment variables
//! `ZPA_ENRICHER__<SECTION>__<KEY>`, then command-line flags. Loading never stops at the first
//! problem: every unknown key, wrong type and invalid value is collected and reported together.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat, Value};
use serde::{Deserialize, Serialize};

use crate::catalog::Severity;
use crate::enrich::EnrichOptions;
use crate::event::HeaderMode;
use crate::vocab::vocabulary;

mod output;
mod problems;
mod receive;
mod service;
mod strict;
mod sync;

pub use output::{EcsSettings, FormatKind, HecSettings, OutputKind, OutputSettings};
use problems::{
    deserialize_collecting, follows_from_type_problem, origin_of_setting, repeated_json_keys,
    source_error, stray_variables,
};
pub use receive::{AUTO, ListenerSettings, ListenerSpec, ReceiveSettings, TlsFiles};
pub use service::{MetricsSettings, ServiceSettings};
pub use sync::{ONEAPI_ZPA_BASE, SyncAuth, SyncSettings};

use crate::checks::{Problem, listen_address_problem, not_a_file, out_of_range};
use crate::kafka::{KafkaSettings, STATISTICS_INTERVAL_MS};

/// The defaults, with a comment for every key.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// Prefix of environment variables (followed by `__SECTION__KEY`).
pub const ENV_PREFIX: &str = "ZPA_ENRICHER";

/// All settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Logging.
    pub log: LogSettings,
    /// Which catalog to use.
    pub catalog: CatalogSettings,
    /// Enrichment core limits and behaviour.
    pub enrich: EnrichSettings,
    /// Shape of the output.
    pub output: OutputSettings,
    /// Kafka clients of the service.
    pub kafka: KafkaSettings,
    /// The HTTP endpoint for metrics and health.
    pub metrics: MetricsSettings,
    /// Service behaviour: shutdown, readiness, backpressure, reload.
    pub service: ServiceSettings,
    /// The log receiver (`receive`).
    pub receive: ReceiveSettings,
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// Default filter when `RUST_LOG` is unset.
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".into(),
        }
    }
}

vocabulary! {
    /// Log line format.
    LogFormat {
        /// Human-readable lines.
        Text => "text",
        /// One JSON object per line.
        Json => "json",
    }
}

/// `[catalog]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogSettings {
    /// A user catalog file; empty for the built-in catalog only.
    pub path: PathBuf,
    /// How the user file combines with the built-in catalog.
    pub mode: CatalogMode,
    /// `[catalog.sync]`: reading the vendor's list of codes (`catalog sync`).
    pub sync: SyncSettings,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            path: PathBuf::new(),
            mode: CatalogMode::Extend,
            sync: SyncSettings::default(),
        }
    }
}

impl CatalogSettings {
    /// The user file, if one is configured.
    #[must_use]
    pub fn user_file(&self) -> Option<&Path> {
        (!self.path.as_os_str().is_empty()).then_some(self.path.as_path())
    }
}

vocabulary! {
    /// How a user catalog combines with the built-in one.
    CatalogMode {
        /// User entries override and add to the built-in ones.
        Extend => "extend",
        /// Only the user file is used.
        Replace => "replace",
    }
}

/// `[enrich]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnrichSettings {
    /// Severity for codes not in the catalog.
    pub unknown_severity: Severity,
    /// Maximum nesting depth of a record.
    pub max_depth: usize,
    /// Maximum size of a record in bytes.
    pub max_record_bytes: usize,
    /// What to do with a syslog header before the JSON object.
    pub syslog_header: SyslogHeader,
    /// Repair list fields written without brackets by older or hand-edited LSS templates.
    pub repair_lss_quirks: bool,
}

impl Default for EnrichSettings {
    fn default() -> Self {
        Self {
            unknown_severity: Severity::Medium,
            max_depth: 64,
            max_record_bytes: 1 << 20,
            syslog_header: SyslogHeader::Strip,
            repair_lss_quirks: true,
        }
    }
}

vocabulary! {
    /// Syslog header handling.
    SyslogHeader {
        /// Drop it.
        Strip => "strip",
        /// Keep it in front of the enriched object.
        Keep => "keep",
    }
}

/// Limits accepted for `enrich.max_depth`.
pub const MAX_DEPTH_RANGE: (usize, usize) = (1, crate::event::scan::MAX_SUPPORTED_DEPTH);
/// Limits accepted for `enrich.max_record_bytes`.
pub const MAX_RECORD_BYTES_RANGE: (usize, usize) = (1024, 64 << 20);

/// Problems with the settings, all of them.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A source could not be read or parsed.
    #[error("{0}")]
    Source(String),
    /// One or more keys are unknown or have bad values.
    #[error("invalid configuration, {} problem(s):{}", .0.len(), ProblemList(.0))]
    Invalid(Vec<Problem>),
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.0 {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

/// A value given by a command-line flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Override {
    /// A single value.
    Str(String),
    /// A list (e.g. topics).
    List(Vec<String>),
}

impl From<&str> for Override {
    fn from(s: &str) -> Self {
        Override::Str(s.to_owned())
    }
}

impl From<String> for Override {
    fn from(s: String) -> Self {
        Override::Str(s)
    }
}

/// Settings as loaded, with what deserves a warning about them.
#[derive(Debug)]
pub struct Loaded {
    /// The settings.
    pub settings: Settings,
    /// Deprecated keys used, environment variables that name no setting.
    pub warnings: Vec<String>,
}

/// Where settings come from, besides the compiled-in defaults.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The `--config` file.
    pub file: Option<PathBuf>,
    /// Environment variables to read; `None` reads the process environment.
    pub env: Option<HashMap<String, String>>,
    /// `key.path = value` overrides from command-line flags.
    pub overrides: Vec<(String, Override)>,
    /// Check the `[receive]` section's values too (the `receive` command; the other commands
    /// ignore the section, whose types alone are checked for them).
    pub receive: bool,
}

impl Settings {
    /// Loads and validates settings from all layers.
    ///
    /// # Errors
    /// A source cannot be read or parsed, or any key is unknown, mistyped or out of range; the
    /// error lists every problem.
    pub fn load(sources: &Sources) -> Result<Settings, ConfigError> {
        Self::load_with_warnings(sources).map(|loaded| loaded.settings)
    }

    /// Loads and validates settings from all layers, like [`Settings::load`], and returns the
    /// warnings about them too (deprecated keys, environment variables that name no setting),
    /// for the caller to log once logging is set up.
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn load_with_warnings(sources: &Sources) -> Result<Loaded, ConfigError> {
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        if let Some(path) = &sources.file {
            if !path.is_file() {
                return Err(ConfigError::Source(format!(
                    "config file {} does not exist or is not a file",
                    path.display()
                )));
            }
            builder = builder.add_source(File::from(path.as_path()).required(true));
        }
        let mut env = Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("kafka.input_topics")
            .with_list_parse_key("output.fields")
            .with_list_parse_key("receive.listen");
        if let Some(map) = &sources.env {
            env = env.source(Some(map.clone().into_iter().collect()));
        }
        builder = builder.add_source(env);
        for (key, value) in &sources.overrides {
            let value: Value = match value {
                Override::Str(s) => s.clone().into(),
                Override::List(l) => l.clone().into(),
            };
            builder = builder
                .set_override(key.as_str(), value)
                .map_err(|e| ConfigError::Source(e.to_string()))?;
        }
        let config = builder
            .build()
            .map_err(|e| source_error(e, sources.file.as_deref()))?;
        let root = config.cache;
        let file = sources.file.as_deref();
        // Keys of the wrong type are left at their defaults, so that the values' checks can
        // still run and every problem is reported at once.
        let (mut settings, mut problems) = deserialize_collecting(root.clone(), file)?;
        settings.trim_lists();
        if let Some(path) = file {
            problems.extend(repeated_json_keys(path));
        }
        let mut warnings = match &sources.env {
            Some(map) => stray_variables(map.keys().map(String::as_str)),
            None => {
                let names: Vec<String> = std::env::vars_os()
                    .filter_map(|(k, _)| k.into_string().ok())
                    .collect();
                stray_variables(names.iter().map(String::as_str))
            }
        };
        settings.apply_deprecated(&root, file, &mut warnings);
        let mut found = match settings.validate() {
            Err(ConfigError::Invalid(found)) => found,
            _ => Vec::new(),
        };
        if sources.receive {
            found.extend(settings.receive_problems());
        }
        {
            let consequences: Vec<Problem> = found
                .into_iter()
                .filter(|p| !follows_from_type_problem(p, &problems))
                .collect();
            problems.extend(consequences);
        }
        // RUST_LOG is not a setting, but it replaces log.filter, so it is held to the same rule
        // (the logging set-up would otherwise fall back to the default without a word).
        let rust_log = match &sources.env {
            Some(map) => map.get("RUST_LOG").cloned(),
            None => std::env::var("RUST_LOG").ok(),
        };
        if let Some(value) = rust_log
            && let Err(e) = tracing_subscriber::EnvFilter::try_new(&value)
        {
            problems.push(
                Problem::new("RUST_LOG", format!("{value:?} is not a valid filter: {e}"))
                    .with_origin(Some("environment variable RUST_LOG".to_owned())),
            );
        }
        // Where each value came from: the file or an environment variable (by key in the merged
        // tree), else a flag (values from flags have no origin in the tree).
        let problems: Vec<Problem> = problems
            .into_iter()
            .map(|p| {
                let origin = origin_of_setting(&root, p.key(), file).or_else(|| {
                    let key = p.dotted_key();
                    sources
                        .overrides
                        .iter()
                        .any(|(k, _)| *k == key)
                        .then(|| "the command line".to_owned())
                });
                p.with_origin(origin)
            })
            .collect();
        if problems.is_empty() {
            Ok(Loaded { settings, warnings })
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// Spaces around the items of a comma-separated list (`a, b` in an environment variable or
    /// a flag) are not part of them.
    fn trim_lists(&mut self) {
        for item in self
            .kafka
            .input_topics
            .iter_mut()
            .chain(self.output.fields.iter_mut())
            .chain(self.receive.listen.iter_mut())
        {
            let trimmed = item.trim();
            if trimmed.len() != item.len() {
                *item = trimmed.to_owned();
            }
        }
    }

    /// Checks values that types alone cannot.
    ///
    /// # Errors
    /// Lists every out-of-range or inconsistent value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.filter) {
            problems.push(Problem::new(
                "log.filter",
                format!("{:?} is not a valid filter: {e}", self.log.filter),
            ));
        }
        if let Some(path) = self.catalog.user_file() {
            if !path.is_file() {
                problems.push(Problem::new("catalog.path", not_a_file(path)));
            } else if crate::catalog::load::Format::from_path(path).is_none() {
                problems.push(Problem::new(
                    "catalog.path",
                    format!("{} must end in .toml or .json", path.display()),
                ));
            }
        } else if self.catalog.mode == CatalogMode::Replace {
            problems.push(Problem::new(
                "catalog.mode",
                "\"replace\" needs catalog.path to name a file",
            ));
        }
        problems.extend(self.catalog.sync.problems());
        for (key, value, (lo, hi)) in [
            ("enrich.max_depth", self.enrich.max_depth, MAX_DEPTH_RANGE),
            (
                "enrich.max_record_bytes",
                self.enrich.max_record_bytes,
                MAX_RECORD_BYTES_RANGE,
            ),
        ] {
            problems.extend(out_of_range(key, value as u64, lo as u64, hi as u64));
        }
        problems.extend(self.output.problems());
        problems.extend(crate::kafka::validate(&self.kafka));
        problems.extend(crate::kafka::check_clients(&self.kafka));
        if let Some(why) = listen_address_problem(&self.metrics.addr) {
            problems.push(Problem::new(
                "metrics.addr",
                format!("{:?} {why}", self.metrics.addr),
            ));
        }
        let sv = &self.service;
        for (key, value, lo, hi) in [
            (
                "shutdown_grace_period_secs",
                sv.shutdown_grace_period_secs,
                1,
                3_600,
            ),
            ("readiness_stall_secs", sv.readiness_stall_secs, 1, 86_400),
            ("pause_after_ms", sv.pause_after_ms, 0, 3_600_000),
            (
                "catalog_reload_interval_secs",
                sv.catalog_reload_interval_secs,
                0,
                86_400,
            ),
        ] {
            problems.extend(out_of_range(&format!("service.{key}"), value, lo, hi));
        }
        if let Some(value) = sv.statistics_interval_ms {
            let (lo, hi) = STATISTICS_INTERVAL_MS;
            problems.extend(out_of_range(
                "service.statistics_interval_ms",
                value,
                lo,
                hi,
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// Problems of the `[receive]` section, and of how it combines with `[kafka]`.
    #[must_use]
    pub fn receive_problems(&self) -> Vec<Problem> {
        let mut problems = self.receive.problems();
        let r = &self.receive;
        let k = &self.kafka;
        if r.topic == k.dlq_topic {
            problems.push(Problem::new(
                "receive.topic",
                format!(
                    "{:?} is also kafka.dlq_topic: raw records and dead letters need topics of their own",
                    r.topic
                ),
            ));
        }
        if r.enrich && r.topic == k.output_topic {
            problems.push(Problem::new(
                "receive.topic",
                format!(
                    "{:?} is also kafka.output_topic: with receive.enrich, raw and enriched records need topics of their own",
                    r.topic
                ),
            ));
        }
        problems
    }

    /// Moves the values of keys that have a new name to it, with a warning for each. The new
    /// key wins when both are given.
    fn apply_deprecated(&mut self, root: &Value, file: Option<&Path>, warnings: &mut Vec<String>) {
        let (lo, hi) = STATISTICS_INTERVAL_MS;
        // An out-of-range value is reported under its own name by `validate`.
        if let Some(value) = self
            .service
            .statistics_interval_ms
            .filter(|v| (lo..=hi).contains(v))
        {
            // Said once, under the new name (`--print-config` shows only that).
            self.service.statistics_interval_ms = None;
            let new_key: Vec<String> = vec!["kafka".into(), "statistics_interval_ms".into()];
            let old_key: Vec<String> = vec!["service".into(), "statistics_interval_ms".into()];
            let from = origin_of_setting(root, &old_key, file)
                .map(|o| format!(" [from {o}]"))
                .unwrap_or_default();
            if origin_of_setting(root, &new_key, file).is_some() {
                warnings.push(format!(
                    "service.statistics_interval_ms is deprecated and kafka.statistics_interval_ms is also given, which is used{from}"
                ));
            } else {
                warnings.push(format!(
                    "service.statistics_interval_ms is deprecated: its value is used as kafka.statistics_interval_ms, the name to use from now on{from}"
                ));
                self.kafka.statistics_interval_ms = value;
            }
        }
    }

    /// The enrichment core options these settings describe.
    #[must_use]
    pub fn enrich_options(&self) -> EnrichOptions {
        EnrichOptions {
            output: self.output.mode(),
            fields: self.output.field_set(),
            unknown_severity: self.enrich.unknown_severity,
            max_depth: self.enrich.max_depth,
            max_record_bytes: self.enrich.max_record_bytes,
            header: match self.enrich.syslog_header {
                SyslogHeader::Strip => HeaderMode::Strip,
                SyslogHeader::Keep => HeaderMode::Keep,
            },
            repair_lss_quirks: self.enrich.repair_lss_quirks,
            format: self.output.format(),
            ..EnrichOptions::default()
        }
    }

    /// The effective settings as TOML (for `--print-config`).
    ///
    /// # Panics
    /// Never: every settings type serialises to TOML.
    #[must_use]
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("settings always serialise to TOML")
    }
}

#[cfg(test)]
mod tests;
