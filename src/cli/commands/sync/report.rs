//! The report of `catalog sync` and `catalog diff`: text for people, grouped into new, changed
//! (old -> new per field) and removed codes with their counts, or one JSON object with stable
//! keys, `{"new": [...], "changed": [...], "removed": [...], "summary": {...}}`.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;
use zpa_enricher::catalog::CatalogEntry;
use zpa_enricher::catalog::diff::{ChangedCode, Diff, Summary};

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReportFormat {
    /// Grouped lines for people.
    Text,
    /// One JSON object.
    Json,
}

/// What was compared with what, for the text report's last line.
#[derive(Debug)]
pub(super) struct Heading {
    /// The older side (the active catalog, or the first file).
    pub(super) old: String,
    /// The newer side (the vendor's list, or the second file).
    pub(super) new: String,
}

/// Writes the report.
pub(super) fn write<W: Write>(
    diff: &Diff,
    heading: &Heading,
    format: ReportFormat,
    mut w: W,
) -> io::Result<()> {
    match format {
        ReportFormat::Json => {
            #[derive(Serialize)]
            struct Report<'a> {
                new: &'a [CatalogEntry],
                changed: &'a [ChangedCode],
                removed: &'a [CatalogEntry],
                summary: Summary,
            }
            serde_json::to_writer_pretty(
                &mut w,
                &Report {
                    new: &diff.new,
                    changed: &diff.changed,
                    removed: &diff.removed,
                    summary: diff.summary(),
                },
            )?;
            writeln!(w)?;
        }
        ReportFormat::Text => text(diff, heading, &mut w)?,
    }
    w.flush()
}

fn text<W: Write>(diff: &Diff, heading: &Heading, w: &mut W) -> io::Result<()> {
    let width = diff
        .new
        .iter()
        .map(|e| e.code.len())
        .chain(diff.changed.iter().map(|c| c.code.len()))
        .chain(diff.removed.iter().map(|e| e.code.len()))
        .max()
        .unwrap_or(0);
    if !diff.new.is_empty() {
        writeln!(w, "new ({}):", diff.new.len())?;
        for e in &diff.new {
            writeln!(w, "  + {:<width$}  {}  [{}]", e.code, e.status, about(e))?;
        }
    }
    if !diff.changed.is_empty() {
        writeln!(w, "changed ({}):", diff.changed.len())?;
        for c in &diff.changed {
            writeln!(w, "  ~ {:<width$}  {}", c.code, c.status)?;
            for change in &c.changes {
                writeln!(
                    w,
                    "      {}: {} -> {}",
                    change.field,
                    shown(&change.old),
                    shown(&change.new)
                )?;
            }
        }
    }
    if !diff.removed.is_empty() {
        writeln!(w, "removed ({}):", diff.removed.len())?;
        for e in &diff.removed {
            writeln!(w, "  - {:<width$}  {}  [{}]", e.code, e.status, about(e))?;
        }
    }
    let s = diff.summary();
    if diff.is_empty() {
        writeln!(w, "no differences: {} against {}", heading.old, heading.new)
    } else {
        writeln!(
            w,
            "{} new, {} changed, {} removed: {} against {}",
            s.new, s.changed, s.removed, heading.old, heading.new
        )
    }
}

/// The vendor's classification and the catalog's, in brackets after a code.
fn about(e: &CatalogEntry) -> String {
    let vendor = match (&e.vendor_status, &e.vendor_error_type) {
        (Some(s), Some(t)) => format!("{s}/{t}, "),
        (Some(s), None) => format!("{s}, "),
        _ => String::new(),
    };
    format!(
        "{vendor}severity {}, {}, {}",
        e.severity.as_str(),
        e.component.as_str(),
        e.category.as_str()
    )
}

/// A field's value: strings as they are, absent as `(none)`, others as JSON.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "(none)".to_owned(),
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zpa_enricher::catalog::diff::FieldChange;
    use zpa_enricher::catalog::{Category, Component, Severity};

    fn entry(code: &str) -> CatalogEntry {
        CatalogEntry {
            code: code.into(),
            status: format!("SE: {code}"),
            description: "D".into(),
            severity: Severity::High,
            component: Component::ServiceEdge,
            category: Category::Error,
            cause: None,
            remediation: None,
            vendor_status: Some("Error".into()),
            vendor_error_type: Some("InternalError".into()),
            aliases: Vec::new(),
            log_types: Vec::new(),
            retired: false,
            source: None,
            overrides: Vec::new(),
        }
    }

    fn sample() -> Diff {
        Diff {
            new: vec![entry("BRK_NEW")],
            changed: vec![ChangedCode {
                code: "CHANGED_CODE".into(),
                status: "SE: Changed".into(),
                changes: vec![FieldChange {
                    field: "vendor_error_type".into(),
                    old: Value::Null,
                    new: "NA".into(),
                }],
            }],
            removed: vec![entry("GONE")],
        }
    }

    fn heading() -> Heading {
        Heading {
            old: "catalog 1".into(),
            new: "3 codes of X".into(),
        }
    }

    #[test]
    fn text_groups_with_counts() {
        let mut out = Vec::new();
        write(&sample(), &heading(), ReportFormat::Text, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "new (1):\n\
             \x20 + BRK_NEW       SE: BRK_NEW  [Error/InternalError, severity high, Service Edge, error]\n\
             changed (1):\n\
             \x20 ~ CHANGED_CODE  SE: Changed\n\
             \x20     vendor_error_type: (none) -> \"NA\"\n\
             removed (1):\n\
             \x20 - GONE          SE: GONE  [Error/InternalError, severity high, Service Edge, error]\n\
             1 new, 1 changed, 1 removed: catalog 1 against 3 codes of X\n"
        );
        let mut out = Vec::new();
        write(&Diff::default(), &heading(), ReportFormat::Text, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "no differences: catalog 1 against 3 codes of X\n"
        );
    }

    #[test]
    fn json_has_the_four_keys_in_order() {
        let mut out = Vec::new();
        write(&sample(), &heading(), ReportFormat::Json, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["summary"]["new"], 1);
        assert_eq!(v["summary"]["changed"], 1);
        assert_eq!(v["summary"]["removed"], 1);
        assert_eq!(v["changed"][0]["changes"][0]["old"], Value::Null);
        let positions: Vec<usize> = ["\"new\"", "\"changed\"", "\"removed\"", "\"summary\""]
            .iter()
            .map(|k| text.find(k).unwrap())
            .collect();
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "{text}");
    }
}
