//! One value of a CSV, TSV or custom line: whether its text can be the field's value, how
//! likely that is, and the JSON it becomes.
//!
//! The types follow the placeholder's spec: `%d`, `%x` and `%f` become JSON numbers (an empty
//! cell becomes `null`, never a made-up 0), `%s`, `%J` and `%o` strings, `%j` the JSON string
//! it already is, list fields arrays, and times the strings they were written as (a number for
//! `%d` with an epoch modifier).

use super::fields::Shape;
use super::pattern::{FieldRead, Trim};
use super::template::{Spec, TimeModifier};
use crate::event::parse_timestamp;
use crate::event::scan::{scan_number, scan_string, scan_value};
use crate::json_string::escape_into;

/// Why a text cannot be a field's value; each is a reason of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Problem {
    /// Not a number of the spec's kind.
    Number,
    /// Not a time in the modifier's form.
    Time,
    /// Not a JSON string (a `%j` or `%J` value).
    JsonString,
}

impl Problem {
    /// What was expected, for messages.
    pub(super) fn expected(self, f: &FieldRead) -> &'static str {
        match (self, f.spec, f.modifier) {
            (Problem::Number, Spec::Hex, _) => "a hexadecimal integer",
            (Problem::Number, Spec::Float, _) => "a decimal number",
            (Problem::Number, _, _) => "an integer",
            (Problem::Time, _, Some(TimeModifier::Time)) => {
                "a time such as \"Wed Dec  1 10:38:41 2021\" (or nothing)"
            }
            (Problem::Time, _, Some(TimeModifier::Iso8601)) => {
                "an ISO 8601 time such as 2019-05-30T08:20:42.230Z (or nothing)"
            }
            (Problem::Time, _, Some(TimeModifier::Name)) => "a three-letter name",
            (Problem::Time, _, _) => "a number of time units",
            (Problem::JsonString, Spec::JsonBare, _) => "the inside of a JSON string",
            (Problem::JsonString, _, _) => "a JSON string in double quotes",
        }
    }
}

/// The cost of one extra cell in a field of each shape: how much less likely a split is that
/// gives the field a separator of its own. Lower wins; see `matcher.rs`.
mod cost {
    /// A numeric list takes extra numbers most readily.
    pub(super) const NUMBER_ITEM: u32 = 1;
    /// Another list takes extra items readily.
    pub(super) const LIST_ITEM: u32 = 2;
    /// A list item that looks like a `name:value` pair, in a template with a SAML attribute
    /// field to take it.
    pub(super) const LIST_PAIR: u32 = 6;
    /// An empty item among several (`a,,b`).
    pub(super) const LIST_EMPTY: u32 = 2;
    /// A `name:value` list's extra pair.
    pub(super) const PAIR: u32 = 2;
    /// A part of a `name:value` list that is no pair.
    pub(super) const NOT_A_PAIR: u32 = 10;
    /// `ConnectionID` without its own comma.
    pub(super) const CONNECTION_ID_WHOLE: u32 = 2;
    /// Text that often holds commas (a user agent, a list kept as text) with a separator in it.
    pub(super) const PROSE: u32 = 2;
    /// Free text with a separator in it.
    pub(super) const TEXT: u32 = 4;
    /// An identifier or code with a separator in it: nearly never right.
    pub(super) const TOKEN: u32 = 20;
    /// A number left empty: LSS prints numbers, so the cell more likely belongs elsewhere.
    pub(super) const EMPTY_NUMBER: u32 = 2;
    /// An address, country code or digit string that does not have its form.
    pub(super) const MISSHAPEN: u32 = 6;
}

/// Counts the occurrences of `sep` in `text` (none when `sep` is empty).
pub(super) fn occurrences(text: &[u8], sep: &[u8]) -> usize {
    match sep {
        [] => 0,
        [b] => memchr::memchr_iter(*b, text).count(),
        _ => memchr::memmem::find_iter(text, sep).count(),
    }
}

/// Takes off the padding a width added.
fn trimmed<'t>(f: &FieldRead, text: &'t [u8]) -> &'t [u8] {
    match f.trim {
        Trim::None => text,
        Trim::Start => text.trim_ascii_start(),
        Trim::End => text.trim_ascii_end(),
    }
}

/// How unlikely `text` is as the value of `f` when it holds `extra` of the line's cell
/// separators: 0 for a value as the template usually writes it, more for each separator it
/// would hold (beyond the `expected` ones) and for an empty number.
///
/// # Errors
/// The [`Problem`] when the text cannot be the value at all.
pub(super) fn cost(
    f: &FieldRead,
    text: &[u8],
    extra: usize,
    expected: usize,
) -> Result<u32, Problem> {
    check(f, text)?;
    if f.is_strict() {
        let empty_number = f.spec.is_number() && f.list.is_none() && text.trim_ascii().is_empty();
        return Ok(if empty_number { cost::EMPTY_NUMBER } else { 0 });
    }
    let extra32 = u32::try_from(extra).unwrap_or(u32::MAX / 16);
    if let Some(sep) = &f.list {
        let item_cost = if f.spec.is_number() {
            cost::NUMBER_ITEM
        } else {
            cost::LIST_ITEM
        };
        let mut c = item_cost * extra32;
        // In a User Status line, `name:value` items are the SAML attributes' wherever they
        // are; empty items only count among several.
        let pairs = f.pairs_nearby && memchr::memchr(b':', text).is_some();
        if pairs || extra > 0 {
            let items = Items::of(text, sep);
            if f.pairs_nearby {
                c += cost::LIST_PAIR * items.colons;
            }
            if extra > 0 {
                c += cost::LIST_EMPTY * items.empty;
            }
        }
        return Ok(c);
    }
    Ok(match f.shape {
        Shape::Token => cost::TOKEN * extra32,
        Shape::Address | Shape::Country | Shape::Digits => {
            let misshapen = !super::fields::well_formed(f.shape, text);
            cost::TOKEN * extra32 + if misshapen { cost::MISSHAPEN } else { 0 }
        }
        Shape::Text => cost::TEXT * extra32,
        Shape::Prose => cost::PROSE * extra32,
        Shape::ConnectionId => match extra.checked_sub(expected) {
            Some(0) => 0,
            Some(more) => cost::TOKEN * u32::try_from(more).unwrap_or(u32::MAX / 16),
            None => cost::CONNECTION_ID_WHOLE,
        },
        Shape::Pairs => {
            if text.is_empty() {
                0
            } else {
                let items = Items::of(text, b",");
                cost::PAIR * extra32 + cost::NOT_A_PAIR * (items.all - items.colons)
            }
        }
        Shape::JsonText => {
            if text.is_empty() || is_json_value(text) {
                0
            } else if matches!(text.first(), Some(b'{' | b'[')) {
                // A document with something after it: its end is elsewhere.
                cost::TOKEN * extra32 + cost::MISSHAPEN
            } else {
                cost::TEXT * extra32
            }
        }
    })
}

/// True when `text` is one JSON value.
fn is_json_value(text: &[u8]) -> bool {
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    matches!(scan_value(text, start, 64), Ok((end, _)) if text[end..].trim_ascii().is_empty())
}

/// What the items of a list's text are like, as its cost counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Items {
    /// How many there are (none in an empty text).
    all: u32,
    /// How many hold a colon (`name:value`).
    colons: u32,
    /// How many are empty.
    empty: u32,
}

impl Items {
    /// Counts the items of `text` (as [`split`] gives them) in one pass over it.
    fn of(text: &[u8], sep: &[u8]) -> Self {
        let mut items = Items {
            all: 0,
            colons: 0,
            empty: 0,
        };
        let mut add = |colon: bool, empty: bool| {
            items.all = items.all.saturating_add(1);
            items.colons = items.colons.saturating_add(u32::from(colon));
            items.empty = items.empty.saturating_add(u32::from(empty));
        };
        match sep {
            [sep] if !text.is_empty() => {
                // The colons and the separators, each found by a vectorised search, merged.
                let mut colons = memchr::memchr_iter(b':', text).peekable();
                let mut start = 0;
                let ends = memchr::memchr_iter(*sep, text).chain(std::iter::once(text.len()));
                for end in ends {
                    let mut colon = false;
                    // (A colon before `start` is the separator itself.)
                    while let Some(c) = colons.next_if(|&c| c < end) {
                        colon |= c >= start;
                    }
                    add(colon, end == start);
                    start = end + 1;
                }
            }
            _ => {
                for item in split(text, sep) {
                    add(item.contains(&b':'), item.is_empty());
                }
            }
        }
        items
    }
}

/// The items of a list field's text (none for an empty text).
fn split<'t>(text: &'t [u8], sep: &'t [u8]) -> impl Iterator<Item = &'t [u8]> {
    let mut rest = (!text.is_empty()).then_some(text);
    std::iter::from_fn(move || {
        let t = rest?;
        let found = match sep {
            [b] => memchr::memchr(*b, t),
            _ => memchr::memmem::find(t, sep),
        };
        match found {
            Some(at) => {
                rest = Some(&t[at + sep.len()..]);
                Some(&t[..at])
            }
            None => {
                rest = None;
                Some(t)
            }
        }
    })
}

/// Checks that `text` can be a value of `f`.
pub(super) fn check(f: &FieldRead, text: &[u8]) -> Result<(), Problem> {
    let text = trimmed(f, text);
    if let Some(sep) = &f.list {
        if f.spec == Spec::Json {
            return json_items(text, sep, |_| {}).map(|_| ());
        }
        // Any item can be a plain string.
        if matches!(f.spec, Spec::Str | Spec::Hash) && f.modifier.is_none() {
            return Ok(());
        }
        return split(text, sep).try_for_each(|item| check_one(f, item));
    }
    check_one(f, text)
}

fn check_one(f: &FieldRead, text: &[u8]) -> Result<(), Problem> {
    match f.spec {
        Spec::Int => int(text).map(|_| ()),
        Spec::Hex => hex(text).map(|_| ()),
        Spec::Float => float(text).map(|_| ()),
        Spec::Json => {
            if text.is_empty() || text == b"null" || is_json_string(text) {
                Ok(())
            } else {
                Err(Problem::JsonString)
            }
        }
        Spec::JsonBare => {
            if is_bare_json_string(text) {
                time(f, text)
            } else {
                Err(Problem::JsonString)
            }
        }
        Spec::Str | Spec::Hash => time(f, text),
    }
}

/// Checks a time written as text.
fn time(f: &FieldRead, text: &[u8]) -> Result<(), Problem> {
    let Some(m) = f.modifier else {
        return Ok(());
    };
    if text.is_empty() {
        return Ok(());
    }
    let ok = match m {
        TimeModifier::Time | TimeModifier::Iso8601 => parse_timestamp(text).is_some(),
        TimeModifier::Epoch | TimeModifier::EpochMs | TimeModifier::EpochUs => {
            let (whole, frac) = match text.iter().position(|b| *b == b'.') {
                Some(p) => (&text[..p], Some(&text[p + 1..])),
                None => (text, None),
            };
            !whole.is_empty()
                && whole.iter().all(u8::is_ascii_digit)
                && frac.is_none_or(|d| !d.is_empty() && d.iter().all(u8::is_ascii_digit))
        }
        TimeModifier::Number => text.iter().all(u8::is_ascii_digit),
        TimeModifier::Name => text.len() == 3 && text.iter().all(u8::is_ascii_alphabetic),
    };
    if ok { Ok(()) } else { Err(Problem::Time) }
}

/// True when `text` is exactly one JSON string, quotes included.
fn is_json_string(text: &[u8]) -> bool {
    text.first() == Some(&b'"') && matches!(scan_string(text, 1), Ok((end, _)) if end == text.len())
}

/// True when `text` can stand between the quotes of a JSON string as it is.
fn is_bare_json_string(text: &[u8]) -> bool {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' | 0..=0x1f => return false,
            b'\\' => match text.get(i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u')
                    if text
                        .get(i + 2..i + 6)
                        .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
                {
                    i += 6;
                }
                _ => return false,
            },
            _ => i += 1,
        }
    }
    true
}

/// Calls `each` with every JSON string of a `%j` list (`"a","b"`), returning how many there
/// were.
fn json_items(text: &[u8], sep: &[u8], mut each: impl FnMut(&[u8])) -> Result<usize, Problem> {
    let mut i = 0;
    let mut n = 0;
    if text.trim_ascii().is_empty() {
        return Ok(0);
    }
    loop {
        while text.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if text.get(i) != Some(&b'"') {
            return Err(Problem::JsonString);
        }
        let (end, _) = scan_string(text, i + 1).map_err(|_| Problem::JsonString)?;
        each(&text[i..end]);
        n += 1;
        i = end;
        while text.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if i == text.len() {
            return Ok(n);
        }
        if !text[i..].starts_with(sep) {
            return Err(Problem::JsonString);
        }
        i += sep.len();
    }
}

/// The decimal integer in `text` (spaces and a `+` allowed), as JSON number text without
/// leading zeros; `None` for an empty text.
fn int(text: &[u8]) -> Result<Option<(bool, &[u8])>, Problem> {
    let t = text.trim_ascii();
    if t.is_empty() {
        return Ok(None);
    }
    let (negative, digits) = match t {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Problem::Number);
    }
    let first = digits
        .iter()
        .position(|d| *d != b'0')
        .unwrap_or(digits.len() - 1);
    Ok(Some((negative, &digits[first..])))
}

/// The hexadecimal integer in `text` (an optional `0x`); `None` for an empty text.
fn hex(text: &[u8]) -> Result<Option<u128>, Problem> {
    let t = text.trim_ascii();
    if t.is_empty() {
        return Ok(None);
    }
    let digits = t
        .strip_prefix(b"0x")
        .or_else(|| t.strip_prefix(b"0X"))
        .unwrap_or(t);
    let s = std::str::from_utf8(digits).map_err(|_| Problem::Number)?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Problem::Number);
    }
    u128::from_str_radix(s, 16)
        .map(Some)
        .map_err(|_| Problem::Number)
}

/// A decimal fraction written as JSON number text; `None` for an empty text.
enum Float<'t> {
    /// Already valid JSON number text.
    Json(&'t [u8]),
    /// Another form Rust reads (`.5`, `5.`, `+1`): written out anew.
    Value(f64),
}

fn float(text: &[u8]) -> Result<Option<Float<'_>>, Problem> {
    let t = text.trim_ascii();
    if t.is_empty() {
        return Ok(None);
    }
    if matches!(scan_number(t, 0), Ok(end) if end == t.len()) {
        return Ok(Some(Float::Json(t)));
    }
    let v: f64 = std::str::from_utf8(t)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(Problem::Number)?;
    if v.is_finite() {
        Ok(Some(Float::Value(v)))
    } else {
        Err(Problem::Number)
    }
}

/// Writes the JSON value of `text` as a value of `f`. The text was checked by [`cost()`] (or is
/// checked again here).
///
/// # Errors
/// The [`Problem`] when the text cannot be the value.
pub(super) fn write(f: &FieldRead, text: &[u8], out: &mut Vec<u8>) -> Result<(), Problem> {
    let text = trimmed(f, text);
    if let Some(sep) = &f.list {
        out.push(b'[');
        let start = out.len();
        if f.spec == Spec::Json {
            json_items(text, sep, |item| {
                if out.len() > start {
                    out.push(b',');
                }
                out.extend_from_slice(item);
            })?;
        } else {
            for item in split(text, sep) {
                if out.len() > start {
                    out.push(b',');
                }
                write_one(f, item, out)?;
            }
        }
        out.push(b']');
        return Ok(());
    }
    write_one(f, text, out)
}

fn write_one(f: &FieldRead, text: &[u8], out: &mut Vec<u8>) -> Result<(), Problem> {
    match f.spec {
        Spec::Int => match int(text)? {
            None => out.extend_from_slice(b"null"),
            Some((negative, digits)) => {
                if negative && digits != b"0" {
                    out.push(b'-');
                }
                out.extend_from_slice(digits);
            }
        },
        Spec::Hex => match hex(text)? {
            None => out.extend_from_slice(b"null"),
            Some(v) => out.extend_from_slice(v.to_string().as_bytes()),
        },
        Spec::Float => match float(text)? {
            None => out.extend_from_slice(b"null"),
            Some(Float::Json(t)) => out.extend_from_slice(t),
            Some(Float::Value(v)) => out.extend_from_slice(v.to_string().as_bytes()),
        },
        Spec::Json => {
            if text.is_empty() {
                out.extend_from_slice(b"\"\"");
            } else if text == b"null" || is_json_string(text) {
                out.extend_from_slice(text);
            } else {
                return Err(Problem::JsonString);
            }
        }
        // Times were checked with the rest of the value (`cost`) before anything is written.
        Spec::JsonBare => {
            if !is_bare_json_string(text) {
                return Err(Problem::JsonString);
            }
            out.push(b'"');
            out.extend_from_slice(text);
            out.push(b'"');
        }
        Spec::Str | Spec::Hash => {
            out.push(b'"');
            escape_into(out, text);
            out.push(b'"');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
