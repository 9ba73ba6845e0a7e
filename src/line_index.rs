//! Line numbers of byte offsets in a text, in logarithmic time: for error messages about files
//! with many entries (a catalog of thousands), where counting newlines from the start for each
//! entry would take time quadratic in the file's size. Pure.

/// The start offset of every line of a text.
#[derive(Debug)]
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    /// Offsets where lines start; the first is 0.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`.
    #[must_use]
    pub(crate) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        Self { text, starts }
    }

    /// The 1-based line of byte `offset` (the last line for an offset past the end).
    #[must_use]
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    /// The 1-based line where `part`, a slice of the indexed text, starts.
    #[must_use]
    pub(crate) fn line_of_slice(&self, part: &str) -> usize {
        let offset = (part.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        self.line_of(offset.min(self.text.len()))
    }

    /// The text of 1-based line `n` without its line end, or `None` past the last line.
    #[must_use]
    pub(crate) fn line(&self, n: usize) -> Option<&'a str> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        let end = self.starts.get(n).map_or(self.text.len(), |&e| e - 1);
        let line = &self.text[start..end.max(start)];
        Some(line.strip_suffix('\r').unwrap_or(line))
    }

    /// The number of lines.
    #[must_use]
    pub(crate) fn lines(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_lines_agree_with_counting() {
        let text = "a = 1\r\n\nbc = 2\nlast";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() {
            let counted = text[..offset].matches('\n').count() + 1;
            assert_eq!(index.line_of(offset), counted, "offset {offset}");
        }
        assert_eq!(index.lines(), 4);
        assert_eq!(index.line(1), Some("a = 1"));
        assert_eq!(index.line(2), Some(""));
        assert_eq!(index.line(3), Some("bc = 2"));
        assert_eq!(index.line(4), Some("last"));
        assert_eq!(index.line(5), None);
        assert_eq!(index.line(0), None);
        assert_eq!(index.line_of_slice(&text[9..]), 3);
    }
}
