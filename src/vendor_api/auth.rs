//! Signing in: a OneAPI client-credentials token from ZIdentity, or a legacy API key's
//! sign-in. Both answer `{"token_type": "Bearer", "access_token": "...", "expires_in": ...}`;
//! one sync needs the token for one request, so it is neither cached nor renewed.

use std::fmt;

use serde::Deserialize;

use super::http::Client;
use super::{ApiError, ClientOptions, Endpoint, LEGACY_SIGNIN_PATH, ONEAPI_AUDIENCE, SignIn, base};

/// A bearer token. `Debug` never shows it.
pub(super) struct Token(String);

impl Token {
    /// The `Authorization` header's value.
    pub(super) fn header_value(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Gets a token the way `options` says.
pub(super) fn sign_in(client: &Client, options: &ClientOptions) -> Result<Token, ApiError> {
    let (endpoint, url, form) = match &options.sign_in {
        SignIn::OneApi {
            token_url,
            credentials,
        } => (
            Endpoint::Token,
            token_url.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", credentials.client_id.as_str()),
                ("client_secret", credentials.client_secret.as_str()),
                ("audience", ONEAPI_AUDIENCE),
            ],
        ),
        SignIn::Legacy { credentials } => (
            Endpoint::SignIn,
            format!("{}{LEGACY_SIGNIN_PATH}", base(&options.api_url)),
            vec![
                ("client_id", credentials.client_id.as_str()),
                ("client_secret", credentials.client_secret.as_str()),
            ],
        ),
    };
    let body = client.exchange(endpoint, &url, |agent| {
        agent
            .post(&url)
            .header("Accept", "application/json")
            .send_form(form.iter().copied())
    })?;
    let token = parse_token(&body).map_err(|problem| ApiError::Malformed {
        endpoint,
        url: url.clone(),
        problem,
    })?;
    tracing::debug!(%endpoint, "signed in");
    Ok(token)
}

/// The token of a sign-in answer. Problems never quote the answer: it may hold a token.
fn parse_token(body: &[u8]) -> Result<Token, String> {
    #[derive(Deserialize)]
    struct Answer {
        access_token: Option<String>,
        token_type: Option<String>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        format!(
            "not a JSON object with access_token ({})",
            e.classify_text()
        )
    })?;
    if let Some(kind) = &answer.token_type
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(format!("token_type is {kind:?}, not \"Bearer\""));
    }
    match answer.access_token {
        Some(token) if !token.trim().is_empty() => Ok(Token(token.trim().to_owned())),
        _ => Err("no access_token".into()),
    }
}

/// What kind of JSON error, without the parser's excerpt of the input.
trait ClassifyText {
    fn classify_text(&self) -> &'static str;
}

impl ClassifyText for serde_json::Error {
    fn classify_text(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "wrong types",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_answer_of_either_api_is_read() {
        let oneapi = br#"{"access_token":"eyJ.abc","token_type":"Bearer","expires_in":3600}"#;
        assert_eq!(
            parse_token(oneapi).unwrap().header_value(),
            "Bearer eyJ.abc"
        );
        // The legacy sign-in gives expires_in as a string.
        let legacy = br#"{"token_type":"Bearer","access_token":"tok","expires_in":"3600"}"#;
        assert_eq!(parse_token(legacy).unwrap().header_value(), "Bearer tok");
    }

    #[test]
    fn a_bad_token_answer_is_explained_without_quoting_it() {
        let secret = "s3cr3t-token";
        for (body, why) in [
            (format!("<html>{secret}</html>"), "invalid JSON"),
            (
                format!(r#"{{"access_token":"{secret}","token_type":"MAC"}}"#),
                "not \"Bearer\"",
            ),
            (r#"{"token_type":"Bearer"}"#.to_owned(), "no access_token"),
            (r#"{"access_token":"  "}"#.to_owned(), "no access_token"),
            (format!(r#"{{"access_token":["{secret}"]}}"#), "wrong types"),
        ] {
            let problem = parse_token(body.as_bytes()).unwrap_err();
            assert!(problem.contains(why), "{body}: {problem}");
            assert!(!problem.contains(secret), "{problem}");
        }
        assert_eq!(format!("{:?}", Token("t".into())), "Token(***)");
    }
}
