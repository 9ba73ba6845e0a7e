//! Matching a line against a [`Pattern`]: where each slot's text starts and ends.
//!
//! A slot ends at an occurrence of the literal that follows it. Numbers, times and `%j` strings
//! (strict fields) end at the first occurrence after which their text is valid. A CSV cell may
//! hold the separator itself (`ConnectionID` always does, `Customer`, `Policy`, lists and
//! audit values can), so a line may have more separators than the template: the surplus has to
//! go to some string field, and where is decided by cost (`value.rs`): a `ConnectionID` with
//! exactly one comma costs nothing, a list takes extra items cheaply, free text less cheaply,
//! an identifier nearly never. The split of least total cost wins.
//!
//! Most lines are settled by one greedy pass, each field taking the separators it usually has;
//! when that pass costs nothing it is the only best split. Otherwise every possible split is
//! weighed (a shortest path over slot boundaries, each field allowed at most the surplus), and:
//!
//! - when one split costs least, it is taken;
//! - when several cost the same, the earliest field takes the extra cells (it gets the longest
//!   text), and the fields whose text depends on the choice are reported as ambiguous.
//!
//! Glued slots (`pattern.rs`) are read as one text: split at their glue literal when it occurs
//! exactly once between each two fields, else the first field keeps the whole text, the others
//! are left out, and the slot is reported as unsplit.

use super::pattern::Pattern;
use super::value::{self, Problem};

mod glued;
mod parallel;
mod seps;
mod weigh;

pub(super) use glued::glued_parts;
use parallel::{PARALLEL, parallel};
use seps::Seps;
use weigh::weigh;

/// How many candidate ends a strict field tries before giving up (a time followed by a space
/// has its own spaces to skip).
const STRICT_TRIES: usize = 16;

/// Edges of the split graph beyond which a line is refused as too ambiguous to weigh.
const MAX_EDGES: usize = 1 << 16;

/// Boundaries at one slot beyond which a line is refused as too ambiguous to weigh.
const MAX_STATES: usize = 1 << 10;

/// Candidate ends per slot when the template has no common separator to bound them by.
const MAX_CANDIDATES: usize = 64;

/// Why a line does not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Failure {
    /// The text the template starts with is not there.
    Lead,
    /// Fewer separators than the template's own.
    Count {
        /// Separators in the line.
        found: usize,
        /// Separators in the template.
        needed: usize,
    },
    /// The literal that ends slot `slot` was not found after byte `at`.
    Literal {
        /// The slot.
        slot: usize,
        /// Where its text starts.
        at: usize,
    },
    /// A field's text cannot be its value.
    Value {
        /// Index of the field.
        field: usize,
        /// What is wrong.
        problem: Problem,
        /// Where the text starts.
        start: usize,
        /// Where it ends.
        end: usize,
    },
    /// More ways to split the line than are worth weighing.
    TooAmbiguous,
}

impl Failure {
    /// How far into the template the failure is, to keep the most telling one.
    fn depth(&self, p: &Pattern) -> usize {
        match self {
            Failure::Lead | Failure::Count { .. } | Failure::TooAmbiguous => 0,
            Failure::Literal { slot, .. } => *slot,
            Failure::Value { field, .. } => p
                .slots
                .iter()
                .position(|s| (s.first..s.first + s.count).contains(field))
                .unwrap_or(0),
        }
    }
}

/// Where each slot's text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Split {
    /// Start and end of each slot's text.
    pub(super) spans: Vec<(usize, usize)>,
    /// Slots whose text another, equally good split would change.
    pub(super) ambiguous: Vec<usize>,
    /// The split's cost.
    pub(super) cost: u32,
}

/// The cost of `text` as slot `i` (`start` is where the text is in the line; `extra`, when
/// known, how many cell separators it holds).
fn slot_cost(
    p: &Pattern,
    seps: &Seps,
    i: usize,
    text: &[u8],
    start: usize,
    extra: Option<usize>,
) -> Result<u32, Failure> {
    let slot = &p.slots[i];
    let bad = |field: usize, problem: Problem, from: usize, len: usize| Failure::Value {
        field,
        problem,
        start: from,
        end: from + len,
    };
    let cost = |field: usize, text: &[u8], extra: Option<usize>, expected: usize| {
        let extra = extra.unwrap_or_else(|| value::occurrences(text, &slot.cell_sep));
        value::cost(&p.fields[field], text, extra, expected)
    };
    if slot.count == 1 {
        return cost(slot.first, text, extra, slot.expected)
            .map_err(|e| bad(slot.first, e, start, text.len()));
    }
    match glued_parts(p, slot, text) {
        Some(parts) => {
            let mut total = 0;
            let mut at = start;
            for (k, part) in parts.iter().enumerate() {
                let extra = seps.extra(at, at + part.len());
                total += cost(slot.first + k, part, extra, 0)
                    .map_err(|e| bad(slot.first + k, e, at, part.len()))?;
                at += part.len() + slot.glue.len();
            }
            Ok(total)
        }
        None => cost(slot.first, text, extra, 0).map_err(|e| bad(slot.first, e, start, text.len())),
    }
}

/// The next occurrence of `needle` in `hay` at or after `from`.
#[inline]
fn next_at(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let rest = hay.get(from..)?;
    match needle {
        [b] => memchr::memchr(*b, rest),
        _ => memchr::memmem::find(rest, needle),
    }
    .map(|at| from + at)
}

/// Finds the ends of slot `i`'s text starting at `pos`, calling `each(end, extra, cost)` for
/// every viable one (`extra`: the cell separators its text holds); returns the failure of the
/// first candidate when none is viable. `budget` is how many separators beyond the template's
/// own the text may still hold.
fn candidates(
    p: &Pattern,
    b: &[u8],
    seps: &Seps,
    i: usize,
    pos: usize,
    budget: usize,
    mut each: impl FnMut(usize, usize, u32),
) -> Result<(), Failure> {
    let slot = &p.slots[i];
    if i + 1 == p.slots.len() {
        // The last slot runs to the end of the line, before its closing text.
        if b.len() < pos + slot.after.len() || !b.ends_with(&slot.after) {
            return Err(Failure::Literal { slot: i, at: pos });
        }
        let end = b.len() - slot.after.len();
        let extra = seps.extra(pos, end);
        let cost = slot_cost(p, seps, i, &b[pos..end], pos, extra)?;
        each(end, extra.unwrap_or(0), cost);
        return Ok(());
    }
    let strict = slot.is_strict(&p.fields);
    // A slot ended by the separator alone ends at one of the separators from `pos` on, the
    // `k`th of them holding `k` in its text.
    let by_sep = seps.is(&slot.after);
    let first = seps.first_from(pos);
    // The first candidate's failure: the shortest text, the one a reader would look at.
    let mut failure: Option<Failure> = None;
    let mut found_any = false;
    let mut from = pos;
    let mut tries = 0;
    loop {
        let end = if by_sep {
            seps.nth(first + tries)
        } else {
            next_at(b, &slot.after, from)
        };
        let Some(end) = end else {
            break;
        };
        let extra = if by_sep {
            tries
        } else {
            from = end + slot.after.len().max(1);
            seps.first_from(end) - first
        };
        tries += 1;
        let over = match p.separator {
            Some(_) => extra > budget,
            None => tries > MAX_CANDIDATES,
        };
        if over || (strict && tries > STRICT_TRIES) {
            break;
        }
        let text = &b[pos..end];
        match slot_cost(p, seps, i, text, pos, p.separator.map(|_| extra)) {
            Ok(cost) => {
                found_any = true;
                each(end, extra, cost);
                if strict {
                    break;
                }
            }
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    if found_any {
        Ok(())
    } else {
        Err(failure.unwrap_or(Failure::Literal { slot: i, at: pos }))
    }
}

/// Splits `b` (a whole line, without its line break) by `p`.
///
/// # Errors
/// A [`Failure`] saying how the line does not fit, the one furthest into the template.
pub(super) fn find(p: &Pattern, b: &[u8]) -> Result<Split, Failure> {
    if !b.starts_with(&p.lead) {
        return Err(Failure::Lead);
    }
    let seps = Seps::new(p.separator, b);
    let surplus = match p.separator {
        Some(_) => {
            let found = seps.total();
            found
                .checked_sub(p.separators_in_literals)
                .ok_or(Failure::Count {
                    found,
                    needed: p.separators_in_literals,
                })?
        }
        None => usize::MAX,
    };
    if let Some(split) = greedy(p, b, &seps) {
        return Ok(split);
    }
    let mut split = weigh(p, b, &seps, surplus)?;
    if !split.ambiguous.is_empty() {
        for group in PARALLEL {
            parallel(p, b, &mut split, group);
        }
    }
    Ok(split)
}

/// One pass, each field taking the separators it usually has. `Some` only when the split
/// costs nothing, which makes it the only best one.
fn greedy(p: &Pattern, b: &[u8], seps: &Seps) -> Option<Split> {
    let mut spans = Vec::with_capacity(p.slots.len());
    let mut pos = p.lead.len();
    let free = |i: usize, pos: usize, end: usize| {
        slot_cost(p, seps, i, &b[pos..end], pos, seps.extra(pos, end))
    };
    for (i, slot) in p.slots.iter().enumerate() {
        let end = if i + 1 == p.slots.len() {
            if b.len() < pos + slot.after.len() || !b.ends_with(&slot.after) {
                return None;
            }
            let end = b.len() - slot.after.len();
            (free(i, pos, end) == Ok(0)).then_some(end)?
        } else if slot.is_strict(&p.fields) {
            let mut from = pos;
            let mut found = None;
            for _ in 0..STRICT_TRIES {
                let Some(end) = next_at(b, &slot.after, from) else {
                    break;
                };
                match free(i, pos, end) {
                    Ok(0) => {
                        found = Some(end);
                        break;
                    }
                    Ok(_) => return None,
                    Err(_) => from = end + slot.after.len().max(1),
                }
            }
            found?
        } else if seps.is(&slot.after) {
            let end = seps.nth(seps.first_from(pos) + slot.expected)?;
            (free(i, pos, end) == Ok(0)).then_some(end)?
        } else {
            let mut end = next_at(b, &slot.after, pos)?;
            for _ in 0..slot.expected {
                end = next_at(b, &slot.after, end + slot.after.len().max(1))?;
            }
            (free(i, pos, end) == Ok(0)).then_some(end)?
        };
        spans.push((pos, end));
        pos = end + slot.after.len();
    }
    Some(Split {
        spans,
        ambiguous: Vec::new(),
        cost: 0,
    })
}

#[cfg(test)]
mod tests;
