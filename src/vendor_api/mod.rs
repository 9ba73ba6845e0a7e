//! The vendor's ZPA management API, as far as `catalog sync` needs it: signing in (OneAPI or a
//! legacy API key) and reading the LSS status codes
//! (`GET {api_url}/mgmtconfig/v2/admin/lssConfig/statusCodes`).
//!
//! Blocking HTTP ([`ureq`], over the system's OpenSSL and its trust store), with a timeout per
//! request, responses bounded in size, and retries with exponential backoff after a timeout, a
//! lost connection, 429 or a 5xx answer (a `Retry-After` in seconds is honoured, up to a
//! minute). A refusal (401, 403 and other 4xx) is not retried. Every failure names the endpoint
//! and what went wrong.
//!
//! Secrets and tokens are never logged, shown in an error or printed by `Debug`. This module
//! knows nothing of settings files or the command line: the caller hands it [`ClientOptions`].
//! It must not import `config`.

mod auth;
mod codes;
mod http;

use std::fmt;
use std::time::Duration;

use crate::catalog::vendor::VendorCode;

pub use codes::parse_status_codes;

/// Path of the status-code list, under the API base.
pub const STATUS_CODES_PATH: &str = "/mgmtconfig/v2/admin/lssConfig/statusCodes";

/// The `audience` a OneAPI token must be issued for.
pub const ONEAPI_AUDIENCE: &str = "https://api.zscaler.com";

/// Path of the legacy sign-in, under the API base.
pub const LEGACY_SIGNIN_PATH: &str = "/signin";

/// Where and how to read the status codes.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Base URL of the ZPA API (`https://api.zsapi.net/zpa`, `https://config.private.zscaler.com`).
    pub api_url: String,
    /// How to sign in.
    pub sign_in: SignIn,
    /// The tenant id, sent as the `customerId` query parameter when given.
    pub customer_id: Option<String>,
    /// Longest wait for one request, connecting included.
    pub timeout: Duration,
    /// Further attempts after a timeout, a lost connection, 429 or 5xx.
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub retry_base: Duration,
    /// Largest response body accepted.
    pub max_response_bytes: u64,
}

/// How to sign in.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// OneAPI: a client-credentials token from the tenant's ZIdentity token endpoint.
    OneApi {
        /// The token endpoint (`https://<vanity>.zslogin.net/oauth2/v1/token`).
        token_url: String,
        /// The API client.
        credentials: Credentials,
    },
    /// A legacy ZPA API key, signed in at `{api_url}/signin`.
    Legacy {
        /// The API key.
        credentials: Credentials,
    },
}

/// A client id and its secret. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Credentials {
    client_id: String,
    client_secret: String,
}

impl Credentials {
    /// The id and secret.
    #[must_use]
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

/// Which endpoint a failure happened at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The OneAPI token endpoint.
    Token,
    /// The legacy sign-in.
    SignIn,
    /// The status-code list.
    StatusCodes,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Endpoint::Token => "token endpoint",
            Endpoint::SignIn => "sign-in endpoint",
            Endpoint::StatusCodes => "status-code endpoint",
        })
    }
}

/// Why the status codes could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No answer: the connection failed or was lost, or the host is unknown.
    #[error("cannot reach the {endpoint} {url}{}", after(*attempts))]
    Unreachable {
        /// The endpoint.
        endpoint: Endpoint,
        /// Its URL (without query).
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last transport error.
        #[source]
        source: ureq::Error,
    },
    /// No complete answer within the timeout.
    #[error(
        "the {endpoint} {url} did not answer within {} s (catalog.sync.timeout_secs){}",
        timeout.as_secs_f64(),
        after(*attempts)
    )]
    Timeout {
        /// The endpoint.
        endpoint: Endpoint,
        /// Its URL.
        url: String,
        /// The timeout of one request.
        timeout: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// An answer that refuses the request (not retried).
    #[error(
        "the {endpoint} {url} answered {status}{}{}",
        hint_text(hint),
        body_text(body)
    )]
    Refused {
        /// The endpoint.
        endpoint: Endpoint,
        /// Its URL.
        url: String,
        /// The HTTP status and its reason (`401 Unauthorized`).
        status: String,
        /// What to check.
        hint: String,
        /// The start of the answer's body, if any (never from a token endpoint's success).
        body: String,
    },
    /// Busy or failing (429, 5xx) on every attempt.
    #[error(
        "the {endpoint} {url} answered {status} on every one of {attempts} attempt(s); try again later"
    )]
    GaveUp {
        /// The endpoint.
        endpoint: Endpoint,
        /// Its URL.
        url: String,
        /// The last HTTP status and its reason.
        status: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A body larger than allowed.
    #[error("the {endpoint} {url} sent more than {limit} bytes (catalog.sync.max_response_bytes)")]
    TooLarge {
        /// The endpoint.
        endpoint: Endpoint,
        /// Its URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// A body that is not what the API documents.
    #[error("the {endpoint} {url} sent a response that is not what the API documents: {problem}")]
    Malformed {
        /// The endpoint.
        endpoint: Endpoint,
        /// Its URL.
        url: String,
        /// What is wrong with it.
        problem: String,
    },
}

fn after(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

fn hint_text(hint: &str) -> String {
    if hint.is_empty() {
        String::new()
    } else {
        format!("; {hint}")
    }
}

fn body_text(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(" (the answer said: {body})")
    }
}

/// The API base without a final `/`, for appending paths.
fn base(api_url: &str) -> &str {
    api_url.trim_end_matches('/')
}

/// Signs in and reads the status codes, merged over the log types that list them and sorted by
/// code.
///
/// # Errors
/// Signing in or reading fails (see [`ApiError`]), or the answer is not the documented shape.
pub fn fetch_status_codes(options: &ClientOptions) -> Result<Vec<VendorCode>, ApiError> {
    let client = http::Client::new(options);
    let token = auth::sign_in(&client, options)?;
    let url = format!("{}{STATUS_CODES_PATH}", base(&options.api_url));
    let body = client.exchange(Endpoint::StatusCodes, &url, |agent| {
        let mut request = agent
            .get(&url)
            .header("Authorization", token.header_value())
            .header("Accept", "application/json");
        if let Some(id) = &options.customer_id {
            request = request.query("customerId", id);
        }
        request.call()
    })?;
    let codes = parse_status_codes(&body).map_err(|problem| ApiError::Malformed {
        endpoint: Endpoint::StatusCodes,
        url: url.clone(),
        problem,
    })?;
    tracing::info!(codes = codes.len(), url = %url, "read the vendor's status codes");
    Ok(codes)
}
