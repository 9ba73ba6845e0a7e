//! Every fixture in `tests/fixtures/events/` through the real binary in every output format,
//! compared with `tests/fixtures/expected/` (`<name>.json` for `lss`, `<name>.<format>.json` for
//! the others; set `ZPA_ENRICHER_BLESS=1` to rewrite the expected files after a reviewed
//! change), plus the properties every `lss` output must have: detected log type, original bytes
//! kept, one enrichment object. A record without a readable time carries the processing time,
//! which the comparison masks.

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

/// The output formats, and the suffix of their expected files.
const FORMATS: [(&str, &str); 3] = [("lss", ""), ("ecs", ".ecs"), ("splunk_hec", ".splunk_hec")];

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
        for (format, suffix) in FORMATS {
            let started = zpa_enricher::enrich::system_clock();
            let out = common::run(
                &[
                    "enrich",
                    "--format",
                    format,
                    "--input",
                    path.to_str().unwrap(),
                    "--stats",
                    "none",
                ],
                b"",
            );
            assert!(out.status.success(), "{name}: {}", common::stderr(&out));
            let raw = common::stdout(&out);
            let got = mask_processing_time(&raw, started, zpa_enricher::enrich::system_clock());
            let expected_path = common::fixture(&format!("expected/{name}{suffix}.json"));
            if bless {
                std::fs::write(&expected_path, &got).unwrap();
            }
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
                panic!(
                    "{} missing; run with ZPA_ENRICHER_BLESS=1",
                    expected_path.display()
                )
            });
            assert_eq!(got, expected, "{name} ({format})");
            // The checks see the times as written.
            let doc: Value = serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
            match format {
                "lss" => check_properties(&name, &path, &raw),
                "ecs" => {
                    let problems = common::ecs::check_ecs_document(&doc);
                    assert!(problems.is_empty(), "{name}: {problems:#?}\n{got}");
                }
                _ => {
                    // A trimmed template without ClientPrivateIP gives no `dest_ip`, which
                    // Network_Sessions requires: left out rather than invented.
                    let trimmed = doc["event"].get("ClientPrivateIP").is_none();
                    let problems: Vec<String> = common::cim::check_hec_envelope(&doc)
                        .into_iter()
                        .filter(|p| !(trimmed && p.ends_with("required field dest_ip is missing")))
                        .collect();
                    assert!(problems.is_empty(), "{name}: {problems:#?}\n{got}");
                }
            }
        }
        types_seen.insert(expected_log_type(&name));
    }
    // Every log type has a fixture.
    assert_eq!(types_seen.len(), 16, "{types_seen:?}");
}

/// `text` with every time between `from` and `to` (the processing time of a record without a
/// readable time of its own) replaced by `PROCESSING_TIME`: as RFC 3339 with milliseconds
/// (`2026-12-07T03:04:05.678Z`) or as epoch seconds with milliseconds (`1796612645.678`).
fn mask_processing_time(text: &str, from: i64, to: i64) -> String {
    const RFC3339: usize = "2026-12-07T03:04:05.678Z".len();
    const EPOCH: usize = "1796612645.678".len();
    let within = |ms: Option<i64>| ms.is_some_and(|ms| (from - 1000..=to + 1000).contains(&ms));
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        let rfc = rest.get(..RFC3339).filter(|t| {
            t.as_bytes()[10] == b'T' && within(zpa_enricher::event::parse_timestamp(t.as_bytes()))
        });
        let epoch = rest.get(..EPOCH).filter(|t| {
            (i == 0 || !b[i - 1].is_ascii_digit())
                && t.as_bytes()[10] == b'.'
                && t.bytes()
                    .enumerate()
                    .all(|(j, c)| j == 10 || c.is_ascii_digit())
                && !rest.as_bytes().get(EPOCH).is_some_and(u8::is_ascii_digit)
                && within(t.replace('.', "").parse().ok())
        });
        match rfc.or(epoch) {
            Some(t) => {
                out.push_str("PROCESSING_TIME");
                i += t.len();
            }
            None => {
                let c = rest.chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

#[test]
fn processing_times_are_masked_and_nothing_else() {
    let text = r#"{"a":"2021-12-01T10:38:41.000Z","b":"2026-12-07T03:04:05.678Z","time":1796612645.678,"n":11796612645.678,"c":"é"}"#;
    let at = 1_796_612_645_678;
    assert_eq!(
        mask_processing_time(text, at - 10, at + 10),
        r#"{"a":"2021-12-01T10:38:41.000Z","b":"PROCESSING_TIME","time":PROCESSING_TIME,"n":11796612645.678,"c":"é"}"#
    );
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
