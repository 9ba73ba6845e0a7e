//! `zpa-enricher enrich`: newline-delimited records in, one enriched line out per record, in
//! order; invalid records passed through, rejected to a side file, or fatal; a per-code
//! summary on stderr at the end.

mod lines;
mod summary;

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::enrich::{Enricher, Outcome};
use crate::event::InvalidRecord;

use lines::Piece;
use summary::Summary;

/// What to do with a record the core cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnInvalid {
    /// Write it to the output unchanged and report it on stderr.
    Pass,
    /// Leave it out of the output and append it to the `--rejects` file.
    Reject,
    /// Stop at the first one with exit status 65.
    Fail,
}

/// Format of the end-of-run summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    /// A table for humans.
    Text,
    /// One JSON object.
    Json,
    /// No summary.
    None,
}

/// Arguments of the `enrich` command.
#[derive(Debug, Clone)]
pub struct EnrichJob {
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
pub enum EnrichError {
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
    /// Reading or writing failed.
    #[error("I/O error")]
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

/// Runs the job with `enricher`.
///
/// # Errors
/// Files cannot be opened, I/O fails, or an invalid record is met under `--on-invalid fail`
/// (everything before it has been written).
pub fn run(enricher: &Enricher, job: &EnrichJob) -> Result<(), EnrichError> {
    let started = Instant::now();
    let input: Box<dyn Read> = if is_stdio(job.input.as_deref()) {
        widen_pipe(io::stdin());
        Box::new(io::stdin().lock())
    } else {
        let path = job.input.clone().unwrap_or_default();
        Box::new(File::open(&path).map_err(|source| EnrichError::Open {
            what: "input",
            path,
            source,
        })?)
    };
    let mut output: Box<dyn Write> = if is_stdio(job.output.as_deref()) {
        widen_pipe(io::stdout());
        Box::new(io::stdout().lock())
    } else {
        let path = job.output.clone().unwrap_or_default();
        Box::new(File::create(&path).map_err(|source| EnrichError::Open {
            what: "output",
            path,
            source,
        })?)
    };
    let mut rejects: Option<Box<dyn Write>> = match (&job.rejects, job.on_invalid) {
        (Some(path), OnInvalid::Reject) => Some(Box::new(io::BufWriter::new(
            File::create(path).map_err(|source| EnrichError::Open {
                what: "rejects file",
                path: path.clone(),
                source,
            })?,
        ))),
        _ => None,
    };

    let catalog = enricher.catalog();
    let mut summary = Summary::new(catalog, enricher.options().unknown_severity);
    let mut out = Vec::with_capacity(FLUSH_AT + 64 * 1024);
    let max_record = enricher.options().max_record_bytes;

    let result = lines::for_each(
        input,
        max_record,
        |line, piece| -> Result<(), EnrichError> {
            match piece {
                Piece::Record(record) => {
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
            }
            if out.len() >= FLUSH_AT {
                output.write_all(&out)?;
                out.clear();
            }
            Ok(())
        },
    );
    // Write what was enriched before any failure, so `fail` leaves a clean prefix behind.
    output.write_all(&out)?;
    output.flush()?;
    if let Some(r) = rejects.as_mut() {
        r.flush()?;
    }
    let elapsed = started.elapsed();
    let stderr = io::stderr().lock();
    match job.stats {
        StatsFormat::Text => summary.write_text(catalog, elapsed, stderr)?,
        StatsFormat::Json => summary.write_json(catalog, elapsed, stderr)?,
        StatsFormat::None => {}
    }
    result
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
