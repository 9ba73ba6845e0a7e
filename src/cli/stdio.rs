//! Write errors that say what was being written.
//!
//! A standard stream closed at start (`>&-`) cannot be told from `/dev/null`: the Rust runtime
//! reopens it on `/dev/null` before `main`, and supervisors (Python's `subprocess.DEVNULL`,
//! among others) open `/dev/null` for reading and writing, as the runtime does. So both are
//! taken as what they look like, a place to discard output.

use std::io;

/// Adds what was being written to an I/O error ("writing standard output: No space left on
/// device"); a closed pipe stays as it is, so that the command ends quietly (`| head`).
pub(super) fn writing(what: &str) -> impl Fn(io::Error) -> io::Error + '_ {
    move |e| {
        if e.kind() == io::ErrorKind::BrokenPipe {
            e
        } else {
            io::Error::new(e.kind(), format!("writing {what}: {e}"))
        }
    }
}
