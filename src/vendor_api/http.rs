//! One HTTP exchange with retries: timeouts, bounded bodies, backoff, `Retry-After`, and the
//! failure that names the endpoint.

use std::time::Duration;

use ureq::Agent;
use ureq::http::Response;

use super::{ApiError, ClientOptions, Endpoint};

/// The longest `Retry-After` honoured; a longer one is cut to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// The longest wait between two attempts from the exponential backoff.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Connecting gets at most this long, however long the whole request may take.
const MAX_CONNECT: Duration = Duration::from_secs(10);
/// How much of a refusal's body is read, and shown.
const ERROR_BODY_READ: u64 = 4096;
const ERROR_BODY_SHOWN: usize = 200;

/// The agent and the limits of one sync.
pub(super) struct Client {
    agent: Agent,
    timeout: Duration,
    max_retries: u32,
    retry_base: Duration,
    max_response_bytes: u64,
}

impl Client {
    pub(super) fn new(options: &ClientOptions) -> Self {
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            // The system's trust store, through OpenSSL, as the Kafka clients use it.
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let agent = Agent::config_builder()
            .tls_config(tls)
            // Statuses are ours to judge: a 429 is retried, a 401 explained.
            .http_status_as_error(false)
            // A redirect is reported, not followed: it would go without the Authorization
            // header and fail for a less clear reason.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(options.timeout))
            .timeout_connect(Some(options.timeout.min(MAX_CONNECT)))
            .user_agent(concat!("zpa-enricher/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Self {
            agent,
            timeout: options.timeout,
            max_retries: options.max_retries,
            retry_base: options.retry_base,
            max_response_bytes: options.max_response_bytes,
        }
    }

    /// Sends the request `send` makes until it succeeds or the retries are spent, and returns
    /// the body of the first 2xx answer.
    pub(super) fn exchange(
        &self,
        endpoint: Endpoint,
        url: &str,
        send: impl Fn(&Agent) -> Result<Response<ureq::Body>, ureq::Error>,
    ) -> Result<Vec<u8>, ApiError> {
        let attempts = self.max_retries.saturating_add(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= attempts;
            match send(&self.agent) {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        return self.body(endpoint, url, response);
                    }
                    let code = status.as_u16();
                    let busy = code == 429 || status.is_server_error();
                    if busy && !last {
                        let wait = retry_after(&response).unwrap_or_else(|| self.backoff(attempt));
                        tracing::warn!(
                            %endpoint,
                            status = code,
                            attempt,
                            wait_ms = wait.as_millis(),
                            "busy or failing, retrying"
                        );
                        std::thread::sleep(wait);
                        continue;
                    }
                    let status = status_text(status);
                    if busy {
                        return Err(ApiError::GaveUp {
                            endpoint,
                            url: url.to_owned(),
                            status,
                            attempts: attempt,
                        });
                    }
                    return Err(refusal(endpoint, url, status, response));
                }
                Err(e) if transient(&e) && !last => {
                    let wait = self.backoff(attempt);
                    tracing::warn!(
                        %endpoint,
                        error = %e,
                        attempt,
                        wait_ms = wait.as_millis(),
                        "no answer, retrying"
                    );
                    std::thread::sleep(wait);
                }
                Err(ureq::Error::Timeout(_)) => {
                    return Err(ApiError::Timeout {
                        endpoint,
                        url: url.to_owned(),
                        timeout: self.timeout,
                        attempts: attempt,
                    });
                }
                Err(source) => {
                    return Err(ApiError::Unreachable {
                        endpoint,
                        url: url.to_owned(),
                        attempts: attempt,
                        source,
                    });
                }
            }
        }
    }

    /// The body of a successful answer, within the size limit.
    fn body(
        &self,
        endpoint: Endpoint,
        url: &str,
        mut response: Response<ureq::Body>,
    ) -> Result<Vec<u8>, ApiError> {
        let too_large = || ApiError::TooLarge {
            endpoint,
            url: url.to_owned(),
            limit: self.max_response_bytes,
        };
        // A declared length says it before a byte is read.
        if response
            .body()
            .content_length()
            .is_some_and(|n| n > self.max_response_bytes)
        {
            return Err(too_large());
        }
        match response
            .body_mut()
            .with_config()
            .limit(self.max_response_bytes)
            .read_to_vec()
        {
            Ok(body) => Ok(body),
            Err(ureq::Error::BodyExceedsLimit(_)) => Err(too_large()),
            Err(ureq::Error::Timeout(_)) => Err(ApiError::Timeout {
                endpoint,
                url: url.to_owned(),
                timeout: self.timeout,
                attempts: 1,
            }),
            Err(source) => Err(ApiError::Unreachable {
                endpoint,
                url: url.to_owned(),
                attempts: 1,
                source,
            }),
        }
    }

    /// `retry_base` doubled for each attempt made before, at most [`MAX_BACKOFF`].
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.retry_base
            .checked_mul(factor)
            .unwrap_or(MAX_BACKOFF)
            .min(MAX_BACKOFF)
    }
}

/// Errors worth another attempt: the connection failed, broke or timed out. An unknown host or
/// a TLS failure is not: it will not go away by itself.
fn transient(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Timeout(_) | ureq::Error::Io(_) | ureq::Error::ConnectionFailed
    )
}

/// A `Retry-After` given in seconds, at most [`MAX_RETRY_AFTER`]. (The HTTP-date form is left to
/// the backoff.)
fn retry_after(response: &Response<ureq::Body>) -> Option<Duration> {
    let seconds: u64 = response
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

fn status_text(status: ureq::http::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// The error for an answer that refuses the request, with what to check.
fn refusal(
    endpoint: Endpoint,
    url: &str,
    status: String,
    mut response: Response<ureq::Body>,
) -> ApiError {
    let code = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    let body = response
        .body_mut()
        .with_config()
        .limit(ERROR_BODY_READ)
        .read_to_vec()
        .map(|b| excerpt(&b))
        .unwrap_or_default();
    ApiError::Refused {
        endpoint,
        url: url.to_owned(),
        status,
        hint: hint(endpoint, code, location.as_deref()),
        body,
    }
}

/// The start of a body as one line of text.
pub(super) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let one_line = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(ERROR_BODY_SHOWN) {
        Some((cut, _)) => format!("{}...", &one_line[..cut]),
        None => one_line,
    }
}

/// What to check after a refusal.
fn hint(endpoint: Endpoint, status: u16, location: Option<&str>) -> String {
    let text = match (endpoint, status) {
        (_, 300..=399) => {
            return format!(
                "a redirect{}; check catalog.sync.api_url (and token_url)",
                location.map(|l| format!(" to {l}")).unwrap_or_default()
            );
        }
        (Endpoint::Token, 400 | 401 | 403) => {
            "check catalog.sync.client_id and client_secret (an API client of ZIdentity), and that \
             token_url is your tenant's token endpoint"
        }
        (Endpoint::SignIn, 400 | 401 | 403) => {
            "check catalog.sync.client_id and client_secret (a ZPA API key), and that api_url is \
             your ZPA cloud's API host"
        }
        (Endpoint::StatusCodes, 401) => {
            "the token was not accepted: check that the API client may use the ZPA API and that \
             its token is issued for the audience https://api.zscaler.com (OneAPI), or that the \
             API key is enabled (legacy)"
        }
        (Endpoint::StatusCodes, 403) => {
            "the API client may not read this: give its role read access to the ZPA Log \
             Streaming Service settings, and check catalog.sync.customer_id"
        }
        (_, 404) => "check catalog.sync.api_url (the base the API paths are appended to)",
        _ => "",
    };
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(retry_base_ms: u64) -> Client {
        Client::new(&ClientOptions {
            api_url: "http://127.0.0.1:1".into(),
            sign_in: super::super::SignIn::Legacy {
                credentials: super::super::Credentials::new("id", "secret"),
            },
            customer_id: None,
            timeout: Duration::from_secs(1),
            max_retries: 3,
            retry_base: Duration::from_millis(retry_base_ms),
            max_response_bytes: 1024,
        })
    }

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let c = client(250);
        assert_eq!(c.backoff(1), Duration::from_millis(250));
        assert_eq!(c.backoff(2), Duration::from_millis(500));
        assert_eq!(c.backoff(3), Duration::from_secs(1));
        assert_eq!(client(30_000).backoff(3), MAX_BACKOFF);
        assert_eq!(c.backoff(40), MAX_BACKOFF);
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(
            excerpt(b"{\"error\":\n\t\"invalid_client\"}"),
            "{\"error\": \"invalid_client\"}"
        );
        let long = excerpt("é".repeat(500).as_bytes());
        assert_eq!(long.chars().count(), ERROR_BODY_SHOWN + 3);
        assert!(long.ends_with("..."));
    }

    #[test]
    fn hints_name_what_to_check() {
        assert!(hint(Endpoint::Token, 401, None).contains("client_secret"));
        assert!(hint(Endpoint::SignIn, 403, None).contains("API key"));
        assert!(hint(Endpoint::StatusCodes, 401, None).contains("audience"));
        assert!(hint(Endpoint::StatusCodes, 403, None).contains("read access"));
        assert!(hint(Endpoint::StatusCodes, 302, Some("https://login")).contains("https://login"));
        assert!(hint(Endpoint::StatusCodes, 418, None).is_empty());
    }
}
