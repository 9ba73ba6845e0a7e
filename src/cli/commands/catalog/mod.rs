//! `zpa-enricher catalog list | show CODE | export --format json|csv | stats`.

mod show;
mod stats;

use std::io::{self, Write};

use zpa_enricher::catalog::{Catalog, CatalogEntry, Category, Component, Severity, export};
use zpa_enricher::event::LogType;

pub(crate) use show::show;
pub(crate) use stats::{StatsFormat, stats};

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
    /// Only entries that name this log type; severity and component are then the code's in it.
    pub log_type: Option<LogType>,
}

impl ListFilter {
    /// The severity and component the table shows for `e`: in the filter's log type, if any.
    fn shown(&self, e: &CatalogEntry) -> (Severity, Component) {
        match self.log_type {
            Some(t) => (e.severity_in(t), e.component_in(t)),
            None => (e.severity, e.component),
        }
    }

    fn accepts(&self, e: &CatalogEntry) -> bool {
        let (severity, component) = self.shown(e);
        self.log_type.is_none_or(|t| e.log_types.contains(&t))
            && self.min_severity.is_none_or(|s| severity >= s)
            && self.component.is_none_or(|c| component == c)
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
        "{:<width$}  {:<8}  {:<24}  {:<12}  status",
        "code", "severity", "component", "category"
    )?;
    for e in &entries {
        let (severity, component) = filter.shown(e);
        writeln!(
            w,
            "{:<width$}  {:<8}  {:<24}  {:<12}  {}",
            e.code,
            severity.as_str(),
            component.as_str(),
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
