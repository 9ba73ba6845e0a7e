//! `zpa-enricher catalog list | show CODE | export --format json|csv`.

use std::io::{self, Write};

use zpa_enricher::catalog::{Catalog, CatalogEntry, Category, Component, Severity, export};
use zpa_enricher::spelling::edit_distance;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    /// A JSON array of entries.
    Json,
    /// CSV with a header row (Splunk lookup, Vector enrichment table).
    Csv,
}

/// Filters for `catalog list`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListFilter {
    /// Only entries at or above this severity.
    pub min_severity: Option<Severity>,
    /// Only entries of this component.
    pub component: Option<Component>,
    /// Only entries of this category.
    pub category: Option<Category>,
}

impl ListFilter {
    fn accepts(&self, e: &CatalogEntry) -> bool {
        self.min_severity.is_none_or(|s| e.severity >= s)
            && self.component.is_none_or(|c| e.component == c)
            && self.category.is_none_or(|c| e.category == c)
    }
}

/// Prints a table of entries.
///
/// # Errors
/// Only I/O errors.
pub(crate) fn list<W: Write>(catalog: &Catalog, filter: &ListFilter, mut w: W) -> io::Result<()> {
    let entries: Vec<&CatalogEntry> = catalog
        .entries()
        .iter()
        .filter(|e| filter.accepts(e))
        .collect();
    let width = entries
        .iter()
        .map(|e| e.code.len())
        .max()
        .unwrap_or(4)
        .max(4);
    writeln!(
        w,
        "{:<width$}  {:<8}  {:<20}  {:<12}  status",
        "code", "severity", "component", "category"
    )?;
    for e in &entries {
        writeln!(
            w,
            "{:<width$}  {:<8}  {:<20}  {:<12}  {}",
            e.code,
            e.severity.as_str(),
            e.component.as_str(),
            e.category.as_str(),
            e.status
        )?;
    }
    writeln!(
        w,
        "{} of {} entries, catalog version {}",
        entries.len(),
        catalog.len(),
        catalog.version()
    )
}

/// Prints one entry. Returns false (after printing suggestions to `err`) when the code is not
/// in the catalog.
///
/// # Errors
/// Only I/O errors.
pub(crate) fn show<W: Write, E: Write>(
    catalog: &Catalog,
    code: &str,
    json: bool,
    mut w: W,
    mut err: E,
) -> io::Result<bool> {
    /// Codes containing the input that are listed at most.
    const SHOWN: usize = 10;
    let Some(e) = catalog.get(code.trim()) else {
        writeln!(
            err,
            "error: {code:?} is not in the catalog (version {})",
            catalog.version()
        )?;
        let needle = code.trim().to_ascii_lowercase();
        let codes = || catalog.entries().iter().map(|e| e.code.as_str());
        // Misspellings: the codes within a few edits, nearest first.
        let most = (needle.len() / 8).max(2);
        let mut near: Vec<(usize, &str)> = codes()
            .map(|c| (edit_distance(&needle, &c.to_ascii_lowercase()), c))
            .filter(|(d, _)| *d <= most)
            .collect();
        near.sort_unstable();
        if !near.is_empty() {
            let names: Vec<&str> = near.iter().take(5).map(|(_, c)| *c).collect();
            writeln!(err, "did you mean: {}", names.join(", "))?;
        }
        // Fragments: the codes that contain it.
        let containing: Vec<&str> = codes()
            .filter(|c| !needle.is_empty() && c.to_ascii_lowercase().contains(&needle))
            .filter(|c| !near.iter().any(|(_, n)| n == c))
            .collect();
        if !containing.is_empty() {
            let more = containing.len().saturating_sub(SHOWN);
            writeln!(
                err,
                "codes containing {code:?}: {}{}",
                containing[..containing.len().min(SHOWN)].join(", "),
                if more > 0 {
                    format!(", and {more} more (`zpa-enricher catalog list` lists every code)")
                } else {
                    String::new()
                }
            )?;
        }
        return Ok(false);
    };
    if json {
        let mut value = serde_json::to_value(e)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("catalog_version".into(), catalog.version().into());
        }
        serde_json::to_writer_pretty(&mut w, &value)?;
        writeln!(w)?;
        return Ok(true);
    }
    let mut row = |k: &str, v: &str| writeln!(w, "{k:<18} {v}");
    row("code", &e.code)?;
    row("status", &e.status)?;
    row("description", &e.description)?;
    row("severity", e.severity.as_str())?;
    row("component", e.component.as_str())?;
    row("category", e.category.as_str())?;
    if let Some(c) = e.cause {
        row("cause", c.as_str())?;
    }
    if let Some(r) = &e.remediation {
        row("remediation", r)?;
    }
    if let Some(s) = &e.vendor_status {
        row("vendor_status", s)?;
    }
    if let Some(t) = &e.vendor_error_type {
        row("vendor_error_type", t)?;
    }
    row("catalog_version", catalog.version())?;
    Ok(true)
}

/// Writes the catalog in `format`.
///
/// # Errors
/// Only I/O errors.
pub(crate) fn export<W: Write>(catalog: &Catalog, format: ExportFormat, w: W) -> io::Result<()> {
    match format {
        ExportFormat::Json => export::write_json(catalog, w),
        ExportFormat::Csv => export::write_csv(catalog, w),
    }
}
