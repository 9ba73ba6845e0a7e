//! Reading and validating catalog files (TOML, or JSON of the same shape).
//!
//! Validation collects every problem in a file before failing, and each problem names the entry
//! (by code, or by position when the code itself is missing) and, for TOML, the line.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{Catalog, CatalogEntry, Category, Cause, Component, Severity};

/// A parsed and validated catalog file, before it is turned into a [`Catalog`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogFile {
    /// The file's `catalog_version`.
    pub version: String,
    /// Its entries, in file order.
    pub entries: Vec<CatalogEntry>,
}

/// One problem found in a catalog file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The entry's code, or `entry N` when the code is missing.
    pub entry: Option<String>,
    /// What is wrong.
    pub message: String,
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
pub enum Format {
    /// TOML (`[[entry]]` tables).
    Toml,
    /// JSON (`{"catalog_version": ..., "entry": [...]}`).
    Json,
}

impl Format {
    /// The format a path's extension names.
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Format> {
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
pub fn from_path(path: &Path) -> Result<CatalogFile, CatalogError> {
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
    if replace {
        Catalog::new(file.version, file.entries)
    } else {
        Catalog::builtin().extend(file)
    }
    .map_err(|e| relabel(e, &path.display().to_string()))
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
pub fn parse_toml(text: &str, origin: &str) -> Result<CatalogFile, CatalogError> {
    #[derive(Deserialize)]
    struct File {
        catalog_version: Option<Spanned<toml::Value>>,
        #[serde(default)]
        entry: Vec<Spanned<toml::Table>>,
        #[serde(flatten)]
        rest: toml::Table,
    }
    let line_of = |offset: usize| Some(text[..offset.min(text.len())].matches('\n').count() + 1);
    let file: File = toml::from_str(text).map_err(|e| CatalogError::Syntax {
        origin: origin.to_owned(),
        line: e.span().and_then(|s| line_of(s.start)),
        message: e.message().to_owned(),
    })?;
    let mut problems = Vec::new();
    for key in file.rest.keys() {
        problems.push(Problem::file(
            None,
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
            let fields = table
                .into_iter()
                .map(|(name, value)| RawField {
                    line: line.and_then(|l| find_key_line(text, l, &name)),
                    name,
                    value: toml_raw(value),
                })
                .collect();
            RawEntry { line, fields }
        })
        .collect();
    validate(origin, version, entries, problems)
}

/// The line of `name = ...` at or after `from` (1-based), before the next table header.
fn find_key_line(text: &str, from: usize, name: &str) -> Option<usize> {
    for (i, l) in text.lines().enumerate().skip(from - 1) {
        let t = l.trim_start();
        if i + 1 > from && t.starts_with('[') {
            break;
        }
        if let Some(rest) = t.strip_prefix(name)
            && rest.trim_start().starts_with('=')
        {
            return Some(i + 1);
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
/// # Errors
/// Syntax errors (with line) or every validation problem found.
pub fn parse_json(text: &str, origin: &str) -> Result<CatalogFile, CatalogError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| CatalogError::Syntax {
            origin: origin.to_owned(),
            line: Some(e.line()),
            message: e.to_string(),
        })?;
    let serde_json::Value::Object(mut top) = value else {
        return Err(CatalogError::Syntax {
            origin: origin.to_owned(),
            line: None,
            message: "expected an object with catalog_version and entry".into(),
        });
    };
    let mut problems = Vec::new();
    let version = top.remove("catalog_version").map(|v| (json_raw(v), None));
    let entries = match top.remove("entry") {
        None => Vec::new(),
        Some(serde_json::Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::Object(map) => RawEntry {
                    line: None,
                    fields: map
                        .into_iter()
                        .map(|(name, v)| RawField {
                            name,
                            value: json_raw(v),
                            line: None,
                        })
                        .collect(),
                },
                _ => RawEntry {
                    line: None,
                    fields: vec![RawField {
                        name: String::new(),
                        value: RawValue::Other("object"),
                        line: None,
                    }],
                },
            })
            .collect(),
        Some(_) => {
            problems.push(Problem::file(None, "\"entry\" must be an array".into()));
            Vec::new()
        }
    };
    for key in top.keys() {
        problems.push(Problem::file(
            None,
            format!("unknown top-level key {key:?} (expected catalog_version and entry)"),
        ));
    }
    validate(origin, version, entries, problems)
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

const REQUIRED: [&str; 6] = [
    "code",
    "status",
    "description",
    "severity",
    "component",
    "category",
];
const OPTIONAL: [&str; 4] = ["cause", "remediation", "vendor_status", "vendor_error_type"];

fn validate(
    origin: &str,
    version: Option<(RawValue, Option<usize>)>,
    raw_entries: Vec<RawEntry>,
    mut problems: Vec<Problem>,
) -> Result<CatalogFile, CatalogError> {
    let version = match version {
        None => {
            problems.push(Problem::file(None, "catalog_version is missing".into()));
            String::new()
        }
        Some((RawValue::Str(s), line)) => {
            if s.trim().is_empty() {
                problems.push(Problem::file(line, "catalog_version is empty".into()));
            }
            s
        }
        Some((RawValue::Other(t), line)) => {
            problems.push(Problem::file(
                line,
                format!("catalog_version must be a string, not {t}"),
            ));
            String::new()
        }
    };

    let mut entries = Vec::with_capacity(raw_entries.len());
    let mut seen: rustc_hash::FxHashMap<String, (usize, Option<usize>)> = Default::default();
    for (i, raw) in raw_entries.into_iter().enumerate() {
        let code = raw
            .fields
            .iter()
            .find_map(|f| match (&f.name[..], &f.value) {
                ("code", RawValue::Str(s)) if !s.trim().is_empty() => Some(s.clone()),
                _ => None,
            });
        let label = code.clone().unwrap_or_else(|| format!("#{}", i + 1));
        let mut fields = EntryFields::default();
        // Fields with a reported problem; "missing" is not reported again for them.
        let mut faulty: Vec<String> = Vec::new();
        let mut code_line = raw.line;
        let mut report = |line: Option<usize>, message: String| {
            problems.push(Problem::entry(line.or(raw.line), &label, message));
        };
        for f in raw.fields {
            if f.name == "code" {
                code_line = f.line.or(raw.line);
            }
            let problem = match f.value {
                RawValue::Other(_) if f.name.is_empty() => {
                    Some("entry must be an object".to_owned())
                }
                RawValue::Other(t) => Some(format!("{} must be a string, not {t}", f.name)),
                RawValue::Str(_)
                    if !REQUIRED.contains(&f.name.as_str())
                        && !OPTIONAL.contains(&f.name.as_str()) =>
                {
                    Some(format!(
                        "unknown field {:?} (expected {}, {})",
                        f.name,
                        REQUIRED.join(", "),
                        OPTIONAL.join(", ")
                    ))
                }
                RawValue::Str(s) if s.trim().is_empty() => Some(format!("{} is empty", f.name)),
                RawValue::Str(s) if s.trim() != s => {
                    Some(format!("{} has leading or trailing whitespace", f.name))
                }
                RawValue::Str(s) => fields.set(&f.name, s).err(),
            };
            if let Some(message) = problem {
                report(f.line, message);
                faulty.push(f.name);
            }
        }
        let not_an_object = faulty.iter().any(String::is_empty);
        for name in REQUIRED {
            if !not_an_object && !fields.has(name) && !faulty.iter().any(|f| f == name) {
                report(None, format!("{name} is missing"));
                faulty.push(name.to_owned());
            }
        }
        let mut bad = !faulty.is_empty();
        if let Some(code) = &code {
            let folded = code.to_ascii_lowercase();
            if let Some((first, first_line)) = seen.get(&folded) {
                problems.push(Problem::entry(
                    code_line,
                    &label,
                    format!(
                        "duplicate code (already defined by entry #{}{})",
                        first + 1,
                        first_line
                            .map(|l| format!(" at line {l}"))
                            .unwrap_or_default()
                    ),
                ));
                bad = true;
            } else {
                seen.insert(folded, (i, code_line));
            }
        }
        if !bad && let Some(entry) = fields.build() {
            entries.push(entry);
        }
    }
    if problems.is_empty() {
        Ok(CatalogFile { version, entries })
    } else {
        Err(CatalogError::Invalid {
            origin: origin.to_owned(),
            problems,
        })
    }
}

#[derive(Default)]
struct EntryFields {
    code: Option<String>,
    status: Option<String>,
    description: Option<String>,
    severity: Option<Severity>,
    component: Option<Component>,
    category: Option<Category>,
    cause: Option<Cause>,
    remediation: Option<String>,
    vendor_status: Option<String>,
    vendor_error_type: Option<String>,
}

impl EntryFields {
    fn set(&mut self, name: &str, value: String) -> Result<(), String> {
        fn parse<T: std::str::FromStr>(
            name: &str,
            value: &str,
            expected: &str,
        ) -> Result<T, String> {
            value
                .parse()
                .map_err(|_| format!("unknown {name} {value:?} (expected one of: {expected})"))
        }
        match name {
            "code" => {
                if let Some(bad) = value
                    .chars()
                    .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')))
                {
                    return Err(format!(
                        "code {value:?} contains {bad:?}; codes use letters, digits, '_', '-', '.', ':'"
                    ));
                }
                self.code = Some(value);
            }
            "status" => self.status = Some(value),
            "description" => self.description = Some(value),
            "severity" => self.severity = Some(parse(name, &value, &Severity::expected())?),
            "component" => self.component = Some(parse(name, &value, &Component::expected())?),
            "category" => self.category = Some(parse(name, &value, &Category::expected())?),
            "cause" => self.cause = Some(parse(name, &value, &Cause::expected())?),
            "remediation" => self.remediation = Some(value),
            "vendor_status" => self.vendor_status = Some(value),
            "vendor_error_type" => self.vendor_error_type = Some(value),
            _ => unreachable!("field names are checked before"),
        }
        Ok(())
    }

    fn has(&self, name: &str) -> bool {
        match name {
            "code" => self.code.is_some(),
            "status" => self.status.is_some(),
            "description" => self.description.is_some(),
            "severity" => self.severity.is_some(),
            "component" => self.component.is_some(),
            "category" => self.category.is_some(),
            _ => true,
        }
    }

    fn build(self) -> Option<CatalogEntry> {
        Some(CatalogEntry {
            code: self.code?,
            status: self.status?,
            description: self.description?,
            severity: self.severity?,
            component: self.component?,
            category: self.category?,
            cause: self.cause,
            remediation: self.remediation,
            vendor_status: self.vendor_status,
            vendor_error_type: self.vendor_error_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
catalog_version = "test-1"

[[entry]]
code = "A_CODE"
status = "AC: Something"
description = "Something happened."
severity = "high"
component = "App Connector"
category = "error"
cause = "service"
remediation = "Check it."

[[entry]]
code = "close"
status = "Close"
description = "Closed."
severity = "info"
component = "Service Edge"
category = "info"
"#;

    #[test]
    fn parses_a_valid_file() {
        let f = parse_toml(GOOD, "t.toml").unwrap();
        assert_eq!(f.version, "test-1");
        assert_eq!(f.entries.len(), 2);
        assert_eq!(f.entries[0].severity, Severity::High);
        assert_eq!(f.entries[0].cause, Some(Cause::Service));
        assert_eq!(f.entries[1].remediation, None);
    }

    #[test]
    fn json_of_the_same_shape_parses_to_the_same_entries() {
        let toml_file = parse_toml(GOOD, "t.toml").unwrap();
        let json = serde_json::json!({
            "catalog_version": "test-1",
            "entry": toml_file.entries,
        });
        let json_file = parse_json(&json.to_string(), "t.json").unwrap();
        assert_eq!(json_file, toml_file);
    }

    #[test]
    fn every_problem_is_listed_with_entry_and_line() {
        let bad = r#"
catalog_version = "x"
colour = "red"

[[entry]]
code = "DUP"
status = "S"
description = "D"
severity = "hihg"
component = "Connector"
category = "error"

[[entry]]
code = "dup"
status = ""
description = "D"
severity = "low"
component = "App Connector"
category = "error"
shade = "x"

[[entry]]
status = "S"
description = "D"
severity = "low"
component = "App Connector"
"#;
        let err = parse_toml(bad, "bad.toml").unwrap_err();
        let text = err.to_string();
        for needle in [
            "unknown top-level key \"colour\"",
            "line 9: entry DUP: unknown severity \"hihg\"",
            "line 10: entry DUP: unknown component \"Connector\"",
            "entry dup: status is empty",
            "entry dup: unknown field \"shade\"",
            "line 14: entry dup: duplicate code (already defined by entry #1 at line 6)",
            "entry #3: code is missing",
            "entry #3: category is missing",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
        let CatalogError::Invalid { problems, .. } = err else {
            panic!("expected Invalid")
        };
        assert_eq!(problems.len(), 8, "{text}");
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let err = parse_toml("catalog_version = \"x\"\n[[entry]\ncode=1\n", "s.toml").unwrap_err();
        assert!(
            matches!(err, CatalogError::Syntax { line: Some(2), .. }),
            "{err}"
        );
        let err = parse_json("{\n\"catalog_version\": \n}", "s.json").unwrap_err();
        assert!(
            matches!(err, CatalogError::Syntax { line: Some(3), .. }),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_and_missing_version_are_reported() {
        let err = parse_json(r#"{"entry":[{"code":"X","status":"S","description":"D","severity":3,"component":"Policy","category":"error"}, 7]}"#, "j.json").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("catalog_version is missing"), "{text}");
        assert!(
            text.contains("entry X: severity must be a string, not number"),
            "{text}"
        );
        assert!(text.contains("entry #2: entry must be an object"), "{text}");
        assert!(!text.contains("severity is missing"), "{text}");
    }

    #[test]
    fn codes_with_spaces_are_rejected() {
        let text = GOOD.replace("A_CODE", "A CODE");
        let err = parse_toml(&text, "t.toml").unwrap_err().to_string();
        assert!(err.contains("contains ' '"), "{err}");
    }

    #[test]
    fn unknown_extension_is_an_error() {
        let err = from_path(Path::new("catalog.yaml")).unwrap_err();
        assert!(err.to_string().contains(".toml or .json"), "{err}");
    }
}
