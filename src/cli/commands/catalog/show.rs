//! `zpa-enricher catalog show CODE`: everything about one code, found by its code or an alias.

use std::io::{self, Write};

use zpa_enricher::catalog::{Catalog, CatalogEntry};
use zpa_enricher::spelling::edit_distance;

/// Prints one entry, found by its code or an alias (and says which alias). Returns false (after
/// printing suggestions to `err`) when no entry has that spelling.
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
        // Every spelling: codes and aliases.
        let codes = || catalog.entries().iter().flat_map(CatalogEntry::spellings);
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
    // Found by an alias rather than the code (letter case aside).
    let alias = e
        .aliases
        .iter()
        .find(|a| a.eq_ignore_ascii_case(code.trim()))
        .filter(|_| !e.code.eq_ignore_ascii_case(code.trim()));
    if json {
        let mut value = serde_json::to_value(e)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("catalog_version".into(), catalog.version().into());
            if let Some(alias) = alias {
                object.insert("found_by_alias".into(), alias.as_str().into());
            }
        }
        serde_json::to_writer_pretty(&mut w, &value)?;
        writeln!(w)?;
        return Ok(true);
    }
    if let Some(alias) = alias {
        writeln!(w, "{alias} is an alias of {}\n", e.code)?;
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
    if !e.aliases.is_empty() {
        row("aliases", &e.aliases.join(", "))?;
    }
    if !e.log_types.is_empty() {
        let names: Vec<&str> = e.log_types.iter().map(|t| t.as_str()).collect();
        row("log_types", &names.join(", "))?;
    }
    row("retired", if e.retired { "true" } else { "false" })?;
    if let Some(s) = e.source {
        row("source", s.as_str())?;
    }
    for (i, o) in e.overrides.iter().enumerate() {
        let mut set = Vec::new();
        if let Some(s) = o.severity {
            set.push(format!("severity {s}"));
        }
        if let Some(c) = o.component {
            set.push(format!("component {c}"));
        }
        row(
            if i == 0 { "overrides" } else { "" },
            &format!("in {}: {}", o.log_type, set.join(", ")),
        )?;
    }
    row("catalog_version", catalog.version())?;
    Ok(true)
}
