//! The few JSON pieces the envelope is written from: escaped strings and the values of a
//! scanned member, read or copied without a tree.

use std::borrow::Cow;

use crate::event::scan::{Member, ValueKind};

pub(super) use crate::json_string::push_json_str as string;

/// The text of a string or number member: a string's value with its escapes decoded and
/// surrounding whitespace trimmed, or a number as written. `None` for an empty string and for
/// every other kind of value.
pub(super) fn text<'a>(buf: &'a [u8], m: &Member) -> Option<Cow<'a, str>> {
    let text = match m.kind {
        ValueKind::String { escaped: false } | ValueKind::Number => {
            Cow::Borrowed(std::str::from_utf8(m.raw_value(buf)).ok()?)
        }
        ValueKind::String { escaped: true } => {
            Cow::Owned(serde_json::from_slice::<String>(&buf[m.value_start..m.value_end]).ok()?)
        }
        _ => return None,
    };
    match text {
        Cow::Borrowed(t) => Some(t.trim()).filter(|t| !t.is_empty()).map(Cow::Borrowed),
        Cow::Owned(t) if t.trim().is_empty() => None,
        Cow::Owned(t) if t.trim().len() == t.len() => Some(Cow::Owned(t)),
        Cow::Owned(t) => Some(Cow::Owned(t.trim().to_owned())),
    }
}

/// A non-negative integer written as a JSON number or as a string of digits (metrics and custom
/// templates quote their numbers).
pub(super) fn uint(buf: &[u8], m: &Member) -> Option<u64> {
    match m.kind {
        ValueKind::Number | ValueKind::String { escaped: false } => {
            let raw = m.raw_value(buf);
            let digits = raw.trim_ascii();
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(digits).ok()?.parse().ok()
        }
        _ => None,
    }
}

/// The value of a member as the JSON value of a string field: a string as written (escapes
/// kept, so it stays valid JSON), a number quoted. `None` when [`text`] finds nothing.
pub(super) fn copy_as_string(out: &mut Vec<u8>, buf: &[u8], m: &Member) -> bool {
    match m.kind {
        ValueKind::String { .. } if text(buf, m).is_some() => {
            out.extend_from_slice(&buf[m.value_start..m.value_end]);
            true
        }
        ValueKind::Number => {
            out.push(b'"');
            out.extend_from_slice(m.raw_value(buf));
            out.push(b'"');
            true
        }
        _ => false,
    }
}

/// The non-empty strings (or numbers, as text) of an array member, or of a single string or
/// number member; at most `limit` of them.
pub(super) fn items<'a>(buf: &'a [u8], m: &Member, limit: usize) -> Vec<Cow<'a, str>> {
    match m.kind {
        ValueKind::Array => {
            // The array was validated with the record; an error here cannot happen.
            let inner = &buf[m.value_start..m.value_end];
            let Ok(values) = serde_json::from_slice::<Vec<serde_json::Value>>(inner) else {
                return Vec::new();
            };
            values
                .into_iter()
                .filter_map(|v| match v {
                    serde_json::Value::String(s) if !s.trim().is_empty() => {
                        Some(Cow::Owned(s.trim().to_owned()))
                    }
                    serde_json::Value::Number(n) => Some(Cow::Owned(n.to_string())),
                    _ => None,
                })
                .take(limit)
                .collect()
        }
        _ => text(buf, m).into_iter().collect(),
    }
}
