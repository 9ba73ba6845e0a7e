//! JSON lines: the main path, kept lean. The line is checked to be one JSON object by the
//! validating scanner, its log type detected from its keys, its `SessionID` and
//! `ConnectionID` found on the way, and its bytes appended as they are (a syslog-style
//! `<PRI>` header in front of the object is left out: the record is the object).
//!
//! A line that is not valid JSON gets one more chance when it has the shape of a known template
//! defect, and is then appended repaired, with an `lss_line` member saying so:
//!
//! - the vendor's LDAP JSON template writes `"UserID": %j,{UserID}`. If the renderer printed
//!   the comma and then the value (`"UserID": ,"jdoe"`), the comma is dropped
//!   (`stray_comma`); if it printed the placeholder as text (`"UserID": %j,{UserID}`), the
//!   value never reached the line and becomes `null` (`unwritten_value`);
//! - list fields written without brackets, which `event::repair` fixes for `run` too
//!   (`empty_list`, `unbracketed_list`).

use std::ops::Range;

use super::notes::{LineNote, Notes, write_notes};
use super::{Line, LineError, SeenFormat};
use crate::event::LogType;
use crate::event::log_type::key;
use crate::event::scan::{self, Member, MemberSink, ValueKind, scan_string, skip_whitespace};

/// Nesting allowed in a JSON line (LSS records are flat; this only bounds the scanner).
const MAX_DEPTH: usize = 64;

/// Collects what the reader needs from the top-level members.
#[derive(Default)]
struct Keys {
    /// Distinctive keys seen, as `key::flag` bits.
    flags: u32,
    /// The raw text of a string `SessionID` value.
    session: Option<(usize, usize)>,
    /// The raw text of a string `ConnectionID` value.
    connection: Option<(usize, usize)>,
}

impl MemberSink for Keys {
    #[inline]
    fn member(&mut self, buf: &[u8], m: &Member) {
        if m.key_escaped {
            return;
        }
        let k = m.raw_key(buf);
        let flag = key::flag(k);
        self.flags |= flag;
        let is_string = matches!(m.kind, ValueKind::String { .. });
        if flag == key::CONNECTION_ID {
            if is_string {
                self.connection = Some((m.value_start + 1, m.value_end - 1));
            }
        } else if k.len() == 9 && k == b"SessionID" && is_string {
            self.session = Some((m.value_start + 1, m.value_end - 1));
        }
    }
}

impl Keys {
    /// `SessionID`'s text, else `ConnectionID`'s, when not empty; offsets moved by `shift`
    /// (where the scanned buffer starts in the output).
    fn key(&self, shift: isize) -> Option<Range<usize>> {
        let pick = |v: Option<(usize, usize)>| v.filter(|(s, e)| e > s);
        let (s, e) = pick(self.session).or_else(|| pick(self.connection))?;
        Some(s.checked_add_signed(shift)?..e.checked_add_signed(shift)?)
    }
}

/// Where the object starts: after an optional `<PRI>` header.
fn object_start(line: &[u8]) -> Result<usize, LineError> {
    let first = skip_whitespace(line, 0);
    match crate::event::header_end(line, first) {
        None => Ok(first),
        Some(Ok(brace)) => Ok(brace),
        Some(Err(e)) => Err(LineError::NotJson {
            message: e.detail.into(),
        }),
    }
}

/// Reads one JSON line (checked to be UTF-8 and not blank) and appends its object to `out`.
pub(super) fn read(
    line: &[u8],
    configured: Option<LogType>,
    out: &mut Vec<u8>,
) -> Result<Line, LineError> {
    let start = object_start(line)?;
    let mut keys = Keys::default();
    match scan_object(line, start, &mut keys) {
        Ok(end) => {
            let at = out.len();
            out.extend_from_slice(&line[start..end]);
            let shift = isize::try_from(at).unwrap_or(0) - isize::try_from(start).unwrap_or(0);
            Ok(Line {
                format: SeenFormat::Json,
                log_type: configured.unwrap_or_else(|| LogType::detect(keys.flags)),
                key: keys.key(shift),
                notes: Notes::default(),
            })
        }
        Err(first) => repaired(line, start, configured, out).ok_or(first),
    }
}

/// Scans the object at `start`; returns the offset past its `}`.
fn scan_object(line: &[u8], start: usize, keys: &mut Keys) -> Result<usize, LineError> {
    match scan::scan(line, start, MAX_DEPTH, keys) {
        Ok(doc) if doc.kind == ValueKind::Object => Ok(doc.end),
        Ok(doc) => Err(LineError::NotJson {
            message: format!("the line is a JSON {}, not an object", doc.kind.type_name()).into(),
        }),
        Err(e) => {
            let mut message = e.to_string();
            if memchr::memmem::find(line, b" zpa-lss:").is_some()
                || memchr::memmem::find(line, b" zms-lss:").is_some()
            {
                message.push_str(
                    " (this is an LSS CSV/TSV line; set the listener's format to auto, csv or tsv)",
                );
            }
            Err(LineError::NotJson {
                message: message.into(),
            })
        }
    }
}

/// The second chance of a line that is not JSON: the known defects repaired, the object
/// appended with an `lss_line` member naming the repairs. `None` when no repair makes it an
/// object.
fn repaired(
    line: &[u8],
    start: usize,
    configured: Option<LogType>,
    out: &mut Vec<u8>,
) -> Option<Line> {
    let mut labels: Vec<&'static str> = Vec::new();
    let mut record = line[start..].to_vec();
    if let Some((fixed, label)) = fix_user_id(&record) {
        record = fixed;
        labels.push(label);
    }
    let mut keys = Keys::default();
    let mut end = scan_object(&record, 0, &mut keys).ok();
    if end.is_none()
        && let Some(r) = crate::event::repair(&record, MAX_DEPTH)
    {
        record = r.record;
        labels.extend(r.quirks.iter().map(crate::event::Quirk::as_str));
        keys = Keys::default();
        end = scan_object(&record, 0, &mut keys).ok();
    }
    let end = end?;
    if labels.is_empty() {
        return None;
    }
    let at = out.len();
    // The object without its closing brace, the note, then the brace.
    let close = record[..end].iter().rposition(|b| *b == b'}')?;
    out.extend_from_slice(&record[..close]);
    let empty = record[1..close].iter().all(u8::is_ascii_whitespace);
    let notes = Notes::default().with(LineNote::Repaired);
    write_notes(out, !empty, |o| {
        o.extend_from_slice(b"\"repaired\":[");
        for (i, l) in labels.iter().enumerate() {
            if i > 0 {
                o.push(b',');
            }
            o.push(b'"');
            o.extend_from_slice(l.as_bytes());
            o.push(b'"');
        }
        o.push(b']');
    });
    out.push(b'}');
    Some(Line {
        format: SeenFormat::Json,
        log_type: configured.unwrap_or_else(|| LogType::detect(keys.flags)),
        key: keys.key(isize::try_from(at).unwrap_or(0)),
        notes,
    })
}

/// The LDAP template's `%j,{UserID}` defect, in either of the two shapes it can take in a
/// line (see the module documentation). Returns the fixed record and the repair's label.
fn fix_user_id(record: &[u8]) -> Option<(Vec<u8>, &'static str)> {
    // The placeholder printed as text: the value is not in the line.
    if let Some(at) = memchr::memmem::find(record, b"%j,{") {
        let close = at + memchr::memchr(b'}', &record[at..])?;
        let mut fixed = record[..at].to_vec();
        fixed.extend_from_slice(b"null");
        fixed.extend_from_slice(&record[close + 1..]);
        return Some((fixed, "unwritten_value"));
    }
    // `"Key": ,"value"` followed by `,` or `}`: a comma before the value.
    let mut from = 0;
    while let Some(p) = memchr::memchr(b':', &record[from..]) {
        let colon = from + p;
        from = colon + 1;
        let comma = skip_whitespace(record, colon + 1);
        if record.get(comma) != Some(&b',') {
            continue;
        }
        let quote = skip_whitespace(record, comma + 1);
        if record.get(quote) != Some(&b'"') {
            continue;
        }
        let Ok((end, _)) = scan_string(record, quote + 1) else {
            continue;
        };
        let next = skip_whitespace(record, end);
        if matches!(record.get(next), Some(b',' | b'}')) {
            let mut fixed = record[..comma].to_vec();
            fixed.extend_from_slice(&record[comma + 1..]);
            return Some((fixed, "stray_comma"));
        }
    }
    None
}

#[cfg(test)]
mod tests;
