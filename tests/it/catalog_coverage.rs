//! The shipped catalog against the reference table of ZPA status codes
//! (`tests/fixtures/zpa-codes.tsv`, extracted from the vendor documentation research), and its
//! texts against what an analyst needs. The severity rule has its own tests
//! (`catalog_severity.rs`).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::collections::HashSet;

use zpa_enricher::catalog::{Catalog, Category, Severity};

use crate::common;

struct Reference {
    code: String,
    status: String,
    component: String,
    category: String,
    vendor_status: String,
    vendor_error_type: String,
}

fn reference() -> Vec<Reference> {
    let text = std::fs::read_to_string(common::fixture("zpa-codes.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            assert_eq!(c.len(), 6, "{l}");
            Reference {
                code: c[0].into(),
                status: c[1].into(),
                component: c[2].into(),
                category: c[3].into(),
                vendor_status: c[4].into(),
                vendor_error_type: c[5].into(),
            }
        })
        .collect()
}

#[test]
fn all_189_internal_reason_codes_are_covered_with_their_documented_titles() {
    let catalog = Catalog::builtin();
    let refs = reference();
    assert_eq!(refs.len(), 189);
    let mut problems = Vec::new();
    for r in &refs {
        let Some(e) = catalog.get(&r.code) else {
            problems.push(format!("{}: missing", r.code));
            continue;
        };
        // Exact code, not a case-insensitive hit.
        if e.code != r.code {
            problems.push(format!("{}: spelled {}", r.code, e.code));
        }
        if e.status != r.status {
            problems.push(format!(
                "{}: status {:?} != {:?}",
                r.code, e.status, r.status
            ));
        }
        if e.component.as_str() != r.component {
            problems.push(format!(
                "{}: component {} != {}",
                r.code, e.component, r.component
            ));
        }
        if e.category.as_str() != r.category {
            problems.push(format!(
                "{}: category {} != {}",
                r.code, e.category, r.category
            ));
        }
        let vs = e.vendor_status.clone().unwrap_or_default();
        let vt = e.vendor_error_type.clone().unwrap_or_default();
        if vs != r.vendor_status || vt != r.vendor_error_type {
            problems.push(format!(
                "{}: vendor {vs}/{vt} != {}/{}",
                r.code, r.vendor_status, r.vendor_error_type
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Both spellings of the connector-disabled code are present.
    assert!(catalog.get("AST_MT_SETUP_ERR_AST_CFG_DISABLE").is_some());
    assert!(catalog.get("AST_MT_SETUP_ERR_AST_CFG_DISABLED").is_some());
}

#[test]
fn session_and_connection_status_values_are_covered() {
    let catalog = Catalog::builtin();
    for code in [
        "ZPN_STATUS_AUTHENTICATED",
        "ZPN_STATUS_AUTH_FAILED",
        "ZPN_STATUS_DISCONNECTED",
        "open",
        "active",
        "close",
    ] {
        let e = catalog
            .get(code)
            .unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!(e.code, code);
    }
    assert_eq!(
        catalog.get("ZPN_STATUS_AUTH_FAILED").unwrap().severity,
        Severity::Medium
    );
    assert_eq!(
        catalog.get("ZPN_STATUS_DISCONNECTED").unwrap().severity,
        Severity::Info
    );
    // 189 reference codes + 3 session statuses + 3 connection states + the AppProtection and
    // Microsegmentation Flow codes, nothing else.
    for code in ["success", "ALLOW", "SIMBLOCK", "BLOCK"] {
        assert!(catalog.get(code).is_some(), "{code} missing");
    }
    assert_eq!(catalog.len(), 199);
}

#[test]
fn descriptions_are_written_for_analysts() {
    let catalog = Catalog::builtin();
    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for e in catalog.entries() {
        let d = &e.description;
        if !(60..=400).contains(&d.len()) {
            problems.push(format!("{}: description of {} chars", e.code, d.len()));
        }
        if !d.ends_with('.') {
            problems.push(format!("{}: description does not end a sentence", e.code));
        }
        // One or two sentences.
        if d.matches(". ").count() > 1 {
            problems.push(format!("{}: more than two sentences", e.code));
        }
        if d.eq_ignore_ascii_case(&e.status) || (e.code.contains('_') && d.contains(&e.code)) {
            problems.push(format!("{}: description repeats the title or code", e.code));
        }
        if !seen.insert(d.clone()) {
            problems.push(format!("{}: description shared with another entry", e.code));
        }
        if e.category != Category::Info && e.remediation.is_none() {
            problems.push(format!("{}: error without remediation", e.code));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
