//! Splitting the text of glued fields (`pattern.rs`): at their glue literal when it occurs
//! exactly once between each two fields, or at the only choice of its occurrences that gives
//! every field a plausible value.

use super::super::fields;
use super::super::pattern::{FieldRead, Pattern, Slot};

/// The parts of a glued slot's text, one per field, when the split is unambiguous: the glue
/// occurs exactly once between each two fields, or only one choice of its occurrences gives
/// every field a plausible value (`fields::plausible`: Kerberos realms in capitals, principals
/// ending in one, known encryption types).
pub(in crate::event::lines) fn glued_parts<'t>(
    p: &Pattern,
    slot: &Slot,
    text: &'t [u8],
) -> Option<Vec<&'t [u8]>> {
    if slot.glue.is_empty() {
        return text.is_empty().then(|| vec![text; slot.count]);
    }
    let at: Vec<usize> = memchr::memmem::find_iter(text, &slot.glue).collect();
    if at.len() + 1 < slot.count {
        return None;
    }
    let mut search = Glued {
        text,
        at: &at,
        glue: slot.glue.len(),
        fields: &p.fields[slot.first..slot.first + slot.count],
        chosen: Vec::with_capacity(slot.count - 1),
        found: None,
        budget: 100_000,
    };
    let complete = search.run(0, 0);
    let cuts = search.found.filter(|_| complete)?;
    let mut parts = Vec::with_capacity(slot.count);
    let mut start = 0;
    for cut in cuts {
        parts.push(&text[start..cut]);
        start = cut + slot.glue.len();
    }
    parts.push(&text[start..]);
    Some(parts)
}

/// The search for the splits of a glued slot's text: depth first over the glue's occurrences,
/// stopping at the second complete split (or when the budget of steps runs out).
struct Glued<'a> {
    text: &'a [u8],
    /// Where the glue occurs.
    at: &'a [usize],
    /// The glue's length.
    glue: usize,
    fields: &'a [FieldRead],
    /// The cuts of the split under way.
    chosen: Vec<usize>,
    /// The first complete split.
    found: Option<Vec<usize>>,
    budget: usize,
}

impl Glued<'_> {
    /// Tries the occurrences from `from` on for the next cut, the current field's text starting
    /// at `start`. False when the search ends early: a second split, or no budget left.
    fn run(&mut self, from: usize, start: usize) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        let k = self.chosen.len();
        if k + 1 == self.fields.len() {
            if fields::plausible(&self.fields[k], &self.text[start..]) {
                if self.found.is_some() {
                    return false;
                }
                self.found = Some(self.chosen.clone());
            }
            return true;
        }
        for i in from..self.at.len() {
            let pos = self.at[i];
            if pos < start || !fields::plausible(&self.fields[k], &self.text[start..pos]) {
                continue;
            }
            self.chosen.push(pos);
            let go_on = self.run(i + 1, pos + self.glue);
            self.chosen.pop();
            if !go_on {
                return false;
            }
        }
        true
    }
}
