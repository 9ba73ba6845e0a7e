//! The fields of one entry as they are validated: each field's own problems, then the problems
//! between fields.

use super::guess;
use crate::catalog::load::{RawField, RawValue, duplicate_key};
use crate::catalog::{
    CatalogEntry, Category, Cause, Component, ENTRY_LOG_TYPES, EntrySource, LogTypeOverride,
    Severity, entry_log_type,
};
use crate::event::LogType;

const OVERRIDE_FIELDS: [&str; 3] = ["log_type", "severity", "component"];

/// A problem found in one field: its line when it differs from the field's, and the message.
pub(super) type FieldProblem = (Option<usize>, String);

/// ` (first at line N)` when the first occurrence is on another line than this one.
fn first_at(first: Option<usize>, this: Option<usize>) -> String {
    match first {
        Some(l) if first != this => format!(" (first at line {l})"),
        _ => String::new(),
    }
}

/// The value of a closed vocabulary named `text` (ignoring letter case), or the message for an
/// unknown one, with every accepted value and the nearest.
fn vocab<T: Copy>(
    what: &str,
    text: &str,
    all: &[T],
    as_str: fn(T) -> &'static str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|v| as_str(*v).eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|v| as_str(*v)).collect();
            format!(
                "unknown {what} {text:?} (expected one of: {}){}",
                names.join(", "),
                guess(text, names.iter().copied())
            )
        })
}

/// The log type named `text` in a catalog file, or the message for a name that is none.
fn log_type(text: &str) -> Result<LogType, String> {
    if let Some(t) = entry_log_type(text) {
        return Ok(t);
    }
    if LogType::from_name(text) == Some(LogType::Unknown) {
        return Err(format!(
            "log type {text:?} is what records of no known log type are called; a code belongs to \
             named log types"
        ));
    }
    let names: Vec<&str> = ENTRY_LOG_TYPES.iter().map(|t| t.as_str()).collect();
    let vendor = ENTRY_LOG_TYPES.iter().filter_map(|t| t.lss_source_type());
    Err(format!(
        "unknown log type {text:?} (expected one of: {}; or the vendor's sourceLogType of one, \
         such as zpn_trans_log){}",
        names.join(", "),
        guess(text, names.iter().copied().chain(vendor))
    ))
}

/// Why `code` cannot be a code or alias, if it cannot.
fn code_problem(what: &str, code: &str) -> Option<String> {
    code.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')))
        .map(|bad| {
            format!(
                "{what} {code:?} contains {bad:?}; codes use letters, digits, '_', '-', '.', ':'"
            )
        })
}

/// The text of a string field, or why it is not one: another type, empty, or padded.
fn text_of<'v>(name: &str, value: &'v RawValue) -> Result<&'v str, String> {
    match value {
        RawValue::Str(s) if s.trim().is_empty() => Err(format!("{name} is empty")),
        RawValue::Str(s) if s.trim() != s => {
            Err(format!("{name} has leading or trailing whitespace"))
        }
        RawValue::Str(s) => Ok(s),
        other => Err(format!(
            "{name} must be a string, not {}",
            other.type_name()
        )),
    }
}

/// The items of a list field, or why it is not one: another type, or empty.
fn items_of<'v>(
    name: &str,
    value: &'v RawValue,
    empty: &str,
) -> Result<&'v [(RawValue, Option<usize>)], String> {
    match value {
        RawValue::Array(items) if items.is_empty() => Err(format!("{name} is empty; {empty}")),
        RawValue::Array(items) => Ok(items),
        other => Err(format!(
            "{name} must be an array, not {}",
            other.type_name()
        )),
    }
}

#[derive(Default)]
pub(super) struct EntryFields {
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
    /// With their lines.
    pub(super) aliases: Vec<(String, Option<usize>)>,
    /// With the line of the field.
    log_types: Option<(Vec<LogType>, Option<usize>)>,
    retired: bool,
    source: Option<EntrySource>,
    /// With their lines.
    overrides: Vec<(LogTypeOverride, Option<usize>)>,
}

impl EntryFields {
    /// Takes the field `f` (a known one); its problems otherwise.
    pub(super) fn set(&mut self, f: &RawField) -> Vec<FieldProblem> {
        let name = f.name.as_str();
        let result = match name {
            "aliases" => return self.set_aliases(&f.value),
            "log_types" => return self.set_log_types(&f.value, f.line),
            "overrides" => return self.set_overrides(&f.value),
            "retired" => match f.value {
                RawValue::Bool(b) => {
                    self.retired = b;
                    Ok(())
                }
                ref other => Err(format!(
                    "retired must be true or false, not {}",
                    other.type_name()
                )),
            },
            _ => text_of(name, &f.value).and_then(|value| self.set_text(name, value)),
        };
        result.err().map(|m| vec![(None, m)]).unwrap_or_default()
    }

    /// Takes a string field.
    fn set_text(&mut self, name: &str, value: &str) -> Result<(), String> {
        let text = Some(value.to_owned());
        match name {
            "code" => {
                if let Some(problem) = code_problem("code", value) {
                    return Err(problem);
                }
                self.code = text;
            }
            "status" => self.status = text,
            "description" => self.description = text,
            "severity" => {
                self.severity = Some(vocab(name, value, Severity::ALL, Severity::as_str)?);
            }
            "component" => {
                self.component = Some(vocab(name, value, Component::ALL, Component::as_str)?);
            }
            "category" => {
                self.category = Some(vocab(name, value, Category::ALL, Category::as_str)?);
            }
            "cause" => self.cause = Some(vocab(name, value, Cause::ALL, Cause::as_str)?),
            "source" => {
                self.source = Some(vocab(name, value, EntrySource::ALL, EntrySource::as_str)?);
            }
            "remediation" => self.remediation = text,
            "vendor_status" => self.vendor_status = text,
            "vendor_error_type" => self.vendor_error_type = text,
            _ => unreachable!("field names are checked before"),
        }
        Ok(())
    }

    fn set_aliases(&mut self, value: &RawValue) -> Vec<FieldProblem> {
        let items = match items_of("aliases", value, "leave it out, or name other spellings") {
            Ok(items) => items,
            Err(m) => return vec![(None, m)],
        };
        let mut problems = Vec::new();
        for (item, line) in items {
            let problem = match text_of("an alias", item) {
                Err(m) => Some(m),
                Ok(alias) => {
                    if let Some(p) = code_problem("alias", alias) {
                        Some(p)
                    } else if let Some((_, first)) = self
                        .aliases
                        .iter()
                        .find(|(a, _)| a.eq_ignore_ascii_case(alias))
                    {
                        Some(format!(
                            "alias {alias:?} is listed twice{}, ignoring case",
                            first_at(*first, *line)
                        ))
                    } else {
                        self.aliases.push((alias.to_owned(), *line));
                        None
                    }
                }
            };
            if let Some(m) = problem {
                problems.push((*line, m));
            }
        }
        problems
    }

    fn set_log_types(&mut self, value: &RawValue, line: Option<usize>) -> Vec<FieldProblem> {
        let items = match items_of(
            "log_types",
            value,
            "leave it out, or name the log types whose records carry the code",
        ) {
            Ok(items) => items,
            Err(m) => return vec![(None, m)],
        };
        let mut problems = Vec::new();
        let mut types = Vec::with_capacity(items.len());
        for (item, at) in items {
            match text_of("a log type", item).and_then(log_type) {
                Ok(t) if types.contains(&t) => {
                    problems.push((*at, format!("log type {} is listed twice", t.as_str())));
                }
                Ok(t) => types.push(t),
                Err(m) => problems.push((*at, m)),
            }
        }
        if problems.is_empty() {
            self.log_types = Some((types, line));
        }
        problems
    }

    fn set_overrides(&mut self, value: &RawValue) -> Vec<FieldProblem> {
        let items = match items_of(
            "overrides",
            value,
            "leave it out, or give a log_type with a severity or component",
        ) {
            Ok(items) => items,
            Err(m) => return vec![(None, m)],
        };
        let mut problems = Vec::new();
        for (item, line) in items {
            let RawValue::Table { fields, .. } = item else {
                problems.push((
                    *line,
                    format!(
                        "an override must be a table of log_type, severity and component, not {}",
                        item.type_name()
                    ),
                ));
                continue;
            };
            let mut log_type_of = None;
            let mut severity = None;
            let mut component = None;
            let mut bad = false;
            let mut named: Vec<(&str, Option<usize>)> = Vec::new();
            for f in fields {
                let at = f.line.or(*line);
                if let Some((_, first)) = named.iter().find(|(n, _)| *n == f.name) {
                    problems.push((at, duplicate_key(&f.name, *first)));
                    bad = true;
                    continue;
                }
                named.push((&f.name, f.line));
                let name = format!("override {}", f.name);
                let result = match f.name.as_str() {
                    "log_type" => text_of(&name, &f.value)
                        .and_then(log_type)
                        .map(|t| log_type_of = Some(t)),
                    "severity" => text_of(&name, &f.value)
                        .and_then(|v| vocab("severity", v, Severity::ALL, Severity::as_str))
                        .map(|s| severity = Some(s)),
                    "component" => text_of(&name, &f.value)
                        .and_then(|v| vocab("component", v, Component::ALL, Component::as_str))
                        .map(|c| component = Some(c)),
                    other => Err(format!(
                        "unknown field {other:?} in an override (expected {}){}",
                        OVERRIDE_FIELDS.join(", "),
                        guess(other, OVERRIDE_FIELDS)
                    )),
                };
                if let Err(m) = result {
                    problems.push((at, m));
                    bad = true;
                }
            }
            let given = |n: &str| named.iter().any(|(f, _)| *f == n);
            if !given("log_type") {
                problems.push((*line, "an override needs a log_type".to_owned()));
                bad = true;
            }
            if !given("severity") && !given("component") {
                problems.push((
                    *line,
                    "an override needs a severity, a component or both".to_owned(),
                ));
                bad = true;
            }
            if !bad && let Some(log_type) = log_type_of {
                self.overrides.push((
                    LogTypeOverride {
                        log_type,
                        severity,
                        component,
                    },
                    *line,
                ));
            }
        }
        problems
    }

    /// Problems between fields: an alias that is the code, two overrides for one log type, an
    /// override for a log type the entry does not list, an override that changes nothing.
    pub(super) fn cross_check(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        if let Some(code) = &self.code {
            for (alias, line) in &self.aliases {
                if alias.eq_ignore_ascii_case(code) {
                    problems.push((
                        *line,
                        format!("alias {alias:?} is the entry's own code, ignoring case"),
                    ));
                }
            }
        }
        for (i, (o, line)) in self.overrides.iter().enumerate() {
            let name = o.log_type.as_str();
            if let Some((_, first)) = self.overrides[..i]
                .iter()
                .find(|(p, _)| p.log_type == o.log_type)
            {
                problems.push((
                    *line,
                    format!(
                        "a second override for log type {name}{}; give one per log type",
                        first_at(*first, *line)
                    ),
                ));
                continue;
            }
            if let Some((types, _)) = &self.log_types
                && !types.contains(&o.log_type)
            {
                problems.push((
                    *line,
                    format!("override for log type {name}, which log_types does not list"),
                ));
            }
            let same_severity = o.severity.is_none() || o.severity == self.severity;
            let same_component = o.component.is_none() || o.component == self.component;
            if same_severity
                && same_component
                && self.severity.is_some()
                && self.component.is_some()
            {
                problems.push((
                    *line,
                    format!(
                        "override for log type {name} changes nothing: its severity and component \
                         are the entry's own"
                    ),
                ));
            }
        }
        problems
    }

    pub(super) fn has(&self, name: &str) -> bool {
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

    pub(super) fn build(self) -> Option<CatalogEntry> {
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
            aliases: self.aliases.into_iter().map(|(a, _)| a).collect(),
            log_types: self.log_types.map(|(t, _)| t).unwrap_or_default(),
            retired: self.retired,
            source: self.source,
            overrides: self.overrides.into_iter().map(|(o, _)| o).collect(),
        })
    }
}
