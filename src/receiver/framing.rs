//! Newline framing of a connection's byte stream, without I/O: bytes go in through
//! [`Framer::spare`] and [`Framer::filled`], lines come out of [`Framer::next`].
//!
//! A record ends at `\n`; a `\r` before it belongs to the terminator. A line longer than the
//! maximum is cut: its first bytes come out as [`Frame::TooLong`] as soon as the maximum is
//! passed, and everything up to the next `\n` is skipped, so the connection goes on with the
//! line after it. What is left without a newline when the connection closes is
//! [`Framer::finish`]'s partial line.
//!
//! # Memory
//! The buffer starts small ([`FIRST_READ`]) and doubles, up to the read size, whenever a read
//! fills it: an idle or slow connection holds little, a busy one reads in large chunks. A line
//! longer than the buffer grows it up to the maximum line length (plus its terminator); once no
//! partial line is held, it shrinks back to the read size. The remainder of a line is moved to
//! the front only when the buffer has no room left to read into, so every byte is copied at most
//! once more than it is read.

/// The buffer's first size (or the read size, if that is smaller).
pub(crate) const FIRST_READ: usize = 16 * 1024;

/// What [`Framer::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    /// A complete line, without its `\n` or `\r\n`. Never empty.
    Line(&'a [u8]),
    /// A line longer than the maximum: its first bytes (at most the dead-letter prefix). The
    /// rest of it is skipped.
    TooLong(&'a [u8]),
}

/// The framer of one connection.
#[derive(Debug)]
pub(crate) struct Framer {
    /// Initialised bytes; `len()` is the current capacity. Read into `end..`.
    buf: Vec<u8>,
    /// The first byte of the current line.
    start: usize,
    /// One past the last byte read.
    end: usize,
    /// `start..scanned` holds no newline (so a partial line is not searched twice).
    scanned: usize,
    /// The rest of a cut line is being dropped, up to its newline.
    skipping: bool,
    max_line: usize,
    prefix: usize,
    /// The read size: the buffer's size when a busy connection holds no long line.
    chunk: usize,
    /// The last read filled all the room there was: read more at a time.
    grow: bool,
}

impl Framer {
    /// A framer that reads `chunk` bytes at a time, cuts lines longer than `max_line` bytes and
    /// keeps the first `prefix` bytes of a cut line. Each is at least 1.
    pub(crate) fn new(chunk: usize, max_line: usize, prefix: usize) -> Self {
        let chunk = chunk.max(1);
        Self {
            buf: vec![0; chunk.min(FIRST_READ)],
            start: 0,
            end: 0,
            scanned: 0,
            skipping: false,
            max_line: max_line.max(1),
            prefix: prefix.max(1),
            chunk,
            grow: false,
        }
    }

    /// Room to read into: at least one byte. Call [`Framer::filled`] with what was read.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.start == self.end {
            // Nothing held: start over at the front, at most at the read size.
            self.start = 0;
            self.end = 0;
            self.scanned = 0;
            if self.buf.len() > self.chunk {
                self.buf.truncate(self.chunk);
                self.buf.shrink_to_fit();
            }
        }
        if std::mem::take(&mut self.grow) && self.buf.len() < self.chunk {
            self.buf.resize((self.buf.len() * 2).min(self.chunk), 0);
        }
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.scanned -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                // A partial line fills the buffer; `next` has cut it if it is over the
                // maximum, so it can grow to hold one line of the maximum length and its `\r\n`.
                let cap = (self.max_line + 2).max(self.chunk);
                let grown = (self.buf.len() * 2).clamp(self.end + 1, cap.max(self.end + 1));
                self.buf.resize(grown, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    /// `n` bytes were read into [`Framer::spare`].
    pub(crate) fn filled(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
        self.grow |= self.end == self.buf.len();
    }

    /// The next complete line or cut line in what was read, if any.
    pub(crate) fn next(&mut self) -> Option<Frame<'_>> {
        loop {
            if self.skipping {
                match memchr::memchr(b'\n', &self.buf[self.scanned..self.end]) {
                    Some(i) => {
                        self.start = self.scanned + i + 1;
                        self.scanned = self.start;
                        self.skipping = false;
                    }
                    None => {
                        self.start = self.end;
                        self.scanned = self.end;
                        return None;
                    }
                }
            }
            let from = self.scanned.max(self.start);
            let Some(i) = memchr::memchr(b'\n', &self.buf[from..self.end]) else {
                self.scanned = self.end;
                return self.cut_partial();
            };
            let (start, newline) = (self.start, from + i);
            self.start = newline + 1;
            self.scanned = self.start;
            let mut line_end = newline;
            if line_end > start && self.buf[line_end - 1] == b'\r' {
                line_end -= 1;
            }
            let len = line_end - start;
            if len == 0 {
                continue;
            }
            if len > self.max_line {
                let keep = len.min(self.prefix);
                return Some(Frame::TooLong(&self.buf[start..start + keep]));
            }
            return Some(Frame::Line(&self.buf[start..line_end]));
        }
    }

    /// A partial line already over the maximum is cut now, rather than held until its newline.
    fn cut_partial(&mut self) -> Option<Frame<'_>> {
        let pending = self.end - self.start;
        // One byte over may still be the `\r` of a line of exactly the maximum length.
        let over = pending > self.max_line + 1
            || (pending == self.max_line + 1 && self.buf[self.end - 1] != b'\r');
        if !over {
            return None;
        }
        let start = self.start;
        self.start = self.end;
        self.scanned = self.end;
        self.skipping = true;
        // The bytes stay in place until the next `spare`.
        Some(Frame::TooLong(
            &self.buf[start..start + pending.min(self.prefix)],
        ))
    }

    /// The connection closed: the partial line left without a newline, if any (a cut line's
    /// remainder is not one). The framer is empty afterwards.
    pub(crate) fn finish(&mut self) -> Option<&[u8]> {
        let (start, end) = (self.start, self.end);
        self.start = self.end;
        self.scanned = self.end;
        if self.skipping || start == end {
            self.skipping = false;
            return None;
        }
        Some(&self.buf[start..end])
    }

    /// Bytes held: a partial line not yet complete.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.end - self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq)]
    enum Out {
        Line(String),
        Cut(String),
    }

    fn push(f: &mut Framer, mut bytes: &[u8], out: &mut Vec<Out>) {
        while !bytes.is_empty() {
            let spare = f.spare();
            let n = spare.len().min(bytes.len());
            spare[..n].copy_from_slice(&bytes[..n]);
            f.filled(n);
            bytes = &bytes[n..];
            while let Some(frame) = f.next() {
                out.push(match frame {
                    Frame::Line(l) => Out::Line(String::from_utf8_lossy(l).into_owned()),
                    Frame::TooLong(p) => Out::Cut(String::from_utf8_lossy(p).into_owned()),
                });
            }
        }
    }

    /// Frames `input` fed in pieces of `piece` bytes; also returns the partial line at close.
    fn frame(
        input: &[u8],
        piece: usize,
        chunk: usize,
        max: usize,
        prefix: usize,
    ) -> (Vec<Out>, Option<String>) {
        let mut f = Framer::new(chunk, max, prefix);
        let mut out = Vec::new();
        for p in input.chunks(piece) {
            push(&mut f, p, &mut out);
        }
        let rest = f.finish().map(|b| String::from_utf8_lossy(b).into_owned());
        (out, rest)
    }

    fn line(s: &str) -> Out {
        Out::Line(s.to_owned())
    }

    #[test]
    fn lines_end_at_newline_and_crlf_and_empty_lines_are_skipped() {
        let input = b"{\"a\":1}\n{\"b\":2}\r\n\n\r\n{\"c\":3}\n";
        let (out, rest) = frame(input, input.len(), 64, 100, 10);
        assert_eq!(
            out,
            [line("{\"a\":1}"), line("{\"b\":2}"), line("{\"c\":3}")]
        );
        assert_eq!(rest, None);
    }

    #[test]
    fn lines_split_across_reads_come_out_whole_whatever_the_split() {
        let input = b"first line\r\nsecond\nthird one is longer\r\nfourth\n";
        let expected = [
            line("first line"),
            line("second"),
            line("third one is longer"),
            line("fourth"),
        ];
        for piece in 1..=input.len() {
            for chunk in [1, 2, 3, 7, 64] {
                let (out, rest) = frame(input, piece, chunk, 100, 10);
                assert_eq!(out, expected, "piece {piece}, chunk {chunk}");
                assert_eq!(rest, None);
            }
        }
    }

    #[test]
    fn a_cr_split_from_its_newline_is_still_the_terminator() {
        let mut f = Framer::new(16, 100, 10);
        let mut out = Vec::new();
        push(&mut f, b"abc\r", &mut out);
        assert!(out.is_empty());
        push(&mut f, b"\ndef\n", &mut out);
        assert_eq!(out, [line("abc"), line("def")]);
    }

    #[test]
    fn a_cr_inside_a_line_is_kept() {
        let (out, _) = frame(b"a\rb\n", 4, 8, 100, 10);
        assert_eq!(out, [line("a\rb")]);
    }

    #[test]
    fn the_last_line_without_a_newline_is_the_partial_line() {
        let (out, rest) = frame(b"whole\nhalf a li", 3, 8, 100, 10);
        assert_eq!(out, [line("whole")]);
        assert_eq!(rest.as_deref(), Some("half a li"));
    }

    #[test]
    fn a_line_of_exactly_the_maximum_passes_with_either_terminator() {
        let (out, rest) = frame(b"12345\n12345\r\n123456\n", 1, 4, 5, 3);
        assert_eq!(out, [line("12345"), line("12345"), Out::Cut("123".into())]);
        assert_eq!(rest, None);
    }

    #[test]
    fn an_over_long_line_is_cut_with_its_prefix_and_the_next_line_goes_on() {
        let long = "x".repeat(50);
        let input = format!("short\n{long}\nafter\n");
        for piece in [1, 3, 10, 60, input.len()] {
            let (out, rest) = frame(input.as_bytes(), piece, 8, 20, 6);
            assert_eq!(
                out,
                [line("short"), Out::Cut("xxxxxx".into()), line("after")],
                "piece {piece}"
            );
            assert_eq!(rest, None);
        }
    }

    #[test]
    fn an_over_long_line_is_cut_before_its_newline_arrives() {
        let mut f = Framer::new(8, 10, 4);
        let mut out = Vec::new();
        push(&mut f, b"abcdefghijklmnop", &mut out);
        assert_eq!(out, [Out::Cut("abcd".into())], "cut without its newline");
        // Nothing of it is held while the rest is skipped.
        assert_eq!(f.held(), 0);
        push(&mut f, &[b'z'; 1000], &mut out);
        assert_eq!(f.held(), 0);
        push(&mut f, b"zz\nnext\n", &mut out);
        assert_eq!(out, [Out::Cut("abcd".into()), line("next")]);
        // The rest of a cut line is not a partial line at close.
        push(&mut f, b"abcdefghijklmnopq", &mut out);
        assert_eq!(f.finish(), None);
    }

    #[test]
    fn the_buffer_grows_for_a_long_line_and_shrinks_back_after_it() {
        let mut f = Framer::new(16, 1000, 10);
        let mut out = Vec::new();
        let long = "y".repeat(900);
        push(&mut f, long.as_bytes(), &mut out);
        assert!(f.buf.len() >= 900 && f.buf.len() <= 1002, "{}", f.buf.len());
        push(&mut f, b"\n", &mut out);
        assert_eq!(out, [line(&long)]);
        push(&mut f, b"small\n", &mut out);
        assert!(f.buf.len() <= 16, "back to the read size: {}", f.buf.len());
    }

    #[test]
    fn the_buffer_starts_small_and_grows_to_the_read_size_while_reads_fill_it() {
        let mut f = Framer::new(4 * FIRST_READ, 1 << 20, 10);
        assert_eq!(f.buf.len(), FIRST_READ);
        let line = [b'z'; 1023];
        let mut out = Vec::new();
        for _ in 0..200 {
            // Reads that fill the room there is, ending in the middle of a line.
            let room = f.spare().len();
            let mut chunk = Vec::new();
            while chunk.len() < room {
                chunk.extend_from_slice(&line);
                chunk.push(b'\n');
            }
            chunk.truncate(room);
            push(&mut f, &chunk, &mut out);
        }
        assert_eq!(
            f.buf.len(),
            4 * FIRST_READ,
            "grown to the read size, no further"
        );
        let mut small = Framer::new(4 * FIRST_READ, 1 << 20, 10);
        for _ in 0..100 {
            push(&mut small, b"short line\n", &mut out);
        }
        assert_eq!(small.buf.len(), FIRST_READ, "small reads keep it small");
    }

    #[test]
    fn the_buffer_never_outgrows_the_maximum_line() {
        let mut f = Framer::new(4, 64, 8);
        let mut out = Vec::new();
        for _ in 0..100 {
            push(&mut f, &[b'q'; 37], &mut out);
            assert!(f.buf.len() <= 66, "{}", f.buf.len());
        }
        assert!(out.iter().all(|o| matches!(o, Out::Cut(_))));
        assert!(!out.is_empty());
    }
}
