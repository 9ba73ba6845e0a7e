//! Reading and validating catalog files (TOML, or JSON of the same shape).
//!
//! Validation collects every problem in a file before failing, and each problem names the entry
//! (by code, or by position when the code itself is missing) and the line, in TOML and JSON
//! alike.

use std::fmt;
use std::path::{Path, PathBuf};

mod from_json;
mod from_toml;
mod validate;

use super::{Catalog, CatalogEntry};

pub(crate) use from_json::parse_json;
pub(crate) use from_toml::parse_toml;

/// A parsed and validated catalog file, before it is turned into a [`Catalog`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CatalogFile {
    /// The file's `catalog_version`.
    pub(crate) version: String,
    /// Its entries, in file order.
    pub(crate) entries: Vec<CatalogEntry>,
}

/// One problem found in a catalog file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, when known.
    pub(crate) line: Option<usize>,
    /// The entry's code, or `entry N` when the code is missing.
    pub(crate) entry: Option<String>,
    /// What is wrong.
    pub(crate) message: String,
}

impl Problem {
    pub(crate) fn entry(line: Option<usize>, entry: &str, message: String) -> Self {
        Self {
            line,
            entry: Some(entry.to_owned()),
            message,
        }
    }

    fn file(line: Option<usize>, message: String) -> Self {
        Self {
            line,
            entry: None,
            message,
        }
    }
}

/// Why a catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file could not be read.
    #[error("cannot read catalog file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file extension names no supported format.
    #[error("catalog file {} must end in .toml or .json", path.display())]
    Format {
        /// The file.
        path: PathBuf,
    },
    /// The file is not valid TOML/JSON.
    #[error("{origin}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Syntax {
        /// The file (or "built-in catalog").
        origin: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// The file parsed but has invalid content.
    #[error("{origin}: {} problem(s):{}", problems.len(), ProblemList(problems))]
    Invalid {
        /// The file (or "built-in catalog").
        origin: String,
        /// Every problem found.
        problems: Vec<Problem>,
    },
    /// More entries than fit an index (over four billion).
    #[error("the catalog has too many entries")]
    TooManyEntries,
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.0 {
            f.write_str("\n  ")?;
            if let Some(line) = p.line {
                write!(f, "line {line}: ")?;
            }
            if let Some(entry) = &p.entry {
                write!(f, "entry {entry}: ")?;
            }
            f.write_str(&p.message)?;
        }
        Ok(())
    }
}

/// Where a catalog file is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// TOML (`[[entry]]` tables).
    Toml,
    /// JSON (`{"catalog_version": ..., "entry": [...]}`).
    Json,
}

impl Format {
    /// The format a path's extension names.
    #[must_use]
    pub(crate) fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "toml" => Some(Format::Toml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Reads and validates a catalog file.
///
/// # Errors
/// The file cannot be read, has an unknown extension, does not parse, or fails validation.
pub(crate) fn from_path(path: &Path) -> Result<CatalogFile, CatalogError> {
    let format = Format::from_path(path).ok_or_else(|| CatalogError::Format {
        path: path.to_owned(),
    })?;
    let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
        path: path.to_owned(),
        source,
    })?;
    let origin = path.display().to_string();
    match format {
        Format::Toml => parse_toml(&text, &origin),
        Format::Json => parse_json(&text, &origin),
    }
}

/// Loads the catalog the settings ask for: the built-in one, optionally extended or replaced by
/// a user file.
///
/// # Errors
/// The user file cannot be loaded or the merged catalog is invalid.
pub fn load(user_file: Option<&Path>, replace: bool) -> Result<Catalog, CatalogError> {
    let Some(path) = user_file else {
        return Ok(Catalog::builtin());
    };
    let file = from_path(path)?;
    if replace && file.entries.is_empty() {
        // Every code would be unknown: surely not what was meant.
        return Err(CatalogError::Invalid {
            origin: path.display().to_string(),
            problems: vec![Problem {
                line: None,
                entry: None,
                message: "no entries, and catalog.mode = \"replace\" would leave no code known; add entries or use mode \"extend\"".into(),
            }],
        });
    }
    if replace {
        Catalog::new(file.version, file.entries)
    } else {
        Catalog::builtin().extend(file)
    }
    .map_err(|e| relabel(e, &path.display().to_string()))
}

/// Loads one catalog file on its own, neither extending nor replacing the built-in catalog: to
/// compare two files (`catalog diff`) or to read a file before adding entries to it.
///
/// # Errors
/// The file cannot be read or parsed, or fails validation.
pub fn file(path: &Path) -> Result<Catalog, CatalogError> {
    let file = from_path(path)?;
    Catalog::new(file.version, file.entries).map_err(|e| relabel(e, &path.display().to_string()))
}

fn relabel(e: CatalogError, origin: &str) -> CatalogError {
    match e {
        CatalogError::Invalid { problems, .. } => CatalogError::Invalid {
            origin: origin.to_owned(),
            problems,
        },
        other => other,
    }
}

/// A field value before validation, with its line when known.
struct RawField {
    name: String,
    value: RawValue,
    line: Option<usize>,
}

/// A value before validation: what the catalog's fields can hold, and the type of anything else.
enum RawValue {
    Str(String),
    Bool(bool),
    /// An array, each item with its line when known.
    Array(Vec<(RawValue, Option<usize>)>),
    /// A table (TOML) or object (JSON), with the word its format uses for it.
    Table {
        fields: Vec<RawField>,
        noun: &'static str,
    },
    Other(&'static str),
}

impl RawValue {
    /// The value's type, for messages.
    fn type_name(&self) -> &'static str {
        match self {
            RawValue::Str(_) => "string",
            RawValue::Bool(_) => "boolean",
            RawValue::Array(_) => "array",
            RawValue::Table { noun, .. } => noun,
            RawValue::Other(t) => t,
        }
    }
}

struct RawEntry {
    line: Option<usize>,
    fields: Vec<RawField>,
}

/// The problem of a key given a second time.
pub(super) fn duplicate_key(key: &str, first: Option<usize>) -> String {
    format!(
        "{key:?} is given twice{}; give each key once",
        first
            .map(|l| format!(" (first at line {l})"))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests;
