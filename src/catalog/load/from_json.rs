//! Catalog JSON: `{"catalog_version": ..., "entry": [...]}`, or the array of entries that
//! `catalog export --format json` writes, with the line of every field.

use super::validate::validate;
use super::{CatalogError, CatalogFile, Problem, RawEntry, RawField, RawValue, duplicate_key};
use crate::json_members::{Members, RawJson};
use crate::line_index::LineIndex;

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
            "catalog_version" => version = Some((json_value(raw, &line_of), line)),
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
            value: json_value(raw, line_of),
            name,
        })
        .collect();
    RawEntry { line, fields }
}

/// A JSON value; the items of arrays and the members of objects carry their own lines.
fn json_value(raw: &RawJson, line_of: &impl Fn(&RawJson) -> Option<usize>) -> RawValue {
    let text = raw.get().trim_start();
    if text.starts_with('[')
        && let Ok(items) = serde_json::from_str::<Vec<&RawJson>>(text)
    {
        return RawValue::Array(
            items
                .into_iter()
                .map(|item| (json_value(item, line_of), line_of(item)))
                .collect(),
        );
    }
    if text.starts_with('{')
        && let Ok(Members(members)) = serde_json::from_str::<Members<'_>>(text)
    {
        let fields = members
            .into_iter()
            .map(|(name, raw)| RawField {
                line: line_of(raw),
                value: json_value(raw, line_of),
                name,
            })
            .collect();
        return RawValue::Table {
            fields,
            noun: "object",
        };
    }
    serde_json::from_str(raw.get()).map_or(RawValue::Other("value"), json_raw)
}

fn json_raw(v: serde_json::Value) -> RawValue {
    match v {
        serde_json::Value::String(s) => RawValue::Str(s),
        serde_json::Value::Null => RawValue::Other("null"),
        serde_json::Value::Bool(b) => RawValue::Bool(b),
        serde_json::Value::Number(_) => RawValue::Other("number"),
        serde_json::Value::Array(_) => RawValue::Other("array"),
        serde_json::Value::Object(_) => RawValue::Other("object"),
    }
}
