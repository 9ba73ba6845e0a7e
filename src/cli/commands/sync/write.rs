//! `catalog sync --write FILE`: the new codes as a catalog file for `catalog.path` (mode
//! `extend`), which a running service picks up by its hot reload.
//!
//! An existing FILE must be a valid TOML catalog; its entries are kept. A new code is appended,
//! or replaces an entry of FILE for the same code that an earlier sync wrote (its `source` is
//! `vendor_api`); an entry written by hand is never replaced. A code the report calls changed
//! has its entry regenerated when an earlier sync wrote it. So repeated syncs accumulate, and a
//! file used as `catalog.path` stays in step with the API. The file is rewritten whole
//! (comments are not kept) and only when something is added or updated, or when it does not
//! exist yet; the last number of its `catalog_version` is counted up each time
//! (`vendor-api.1`, `vendor-api.2`).
//!
//! The write is atomic: a temporary file in the same directory, synced, loaded back as a catalog
//! extending the built-in one, then renamed over FILE. On any failure FILE is as it was.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use zpa_enricher::catalog::diff::Diff;
use zpa_enricher::catalog::vendor::VendorCode;
use zpa_enricher::catalog::{CatalogEntry, EntrySource, export, load};

use super::SyncError;

/// The version of a file the sync creates.
const FIRST_VERSION: &str = "vendor-api.1";

const HEADER: &str = "\
# Status codes from the vendor's LSS status-code API (ZPA management API), written by
# `zpa-enricher catalog sync --write`. Load this file as catalog.path with catalog.mode = \"extend\".
# Each sync keeps every entry and adds or updates those with source = \"vendor_api\".
# Before describing an entry by hand, set its source to \"local\" (or delete the line), or a
# later sync may replace your words.
";

/// The file to write, checked before the API is asked anything.
#[derive(Debug)]
pub(super) struct Target {
    path: PathBuf,
    /// Its version and entries, when it exists.
    existing: Option<(String, Vec<CatalogEntry>)>,
    /// Codes (lower case) of its entries an earlier sync wrote: `source` `vendor_api`.
    marked: BTreeSet<String>,
}

impl Target {
    /// Checks that `path` can take a catalog: a `.toml` name in an existing directory, and a
    /// valid catalog if the file exists.
    pub(super) fn open(path: &Path) -> Result<Self, SyncError> {
        let refuse = |why: String| SyncError::Target {
            path: path.to_owned(),
            why,
        };
        if !path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("toml"))
        {
            return Err(refuse(
                "the file must end in .toml (the sync writes TOML)".into(),
            ));
        }
        let dir = parent(path);
        if !dir.is_dir() {
            return Err(refuse(format!(
                "the directory {} does not exist",
                dir.display()
            )));
        }
        if !path.exists() {
            return Ok(Self {
                path: path.to_owned(),
                existing: None,
                marked: BTreeSet::new(),
            });
        }
        if !path.is_file() {
            return Err(refuse("exists and is not a file".into()));
        }
        let catalog = load::file(path)?;
        Ok(Self {
            path: path.to_owned(),
            existing: Some((catalog.version().to_owned(), catalog.entries().to_vec())),
            marked: written_by_sync(catalog.entries()),
        })
    }

    /// Adds the new codes and updates the changed ones this sync owns, and writes the file if
    /// that changed anything (or the file does not exist yet).
    pub(super) fn apply(mut self, diff: &Diff, codes: &[VendorCode]) -> Result<(), SyncError> {
        let (version, mut entries) = self
            .existing
            .take()
            .unwrap_or_else(|| (String::new(), Vec::new()));
        let exists = !version.is_empty();
        let (mut added, mut updated, mut kept) = (0, 0, 0);
        let find = |entries: &[CatalogEntry], code: &str| {
            entries
                .iter()
                .position(|e| e.code.eq_ignore_ascii_case(code))
        };
        for entry in &diff.new {
            let key = entry.code.to_ascii_lowercase();
            match find(&entries, &entry.code) {
                Some(i) if self.marked.contains(&key) => {
                    entries[i] = entry.clone();
                    updated += 1;
                }
                Some(_) => kept += 1,
                None => {
                    entries.push(entry.clone());
                    self.marked.insert(key);
                    added += 1;
                }
            }
        }
        for changed in &diff.changed {
            let key = changed.code.to_ascii_lowercase();
            let vendor = codes.iter().find(|c| c.code.eq_ignore_ascii_case(&key));
            if let (Some(i), Some(vendor), true) =
                (find(&entries, &key), vendor, self.marked.contains(&key))
            {
                entries[i] = vendor.to_entry();
                updated += 1;
            }
        }
        if kept > 0 {
            tracing::warn!(
                file = %self.path.display(),
                codes = kept,
                "entries written by hand for new codes were left as they are"
            );
        }
        if exists && added + updated == 0 {
            tracing::info!(file = %self.path.display(), "nothing to add or update; the file is unchanged");
            return Ok(());
        }
        let version = if exists {
            next_version(&version)
        } else {
            FIRST_VERSION.to_owned()
        };
        let text = render(&version, &entries);
        write_atomically(&self.path, &text)?;
        tracing::info!(
            file = %self.path.display(),
            added,
            updated,
            entries = entries.len(),
            catalog_version = %version,
            "wrote the catalog file"
        );
        Ok(())
    }
}

/// The directory of `path` (the working directory for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The version with its last number counted up (`vendor-api.3` to `vendor-api.4`, `site-9` to
/// `site-10`), or `.1` appended when it ends in none.
fn next_version(version: &str) -> String {
    let digits = version.len() - version.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, number) = version.split_at(version.len() - digits);
    match number.parse::<u64>() {
        Ok(n) => format!("{head}{}", n.saturating_add(1)),
        Err(_) => format!("{version}.1"),
    }
}

/// The codes (lower case) of the entries an earlier sync wrote: those whose `source` is
/// `vendor_api`.
fn written_by_sync(entries: &[CatalogEntry]) -> BTreeSet<String> {
    entries
        .iter()
        .filter(|e| e.source == Some(EntrySource::VendorApi))
        .map(|e| e.code.to_ascii_lowercase())
        .collect()
}

/// The file's text: header, version, and each entry.
fn render(version: &str, entries: &[CatalogEntry]) -> String {
    let mut text = String::from(HEADER);
    text.push_str(&format!(
        "\ncatalog_version = {}\n",
        toml::Value::String(version.to_owned())
    ));
    for e in entries {
        text.push('\n');
        text.push_str(&export::toml_entry(e));
    }
    text
}

/// Writes `text` to `path` through a temporary file in the same directory: synced, checked to
/// load as a catalog extending the built-in one, then renamed over `path`. On any failure the
/// temporary file is removed and `path` is as it was.
fn write_atomically(path: &Path, text: &str) -> Result<(), SyncError> {
    let dir = parent(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.{}.tmp.toml", std::process::id()));
    let failed = |source: io::Error| SyncError::Write {
        path: path.to_owned(),
        source,
    };
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)
            .map_err(failed)?;
        if let Ok(existing) = fs::metadata(path) {
            file.set_permissions(existing.permissions())
                .map_err(failed)?;
        }
        file.write_all(text.as_bytes()).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        drop(file);
        // What the service will load: checked before it replaces anything.
        load::load(Some(&temporary), false).map_err(|source| SyncError::Unloadable {
            path: path.to_owned(),
            source,
        })?;
        fs::rename(&temporary, path).map_err(failed)?;
        // The rename itself is durable once the directory is synced.
        File::open(dir).and_then(|d| d.sync_all()).map_err(failed)
    })();
    if result.is_err() {
        // Nothing sensible is left to do if the temporary file cannot be removed either.
        let _ignored = fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use zpa_enricher::catalog::{Category, Component, Severity};

    fn entry(code: &str) -> CatalogEntry {
        CatalogEntry {
            code: code.into(),
            status: format!("SE: {code}"),
            description: "A \"quoted\" description.".into(),
            severity: Severity::High,
            component: Component::ServiceEdge,
            category: Category::Error,
            cause: None,
            remediation: Some("Line one.".into()),
            vendor_status: Some("Error".into()),
            vendor_error_type: Some("InternalError".into()),
            aliases: Vec::new(),
            log_types: Vec::new(),
            retired: false,
            source: None,
            overrides: Vec::new(),
        }
    }

    #[test]
    fn versions_count_up() {
        assert_eq!(next_version("vendor-api.1"), "vendor-api.2");
        assert_eq!(next_version("site-9"), "site-10");
        assert_eq!(next_version("2026.11.0"), "2026.11.1");
        assert_eq!(next_version("local"), "local.1");
    }

    #[test]
    fn the_source_field_tells_the_entries_a_sync_wrote() {
        let synced = CatalogEntry {
            source: Some(EntrySource::VendorApi),
            ..entry("BRK_SYNCED")
        };
        let local = CatalogEntry {
            source: Some(EntrySource::Local),
            ..entry("BRK_LOCAL")
        };
        let entries = [entry("BY_HAND"), synced, local];
        let text = render("v.1", &entries);
        assert!(text.starts_with("# Status codes from the vendor's"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.toml");
        fs::write(&path, &text).unwrap();
        // Read back as a catalog file: the same entries, and only the synced one is the sync's.
        let back = load::file(&path).unwrap();
        assert_eq!(back.version(), "v.1");
        assert_eq!(back.entries(), entries);
        assert_eq!(
            written_by_sync(back.entries()),
            BTreeSet::from(["brk_synced".to_owned()])
        );
    }

    #[test]
    fn a_failed_write_leaves_the_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vendor.toml");
        fs::write(&path, "catalog_version = \"old\"\n").unwrap();
        // Text that is not a catalog is refused after it was written to the temporary file.
        let err = write_atomically(&path, "catalog_version = \n").unwrap_err();
        assert!(matches!(err, SyncError::Unloadable { .. }), "{err:?}");
        assert!(!err.is_usage());
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "catalog_version = \"old\"\n"
        );
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["vendor.toml"]);
    }
}
