//! The `[metrics]` and `[service]` settings: the HTTP endpoint, shutdown, readiness,
//! backpressure and catalog reload.

use serde::{Deserialize, Serialize};

/// `[metrics]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Address of the HTTP endpoint serving `/metrics`, `/healthz` and `/readyz`.
    pub addr: String,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            addr: "0.0.0.0:9464".into(),
        }
    }
}

/// `[service]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceSettings {
    /// On SIGTERM/SIGINT: time to drain in-flight records, flush and commit before exiting.
    pub shutdown_grace_period_secs: u64,
    /// Not ready while the oldest unacknowledged record is older than this.
    pub readiness_stall_secs: u64,
    /// Pause consumption when the in-flight window has been full with nothing acknowledged this
    /// long (output unreachable); resume when it drains.
    pub pause_after_ms: u64,
    /// How often the catalog file is checked for changes (0: only on SIGHUP).
    pub catalog_reload_interval_secs: u64,
    /// Deprecated: read into `kafka.statistics_interval_ms`, with a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistics_interval_ms: Option<u64>,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            shutdown_grace_period_secs: 25,
            readiness_stall_secs: 15,
            pause_after_ms: 1_000,
            catalog_reload_interval_secs: 5,
            statistics_interval_ms: None,
        }
    }
}
