//! A JSON object's members in file order, with a key given twice kept twice, and the lines they
//! are on: for files where a repeated key must be reported rather than silently decided by its
//! last occurrence (most JSON parsers keep the last). Pure.

use std::fmt;

use serde::Deserialize;

use crate::line_index::LineIndex;

/// A borrowed raw JSON value.
pub(crate) type RawJson = serde_json::value::RawValue;

/// A JSON object's members in file order, a key given twice kept twice.
#[derive(Debug)]
pub(crate) struct Members<'a>(pub Vec<(String, &'a RawJson)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, &'de RawJson>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// A key given twice in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Repeated {
    /// The dotted path of the key (`output.mode`).
    pub(crate) path: String,
    /// The line of the second occurrence.
    pub(crate) line: Option<usize>,
    /// The line of the first.
    pub(crate) first: Option<usize>,
}

/// Every key given twice in any object of the JSON document `text`, at any depth (arrays are
/// looked into too). A document that does not parse gives none: its syntax error is reported
/// elsewhere.
#[must_use]
pub(crate) fn repeated_keys(text: &str) -> Vec<Repeated> {
    let mut found = Vec::new();
    if let Ok(raw) = serde_json::from_str::<&RawJson>(text) {
        walk(&LineIndex::new(text), raw, "", &mut found);
    }
    found
}

fn walk(lines: &LineIndex<'_>, raw: &RawJson, path: &str, found: &mut Vec<Repeated>) {
    let value = raw.get().trim_start();
    if value.starts_with('{') {
        let Ok(Members(members)) = serde_json::from_str::<Members<'_>>(raw.get()) else {
            return;
        };
        let mut seen: Vec<(&str, Option<usize>)> = Vec::new();
        for (key, child) in &members {
            let child_path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            let line = Some(lines.line_of_slice(child.get()));
            match seen.iter().find(|(k, _)| k == key) {
                Some((_, first)) => found.push(Repeated {
                    path: child_path.clone(),
                    line,
                    first: *first,
                }),
                None => seen.push((key, line)),
            }
            walk(lines, child, &child_path, found);
        }
    } else if value.starts_with('[')
        && let Ok(items) = serde_json::from_str::<Vec<&RawJson>>(raw.get())
    {
        for (i, item) in items.into_iter().enumerate() {
            walk(lines, item, &format!("{path}[{i}]"), found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_at_any_depth_with_lines() {
        let text = "{\n \"output\": {\n  \"mode\": \"flat\",\n  \"mode\": \"nested\"\n },\n \"a\": [{\"x\": 1, \"x\": 2}],\n \"output\": {}\n}";
        let found = repeated_keys(text);
        assert_eq!(
            found,
            vec![
                Repeated {
                    path: "output.mode".into(),
                    line: Some(4),
                    first: Some(3)
                },
                Repeated {
                    path: "a[0].x".into(),
                    line: Some(6),
                    first: Some(6)
                },
                Repeated {
                    path: "output".into(),
                    line: Some(7),
                    first: Some(2)
                },
            ]
        );
        assert!(repeated_keys("{\"a\": {\"b\": 1}, \"c\": 2}").is_empty());
        assert!(repeated_keys("{not json").is_empty());
    }
}
