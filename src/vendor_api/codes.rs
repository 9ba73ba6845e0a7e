//! The status-code answer: `{"<log type>": {"<CODE>": {"name": ..., "status": ...,
//! "errorType": ..., "adminAction": ...}, ...}, ...}`, read into [`VendorCode`]s.
//!
//! `name` is the vendor's title of the code (the code itself is the key). The same code under
//! several log types (`ZPN_STATUS_AUTH_FAILED` under every status log type) becomes one code
//! listing them all; its title, status and error type are those of the first log type in the
//! order `zpn_trans_log`, `zpn_auth_log`, `zpn_ast_auth_log`, `zpn_sys_auth_log`, then any other
//! by name. Fields the answer leaves out or sets to `null` are absent; unknown fields are
//! ignored.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::catalog::vendor::VendorCode;

/// The log types the API documents, in the order their values are preferred.
const LOG_TYPE_ORDER: [&str; 4] = [
    "zpn_trans_log",
    "zpn_auth_log",
    "zpn_ast_auth_log",
    "zpn_sys_auth_log",
];

/// Problems reported at most, of a malformed answer.
const PROBLEMS_SHOWN: usize = 5;

/// Reads the status-code answer, sorted by code.
///
/// # Errors
/// The answer is not JSON, not the documented shape (every problem up to a few is told, with
/// its place: `zpn_trans_log.SOME_CODE.status: expected a string, found a number`), holds a
/// code that cannot be a catalog code, or lists no code at all.
pub fn parse_status_codes(body: &[u8]) -> Result<Vec<VendorCode>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "not JSON ({e}); it starts with {:?}",
            super::http::excerpt(&body[..body.len().min(60)])
        )
    })?;
    let Value::Object(top) = value else {
        return Err(format!(
            "expected an object of log types, found {}",
            kind(&value)
        ));
    };
    let mut log_types: Vec<(&String, &Value)> = top.iter().collect();
    log_types.sort_by_key(|(name, _)| {
        (
            LOG_TYPE_ORDER
                .iter()
                .position(|t| t == name)
                .unwrap_or(LOG_TYPE_ORDER.len()),
            name.as_str(),
        )
    });
    let mut problems = Vec::new();
    // Keyed ignoring letter case, as the catalog keys its codes: the first spelling stays.
    let mut codes: BTreeMap<String, VendorCode> = BTreeMap::new();
    for (log_type, listed) in log_types {
        let Value::Object(listed) = listed else {
            problems.push(format!(
                "{log_type}: expected an object of codes, found {}",
                kind(listed)
            ));
            continue;
        };
        for (code, fields) in listed {
            if let Some(why) = code_problem(code) {
                problems.push(format!("{log_type}: {code:?} {why}"));
                continue;
            }
            let Value::Object(fields) = fields else {
                problems.push(format!(
                    "{log_type}.{code}: expected an object, found {}",
                    kind(fields)
                ));
                continue;
            };
            let mut text = |field: &str| match fields.get(field) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
                Some(other) => {
                    problems.push(format!(
                        "{log_type}.{code}.{field}: expected a string, found {}",
                        kind(other)
                    ));
                    None
                }
            };
            let (title, status, error_type, admin_action) = (
                text("name"),
                text("status"),
                text("errorType"),
                text("adminAction"),
            );
            codes
                .entry(code.to_ascii_lowercase())
                .and_modify(|known| known.log_types.push(log_type.clone()))
                .or_insert_with(|| VendorCode {
                    code: code.clone(),
                    log_types: vec![log_type.clone()],
                    title,
                    status,
                    error_type,
                    admin_action,
                });
        }
    }
    if !problems.is_empty() {
        let more = problems.len().saturating_sub(PROBLEMS_SHOWN);
        problems.truncate(PROBLEMS_SHOWN);
        let mut text = problems.join("; ");
        if more > 0 {
            text.push_str(&format!("; and {more} more"));
        }
        return Err(text);
    }
    if codes.is_empty() {
        return Err("it lists no status code at all".into());
    }
    let mut codes: Vec<VendorCode> = codes.into_values().collect();
    codes.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(codes)
}

/// Why `code` cannot be a catalog code (the catalog's own rule), or `None`.
fn code_problem(code: &str) -> Option<&'static str> {
    if code.trim().is_empty() {
        Some("is not a code: it is empty")
    } else if code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    {
        None
    } else {
        Some("is not a code: codes use letters, digits, '_', '-', '.', ':'")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_shape_is_read_and_merged_by_code() {
        let body = br#"{
            "zpn_auth_log": {
                "ZPN_STATUS_AUTH_FAILED": {"errorType": "NA", "name": "Authentication failed",
                                           "adminAction": "NA", "status": "Error"}
            },
            "zpn_trans_log": {
                "BRK_MT_X": {"errorType": "InternalError", "name": "SE: X ",
                             "adminAction": "NA", "status": "Error", "extra": 1},
                "NO_NAME": {"errorType": "InternalError", "adminAction": null, "status": "Error"}
            },
            "zpn_sys_auth_log": {
                "ZPN_STATUS_AUTH_FAILED": {"errorType": "NA", "name": "Other wording",
                                           "adminAction": "NA", "status": "Error"}
            }
        }"#;
        let codes = parse_status_codes(body).unwrap();
        let names: Vec<&str> = codes.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(names, ["BRK_MT_X", "NO_NAME", "ZPN_STATUS_AUTH_FAILED"]);
        assert_eq!(codes[0].title.as_deref(), Some("SE: X"));
        assert_eq!(codes[0].log_types, ["zpn_trans_log"]);
        assert_eq!(codes[1].title, None);
        assert_eq!(codes[1].admin_action, None);
        let auth = &codes[2];
        assert_eq!(auth.log_types, ["zpn_auth_log", "zpn_sys_auth_log"]);
        assert_eq!(auth.title.as_deref(), Some("Authentication failed"));
    }

    #[test]
    fn a_malformed_answer_says_where() {
        let problem = |body: &str| parse_status_codes(body.as_bytes()).unwrap_err();
        assert!(problem("<html>login</html>").contains("not JSON"));
        assert!(problem("<html>login</html>").contains("<html>login"));
        assert!(problem("[]").contains("expected an object of log types, found an array"));
        assert!(problem("{}").contains("no status code"));
        assert!(problem(r#"{"zpn_trans_log": {}}"#).contains("no status code"));
        assert_eq!(
            problem(r#"{"zpn_trans_log": [1]}"#),
            "zpn_trans_log: expected an object of codes, found an array"
        );
        assert_eq!(
            problem(r#"{"zpn_trans_log": {"A": {"status": 3}}}"#),
            "zpn_trans_log.A.status: expected a string, found a number"
        );
        assert!(problem(r#"{"zpn_trans_log": {"A B": {}}}"#).contains("\"A B\" is not a code"));
        let many: String = (0..8)
            .map(|i| format!(r#""C{i}": 1"#))
            .collect::<Vec<_>>()
            .join(",");
        let text = problem(&format!(r#"{{"zpn_trans_log": {{{many}}}}}"#));
        assert!(text.ends_with("and 3 more"), "{text}");
    }
}
