//! Validation of parsed catalog entries: every problem, with entry and line, and for a misspelt
//! name the valid one nearest to it.

use rustc_hash::FxHashMap;

mod fields;

use super::{CatalogError, CatalogFile, Problem, RawEntry, RawValue};
use crate::spelling::nearest;
use fields::EntryFields;

const REQUIRED: [&str; 6] = [
    "code",
    "status",
    "description",
    "severity",
    "component",
    "category",
];
const OPTIONAL: [&str; 9] = [
    "cause",
    "remediation",
    "vendor_status",
    "vendor_error_type",
    "aliases",
    "log_types",
    "retired",
    "source",
    "overrides",
];

/// A spelling already taken: by which entry (its position, label and line), as code or alias.
struct Taken {
    entry: usize,
    label: String,
    line: Option<usize>,
    alias: bool,
}

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
        Some((other, line)) => {
            problems.push(Problem::file(
                line,
                format!(
                    "catalog_version must be a string, not {}",
                    other.type_name()
                ),
            ));
            String::new()
        }
    };

    let mut entries = Vec::with_capacity(raw_entries.len());
    let mut seen: FxHashMap<String, Taken> = FxHashMap::default();
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
            let field_problems = match f.value {
                RawValue::Other(_) if f.name.is_empty() => {
                    vec![(None, "entry must be an object".to_owned())]
                }
                _ if !known => vec![(
                    None,
                    format!(
                        "unknown field {:?} (expected {}, {}){}",
                        f.name,
                        REQUIRED.join(", "),
                        OPTIONAL.join(", "),
                        guess(&f.name, REQUIRED.iter().chain(&OPTIONAL).copied())
                    ),
                )],
                _ => fields.set(&f),
            };
            if !field_problems.is_empty() {
                for (line, message) in field_problems {
                    report(line.or(f.line), message);
                }
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
        let between = fields.cross_check();
        let mut bad = !faulty.is_empty() || !between.is_empty();
        for (line, message) in between {
            report(line, message);
        }
        // Every spelling, code and aliases, names one entry of the file (ignoring case).
        let spellings = code
            .iter()
            .map(|c| (c.as_str(), code_line, false))
            .chain(fields.aliases.iter().map(|(a, l)| (a.as_str(), *l, true)));
        for (spelling, line, alias) in spellings {
            let folded = spelling.to_ascii_lowercase();
            if let Some(first) = seen.get(&folded) {
                if first.entry == i {
                    // Told by cross_check: an alias equal to the entry's own code.
                    continue;
                }
                let at = first
                    .line
                    .map(|l| format!(" at line {l}"))
                    .unwrap_or_default();
                let message = match (alias, first.alias) {
                    (false, false) => format!(
                        "duplicate code (already defined by entry #{}{at})",
                        first.entry + 1
                    ),
                    (false, true) => format!(
                        "code {spelling:?} is already an alias of entry {} (#{}{at}), ignoring case",
                        first.label,
                        first.entry + 1
                    ),
                    (true, false) => format!(
                        "alias {spelling:?} is already the code of entry #{}{at}, ignoring case",
                        first.entry + 1
                    ),
                    (true, true) => format!(
                        "alias {spelling:?} is already an alias of entry {} (#{}{at}), ignoring case",
                        first.label,
                        first.entry + 1
                    ),
                };
                problems.push(Problem::entry(line, &label, message));
                bad = true;
            } else {
                seen.insert(
                    folded,
                    Taken {
                        entry: i,
                        label: label.clone(),
                        line,
                        alias,
                    },
                );
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

/// `; did you mean "x"?` when a candidate is within a few edits of `input`, or nothing.
fn guess<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(input, candidates)
        .map(|g| format!("; did you mean {g:?}?"))
        .unwrap_or_default()
}
