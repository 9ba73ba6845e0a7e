//! The ZPA LSS record model: which log type a record is, where its status code sits, and what
//! is wrong with it when it cannot be read.
//!
//! Nothing here decodes the whole record. [`read`] validates the bytes and pulls out only the
//! handful of top-level members that classify the record; the record itself stays as it came.
//! This module knows nothing about the catalog or the output format.

pub mod scan;

use std::borrow::Cow;
use std::fmt;

use scan::{Member, MemberSink, SyntaxError, SyntaxErrorKind, ValueKind};

/// The LSS log types zpa-enricher recognises, detected from the keys of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogType {
    /// User Activity (`zpn_trans_log`).
    UserActivity,
    /// User Status (`zpn_auth_log`, `zpn_auth_log_1id`).
    UserStatus,
    /// App Connector Status (`zpn_ast_auth_log`).
    AppConnectorStatus,
    /// Private Service Edge Status (`zpn_sys_auth_log`).
    PrivateServiceEdgeStatus,
    /// Private Cloud Controller Status (`zpn_sitec_auth_log`).
    PrivateCloudControllerStatus,
    /// Browser Access (`zpn_http_trans_log`).
    BrowserAccess,
    /// Audit Logs (`zpn_audit_log`).
    Audit,
    /// App Connector Metrics (`zpn_ast_comprehensive_stats`).
    AppConnectorMetrics,
    /// Private Service Edge Metrics (`zpn_pbroker_comprehensive_stats`).
    PrivateServiceEdgeMetrics,
    /// Private Cloud Controller Metrics (`zpn_sitec_comprehensive_stats`).
    PrivateCloudControllerMetrics,
    /// `AppProtection` (Web Inspection) (`zpn_waf_http_exchanges_log`).
    AppProtection,
    /// SMB Inspection (`zpn_smb_inspection_log`).
    SmbInspection,
    /// LDAP Inspection (`zpn_ldap_inspection_log`).
    LdapInspection,
    /// Kerberos Inspection (`zpn_krb_inspection_log`).
    KrbInspection,
    /// Microsegmentation Flow (`zms_flow_log`).
    MicrosegmentationFlow,
    /// A JSON object whose keys match none of the above.
    Unknown,
}

impl LogType {
    /// Every log type, in declaration order.
    pub const ALL: [LogType; 16] = [
        LogType::UserActivity,
        LogType::UserStatus,
        LogType::AppConnectorStatus,
        LogType::PrivateServiceEdgeStatus,
        LogType::PrivateCloudControllerStatus,
        LogType::BrowserAccess,
        LogType::Audit,
        LogType::AppConnectorMetrics,
        LogType::PrivateServiceEdgeMetrics,
        LogType::PrivateCloudControllerMetrics,
        LogType::AppProtection,
        LogType::SmbInspection,
        LogType::LdapInspection,
        LogType::KrbInspection,
        LogType::MicrosegmentationFlow,
        LogType::Unknown,
    ];

    /// The name used in enriched output and metric labels.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            LogType::UserActivity => "user_activity",
            LogType::UserStatus => "user_status",
            LogType::AppConnectorStatus => "app_connector_status",
            LogType::PrivateServiceEdgeStatus => "private_service_edge_status",
            LogType::PrivateCloudControllerStatus => "private_cloud_controller_status",
            LogType::BrowserAccess => "browser_access",
            LogType::Audit => "audit",
            LogType::AppConnectorMetrics => "app_connector_metrics",
            LogType::PrivateServiceEdgeMetrics => "private_service_edge_metrics",
            LogType::PrivateCloudControllerMetrics => "private_cloud_controller_metrics",
            LogType::AppProtection => "app_protection",
            LogType::SmbInspection => "smb_inspection",
            LogType::LdapInspection => "ldap_inspection",
            LogType::KrbInspection => "krb_inspection",
            LogType::MicrosegmentationFlow => "microsegmentation_flow",
            LogType::Unknown => "unknown",
        }
    }

    /// The log type with this [`as_str`](Self::as_str) name or vendor `sourceLogType`
    /// identifier, ignoring letter case.
    #[must_use]
    pub fn from_name(name: &str) -> Option<LogType> {
        let name = name.trim();
        LogType::ALL.into_iter().find(|t| {
            t.as_str().eq_ignore_ascii_case(name)
                || t.lss_source_type()
                    .is_some_and(|s| s.eq_ignore_ascii_case(name))
        })
    }

    /// The vendor's `sourceLogType` identifier, when there is one.
    #[must_use]
    pub fn lss_source_type(self) -> Option<&'static str> {
        Some(match self {
            LogType::UserActivity => "zpn_trans_log",
            LogType::UserStatus => "zpn_auth_log",
            LogType::AppConnectorStatus => "zpn_ast_auth_log",
            LogType::PrivateServiceEdgeStatus => "zpn_sys_auth_log",
            LogType::PrivateCloudControllerStatus => "zpn_sitec_auth_log",
            LogType::BrowserAccess => "zpn_http_trans_log",
            LogType::Audit => "zpn_audit_log",
            LogType::AppConnectorMetrics => "zpn_ast_comprehensive_stats",
            LogType::PrivateServiceEdgeMetrics => "zpn_pbroker_comprehensive_stats",
            LogType::PrivateCloudControllerMetrics => "zpn_sitec_comprehensive_stats",
            LogType::AppProtection => "zpn_waf_http_exchanges_log",
            LogType::SmbInspection => "zpn_smb_inspection_log",
            LogType::LdapInspection => "zpn_ldap_inspection_log",
            LogType::KrbInspection => "zpn_krb_inspection_log",
            LogType::MicrosegmentationFlow => "zms_flow_log",
            LogType::Unknown => return None,
        })
    }

    /// Decides the log type from the set of distinctive keys present in a record.
    fn detect(keys: u32) -> LogType {
        let has = |k: u32| keys & k != 0;
        if has(key::INTERNAL_REASON) {
            LogType::UserActivity
        } else if has(key::SESSION_STATUS) {
            if has(key::PRIVATE_CLOUD_CONTROLLER) {
                LogType::PrivateCloudControllerStatus
            } else if has(key::SERVICE_EDGE) {
                LogType::PrivateServiceEdgeStatus
            } else if has(key::CONNECTOR) {
                LogType::AppConnectorStatus
            } else {
                LogType::UserStatus
            }
        } else if has(key::EXPORTER) {
            LogType::BrowserAccess
        } else if has(key::AUDIT_OPERATION_TYPE) {
            LogType::Audit
        } else if has(key::EXCHANGE_SEQUENCE_INDEX) {
            LogType::AppProtection
        } else if has(key::KRB) {
            LogType::KrbInspection
        } else if has(key::LDAP) {
            LogType::LdapInspection
        } else if has(key::SMB) {
            LogType::SmbInspection
        } else if has(key::ENFORCEMENT_ACTION) {
            LogType::MicrosegmentationFlow
        } else if has(key::ALIVE_TARGET_COUNT) {
            LogType::AppConnectorMetrics
        } else if has(key::PRIVATE_SE) {
            LogType::PrivateServiceEdgeMetrics
        } else if has(key::PRIVATE_CLOUD_CONTROLLER) {
            LogType::PrivateCloudControllerMetrics
        } else if has(key::CONNECTION_STATUS) && has(key::CONNECTION_ID) {
            // Older or trimmed User Activity templates without `InternalReason`.
            LogType::UserActivity
        } else {
            LogType::Unknown
        }
    }
}

impl fmt::Display for LogType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The record fields that can carry a status code, in lookup order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceField {
    /// `InternalReason` (User Activity).
    InternalReason,
    /// `SessionStatus` (User, App Connector, Private Service Edge, Private Cloud Controller Status).
    SessionStatus,
    /// `ConnectionStatus` (User Activity when `InternalReason` is empty; Browser Access).
    ConnectionStatus,
}

impl SourceField {
    /// Every status field, in lookup order.
    pub const ALL: [SourceField; 3] = [
        SourceField::InternalReason,
        SourceField::SessionStatus,
        SourceField::ConnectionStatus,
    ];

    /// The JSON key of the field.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SourceField::InternalReason => "InternalReason",
            SourceField::SessionStatus => "SessionStatus",
            SourceField::ConnectionStatus => "ConnectionStatus",
        }
    }
}

impl fmt::Display for SourceField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bit flags for the distinctive keys that classify a record.
mod key {
    pub(super) const INTERNAL_REASON: u32 = 1 << 0;
    pub(super) const SESSION_STATUS: u32 = 1 << 1;
    pub(super) const CONNECTION_STATUS: u32 = 1 << 2;
    pub(super) const CONNECTION_ID: u32 = 1 << 3;
    pub(super) const EXPORTER: u32 = 1 << 4;
    pub(super) const AUDIT_OPERATION_TYPE: u32 = 1 << 5;
    pub(super) const EXCHANGE_SEQUENCE_INDEX: u32 = 1 << 6;
    pub(super) const KRB: u32 = 1 << 7;
    pub(super) const LDAP: u32 = 1 << 8;
    pub(super) const SMB: u32 = 1 << 9;
    pub(super) const ENFORCEMENT_ACTION: u32 = 1 << 10;
    pub(super) const ALIVE_TARGET_COUNT: u32 = 1 << 11;
    pub(super) const PRIVATE_SE: u32 = 1 << 12;
    pub(super) const PRIVATE_CLOUD_CONTROLLER: u32 = 1 << 13;
    pub(super) const SERVICE_EDGE: u32 = 1 << 14;
    pub(super) const CONNECTOR: u32 = 1 << 15;

    /// Maps a (decoded) top-level key to its flag, or 0.
    ///
    /// Dispatches on the length first: most keys of a record have a length no key of interest
    /// has, so they are dismissed without comparing bytes.
    #[inline]
    pub(super) fn flag(k: &[u8]) -> u32 {
        let is = |name: &[u8]| k == name;
        match k.len() {
            6 if is(b"SMBRPC") => SMB,
            8 if is(b"Exporter") || is(b"KRBRealm") => {
                if k[0] == b'E' {
                    EXPORTER
                } else {
                    KRB
                }
            }
            9 if is(b"Connector") || is(b"PrivateSE") => {
                if k[0] == b'C' {
                    CONNECTOR
                } else {
                    PRIVATE_SE
                }
            }
            11 if is(b"ServiceEdge") => SERVICE_EDGE,
            12 if is(b"ConnectionID") || is(b"KRBErrorCode") => {
                if k[0] == b'C' {
                    CONNECTION_ID
                } else {
                    KRB
                }
            }
            13 if is(b"SessionStatus") => SESSION_STATUS,
            14 if is(b"InternalReason") => INTERNAL_REASON,
            16 if is(b"ConnectionStatus")
                || is(b"KRBUserPrincipal")
                || is(b"AliveTargetCount")
                || is(b"LDAPBindRequests") =>
            {
                match k[0] {
                    b'C' => CONNECTION_STATUS,
                    b'K' => KRB,
                    b'A' => ALIVE_TARGET_COUNT,
                    _ => LDAP,
                }
            }
            17 if is(b"EnforcementAction") => ENFORCEMENT_ACTION,
            18 if is(b"AuditOperationType")
                || is(b"auditOperationType")
                || is(b"LDAPSearchRequests") =>
            {
                if k[0] == b'L' {
                    LDAP
                } else {
                    AUDIT_OPERATION_TYPE
                }
            }
            21 if is(b"ExchangeSequenceIndex") => EXCHANGE_SEQUENCE_INDEX,
            22 if is(b"PrivateCloudController") => PRIVATE_CLOUD_CONTROLLER,
            24 if is(b"SMBFileOperationRequests") => SMB,
            _ => 0,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn every_key_of_interest_maps_to_its_flag() {
            let cases: [(&[u8], u32); 23] = [
                (b"InternalReason", INTERNAL_REASON),
                (b"SessionStatus", SESSION_STATUS),
                (b"ConnectionStatus", CONNECTION_STATUS),
                (b"ConnectionID", CONNECTION_ID),
                (b"Exporter", EXPORTER),
                (b"AuditOperationType", AUDIT_OPERATION_TYPE),
                (b"auditOperationType", AUDIT_OPERATION_TYPE),
                (b"ExchangeSequenceIndex", EXCHANGE_SEQUENCE_INDEX),
                (b"KRBRealm", KRB),
                (b"KRBErrorCode", KRB),
                (b"KRBUserPrincipal", KRB),
                (b"LDAPBindRequests", LDAP),
                (b"LDAPSearchRequests", LDAP),
                (b"SMBRPC", SMB),
                (b"SMBFileOperationRequests", SMB),
                (b"EnforcementAction", ENFORCEMENT_ACTION),
                (b"AliveTargetCount", ALIVE_TARGET_COUNT),
                (b"PrivateSE", PRIVATE_SE),
                (b"PrivateCloudController", PRIVATE_CLOUD_CONTROLLER),
                (b"ServiceEdge", SERVICE_EDGE),
                (b"Connector", CONNECTOR),
                (b"ConnectorZEN", 0),
                (b"internalreason", 0),
            ];
            for (k, f) in cases {
                assert_eq!(flag(k), f, "{}", String::from_utf8_lossy(k));
            }
        }
    }
}

/// Why a record could not be read. The string form is a stable metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InvalidReason {
    /// The record is empty or only whitespace.
    Empty,
    /// The bytes are not valid UTF-8.
    InvalidUtf8,
    /// The bytes are not JSON.
    NotJson,
    /// Valid JSON, but not an object.
    NotObject,
    /// The JSON ends early.
    Truncated,
    /// Nested deeper than the configured limit.
    TooDeep,
    /// More bytes follow the JSON object.
    TrailingData,
    /// A status field has a type other than string.
    WrongType,
    /// The record is larger than the configured limit.
    TooLarge,
}

impl InvalidReason {
    /// Every reason, in declaration order.
    pub const ALL: [InvalidReason; 9] = [
        InvalidReason::Empty,
        InvalidReason::InvalidUtf8,
        InvalidReason::NotJson,
        InvalidReason::NotObject,
        InvalidReason::Truncated,
        InvalidReason::TooDeep,
        InvalidReason::TrailingData,
        InvalidReason::WrongType,
        InvalidReason::TooLarge,
    ];

    /// The label used in logs, metrics and dead-letter headers.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            InvalidReason::Empty => "empty",
            InvalidReason::InvalidUtf8 => "invalid_utf8",
            InvalidReason::NotJson => "not_json",
            InvalidReason::NotObject => "not_object",
            InvalidReason::Truncated => "truncated",
            InvalidReason::TooDeep => "too_deep",
            InvalidReason::TrailingData => "trailing_data",
            InvalidReason::WrongType => "wrong_type",
            InvalidReason::TooLarge => "too_large",
        }
    }
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record that cannot be enriched: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRecord {
    /// The class of problem.
    pub reason: InvalidReason,
    /// Byte offset of the problem within the record.
    pub offset: usize,
    /// A one-line explanation.
    pub detail: Cow<'static, str>,
}

impl fmt::Display for InvalidRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {}: {}",
            self.reason, self.offset, self.detail
        )
    }
}

impl std::error::Error for InvalidRecord {}

impl InvalidRecord {
    fn new(reason: InvalidReason, offset: usize, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            reason,
            offset,
            detail: detail.into(),
        }
    }

    /// The record exceeds `limit` bytes.
    #[must_use]
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            InvalidReason::TooLarge,
            limit,
            format!("record is larger than the limit of {limit} bytes"),
        )
    }

    fn from_syntax(e: SyntaxError, looks_like_csv: bool) -> Self {
        let reason = match e.kind {
            SyntaxErrorKind::UnexpectedEnd(_) => InvalidReason::Truncated,
            SyntaxErrorKind::TooDeep(_) => InvalidReason::TooDeep,
            SyntaxErrorKind::TrailingData => InvalidReason::TrailingData,
            _ => InvalidReason::NotJson,
        };
        let mut detail = e.to_string();
        if looks_like_csv {
            detail.push_str(
                " (this looks like a CSV/TSV LSS record; configure the log receiver with the JSON template)",
            );
        }
        Self::new(reason, e.offset, detail)
    }
}

/// How a syslog-style header in front of the JSON object is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderMode {
    /// Drop the header; the output is the bare JSON object.
    #[default]
    Strip,
    /// Keep the header in front of the enriched object.
    Keep,
}

/// A status field found in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusValue {
    /// Which field it is.
    pub field: SourceField,
    /// The member, with offsets into the record.
    pub member: Member,
}

/// What [`read`] learned about one well-formed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordView {
    /// Offset where the output starts (0, or the `{` when a header is stripped).
    pub output_start: usize,
    /// Offset of the `{` of the JSON object.
    pub object_start: usize,
    /// Offset of the closing `}` of the JSON object.
    pub object_close: usize,
    /// Number of top-level members.
    pub members: usize,
    /// The detected log type.
    pub log_type: LogType,
    /// The status fields present, in [`SourceField::ALL`] order.
    pub status: [Option<StatusValue>; 3],
    /// True when at least one top-level key is one the caller asked to be told about
    /// (see [`OwnedKeys`]), e.g. an `enrichment` object from an earlier pass.
    pub has_owned_keys: bool,
}

impl RecordView {
    /// The first non-empty status code, in lookup order, as written in the record (escapes
    /// decoded, surrounding whitespace trimmed). `None` when all status fields are absent or empty.
    #[must_use]
    pub fn status_code<'a>(&self, record: &'a [u8]) -> Option<(SourceField, Cow<'a, str>)> {
        for s in self.status.iter().flatten() {
            let code = decode_string(record, &s.member);
            let trimmed = match code {
                Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
                Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
            };
            if !trimmed.is_empty() {
                return Some((s.field, trimmed));
            }
        }
        None
    }

    /// The first status field that is present (even if empty), for reporting records without a
    /// code.
    #[must_use]
    pub fn first_status_field(&self) -> Option<SourceField> {
        self.status.iter().flatten().next().map(|s| s.field)
    }
}

/// Decodes a string member (or returns its raw text for other kinds; callers only pass strings).
fn decode_string<'a>(record: &'a [u8], m: &Member) -> Cow<'a, str> {
    let raw = m.raw_value(record);
    match m.kind {
        ValueKind::String { escaped: true } => {
            // Rare: decode escapes with serde_json (the scanner already validated the syntax).
            match serde_json::from_slice::<String>(&record[m.value_start..m.value_end]) {
                Ok(s) => Cow::Owned(s),
                Err(_) => String::from_utf8_lossy(raw),
            }
        }
        // The record was checked to be UTF-8 as a whole and the scanner only splits at ASCII
        // bytes, so this never takes the lossy path.
        _ => String::from_utf8_lossy(raw),
    }
}

/// Tells the reader which top-level keys belong to the enricher's own output, so that a record
/// enriched earlier can be recognised.
#[derive(Debug, Clone)]
pub enum OwnedKeys {
    /// A single key (nested output mode), e.g. `enrichment`.
    Exact(Box<str>),
    /// Every key with this prefix followed by one of the given names (flat output mode).
    Prefixed {
        /// The key prefix, e.g. `zpa_`.
        prefix: Box<str>,
        /// The names after the prefix.
        names: &'static [&'static str],
    },
}

impl OwnedKeys {
    /// True when `key` (decoded) is one of ours.
    #[inline]
    #[must_use]
    pub fn matches(&self, key: &[u8]) -> bool {
        match self {
            OwnedKeys::Exact(k) => key == k.as_bytes(),
            OwnedKeys::Prefixed { prefix, names } => key
                .strip_prefix(prefix.as_bytes())
                .is_some_and(|rest| names.iter().any(|n| n.as_bytes() == rest)),
        }
    }
}

/// Options for [`read`].
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Maximum nesting depth.
    pub max_depth: usize,
    /// Records longer than this are rejected as [`InvalidReason::TooLarge`].
    pub max_record_bytes: usize,
    /// What to do with a syslog header in front of the object.
    pub header: HeaderMode,
    /// Keys that belong to the enricher's output.
    pub owned: OwnedKeys,
}

struct Classifier<'o> {
    keys: u32,
    status: [Option<StatusValue>; 3],
    owned: &'o OwnedKeys,
    has_owned: bool,
}

impl Classifier<'_> {
    #[inline]
    fn key(&mut self, key: &[u8], member: &Member) {
        let flag = key::flag(key);
        if flag != 0 {
            self.keys |= flag;
            let field = match flag {
                key::INTERNAL_REASON => Some(SourceField::InternalReason),
                key::SESSION_STATUS => Some(SourceField::SessionStatus),
                key::CONNECTION_STATUS => Some(SourceField::ConnectionStatus),
                _ => None,
            };
            if let Some(field) = field {
                // With duplicate keys the last one wins, as in most JSON parsers. A null status
                // field counts as absent.
                self.status[field as usize] =
                    (member.kind != ValueKind::Null).then_some(StatusValue {
                        field,
                        member: *member,
                    });
            }
        } else if self.owned.matches(key) {
            self.has_owned = true;
        }
    }
}

impl MemberSink for Classifier<'_> {
    #[inline]
    fn member(&mut self, buf: &[u8], member: &Member) {
        let raw = member.raw_key(buf);
        if member.key_escaped {
            if let Ok(decoded) =
                serde_json::from_slice::<String>(&buf[member.key_start..member.key_end + 1])
            {
                self.key(decoded.as_bytes(), member);
            }
        } else {
            self.key(raw, member);
        }
    }
}

/// Finds the end of a syslog-style header (`<PRI>` plus anything up to the first `{`).
/// Returns the offset of the `{`, or `None` when there is no header.
fn header_end(record: &[u8], at: usize) -> Option<Result<usize, InvalidRecord>> {
    let rest = &record[at..];
    if rest.first() != Some(&b'<') {
        return None;
    }
    let digits = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=3).contains(&digits) || rest.get(1 + digits) != Some(&b'>') {
        return None;
    }
    Some(match memchr::memchr(b'{', rest) {
        Some(p) => Ok(at + p),
        None => Err(InvalidRecord::new(
            InvalidReason::NotJson,
            record.len(),
            "a syslog header is not followed by a JSON object",
        )),
    })
}

/// Validates one record and finds what the enricher needs in it.
///
/// # Errors
/// Returns an [`InvalidRecord`] naming the problem and its byte offset when the record is empty,
/// too large, not UTF-8, not a JSON object, or has a status field that is not a string.
pub fn read(record: &[u8], opts: &ReadOptions) -> Result<RecordView, InvalidRecord> {
    if record.len() > opts.max_record_bytes {
        return Err(InvalidRecord::too_large(opts.max_record_bytes));
    }
    if let Err(e) = std::str::from_utf8(record) {
        return Err(InvalidRecord::new(
            InvalidReason::InvalidUtf8,
            e.valid_up_to(),
            "invalid UTF-8 sequence",
        ));
    }
    let first = scan::skip_whitespace(record, 0);
    if first == record.len() {
        return Err(InvalidRecord::new(InvalidReason::Empty, 0, "empty record"));
    }
    let (object_start, output_start) = match header_end(record, first) {
        Some(Ok(brace)) => (
            brace,
            match opts.header {
                HeaderMode::Strip => brace,
                HeaderMode::Keep => 0,
            },
        ),
        Some(Err(e)) => return Err(e),
        None => (first, 0),
    };
    let mut sink = Classifier {
        keys: 0,
        status: [None; 3],
        owned: &opts.owned,
        has_owned: false,
    };
    let doc = scan::scan(record, object_start, opts.max_depth, &mut sink).map_err(|e| {
        let looks_like_csv = memchr::memmem::find(record, b" zpa-lss: ").is_some()
            || memchr::memmem::find(record, b" zms-lss: ").is_some();
        InvalidRecord::from_syntax(e, looks_like_csv)
    })?;
    if doc.kind != ValueKind::Object {
        return Err(InvalidRecord::new(
            InvalidReason::NotObject,
            doc.start,
            format!(
                "the record is a JSON {}, not an object",
                doc.kind.type_name()
            ),
        ));
    }
    for s in sink.status.iter().flatten() {
        match s.member.kind {
            ValueKind::String { .. } => {}
            other => {
                return Err(InvalidRecord::new(
                    InvalidReason::WrongType,
                    s.member.value_start,
                    format!(
                        "status field {} is a {}, expected a string",
                        s.field,
                        other.type_name()
                    ),
                ));
            }
        }
    }
    Ok(RecordView {
        output_start,
        object_start: doc.start,
        object_close: doc.end - 1,
        members: doc.members,
        log_type: LogType::detect(sink.keys),
        status: sink.status,
        has_owned_keys: sink.has_owned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ReadOptions {
        ReadOptions {
            max_depth: 32,
            max_record_bytes: 1 << 20,
            header: HeaderMode::Strip,
            owned: OwnedKeys::Exact("enrichment".into()),
        }
    }

    fn view(s: &str) -> RecordView {
        read(s.as_bytes(), &opts()).unwrap()
    }

    fn invalid(s: &[u8]) -> InvalidRecord {
        read(s, &opts()).unwrap_err()
    }

    #[test]
    fn detects_log_types_from_distinctive_keys() {
        let cases = [
            (
                r#"{"InternalReason":"","ConnectionStatus":"active"}"#,
                LogType::UserActivity,
            ),
            (
                r#"{"ConnectionID":"a,b","ConnectionStatus":"active"}"#,
                LogType::UserActivity,
            ),
            (
                r#"{"Username":"u","SessionStatus":"ZPN_STATUS_AUTHENTICATED"}"#,
                LogType::UserStatus,
            ),
            (
                r#"{"Connector":"c","SessionStatus":"x"}"#,
                LogType::AppConnectorStatus,
            ),
            (
                r#"{"ServiceEdge":"s","SessionStatus":"x"}"#,
                LogType::PrivateServiceEdgeStatus,
            ),
            (
                r#"{"PrivateCloudController":"p","SessionStatus":"x"}"#,
                LogType::PrivateCloudControllerStatus,
            ),
            (
                r#"{"ConnectionID":"x","Exporter":"unset","ConnectionStatus":""}"#,
                LogType::BrowserAccess,
            ),
            (r#"{"AuditOperationType":"Create"}"#, LogType::Audit),
            (r#"{"auditOperationType":"Sign In"}"#, LogType::Audit),
            (
                r#"{"Connector":"c","AliveTargetCount":"3"}"#,
                LogType::AppConnectorMetrics,
            ),
            (
                r#"{"PrivateSE":"p","CPUUtilization":"1"}"#,
                LogType::PrivateServiceEdgeMetrics,
            ),
            (
                r#"{"PrivateCloudController":"p","CPUUtilization":"1"}"#,
                LogType::PrivateCloudControllerMetrics,
            ),
            (r#"{"ExchangeSequenceIndex":1}"#, LogType::AppProtection),
            (
                r#"{"ProtocolInspectionError":"","SMBRPC":0}"#,
                LogType::SmbInspection,
            ),
            (
                r#"{"ProtocolInspectionError":"","LDAPBindRequests":0}"#,
                LogType::LdapInspection,
            ),
            (
                r#"{"ProtocolInspectionError":"","KRBRealm":"R"}"#,
                LogType::KrbInspection,
            ),
            (
                r#"{"EnforcementAction":"ALLOW"}"#,
                LogType::MicrosegmentationFlow,
            ),
            (r#"{"foo":"bar"}"#, LogType::Unknown),
            (r#"{}"#, LogType::Unknown),
        ];
        for (s, t) in cases {
            assert_eq!(view(s).log_type, t, "{s}");
        }
    }

    #[test]
    fn log_types_parse_from_both_names() {
        for t in LogType::ALL {
            assert_eq!(LogType::from_name(t.as_str()), Some(t));
            if let Some(lss) = t.lss_source_type() {
                assert_eq!(LogType::from_name(lss), Some(t));
            }
        }
        assert_eq!(
            LogType::from_name("USER_ACTIVITY"),
            Some(LogType::UserActivity)
        );
        assert_eq!(LogType::from_name("nope"), None);
    }

    #[test]
    fn status_lookup_order_and_fallbacks() {
        let r = r#"{"InternalReason":"","ConnectionStatus":"close"}"#;
        let (f, c) = view(r).status_code(r.as_bytes()).unwrap();
        assert_eq!((f, c.as_ref()), (SourceField::ConnectionStatus, "close"));

        let r = r#"{"ConnectionStatus":"close","InternalReason":" BRK_MT_TERMINATED "}"#;
        let (f, c) = view(r).status_code(r.as_bytes()).unwrap();
        assert_eq!(
            (f, c.as_ref()),
            (SourceField::InternalReason, "BRK_MT_TERMINATED")
        );

        let r = r#"{"InternalReason":"\u0041PP_NOT_REACHABLE"}"#;
        let (_, c) = view(r).status_code(r.as_bytes()).unwrap();
        assert_eq!(c.as_ref(), "APP_NOT_REACHABLE");

        let r = r#"{"SessionStatus":null,"Username":"u"}"#;
        assert!(view(r).status_code(r.as_bytes()).is_none());
        assert_eq!(view(r).first_status_field(), None);

        let r = r#"{"InternalReason":"","Customer":"c"}"#;
        assert!(view(r).status_code(r.as_bytes()).is_none());
        assert_eq!(
            view(r).first_status_field(),
            Some(SourceField::InternalReason)
        );
    }

    #[test]
    fn syslog_headers_are_recognised() {
        let r =
            r#"<165>1 - - - - - - token {"SessionStatus":"ZPN_STATUS_AUTH_FAILED","Username":"u"}"#;
        let v = view(r);
        assert_eq!(v.object_start, r.find('{').unwrap());
        assert_eq!(v.output_start, v.object_start);
        assert_eq!(v.log_type, LogType::UserStatus);

        let keep = ReadOptions {
            header: HeaderMode::Keep,
            ..opts()
        };
        assert_eq!(read(b"<13>{}", &keep).unwrap().output_start, 0);
        assert_eq!(invalid(b"<13> no json here").reason, InvalidReason::NotJson);
    }

    #[test]
    fn invalid_records_name_the_problem_and_offset() {
        let cases: [(&[u8], InvalidReason, usize); 11] = [
            (b"", InvalidReason::Empty, 0),
            (b"  \t ", InvalidReason::Empty, 0),
            (b"{\"a\":\"\xff\"}", InvalidReason::InvalidUtf8, 6),
            (b"hello", InvalidReason::NotJson, 0),
            (b"[1,2]", InvalidReason::NotObject, 0),
            (b"\"str\"", InvalidReason::NotObject, 0),
            (
                b"{\"InternalReason\":\"APP_NOT",
                InvalidReason::Truncated,
                26,
            ),
            (b"{\"a\":1} {\"b\":2}", InvalidReason::TrailingData, 8),
            (b"{\"InternalReason\":42}", InvalidReason::WrongType, 18),
            (b"{\"SessionStatus\":[\"x\"]}", InvalidReason::WrongType, 17),
            (b"{\"a\":1,}", InvalidReason::NotJson, 7),
        ];
        for (input, reason, offset) in cases {
            let e = invalid(input);
            assert_eq!(
                (e.reason, e.offset),
                (reason, offset),
                "{:?}: {e}",
                String::from_utf8_lossy(input)
            );
        }
        let bomb = format!("{{\"a\":{}", "[".repeat(10_000));
        let e = invalid(bomb.as_bytes());
        assert_eq!((e.reason, e.offset), (InvalidReason::TooDeep, 5 + 31));
        assert!(e.detail.contains("deeper than 32 levels"), "{e}");
        let big = read(
            &[b' '; 100],
            &ReadOptions {
                max_record_bytes: 10,
                ..opts()
            },
        )
        .unwrap_err();
        assert_eq!(big.reason, InvalidReason::TooLarge);
    }

    #[test]
    fn csv_lines_get_a_hint() {
        let e = invalid(b"Wed Dec  1 10:38:41 2021 User Activity zpa-lss: ,Acme,abc,def");
        assert_eq!(e.reason, InvalidReason::NotJson);
        assert!(e.to_string().contains("JSON template"), "{e}");
    }

    #[test]
    fn owned_keys_are_noticed() {
        assert!(view(r#"{"a":1,"enrichment":{}}"#).has_owned_keys);
        assert!(!view(r#"{"a":1,"enrichments":{}}"#).has_owned_keys);
        let flat = OwnedKeys::Prefixed {
            prefix: "zpa_".into(),
            names: &["code", "status"],
        };
        assert!(flat.matches(b"zpa_code"));
        assert!(!flat.matches(b"zpa_other"));
        assert!(!flat.matches(b"code"));
    }
}
