//! One line in, one record out: the single step between the framing of a connection and what
//! is produced. [`read_line`] is the seam: everything else of the receiver sees only its
//! [`Record`] and [`Rejected`].
//!
//! The reading itself is the core's [`LineReader`]: JSON lines as they are (a syslog header in
//! front of the object is tolerated, as `enrich` tolerates it), and lines of the vendor's CSV
//! and TSV templates or of a custom template converted to JSON objects with the LSS field
//! names. Each listener has one reader, built from its settings and shared by its connections.

use std::ops::Range;

use crate::event::{LineReader, LogType, Notes};

/// A line read as a record, which [`read_line`] appended to its output buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// The format the line was in (`json`, `csv`, `tsv`, `custom`): a header value.
    pub(crate) format: &'static str,
    /// The log type, configured or detected ([`LogType::Unknown`] if neither).
    pub(crate) log_type: LogType,
    /// Where the record's key (`SessionID`, else `ConnectionID`) is in the output buffer.
    pub(crate) key: Option<Range<usize>>,
    /// What the reader had to decide (told in the record's `lss_line` member too).
    pub(crate) notes: Notes,
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
/// [`Rejected`] when the line is not a record of the reader's format; `out` is then as it was.
pub(crate) fn read_line(
    reader: &LineReader,
    line: &[u8],
    out: &mut Vec<u8>,
) -> Result<Record, Rejected> {
    match reader.read(line, out) {
        Ok(l) => Ok(Record {
            format: l.format.as_str(),
            log_type: l.log_type,
            key: l.key,
            notes: l.notes,
        }),
        Err(e) => Err(Rejected {
            reason: e.reason(),
            message: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{LineFormat, Template};

    /// Reads `line` after some bytes already in the buffer; the record and its key's text.
    fn read(reader: &LineReader, line: &str) -> Result<(Record, String, String), Rejected> {
        let mut out = b"prefix".to_vec();
        let record = read_line(reader, line.as_bytes(), &mut out)?;
        assert_eq!(&out[..6], b"prefix", "appends");
        let key = record
            .key
            .clone()
            .map(|r| String::from_utf8(out[r].to_vec()).unwrap())
            .unwrap_or_default();
        Ok((record, key, String::from_utf8(out[6..].to_vec()).unwrap()))
    }

    #[test]
    fn json_lines_are_records_keyed_by_session_then_connection() {
        let r = LineReader::new(LineFormat::Auto, None);
        let line = r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","ConnectionID":"c,1","SessionID":"s-1","InternalReason":"","ConnectionStatus":"open"}"#;
        let (rec, key, out) = read(&r, line).unwrap();
        assert_eq!(out, line, "a JSON line is its record, unchanged");
        assert_eq!(rec.log_type, LogType::UserActivity);
        assert_eq!(rec.format, "json");
        assert_eq!(key, "s-1");
        let (_, key, _) = read(&r, r#"{"ConnectionID":"c,1","SessionID":""}"#).unwrap();
        assert_eq!(key, "c,1", "an empty SessionID is no key");
        let (rec, key, _) = read(&r, r#"{"Customer":"x"}"#).unwrap();
        assert_eq!((rec.key, key.as_str()), (None, ""));
        assert_eq!(rec.log_type, LogType::Unknown);
    }

    #[test]
    fn a_configured_log_type_wins_over_detection() {
        let r = LineReader::new(LineFormat::Json, Some(LogType::UserStatus));
        let (rec, _, _) = read(&r, r#"{"InternalReason":"x"}"#).unwrap();
        assert_eq!(rec.log_type, LogType::UserStatus);
    }

    #[test]
    fn a_syslog_header_is_tolerated() {
        let r = LineReader::new(LineFormat::Auto, None);
        let (rec, key, out) = read(&r, r#"<134>Dec  1 host zpa: {"SessionID":"s","SessionStatus":"ZPN_STATUS_AUTHENTICATED","Username":"u"}"#).unwrap();
        assert_eq!(key, "s");
        assert_eq!(rec.log_type, LogType::UserStatus);
        assert!(out.starts_with('{'), "{out}");
    }

    #[test]
    fn a_custom_template_reads_its_lines_as_custom_records() {
        let t =
            Template::parse("%s{LogTimestamp:time} %s{SessionID} %s{SessionStatus}\\n").unwrap();
        let r = LineReader::with_template(t, Some(LogType::UserStatus));
        let (rec, key, out) =
            read(&r, "Wed Dec  1 10:38:41 2021 s-9 ZPN_STATUS_AUTHENTICATED").unwrap();
        assert_eq!((rec.format, rec.log_type), ("custom", LogType::UserStatus));
        assert_eq!(key, "s-9");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["SessionStatus"], "ZPN_STATUS_AUTHENTICATED");
    }

    #[test]
    fn lines_that_do_not_fit_are_rejected_with_a_reason_and_nothing_written() {
        let r = LineReader::new(LineFormat::Auto, None);
        for (line, reason) in [
            (&b"not json at all"[..], "unknown_format"),
            (br#"{"SessionID":"s""#, "not_json"),
            (b"   ", "empty_line"),
            (b"{\"a\":\"\xff\"}", "invalid_utf8"),
            (b"User-Activity zpa-lss: a,b", "unknown_log_type"),
        ] {
            let mut out = b"kept".to_vec();
            let e = read_line(&r, line, &mut out).unwrap_err();
            assert_eq!(e.reason, reason, "{}", line.escape_ascii());
            assert!(!e.message.is_empty());
            assert_eq!(out, b"kept");
        }
    }
}
