//! Splitting a byte stream into newline-terminated records with bounded memory.
//!
//! A line longer than the record limit is not buffered whole: it is handed over in chunks, so
//! that the caller can still pass it through (or reject it) without holding it in memory.

use std::io::{self, Read};

/// One piece of input.
#[derive(Debug)]
pub(crate) enum Piece<'a> {
    /// A complete record (without its `\n`).
    Record(&'a [u8]),
    /// Part of a line that is longer than the limit. `first` is set on the first chunk of the
    /// line and `last` on the final one (which holds no `\n`).
    Oversized {
        chunk: &'a [u8],
        first: bool,
        last: bool,
    },
    /// Every complete line so far has been handed over and the input has nothing more to read
    /// yet: a moment to flush, so that a live stream (`tail -f |`) is not held back.
    Idle,
}

/// Whether reading `fd` now would wait: true when it has no data ready (and no end of file).
#[cfg(unix)]
pub(crate) fn would_block(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // An error (e.g. a descriptor poll cannot watch) counts as ready: the read will tell.
    matches!(poll(&mut fds, Some(&now)), Ok(0))
}

/// Reads `input` to the end, calling `f` for every record or oversized chunk with its 1-based
/// line number. A final line without `\n` is a record too. Before a read that `idle` says would
/// wait, `f` gets [`Piece::Idle`].
pub(crate) fn for_each<R: Read, E: From<io::Error>>(
    mut input: R,
    max_record: usize,
    mut idle: impl FnMut() -> bool,
    mut f: impl FnMut(u64, Piece<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let capacity = (max_record + 1).max(256 * 1024) * 2;
    let mut buf = vec![0u8; capacity];
    let (mut start, mut end) = (0usize, 0usize);
    let mut line_no: u64 = 1;
    // True while the rest of an oversized line is being streamed.
    let mut in_oversized = false;
    let mut eof = false;
    loop {
        // Hand over every complete line in the buffer.
        while let Some(pos) = memchr::memchr(b'\n', &buf[start..end]) {
            let line = &buf[start..start + pos];
            let piece = if in_oversized {
                in_oversized = false;
                Piece::Oversized {
                    chunk: line,
                    first: false,
                    last: true,
                }
            } else if line.len() > max_record {
                Piece::Oversized {
                    chunk: line,
                    first: true,
                    last: true,
                }
            } else {
                Piece::Record(line)
            };
            start += pos + 1;
            f(line_no, piece)?;
            line_no += 1;
        }
        if eof {
            if start < end {
                let line = &buf[start..end];
                let piece = if in_oversized || line.len() > max_record {
                    Piece::Oversized {
                        chunk: line,
                        first: !in_oversized,
                        last: true,
                    }
                } else {
                    Piece::Record(line)
                };
                f(line_no, piece)?;
            } else if in_oversized {
                f(
                    line_no,
                    Piece::Oversized {
                        chunk: &[],
                        first: false,
                        last: true,
                    },
                )?;
            }
            return Ok(());
        }
        // No newline in what is left: if it is already too long, stream it out.
        if end - start > max_record {
            let first = !in_oversized;
            in_oversized = true;
            f(
                line_no,
                Piece::Oversized {
                    chunk: &buf[start..end],
                    first,
                    last: false,
                },
            )?;
            start = end;
        }
        // Move the partial line to the front and read more.
        if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        if idle() {
            f(line_no, Piece::Idle)?;
        }
        match input.read(&mut buf[end..]) {
            Ok(0) => eof = true,
            Ok(n) => end += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum P {
        R(u64, String),
        O(u64, String, bool, bool),
    }

    fn split(input: &[u8], max: usize, chunk_reads: usize) -> Vec<P> {
        // A reader that returns at most `chunk_reads` bytes per read, to exercise refills.
        struct Slow<'a>(&'a [u8], usize);
        impl Read for Slow<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut got = Vec::new();
        for_each::<_, io::Error>(
            Slow(input, chunk_reads),
            max,
            || false,
            |n, p| {
                got.push(match p {
                    Piece::Record(r) => P::R(n, String::from_utf8_lossy(r).into()),
                    Piece::Oversized { chunk, first, last } => {
                        P::O(n, String::from_utf8_lossy(chunk).into(), first, last)
                    }
                    Piece::Idle => panic!("never idle"),
                });
                Ok(())
            },
        )
        .unwrap();
        got
    }

    #[test]
    fn splits_lines_and_keeps_a_final_unterminated_one() {
        for reads in [1, 3, 1000] {
            assert_eq!(
                split(b"a\n\nbc\r\nd", 10, reads),
                vec![
                    P::R(1, "a".into()),
                    P::R(2, String::new()),
                    P::R(3, "bc\r".into()),
                    P::R(4, "d".into()),
                ]
            );
        }
    }

    #[test]
    fn idle_comes_only_when_every_complete_line_was_handed_over() {
        let mut got = Vec::new();
        for_each::<_, io::Error>(
            io::Cursor::new(b"a\nbc\nd".to_vec()).chain(io::empty()),
            10,
            || true,
            |n, p| {
                got.push(match p {
                    Piece::Record(r) => format!("{n}:{}", String::from_utf8_lossy(r)),
                    Piece::Idle => "idle".into(),
                    Piece::Oversized { .. } => panic!("{p:?}"),
                });
                Ok(())
            },
        )
        .unwrap();
        // One read takes everything; the next finds the end. Before each read: idle.
        assert_eq!(got, ["idle", "1:a", "2:bc", "idle", "3:d"]);
    }

    #[test]
    fn oversized_lines_are_streamed_in_chunks() {
        let max = 4;
        let input = format!("ok\n{}\nok2\n", "x".repeat(600_000));
        let got = split(input.as_bytes(), max, 100_000);
        assert_eq!(got.first(), Some(&P::R(1, "ok".into())));
        assert_eq!(got.last(), Some(&P::R(3, "ok2".into())));
        let mut total = 0;
        let middle = &got[1..got.len() - 1];
        for (i, p) in middle.iter().enumerate() {
            let P::O(n, chunk, first, last) = p else {
                panic!("{p:?}")
            };
            assert_eq!(*n, 2);
            assert_eq!(*first, i == 0);
            assert_eq!(*last, i == middle.len() - 1);
            total += chunk.len();
        }
        assert_eq!(total, 600_000);
    }

    #[test]
    fn oversized_final_line_without_newline() {
        let got = split(b"abcdefgh", 3, 2);
        let text: String = got
            .iter()
            .map(|p| match p {
                P::O(_, c, ..) => c.clone(),
                P::R(..) => panic!("{p:?}"),
            })
            .collect();
        assert_eq!(text, "abcdefgh");
        assert!(matches!(got.last(), Some(P::O(1, _, _, true))));
    }
}
