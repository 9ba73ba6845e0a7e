//! The separators of a line, found once: splitting a CSV or TSV line weighs many candidate
//! texts for each slot, and each needs to know how many separators it holds. With their
//! positions at hand, that count is a binary search, and the ends a slot can take (most slots
//! end at a separator) are read off the list instead of searched for again.

/// A place in a line, with the index (among the line's separators) of the first separator at
/// or after it: the separators between two marks are counted by a subtraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mark {
    /// The byte offset.
    pub(super) pos: usize,
    /// How many separators come before it.
    pub(super) sep: usize,
}

/// Where the template's common separator occurs in a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Seps {
    /// The separator, if the template has one.
    byte: Option<u8>,
    /// Its positions in the line, in order (none without a separator).
    at: Vec<usize>,
}

impl Seps {
    /// Finds every occurrence of `byte` in the line `b`.
    pub(super) fn new(byte: Option<u8>, b: &[u8]) -> Self {
        let at = match byte {
            Some(sep) => memchr::memchr_iter(sep, b).collect(),
            None => Vec::new(),
        };
        Self { byte, at }
    }

    /// How many separators the whole line holds.
    pub(super) fn total(&self) -> usize {
        self.at.len()
    }

    /// True when `literal` is the separator alone: the slots it ends take their ends from
    /// [`Seps::nth_from`].
    pub(super) fn is(&self, literal: &[u8]) -> bool {
        self.byte.is_some_and(|sep| *literal == [sep])
    }

    /// The index (among the separators) of the first one at or after byte `pos`.
    pub(super) fn first_from(&self, pos: usize) -> usize {
        self.at.partition_point(|&a| a < pos)
    }

    /// Where separator number `k` is, if the line has that many.
    pub(super) fn nth(&self, k: usize) -> Option<usize> {
        self.at.get(k).copied()
    }

    /// How many separators the bytes `from..to` hold (0 without a separator).
    pub(super) fn count(&self, from: usize, to: usize) -> usize {
        if to <= from {
            return 0;
        }
        self.first_from(to) - self.first_from(from)
    }

    /// The mark of byte `pos`.
    pub(super) fn mark(&self, pos: usize) -> Mark {
        Mark {
            pos,
            sep: self.first_from(pos),
        }
    }

    /// The mark right after `literal`, found in the line at `at`.
    pub(super) fn past(&self, at: Mark, literal: &[u8]) -> Mark {
        Mark {
            pos: at.pos + literal.len(),
            sep: at.sep + self.within(literal),
        }
    }

    /// The mark of where `literal` starts in a line of `len` bytes that ends with it.
    pub(super) fn before_tail(&self, len: usize, literal: &[u8]) -> Mark {
        Mark {
            pos: len - literal.len(),
            sep: self.total() - self.within(literal),
        }
    }

    /// How many separators `literal` holds.
    fn within(&self, literal: &[u8]) -> usize {
        self.byte
            .map_or(0, |sep| literal.iter().filter(|&&b| b == sep).count())
    }

    /// The separators between two marks, as [`Seps::extra`] gives them.
    pub(super) fn between(&self, from: Mark, to: Mark) -> Option<usize> {
        self.byte.map(|_| to.sep - from.sep)
    }

    /// The count of separators in `from..to` as [`value::cost`](super::value::cost) takes it:
    /// known when the template has a separator (it is what the slot's cells are separated
    /// by), else left to be counted by the slot's own literal.
    pub(super) fn extra(&self, from: usize, to: usize) -> Option<usize> {
        self.byte.map(|_| self.count(from, to))
    }
}

#[cfg(test)]
mod tests {
    use super::Seps;

    #[test]
    fn counts_agree_with_a_scan_of_every_stretch() {
        let line = b",a,,bc,d,,,e,";
        let seps = Seps::new(Some(b','), line);
        assert_eq!(seps.total(), line.iter().filter(|b| **b == b',').count());
        for from in 0..=line.len() {
            for to in from..=line.len() {
                let scanned = line[from..to].iter().filter(|b| **b == b',').count();
                assert_eq!(seps.count(from, to), scanned, "{from}..{to}");
                assert_eq!(seps.extra(from, to), Some(scanned));
            }
            // The separators from `from` on are the next ones in the line, in order.
            let k = seps.first_from(from);
            let next: Vec<usize> = (k..seps.total()).filter_map(|j| seps.nth(j)).collect();
            let scanned: Vec<usize> = (from..line.len()).filter(|&i| line[i] == b',').collect();
            assert_eq!(next, scanned);
        }
    }

    #[test]
    fn marks_past_literals_and_before_the_tail_count_what_they_pass() {
        let line = b"a, b,c,, end,";
        let seps = Seps::new(Some(b','), line);
        for pos in 0..=line.len() {
            let m = seps.mark(pos);
            assert_eq!(m.sep, seps.first_from(pos));
            for len in 0..=line.len() - pos {
                let past = seps.past(m, &line[pos..pos + len]);
                assert_eq!(past, seps.mark(pos + len), "{pos} past {len}");
                assert_eq!(seps.between(m, past), Some(seps.count(pos, pos + len)));
            }
            assert_eq!(seps.before_tail(line.len(), &line[pos..]), m);
        }
    }

    #[test]
    fn without_a_separator_nothing_is_counted() {
        let seps = Seps::new(None, b"a,b,c");
        assert_eq!(seps.total(), 0);
        assert_eq!(seps.count(0, 5), 0);
        assert_eq!(seps.extra(0, 5), None);
        assert_eq!(seps.between(seps.mark(0), seps.mark(5)), None);
        assert_eq!(seps.past(seps.mark(1), b",").sep, 0);
        assert!(!seps.is(b","));
        let tabs = Seps::new(Some(b'\t'), b"a\tb");
        assert!(tabs.is(b"\t"));
        assert!(!tabs.is(b"\t "));
    }
}
