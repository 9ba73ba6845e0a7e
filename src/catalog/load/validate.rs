//! Validation of parsed catalog entries: every problem, with entry and line.

use super::{CatalogError, CatalogFile, Problem, RawEntry, RawValue};
use crate::catalog::{CatalogEntry, Category, Cause, Component, Severity};

const REQUIRED: [&str; 6] = [
    "code",
    "status",
    "description",
    "severity",
    "component",
    "category",
];
const OPTIONAL: [&str; 4] = ["cause", "remediation", "vendor_status", "vendor_error_type"];

pub(super) fn validate(
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
        let mut named: Vec<(String, Option<usize>)> = Vec::new();
        for f in raw.fields {
            // Only JSON can name a field twice; TOML refuses it as a syntax error.
            if !f.name.is_empty() {
                if let Some((_, first)) = named.iter().find(|(n, _)| *n == f.name) {
                    report(f.line, super::duplicate_key(&f.name, *first));
                    faulty.push(f.name);
                    continue;
                }
                named.push((f.name.clone(), f.line));
            }
            if f.name == "code" {
                code_line = f.line.or(raw.line);
            }
            let known = REQUIRED.contains(&f.name.as_str()) || OPTIONAL.contains(&f.name.as_str());
            let problem = match f.value {
                RawValue::Other(_) if f.name.is_empty() => {
                    Some("entry must be an object".to_owned())
                }
                _ if !known => Some(format!(
                    "unknown field {:?} (expected {}, {})",
                    f.name,
                    REQUIRED.join(", "),
                    OPTIONAL.join(", ")
                )),
                RawValue::Other(t) => Some(format!("{} must be a string, not {t}", f.name)),
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
