//! A validating, allocation-free JSON scanner.
//!
//! It checks one JSON document against the grammar of RFC 8259 in a single pass and reports the
//! members of the top-level object (key span, value span, value kind) to a [`MemberSink`]. It
//! never builds a tree and never decodes values: the enrichment core only needs to know where
//! things are, so that it can splice its own object into the original bytes.
//!
//! The input must already be valid UTF-8 (the caller checks that first, which is much faster in
//! bulk); the scanner itself only looks at ASCII structure.

use std::fmt;

mod primitives;

use primitives::scan_literal;
#[cfg(test)]
use primitives::special_lanes;
pub(in crate::event) use primitives::{scan_number, scan_string};

/// The kind of a JSON value, as far as the enrichment core cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    /// A string; `escaped` tells whether its raw text contains a backslash escape.
    String {
        /// True when the raw string contains at least one `\` escape.
        escaped: bool,
    },
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
    /// An object.
    Object,
    /// An array.
    Array,
}

impl ValueKind {
    /// The JSON type name, for error messages.
    #[must_use]
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            ValueKind::String { .. } => "string",
            ValueKind::Number => "number",
            ValueKind::Bool => "boolean",
            ValueKind::Null => "null",
            ValueKind::Object => "object",
            ValueKind::Array => "array",
        }
    }
}

/// One member of the top-level object, by byte offsets into the scanned buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Offset of the key's opening quote.
    pub(crate) key_start: usize,
    /// Raw key text (between the quotes, escapes not decoded): `key_start + 1 .. key_end`.
    pub(crate) key_end: usize,
    /// True when the raw key contains a backslash escape.
    pub(crate) key_escaped: bool,
    /// Offset of the first byte of the value.
    pub(crate) value_start: usize,
    /// Offset one past the last byte of the value.
    pub(crate) value_end: usize,
    /// What the value is.
    pub(crate) kind: ValueKind,
}

impl Member {
    /// The raw text of the key, without quotes.
    #[must_use]
    pub(crate) fn raw_key<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[self.key_start + 1..self.key_end]
    }

    /// For a string value, its raw text without quotes; otherwise the whole value text.
    #[must_use]
    pub(crate) fn raw_value<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        match self.kind {
            ValueKind::String { .. } => &buf[self.value_start + 1..self.value_end - 1],
            _ => &buf[self.value_start..self.value_end],
        }
    }
}

/// Receives the members of the top-level object, in document order.
pub(crate) trait MemberSink {
    /// Called once per top-level member, after its value was validated.
    fn member(&mut self, buf: &[u8], member: &Member);
}

/// A sink that ignores every member (plain validation).
impl MemberSink for () {
    #[inline]
    fn member(&mut self, _buf: &[u8], _member: &Member) {}
}

/// A sink that collects every member (used on rare slow paths).
impl MemberSink for Vec<Member> {
    fn member(&mut self, _buf: &[u8], member: &Member) {
        self.push(*member);
    }
}

/// Where the top-level value of a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Document {
    /// Offset of the first byte of the top-level value.
    pub(crate) start: usize,
    /// Offset one past the last byte of the top-level value (for an object: one past `}`).
    pub(crate) end: usize,
    /// The kind of the top-level value.
    pub(crate) kind: ValueKind,
    /// Number of members when the top-level value is an object.
    pub(crate) members: usize,
}

/// What is wrong with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyntaxErrorKind {
    /// A byte that cannot start or continue the current JSON construct.
    UnexpectedByte(u8),
    /// The input ended inside a value.
    UnexpectedEnd(Context),
    /// A raw control character (below U+0020) inside a string.
    ControlCharacter(u8),
    /// A backslash escape that JSON does not define.
    InvalidEscape,
    /// A malformed number.
    InvalidNumber,
    /// More nesting than the configured limit.
    TooDeep(usize),
    /// Bytes other than whitespace after the top-level value.
    TrailingData,
}

/// Where the input ended, for truncation messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// Before any value.
    Value,
    /// Inside a string.
    String,
    /// Inside a number or literal.
    Scalar,
    /// Inside an object or array.
    Container,
}

/// A syntax error with the byte offset where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// What went wrong.
    pub(crate) kind: SyntaxErrorKind,
    /// Byte offset of the problem in the scanned buffer.
    pub(crate) offset: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SyntaxErrorKind::UnexpectedByte(b) => {
                write!(f, "unexpected {} at byte {}", DisplayByte(b), self.offset)
            }
            SyntaxErrorKind::UnexpectedEnd(ctx) => {
                let inside = match ctx {
                    Context::Value => "where a value was expected",
                    Context::String => "inside a string",
                    Context::Scalar => "inside a number or literal",
                    Context::Container => "inside an object or array",
                };
                write!(f, "input ends at byte {} {inside}", self.offset)
            }
            SyntaxErrorKind::ControlCharacter(b) => write!(
                f,
                "unescaped control character 0x{b:02x} in a string at byte {}",
                self.offset
            ),
            SyntaxErrorKind::InvalidEscape => {
                write!(f, "invalid escape sequence at byte {}", self.offset)
            }
            SyntaxErrorKind::InvalidNumber => write!(f, "malformed number at byte {}", self.offset),
            SyntaxErrorKind::TooDeep(limit) => write!(
                f,
                "nesting deeper than {limit} levels at byte {}",
                self.offset
            ),
            SyntaxErrorKind::TrailingData => write!(
                f,
                "unexpected data after the end of the JSON value at byte {}",
                self.offset
            ),
        }
    }
}

struct DisplayByte(u8);

impl fmt::Display for DisplayByte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_ascii_graphic() {
            write!(f, "'{}'", self.0 as char)
        } else {
            write!(f, "byte 0x{:02x}", self.0)
        }
    }
}

/// The deepest nesting the scanner can track (bounded so that its stack needs no allocation).
pub(crate) const MAX_SUPPORTED_DEPTH: usize = 1024;

/// One bit per nesting level: set = object, clear = array.
struct ContainerStack {
    bits: [u64; MAX_SUPPORTED_DEPTH / 64],
    depth: usize,
}

impl ContainerStack {
    fn new() -> Self {
        Self {
            bits: [0; MAX_SUPPORTED_DEPTH / 64],
            depth: 0,
        }
    }

    #[inline]
    fn push(&mut self, is_object: bool) {
        let (word, bit) = (self.depth / 64, self.depth % 64);
        if is_object {
            self.bits[word] |= 1 << bit;
        } else {
            self.bits[word] &= !(1 << bit);
        }
        self.depth += 1;
    }

    #[inline]
    fn top_is_object(&self) -> bool {
        let d = self.depth - 1;
        self.bits[d / 64] & (1 << (d % 64)) != 0
    }
}

#[derive(Clone, Copy)]
enum State {
    /// A value must follow.
    Value,
    /// A key must follow (after `{` with content, or after `,` in an object).
    Key,
    /// A value just ended: `,`, `}` or `]` (or the end of the document).
    AfterValue,
}

const WS: [bool; 256] = {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

#[inline]
fn skip_ws(buf: &[u8], mut i: usize) -> usize {
    while i < buf.len() && WS[buf[i] as usize] {
        i += 1;
    }
    i
}

/// Skips leading JSON whitespace and returns the offset of the first other byte.
#[must_use]
pub(crate) fn skip_whitespace(buf: &[u8], from: usize) -> usize {
    skip_ws(buf, from)
}

/// Scans the JSON document that starts at `start` (after optional whitespace) and runs to the
/// end of `buf`. Members of a top-level object are reported to `sink`.
///
/// # Errors
/// Returns the first grammar violation, with its byte offset in `buf`.
pub(crate) fn scan<S: MemberSink>(
    buf: &[u8],
    start: usize,
    max_depth: usize,
    sink: &mut S,
) -> Result<Document, SyntaxError> {
    let max_depth = max_depth.clamp(1, MAX_SUPPORTED_DEPTH);
    let doc_start = skip_ws(buf, start);
    let (end, kind, members) = if buf.get(doc_start) == Some(&b'{') {
        let (end, members) = scan_top_object(buf, doc_start, max_depth, sink)?;
        (end, ValueKind::Object, members)
    } else {
        let (end, kind) = scan_value(buf, doc_start, max_depth)?;
        (end, kind, 0)
    };
    let rest = skip_ws(buf, end);
    if rest != buf.len() {
        return Err(SyntaxError {
            kind: SyntaxErrorKind::TrailingData,
            offset: rest,
        });
    }
    Ok(Document {
        start: doc_start,
        end,
        kind,
        members,
    })
}

#[inline]
fn unexpected(buf: &[u8], i: usize, ctx: Context) -> SyntaxError {
    match buf.get(i) {
        Some(&b) => SyntaxError {
            kind: SyntaxErrorKind::UnexpectedByte(b),
            offset: i,
        },
        None => SyntaxError {
            kind: SyntaxErrorKind::UnexpectedEnd(ctx),
            offset: i,
        },
    }
}

/// The top-level object, written out directly rather than through the generic state machine:
/// LSS records are flat objects of strings and numbers, and this loop is the hot path.
/// Returns the offset past `}` and the number of members.
fn scan_top_object<S: MemberSink>(
    buf: &[u8],
    open: usize,
    max_depth: usize,
    sink: &mut S,
) -> Result<(usize, usize), SyntaxError> {
    let mut i = skip_ws(buf, open + 1);
    if buf.get(i) == Some(&b'}') {
        return Ok((i + 1, 0));
    }
    let mut members = 0;
    loop {
        if buf.get(i) != Some(&b'"') {
            return Err(unexpected(buf, i, Context::Container));
        }
        let key_start = i;
        let (after_key, key_escaped) = scan_string(buf, i + 1)?;
        i = skip_ws(buf, after_key);
        if buf.get(i) != Some(&b':') {
            return Err(unexpected(buf, i, Context::Container));
        }
        i = skip_ws(buf, i + 1);
        let value_start = i;
        let (value_end, kind) = match buf.get(i) {
            Some(b'"') => {
                let (end, escaped) = scan_string(buf, i + 1)?;
                (end, ValueKind::String { escaped })
            }
            Some(b'-' | b'0'..=b'9') => (scan_number(buf, i)?, ValueKind::Number),
            // The object itself is one level; what is nested in it gets the rest.
            Some(_) => scan_value(buf, i, max_depth - 1).map_err(|e| match e.kind {
                // Report the limit as configured, which counts the object itself.
                SyntaxErrorKind::TooDeep(_) => SyntaxError {
                    kind: SyntaxErrorKind::TooDeep(max_depth),
                    offset: e.offset,
                },
                _ => e,
            })?,
            None => return Err(unexpected(buf, i, Context::Value)),
        };
        members += 1;
        sink.member(
            buf,
            &Member {
                key_start,
                key_end: after_key - 1,
                key_escaped,
                value_start,
                value_end,
                kind,
            },
        );
        i = skip_ws(buf, value_end);
        match buf.get(i) {
            Some(b',') => i = skip_ws(buf, i + 1),
            Some(b'}') => return Ok((i + 1, members)),
            _ => return Err(unexpected(buf, i, Context::Container)),
        }
    }
}

/// Scans one value of any kind starting exactly at `start`, allowing `max_depth` levels of
/// nesting (0: no containers at all). Returns the offset past the value and its kind.
pub(in crate::event) fn scan_value(
    buf: &[u8],
    start: usize,
    max_depth: usize,
) -> Result<(usize, ValueKind), SyntaxError> {
    let mut stack = ContainerStack::new();
    let mut i = start;
    let mut doc_kind = ValueKind::Null;
    let mut state = State::Value;

    let err = |kind, offset| Err(SyntaxError { kind, offset });

    loop {
        match state {
            State::Value => {
                i = skip_ws(buf, i);
                let Some(&b) = buf.get(i) else {
                    return err(SyntaxErrorKind::UnexpectedEnd(Context::Value), i);
                };
                match b {
                    b'{' | b'[' => {
                        if stack.depth >= max_depth {
                            return err(SyntaxErrorKind::TooDeep(max_depth), i);
                        }
                        let is_object = b == b'{';
                        if stack.depth == 0 {
                            doc_kind = if is_object {
                                ValueKind::Object
                            } else {
                                ValueKind::Array
                            };
                        }
                        stack.push(is_object);
                        i = skip_ws(buf, i + 1);
                        match buf.get(i) {
                            None => {
                                return err(SyntaxErrorKind::UnexpectedEnd(Context::Container), i);
                            }
                            Some(b'}') if is_object => {
                                i += 1;
                                stack.depth -= 1;
                                state = State::AfterValue;
                            }
                            Some(b']') if !is_object => {
                                i += 1;
                                stack.depth -= 1;
                                state = State::AfterValue;
                            }
                            Some(_) if is_object => state = State::Key,
                            Some(_) => state = State::Value,
                        }
                        continue;
                    }
                    b'"' => {
                        let (end, escaped) = scan_string(buf, i + 1)?;
                        i = end;
                        if stack.depth == 0 {
                            doc_kind = ValueKind::String { escaped };
                        }
                    }
                    b'-' | b'0'..=b'9' => {
                        i = scan_number(buf, i)?;
                        if stack.depth == 0 {
                            doc_kind = ValueKind::Number;
                        }
                    }
                    b't' | b'f' | b'n' => {
                        let (word, kind): (&[u8], _) = match b {
                            b't' => (b"true", ValueKind::Bool),
                            b'f' => (b"false", ValueKind::Bool),
                            _ => (b"null", ValueKind::Null),
                        };
                        i = scan_literal(buf, i, word)?;
                        if stack.depth == 0 {
                            doc_kind = kind;
                        }
                    }
                    other => return err(SyntaxErrorKind::UnexpectedByte(other), i),
                }
                state = State::AfterValue;
            }
            State::Key => {
                i = skip_ws(buf, i);
                if buf.get(i) != Some(&b'"') {
                    return Err(unexpected(buf, i, Context::Container));
                }
                let (end, _) = scan_string(buf, i + 1)?;
                i = skip_ws(buf, end);
                if buf.get(i) != Some(&b':') {
                    return Err(unexpected(buf, i, Context::Container));
                }
                i += 1;
                state = State::Value;
            }
            State::AfterValue => {
                if stack.depth == 0 {
                    return Ok((i, doc_kind));
                }
                i = skip_ws(buf, i);
                let Some(&b) = buf.get(i) else {
                    return err(SyntaxErrorKind::UnexpectedEnd(Context::Container), i);
                };
                let in_object = stack.top_is_object();
                match b {
                    b',' => {
                        i += 1;
                        state = if in_object { State::Key } else { State::Value };
                    }
                    b'}' if in_object => {
                        i += 1;
                        stack.depth -= 1;
                    }
                    b']' if !in_object => {
                        i += 1;
                        stack.depth -= 1;
                    }
                    other => return err(SyntaxErrorKind::UnexpectedByte(other), i),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
