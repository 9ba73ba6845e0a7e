//! CSV and TSV lines of the vendor's default templates: the `<Type> zpa-lss:` prefix names the
//! log type (after the `LogTimestamp` ctime; Audit lines start with it), the byte after it
//! (a comma or a tab) the format, and the log type's templates do the rest.
//!
//! User Activity lines are also tried with the older, shorter templates (`vendor/mod.rs`):
//! lines that stop after `Idp` or after `ClientToClient`, and lines with `Hostname` and
//! `Platform` after `Host`. User Status lines are also tried with the `zpn_auth_log_1id`
//! templates. A line is read with the template that fits it at the least cost; the usual
//! template wins ties, and is the only one tried when it fits a line without any surplus
//! separator to place.

use std::sync::LazyLock;

use super::error::Quote;
use super::matcher;
use super::pattern::Pattern;
use super::record;
use super::template::Template;
use super::vendor::{self, Kind};
use super::{Line, LineError, LineFormat, SeenFormat};
use crate::event::LogType;

/// How far into a line the prefix is looked for: past a syslog header and the ctime.
const PREFIX_WITHIN: usize = 512;

/// The default templates, ready for reading, built once.
pub(super) struct Defaults {
    /// Per log type (`LogType as usize`), the CSV patterns to try, the usual one first.
    csv: Vec<Vec<Pattern>>,
    /// The same for TSV.
    tsv: Vec<Vec<Pattern>>,
    /// The prefix names (`User Activity`, `Audit`, ...) with their log types, longest first.
    names: Vec<(&'static str, LogType)>,
}

/// The default templates, parsed once for every reader.
pub(super) static DEFAULTS: LazyLock<Defaults> = LazyLock::new(Defaults::build);

impl Defaults {
    fn build() -> Self {
        let patterns = |kind: Kind, label: &str| -> Vec<Vec<Pattern>> {
            LogType::ALL
                .iter()
                .map(|&t| {
                    vendor::variants(t, kind)
                        .into_iter()
                        .filter_map(|v| {
                            let template =
                                Template::parse(v.text).expect("the vendor's templates parse");
                            let name = match v.ends_after {
                                Some(last) => format!("{} {label} (ending after {last})", v.source),
                                None => format!("{} {label}", v.source),
                            };
                            Pattern::new(&template, &name, v.ends_after)
                        })
                        .collect()
                })
                .collect()
        };
        let mut names: Vec<(&'static str, LogType)> = vendor::SOURCES
            .iter()
            .filter_map(|(source, t)| {
                let text = vendor::text(source, Kind::Csv)?;
                Some((vendor::prefix_name(text)?, *t))
            })
            .collect();
        names.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        names.dedup();
        Self {
            csv: patterns(Kind::Csv, "CSV"),
            tsv: patterns(Kind::Tsv, "TSV"),
            names,
        }
    }

    /// The prefix name of a log type, for messages.
    fn name_of(&self, t: LogType) -> &'static str {
        self.names
            .iter()
            .find(|(_, lt)| *lt == t)
            .map_or("?", |(n, _)| n)
    }
}

/// Where the `zpa-lss:` (or `zms-lss:`) marker starts (at its leading space).
fn marker(b: &[u8]) -> Option<usize> {
    use memchr::memmem::Finder;
    static ZPA: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" zpa-lss:"));
    static ZMS: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" zms-lss:"));
    let head = &b[..b.len().min(PREFIX_WITHIN)];
    ZPA.find(head).or_else(|| ZMS.find(head))
}

/// True when `b` has an LSS CSV/TSV prefix near its start.
pub(super) fn has_prefix(b: &[u8]) -> bool {
    marker(b).is_some()
}

/// The length of a `<PRI>` header (with one space after it) at the start of `b`.
fn header_len(b: &[u8]) -> usize {
    if b.first() != Some(&b'<') {
        return 0;
    }
    let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=3).contains(&digits) || b.get(1 + digits) != Some(&b'>') {
        return 0;
    }
    let end = 2 + digits;
    end + usize::from(b.get(end) == Some(&b' '))
}

/// Reads a CSV or TSV line of a default template. `format` is `Auto`, `Csv` or `Tsv`.
pub(super) fn read(
    line: &[u8],
    format: LineFormat,
    configured: Option<LogType>,
    out: &mut Vec<u8>,
) -> Result<Line, LineError> {
    let defaults = &*DEFAULTS;
    let offset = header_len(line);
    let b = &line[offset..];
    let expected_prefix = || match configured {
        Some(t) => format!("\"{} zpa-lss:\"", defaults.name_of(t)).into(),
        None => "a \"<Type> zpa-lss:\" prefix".into(),
    };
    let Some(m) = marker(b) else {
        return Err(match format {
            LineFormat::Auto => LineError::UnknownFormat {
                start: Quote::new(line),
            },
            _ => LineError::PrefixMismatch {
                found: Quote::new(line),
                expected: expected_prefix(),
            },
        });
    };
    let before = &b[..m];
    let found = defaults.names.iter().find(|(name, _)| {
        before.ends_with(name.as_bytes())
            && (before.len() == name.len() || before[before.len() - name.len() - 1] == b' ')
    });
    let log_type = match (found, configured) {
        (Some(&(_, t)), Some(c)) if t != c => {
            return Err(LineError::PrefixMismatch {
                found: Quote::new(&b[..m + 9]),
                expected: expected_prefix(),
            });
        }
        (Some(&(_, t)), _) => t,
        (None, Some(_)) => {
            return Err(LineError::PrefixMismatch {
                found: Quote::new(&b[..m + 9]),
                expected: expected_prefix(),
            });
        }
        (None, None) => {
            // The words after the ctime's year, or the whole start of the line.
            let name_start = before
                .iter()
                .rposition(u8::is_ascii_digit)
                .map_or(0, |d| d + 1);
            return Err(LineError::UnknownLogType {
                name: Quote::new(before[name_start..].trim_ascii()),
            });
        }
    };
    let mut sep_at = m + 9;
    if b.get(sep_at) == Some(&b' ') {
        sep_at += 1;
    }
    let (seen, patterns) = match b.get(sep_at) {
        Some(b',') if format != LineFormat::Tsv => (SeenFormat::Csv, &defaults.csv),
        Some(b'\t') if format != LineFormat::Csv => (SeenFormat::Tsv, &defaults.tsv),
        other => {
            let expected = match format {
                LineFormat::Csv => "a comma after the prefix (the format is csv)",
                LineFormat::Tsv => "a tab after the prefix (the format is tsv)",
                _ => "a comma or a tab after the prefix",
            };
            return Err(LineError::PrefixMismatch {
                found: Quote::new(&b[..(sep_at + usize::from(other.is_some())).min(b.len())]),
                expected: expected.into(),
            });
        }
    };
    let candidates = &patterns[log_type as usize];
    let mut first_failure = None;
    let mut best: Option<(usize, matcher::Split)> = None;
    for (k, p) in candidates.iter().enumerate() {
        // Once a template fits, another only matters if it fits at a lower cost.
        let found = match &best {
            Some((_, s)) => matcher::find_cheaper(p, b, s.cost).ok_or(None),
            None => matcher::find(p, b).map_err(Some),
        };
        match found {
            Ok(split) => {
                let cost = split.cost;
                if best.as_ref().is_none_or(|(_, s)| cost < s.cost) {
                    best = Some((k, split));
                }
                if cost == 0 {
                    break;
                }
            }
            Err(Some(f)) if first_failure.is_none() => first_failure = Some(f),
            Err(_) => {}
        }
    }
    let Some((k, split)) = best else {
        let f = first_failure.expect("every pattern was tried");
        return Err(record::error(&candidates[0], b, &f, offset));
    };
    let p = &candidates[k];
    let written = record::write(p, b, &split, out).map_err(|f| record::error(p, b, &f, offset))?;
    Ok(Line {
        format: seen,
        log_type,
        key: written.key,
        notes: written.notes,
    })
}
