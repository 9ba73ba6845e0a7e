//! `zpa-enricher generate`: realistic synthetic LSS records, one per line, to a file or stdout.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::catalog::Catalog;
use crate::event::LogType;
use crate::generate::{Generator, GeneratorOptions};

/// Arguments of the `generate` command.
#[derive(Debug, Clone)]
pub struct GenerateJob {
    /// Number of records; 0 means without end.
    pub count: u64,
    /// Records per second; 0 means as fast as possible.
    pub rate: u64,
    /// Generator options (seed, log-type mix, unknown and invalid ratios).
    pub options: GeneratorOptions,
    /// Output file; `None` or `-` writes stdout.
    pub output: Option<PathBuf>,
}

/// Parses `TYPE` or `TYPE=WEIGHT` (weight 1 by default).
///
/// # Errors
/// An unknown log type or a weight that is not a positive integer.
pub fn parse_log_type_weight(s: &str) -> Result<(LogType, u32), String> {
    let (name, weight) = match s.split_once('=') {
        Some((n, w)) => (
            n,
            w.trim()
                .parse::<u32>()
                .ok()
                .filter(|w| *w > 0)
                .ok_or_else(|| format!("weight {w:?} is not a positive integer"))?,
        ),
        None => (s, 1),
    };
    let t = LogType::from_name(name)
        .filter(|t| *t != LogType::Unknown)
        .ok_or_else(|| {
            let names: Vec<&str> = LogType::ALL
                .iter()
                .filter(|t| **t != LogType::Unknown)
                .map(|t| t.as_str())
                .collect();
            format!(
                "unknown log type {name:?}; expected one of: {}",
                names.join(", ")
            )
        })?;
    Ok((t, weight))
}

/// Writes the records.
///
/// # Errors
/// The output cannot be created or written.
pub fn run(catalog: &Catalog, job: &GenerateJob) -> io::Result<()> {
    let out: Box<dyn Write> = match &job.output {
        Some(p) if p.as_os_str() != "-" => Box::new(File::create(p).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create {}: {e}", p.display()))
        })?),
        _ => Box::new(io::stdout().lock()),
    };
    let mut out = io::BufWriter::with_capacity(256 * 1024, out);
    let mut generator = Generator::new(catalog, job.options.clone());
    let mut buf = Vec::with_capacity(4096);
    let started = Instant::now();
    let mut written: u64 = 0;
    while job.count == 0 || written < job.count {
        buf.clear();
        generator.next_record(&mut buf);
        buf.push(b'\n');
        out.write_all(&buf)?;
        written += 1;
        if job.rate > 0 {
            // Pace against the start time, so the average rate holds even if a write stalls.
            let due = Duration::from_secs_f64(written as f64 / job.rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed())
                && wait > Duration::from_millis(1)
            {
                out.flush()?;
                std::thread::sleep(wait);
            }
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_type_weights_parse() {
        assert_eq!(
            parse_log_type_weight("user_activity"),
            Ok((LogType::UserActivity, 1))
        );
        assert_eq!(
            parse_log_type_weight("zpn_auth_log=5"),
            Ok((LogType::UserStatus, 5))
        );
        assert!(parse_log_type_weight("user_activity=0").is_err());
        assert!(
            parse_log_type_weight("unknown")
                .unwrap_err()
                .contains("user_activity")
        );
    }
}
