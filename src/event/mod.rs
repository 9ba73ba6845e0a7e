//! The ZPA LSS record model: which log type a record is, where its status code sits, and what
//! is wrong with it when it cannot be read.
//!
//! Nothing here decodes the whole record. [`read`] validates the bytes and pulls out only the
//! handful of top-level members that classify the record; the record itself stays as it came.
//! [`repair`] fixes one known template quirk in a record that [`read`] refused. A
//! [`LineReader`] turns the lines a log receiver gets (JSON, the vendor's CSV and TSV templates,
//! a custom template) into such records. This module knows nothing about the catalog or the
//! output format.

mod invalid;
mod lines;
mod log_type;
mod repair;
pub(crate) mod scan;
#[cfg(test)]
mod tests;
mod time;

use std::borrow::Cow;
use std::fmt;

pub use invalid::{InvalidReason, InvalidRecord};
pub use lines::{
    FieldProblem, Line, LineError, LineFormat, LineNote, LineReader, Notes, Quote, RenderError,
    SeenFormat, Template, TemplateError, TemplateProblem, render,
};
pub use log_type::LogType;
use log_type::key;
pub use repair::{Quirk, Quirks, Repaired, repair};
use scan::{Member, MemberSink, ValueKind};
pub use time::{EventTime, TimeSource, parse_timestamp};

/// The record fields that can carry a status code. Which of them a record is looked up by, and
/// in which order, depends on its log type ([`LogType::status_fields`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceField {
    /// `InternalReason` (User Activity).
    InternalReason,
    /// `SessionStatus` (User, App Connector, Private Service Edge, Private Cloud Controller Status).
    SessionStatus,
    /// `ConnectionReason` (Browser Access: the internal reason, a catalog code).
    ConnectionReason,
    /// `ConnectionStatus` (User Activity when `InternalReason` is empty; Browser Access when
    /// `ConnectionReason` is empty): a connection state.
    ConnectionStatus,
    /// `HTTPError` (`AppProtection`).
    HttpError,
    /// `ProtocolInspectionError` (SMB, LDAP and Kerberos inspection).
    ProtocolInspectionError,
    /// `EnforcementAction` (Microsegmentation Flow).
    EnforcementAction,
}

impl SourceField {
    /// How many status fields there are.
    pub const COUNT: usize = 7;

    /// Every status field, in declaration order.
    pub const ALL: [SourceField; Self::COUNT] = [
        SourceField::InternalReason,
        SourceField::SessionStatus,
        SourceField::ConnectionReason,
        SourceField::ConnectionStatus,
        SourceField::HttpError,
        SourceField::ProtocolInspectionError,
        SourceField::EnforcementAction,
    ];

    /// The JSON key of the field.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SourceField::InternalReason => "InternalReason",
            SourceField::SessionStatus => "SessionStatus",
            SourceField::ConnectionReason => "ConnectionReason",
            SourceField::ConnectionStatus => "ConnectionStatus",
            SourceField::HttpError => "HTTPError",
            SourceField::ProtocolInspectionError => "ProtocolInspectionError",
            SourceField::EnforcementAction => "EnforcementAction",
        }
    }

    /// True for fields that hold a connection state (`open`, `active`, `close`,
    /// `zfce_mt_*`, ...) rather than a reason code. A state field is read only when every reason
    /// field of the log type is empty, so a state never hides a reason code.
    #[must_use]
    pub fn is_state(self) -> bool {
        matches!(self, SourceField::ConnectionStatus)
    }
}

impl fmt::Display for SourceField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    /// The status fields present, indexed by [`SourceField`].
    pub status: [Option<StatusValue>; SourceField::COUNT],
    /// True when at least one top-level key is one the caller asked to be told about
    /// (see [`OwnedKeys`]), e.g. an `enrichment` object from an earlier pass.
    pub has_owned_keys: bool,
    /// The time fields present (`LogTimestamp`, `ModifiedTime`, `CreationTime`, in the order
    /// of [`TimeSource`]), whatever their values.
    pub time: [Option<Member>; TIME_FIELDS],
}

/// How many fields an event time is read from.
const TIME_FIELDS: usize = 3;

/// The time fields in the order they are tried.
const TIME_SOURCES: [TimeSource; TIME_FIELDS] = [
    TimeSource::LogTimestamp,
    TimeSource::ModifiedTime,
    TimeSource::CreationTime,
];

impl RecordView {
    /// The status fields of the record's log type that are present, in lookup order.
    fn present(&self) -> impl Iterator<Item = &StatusValue> {
        self.log_type
            .status_fields()
            .iter()
            .filter_map(|&f| self.status[f as usize].as_ref())
    }

    /// The first non-empty status code among the log type's status fields, in their lookup
    /// order ([`LogType::status_fields`]), as written in the record (escapes decoded,
    /// surrounding whitespace trimmed). `None` when all of them are absent or empty.
    #[must_use]
    pub fn status_code<'a>(&self, record: &'a [u8]) -> Option<(SourceField, Cow<'a, str>)> {
        for s in self.present() {
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

    /// The record's event time: `LogTimestamp`, else `ModifiedTime`, else `CreationTime` (audit
    /// records), the first of them that holds a time in a form [`parse_timestamp`] reads.
    /// `None` when none does.
    #[must_use]
    pub fn event_time(&self, record: &[u8]) -> Option<EventTime> {
        self.time
            .iter()
            .zip(TIME_SOURCES)
            .find_map(|(member, source)| {
                let m = member.as_ref()?;
                let millis = match m.kind {
                    ValueKind::String { escaped: false } | ValueKind::Number => {
                        parse_timestamp(m.raw_value(record))
                    }
                    // No timestamp form has a character worth escaping, but `\u0020` is legal.
                    ValueKind::String { escaped: true } => {
                        parse_timestamp(decode_string(record, m).as_bytes())
                    }
                    _ => None,
                }?;
                Some(EventTime { millis, source })
            })
    }

    /// The first status field that is present (even if empty), for reporting records without a
    /// code.
    #[must_use]
    pub fn first_status_field(&self) -> Option<SourceField> {
        self.present().next().map(|s| s.field)
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
    ///
    /// Runs for every key of every record, nearly always to say no: the first byte is looked at
    /// before any `memcmp`.
    #[inline]
    #[must_use]
    pub fn matches(&self, key: &[u8]) -> bool {
        let starts_like = |s: &[u8]| s.first() == key.first();
        match self {
            OwnedKeys::Exact(k) => {
                let k = k.as_bytes();
                k.len() == key.len() && starts_like(k) && key == k
            }
            OwnedKeys::Prefixed { prefix, names } => {
                starts_like(prefix.as_bytes())
                    && key
                        .strip_prefix(prefix.as_bytes())
                        .is_some_and(|rest| names.iter().any(|n| n.as_bytes() == rest))
            }
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

struct Classifier<'o, 'c, C: MemberSink> {
    /// Also told of every member: `()`, or a list for a caller that needs them all.
    also: &'c mut C,
    keys: u32,
    status: [Option<StatusValue>; SourceField::COUNT],
    owned: &'o OwnedKeys,
    has_owned: bool,
    time: [Option<Member>; TIME_FIELDS],
}

impl<C: MemberSink> Classifier<'_, '_, C> {
    #[inline]
    fn key(&mut self, key: &[u8], member: &Member) {
        let flag = key::flag(key);
        if flag != 0 {
            self.keys |= flag;
            if flag & key::TIME != 0 {
                // LOG_TIMESTAMP, MODIFIED_TIME, CREATION_TIME: slots 0, 1, 2.
                let at = (flag / key::LOG_TIMESTAMP).trailing_zeros() as usize;
                self.time[at] = Some(*member);
                return;
            }
            let field = match flag {
                key::INTERNAL_REASON => Some(SourceField::InternalReason),
                key::SESSION_STATUS => Some(SourceField::SessionStatus),
                key::CONNECTION_REASON => Some(SourceField::ConnectionReason),
                key::CONNECTION_STATUS => Some(SourceField::ConnectionStatus),
                key::HTTP_ERROR => Some(SourceField::HttpError),
                key::PROTOCOL_INSPECTION_ERROR => Some(SourceField::ProtocolInspectionError),
                key::ENFORCEMENT_ACTION => Some(SourceField::EnforcementAction),
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

impl<C: MemberSink> MemberSink for Classifier<'_, '_, C> {
    #[inline]
    fn member(&mut self, buf: &[u8], member: &Member) {
        self.also.member(buf, member);
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
            if looks_like_csv(record, at + 1 + digits + 1) {
                "a syslog header is not followed by a JSON object (this looks like a CSV/TSV LSS \
                 record; configure the log receiver with the JSON template)"
            } else {
                "a syslog header is not followed by a JSON object"
            },
        )),
    })
}

/// Validates one record and finds what the enricher needs in it.
///
/// # Errors
/// Returns an [`InvalidRecord`] naming the problem and its byte offset when the record is empty,
/// too large, not UTF-8, not a JSON object, or has a status field that is not a string.
pub fn read(record: &[u8], opts: &ReadOptions) -> Result<RecordView, InvalidRecord> {
    read_into(record, opts, &mut ())
}

/// [`read`], also handing every top-level member to `members` (e.g. a `Vec<Member>`), for a
/// caller that needs them all and would otherwise scan the record a second time.
///
/// # Errors
/// As [`read`]; `members` may then hold the members read before the problem.
pub(crate) fn read_into<C: MemberSink>(
    record: &[u8],
    opts: &ReadOptions,
    members: &mut C,
) -> Result<RecordView, InvalidRecord> {
    if record.len() > opts.max_record_bytes {
        return Err(InvalidRecord::too_large(opts.max_record_bytes));
    }
    // The SIMD check is several times faster on valid input; the standard library's check
    // runs only to locate the error.
    if simdutf8::basic::from_utf8(record).is_err() {
        let at = std::str::from_utf8(record)
            .err()
            .map_or(0, |e| e.valid_up_to());
        return Err(InvalidRecord::new(
            InvalidReason::InvalidUtf8,
            at,
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
        also: members,
        keys: 0,
        status: [None; SourceField::COUNT],
        owned: &opts.owned,
        has_owned: false,
        time: [None; TIME_FIELDS],
    };
    let doc = scan::scan(record, object_start, opts.max_depth, &mut sink)
        .map_err(|e| InvalidRecord::from_syntax(e, looks_like_csv(record, object_start)))?;
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
    let log_type = LogType::detect(sink.keys);
    // Only the fields the log type is looked up by must be strings; the others are record data.
    for s in log_type
        .status_fields()
        .iter()
        .filter_map(|&f| sink.status[f as usize].as_ref())
    {
        match s.member.kind {
            ValueKind::String { .. } => {}
            other => {
                return Err(InvalidRecord::new(
                    InvalidReason::WrongType,
                    s.member.value_start,
                    format!(
                        "status field {} is {} {}, expected a string",
                        s.field,
                        if matches!(other, ValueKind::Object | ValueKind::Array) {
                            "an"
                        } else {
                            "a"
                        },
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
        log_type,
        status: sink.status,
        has_owned_keys: sink.has_owned,
        time: sink.time,
    })
}

/// True when a record that is not JSON looks like an LSS record in the CSV or TSV template: it
/// names the LSS syslog tag, or it does not start like JSON and has at least three commas or
/// tabs. Only called on the error path.
fn looks_like_csv(record: &[u8], body_start: usize) -> bool {
    if memchr::memmem::find(record, b" zpa-lss: ").is_some()
        || memchr::memmem::find(record, b" zms-lss: ").is_some()
    {
        return true;
    }
    let body = record.get(body_start..).unwrap_or_default();
    // A quoted CSV cell starts like a JSON string, so '"' does not count here: a JSON document
    // that starts with one and fails to parse is no better explained by JSON than by CSV.
    let starts_like_json = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['));
    let separated = |sep: u8| memchr::memchr_iter(sep, body).nth(2).is_some();
    !starts_like_json && (separated(b',') || separated(b'\t'))
}
