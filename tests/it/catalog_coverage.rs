//! The shipped catalog against the reference table of ZPA status codes
//! (`tests/fixtures/zpa-codes.tsv`, extracted from the vendor documentation research), its
//! texts against what an analyst needs, and its metadata: log types, retired codes, aliases and
//! the overrides of the status log types. The severity rule has its own tests
//! (`catalog_severity.rs`).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::collections::HashSet;

use zpa_enricher::catalog::severity::allowed_for;
use zpa_enricher::catalog::{Catalog, Category, Component, Severity};
use zpa_enricher::event::LogType;

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
        // The code or an alias, exactly as spelled: not a case-insensitive hit.
        if !e.spellings().any(|s| s == r.code) {
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
        // The vendor's API names one spelling of a code with two: the entry carries what the
        // API says for either.
        let vendor = refs
            .iter()
            .filter(|o| e.spellings().any(|s| s == o.code) && !o.vendor_status.is_empty())
            .map(|o| (o.vendor_status.clone(), o.vendor_error_type.clone()))
            .next()
            .unwrap_or_default();
        let vs = e.vendor_status.clone().unwrap_or_default();
        let vt = e.vendor_error_type.clone().unwrap_or_default();
        if (vs.clone(), vt.clone()) != vendor {
            problems.push(format!(
                "{}: vendor {vs}/{vt} != {}/{}",
                r.code, vendor.0, vendor.1
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The two spellings of the connector-disabled code are one entry, with the help page's
    // spelling as its code.
    let disabled = catalog.get("AST_MT_SETUP_ERR_AST_CFG_DISABLED").unwrap();
    assert_eq!(disabled.code, "AST_MT_SETUP_ERR_AST_CFG_DISABLE");
    assert_eq!(disabled.aliases, ["AST_MT_SETUP_ERR_AST_CFG_DISABLED"]);
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
    // 189 reference codes, two of them spellings of one, + 3 session statuses + 3 connection
    // states + the AppProtection and Microsegmentation Flow codes, nothing else.
    for code in APP_PROTECTION.iter().chain(&MICROSEGMENTATION) {
        assert!(catalog.get(code).is_some(), "{code} missing");
    }
    assert_eq!(catalog.len(), 188 + 3 + 3 + 4);
}

/// The `HTTPError` codes of the `AppProtection` log type in the catalog.
const APP_PROTECTION: [&str; 1] = ["success"];
/// The `EnforcementAction` values of Microsegmentation Flow.
const MICROSEGMENTATION: [&str; 3] = ["ALLOW", "SIMBLOCK", "BLOCK"];

#[test]
fn every_entry_names_the_log_types_it_appears_in() {
    let catalog = Catalog::builtin();
    let internal_reason: HashSet<String> = reference().into_iter().map(|r| r.code).collect();
    let status_logs = [
        LogType::UserStatus,
        LogType::AppConnectorStatus,
        LogType::PrivateServiceEdgeStatus,
        LogType::PrivateCloudControllerStatus,
    ];
    // FQDNRegisteredError of User Status carries these too.
    let fqdn_registration = [
        "FQDN_BAD_REGEX",
        "FQDN_BAD_SCHEMA",
        "FQDN_EMPTY",
        "FQDN_NO_ENTRIES",
        "FQDN_NO_MATCH",
        "FQDN_TOO_MANY_REGEX",
        "BROKER_NOT_ENABLED",
        "CUSTOMER_NOT_ENABLED",
    ];
    let mut problems = Vec::new();
    for e in catalog.entries() {
        let expected: Vec<LogType> = if e.code.starts_with("ZPN_STATUS_") {
            status_logs.to_vec()
        } else if e.code.starts_with("EXPTR_") {
            vec![LogType::UserActivity, LogType::BrowserAccess]
        } else if fqdn_registration.contains(&e.code.as_str()) {
            vec![LogType::UserActivity, LogType::UserStatus]
        } else if APP_PROTECTION.contains(&e.code.as_str()) {
            vec![LogType::AppProtection]
        } else if MICROSEGMENTATION.contains(&e.code.as_str()) {
            vec![LogType::MicrosegmentationFlow]
        } else {
            // InternalReason codes and the ConnectionStatus states of User Activity.
            assert!(
                internal_reason.contains(&e.code)
                    || ["open", "active", "close"].contains(&e.code.as_str()),
                "{}: where does it come from?",
                e.code
            );
            vec![LogType::UserActivity]
        };
        if e.log_types != expected {
            problems.push(format!("{}: log types {:?}", e.code, e.log_types));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_three_codes_only_the_2018_list_has_are_retired() {
    let catalog = Catalog::builtin();
    let mut retired: Vec<&str> = catalog
        .entries()
        .iter()
        .filter(|e| e.retired)
        .map(|e| e.code.as_str())
        .collect();
    retired.sort_unstable();
    assert_eq!(
        retired,
        [
            "BRK_MT_SETUP_FAIL_REAUTH_EXPIRED",
            "EXPTR_FCONN_AUTH_FAIL",
            "EXPTR_MT_TLS_SETUP_FAIL",
        ]
    );
}

#[test]
fn session_statuses_on_infrastructure_logs_are_about_that_component() {
    let catalog = Catalog::builtin();
    let infrastructure = [
        (LogType::AppConnectorStatus, Component::AppConnector),
        (
            LogType::PrivateServiceEdgeStatus,
            Component::PrivateServiceEdge,
        ),
        (
            LogType::PrivateCloudControllerStatus,
            Component::PrivateCloudController,
        ),
    ];
    // (code, severity for a user, severity for the infrastructure component)
    for (code, user, component_severity) in [
        ("ZPN_STATUS_AUTHENTICATED", Severity::Info, Severity::Info),
        (
            "ZPN_STATUS_AUTH_FAILED",
            Severity::Medium,
            Severity::Critical,
        ),
        ("ZPN_STATUS_DISCONNECTED", Severity::Info, Severity::Low),
    ] {
        let e = catalog.get(code).unwrap();
        assert_eq!(e.severity_in(LogType::UserStatus), user, "{code}");
        assert_eq!(
            e.component_in(LogType::UserStatus),
            Component::Authentication,
            "{code}"
        );
        for (log_type, component) in infrastructure {
            assert_eq!(e.component_in(log_type), component, "{code} {log_type}");
            assert_eq!(
                e.severity_in(log_type),
                component_severity,
                "{code} {log_type}"
            );
        }
    }
    // The overrides keep to the severity rule's bounds for their code's vendor class, but for
    // a component's disconnect: `low` where the class (`Success`) allows `info` only, as the
    // docs explain ("Overrides per log type").
    for e in catalog.entries() {
        for o in &e.overrides {
            let Some(s) = o.severity else { continue };
            let documented = e.code == "ZPN_STATUS_DISCONNECTED" && s == Severity::Low;
            assert!(
                allowed_for(e).contains(s) || documented,
                "{} in {}: {s} is outside {}",
                e.code,
                o.log_type,
                allowed_for(e)
            );
        }
    }
    // No other entry has overrides.
    let with_overrides = catalog
        .entries()
        .iter()
        .filter(|e| !e.overrides.is_empty())
        .count();
    assert_eq!(with_overrides, 3);
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
