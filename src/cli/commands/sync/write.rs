//! `catalog sync --write FILE`: the new codes as a catalog file for `catalog.path` (mode
//! `extend`), which a running service picks up by its hot reload.
//!
//! An existing FILE must be a valid TOML catalog; its entries are kept. A new code is appended,
//! or replaces an entry of FILE for the same code that an earlier sync wrote; an entry written
//! by hand is never replaced. A code the report calls changed has its entry regenerated when an
//! earlier sync wrote it. So repeated syncs accumulate, and a file used as `catalog.path` stays
//! in step with the API. The file is rewritten whole (comments other than the marks are not
//! kept) and only when something is added or updated, or when it does not exist yet; the last
//! number of its `catalog_version` is counted up each time (`vendor-api.1`, `vendor-api.2`).
//!
//! The write is atomic: a temporary file in the same directory, synced, loaded back as a catalog
//! extending the built-in one, then renamed over FILE. On any failure FILE is as it was.
//!
//! Until catalog entries say where they come from, an entry the sync wrote is marked by the
//! comment [`SOURCE_MARK`] on the line before its `[[entry]]`; [`marked_codes`] reads the marks
//! back. Both are the one place to change when the entries gain that field.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use zpa_enricher::catalog::diff::Diff;
use zpa_enricher::catalog::vendor::VendorCode;
use zpa_enricher::catalog::{CatalogEntry, export, load};

use super::SyncError;

/// The comment above each entry the sync wrote (the future `source = "vendor_api"` field).
pub(super) const SOURCE_MARK: &str = "# source = \"vendor_api\"";

/// The version of a file the sync creates.
const FIRST_VERSION: &str = "vendor-api.1";

const HEADER: &str = "\
# Status codes from the vendor's LSS status-code API (ZPA management API), written by
# `zpa-enricher catalog sync --write`. Load this file as catalog.path with catalog.mode = \"extend\".
# Each sync keeps every entry and adds or updates the ones marked `source = \"vendor_api\"`.
# Before describing an entry by hand, delete its mark, or a later sync may replace your words.
";

/// The file to write, checked before the API is asked anything.
#[derive(Debug)]
pub(super) struct Target {
    path: PathBuf,
    /// Its version and entries, when it exists.
    existing: Option<(String, Vec<CatalogEntry>)>,
    /// Codes (lower case) of its entries an earlier sync wrote.
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
        let text = fs::read_to_string(path).map_err(|e| refuse(e.to_string()))?;
        Ok(Self {
            path: path.to_owned(),
            existing: Some((catalog.version().to_owned(), catalog.entries().to_vec())),
            marked: marked_codes(&text),
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
        let text = render(&version, &entries, &self.marked);
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

/// The codes (lower case) of the entries marked as written by the sync: a [`SOURCE_MARK`] line
/// before the `[[entry]]` header, the entry's `code = "..."` after it.
pub(super) fn marked_codes(text: &str) -> BTreeSet<String> {
    let mut marked = BTreeSet::new();
    let mut mark_seen = false;
    let mut in_marked_entry = false;
    for line in text.lines().map(str::trim) {
        if line == SOURCE_MARK {
            mark_seen = true;
        } else if line.starts_with('[') {
            in_marked_entry = mark_seen && line.starts_with("[[entry]]");
            mark_seen = false;
        } else if in_marked_entry && line.starts_with("code") {
            if let Ok(table) = toml::from_str::<toml::Table>(line)
                && let Some(code) = table.get("code").and_then(toml::Value::as_str)
            {
                marked.insert(code.to_ascii_lowercase());
            }
            in_marked_entry = false;
        } else if !line.is_empty() && !line.starts_with('#') && !in_marked_entry {
            mark_seen = false;
        }
    }
    marked
}

/// The file's text: header, version, and each entry, the marked ones after their mark.
fn render(version: &str, entries: &[CatalogEntry], marked: &BTreeSet<String>) -> String {
    let mut text = String::from(HEADER);
    text.push_str(&format!(
        "\ncatalog_version = {}\n",
        toml::Value::String(version.to_owned())
    ));
    for e in entries {
        text.push('\n');
        if marked.contains(&e.code.to_ascii_lowercase()) {
            text.push_str(SOURCE_MARK);
            text.push('\n');
        }
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
    fn marks_are_written_and_read_back() {
        let marked: BTreeSet<String> = ["brk_synced".to_owned()].into();
        let text = render("v.1", &[entry("BY_HAND"), entry("BRK_SYNCED")], &marked);
        assert!(text.starts_with("# Status codes from the vendor's"));
        assert_eq!(marked_codes(&text), marked);
        let back: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(back["catalog_version"].as_str(), Some("v.1"));
        assert_eq!(back["entry"].as_array().unwrap().len(), 2);
        // A mark that does not stand right before an entry marks nothing.
        let loose = format!("{SOURCE_MARK}\ncatalog_version = \"x\"\n[[entry]]\ncode = \"A\"\n");
        assert!(marked_codes(&loose).is_empty());
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
