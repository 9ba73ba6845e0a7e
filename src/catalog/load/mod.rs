//! Reading and validating catalog files (TOML, or JSON of the same shape).
//!
//! Validation collects every problem in a file before failing, and each problem names the entry
//! (by code, or by position when the code itself is missing) and, for TOML, the line.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

mod validate;

use super::{Catalog, CatalogEntry};
use validate::validate;

use crate::json_members::{Members, RawJson};
use crate::line_index::LineIndex;

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

enum RawValue {
    Str(String),
    Other(&'static str),
}

struct RawEntry {
    line: Option<usize>,
    fields: Vec<RawField>,
}

/// Parses catalog TOML.
///
/// # Errors
/// Syntax errors (with line) or every validation problem found.
pub(crate) fn parse_toml(text: &str, origin: &str) -> Result<CatalogFile, CatalogError> {
    #[derive(Deserialize)]
    struct File {
        catalog_version: Option<Spanned<toml::Value>>,
        #[serde(default)]
        entry: Vec<Spanned<toml::Table>>,
        #[serde(flatten)]
        rest: toml::Table,
    }
    let lines = LineIndex::new(text);
    let line_of = |offset: usize| Some(lines.line_of(offset));
    let file: File = toml::from_str(text).map_err(|e| CatalogError::Syntax {
        origin: origin.to_owned(),
        line: e.span().and_then(|s| line_of(s.start)),
        message: toml_syntax_message(text, &lines, &e),
    })?;
    let mut problems = Vec::new();
    for key in file.rest.keys() {
        problems.push(Problem::file(
            top_level_key_line(text, key),
            format!(
                "unknown top-level key {key:?} (expected catalog_version and [[entry]] tables)"
            ),
        ));
    }
    let version = file.catalog_version.map(|v| {
        let line = line_of(v.span().start);
        (toml_raw(v.into_inner()), line)
    });
    let entries = file
        .entry
        .into_iter()
        .map(|t| {
            let line = line_of(t.span().start);
            let table = t.into_inner();
            // Field lines: toml::Table has no spans; find `key =` after the entry header.
            let mut fields: Vec<RawField> = table
                .into_iter()
                .map(|(name, value)| RawField {
                    line: line.and_then(|l| find_key_line(&lines, l, &name)),
                    name,
                    value: toml_raw(value),
                })
                .collect();
            // The table comes sorted by key; problems are told in the file's order.
            fields.sort_by_key(|f| f.line);
            RawEntry { line, fields }
        })
        .collect();
    validate(origin, version, entries, problems)
}

/// The TOML parser's message, with what it leaves out: the key given twice, the key whose
/// value has the wrong type, or that the text is JSON.
fn toml_syntax_message(text: &str, lines: &LineIndex<'_>, e: &toml::de::Error) -> String {
    let message = e.message();
    let spanned = e
        .span()
        .and_then(|s| text.get(s))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 80);
    if text.trim_start().starts_with('{') {
        format!("{message} (this looks like a JSON catalog: name the file .json)")
    } else if message == "duplicate key"
        && let Some(key) = spanned
    {
        format!("key {key} is given twice in one table; give each key once")
    } else if message.starts_with("invalid type")
        && let Some(start) = e.span().map(|s| s.start)
    {
        // The key is on the value's line: `entry = "x"`.
        match lines
            .line(lines.line_of(start))
            .and_then(|l| l.split_once('='))
        {
            Some((key, _)) => format!("{}: {message}", key.trim()),
            None => message.to_owned(),
        }
    } else {
        message.to_owned()
    }
}

/// The line where the top-level key `name` is given: `name = ...` before the first table
/// header, or a `[name]`, `[name.x]` or `[[name]]` header.
fn top_level_key_line(text: &str, name: &str) -> Option<usize> {
    let mut in_header_part = false;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if let Some(header) = t.strip_prefix('[') {
            in_header_part = true;
            let header = header.trim_start_matches('[').trim_start();
            if header
                .strip_prefix(name)
                .is_some_and(|rest| rest.trim_start().starts_with([']', '.']))
            {
                return Some(i + 1);
            }
        } else if !in_header_part
            && t.strip_prefix(name)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return Some(i + 1);
        }
    }
    None
}

/// The line of `name = ...` at or after `from` (1-based), before the next table header.
fn find_key_line(lines: &LineIndex<'_>, from: usize, name: &str) -> Option<usize> {
    for n in from..=lines.lines() {
        let t = lines.line(n)?.trim_start();
        if n > from && t.starts_with('[') {
            break;
        }
        if let Some(rest) = t.strip_prefix(name)
            && rest.trim_start().starts_with('=')
        {
            return Some(n);
        }
    }
    Some(from)
}

fn toml_raw(v: toml::Value) -> RawValue {
    match v {
        toml::Value::String(s) => RawValue::Str(s),
        toml::Value::Integer(_) => RawValue::Other("integer"),
        toml::Value::Float(_) => RawValue::Other("float"),
        toml::Value::Boolean(_) => RawValue::Other("boolean"),
        toml::Value::Datetime(_) => RawValue::Other("datetime"),
        toml::Value::Array(_) => RawValue::Other("array"),
        toml::Value::Table(_) => RawValue::Other("table"),
    }
}

/// Parses catalog JSON: `{"catalog_version": "...", "entry": [{...}, ...]}`.
///
/// Problems carry lines as in TOML, and a key given twice in one object is reported rather than
/// silently decided by its last occurrence.
///
/// # Errors
/// Syntax errors (with line) or every validation problem found.
pub(crate) fn parse_json(text: &str, origin: &str) -> Result<CatalogFile, CatalogError> {
    // A UTF-8 byte order mark, as some Windows editors write, is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let syntax = |e: serde_json::Error| CatalogError::Syntax {
        origin: origin.to_owned(),
        line: Some(e.line()),
        message: e.to_string(),
    };
    // Syntax first, so that its errors carry the parser's own line and message.
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(syntax)?;
    let lines = LineIndex::new(text);
    let line_of = |raw: &RawJson| Some(lines.line_of_slice(raw.get()));
    if let Ok(items) = serde_json::from_str::<Vec<&RawJson>>(text)
        && !items.is_empty()
    {
        return parse_exported(items, origin, &line_of);
    }
    let Ok(Members(top)) = serde_json::from_str::<Members<'_>>(text) else {
        return Err(CatalogError::Syntax {
            origin: origin.to_owned(),
            line: None,
            message: "expected an object with catalog_version and entry (or the array of \
                      entries that `catalog export --format json` writes)"
                .into(),
        });
    };
    let mut problems = Vec::new();
    let mut version = None;
    let mut entries = Vec::new();
    let mut seen: Vec<(&str, Option<usize>)> = Vec::new();
    for (key, raw) in &top {
        let line = line_of(raw);
        if let Some((_, first)) = seen.iter().find(|(k, _)| k == key) {
            problems.push(Problem::file(line, duplicate_key(key, *first)));
            continue;
        }
        seen.push((key, line));
        match key.as_str() {
            "catalog_version" => version = Some((json_value(raw), line)),
            "entry" => match serde_json::from_str::<Vec<&RawJson>>(raw.get()) {
                Ok(items) => {
                    entries = items
                        .into_iter()
                        .map(|item| json_entry(item, line_of(item), &line_of))
                        .collect();
                }
                Err(_) => problems.push(Problem::file(line, "\"entry\" must be an array".into())),
            },
            _ => problems.push(Problem::file(
                line,
                format!("unknown top-level key {key:?} (expected catalog_version and entry)"),
            )),
        }
    }
    validate(origin, version, entries, problems)
}

/// The JSON that `catalog export --format json` writes, an array of entries each carrying the
/// catalog version, read as a catalog file: so that an exported catalog can be edited and
/// loaded back. The entries must agree on the version.
fn parse_exported(
    items: Vec<&RawJson>,
    origin: &str,
    line_of: &impl Fn(&RawJson) -> Option<usize>,
) -> Result<CatalogFile, CatalogError> {
    let mut problems = Vec::new();
    let mut version: Option<(RawValue, Option<usize>)> = None;
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let mut entry = json_entry(item, line_of(item), line_of);
        let mut kept = Vec::with_capacity(entry.fields.len());
        for field in entry.fields {
            if field.name != "catalog_version" {
                kept.push(field);
                continue;
            }
            match (&version, &field.value) {
                (None, _) => version = Some((field.value, field.line)),
                (Some((RawValue::Str(first), first_line)), RawValue::Str(this))
                    if first != this =>
                {
                    problems.push(Problem::file(
                        field.line,
                        format!(
                            "catalog_version {this:?} differs from {first:?}{}: the entries of \
                             one catalog share one version",
                            first_line
                                .map(|l| format!(" at line {l}"))
                                .unwrap_or_default()
                        ),
                    ));
                }
                _ => {}
            }
        }
        entry.fields = kept;
        entries.push(entry);
    }
    validate(origin, version, entries, problems)
}

/// One item of the `entry` array, its fields lined up by their values' lines.
fn json_entry<'a>(
    item: &'a RawJson,
    line: Option<usize>,
    line_of: &impl Fn(&RawJson) -> Option<usize>,
) -> RawEntry {
    let Ok(Members(members)) = serde_json::from_str::<Members<'a>>(item.get()) else {
        return RawEntry {
            line,
            fields: vec![RawField {
                name: String::new(),
                value: RawValue::Other("object"),
                line,
            }],
        };
    };
    let fields = members
        .into_iter()
        .map(|(name, raw)| RawField {
            line: line_of(raw),
            value: json_value(raw),
            name,
        })
        .collect();
    RawEntry { line, fields }
}

fn json_value(raw: &RawJson) -> RawValue {
    serde_json::from_str(raw.get()).map_or(RawValue::Other("value"), json_raw)
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

fn json_raw(v: serde_json::Value) -> RawValue {
    match v {
        serde_json::Value::String(s) => RawValue::Str(s),
        serde_json::Value::Null => RawValue::Other("null"),
        serde_json::Value::Bool(_) => RawValue::Other("boolean"),
        serde_json::Value::Number(_) => RawValue::Other("number"),
        serde_json::Value::Array(_) => RawValue::Other("array"),
        serde_json::Value::Object(_) => RawValue::Other("object"),
    }
}

#[cfg(test)]
mod tests;
