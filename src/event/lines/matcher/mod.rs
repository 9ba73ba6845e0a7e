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
use seps::{Mark, Seps};
use weigh::{INF, weigh};

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

/// The ends a slot's text can have from `at` on, in order: the occurrences of `after`, the
/// literal that closes the slot. A slot closed by the separator alone ends at one of the
/// separators from `at` on, read off the list.
fn ends<'a>(b: &'a [u8], seps: &'a Seps, after: &'a [u8], at: Mark) -> impl Iterator<Item = Mark> {
    let by_sep = seps.is(after);
    let (mut k, mut from) = (at.sep, at.pos);
    std::iter::from_fn(move || {
        if by_sep {
            let pos = seps.nth(k)?;
            k += 1;
            Some(Mark { pos, sep: k - 1 })
        } else {
            let end = next_at(b, after, from)?;
            from = end + after.len().max(1);
            Some(seps.mark(end))
        }
    })
}

/// Finds the ends of slot `i`'s text starting at `at`, calling `each(end, extra, cost)` for
/// every viable one (`extra`: the cell separators its text holds); returns the failure of the
/// first candidate when none is viable. `budget` is how many separators beyond the template's
/// own the text may still hold.
fn candidates(
    p: &Pattern,
    b: &[u8],
    seps: &Seps,
    i: usize,
    at: Mark,
    budget: usize,
    mut each: impl FnMut(Mark, usize, u32),
) -> Result<(), Failure> {
    let slot = &p.slots[i];
    let pos = at.pos;
    if i + 1 == p.slots.len() {
        // The last slot runs to the end of the line, before its closing text.
        if b.len() < pos + slot.after.len() || !b.ends_with(&slot.after) {
            return Err(Failure::Literal { slot: i, at: pos });
        }
        let end = seps.before_tail(b.len(), &slot.after);
        let extra = seps.between(at, end);
        let cost = slot_cost(p, seps, i, &b[pos..end.pos], pos, extra)?;
        each(end, extra.unwrap_or(0), cost);
        return Ok(());
    }
    let strict = slot.is_strict(&p.fields);
    // The first candidate's failure: the shortest text, the one a reader would look at.
    let mut failure: Option<Failure> = None;
    let mut found_any = false;
    for (k, end) in ends(b, seps, &slot.after, at).enumerate() {
        let tries = k + 1;
        let extra = end.sep - at.sep;
        let over = match p.separator {
            Some(_) => extra > budget,
            None => tries > MAX_CANDIDATES,
        };
        if over || (strict && tries > STRICT_TRIES) {
            break;
        }
        let text = &b[pos..end.pos];
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
    let (seps, surplus) = prepare(p, b)?;
    if let Some(split) = greedy(p, b, &seps) {
        return Ok(split);
    }
    // Most lines that one pass does not settle cost little: a list or `name:value` pairs with
    // more items than usual. Splits costing more are only weighed when none costs that little.
    let cheap = if bounded(p, surplus) {
        weigh(p, b, &seps, surplus, usual_cost(surplus))?
    } else {
        None
    };
    let mut split = match cheap {
        Some(split) => split,
        None => weigh(p, b, &seps, surplus, INF)?.expect("without a limit, a split or a failure"),
    };
    settle(p, b, &mut split);
    Ok(split)
}

/// The split [`find`] gives when it costs less than `than`, for a line that another template
/// already fits at that cost: only cheaper splits are weighed.
pub(super) fn find_cheaper(p: &Pattern, b: &[u8], than: u32) -> Option<Split> {
    if than == 0 {
        return None;
    }
    let (seps, surplus) = prepare(p, b).ok()?;
    if let Some(split) = greedy(p, b, &seps) {
        return Some(split);
    }
    let limit = if bounded(p, surplus) { than - 1 } else { INF };
    let mut split = weigh(p, b, &seps, surplus, limit)
        .ok()
        .flatten()
        .filter(|s| s.cost < than)?;
    settle(p, b, &mut split);
    Some(split)
}

/// The separators of `b` and how many of them are beyond the template's own (unbounded
/// without a separator), once the line has the template's leading text.
fn prepare(p: &Pattern, b: &[u8]) -> Result<(Seps, usize), Failure> {
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
    Ok((seps, surplus))
}

/// The cost a first weighing is limited to: two per surplus separator (an extra list item or
/// pair), and as much again for a field left empty or a `ConnectionID` without its comma.
fn usual_cost(surplus: usize) -> u32 {
    u32::try_from(surplus.saturating_mul(2).saturating_add(4)).unwrap_or(INF - 1)
}

/// True when weighing a line of `p` with `surplus` separators to place can never be refused as
/// too ambiguous, so that a limit on the cost leaves the result as it is (`weigh`).
///
/// So it is when every slot but the last ends with a literal holding the separator: then the
/// boundaries after a slot differ in how many surplus separators come before them (at most
/// `surplus + 1` boundaries), and the ends a slot's text can take from one boundary differ in
/// how many it holds (at most `surplus + 1` edges from a boundary, fewer the more came
/// before). The line is small enough when even that many boundaries and edges stay within the
/// limits.
fn bounded(p: &Pattern, surplus: usize) -> bool {
    let Some(sep) = p.separator else {
        return false;
    };
    let Some((_, inner)) = p.slots.split_last() else {
        return false;
    };
    // Edges of one slot: a boundary with `k` surplus separators before it has at most
    // `surplus - k + 1` ends to try.
    let per_slot = surplus
        .checked_add(1)
        .and_then(|a| a.checked_mul(surplus.checked_add(2)?))
        .map(|x| x / 2);
    surplus < MAX_STATES
        && per_slot
            .and_then(|e| e.checked_mul(p.slots.len()))
            .is_some_and(|edges| edges <= MAX_EDGES)
        && inner.iter().all(|s| s.after.contains(&sep))
}

/// Settles an ambiguous split of side-by-side lists (`parallel.rs`).
fn settle(p: &Pattern, b: &[u8], split: &mut Split) {
    if !split.ambiguous.is_empty() {
        for group in PARALLEL {
            parallel(p, b, split, group);
        }
    }
}

/// One pass, each field taking the separators it usually has. `Some` only when the split
/// costs nothing, which makes it the only best one.
fn greedy(p: &Pattern, b: &[u8], seps: &Seps) -> Option<Split> {
    let mut spans = Vec::with_capacity(p.slots.len());
    let mut at = seps.mark(p.lead.len());
    let free = |i: usize, at: Mark, end: Mark| {
        slot_cost(
            p,
            seps,
            i,
            &b[at.pos..end.pos],
            at.pos,
            seps.between(at, end),
        )
    };
    for (i, slot) in p.slots.iter().enumerate() {
        let end = if i + 1 == p.slots.len() {
            if b.len() < at.pos + slot.after.len() || !b.ends_with(&slot.after) {
                return None;
            }
            let end = seps.before_tail(b.len(), &slot.after);
            (free(i, at, end) == Ok(0)).then_some(end)?
        } else if slot.is_strict(&p.fields) {
            let mut found = None;
            for end in ends(b, seps, &slot.after, at).take(STRICT_TRIES) {
                match free(i, at, end) {
                    Ok(0) => {
                        found = Some(end);
                        break;
                    }
                    Ok(_) => return None,
                    Err(_) => {}
                }
            }
            found?
        } else {
            let end = ends(b, seps, &slot.after, at).nth(slot.expected)?;
            (free(i, at, end) == Ok(0)).then_some(end)?
        };
        spans.push((at.pos, end.pos));
        at = seps.past(end, &slot.after);
    }
    Some(Split {
        spans,
        ambiguous: Vec::new(),
        cost: 0,
    })
}

#[cfg(test)]
mod tests;
