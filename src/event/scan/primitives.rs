//! The lexical pieces of JSON: strings (eight bytes at a time), escapes, numbers, literals.

use super::{Context, SyntaxError, SyntaxErrorKind};

/// Broadcasts a byte to all eight lanes of a word.
const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101u64 * b as u64
}

const LO: u64 = splat(0x01);
const HI: u64 = splat(0x80);

/// A mask with the high bit set in the lowest lane that holds `"`, `\` or a byte below 0x20.
/// Lanes above the first hit may carry false positives, which is fine: only the lowest set bit
/// is used.
#[inline]
pub(super) fn special_lanes(w: u64) -> u64 {
    let quote = w ^ splat(b'"');
    let backslash = w ^ splat(b'\\');
    let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    has_zero(quote) | has_zero(backslash) | (w.wrapping_sub(splat(0x20)) & !w & HI)
}

/// Scans string content starting just after the opening quote. Returns the offset just past the
/// closing quote and whether an escape was seen.
///
/// Always inlined: most strings of an LSS record are short, and a call with the set-up of the
/// loop's constants cost about as much as scanning one (3 to 9% per record in `cargo bench`).
#[inline(always)]
pub(in crate::event) fn scan_string(
    buf: &[u8],
    mut i: usize,
) -> Result<(usize, bool), SyntaxError> {
    let mut escaped = false;
    loop {
        // Eight bytes at a time until a quote, a backslash or a control byte shows up.
        while let Some(chunk) = buf.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().expect("the slice has 8 bytes"));
            let m = special_lanes(w);
            if m != 0 {
                i += (m.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        let Some(&b) = buf.get(i) else {
            return Err(SyntaxError {
                kind: SyntaxErrorKind::UnexpectedEnd(Context::String),
                offset: i,
            });
        };
        match b {
            b'"' => return Ok((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                i = scan_escape(buf, i)?;
            }
            0..=0x1f => {
                return Err(SyntaxError {
                    kind: SyntaxErrorKind::ControlCharacter(b),
                    offset: i,
                });
            }
            _ => i += 1,
        }
    }
}

/// Validates the escape that starts with the backslash at `i`; returns the offset after it.
fn scan_escape(buf: &[u8], i: usize) -> Result<usize, SyntaxError> {
    let end = |offset| SyntaxError {
        kind: SyntaxErrorKind::UnexpectedEnd(Context::String),
        offset,
    };
    let bad = SyntaxError {
        kind: SyntaxErrorKind::InvalidEscape,
        offset: i,
    };
    match buf.get(i + 1) {
        None => Err(end(i + 1)),
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
        Some(b'u') => {
            for k in 0..4 {
                match buf.get(i + 2 + k) {
                    None => return Err(end(i + 2 + k)),
                    Some(h) if h.is_ascii_hexdigit() => {}
                    Some(_) => return Err(bad),
                }
            }
            Ok(i + 6)
        }
        Some(_) => Err(bad),
    }
}

pub(in crate::event) fn scan_number(buf: &[u8], start: usize) -> Result<usize, SyntaxError> {
    let digits = |mut i: usize| {
        while i < buf.len() && buf[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let bad = |offset| SyntaxError {
        kind: if offset >= buf.len() {
            SyntaxErrorKind::UnexpectedEnd(Context::Scalar)
        } else {
            SyntaxErrorKind::InvalidNumber
        },
        offset,
    };
    let mut i = start;
    if buf[i] == b'-' {
        i += 1;
    }
    match buf.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i + 1),
        _ => return Err(bad(i)),
    }
    if buf.get(i) == Some(&b'.') {
        let after = digits(i + 1);
        if after == i + 1 {
            return Err(bad(i + 1));
        }
        i = after;
    }
    if matches!(buf.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(buf.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let after = digits(i);
        if after == i {
            return Err(bad(i));
        }
        i = after;
    }
    Ok(i)
}

pub(super) fn scan_literal(buf: &[u8], start: usize, word: &[u8]) -> Result<usize, SyntaxError> {
    for (k, &expected) in word.iter().enumerate() {
        match buf.get(start + k) {
            None => {
                return Err(SyntaxError {
                    kind: SyntaxErrorKind::UnexpectedEnd(Context::Scalar),
                    offset: start + k,
                });
            }
            Some(&b) if b == expected => {}
            Some(&b) => {
                return Err(SyntaxError {
                    kind: SyntaxErrorKind::UnexpectedByte(b),
                    offset: start + k,
                });
            }
        }
    }
    Ok(start + word.len())
}
