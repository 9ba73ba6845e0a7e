//! Every fixture in `tests/fixtures/events/` through the real binary, compared with
//! `tests/fixtures/expected/` (set `ZPA_ENRICHER_BLESS=1` to rewrite the expected files after a
//! reviewed change), plus the properties every output must have: detected log type, original
//! bytes kept, one enrichment object.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::path::Path;

use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::common;

/// The log type each fixture must be detected as.
fn expected_log_type(name: &str) -> &'static str {
    const TYPES: [&str; 16] = [
        "user_activity",
        "user_status",
        "app_connector_status",
        "private_service_edge_status",
        "private_cloud_controller_status",
        "browser_access",
        "audit",
        "app_connector_metrics",
        "private_service_edge_metrics",
        "private_cloud_controller_metrics",
        "app_protection",
        "smb_inspection",
        "ldap_inspection",
        "krb_inspection",
        "microsegmentation_flow",
        "unknown_log_type",
    ];
    if name.starts_with("escaped_") {
        return "user_activity";
    }
    let t = TYPES
        .iter()
        .filter(|t| name.starts_with(*t))
        .max_by_key(|t| t.len())
        .unwrap_or_else(|| panic!("fixture {name} names no log type"));
    if *t == "unknown_log_type" {
        "unknown"
    } else {
        t
    }
}

#[test]
fn fixtures_match_expected_output() {
    let events = common::fixture("events");
    let mut names: Vec<_> = std::fs::read_dir(&events)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "fixtures missing");
    let bless = std::env::var_os("ZPA_ENRICHER_BLESS").is_some();
    let mut types_seen = std::collections::BTreeSet::new();
    for path in names {
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let out = common::run(
            &[
                "enrich",
                "--input",
                path.to_str().unwrap(),
                "--stats",
                "none",
            ],
            b"",
        );
        assert!(out.status.success(), "{name}: {}", common::stderr(&out));
        let got = common::stdout(&out);
        let expected_path = common::fixture(&format!("expected/{name}.json"));
        if bless {
            std::fs::write(&expected_path, &got).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "{} missing; run with ZPA_ENRICHER_BLESS=1",
                expected_path.display()
            )
        });
        assert_eq!(got, expected, "{name}");

        check_properties(&name, &path, &got);
        types_seen.insert(expected_log_type(&name));
    }
    // Every log type has a fixture.
    assert_eq!(types_seen.len(), 16, "{types_seen:?}");
}

/// The status fields each log type is looked up by, in order: the table in
/// docs/output-and-catalog.md ("How a record is read").
fn status_fields(log_type: &str) -> &'static [&'static str] {
    match log_type {
        "user_activity" => &["InternalReason", "ConnectionStatus"],
        "user_status"
        | "app_connector_status"
        | "private_service_edge_status"
        | "private_cloud_controller_status" => &["SessionStatus"],
        "browser_access" => &["ConnectionReason", "ConnectionStatus"],
        "app_protection" => &["HTTPError"],
        "smb_inspection" | "ldap_inspection" | "krb_inspection" => &["ProtocolInspectionError"],
        "microsegmentation_flow" => &["EnforcementAction"],
        "unknown" => &[
            "InternalReason",
            "SessionStatus",
            "ConnectionReason",
            "ConnectionStatus",
        ],
        _ => &[],
    }
}

fn check_properties(name: &str, input_path: &Path, output: &str) {
    let input = std::fs::read_to_string(input_path).unwrap();
    let input = input.trim_end_matches('\n');
    let output = output.trim_end_matches('\n');
    // A syslog header, if any, is stripped by default.
    let json_in = &input[input.find('{').unwrap()..];
    let v: Value = serde_json::from_str(output).unwrap_or_else(|e| panic!("{name}: {e}"));
    let enr = &v["enrichment"];
    assert_eq!(enr["log_type"], expected_log_type(name), "{name}");
    // The original object, byte for byte, then `,"enrichment":{...}}`.
    let body = &json_in[..json_in.len() - 1];
    assert!(output.starts_with(body), "{name}: original bytes changed");
    let added = &output[body.len()..];
    assert!(added.starts_with(",\"enrichment\":{"), "{name}: {added}");
    assert_eq!(output.matches("\"enrichment\":").count(), 1, "{name}");

    // The code comes from the first non-empty status field of the log type, in the documented
    // order, and from no other field.
    let record: Value = serde_json::from_str(json_in).unwrap();
    let first = status_fields(expected_log_type(name)).iter().find_map(|f| {
        let code = record[*f].as_str()?.trim();
        (!code.is_empty()).then_some((*f, code))
    });
    match first {
        Some((field, code)) => {
            assert_eq!(enr["source_field"], field, "{name}");
            assert_eq!(enr["code"], code, "{name}");
        }
        None => assert_eq!(enr["code"], Value::Null, "{name}"),
    }
}
