//! Exporting the catalog for other tools: JSON (an array of entries) and CSV (a lookup table
//! for Splunk `inputlookup`/automatic lookups or a Vector `file` enrichment table).

use std::io::{self, Write};

use super::{Catalog, CatalogEntry};

/// CSV columns, in order. `catalog_version` repeats on every row so a lookup can return it.
pub const CSV_COLUMNS: [&str; 11] = [
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

/// Writes the catalog as RFC 4180 CSV with a header row. Empty cells stand for absent optional
/// fields.
///
/// # Errors
/// Only I/O errors from `w`.
pub fn write_csv<W: Write>(catalog: &Catalog, mut w: W) -> io::Result<()> {
    write_row(&mut w, CSV_COLUMNS.iter().copied())?;
    for e in catalog.entries() {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let cells = [
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
        ];
        write_row(&mut w, cells.iter().map(String::as_str))?;
    }
    Ok(())
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
    fn csv_quotes_cells_that_need_it() {
        let mut out = Vec::new();
        write_row(&mut out, ["a", "b,c", "say \"hi\"", ""].into_iter()).unwrap();
        assert_eq!(out, b"a,\"b,c\",\"say \"\"hi\"\"\",\r\n");
    }

    #[test]
    fn csv_has_a_header_and_one_row_per_entry() {
        let catalog = Catalog::builtin();
        let mut out = Vec::new();
        write_csv(&catalog, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("code,status,description,severity,"));
        // Descriptions never contain line breaks, so rows are lines.
        assert_eq!(text.lines().count(), catalog.len() + 1);
    }
}
