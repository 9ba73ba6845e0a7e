//! Standard streams the process was started without, and write errors that say what was being
//! written.
//!
//! Before `main`, the Rust runtime reopens a standard stream that was closed (`>&-`, `<&-`) on
//! `/dev/null`, so a command would read nothing or write into nothing and still report success.
//! Such a stream is told apart from a redirection to `/dev/null` by its access mode: the runtime
//! opens it for reading and writing, `< /dev/null` opens it for reading only and `> /dev/null`
//! for writing only. (`1<>/dev/null`, which opens it for both, looks the same and is refused
//! too.)

use std::io;
use std::os::fd::AsFd;

/// Whether `fd` is a standard stream that was closed when the process started (see the module
/// documentation). Always false where that cannot be told.
#[must_use]
pub(super) fn closed_at_start(fd: impl AsFd) -> bool {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{FileType, OFlags};
        let read_write =
            rustix::fs::fcntl_getfl(&fd).is_ok_and(|flags| flags & OFlags::RWMODE == OFlags::RDWR);
        read_write
            && rustix::fs::fstat(&fd).is_ok_and(|st| {
                FileType::from_raw_mode(st.st_mode) == FileType::CharacterDevice
                    && rustix::fs::stat("/dev/null").is_ok_and(|null| null.st_rdev == st.st_rdev)
            })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = fd;
        false
    }
}

/// The error for a standard stream that was closed at start: `name` is "standard input" or
/// "standard output", `fix` says what to give instead.
#[must_use]
pub(super) fn closed(name: &str, fix: &str) -> io::Error {
    io::Error::other(format!(
        "{name} was closed when zpa-enricher started, so there is nothing to {}; {fix}",
        if name.ends_with("input") {
            "read"
        } else {
            "write to"
        }
    ))
}

/// What to say for a command whose only output is standard output.
pub(super) const REDIRECT: &str = "redirect it to a file, or to /dev/null to discard the output";

/// The process's standard output, or an error saying it was closed at start, with `fix`: output
/// written to it would be lost without a word.
///
/// # Errors
/// Standard output was closed at start.
pub(super) fn stdout(fix: &str) -> io::Result<io::Stdout> {
    let out = io::stdout();
    if closed_at_start(&out) {
        return Err(closed("standard output", fix));
    }
    Ok(out)
}

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
