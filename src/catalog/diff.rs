//! What differs between the catalog and the vendor's list of codes ([`against_vendor`]), or
//! between two catalogs ([`between`]): new codes, changed codes (field by field) and removed
//! codes. Pure; the report's shape ([`Diff`]) is what `catalog sync` and `catalog diff` print.
//!
//! Against the vendor's list, a code counts as:
//! - **new** when the catalog has no entry for it (codes are compared ignoring letter case, as
//!   lookups are);
//! - **changed** when the vendor's title differs from the entry's `status` (compared without
//!   letter case, runs of white space or a final full stop, and only when the API gives a
//!   title), or its status or error type differs from the entry's `vendor_status` or
//!   `vendor_error_type` (ignoring letter case; `NA` and absent are the same);
//! - **removed** when the catalog knows it from the API (the entry has a `vendor_status`, which
//!   only the API gives) and the API no longer lists it, by its code or an alias. Codes the
//!   catalog has from the help pages only were never in the API's list, so their absence says
//!   nothing.
//!
//! Between two catalogs, every field of an entry is compared.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::export;
use super::vendor::{VendorCode, same_title, same_vendor_value};
use super::{Catalog, CatalogEntry};

/// The differences, each list in the order of the codes.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Diff {
    /// Codes only the newer side has: against the vendor, the entries `--write` would add.
    pub new: Vec<CatalogEntry>,
    /// Codes both sides have, with the fields that differ.
    pub changed: Vec<ChangedCode>,
    /// Codes the newer side no longer has: the catalog's entries for them.
    pub removed: Vec<CatalogEntry>,
}

/// A code whose fields differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedCode {
    /// The code, as the older side spells it.
    pub code: String,
    /// The older side's title of the code, to tell the reader which code it is.
    pub status: String,
    /// Each field that differs, in the catalog's field order.
    pub changes: Vec<FieldChange>,
}

/// One field's old and new value (`null` when the side has none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// The catalog field (`status`, `vendor_status`, `severity`, ...).
    pub field: String,
    /// The older side's value.
    pub old: Value,
    /// The newer side's value.
    pub new: Value,
}

/// How many codes each list has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// New codes.
    pub new: usize,
    /// Changed codes.
    pub changed: usize,
    /// Removed codes.
    pub removed: usize,
}

impl Diff {
    /// True when nothing differs.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.new.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }

    /// The counts.
    #[must_use]
    pub fn summary(&self) -> Summary {
        Summary {
            new: self.new.len(),
            changed: self.changed.len(),
            removed: self.removed.len(),
        }
    }
}

/// What to compare against the vendor's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorDiffOptions {
    /// Compare the vendor's titles with the entries' `status` titles. The built-in catalog takes
    /// its titles from the help pages, whose wording differs from the API's for some codes.
    pub titles: bool,
}

impl Default for VendorDiffOptions {
    fn default() -> Self {
        Self { titles: true }
    }
}

/// The catalog's fields in the order they are reported (the first columns of the CSV export,
/// up to `vendor_error_type`); fields a later catalog adds come after them, by name.
const FIELD_ORDER: &[&str] = export::CSV_COLUMNS.split_at(10).0;

/// Compares the catalog with the vendor's list of codes (see the module documentation for what
/// counts as new, changed and removed).
#[must_use]
pub fn against_vendor(catalog: &Catalog, codes: &[VendorCode], options: VendorDiffOptions) -> Diff {
    let mut diff = Diff::default();
    let mut listed = BTreeSet::new();
    for v in codes {
        listed.insert(v.code.to_ascii_lowercase());
        let Some(entry) = catalog.get(&v.code) else {
            diff.new.push(v.to_entry());
            continue;
        };
        let mut changes = Vec::new();
        if options.titles
            && let Some(title) = &v.title
            && !same_title(title, &entry.status)
        {
            changes.push(change("status", Some(&entry.status), Some(title)));
        }
        for (field, old, new) in [
            ("vendor_status", &entry.vendor_status, &v.status),
            ("vendor_error_type", &entry.vendor_error_type, &v.error_type),
        ] {
            if !same_vendor_value(old.as_deref(), new.as_deref()) {
                changes.push(change(field, old.as_ref(), new.as_ref()));
            }
        }
        if !changes.is_empty() {
            diff.changed.push(ChangedCode {
                code: entry.code.clone(),
                status: entry.status.clone(),
                changes,
            });
        }
    }
    diff.removed = catalog
        .entries()
        .iter()
        .filter(|e| {
            // An entry the API lists under one of its aliases is still listed.
            e.vendor_status.is_some()
                && !e
                    .spellings()
                    .any(|s| listed.contains(&s.to_ascii_lowercase()))
        })
        .cloned()
        .collect();
    sort(&mut diff);
    diff
}

/// Compares two catalogs: codes only `new` has, codes only `old` has, and every field of the
/// codes both have.
#[must_use]
pub fn between(old: &Catalog, new: &Catalog) -> Diff {
    let mut diff = Diff::default();
    for before in old.entries() {
        let Some(after) = new.get(&before.code) else {
            diff.removed.push(before.clone());
            continue;
        };
        let changes = field_changes(before, after);
        if !changes.is_empty() {
            diff.changed.push(ChangedCode {
                code: before.code.clone(),
                status: before.status.clone(),
                changes,
            });
        }
    }
    diff.new = new
        .entries()
        .iter()
        .filter(|e| old.get(&e.code).is_none())
        .cloned()
        .collect();
    sort(&mut diff);
    diff
}

fn change(field: &str, old: Option<&String>, new: Option<&String>) -> FieldChange {
    let value = |v: Option<&String>| v.map_or(Value::Null, |s| Value::String(s.clone()));
    FieldChange {
        field: field.to_owned(),
        old: value(old),
        new: value(new),
    }
}

/// Every field whose value differs, read off the entries' serialised form so that a field the
/// catalog gains later is compared too.
fn field_changes(old: &CatalogEntry, new: &CatalogEntry) -> Vec<FieldChange> {
    let fields = |e: &CatalogEntry| match serde_json::to_value(e) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (old, new) = (fields(old), fields(new));
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort_by_key(|n| {
        (
            FIELD_ORDER
                .iter()
                .position(|f| f == n)
                .unwrap_or(FIELD_ORDER.len()),
            n.as_str(),
        )
    });
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let before = old.get(name).cloned().unwrap_or(Value::Null);
            let after = new.get(name).cloned().unwrap_or(Value::Null);
            (before != after).then(|| FieldChange {
                field: name.clone(),
                old: before,
                new: after,
            })
        })
        .collect()
}

fn sort(diff: &mut Diff) {
    diff.new.sort_by(|a, b| a.code.cmp(&b.code));
    diff.changed.sort_by(|a, b| a.code.cmp(&b.code));
    diff.removed.sort_by(|a, b| a.code.cmp(&b.code));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Category, Cause, Component, Severity};

    fn entry(code: &str, vendor: Option<(&str, &str)>) -> CatalogEntry {
        CatalogEntry {
            code: code.into(),
            status: format!("SE: {code} title"),
            description: "D".into(),
            severity: Severity::Medium,
            component: Component::ServiceEdge,
            category: Category::Error,
            cause: Some(Cause::Config),
            remediation: None,
            vendor_status: vendor.map(|(s, _)| s.into()),
            vendor_error_type: vendor.map(|(_, t)| t.into()),
            aliases: Vec::new(),
            log_types: Vec::new(),
            retired: false,
            source: None,
            overrides: Vec::new(),
        }
    }

    fn vendor(code: &str, title: &str, status: &str, error_type: &str) -> VendorCode {
        VendorCode {
            code: code.into(),
            log_types: vec!["zpn_trans_log".into()],
            title: Some(title.into()),
            status: Some(status.into()),
            error_type: Some(error_type.into()),
            admin_action: Some("NA".into()),
        }
    }

    fn catalog(entries: Vec<CatalogEntry>) -> Catalog {
        Catalog::new("t-1".into(), entries).unwrap()
    }

    #[test]
    fn the_same_codes_make_no_difference() {
        let c = catalog(vec![entry("A", Some(("Error", "InternalError")))]);
        // Letter case, spacing, a final stop and NA against absent do not count.
        let mut v = vendor("a", "se:  A TITLE.", "error", "internalerror");
        v.title = Some("se:  A TITLE.".into());
        let diff = against_vendor(&c, &[v], VendorDiffOptions::default());
        assert!(diff.is_empty(), "{diff:?}");

        let c = catalog(vec![entry("B", None)]);
        let mut v = vendor("B", "SE: B title", "Success", "NA");
        v.status = None;
        assert!(against_vendor(&c, &[v], VendorDiffOptions::default()).is_empty());
    }

    #[test]
    fn new_changed_and_removed_against_the_vendor() {
        let c = catalog(vec![
            entry("KEPT", Some(("Error", "ActionableError"))),
            entry("RECLASSIFIED", Some(("Error", "InternalError"))),
            entry("RETITLED", Some(("Info", "NA"))),
            entry("GONE", Some(("Error", "NA"))),
            // Known from the help pages only: its absence from the API says nothing.
            entry("DOCS_ONLY", None),
        ]);
        let codes = [
            vendor("KEPT", "SE: KEPT title", "Error", "ActionableError"),
            vendor(
                "RECLASSIFIED",
                "SE: RECLASSIFIED title",
                "Info",
                "InternalError",
            ),
            vendor("RETITLED", "SE: a better title", "Info", "NA"),
            vendor(
                "BRK_MT_BRAND_NEW",
                "SE: Brand new",
                "Error",
                "InternalError",
            ),
        ];
        let diff = against_vendor(&c, &codes, VendorDiffOptions::default());
        assert_eq!(
            diff.summary(),
            Summary {
                new: 1,
                changed: 2,
                removed: 1
            }
        );
        assert_eq!(diff.new[0].code, "BRK_MT_BRAND_NEW");
        assert_eq!(diff.new[0].severity, Severity::High);
        assert_eq!(diff.changed[0].code, "RECLASSIFIED");
        assert_eq!(
            diff.changed[0].changes,
            vec![FieldChange {
                field: "vendor_status".into(),
                old: "Error".into(),
                new: "Info".into(),
            }]
        );
        assert_eq!(diff.changed[1].code, "RETITLED");
        assert_eq!(diff.changed[1].changes[0].field, "status");
        assert_eq!(diff.changed[1].changes[0].new, "SE: a better title");
        assert_eq!(diff.removed.len(), 1);
        assert_eq!(diff.removed[0].code, "GONE");

        // Titles can be left out of the comparison.
        let diff = against_vendor(&c, &codes, VendorDiffOptions { titles: false });
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(diff.changed[0].code, "RECLASSIFIED");
    }

    #[test]
    fn a_vendor_value_the_catalog_lacks_is_a_change() {
        let c = catalog(vec![entry("HELP_PAGE_CODE", None)]);
        let codes = [vendor(
            "HELP_PAGE_CODE",
            "SE: HELP_PAGE_CODE title",
            "Error",
            "ActionableError",
        )];
        let diff = against_vendor(&c, &codes, VendorDiffOptions::default());
        assert_eq!(diff.changed.len(), 1);
        let fields: Vec<&str> = diff.changed[0]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(fields, ["vendor_status", "vendor_error_type"]);
        assert_eq!(diff.changed[0].changes[0].old, Value::Null);
    }

    #[test]
    fn two_catalogs_compare_every_field() {
        let old = catalog(vec![
            entry("SAME", None),
            entry("EDITED", Some(("Error", "NA"))),
            entry("DROPPED", None),
        ]);
        let mut edited = entry("EDITED", Some(("Error", "InternalError")));
        edited.severity = Severity::High;
        edited.remediation = Some("Now with advice.".into());
        edited.description = "Better words.".into();
        let new = catalog(vec![entry("ADDED", None), edited, entry("same", None)]);
        let diff = between(&old, &new);
        assert_eq!(
            diff.summary(),
            Summary {
                new: 1,
                changed: 2,
                removed: 1
            }
        );
        assert_eq!(diff.new[0].code, "ADDED");
        assert_eq!(diff.removed[0].code, "DROPPED");
        let edited = &diff.changed[0];
        assert_eq!(edited.code, "EDITED");
        let fields: Vec<&str> = edited.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "description",
                "severity",
                "remediation",
                "vendor_error_type"
            ]
        );
        assert_eq!(edited.changes[2].old, Value::Null);
        // A code spelt in other letter case is the same code, with its spelling changed.
        assert_eq!(diff.changed[1].code, "SAME");
        assert_eq!(diff.changed[1].changes[0].field, "code");
        assert!(between(&old, &old).is_empty());
    }

    #[test]
    fn the_report_has_stable_keys() {
        let c = catalog(vec![entry("GONE", Some(("Error", "NA")))]);
        let diff = against_vendor(&c, &[], VendorDiffOptions::default());
        let v = serde_json::to_value(&diff).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 3);
        assert_eq!(v["removed"][0]["code"], "GONE");
        assert_eq!(v["removed"][0]["vendor_status"], "Error");
    }
}
