//! The `[catalog.sync]` settings: where `catalog sync` reads the vendor's list of status codes
//! (the ZPA management API) and how it signs in. The service never reads them.
//!
//! Two kinds of checks: the values given are always checked (URLs, numbers, the tenant id),
//! with the other settings at start; that the credentials a sync needs are all there is checked
//! only by `catalog sync` ([`SyncSettings::problems_for_sync`]), so that `run` never asks for
//! API credentials it does not use.

use serde::{Deserialize, Serialize};

use crate::checks::{Problem, out_of_range, url_problem};
use crate::kafka::Secret;
use crate::vocab::vocabulary;

/// The OneAPI gateway's base URL for ZPA.
pub const ONEAPI_ZPA_BASE: &str = "https://api.zsapi.net/zpa";

/// Accepted range of `catalog.sync.timeout_secs`.
pub(crate) const TIMEOUT_SECS_RANGE: (u64, u64) = (1, 600);
/// Accepted range of `catalog.sync.max_retries`.
pub(crate) const MAX_RETRIES_RANGE: (u64, u64) = (0, 10);
/// Accepted range of `catalog.sync.retry_base_ms`.
pub(crate) const RETRY_BASE_MS_RANGE: (u64, u64) = (1, 60_000);
/// Accepted range of `catalog.sync.max_response_bytes`.
pub(crate) const MAX_RESPONSE_BYTES_RANGE: (u64, u64) = (1024, 256 << 20);

vocabulary! {
    /// How `catalog sync` signs in to the ZPA management API.
    SyncAuth {
        /// OneAPI: an API client of ZIdentity, a bearer token from the tenant's token endpoint.
        OneApi => "oneapi",
        /// The ZPA API key of the admin portal, signed in at `{api_url}/signin`.
        Legacy => "legacy",
    }
}

/// `[catalog.sync]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSettings {
    /// Base URL of the ZPA API; the status codes are read from
    /// `{api_url}/mgmtconfig/v2/admin/lssConfig/statusCodes`.
    pub api_url: String,
    /// `oneapi` or `legacy`.
    pub auth: SyncAuth,
    /// OneAPI: the tenant's ZIdentity token endpoint.
    pub token_url: String,
    /// The API client's (OneAPI) or API key's (legacy) id.
    pub client_id: String,
    /// Its secret (never logged; redacted by `--print-config`).
    pub client_secret: Secret,
    /// The ZPA tenant id (`customerId`); required with `legacy`.
    pub customer_id: String,
    /// Longest wait for one request, connecting included.
    pub timeout_secs: u64,
    /// Further attempts after a timeout, a lost connection, 429 or 5xx.
    pub max_retries: u64,
    /// Wait before the first retry; doubled for each further one (a `Retry-After` of 429 or
    /// 5xx is honoured instead).
    pub retry_base_ms: u64,
    /// Largest response accepted.
    pub max_response_bytes: u64,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            api_url: ONEAPI_ZPA_BASE.into(),
            auth: SyncAuth::OneApi,
            token_url: String::new(),
            client_id: String::new(),
            client_secret: Secret::default(),
            customer_id: String::new(),
            timeout_secs: 30,
            max_retries: 3,
            retry_base_ms: 1_000,
            max_response_bytes: 8 << 20,
        }
    }
}

impl SyncSettings {
    /// Problems of the values given (checked at start with every other setting).
    #[must_use]
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (key, value, base) in [
            ("api_url", &self.api_url, true),
            ("token_url", &self.token_url, false),
        ] {
            if !value.is_empty()
                && let Some(why) = url_problem(value, base)
            {
                problems.push(Problem::new(&format!("catalog.sync.{key}"), why));
            }
        }
        if !self.customer_id.is_empty() && !self.customer_id.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(Problem::new(
                "catalog.sync.customer_id",
                format!(
                    "{:?} is not a ZPA tenant id, which is a number (such as 72057594037927936)",
                    self.customer_id
                ),
            ));
        }
        for (key, value, (lo, hi)) in [
            ("timeout_secs", self.timeout_secs, TIMEOUT_SECS_RANGE),
            ("max_retries", self.max_retries, MAX_RETRIES_RANGE),
            ("retry_base_ms", self.retry_base_ms, RETRY_BASE_MS_RANGE),
            (
                "max_response_bytes",
                self.max_response_bytes,
                MAX_RESPONSE_BYTES_RANGE,
            ),
        ] {
            problems.extend(out_of_range(&format!("catalog.sync.{key}"), value, lo, hi));
        }
        problems
    }

    /// What a sync needs besides valid values: the API base and the credentials of the chosen
    /// way to sign in. Every missing one is listed.
    #[must_use]
    pub fn problems_for_sync(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut require = |key: &str, missing: bool, what: &str| {
            if missing {
                problems.push(Problem::new(
                    &format!("catalog.sync.{key}"),
                    format!("is not set; {what}"),
                ));
            }
        };
        require(
            "api_url",
            self.api_url.is_empty(),
            "give the ZPA API base (flag --api-url), https://api.zsapi.net/zpa for OneAPI or \
             your cloud's https://config.<cloud> for legacy",
        );
        require(
            "client_id",
            self.client_id.is_empty(),
            "give the id of the API client (OneAPI) or API key (legacy)",
        );
        require(
            "client_secret",
            self.client_secret.is_empty(),
            "give it in the environment, as ZPA_ENRICHER__CATALOG__SYNC__CLIENT_SECRET",
        );
        match self.auth {
            SyncAuth::OneApi => require(
                "token_url",
                self.token_url.is_empty(),
                "with auth = \"oneapi\", give your tenant's ZIdentity token endpoint (flag \
                 --token-url), https://<vanity domain>.zslogin.net/oauth2/v1/token",
            ),
            SyncAuth::Legacy => {
                require(
                    "customer_id",
                    self.customer_id.is_empty(),
                    "with auth = \"legacy\", give the ZPA tenant id of the API key",
                );
                if is_oneapi_gateway(&self.api_url) {
                    problems.push(Problem::new(
                        "catalog.sync.api_url",
                        format!(
                            "{:?} is the OneAPI gateway, which legacy API keys cannot sign in \
                             to; give your ZPA cloud's API host (such as \
                             https://config.private.zscaler.com), or use auth = \"oneapi\"",
                            self.api_url
                        ),
                    ));
                }
            }
        }
        problems
    }
}

/// True when `url` points at the OneAPI gateway (`api.zsapi.net` or its beta twin).
fn is_oneapi_gateway(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    let host = rest.split(['/', ':', '?', '#']).next().unwrap_or_default();
    host == "api.zsapi.net" || host.ends_with(".zsapi.net")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(problems: &[Problem]) -> Vec<String> {
        problems.iter().map(Problem::dotted_key).collect()
    }

    #[test]
    fn the_defaults_are_valid_but_not_enough_to_sync() {
        let s = SyncSettings::default();
        assert!(s.problems().is_empty(), "{:?}", s.problems());
        assert_eq!(
            keys(&s.problems_for_sync()),
            [
                "catalog.sync.client_id",
                "catalog.sync.client_secret",
                "catalog.sync.token_url"
            ]
        );
    }

    #[test]
    fn legacy_needs_a_tenant_id_and_its_cloud() {
        let s = SyncSettings {
            auth: SyncAuth::Legacy,
            client_id: "id".into(),
            client_secret: Secret::new("s"),
            ..SyncSettings::default()
        };
        let problems = s.problems_for_sync();
        assert_eq!(
            keys(&problems),
            ["catalog.sync.customer_id", "catalog.sync.api_url"]
        );
        assert!(problems[1].to_string().contains("OneAPI gateway"));
        let s = SyncSettings {
            api_url: "https://config.private.zscaler.com".into(),
            customer_id: "72057594037927936".into(),
            ..s
        };
        assert!(s.problems_for_sync().is_empty());
        assert!(s.problems().is_empty());
    }

    #[test]
    fn values_are_checked_all_at_once() {
        let s = SyncSettings {
            api_url: "api.zsapi.net".into(),
            token_url: "https://".into(),
            customer_id: "acme".into(),
            timeout_secs: 0,
            max_retries: 11,
            retry_base_ms: 0,
            max_response_bytes: 10,
            ..SyncSettings::default()
        };
        assert_eq!(
            keys(&s.problems()),
            [
                "catalog.sync.api_url",
                "catalog.sync.token_url",
                "catalog.sync.customer_id",
                "catalog.sync.timeout_secs",
                "catalog.sync.max_retries",
                "catalog.sync.retry_base_ms",
                "catalog.sync.max_response_bytes",
            ]
        );
    }

    #[test]
    fn the_gateway_is_recognised_by_its_host() {
        assert!(is_oneapi_gateway("https://api.zsapi.net/zpa"));
        assert!(is_oneapi_gateway("https://API.beta.zsapi.net/zpa"));
        assert!(!is_oneapi_gateway("https://config.private.zscaler.com"));
        assert!(!is_oneapi_gateway("http://127.0.0.1:1234"));
    }
}
