//! `zpa-enricher catalog stats`: how the catalog's entries divide by severity, category,
//! component, cause, vendor status, log type, retired and source.

use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, Serializer};

use zpa_enricher::catalog::{
    Catalog, CatalogEntry, Category, Cause, Component, ENTRY_LOG_TYPES, EntrySource, Severity,
};

/// The label of entries without a value for an optional field.
const NONE: &str = "(none)";

/// Output formats of `catalog stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StatsFormat {
    /// Aligned tables with shares.
    Text,
    /// One JSON object with stable keys.
    Json,
}

/// One way of dividing the entries: its name, and the number of entries of each value, in a
/// fixed order (every value of a closed vocabulary, zeros included).
#[derive(Debug)]
struct Group {
    name: &'static str,
    counts: Vec<(String, usize)>,
    /// True when an entry can count under several values (log types), so shares do not add up
    /// to 100%.
    overlapping: bool,
}

impl Group {
    /// Counts the entries by a closed vocabulary, plus those without a value when `optional`.
    fn closed<T: Copy + PartialEq>(
        name: &'static str,
        entries: &[CatalogEntry],
        all: &[T],
        as_str: fn(T) -> &'static str,
        value: impl Fn(&CatalogEntry) -> Option<T>,
        optional: bool,
    ) -> Self {
        let mut counts: Vec<(String, usize)> = all
            .iter()
            .map(|v| {
                let n = entries.iter().filter(|e| value(e) == Some(*v)).count();
                (as_str(*v).to_owned(), n)
            })
            .collect();
        if optional {
            let none = entries.iter().filter(|e| value(e).is_none()).count();
            counts.push((NONE.to_owned(), none));
        }
        Self {
            name,
            counts,
            overlapping: false,
        }
    }
}

/// Every group of the catalog, in the order they are shown.
fn groups(catalog: &Catalog) -> Vec<Group> {
    let entries = catalog.entries();
    let mut vendor: Vec<(String, usize)> = Vec::new();
    for e in entries {
        if let Some(s) = &e.vendor_status {
            match vendor.iter_mut().find(|(v, _)| v == s) {
                Some((_, n)) => *n += 1,
                None => vendor.push((s.clone(), 1)),
            }
        }
    }
    // Free text: most frequent first, then by name, so that the order is stable.
    vendor.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let without = entries.iter().filter(|e| e.vendor_status.is_none()).count();
    vendor.push((NONE.to_owned(), without));

    let mut log_types: Vec<(String, usize)> = ENTRY_LOG_TYPES
        .iter()
        .map(|t| {
            let n = entries.iter().filter(|e| e.log_types.contains(t)).count();
            (t.as_str().to_owned(), n)
        })
        .collect();
    let unstated = entries.iter().filter(|e| e.log_types.is_empty()).count();
    log_types.push((NONE.to_owned(), unstated));

    let retired = entries.iter().filter(|e| e.retired).count();
    vec![
        Group::closed(
            "severity",
            entries,
            Severity::ALL,
            Severity::as_str,
            |e| Some(e.severity),
            false,
        ),
        Group::closed(
            "category",
            entries,
            Category::ALL,
            Category::as_str,
            |e| Some(e.category),
            false,
        ),
        Group::closed(
            "component",
            entries,
            Component::ALL,
            Component::as_str,
            |e| Some(e.component),
            false,
        ),
        Group::closed(
            "cause",
            entries,
            Cause::ALL,
            Cause::as_str,
            |e| e.cause,
            true,
        ),
        Group {
            name: "vendor_status",
            counts: vendor,
            overlapping: false,
        },
        Group {
            name: "log_type",
            counts: log_types,
            overlapping: true,
        },
        Group {
            name: "retired",
            counts: vec![
                ("false".to_owned(), entries.len() - retired),
                ("true".to_owned(), retired),
            ],
            overlapping: false,
        },
        Group::closed(
            "source",
            entries,
            EntrySource::ALL,
            EntrySource::as_str,
            |e| e.source,
            true,
        ),
    ]
}

/// Writes the statistics of `catalog` in `format`.
///
/// # Errors
/// Only I/O errors.
pub(crate) fn stats<W: Write>(catalog: &Catalog, format: StatsFormat, w: W) -> io::Result<()> {
    match format {
        StatsFormat::Text => write_text(catalog, w),
        StatsFormat::Json => write_json(catalog, w),
    }
}

/// The counts that are not a division of the entries: aliases and overrides.
fn totals(catalog: &Catalog) -> (usize, usize, usize) {
    let entries = catalog.entries();
    let aliases = entries.iter().map(|e| e.aliases.len()).sum();
    let with_overrides = entries.iter().filter(|e| !e.overrides.is_empty()).count();
    let overrides = entries.iter().map(|e| e.overrides.len()).sum();
    (aliases, with_overrides, overrides)
}

fn write_text<W: Write>(catalog: &Catalog, mut w: W) -> io::Result<()> {
    let total = catalog.len();
    let (aliases, with_overrides, overrides) = totals(catalog);
    writeln!(
        w,
        "catalog version {}: {}, {}, {} in {}",
        catalog.version(),
        counted(total, "entry", "entries"),
        counted(aliases, "alias", "aliases"),
        counted(overrides, "override", "overrides"),
        counted(with_overrides, "entry", "entries"),
    )?;
    writeln!(
        w,
        "(by each entry's own severity and component; `catalog list --log-type T` applies the \
         overrides of T)"
    )?;
    for group in groups(catalog) {
        let width = group
            .counts
            .iter()
            .map(|(v, _)| v.len())
            .chain([group.name.len()])
            .max()
            .unwrap_or(0);
        writeln!(w)?;
        writeln!(
            w,
            "{:<width$}  {:>7}  {:>6}",
            group.name, "entries", "share"
        )?;
        for (value, n) in &group.counts {
            writeln!(w, "{value:<width$}  {n:>7}  {:>6}", share(*n, total))?;
        }
        if group.overlapping {
            writeln!(w, "(an entry can name several log types)")?;
        }
    }
    Ok(())
}

/// `n` with the noun in singular or plural.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `n` of `total` as a percentage with one decimal.
fn share(n: usize, total: usize) -> String {
    if total == 0 {
        return "-".to_owned();
    }
    // Catalogs hold far fewer entries than f64 represents exactly.
    #[allow(clippy::cast_precision_loss)]
    let percent = n as f64 * 100.0 / total as f64;
    format!("{percent:.1}%")
}

/// A group's counts as a JSON object, in the group's order (whatever map type `serde_json` is
/// built with).
struct Counts<'a>(&'a [(String, usize)]);

impl Serialize for Counts<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (value, n) in self.0 {
            map.serialize_entry(value, n)?;
        }
        map.end()
    }
}

/// The whole JSON document, in a fixed key order.
struct Document<'a> {
    catalog: &'a Catalog,
    groups: &'a [Group],
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (aliases, with_overrides, overrides) = totals(self.catalog);
        let mut map = s.serialize_map(Some(5 + self.groups.len()))?;
        map.serialize_entry("catalog_version", self.catalog.version())?;
        map.serialize_entry("entries", &self.catalog.len())?;
        map.serialize_entry("aliases", &aliases)?;
        map.serialize_entry("entries_with_overrides", &with_overrides)?;
        map.serialize_entry("overrides", &overrides)?;
        for g in self.groups {
            map.serialize_entry(g.name, &Counts(&g.counts))?;
        }
        map.end()
    }
}

fn write_json<W: Write>(catalog: &Catalog, mut w: W) -> io::Result<()> {
    let groups = groups(catalog);
    serde_json::to_writer_pretty(
        &mut w,
        &Document {
            catalog,
            groups: &groups,
        },
    )?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_closed_group_adds_up_to_the_entries() {
        let catalog = Catalog::builtin();
        for g in groups(&catalog) {
            let sum: usize = g.counts.iter().map(|(_, n)| n).sum();
            if g.overlapping {
                assert!(sum >= catalog.len(), "{}", g.name);
            } else {
                assert_eq!(sum, catalog.len(), "{}", g.name);
            }
        }
    }

    #[test]
    fn shares_have_one_decimal() {
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(0, 3), "0.0%");
        assert_eq!(share(3, 3), "100.0%");
        assert_eq!(share(0, 0), "-");
    }
}
