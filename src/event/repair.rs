//! Repair of one LSS template quirk: list fields written without their brackets.
//!
//! An LSS template writes a list field with `%j(,){Field}`, its items as JSON strings joined by
//! commas. The default JSON templates put brackets around it (`[%j(,){TrustedNetworks}]`);
//! older and hand-edited templates do not, so an empty list comes out as
//! `"TrustedNetworks": ,` and a list of two as `"PosturesHit": "a","b",`. Such records are not
//! JSON. [`repair`] turns exactly these shapes back into arrays and leaves every other byte as
//! it is; anything else that is not JSON stays that way.
//!
//! The shapes, at the value of a member of the top-level object (after `"Key":` and optional
//! whitespace), followed by `,"NextKey":` or by the object's closing `}`:
//!
//! - nothing at all: [`Quirk::EmptyList`], repaired to `[]`;
//! - two or more JSON strings or numbers separated by commas: [`Quirk::UnbracketedList`],
//!   repaired by a `[` before the first and a `]` after the last.
//!
//! A list of one item, written without brackets, is a plain string or number: valid JSON,
//! indistinguishable from a scalar field, and left as it is. Whitespace between the pieces is
//! allowed where JSON allows it, commas inside strings are part of the strings, and nested
//! values are only checked, never changed: the template writes lists at the top level only.
//!
//! Pure, and linear in the record's size: one pass with no backtracking (a key is read twice
//! when a list ends at it), then one check of the result with the normal scanner. The caller
//! calls it only for records that failed to parse, so valid records never pay for it.

use std::fmt;

use super::scan::{self, scan_number, scan_string, scan_value, skip_whitespace};

/// A template quirk that [`repair`] fixes. The string form is a stable metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Quirk {
    /// A list field with no items and no brackets: `"TrustedNetworks": ,`.
    EmptyList,
    /// A list field of two or more items without brackets: `"PosturesHit": "a","b",`.
    UnbracketedList,
}

impl Quirk {
    /// Every quirk, in declaration order.
    pub const ALL: [Quirk; 2] = [Quirk::EmptyList, Quirk::UnbracketedList];

    /// The label used in metrics, the enrichment's `repaired` key and summaries.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Quirk::EmptyList => "empty_list",
            Quirk::UnbracketedList => "unbracketed_list",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The quirks repaired in one record: a set of [`Quirk`]s, empty for nearly every record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Quirks(u8);

impl Quirks {
    /// No quirk: the record was read as it came.
    pub const NONE: Quirks = Quirks(0);

    /// Number of distinct sets, for tables indexed by [`Quirks::index`].
    pub(crate) const COMBINATIONS: usize = 1 << Quirk::ALL.len();

    /// True when nothing was repaired.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True when `quirk` was repaired.
    #[must_use]
    pub fn contains(self, quirk: Quirk) -> bool {
        self.0 & quirk.bit() != 0
    }

    /// The set with `quirk` added.
    #[must_use]
    pub fn with(self, quirk: Quirk) -> Quirks {
        Quirks(self.0 | quirk.bit())
    }

    /// The quirks in the set, in [`Quirk::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Quirk> {
        Quirk::ALL.into_iter().filter(move |q| self.contains(*q))
    }

    /// A number below [`Quirks::COMBINATIONS`] that identifies the set.
    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// A record after [`repair`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    /// The repaired record: the input with brackets inserted, a valid JSON object (after the
    /// same optional syslog header as the input).
    pub record: Vec<u8>,
    /// What was repaired; never empty.
    pub quirks: Quirks,
}

/// Builds the repaired copy: the input with bytes inserted at increasing offsets.
struct Splice<'a> {
    src: &'a [u8],
    out: Vec<u8>,
    /// Bytes of `src` before this offset are in `out`.
    copied: usize,
    quirks: Quirks,
}

impl Splice<'_> {
    fn insert(&mut self, at: usize, bytes: &[u8], quirk: Quirk) {
        debug_assert!(at >= self.copied, "insertions go forward");
        if self.out.capacity() == 0 {
            self.out.reserve(self.src.len() + 16);
        }
        self.out.extend_from_slice(&self.src[self.copied..at]);
        self.out.extend_from_slice(bytes);
        self.copied = at;
        self.quirks = self.quirks.with(quirk);
    }

    fn finish(mut self) -> Option<Repaired> {
        if self.quirks.is_empty() {
            return None;
        }
        self.out.extend_from_slice(&self.src[self.copied..]);
        Some(Repaired {
            record: self.out,
            quirks: self.quirks,
        })
    }
}

/// Repairs list fields written without brackets (see the module documentation).
///
/// Returns `None` when the record has none of these shapes, or is not valid JSON in some other
/// way too (it is then left as it is, and reported as it is). When it returns a record, that
/// record is a JSON object (behind the same optional syslog header) nested at most `max_depth`
/// levels, and it is the input with only `[`, `]` and `[]` inserted.
#[must_use]
pub fn repair(record: &[u8], max_depth: usize) -> Option<Repaired> {
    // The reader requires UTF-8; the scanner below only looks at ASCII structure.
    simdutf8::basic::from_utf8(record).ok()?;
    let max_depth = max_depth.clamp(1, scan::MAX_SUPPORTED_DEPTH);
    let first = skip_whitespace(record, 0);
    let open = match super::header_end(record, first) {
        None => first,
        Some(Ok(brace)) => brace,
        Some(Err(_)) => return None,
    };
    if record.get(open) != Some(&b'{') {
        return None;
    }
    let mut splice = Splice {
        src: record,
        out: Vec::new(),
        copied: 0,
        quirks: Quirks::NONE,
    };
    let mut i = skip_whitespace(record, open + 1);
    let close = loop {
        // A key and its colon.
        if record.get(i) != Some(&b'"') {
            return None;
        }
        let (after_key, _) = scan_string(record, i + 1).ok()?;
        i = skip_whitespace(record, after_key);
        if record.get(i) != Some(&b':') {
            return None;
        }
        i = skip_whitespace(record, i + 1);
        // The value.
        match *record.get(i)? {
            // Nothing: an empty list. What follows is checked below like after any value.
            b',' | b'}' => splice.insert(i, b"[]", Quirk::EmptyList),
            b'"' | b'-' | b'0'..=b'9' => {
                let (end, items) = scalar_run(record, i)?;
                if items > 1 {
                    splice.insert(i, b"[", Quirk::UnbracketedList);
                    splice.insert(end, b"]", Quirk::UnbracketedList);
                }
                i = end;
            }
            // Anything else is checked, not changed (the object itself is one level).
            _ => i = scan_value(record, i, max_depth - 1).ok()?.0,
        }
        // A comma and the next member, or the end of the object.
        i = skip_whitespace(record, i);
        match record.get(i) {
            Some(b',') => i = skip_whitespace(record, i + 1),
            Some(b'}') => break i,
            _ => return None,
        }
    };
    if skip_whitespace(record, close + 1) != record.len() {
        return None;
    }
    let repaired = splice.finish()?;
    // The result must read as JSON with the normal scanner; a shape this walk let through that
    // the scanner refuses is left unrepaired rather than passed on.
    match scan::scan(&repaired.record, open, max_depth, &mut ()) {
        Ok(doc) if doc.kind == scan::ValueKind::Object => Some(repaired),
        _ => None,
    }
}

/// Reads the run of JSON strings and numbers separated by commas that starts at `start`, up to
/// where it is followed by something else than a comma and another item: the next member's key
/// (a string followed by `:`) ends it, as does anything that is not a comma. Returns the offset
/// after the last item and the number of items; `None` when a comma is followed by neither an
/// item nor a key (`"a": "x",,` or a trailing comma before `}`), or an item is malformed.
fn scalar_run(record: &[u8], start: usize) -> Option<(usize, usize)> {
    let mut end = scalar(record, start)?;
    let mut items = 1;
    loop {
        let comma = skip_whitespace(record, end);
        if record.get(comma) != Some(&b',') {
            return Some((end, items));
        }
        let next = skip_whitespace(record, comma + 1);
        match record.get(next) {
            Some(b'"') => {
                let (after, _) = scan_string(record, next + 1).ok()?;
                if record.get(skip_whitespace(record, after)) == Some(&b':') {
                    // The next member's key: the run ends before its comma.
                    return Some((end, items));
                }
                end = after;
            }
            Some(b'-' | b'0'..=b'9') => end = scan_number(record, next).ok()?,
            _ => return None,
        }
        items += 1;
    }
}

/// The end of the JSON string or number at `start`.
fn scalar(record: &[u8], start: usize) -> Option<usize> {
    if record[start] == b'"' {
        scan_string(record, start + 1).ok().map(|(end, _)| end)
    } else {
        scan_number(record, start).ok()
    }
}

#[cfg(test)]
mod tests;
