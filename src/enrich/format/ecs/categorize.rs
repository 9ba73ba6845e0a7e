//! `event.kind`, `event.category`, `event.type` and `event.outcome` of a record: ECS allowed
//! values only, and every category paired with types ECS expects for it
//! (`expected_event_types`).

use crate::catalog::Category;
use crate::event::{LogType, SourceField};

use super::super::Record;

/// What the record itself says beyond its status code, read while its keys are mapped.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Facts {
    /// `ConnectionStatus` (User Activity): the connection opened (`open`) or ended (`close`).
    pub(super) connection: Option<Lifecycle>,
    /// `Actions` (`AppProtection`, inspection): what the inspection did.
    pub(super) action: Option<Verdict>,
    /// `AuditOperationType`.
    pub(super) audit: Option<AuditOp>,
    /// `StatusCode` (Browser Access, `AppProtection`): the HTTP status.
    pub(super) http_status: Option<i64>,
}

/// A connection or session starting or ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lifecycle {
    Start,
    End,
}

impl Lifecycle {
    /// From a `ConnectionStatus` value.
    pub(super) fn from_connection_status(s: &str) -> Option<Lifecycle> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("open") {
            Some(Lifecycle::Start)
        } else if s.eq_ignore_ascii_case("close") {
            Some(Lifecycle::End)
        } else {
            None
        }
    }
}

/// What an inspection decided, from its `Actions` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Allowed,
    Denied,
}

impl Verdict {
    /// From the actions of a record: any blocking action denies; else an allowing one allows.
    pub(super) fn from_actions<'s>(actions: impl IntoIterator<Item = &'s str>) -> Option<Verdict> {
        let mut verdict = None;
        for a in actions {
            let a = a.trim();
            if ["block", "deny", "drop", "reject", "reset"]
                .iter()
                .any(|w| a.eq_ignore_ascii_case(w))
            {
                return Some(Verdict::Denied);
            }
            if ["allow", "pass", "permit"]
                .iter()
                .any(|w| a.eq_ignore_ascii_case(w))
            {
                verdict = Some(Verdict::Allowed);
            }
        }
        verdict
    }
}

/// An audit record's operation (`AuditOperationType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AuditOp {
    Create,
    Update,
    Delete,
    SignIn,
    SignInFailure,
    SignOut,
    SessionRevoked,
    Download,
    Other,
}

impl AuditOp {
    pub(super) fn parse(s: &str) -> AuditOp {
        let s = s.trim();
        let is = |w: &str| s.eq_ignore_ascii_case(w);
        if is("create") {
            AuditOp::Create
        } else if is("update") {
            AuditOp::Update
        } else if is("delete") {
            AuditOp::Delete
        } else if is("sign in") {
            AuditOp::SignIn
        } else if is("sign in failure") {
            AuditOp::SignInFailure
        } else if is("sign out") {
            AuditOp::SignOut
        } else if is("client session revoked") {
            AuditOp::SessionRevoked
        } else if is("download") {
            AuditOp::Download
        } else {
            AuditOp::Other
        }
    }
}

/// The categorisation of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Categorized {
    pub(super) kind: &'static str,
    /// Empty: no `event.category` (and no `event.type`).
    pub(super) categories: &'static [&'static str],
    pub(super) types: Vec<&'static str>,
    /// `None`: no `event.outcome`.
    pub(super) outcome: Option<&'static str>,
}

const SUCCESS: Option<&str> = Some("success");
const FAILURE: Option<&str> = Some("failure");
const UNKNOWN: Option<&str> = Some("unknown");

/// The outcome the catalog's answer gives: a normal close or success succeeds, an error or a
/// policy block fails, a code the catalog does not know is unknown. `None` without a code.
fn outcome_of_code(rec: &Record<'_>) -> Option<&'static str> {
    rec.status.code?;
    match rec.status.category {
        _ if !rec.status.known => UNKNOWN,
        Some(Category::Info) => SUCCESS,
        Some(Category::Error | Category::PolicyBlock) => FAILURE,
        None => UNKNOWN,
    }
}

/// The outcome of an HTTP exchange: a status from 400 up fails.
fn outcome_of_http(status: i64) -> Option<&'static str> {
    if status >= 400 { FAILURE } else { SUCCESS }
}

/// Categorises a record of `rec.log_type`.
pub(super) fn categorize(rec: &Record<'_>, facts: &Facts) -> Categorized {
    let code_outcome = outcome_of_code(rec);
    let blocked = rec.status.known && rec.status.category == Some(Category::PolicyBlock);
    // For a record without a code: what its log type says instead, `unknown` otherwise.
    let no_code = |fallback: Option<&'static str>| code_outcome.or(fallback).or(UNKNOWN);
    match rec.log_type {
        LogType::UserActivity => {
            let mut types = vec!["connection"];
            match facts.connection {
                Some(Lifecycle::Start) => types.push("start"),
                Some(Lifecycle::End) => types.push("end"),
                None => {}
            }
            if blocked {
                types.push("denied");
            }
            Categorized {
                kind: "event",
                categories: &["network"],
                types,
                outcome: no_code(None),
            }
        }
        LogType::UserStatus
        | LogType::AppConnectorStatus
        | LogType::PrivateServiceEdgeStatus
        | LogType::PrivateCloudControllerStatus => {
            let session = rec
                .status
                .code
                .filter(|_| rec.status.source_field == Some(SourceField::SessionStatus));
            let t = match session {
                Some(c) if c.eq_ignore_ascii_case("ZPN_STATUS_AUTHENTICATED") => "start",
                Some(c) if c.eq_ignore_ascii_case("ZPN_STATUS_DISCONNECTED") => "end",
                _ => "info",
            };
            Categorized {
                kind: "event",
                categories: &["authentication", "session"],
                types: vec![t],
                outcome: no_code(None),
            }
        }
        LogType::BrowserAccess => {
            let outcome = no_code(facts.http_status.and_then(outcome_of_http));
            let mut types = vec!["access"];
            if outcome == FAILURE {
                types.push("error");
            }
            Categorized {
                kind: "event",
                categories: &["web"],
                types,
                outcome,
            }
        }
        LogType::AppProtection
        | LogType::SmbInspection
        | LogType::LdapInspection
        | LogType::KrbInspection => {
            // An error field that is present but empty reports no error.
            let clean = rec.status.source_field.is_some().then_some("success");
            let http = facts.http_status.and_then(outcome_of_http);
            let t = match facts.action {
                Some(Verdict::Denied) => "denied",
                Some(Verdict::Allowed) => "allowed",
                None => "info",
            };
            Categorized {
                kind: "event",
                categories: &["intrusion_detection"],
                types: vec![t],
                outcome: no_code(clean.or(http)),
            }
        }
        LogType::MicrosegmentationFlow => {
            let mut types = vec!["connection"];
            match (rec.status.known, rec.status.category) {
                (true, Some(Category::PolicyBlock)) => types.push("denied"),
                (true, Some(Category::Info)) => types.push("allowed"),
                _ => {}
            }
            Categorized {
                kind: "event",
                categories: &["network"],
                types,
                outcome: no_code(None),
            }
        }
        LogType::AppConnectorMetrics
        | LogType::PrivateServiceEdgeMetrics
        | LogType::PrivateCloudControllerMetrics => Categorized {
            kind: "metric",
            categories: &["host"],
            types: vec!["info"],
            // ECS: metric events have no outcome.
            outcome: None,
        },
        LogType::Audit => audit(facts.audit.unwrap_or(AuditOp::Other)),
        LogType::Unknown => Categorized {
            kind: "event",
            categories: &[],
            types: Vec::new(),
            outcome: code_outcome,
        },
    }
}

fn audit(op: AuditOp) -> Categorized {
    let (categories, t, outcome): (&'static [&'static str], _, _) = match op {
        AuditOp::Create => (&["iam"], "creation", SUCCESS),
        AuditOp::Update => (&["iam"], "change", SUCCESS),
        AuditOp::Delete => (&["iam"], "deletion", SUCCESS),
        AuditOp::SignIn => (&["authentication", "session"], "start", SUCCESS),
        AuditOp::SignInFailure => (&["authentication", "session"], "start", FAILURE),
        AuditOp::SignOut => (&["authentication", "session"], "end", SUCCESS),
        AuditOp::SessionRevoked => (&["session"], "end", SUCCESS),
        AuditOp::Download => (&["file"], "access", SUCCESS),
        AuditOp::Other => (&["iam"], "info", UNKNOWN),
    };
    Categorized {
        kind: "event",
        categories,
        types: vec![t],
        outcome,
    }
}
