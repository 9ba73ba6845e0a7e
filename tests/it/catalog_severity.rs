//! The severity rule (`zpa_enricher::catalog::severity`; docs/output-and-catalog.md, "Severity
//! rule") against every entry of the built-in catalog: the rule itself, siblings sharing a
//! severity, the share of `high` and `critical`, and the documentation of the exceptions and the
//! counts. Each check also runs on a copy of the catalog with a violation planted in it, so that
//! it is seen to fail.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::ops::RangeInclusive;

use zpa_enricher::catalog::severity::{
    self, EXCEPTIONS, SIBLING_EXCEPTIONS, VendorClass, allowed, allowed_for, sibling_groups,
    title_key,
};
use zpa_enricher::catalog::{Catalog, CatalogEntry, Category, Cause, Severity};

/// The share of the catalog at `high` or `critical` that the rule aims at: about a third.
const HIGH_OR_CRITICAL: RangeInclusive<f64> = 0.25..=0.40;

fn builtin() -> Vec<CatalogEntry> {
    Catalog::builtin().entries().to_vec()
}

fn class(e: &CatalogEntry) -> VendorClass {
    VendorClass::of(e.vendor_status.as_deref(), e.category)
}

/// Every departure of `entries` from the rule, one line each.
fn rule_problems(entries: &[CatalogEntry]) -> Vec<String> {
    let mut problems = Vec::new();
    for e in entries {
        let Some(cause) = e.cause else {
            problems.push(format!("{}: no cause", e.code));
            continue;
        };
        let range = allowed_for(e);
        let expected = severity::expected(e).unwrap();
        if !range.contains(e.severity) {
            problems.push(format!(
                "{}: severity {}, but vendor class {} (error type {}) allows {range}",
                e.code,
                e.severity,
                class(e),
                e.vendor_error_type.as_deref().unwrap_or("none"),
            ));
        } else if e.severity != expected {
            problems.push(format!(
                "{}: severity {}, but cause {cause} within {range} gives {expected}",
                e.code, e.severity
            ));
        }
        if e.severity == Severity::Critical && !matches!(cause, Cause::Resource | Cause::Peer) {
            problems.push(format!(
                "{}: critical with cause {cause} (only resource or peer)",
                e.code
            ));
        }
        if e.category == Category::PolicyBlock && !matches!(cause, Cause::Policy | Cause::Reauth) {
            problems.push(format!("{}: policy block with cause {cause}", e.code));
        }
        if cause == Cause::Normal && !matches!(class(e), VendorClass::Info | VendorClass::Success) {
            problems.push(format!(
                "{}: cause normal in vendor class {}",
                e.code,
                class(e)
            ));
        }
    }
    problems
}

/// Every sibling group whose entries disagree on the severity.
fn sibling_problems(entries: &[CatalogEntry]) -> Vec<String> {
    sibling_groups(entries)
        .into_iter()
        .filter(|g| {
            g.iter()
                .any(|&i| entries[i].severity != entries[g[0]].severity)
        })
        .map(|g| {
            let members: Vec<String> = g
                .iter()
                .map(|&i| format!("{} ({})", entries[i].code, entries[i].severity))
                .collect();
            format!("siblings disagree: {}", members.join(", "))
        })
        .collect()
}

fn count(entries: &[CatalogEntry], s: Severity) -> usize {
    entries.iter().filter(|e| e.severity == s).count()
}

fn high_or_critical_share(entries: &[CatalogEntry]) -> f64 {
    let n = count(entries, Severity::High) + count(entries, Severity::Critical);
    f64::from(u32::try_from(n).unwrap()) / f64::from(u32::try_from(entries.len()).unwrap())
}

fn plant(entries: &mut [CatalogEntry], code: &str, severity: Severity, cause: Cause) {
    let e = entries.iter_mut().find(|e| e.code == code).unwrap();
    e.severity = severity;
    e.cause = Some(cause);
}

#[test]
fn every_built_in_entry_follows_the_severity_rule() {
    let entries = builtin();
    let problems = rule_problems(&entries);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // A vendor Info code raised above low; a single user's failure made critical.
    let mut planted = entries.clone();
    plant(
        &mut planted,
        "MT_CLOSED_TLS_CONN_GONE_AST_CLOSED",
        Severity::High,
        Cause::Service,
    );
    plant(
        &mut planted,
        "BRK_MT_AUTH_SAML_CANNOT_ADD_ATTR_TO_HASH",
        Severity::Critical,
        Cause::Auth,
    );
    let problems = rule_problems(&planted).join("\n");
    assert!(
        problems.contains("MT_CLOSED_TLS_CONN_GONE_AST_CLOSED: severity high, but vendor class Info (error type InternalError) allows info to low"),
        "{problems}"
    );
    assert!(
        problems.contains("BRK_MT_AUTH_SAML_CANNOT_ADD_ATTR_TO_HASH: severity critical, but cause auth within low to critical gives medium"),
        "{problems}"
    );
    assert!(
        problems.contains("BRK_MT_AUTH_SAML_CANNOT_ADD_ATTR_TO_HASH: critical with cause auth"),
        "{problems}"
    );
}

#[test]
fn codes_the_vendor_describes_the_same_way_share_a_severity() {
    let entries = builtin();
    let problems = sibling_problems(&entries);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The pairs named in review are grouped.
    let grouped = |a: &str, b: &str| {
        sibling_groups(&entries).iter().any(|g| {
            g.iter().any(|&i| entries[i].code == a) && g.iter().any(|&i| entries[i].code == b)
        })
    };
    for (a, b) in [
        (
            "MT_CLOSED_TLS_CONN_GONE_AST_CLOSED",
            "MT_CLOSED_DTLS_CONN_GONE_AST_CLOSED",
        ),
        (
            "FOHH_CLOSE_REASON_DATA_CONN_FLOW_CONTROL",
            "FOHH_CLOSE_REASON_AST_DATA_CONN_FLOW_CONTROL",
        ),
        (
            "FOHH_CLOSE_REASON_DATA_CONN_FLOW_CONTROL",
            "FOHH_CLOSE_REASON_BRK_DATA_CONN_FLOW_CONTROL",
        ),
        ("C2C_MTUNNEL_NOT_FOUND", "C2C_CLIENT_NOT_FOUND"),
        (
            "AST_MT_SETUP_ERR_DUP_MT_ID",
            "BRK_MT_SETUP_FAIL_DUPLICATE_TAG_ID",
        ),
        ("AST_MT_SETUP_TIMEOUT", "BRK_MT_SETUP_TIMEOUT"),
    ] {
        assert!(grouped(a, b), "{a} and {b} are not siblings");
    }

    // One twin of a pair changed, in a way the rule alone allows.
    let mut planted = entries.clone();
    plant(
        &mut planted,
        "BRK_MT_SETUP_FAIL_DUPLICATE_TAG_ID",
        Severity::Low,
        Cause::Client,
    );
    assert!(rule_problems(&planted).is_empty());
    let problems = sibling_problems(&planted).join("\n");
    assert!(
        problems.contains(
            "AST_MT_SETUP_ERR_DUP_MT_ID (high), BRK_MT_SETUP_FAIL_DUPLICATE_TAG_ID (low)"
        ),
        "{problems}"
    );
}

#[test]
fn about_a_third_of_the_catalog_is_high_or_critical() {
    let entries = builtin();
    let share = high_or_critical_share(&entries);
    assert!(HIGH_OR_CRITICAL.contains(&share), "{share:.3}");

    // Every medium code raised to high is too many.
    let mut planted = entries.clone();
    for e in &mut planted {
        if e.severity == Severity::Medium {
            e.severity = Severity::High;
        }
    }
    let share = high_or_critical_share(&planted);
    assert!(!HIGH_OR_CRITICAL.contains(&share), "{share:.3}");
}

/// The "Severity rule" section of docs/output-and-catalog.md.
fn rule_section() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/output-and-catalog.md");
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("\n## Severity rule\n").unwrap();
    let rest = &text[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_owned()
}

#[test]
fn every_exception_is_needed_and_documented() {
    let catalog = Catalog::builtin();
    let docs = rule_section();
    for x in EXCEPTIONS {
        let e = catalog
            .get(x.code)
            .unwrap_or_else(|| panic!("{} not in the catalog", x.code));
        let class_range = allowed(class(e), e.vendor_error_type.as_deref());
        assert!(
            !class_range.contains(e.severity),
            "{}: {} is within its class's {class_range}; the exception is not needed",
            x.code,
            e.severity
        );
        assert!(
            docs.contains(&format!("`{}`", x.code)),
            "{} not documented",
            x.code
        );
    }
    for x in SIBLING_EXCEPTIONS {
        let e = catalog
            .get(x.code)
            .unwrap_or_else(|| panic!("{} not in the catalog", x.code));
        let shared = catalog
            .entries()
            .iter()
            .filter(|o| o.code != e.code && title_key(&o.status) == title_key(&e.status))
            .count();
        assert!(shared > 0, "{}: no other code has its title", x.code);
        assert!(
            docs.contains(&format!("`{}`", x.code)),
            "{} not documented",
            x.code
        );
    }
}

#[test]
fn the_documented_distribution_is_the_catalog_s() {
    let entries = builtin();
    let docs = rule_section();
    for &s in Severity::ALL {
        let row = format!("| `{s}` | {} |", count(&entries, s));
        assert!(
            docs.contains(&row),
            "no row {row:?} in the Severity rule section"
        );
    }
    let high = count(&entries, Severity::High) + count(&entries, Severity::Critical);
    let total = format!("{high} of {}", entries.len());
    assert!(
        docs.contains(&total),
        "no {total:?} in the Severity rule section"
    );
}

#[test]
fn the_cases_found_in_review_are_settled() {
    let catalog = Catalog::builtin();
    let sev = |c: &str| catalog.get(c).unwrap().severity;
    // Zscaler's normal "user disconnected" close and its connector and DTLS twins.
    for c in [
        "MT_CLOSED_TLS_CONN_GONE",
        "MT_CLOSED_TLS_CONN_GONE_AST_CLOSED",
        "MT_CLOSED_DTLS_CONN_GONE_AST_CLOSED",
    ] {
        assert_eq!(sev(c), Severity::Low, "{c}");
    }
    assert_eq!(
        sev("FOHH_CLOSE_REASON_DATA_CONN_FLOW_CONTROL"),
        sev("FOHH_CLOSE_REASON_AST_DATA_CONN_FLOW_CONTROL")
    );
    assert_eq!(
        sev("FOHH_CLOSE_REASON_CONNECT_TIMEOUT"),
        sev("FOHH_CLOSE_REASON_TIMEOUT")
    );
    assert_eq!(sev("C2C_MTUNNEL_NOT_FOUND"), sev("C2C_CLIENT_NOT_FOUND"));
    // One user's failed sign-in and a retried dispatch do not page.
    assert!(sev("BRK_MT_AUTH_SAML_CANNOT_ADD_ATTR_TO_HASH") < Severity::High);
    assert!(sev("DSP_MT_SETUP_FAIL_CANNOT_SEND_TO_BROKER") < Severity::Critical);
    // A re-authentication block is low; an access-policy block stays medium.
    assert_eq!(sev("BRK_MT_SETUP_FAIL_SAML_EXPIRED"), Severity::Low);
    assert_eq!(
        sev("BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY"),
        Severity::Medium
    );
    // What still pages: resource exhaustion and a connector cut off from the Service Edge.
    assert_eq!(sev("AST_MT_SETUP_ERR_NO_SYSTEM_FD"), Severity::Critical);
    assert_eq!(sev("AST_MT_SETUP_ERR_OPEN_BROKER_CONN"), Severity::Critical);
    assert_eq!(sev("APP_NOT_REACHABLE"), Severity::High);
}
