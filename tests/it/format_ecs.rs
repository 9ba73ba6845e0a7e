//! The `ecs` output format through the binary: every fixture gives a document the ECS checker
//! (`common::ecs`) accepts, with the mappings each log type promises. First, the checker itself
//! on documents made to pass and to fail.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use serde_json::{Value, json};

use crate::common::ecs::check_ecs_document;

fn valid() -> Value {
    json!({
        "@timestamp": "2021-12-01T10:38:41.000Z",
        "ecs": {"version": "8.11.0"},
        "event": {
            "kind": "event",
            "category": ["network"],
            "type": ["connection", "end", "denied"],
            "outcome": "failure",
            "severity": 3,
            "code": "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY",
            "created": "2021-12-01T10:38:41+01:00"
        },
        "client": {
            "ip": "203.0.113.47",
            "port": 51514,
            "geo": {"location": {"lat": 40.7, "lon": -74.0}, "country_iso_code": "US"}
        },
        "host": {"cpu": {"usage": 0.03}},
        "related": {"ip": ["203.0.113.47", "2001:db8::5"], "user": ["jane.doe"]},
        "tags": ["event_time_unreadable"],
        "network": {"transport": "tcp"},
        "zscaler_zpa": {"user_activity": {"anything": [1, "two", {"three": 3}]}}
    })
}

/// The problems of `valid()` with `path` set to `value`.
fn problems_with(path: &str, value: Value) -> Vec<String> {
    let mut doc = valid();
    let mut at = &mut doc;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            at.as_object_mut().unwrap().insert(part.to_owned(), value);
            break;
        }
        at = at
            .as_object_mut()
            .unwrap()
            .entry(part)
            .or_insert_with(|| json!({}));
    }
    check_ecs_document(&doc)
}

/// Asserts exactly one problem, and that it names `field`.
fn fails_on(problems: &[String], field: &str) {
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with(&format!("{field}:")),
        "{field}: {problems:#?}"
    );
}

#[test]
fn a_valid_document_passes() {
    assert_eq!(check_ecs_document(&valid()), Vec::<String>::new());
}

#[test]
fn an_unknown_field_fails() {
    fails_on(&problems_with("event.colour", json!("red")), "event.colour");
    fails_on(
        &problems_with("enrichment", json!({"code": "X"})),
        "enrichment.code",
    );
    // x509 exists only inside other field sets.
    fails_on(
        &problems_with("x509.issuer.common_name", json!("CA")),
        "x509.issuer.common_name",
    );
    // An object where a value belongs, and a value where an object belongs.
    fails_on(
        &problems_with("client.ip", json!({"v4": "10.0.0.1"})),
        "client.ip",
    );
    fails_on(&problems_with("client.geo", json!("US")), "client.geo");
}

#[test]
fn a_wrong_type_fails() {
    fails_on(
        &problems_with("event.severity", json!("3")),
        "event.severity",
    );
    fails_on(
        &problems_with("event.severity", json!(3.5)),
        "event.severity",
    );
    fails_on(&problems_with("client.port", json!("51514")), "client.port");
    fails_on(&problems_with("event.code", json!(12)), "event.code");
    fails_on(
        &problems_with("host.cpu.usage", json!("3%")),
        "host.cpu.usage",
    );
    fails_on(
        &problems_with("event.created", json!("Wed Dec  1 10:38:41 2021")),
        "event.created",
    );
    fails_on(
        &problems_with("@timestamp", json!("2021-13-01T10:38:41Z")),
        "@timestamp",
    );
    fails_on(
        &problems_with("client.geo.location", json!({"lat": 91, "lon": 0})),
        "client.geo.location",
    );
    fails_on(
        &problems_with("client.geo.location", json!("40.7,-74.0")),
        "client.geo.location",
    );
    // One value only where ECS does not take a list.
    fails_on(
        &problems_with("network.transport", json!(["tcp", "udp"])),
        "network.transport",
    );
}

#[test]
fn a_bad_ip_fails() {
    fails_on(
        &problems_with("client.ip", json!("laptop.acme.example")),
        "client.ip",
    );
    fails_on(
        &problems_with("related.ip", json!(["10.0.0.1", "10.0.0.256"])),
        "related.ip",
    );
}

#[test]
fn a_bad_kind_or_outcome_fails() {
    fails_on(
        &problems_with("event.kind", json!("happening")),
        "event.kind",
    );
    fails_on(
        &problems_with("event.outcome", json!("blocked")),
        "event.outcome",
    );
}

#[test]
fn a_category_with_a_type_it_does_not_expect_fails() {
    // `session` expects start, end and info only.
    let problems = problems_with("event.category", json!(["network", "session"]));
    assert_eq!(problems.len(), 2, "{problems:#?}");
    for p in &problems {
        assert!(
            p.starts_with("event.type:") && p.contains("\"session\""),
            "{p}"
        );
    }
    fails_on(
        &problems_with("event.category", json!(["galaxy"])),
        "event.category",
    );
}

/// Every event fixture through the binary with `--format ecs`: one document per record, each
/// one ECS accepts.
#[test]
fn every_fixture_through_the_binary_is_a_valid_ecs_document() {
    let events = crate::common::fixture("events");
    let mut paths: Vec<_> = std::fs::read_dir(&events)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 20, "fixtures missing");
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let out = crate::common::run(
            &[
                "enrich",
                "--format",
                "ecs",
                "--input",
                path.to_str().unwrap(),
                "--stats",
                "none",
            ],
            b"",
        );
        assert!(
            out.status.success(),
            "{name}: {}",
            crate::common::stderr(&out)
        );
        let text = crate::common::stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{name}: {text}");
        let doc: Value = serde_json::from_str(lines[0]).unwrap();
        let problems = check_ecs_document(&doc);
        assert!(problems.is_empty(), "{name}: {problems:#?}\n{doc:#}");
        assert_eq!(doc["ecs"]["version"], "8.11.0", "{name}");
        assert!(doc["zscaler_zpa"]["enrichment"].is_object(), "{name}");
    }
}

/// The mappings each log type promises, through the binary.
#[test]
fn the_binary_maps_each_log_type() {
    let doc = |name: &str| -> Value {
        let path = crate::common::fixture(&format!("events/{name}.json"));
        let out = crate::common::run(
            &[
                "enrich",
                "--format",
                "ecs",
                "--input",
                path.to_str().unwrap(),
                "--stats",
                "none",
            ],
            b"",
        );
        assert!(
            out.status.success(),
            "{name}: {}",
            crate::common::stderr(&out)
        );
        serde_json::from_str(crate::common::stdout(&out).trim()).unwrap()
    };
    let ua = doc("user_activity_policy_block");
    assert_eq!(ua["@timestamp"], "2026-11-25T10:38:41.000Z");
    assert_eq!(ua["client"]["ip"], "203.0.113.47");
    assert_eq!(ua["user"]["email"], "jane.doe@acme.example");
    assert_eq!(ua["network"]["transport"], "tcp");
    assert_eq!(ua["event"]["outcome"], "failure");
    assert_eq!(ua["event"]["code"], "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY");
    let audit = doc("audit");
    assert_eq!(audit["@timestamp"], "2021-11-17T04:29:38.000Z");
    assert_eq!(audit["event"]["type"], json!(["creation"]));
    let metrics = doc("app_connector_metrics");
    assert_eq!(metrics["event"]["kind"], "metric");
    assert_eq!(metrics["host"]["cpu"]["usage"], 0.01);
    assert_eq!(
        metrics["zscaler_zpa"]["app_connector_metrics"]["available_ports"],
        64000
    );
}
