//! Writing the JSON object of a matched CSV, TSV or custom line: the fields in template order
//! under their JSON keys, typed by their placeholders (`value.rs`), then the notes
//! (`notes.rs`) when the reader had to decide something.

use std::ops::Range;

use super::LineError;
use super::error::{FieldProblem, Quote};
use super::matcher::{self, Failure, Split};
use super::notes::{LineNote, Notes, write_notes};
use super::pattern::Pattern;
use super::value::{self, Problem};

/// What writing a record found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Written {
    /// The `SessionID` value in the output (inside its quotes), else the `ConnectionID` one.
    pub(super) key: Option<Range<usize>>,
    /// What the reader decided.
    pub(super) notes: Notes,
}

/// Appends the record of `b`, split as `split` says, to `out`. On failure `out` is left as it
/// was.
pub(super) fn write(
    p: &Pattern,
    b: &[u8],
    split: &Split,
    out: &mut Vec<u8>,
) -> Result<Written, Failure> {
    let base = out.len();
    let result = write_inner(p, b, split, out);
    if result.is_err() {
        out.truncate(base);
    }
    result
}

fn write_inner(
    p: &Pattern,
    b: &[u8],
    split: &Split,
    out: &mut Vec<u8>,
) -> Result<Written, Failure> {
    let mut unsplit: Vec<usize> = Vec::new();
    let mut ambiguous: Vec<usize> = Vec::new();
    let mut conflicts: Vec<(usize, Vec<u8>)> = Vec::new();
    // Where each field's value was written, for a field the template writes twice.
    let mut written: Vec<Option<Range<usize>>> = vec![None; p.fields.len()];
    let mut session: Option<Range<usize>> = None;
    let mut connection: Option<Range<usize>> = None;
    let mut scratch = Vec::new();
    out.push(b'{');
    let mut members = 0;
    let mut glued: Vec<(usize, usize, &[u8])> = Vec::new();
    for (i, slot) in p.slots.iter().enumerate() {
        let (start, end) = split.spans[i];
        let text = &b[start..end];
        if split.ambiguous.contains(&i) {
            ambiguous.extend(slot.first..slot.first + slot.count);
        }
        // The fields of the slot with their texts: the whole text for one field (nearly every
        // slot), the parts of glued fields, or the whole text for the first of glued fields that
        // cannot be split.
        let one = [(slot.first, start, text)];
        let parts: &[(usize, usize, &[u8])] = if slot.count == 1 {
            &one
        } else if let Some(pieces) = matcher::glued_parts(p, slot, text) {
            glued.clear();
            let mut at = start;
            for (k, piece) in pieces.into_iter().enumerate() {
                glued.push((slot.first + k, at, piece));
                at += piece.len() + slot.glue.len();
            }
            &glued
        } else {
            unsplit.extend(slot.first..slot.first + slot.count);
            &one
        };
        for &(fi, at, part) in parts {
            let f = &p.fields[fi];
            let failed = |problem| Failure::Value {
                field: fi,
                problem,
                start: at,
                end: at + part.len(),
            };
            if let Some(first) = f.repeat_of {
                scratch.clear();
                value::write(f, part, &mut scratch).map_err(failed)?;
                let same = written[first]
                    .as_ref()
                    .is_some_and(|r| out[r.clone()] == scratch[..]);
                if !same {
                    conflicts.push((fi, scratch.clone()));
                }
                continue;
            }
            if members > 0 {
                out.push(b',');
            }
            members += 1;
            out.extend_from_slice(&f.member);
            let v = out.len();
            value::write(f, part, out).map_err(failed)?;
            written[fi] = Some(v..out.len());
            // A string value's text, without its quotes, when not empty.
            let inside = (out[v] == b'"' && out.len() > v + 2).then(|| v + 1..out.len() - 1);
            match &*f.key {
                "SessionID" => session = inside,
                "ConnectionID" => connection = inside,
                _ => {}
            }
        }
    }
    let mut notes = Notes::default();
    if !unsplit.is_empty() {
        notes = notes.with(LineNote::Unsplit);
    }
    if !ambiguous.is_empty() {
        notes = notes.with(LineNote::Ambiguous);
    }
    if !conflicts.is_empty() {
        notes = notes.with(LineNote::Conflict);
    }
    if !notes.is_empty() {
        write_notes(out, members > 0, |o| {
            let mut first = true;
            let mut names = |o: &mut Vec<u8>, name: &[u8], fields: &[usize]| {
                if fields.is_empty() {
                    return;
                }
                if !first {
                    o.push(b',');
                }
                first = false;
                o.push(b'"');
                o.extend_from_slice(name);
                o.extend_from_slice(b"\":[");
                for (k, fi) in fields.iter().enumerate() {
                    if k > 0 {
                        o.push(b',');
                    }
                    o.push(b'"');
                    o.extend_from_slice(p.fields[*fi].key.as_bytes());
                    o.push(b'"');
                }
                o.push(b']');
            };
            names(o, b"unsplit", &unsplit);
            names(o, b"ambiguous", &ambiguous);
            if !conflicts.is_empty() {
                if !first {
                    o.push(b',');
                }
                o.extend_from_slice(b"\"conflicts\":{");
                for (k, (fi, v)) in conflicts.iter().enumerate() {
                    if k > 0 {
                        o.push(b',');
                    }
                    o.push(b'"');
                    o.extend_from_slice(p.fields[*fi].key.as_bytes());
                    o.extend_from_slice(b"\":");
                    o.extend_from_slice(v);
                }
                o.push(b'}');
            }
        });
    }
    out.push(b'}');
    Ok(Written {
        key: session.or(connection),
        notes,
    })
}

/// The [`LineError`] for a failure of `p` on `b`; `offset` is where `b` starts in the line.
pub(super) fn error(p: &Pattern, b: &[u8], failure: &Failure, offset: usize) -> LineError {
    match failure {
        Failure::Lead => LineError::TemplateMismatch {
            template: p.name.clone(),
            detail: format!("the line does not start with {}", Quote::new(&p.lead)).into(),
        },
        Failure::Count { found, needed } => LineError::FieldCount {
            template: p.name.clone(),
            fields: p.fields.len(),
            separator: p.separator.unwrap_or(b','),
            found: *found,
            needed: *needed,
        },
        Failure::Literal { slot, at } => {
            let s = &p.slots[*slot];
            let f = &p.fields[s.first + s.count - 1];
            let detail = if s.after.is_empty() {
                format!(
                    "the line goes on after field {} at byte {}",
                    f.key,
                    at + offset
                )
            } else {
                format!(
                    "no {} after field {} (placeholder {}), from byte {}: found {}",
                    Quote::new(&s.after),
                    f.key,
                    f.number,
                    at + offset,
                    Quote::new(b.get(*at..).unwrap_or_default())
                )
            };
            LineError::TemplateMismatch {
                template: p.name.clone(),
                detail: detail.into(),
            }
        }
        Failure::Value {
            field,
            problem,
            start,
            end,
        } => {
            let f = &p.fields[*field];
            let detail = Box::new(FieldProblem {
                template: p.name.clone(),
                field: f.key.clone(),
                number: f.number,
                offset: start + offset,
                found: Quote::new(&b[*start..*end]),
                expected: problem.expected(f),
            });
            match problem {
                Problem::Number => LineError::BadNumber(detail),
                Problem::Time => LineError::BadTime(detail),
                Problem::JsonString => LineError::BadString(detail),
            }
        }
        Failure::TooAmbiguous => LineError::TemplateMismatch {
            template: p.name.clone(),
            detail: "the line holds too many separators to weigh every way of splitting it".into(),
        },
    }
}
