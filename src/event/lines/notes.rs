//! What the reader had to decide about a line, told twice: in [`Line::notes`](super::Line)
//! for the caller's counters, and in the record itself, as a member `"lss_line"` added at the
//! end of the object, so that nothing it guessed is silent downstream:
//!
//! ```json
//! "lss_line":{"unsplit":["KRBRealm","KRBClientRealm"],"ambiguous":["TrustedNetworks","TrustedNetworksNames"],
//!             "conflicts":{"ConnectionID":"abc,2"},"repaired":["stray_comma"]}
//! ```
//!
//! Each member is present only when it applies: `unsplit` names glued fields the reader could
//! not split (the first holds their whole text, the others are left out); `ambiguous` names
//! fields whose values another, equally likely split of the line would change; `conflicts`
//! holds the later value of a field the template writes twice when it differs from the first;
//! `repaired` names the defects repaired in a JSON line.

use crate::vocab::vocabulary;

vocabulary! {
    /// One thing the reader had to decide about a line.
    LineNote {
        /// Glued fields left unsplit.
        Unsplit => "unsplit",
        /// Several splits of a CSV/TSV line were equally likely.
        Ambiguous => "ambiguous",
        /// A field written twice with two different values.
        Conflict => "conflict",
        /// A JSON line repaired.
        Repaired => "repaired",
    }
}

/// The key of the member the notes are written under.
pub(super) const NOTES_KEY: &[u8] = b"lss_line";

/// A set of [`LineNote`]s; empty for nearly every line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Notes(u8);

impl Notes {
    /// True when the line was read without a decision worth noting.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True when `note` applies.
    #[must_use]
    pub fn contains(self, note: LineNote) -> bool {
        self.0 & (1 << note as u8) != 0
    }

    /// The set with `note` added.
    #[must_use]
    pub fn with(self, note: LineNote) -> Notes {
        Notes(self.0 | (1 << note as u8))
    }

    /// The notes in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = LineNote> {
        LineNote::ALL
            .iter()
            .copied()
            .filter(move |n| self.contains(*n))
    }
}

/// Writes `,"lss_line":{...}` (without the comma when `comma` is false), `body` writing the
/// members inside.
pub(super) fn write_notes(out: &mut Vec<u8>, comma: bool, body: impl FnOnce(&mut Vec<u8>)) {
    if comma {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(NOTES_KEY);
    out.extend_from_slice(b"\":{");
    body(out);
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_holds_what_was_added() {
        let n = Notes::default()
            .with(LineNote::Ambiguous)
            .with(LineNote::Repaired);
        assert!(n.contains(LineNote::Ambiguous) && n.contains(LineNote::Repaired));
        assert!(!n.contains(LineNote::Unsplit));
        assert_eq!(
            n.iter().collect::<Vec<_>>(),
            [LineNote::Ambiguous, LineNote::Repaired]
        );
        assert!(Notes::default().is_empty() && !n.is_empty());
    }

    #[test]
    fn notes_are_a_member() {
        let mut out = b"{\"a\":1".to_vec();
        write_notes(&mut out, true, |o| o.extend_from_slice(b"\"x\":[]"));
        out.push(b'}');
        assert_eq!(out, b"{\"a\":1,\"lss_line\":{\"x\":[]}}");
    }
}
