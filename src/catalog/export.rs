//! Exporting the catalog for other tools: JSON (an array of entries) and CSV (a lookup table
//! for Splunk `inputlookup`/automatic lookups or a Vector `file` enrichment table).
//!
//! The CSV has one row per spelling, so that a lookup by the logged code finds an alias too:
//! an alias's row repeats its entry with the alias as `code` and the entry's code as
//! `alias_of`. Lists are joined with `;` (`log_types`, `aliases`), and each override is
//! `log_type:severity:component` with an empty part for what it leaves as it is; no value of
//! these fields contains `;` or `:`.

use std::io::{self, Write};

use super::{Catalog, CatalogEntry, Component, Severity};

/// CSV columns, in order. `catalog_version` repeats on every row so a lookup can return it; the
/// columns after it came later and follow it so that readers by position keep working.
pub const CSV_COLUMNS: [&str; 17] = [
    "code",
    "status",
    "description",
    "severity",
    "component",
    "category",
    "cause",
    "remediation",
    "vendor_status",
    "vendor_error_type",
    "catalog_version",
    "aliases",
    "alias_of",
    "log_types",
    "retired",
    "overrides",
    "source",
];

/// Writes the catalog as a JSON array of entries (every field, absent optional fields omitted),
/// each with the catalog version.
///
/// # Errors
/// Only I/O errors from `w`.
pub fn write_json<W: Write>(catalog: &Catalog, mut w: W) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Row<'a> {
        #[serde(flatten)]
        entry: &'a CatalogEntry,
        catalog_version: &'a str,
    }
    let rows: Vec<Row<'_>> = catalog
        .entries()
        .iter()
        .map(|entry| Row {
            entry,
            catalog_version: catalog.version(),
        })
        .collect();
    serde_json::to_writer_pretty(&mut w, &rows)?;
    w.write_all(b"\n")
}

/// Writes the catalog as RFC 4180 CSV with a header row: a row per entry, followed by a row per
/// alias of it (see the module documentation). Empty cells stand for absent optional fields.
///
/// # Errors
/// Only I/O errors from `w`.
pub fn write_csv<W: Write>(catalog: &Catalog, mut w: W) -> io::Result<()> {
    write_row(&mut w, CSV_COLUMNS.iter().copied())?;
    for e in catalog.entries() {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut cells = [
            e.code.clone(),
            e.status.clone(),
            e.description.clone(),
            e.severity.to_string(),
            e.component.to_string(),
            e.category.to_string(),
            e.cause.map(|c| c.to_string()).unwrap_or_default(),
            opt(&e.remediation),
            opt(&e.vendor_status),
            opt(&e.vendor_error_type),
            catalog.version().to_owned(),
            e.aliases.join(";"),
            String::new(),
            e.log_types
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            e.retired.to_string(),
            csv_overrides(e),
            e.source.map(|s| s.to_string()).unwrap_or_default(),
        ];
        write_row(&mut w, cells.iter().map(String::as_str))?;
        for alias in &e.aliases {
            cells[0].clone_from(alias);
            cells[11].clear();
            cells[12].clone_from(&e.code);
            write_row(&mut w, cells.iter().map(String::as_str))?;
        }
    }
    Ok(())
}

/// The overrides of an entry as one CSV cell: `log_type:severity:component`, `;`-joined.
fn csv_overrides(e: &CatalogEntry) -> String {
    e.overrides
        .iter()
        .map(|o| {
            format!(
                "{}:{}:{}",
                o.log_type.as_str(),
                o.severity.map(Severity::as_str).unwrap_or_default(),
                o.component.map(Component::as_str).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// One entry as TOML for a catalog file: its `[[entry]]` header and keys, then an
/// `[[entry.overrides]]` table per override (serialising the entry alone would put those tables
/// at the top level of the file).
///
/// # Panics
/// Never: an entry holds only strings, booleans and lists of them.
#[must_use]
pub fn toml_entry(e: &CatalogEntry) -> String {
    let keys = CatalogEntry {
        overrides: Vec::new(),
        ..e.clone()
    };
    let mut text = String::from("[[entry]]\n");
    text.push_str(&toml::to_string(&keys).expect("a catalog entry serialises to TOML"));
    for o in &e.overrides {
        text.push_str("\n[[entry.overrides]]\n");
        text.push_str(&toml::to_string(o).expect("an override serialises to TOML"));
    }
    text
}

fn write_row<'a, W: Write>(w: &mut W, cells: impl Iterator<Item = &'a str>) -> io::Result<()> {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        if cell.contains([',', '"', '\n', '\r']) {
            w.write_all(b"\"")?;
            w.write_all(cell.replace('"', "\"\"").as_bytes())?;
            w.write_all(b"\"")?;
        } else {
            w.write_all(cell.as_bytes())?;
        }
    }
    // CRLF is what RFC 4180 specifies and what Splunk writes for its own lookups.
    w.write_all(b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_entries_load_back_with_their_overrides() {
        let catalog = Catalog::builtin();
        let mut text = format!("catalog_version = {:?}\n", catalog.version());
        for e in catalog.entries() {
            text.push('\n');
            text.push_str(&toml_entry(e));
        }
        let file = super::super::load::parse_toml(&text, "t.toml").unwrap();
        assert_eq!(file.entries, catalog.entries());
        assert!(file.entries.iter().any(|e| !e.overrides.is_empty()));
    }

    #[test]
    fn csv_quotes_cells_that_need_it() {
        let mut out = Vec::new();
        write_row(&mut out, ["a", "b,c", "say \"hi\"", ""].into_iter()).unwrap();
        assert_eq!(out, b"a,\"b,c\",\"say \"\"hi\"\"\",\r\n");
    }

    #[test]
    fn csv_has_a_header_and_one_row_per_spelling() {
        let catalog = Catalog::builtin();
        let mut out = Vec::new();
        write_csv(&catalog, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("code,status,description,severity,"));
        let spellings: usize = catalog
            .entries()
            .iter()
            .map(|e| e.spellings().count())
            .sum();
        assert!(spellings > catalog.len());
        // Descriptions never contain line breaks, so rows are lines.
        assert_eq!(text.lines().count(), spellings + 1);
    }

    #[test]
    fn csv_lists_and_overrides_are_joined_with_semicolons() {
        use crate::catalog::LogTypeOverride;
        use crate::event::LogType;
        let mut e = Catalog::builtin().entries()[0].clone();
        e.overrides = vec![
            LogTypeOverride {
                log_type: LogType::AppConnectorStatus,
                severity: Some(Severity::High),
                component: None,
            },
            LogTypeOverride {
                log_type: LogType::PrivateServiceEdgeStatus,
                severity: None,
                component: Some(Component::PrivateServiceEdge),
            },
        ];
        assert_eq!(
            csv_overrides(&e),
            "app_connector_status:high:;private_service_edge_status::Private Service Edge"
        );
        // No value of a joined field can contain a separator.
        for text in Severity::ALL
            .iter()
            .map(|s| s.as_str())
            .chain(Component::ALL.iter().map(|c| c.as_str()))
            .chain(LogType::ALL.iter().map(|t| t.as_str()))
        {
            assert!(!text.contains([';', ':']), "{text}");
        }
    }
}
