//! The documents of whole records.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod edges;
mod parts;
mod properties;

use serde_json::{Value, json};

use super::{EcsOptions, write};
use crate::catalog::{Catalog, Category};
use crate::enrich::format::{Record, Status};
use crate::event::{self, EventTime, HeaderMode, LogType, OwnedKeys, ReadOptions, TimeSource};

/// 2021-12-01T10:38:41.000Z
const T: i64 = 1_638_355_121_000;

fn read_opts() -> ReadOptions {
    ReadOptions {
        max_depth: 64,
        max_record_bytes: 1 << 20,
        header: HeaderMode::Strip,
        owned: OwnedKeys::Exact("enrichment".into()),
    }
}

/// The document of `record`, with the built-in catalog's answer, as the enricher builds it.
fn document_with(record: &[u8], time: EventTime, opts: &EcsOptions) -> Value {
    let text = render(record, time, opts);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The document's text.
fn render(record: &[u8], time: EventTime, opts: &EcsOptions) -> String {
    render_with(record, time, opts, true)
}

/// The document's text, from the members collected while reading (`collected`, as `Enricher`
/// does) or from a scan of the writer's own.
fn render_with(record: &[u8], time: EventTime, opts: &EcsOptions, collected: bool) -> String {
    let catalog = Catalog::builtin();
    let view = event::read(record, &read_opts()).unwrap();
    let found = view.status_code(record);
    let entry = found.as_ref().and_then(|(_, c)| catalog.get(c));
    let status = Status {
        code: found.as_ref().map(|(_, c)| c.as_ref()),
        source_field: found
            .as_ref()
            .map(|(f, _)| *f)
            .or_else(|| view.first_status_field()),
        title: entry.map(|e| e.status.as_str()),
        severity: match (&found, entry) {
            (_, Some(e)) => e.severity_in(view.log_type),
            (Some(_), None) => crate::catalog::Severity::Medium,
            (None, None) => crate::catalog::Severity::Info,
        },
        category: match (&found, entry) {
            (_, Some(e)) => Some(e.category),
            (Some(_), None) => None,
            (None, None) => Some(Category::Info),
        },
        component: None,
        known: entry.is_some(),
        catalog_version: catalog.version(),
    };
    let enrichment = match &found {
        Some((_, c)) => format!("{{\"code\":{}}}", json!(c)),
        None => "{\"code\":null}".to_owned(),
    };
    // The members as `Enricher` collects them while reading, or none, for a scan of its own.
    let mut members = Vec::new();
    if collected {
        crate::event::scan::scan(record, view.object_start, 64, &mut members).unwrap();
    }
    let rec = Record {
        bytes: record,
        view: &view,
        members: &members,
        original: record,
        log_type: view.log_type,
        time,
        status,
        enrichment: enrichment.as_bytes(),
    };
    let mut out = Vec::new();
    write(&mut out, &rec, opts);
    String::from_utf8(out).unwrap()
}

fn time(source: TimeSource) -> EventTime {
    EventTime { millis: T, source }
}

fn document(record: &str) -> Value {
    document_with(
        record.as_bytes(),
        time(TimeSource::LogTimestamp),
        &EcsOptions::default(),
    )
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/events/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut bytes = std::fs::read(path).unwrap();
    while bytes.last().is_some_and(u8::is_ascii_whitespace) {
        bytes.pop();
    }
    bytes
}

fn fixture_document(name: &str) -> Value {
    let source = if name == "audit" {
        TimeSource::ModifiedTime
    } else {
        TimeSource::LogTimestamp
    };
    document_with(&fixture(name), time(source), &EcsOptions::default())
}

fn at<'v>(doc: &'v Value, path: &str) -> &'v Value {
    path.split('.')
        .fold(doc, |v, k| v.get(k).unwrap_or(&Value::Null))
}

#[test]
fn every_fixture_is_a_valid_ecs_document() {
    let dir = format!("{}/tests/fixtures/events", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 20);
    for name in names {
        let doc = fixture_document(&name);
        let problems = super::ecs_check::check_ecs_document(&doc);
        assert!(problems.is_empty(), "{name}: {problems:#?}\n{doc:#}");
        assert_eq!(at(&doc, "ecs.version"), "8.11.0");
        assert_eq!(at(&doc, "@timestamp"), "2021-12-01T10:38:41.000Z", "{name}");
        assert!(at(&doc, "zscaler_zpa.enrichment").is_object(), "{name}");
        let dataset = at(&doc, "event.dataset").as_str().unwrap();
        let log_type = dataset.strip_prefix("zscaler_zpa.").unwrap();
        assert!(LogType::from_name(log_type).is_some(), "{name}: {dataset}");
    }
}

#[test]
fn members_collected_while_reading_give_the_document_a_scan_gives() {
    let dir = format!("{}/tests/fixtures/events", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let record = fixture(&name);
        let t = time(TimeSource::LogTimestamp);
        let opts = EcsOptions::default();
        assert_eq!(
            render_with(&record, t, &opts, true),
            render_with(&record, t, &opts, false),
            "{name}"
        );
        seen += 1;
    }
    assert!(seen >= 20);
}

#[test]
fn user_activity_maps_users_addresses_and_the_block() {
    let doc = fixture_document("user_activity_policy_block");
    assert_eq!(at(&doc, "user.name"), "jane.doe");
    assert_eq!(at(&doc, "user.email"), "jane.doe@acme.example");
    assert_eq!(at(&doc, "user.domain"), "acme.example");
    assert_eq!(at(&doc, "client.ip"), "203.0.113.47");
    assert_eq!(
        at(&doc, "client.geo.location"),
        &json!({"lat": 40.7128, "lon": -74.006})
    );
    assert_eq!(at(&doc, "client.geo.country_iso_code"), "US");
    assert_eq!(at(&doc, "client.geo.city_name"), "New York");
    assert_eq!(at(&doc, "network.transport"), "tcp");
    assert_eq!(at(&doc, "network.iana_number"), "6");
    assert_eq!(at(&doc, "server.address"), "payroll.internal.acme.example");
    assert_eq!(at(&doc, "server.domain"), "payroll.internal.acme.example");
    assert_eq!(at(&doc, "rule.name"), "Block Finance Apps for Contractors");
    assert_eq!(at(&doc, "organization.name"), "Acme Corporation");
    assert_eq!(
        at(&doc, "event.code"),
        "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY"
    );
    assert_eq!(at(&doc, "event.outcome"), "failure");
    assert_eq!(at(&doc, "event.category"), &json!(["network"]));
    assert_eq!(
        at(&doc, "event.type"),
        &json!(["connection", "end", "denied"])
    );
    assert_eq!(at(&doc, "event.start"), "2026-11-25T10:38:41.114Z");
    assert_eq!(
        at(&doc, "related.ip"),
        &json!(["203.0.113.47", "10.12.4.117"])
    );
    assert_eq!(
        at(&doc, "related.user"),
        &json!(["jane.doe", "jane.doe@acme.example"])
    );
    let vendor = at(&doc, "zscaler_zpa.user_activity");
    // Kept: what has no ECS field, including the status fields and the values that do not fit.
    assert_eq!(
        vendor["internal_reason"],
        "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY"
    );
    assert_eq!(vendor["connection_status"], "close");
    assert_eq!(vendor["client_private_ip"], "10.12.4.117");
    assert_eq!(vendor["server_port"], 0);
    assert_eq!(vendor["zen_total_bytes_rx_client"], 517);
    // Taken out: mapped keys, the event time and empty strings.
    for gone in [
        "username",
        "client_public_ip",
        "ip_protocol",
        "log_timestamp",
        "server_ip",
        "timestamp_ca_tx",
        "policy",
    ] {
        assert!(vendor.get(gone).is_none(), "{gone}");
    }
    assert!(doc.get("server").unwrap().get("port").is_none());
}

#[test]
fn user_activity_outcomes_follow_the_catalog() {
    let open = fixture_document("user_activity_open");
    assert_eq!(at(&open, "event.outcome"), "success");
    assert_eq!(at(&open, "event.type"), &json!(["connection", "start"]));
    assert_eq!(at(&open, "event.severity"), 1);
    let unknown = fixture_document("user_activity_unknown_code");
    assert_eq!(at(&unknown, "event.outcome"), "unknown");
    let reason = at(&unknown, "event.reason").as_str().unwrap();
    assert!(
        reason.contains("BRK_MT_SETUP_FAIL_SOMETHING_NEWER"),
        "{reason}"
    );
    let not_reachable = fixture_document("user_activity_app_not_reachable");
    assert_eq!(at(&not_reachable, "event.outcome"), "failure");
    // "ZPA LSS Client" is a name without a domain; policy "0" is no rule.
    assert_eq!(at(&not_reachable, "user.name"), "ZPA LSS Client");
    assert!(at(&not_reachable, "user.email").is_null());
    assert!(at(&not_reachable, "rule.name").is_null());
    assert_eq!(at(&not_reachable, "zscaler_zpa.user_activity.policy"), "0");
}

#[test]
fn user_status_is_an_authentication_session() {
    let doc = fixture_document("user_status_syslog_header");
    assert_eq!(
        at(&doc, "event.category"),
        &json!(["authentication", "session"])
    );
    assert_eq!(at(&doc, "event.type"), &json!(["start"]));
    assert_eq!(at(&doc, "event.outcome"), "success");
    assert_eq!(at(&doc, "host.hostname"), "LAPTOP-7H2K");
    assert_eq!(at(&doc, "host.os.platform"), "windows");
    assert_eq!(
        at(&doc, "tls.client.x509.subject.common_name"),
        "c9a3f1d2-acme"
    );
    assert_eq!(
        at(&doc, "server.geo.location"),
        &json!({"lat": 40.7, "lon": -74.0})
    );
    assert!(doc.get("x509").is_none());
    let failed = fixture_document("user_status_auth_failed");
    assert_eq!(at(&failed, "event.outcome"), "failure");
    assert_eq!(at(&failed, "event.type"), &json!(["info"]));
    assert_eq!(at(&failed, "event.severity"), 3);
    // Lists stay lists under the vendor namespace; an empty list is kept as it is.
    assert_eq!(
        at(&failed, "zscaler_zpa.user_status.trusted_networks"),
        &json!(["Office"])
    );
    assert_eq!(
        at(&failed, "zscaler_zpa.user_status.postures_miss"),
        &json!([])
    );
}

#[test]
fn component_status_reports_the_observer_and_its_host() {
    let doc = fixture_document("app_connector_status");
    assert_eq!(at(&doc, "observer.ip"), "198.51.100.23");
    assert_eq!(at(&doc, "observer.name"), "conn-nyc-01");
    assert_eq!(at(&doc, "observer.type"), "forwarder");
    assert_eq!(at(&doc, "observer.version"), "24.158.1");
    assert_eq!(at(&doc, "observer.os.platform"), "el9");
    assert_eq!(at(&doc, "host.cpu.usage"), 0.03);
    assert_eq!(at(&doc, "host.network.egress.bytes"), 524_288);
    assert_eq!(at(&doc, "event.type"), &json!(["end"]));
    let pcc = fixture_document("private_cloud_controller_status");
    assert_eq!(at(&pcc, "observer.name"), "pcc-nyc-01");
    assert!(at(&pcc, "observer.type").is_null());
}

#[test]
fn browser_access_maps_http_url_and_user_agent() {
    let doc = fixture_document("browser_access");
    assert_eq!(at(&doc, "http.request.method"), "GET");
    assert_eq!(at(&doc, "http.response.status_code"), 304);
    assert_eq!(at(&doc, "http.request.body.bytes"), 512);
    assert_eq!(at(&doc, "url.original"), "/index.html");
    assert_eq!(at(&doc, "url.path"), "/index.html");
    assert_eq!(at(&doc, "url.domain"), "wiki.acme.example");
    assert_eq!(at(&doc, "url.scheme"), "https");
    assert_eq!(at(&doc, "url.full"), "https://wiki.acme.example/index.html");
    assert_eq!(at(&doc, "user_agent.original"), "Mozilla/5.0");
    assert_eq!(at(&doc, "client.port"), 51514);
    assert_eq!(at(&doc, "server.port"), 443);
    assert_eq!(at(&doc, "user.email"), "jane.doe@acme.example");
    // No status code: the HTTP status decides.
    assert!(at(&doc, "event.code").is_null());
    assert_eq!(at(&doc, "event.outcome"), "success");
    assert_eq!(at(&doc, "event.category"), &json!(["web"]));
    let closed = fixture_document("browser_access_close");
    assert_eq!(at(&closed, "event.code"), "BRK_MT_CLOSED_FROM_ASSISTANT");
}

#[test]
fn audit_records_are_categorized_by_operation() {
    let doc = fixture_document("audit");
    assert_eq!(at(&doc, "event.category"), &json!(["iam"]));
    assert_eq!(at(&doc, "event.type"), &json!(["creation"]));
    assert_eq!(at(&doc, "event.outcome"), "success");
    assert_eq!(at(&doc, "event.action"), "Create");
    assert_eq!(at(&doc, "event.id"), "6b1e8c1a-7f36-4f37-9f2b-5d1c0a4b7e21");
    assert_eq!(at(&doc, "user.email"), "admin@acme.example");
    assert_eq!(at(&doc, "user.id"), "72058304855015424");
    assert_eq!(at(&doc, "organization.id"), "72058304855015424");
    let vendor = at(&doc, "zscaler_zpa.audit");
    assert!(vendor.get("modified_time").is_none());
    assert_eq!(vendor["creation_time"], "2021-11-17T04:29:38.000Z");
    assert_eq!(vendor["object_type"], "Application Segment");

    let op = |operation: &str| {
        let record = format!(
            r#"{{"modifiedTime":"2021-11-17T04:29:38.000Z","requestId":"r-1","auditOperationType":"{operation}","objectType":"Administrator","user":"admin@acme.example"}}"#
        );
        document_with(
            record.as_bytes(),
            time(TimeSource::ModifiedTime),
            &EcsOptions::default(),
        )
    };
    let cases = [
        ("Update", json!(["iam"]), json!(["change"]), "success"),
        ("Delete", json!(["iam"]), json!(["deletion"]), "success"),
        (
            "Sign In",
            json!(["authentication", "session"]),
            json!(["start"]),
            "success",
        ),
        (
            "Sign In Failure",
            json!(["authentication", "session"]),
            json!(["start"]),
            "failure",
        ),
        (
            "Sign Out",
            json!(["authentication", "session"]),
            json!(["end"]),
            "success",
        ),
        ("Rename", json!(["iam"]), json!(["info"]), "unknown"),
    ];
    for (operation, category, types, outcome) in cases {
        let doc = op(operation);
        assert_eq!(at(&doc, "event.category"), &category, "{operation}");
        assert_eq!(at(&doc, "event.type"), &types, "{operation}");
        assert_eq!(at(&doc, "event.outcome"), outcome, "{operation}");
        // Lower-case keys map as their capitalised spellings do.
        assert_eq!(at(&doc, "event.id"), "r-1");
        assert_eq!(at(&doc, "user.name"), "admin");
        assert!(at(&doc, "zscaler_zpa.audit.modified_time").is_null());
        let problems = super::ecs_check::check_ecs_document(&doc);
        assert!(problems.is_empty(), "{operation}: {problems:?}");
    }
}

#[test]
fn metrics_are_metric_events_with_numbers() {
    let doc = fixture_document("app_connector_metrics");
    assert_eq!(at(&doc, "event.kind"), "metric");
    assert_eq!(at(&doc, "event.category"), &json!(["host"]));
    assert!(at(&doc, "event.outcome").is_null());
    assert!(at(&doc, "event.severity").is_null());
    assert_eq!(at(&doc, "host.cpu.usage"), 0.01);
    assert_eq!(at(&doc, "host.name"), "conn-nyc-01");
    assert_eq!(at(&doc, "observer.name"), "conn-nyc-01");
    let vendor = at(&doc, "zscaler_zpa.app_connector_metrics");
    assert_eq!(vendor["system_memory_utilization"], 23);
    assert_eq!(vendor["available_disk_bytes"], 40_000_000_000_i64);
    assert_eq!(vendor["used_tcp_ports_ipv4"], 30);
    // Identifiers stay as written.
    assert_eq!(vendor["micro_tenant_id"], "0");
}

#[test]
fn inspection_and_flows_use_their_own_fields() {
    let waf = fixture_document("app_protection");
    assert_eq!(at(&waf, "event.category"), &json!(["intrusion_detection"]));
    assert_eq!(at(&waf, "event.type"), &json!(["denied"]));
    assert_eq!(at(&waf, "event.start"), "2021-12-01T10:38:41.001Z");
    assert_eq!(at(&waf, "url.domain"), "payroll.internal.acme.example");
    assert_eq!(at(&waf, "http.response.status_code"), 403);
    let ldap = fixture_document("ldap_inspection");
    assert_eq!(at(&ldap, "network.transport"), "tcp");
    assert_eq!(at(&ldap, "server.port"), 389);
    assert_eq!(at(&ldap, "server.domain"), "dc1.acme.example");
    assert_eq!(at(&ldap, "event.type"), &json!(["allowed"]));
    assert_eq!(at(&ldap, "event.outcome"), "success");
    let flow = fixture_document("microsegmentation_flow");
    assert_eq!(at(&flow, "source.ip"), "10.30.0.5");
    assert_eq!(at(&flow, "source.port"), 51514);
    assert_eq!(at(&flow, "destination.port"), 5432);
    assert_eq!(at(&flow, "network.direction"), "outbound");
    assert_eq!(at(&flow, "process.name"), "postgres");
    assert_eq!(at(&flow, "rule.name"), "Web to DB");
    assert_eq!(at(&flow, "event.type"), &json!(["connection", "denied"]));
    assert_eq!(at(&flow, "event.outcome"), "failure");
}

#[test]
fn unknown_records_get_the_generic_fields_only() {
    let doc = fixture_document("unknown_log_type");
    assert_eq!(at(&doc, "event.dataset"), "zscaler_zpa.unknown");
    assert_eq!(at(&doc, "event.kind"), "event");
    assert!(at(&doc, "event.category").is_null());
    assert!(at(&doc, "event.outcome").is_null());
    assert_eq!(
        at(&doc, "zscaler_zpa.unknown"),
        &json!({"foo": "bar", "n": 1})
    );
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["@timestamp", "ecs", "event", "observer", "zscaler_zpa"]
    );
}

#[test]
fn robust_for_records_not_seen_before() {
    // Numbers as strings, a host name where an IP belongs, a repeated key, escaped keys and an
    // out-of-range coordinate.
    let doc = document(
        r#"{"LogTimestamp":"x","InternalReason":"","ConnectionStatus":"open","IPProtocol":"17","ClientPublicIP":"laptop.acme.example","ServerPort":"8443","Client\u0043ity":"Paris","ClientLatitude":"48.85","ClientLongitude":"200","Username":"a@b.example","Username":"c@d.example","Weird Key":"v","weird_key":"w"}"#,
    );
    assert!(super::ecs_check::check_ecs_document(&doc).is_empty());
    assert_eq!(at(&doc, "network.transport"), "udp");
    assert_eq!(at(&doc, "server.port"), 8443);
    assert_eq!(at(&doc, "client.geo.city_name"), "Paris");
    assert!(at(&doc, "client.ip").is_null());
    assert!(at(&doc, "client.geo.location").is_null());
    assert_eq!(at(&doc, "user.email"), "c@d.example");
    let vendor = at(&doc, "zscaler_zpa.user_activity");
    assert_eq!(vendor["client_public_ip"], "laptop.acme.example");
    assert_eq!(vendor["client_latitude"], "48.85");
    assert_eq!(vendor["client_longitude"], "200");
    // Two keys with one name: each keeps its value.
    assert_eq!(vendor["weird_key"], "v");
    assert_eq!(vendor["weird_key_2"], "w");
    assert!(vendor.get("internal_reason").is_none());
    let text = serde_json::to_string(vendor).unwrap();
    assert_eq!(text.matches("weird_key").count(), 2, "{text}");
}

#[test]
fn an_unreadable_time_is_tagged_and_the_original_kept_on_request() {
    let record = fixture("user_activity_open");
    let doc = document_with(
        &record,
        time(TimeSource::Processing),
        &EcsOptions {
            keep_original: true,
        },
    );
    assert_eq!(at(&doc, "tags"), &json!(["event_time_unreadable"]));
    assert_eq!(at(&doc, "event.created"), "2021-12-01T10:38:41.000Z");
    assert_eq!(
        at(&doc, "event.original").as_str().unwrap().as_bytes(),
        record.as_slice()
    );
    // The time field that could not be read stays with the vendor's fields.
    assert_eq!(
        at(&doc, "zscaler_zpa.user_activity.log_timestamp"),
        "Wed Nov 25 10:38:41 2026"
    );
    assert!(super::ecs_check::check_ecs_document(&doc).is_empty());
    let plain = fixture_document("user_activity_open");
    assert!(at(&plain, "event.original").is_null());
    assert!(at(&plain, "tags").is_null());
}

#[test]
fn equal_records_give_equal_bytes() {
    let record = fixture("user_status_auth_failed");
    let once = || {
        render(
            &record,
            time(TimeSource::LogTimestamp),
            &EcsOptions::default(),
        )
    };
    let first = once();
    assert_eq!(first, once());
    // The fields come in path order: the first ones of this document.
    assert!(
        first.starts_with(r#"{"@timestamp":"2021-12-01T10:38:41.000Z","client":{"geo":{"city_name":"New York","country_iso_code":"US","location":{"lat":40.7128,"lon":-74.006}},"ip":"203.0.113.47"},"ecs":{"version":"8.11.0"},"event":{"category":["authentication","session"],"#),
        "{first}"
    );
}
