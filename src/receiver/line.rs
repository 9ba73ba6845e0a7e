//! One line in, one record out: the single step between the framing of a connection and what
//! is produced. [`read_line`] is the seam: everything else of the receiver sees only its
//! [`Record`] and [`Rejected`].
//!
//! This reader takes JSON lines, as the LSS JSON templates write them (a syslog header in front
//! of the object is tolerated, as `enrich` tolerates it): each line is validated with the
//! event scanner, its log type is detected (unless the listener fixes it) and its session key
//! found. The record is the line's bytes, unchanged.

use std::ops::Range;

use crate::event::scan::{Member, MemberSink, ValueKind};
use crate::event::{self, HeaderMode, LogType, OwnedKeys, ReadOptions};

/// How a listener reads its lines into records; built once per listener and shared by its
/// connections.
#[derive(Debug, Clone)]
pub struct LineReader {
    /// The log type every record is taken to be; `None` detects it per record.
    log_type: Option<LogType>,
    read: ReadOptions,
}

impl LineReader {
    /// A reader of JSON lines. `log_type` fixes the log type of every record (a listener that
    /// receives one LSS log type); `None` detects it from each record's keys.
    #[must_use]
    pub fn json(log_type: Option<LogType>) -> Self {
        Self {
            log_type,
            read: ReadOptions {
                max_depth: 64,
                // The framing bounds a line already.
                max_record_bytes: usize::MAX,
                header: HeaderMode::Strip,
                // No key is the enrichment's here: a record is taken as it comes.
                owned: OwnedKeys::Exact("".into()),
            },
        }
    }
}

/// A line read as a record, which [`read_line`] appended to its output buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// The format the line was in (`json`, `csv`, `tsv`, `custom`): a header value.
    pub(crate) format: &'static str,
    /// The log type, detected or configured ([`LogType::Unknown`] if neither).
    pub(crate) log_type: LogType,
    /// Where the record's key (`SessionID`, else `ConnectionID`) is in the output buffer.
    pub(crate) key: Option<Range<usize>>,
}

/// A line that is not a record of its listener's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejected {
    /// A label from a closed set, for the metric and the dead letter.
    pub(crate) reason: &'static str,
    /// What is wrong, for the dead letter and the log.
    pub(crate) message: String,
}

/// Reads one line (without its terminator) as a record, appending the record to `out`.
///
/// # Errors
/// [`Rejected`] when the line is not a record of the reader's format; `out` may then hold part
/// of a record and is the caller's to clear.
pub(crate) fn read_line(
    reader: &LineReader,
    line: &[u8],
    out: &mut Vec<u8>,
) -> Result<Record, Rejected> {
    let at = out.len();
    let mut keys = SessionKeys::default();
    let view = event::read_into(line, &reader.read, &mut keys).map_err(|e| Rejected {
        reason: e.reason.as_str(),
        message: e.to_string(),
    })?;
    out.extend_from_slice(line);
    let key = keys
        .session
        .or(keys.connection)
        .map(|r| at + r.start..at + r.end);
    Ok(Record {
        format: "json",
        log_type: reader.log_type.unwrap_or(view.log_type),
        key,
    })
}

/// Finds the raw values of the `SessionID` and `ConnectionID` members (non-empty strings; the
/// last of a repeated key, as elsewhere).
#[derive(Debug, Default)]
struct SessionKeys {
    session: Option<Range<usize>>,
    connection: Option<Range<usize>>,
}

impl MemberSink for SessionKeys {
    #[inline]
    fn member(&mut self, buf: &[u8], member: &Member) {
        let slot = match member.raw_key(buf) {
            b"SessionID" => &mut self.session,
            b"ConnectionID" => &mut self.connection,
            _ => return,
        };
        *slot = match member.kind {
            ValueKind::String { .. } if member.value_end - member.value_start > 2 => {
                Some(member.value_start + 1..member.value_end - 1)
            }
            _ => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(reader: &LineReader, line: &str) -> Result<(Record, String), Rejected> {
        let mut out = b"prefix".to_vec();
        let record = read_line(reader, line.as_bytes(), &mut out)?;
        assert_eq!(&out[..6], b"prefix", "appends");
        let key = record
            .key
            .clone()
            .map(|r| String::from_utf8(out[r].to_vec()).unwrap())
            .unwrap_or_default();
        assert_eq!(&out[6..], line.as_bytes(), "JSON lines unchanged");
        Ok((record, key))
    }

    #[test]
    fn json_lines_are_records_keyed_by_session_then_connection() {
        let r = LineReader::json(None);
        let (rec, key) = read(
            &r,
            r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","ConnectionID":"c,1","SessionID":"s-1","InternalReason":"","ConnectionStatus":"open"}"#,
        )
        .unwrap();
        assert_eq!(rec.log_type, LogType::UserActivity);
        assert_eq!(rec.format, "json");
        assert_eq!(key, "s-1");
        let (_, key) = read(&r, r#"{"ConnectionID":"c,1","SessionID":""}"#).unwrap();
        assert_eq!(key, "c,1", "an empty SessionID is no key");
        let (rec, key) = read(&r, r#"{"Customer":"x"}"#).unwrap();
        assert_eq!((rec.key, key.as_str()), (None, ""));
        assert_eq!(rec.log_type, LogType::Unknown);
    }

    #[test]
    fn a_configured_log_type_wins_over_detection() {
        let r = LineReader::json(Some(LogType::UserStatus));
        let (rec, _) = read(&r, r#"{"InternalReason":"x"}"#).unwrap();
        assert_eq!(rec.log_type, LogType::UserStatus);
    }

    #[test]
    fn a_syslog_header_is_tolerated() {
        let r = LineReader::json(None);
        let (rec, key) = read(&r, r#"<134>Dec  1 host zpa: {"SessionID":"s","SessionStatus":"ZPN_STATUS_AUTHENTICATED","Username":"u"}"#).unwrap();
        assert_eq!(key, "s");
        assert_eq!(rec.log_type, LogType::UserStatus);
    }

    #[test]
    fn lines_that_are_not_json_objects_are_rejected_with_a_reason() {
        let r = LineReader::json(None);
        for (line, reason) in [
            ("not json at all", "not_json"),
            (r#"{"SessionID":"s""#, "truncated"),
            ("[1,2]", "not_object"),
            (r#"{"a":1} tail"#, "trailing_data"),
            ("   ", "empty"),
        ] {
            let mut out = Vec::new();
            let e = read_line(&r, line.as_bytes(), &mut out).unwrap_err();
            assert_eq!(e.reason, reason, "{line}");
            assert!(!e.message.is_empty());
        }
        let mut out = Vec::new();
        let e = read_line(&r, b"{\"a\":\"\xff\"}", &mut out).unwrap_err();
        assert_eq!(e.reason, "invalid_utf8");
    }
}
