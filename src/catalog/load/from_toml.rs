//! Catalog TOML: `catalog_version` and `[[entry]]` tables, with the line of every field.

use serde::Deserialize;
use toml::Spanned;

use super::validate::validate;
use super::{CatalogError, CatalogFile, Problem, RawEntry, RawField, RawValue};
use crate::line_index::LineIndex;

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
        (toml_raw(&lines, line, v.into_inner()), line)
    });
    let entries = file
        .entry
        .into_iter()
        .map(|t| {
            let line = line_of(t.span().start);
            let table = t.into_inner();
            // Field lines: toml::Table has no spans; find `key =` after the entry header, or
            // the `[[entry.key]]` headers of a table's fields.
            let mut fields: Vec<RawField> = table
                .into_iter()
                .map(|(name, value)| toml_field(&lines, line, name, value))
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

/// The headers `[[entry.name]]` (or `[entry.name]`) of the entry whose header is at line
/// `entry`: the lines where the tables of its field `name` start, in order.
fn sub_table_lines(lines: &LineIndex<'_>, entry: usize, name: &str) -> Vec<usize> {
    let mut found = Vec::new();
    for n in entry + 1..=lines.lines() {
        let Some(t) = lines.line(n).map(str::trim) else {
            break;
        };
        if !t.starts_with('[') {
            continue;
        }
        let header: String = t
            .split('#')
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '[' | ']'))
            .collect();
        match header.strip_prefix("entry.") {
            Some(sub) if sub == name => found.push(n),
            // Another field's tables, still of this entry.
            Some(_) => {}
            None => break,
        }
    }
    found
}

/// One field of a TOML entry whose header is at line `entry`, with the lines of its value.
fn toml_field(
    lines: &LineIndex<'_>,
    entry: Option<usize>,
    name: String,
    value: toml::Value,
) -> RawField {
    let headers = entry
        .map(|l| sub_table_lines(lines, l, &name))
        .unwrap_or_default();
    let line = headers
        .first()
        .copied()
        .or_else(|| entry.and_then(|l| find_key_line(lines, l, &name)));
    let value = match value {
        // `[[entry.name]]` tables: each at its header, its fields after it.
        toml::Value::Array(items) if !headers.is_empty() => RawValue::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    let at = headers.get(i).copied().or(line);
                    (toml_raw(lines, at, item), at)
                })
                .collect(),
        ),
        other => toml_raw(lines, line, other),
    };
    RawField { name, value, line }
}

/// A TOML value whose key (or table header) is at `line`; the fields of a table are looked for
/// after it.
fn toml_raw(lines: &LineIndex<'_>, line: Option<usize>, v: toml::Value) -> RawValue {
    match v {
        toml::Value::String(s) => RawValue::Str(s),
        toml::Value::Integer(_) => RawValue::Other("integer"),
        toml::Value::Float(_) => RawValue::Other("float"),
        toml::Value::Boolean(b) => RawValue::Bool(b),
        toml::Value::Datetime(_) => RawValue::Other("datetime"),
        toml::Value::Array(items) => RawValue::Array(
            items
                .into_iter()
                .map(|item| (toml_raw(lines, line, item), line))
                .collect(),
        ),
        toml::Value::Table(table) => {
            let mut fields: Vec<RawField> = table
                .into_iter()
                .map(|(name, value)| {
                    let at = line.and_then(|l| find_key_line(lines, l, &name));
                    RawField {
                        value: toml_raw(lines, at, value),
                        name,
                        line: at,
                    }
                })
                .collect();
            fields.sort_by_key(|f| f.line);
            RawValue::Table {
                fields,
                noun: "table",
            }
        }
    }
}
