//! `zpa-enricher enrich`: newline-delimited records in, one enriched line out per record, in
//! order; invalid records passed through, rejected to a side file, or fatal; a per-code
//! summary on stderr at the end.

mod lines;
mod summary;

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use zpa_enricher::enrich::{Enricher, Outcome};
use zpa_enricher::event::InvalidRecord;

use lines::Piece;
use summary::Summary;

/// What to do with a record the core cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OnInvalid {
    /// Write it to the output unchanged and report it on stderr.
    Pass,
    /// Leave it out of the output and append it to the `--rejects` file.
    Reject,
    /// Stop at the first one with exit status 65.
    Fail,
}

/// Format of the end-of-run summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StatsFormat {
    /// A table for humans.
    Text,
    /// One JSON object.
    Json,
    /// No summary.
    None,
}

/// Arguments of the `enrich` command.
#[derive(Debug, Clone)]
pub(crate) struct EnrichJob {
    /// Input file; `None` or `-` reads stdin.
    pub input: Option<PathBuf>,
    /// Output file; `None` or `-` writes stdout.
    pub output: Option<PathBuf>,
    /// Policy for invalid records.
    pub on_invalid: OnInvalid,
    /// Side file for rejected records.
    pub rejects: Option<PathBuf>,
    /// Summary format.
    pub stats: StatsFormat,
}

/// Why the job stopped early.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EnrichError {
    /// Opening a file failed.
    #[error("cannot open {what} {}", path.display())]
    Open {
        /// "input", "output" or "rejects file".
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Two of input, output and rejects file are one file: writing would destroy what is read
    /// (or mix the two outputs).
    #[error(
        "{second} is the same file as the {first}: writing it would destroy the {first}; choose another file"
    )]
    SameFile {
        /// "input" or "output".
        first: &'static str,
        /// "the output x.json", "standard output" or "the rejects file x".
        second: String,
    },
    /// Reading or writing failed; the message names the file.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// An invalid record under `--on-invalid fail`.
    #[error("line {line}: invalid record: {error}")]
    Invalid {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        error: InvalidRecord,
    },
}

/// Output is collected here and written in large blocks.
const FLUSH_AT: usize = 256 * 1024;

/// Pipe buffer size asked for on stdin/stdout (Linux allows up to 1 MiB without privileges).
const PIPE_BUFFER: usize = 1 << 20;

/// The UTF-8 byte order mark some Windows tools put before the first line.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// When `fd` is a pipe, enlarges its buffer: with the default 64 KiB, a fast producer and
/// consumer spend more time switching than copying. Anything else (a file, a terminal, a
/// refusal) is left as it is.
fn widen_pipe(fd: impl std::os::fd::AsFd) {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::pipe::fcntl_setpipe_size(fd, PIPE_BUFFER) {
        tracing::debug!(error = %e, "pipe buffer left at its default size");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = fd;
}

fn is_stdio(p: Option<&Path>) -> bool {
    p.is_none_or(|p| p.as_os_str() == "-")
}

/// Device and inode of a regular file, to tell when two names are one file. `None` for anything
/// else (a pipe, a terminal, a missing file), which cannot be clobbered by being written.
fn identity(meta: Option<&std::fs::Metadata>) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    meta.filter(|m| m.is_file()).map(|m| (m.dev(), m.ino()))
}

/// What a standard stream is connected to.
fn stdio_metadata(fd: impl std::os::fd::AsFd) -> Option<std::fs::Metadata> {
    File::from(fd.as_fd().try_clone_to_owned().ok()?)
        .metadata()
        .ok()
}

/// Device and inode of a pipe or socket: two writers on one would mix their lines (the rejects
/// into the output, `--rejects /dev/stdout`). `None` for anything else.
fn pipe_identity(meta: Option<&std::fs::Metadata>) -> Option<(u64, u64)> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    meta.filter(|m| m.file_type().is_fifo() || m.file_type().is_socket())
        .map(|m| (m.dev(), m.ino()))
}

/// A reader or writer whose errors name it ("reading input x.json: ...").
struct Named<T> {
    inner: T,
    context: String,
}

impl<T> Named<T> {
    fn new(inner: T, context: String) -> Self {
        Self { inner, context }
    }

    fn wrap(&self, e: io::Error) -> io::Error {
        if e.kind() == io::ErrorKind::Interrupted {
            return e;
        }
        io::Error::new(e.kind(), format!("{}: {e}", self.context))
    }
}

impl<R: Read> Read for Named<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| self.wrap(e))
    }
}

impl<W: Write> Write for Named<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).map_err(|e| self.wrap(e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf).map_err(|e| self.wrap(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().map_err(|e| self.wrap(e))
    }
}

/// The opened input, output and rejects file.
struct Files {
    input: Named<Box<dyn Read>>,
    /// Set when the input is a stream that can run dry (stdin): flush while it is idle.
    input_fd: Option<std::os::fd::BorrowedFd<'static>>,
    output: Named<Box<dyn Write>>,
    rejects: Option<Named<io::BufWriter<File>>>,
}

impl Files {
    /// Opens the three, refusing any two that are one file.
    fn open(job: &EnrichJob) -> Result<Self, EnrichError> {
        let (input, input_fd, input_id): (Named<Box<dyn Read>>, _, _) =
            if is_stdio(job.input.as_deref()) {
                let stdin = io::stdin();
                widen_pipe(&stdin);
                let id = identity(stdio_metadata(&stdin).as_ref());
                let fd = rustix::stdio::stdin();
                (
                    Named::new(Box::new(stdin.lock()), "reading standard input".into()),
                    Some(fd),
                    id,
                )
            } else {
                let path = job.input.clone().unwrap_or_default();
                let open = |source| EnrichError::Open {
                    what: "input",
                    path: path.clone(),
                    source,
                };
                let file = File::open(&path).map_err(open)?;
                let meta = file.metadata();
                if meta.as_ref().is_ok_and(std::fs::Metadata::is_dir) {
                    return Err(open(io::ErrorKind::IsADirectory.into()));
                }
                let id = identity(meta.ok().as_ref());
                (
                    Named::new(Box::new(file), format!("reading input {}", path.display())),
                    None,
                    id,
                )
            };
        let same = |a: Option<(u64, u64)>, b: Option<(u64, u64)>| a.is_some() && a == b;
        let mut output_pipe = None;
        let (output, output_id): (Named<Box<dyn Write>>, _) = if is_stdio(job.output.as_deref()) {
            let stdout = io::stdout();
            let meta = stdio_metadata(&stdout);
            let id = identity(meta.as_ref());
            output_pipe = pipe_identity(meta.as_ref());
            if same(input_id, id) {
                return Err(EnrichError::SameFile {
                    first: "input",
                    second: "standard output".into(),
                });
            }
            widen_pipe(&stdout);
            (
                Named::new(Box::new(stdout.lock()), "writing standard output".into()),
                id,
            )
        } else {
            let path = job.output.clone().unwrap_or_default();
            if same(input_id, identity(std::fs::metadata(&path).ok().as_ref())) {
                return Err(EnrichError::SameFile {
                    first: "input",
                    second: format!("the output {}", path.display()),
                });
            }
            let file = File::create(&path).map_err(|source| EnrichError::Open {
                what: "output",
                path: path.clone(),
                source,
            })?;
            let id = identity(file.metadata().ok().as_ref());
            (
                Named::new(Box::new(file), format!("writing output {}", path.display())),
                id,
            )
        };
        let rejects = match (&job.rejects, job.on_invalid) {
            (Some(path), OnInvalid::Reject) => {
                let meta = std::fs::metadata(path).ok();
                let (id, pipe) = (identity(meta.as_ref()), pipe_identity(meta.as_ref()));
                for (first, other, theirs) in [
                    ("input", input_id, id),
                    ("output", output_id, id),
                    ("output", output_pipe, pipe),
                ] {
                    if same(theirs, other) {
                        return Err(EnrichError::SameFile {
                            first,
                            second: format!("the rejects file {}", path.display()),
                        });
                    }
                }
                // Appended to: rejects of earlier runs are kept until they are replayed.
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| EnrichError::Open {
                        what: "rejects file",
                        path: path.clone(),
                        source,
                    })?;
                Some(Named::new(
                    io::BufWriter::new(file),
                    format!("writing rejects file {}", path.display()),
                ))
            }
            _ => None,
        };
        Ok(Self {
            input,
            input_fd,
            output,
            rejects,
        })
    }
}

/// Runs the job with `enricher`.
///
/// # Errors
/// Files cannot be opened or are one file, I/O fails, or an invalid record is met under
/// `--on-invalid fail` (everything before it has been written).
pub(crate) fn run(enricher: &Enricher, job: &EnrichJob) -> Result<(), EnrichError> {
    let started = Instant::now();
    let Files {
        input,
        input_fd,
        mut output,
        mut rejects,
    } = Files::open(job)?;

    let catalog = enricher.catalog();
    let mut summary = Summary::new(catalog, enricher.options().unknown_severity);
    let mut out = Vec::with_capacity(FLUSH_AT + 64 * 1024);
    let max_record = enricher.options().max_record_bytes;

    let result = lines::for_each(
        input,
        max_record,
        || input_fd.is_some_and(lines::would_block),
        |line, piece| -> Result<(), EnrichError> {
            match piece {
                Piece::Record(mut record) => {
                    if line == 1 {
                        record = record.strip_prefix(BOM).unwrap_or(record);
                    }
                    let outcome = enricher.enrich(record, &mut out);
                    summary.record(&outcome);
                    if let Outcome::Invalid(error) = outcome {
                        report(job.on_invalid, line, &error)?;
                        match rejects.as_mut() {
                            Some(r) => {
                                r.write_all(record)?;
                                r.write_all(b"\n")?;
                            }
                            None => {
                                out.extend_from_slice(record);
                                out.push(b'\n');
                            }
                        }
                    } else {
                        out.push(b'\n');
                    }
                }
                Piece::Oversized { chunk, first, last } => {
                    if first {
                        summary.record_too_large();
                        report(job.on_invalid, line, &InvalidRecord::too_large(max_record))?;
                    }
                    // Stream the long line through (pass) or into the rejects file (reject).
                    match (job.on_invalid, rejects.as_mut()) {
                        (OnInvalid::Pass, _) => {
                            out.extend_from_slice(chunk);
                            if last {
                                out.push(b'\n');
                            }
                        }
                        (OnInvalid::Reject, Some(r)) => {
                            r.write_all(chunk)?;
                            if last {
                                r.write_all(b"\n")?;
                            }
                        }
                        _ => {}
                    }
                }
                // The input has run dry for now: let what is enriched reach the reader.
                Piece::Idle => flush(&mut output, &mut out, rejects.as_mut())?,
            }
            if out.len() >= FLUSH_AT {
                output.write_all(&out)?;
                out.clear();
            }
            Ok(())
        },
    );
    // Write what was enriched before any failure, so `fail` leaves a clean prefix behind.
    flush(&mut output, &mut out, rejects.as_mut())?;
    let elapsed = started.elapsed();
    let stderr = io::stderr().lock();
    match job.stats {
        StatsFormat::Text => summary.write_text(catalog, elapsed, stderr)?,
        StatsFormat::Json => summary.write_json(catalog, elapsed, stderr)?,
        StatsFormat::None => {}
    }
    result
}

/// Writes the collected output and flushes it and the rejects file.
fn flush(
    output: &mut impl Write,
    out: &mut Vec<u8>,
    rejects: Option<&mut impl Write>,
) -> io::Result<()> {
    output.write_all(out)?;
    out.clear();
    output.flush()?;
    if let Some(r) = rejects {
        r.flush()?;
    }
    Ok(())
}

/// Reports an invalid record according to the policy: a warning for `Pass` and `Reject`, an
/// error (which stops the job) for `Fail`.
fn report(policy: OnInvalid, line: u64, error: &InvalidRecord) -> Result<(), EnrichError> {
    match policy {
        OnInvalid::Pass => {
            tracing::warn!(line, reason = %error.reason, offset = error.offset, "line {line}: invalid record passed through unchanged: {error}");
        }
        OnInvalid::Reject => {
            tracing::warn!(line, reason = %error.reason, offset = error.offset, "line {line}: invalid record rejected: {error}");
        }
        OnInvalid::Fail => {
            return Err(EnrichError::Invalid {
                line,
                error: error.clone(),
            });
        }
    }
    Ok(())
}
