use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use pretty_assertions::assert_eq;
use serde_json::Value;

use super::*;
use crate::catalog::{Catalog, Category, Severity};
use crate::enrich::format::OutputFormat;
use crate::enrich::format::{Record, Status};
use crate::enrich::{EnrichOptions, Enricher, OutputMode};
use crate::event::scan::Member;
use crate::event::{self, EventTime, HeaderMode, OwnedKeys, ReadOptions, TimeSource};

fn catalog() -> &'static Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    CATALOG.get_or_init(|| Arc::new(Catalog::builtin()))
}

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/events")
        .join(name);
    let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    while bytes.last().is_some_and(u8::is_ascii_whitespace) {
        bytes.pop();
    }
    bytes
}

/// Every event fixture, by file name.
fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let bytes = fixture(&n);
            (n, bytes)
        })
        .collect()
}

/// 2021-12-01T10:38:41Z, the `LogTimestamp` of most fixtures.
const MILLIS: i64 = 1_638_355_121_000;

/// The processing time of every test enricher.
fn fixed_clock() -> i64 {
    1_700_000_000_123
}

fn enricher(output: OutputMode, format: OutputFormat) -> Enricher {
    Enricher::new(
        Arc::clone(catalog()),
        EnrichOptions {
            output,
            format,
            clock: fixed_clock,
            ..EnrichOptions::default()
        },
    )
}

/// The envelope of one record, as the enricher writes it with `output` and `opts`.
fn envelope_with(record: &[u8], output: OutputMode, opts: &HecOptions) -> (String, LogType) {
    let mut out = Vec::new();
    let outcome = enricher(output, OutputFormat::SplunkHec(opts.clone())).enrich(record, &mut out);
    assert_ne!(
        outcome.as_str(),
        "invalid",
        "{}",
        String::from_utf8_lossy(record)
    );
    (
        String::from_utf8(out).expect("UTF-8"),
        outcome.log_type().expect("a readable record"),
    )
}

fn read_time() -> EventTime {
    EventTime {
        millis: MILLIS,
        source: TimeSource::LogTimestamp,
    }
}

fn envelope(record: &[u8]) -> Value {
    let (text, _) = envelope_with(record, OutputMode::default(), &HecOptions::default());
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn event_of(name: &str) -> Value {
    envelope(&fixture(name))["event"].clone()
}

/// The top-level keys of a JSON object as written, repeated ones included.
fn keys_as_written(object: &[u8]) -> Vec<String> {
    let mut members: Vec<Member> = Vec::new();
    scan::scan(object, 0, 64, &mut members).expect("valid JSON");
    members
        .iter()
        .map(|m| serde_json::from_slice::<String>(&object[m.key_start..=m.key_end]).unwrap())
        .collect()
}

/// The `event` object of an envelope, as written.
fn event_bytes(envelope: &str) -> Vec<u8> {
    let mut members: Vec<Member> = Vec::new();
    scan::scan(envelope.as_bytes(), 0, 64, &mut members).unwrap();
    let m = members
        .iter()
        .find(|m| m.raw_key(envelope.as_bytes()) == b"event")
        .expect("an event");
    envelope.as_bytes()[m.value_start..m.value_end].to_vec()
}

#[test]
fn every_fixture_gets_an_envelope_of_the_documented_shape() {
    for (name, record) in fixtures() {
        let (text, log_type) =
            envelope_with(&record, OutputMode::default(), &HecOptions::default());
        let env: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let keys: Vec<&str> = env
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["time", "source", "sourcetype", "event", "fields"],
            "{name}"
        );
        // Seconds with three decimals: the record's own time, or the processing time.
        let time = text["{\"time\":".len()..].split(',').next().unwrap();
        let (secs, millis) = time.split_once('.').unwrap();
        assert!(secs.bytes().all(|b| b.is_ascii_digit()), "{name}: {time}");
        assert!(
            millis.len() == 3 && millis.bytes().all(|b| b.is_ascii_digit()),
            "{name}"
        );
        // Only a record without a readable time is marked, and it carries the processing time.
        let unreadable = time == "1700000000.123";
        assert_eq!(
            env["fields"].get("zpa_enricher_event_time").is_some(),
            unreadable,
            "{name}"
        );
        assert_eq!(env["source"], "zpa-enricher", "{name}");
        assert_eq!(env["sourcetype"], sourcetype(log_type), "{name}");
        assert!(env["event"].is_object(), "{name}");

        // The event is the CIM fields, then the lss record key for key.
        let mut lss = Vec::new();
        enricher(OutputMode::default(), OutputFormat::Lss).enrich(&record, &mut lss);
        let lss_keys = keys_as_written(lss.trim_ascii_end());
        let event_keys = keys_as_written(&event_bytes(&text));
        let cim_count = event_keys.len() - lss_keys.len();
        assert_eq!(event_keys[cim_count..], lss_keys[..], "{name}");
        let mut unique = event_keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), event_keys.len(), "{name}: a key twice");
        let lss_value: Value = serde_json::from_slice(&lss).unwrap();
        for (k, v) in lss_value.as_object().unwrap() {
            assert_eq!(&env["event"][k], v, "{name}: {k} changed");
        }
        for added in &event_keys[..cim_count] {
            assert!(
                super::members::Cim::ALL.iter().any(|c| c.name() == added),
                "{name}: {added} is no CIM field"
            );
        }

        // Indexed fields: flat strings, the documented names, in their order.
        let fields = env["fields"].as_object().unwrap();
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let expected: Vec<&str> = INDEXED_FIELDS
            .iter()
            .copied()
            .filter(|n| names.contains(n))
            .collect();
        assert_eq!(names, expected, "{name}");
        assert!(fields.values().all(Value::is_string), "{name}");
        assert_eq!(fields["zpa_enricher_log_type"], log_type.as_str(), "{name}");
        assert_eq!(
            fields["zpa_enricher_catalog_version"],
            catalog().version(),
            "{name}"
        );
    }
}

#[test]
fn sourcetypes_are_the_zscaler_add_on_names_where_it_has_them() {
    let cases = [
        ("user_activity_open.json", "zscalerlss-zpa-app"),
        ("user_status_auth_failed.json", "zscalerlss-zpa-auth"),
        ("app_connector_status.json", "zscalerlss-zpa-connector"),
        ("app_connector_metrics.json", "zscalerlss-zpa-connector"),
        ("private_service_edge_status.json", "zscalerlss-zpa-pse"),
        ("private_service_edge_metrics.json", "zscalerlss-zpa-pse"),
        ("private_cloud_controller_status.json", "zscalerlss-zpa-pcc"),
        (
            "private_cloud_controller_metrics.json",
            "zscalerlss-zpa-pcc",
        ),
        ("browser_access.json", "zscalerlss-zpa-bba"),
        ("audit.json", "zscalerlss-zpa-audit"),
        ("app_protection.json", "zscalerlss-zpa-web-inspection"),
        ("smb_inspection.json", "zscalerlss-zpa-smb-inspection"),
        ("ldap_inspection.json", "zscalerlss-zpa-ldap-inspection"),
        ("krb_inspection.json", "zscalerlss-zpa-krb-inspection"),
        (
            "microsegmentation_flow.json",
            "zscalerlss-zpa-microsegmentation",
        ),
        ("unknown_log_type.json", "zscalerlss-zpa-unknown"),
    ];
    for (name, expected) in cases {
        assert_eq!(envelope(&fixture(name))["sourcetype"], expected, "{name}");
    }
    // Every log type has one, and every name is a valid Splunk sourcetype.
    for t in LogType::ALL {
        let s = sourcetype(t);
        assert!(s.starts_with("zscalerlss-zpa-"));
        assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
    }
}

#[test]
fn user_activity_maps_to_network_sessions() {
    let ev = event_of("user_activity_policy_block.json");
    assert_eq!(ev["action"], "blocked");
    assert_eq!(ev["signature_id"], "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY");
    let title = &catalog()
        .get("BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY")
        .unwrap()
        .status;
    assert_eq!(ev["signature"], title.as_str());
    assert_eq!(ev["severity"], "medium");
    assert_eq!(ev["user"], "jane.doe@acme.example");
    assert_eq!(ev["src_ip"], "203.0.113.47");
    assert_eq!(ev["dest_ip"], "10.12.4.117");
    assert_eq!(ev["vendor_product"], "Zscaler Private Access");
    assert_eq!(ev["vendor"], "Zscaler");
    assert_eq!(ev["product"], "Zscaler Private Access");

    let open = event_of("user_activity_open.json");
    assert_eq!(open["action"], "started");
    assert_eq!(open["severity"], "informational");
    assert_eq!(
        event_of("user_activity_active_empty_reason.json")["action"],
        "started"
    );
    assert_eq!(
        event_of("user_activity_without_internal_reason.json")["action"],
        "started"
    );
    // A connection that failed for an error ended; its signature says why.
    let failed = event_of("user_activity_app_not_reachable.json");
    assert_eq!(failed["action"], "ended");
    assert_eq!(failed["signature_id"], "APP_NOT_REACHABLE");
    assert_eq!(failed["user"], "ZPA LSS Client");
}

#[test]
fn an_unknown_code_is_its_own_signature() {
    let ev = event_of("user_activity_unknown_code.json");
    assert_eq!(ev["signature"], "BRK_MT_SETUP_FAIL_SOMETHING_NEWER");
    assert_eq!(ev["signature_id"], "BRK_MT_SETUP_FAIL_SOMETHING_NEWER");
    assert_eq!(ev["severity"], "medium");
    assert_eq!(ev["action"], "ended");
    let env = envelope(&fixture("user_activity_unknown_code.json"));
    let fields = env["fields"].as_object().unwrap();
    assert_eq!(
        fields["zpa_enricher_code"],
        "BRK_MT_SETUP_FAIL_SOMETHING_NEWER"
    );
    assert_eq!(fields["zpa_enricher_component"], "Service Edge");
    assert!(!fields.contains_key("zpa_enricher_category"));
}

#[test]
fn user_status_maps_to_authentication() {
    let failed = event_of("user_status_auth_failed.json");
    assert_eq!(failed["action"], "failure");
    assert_eq!(failed["app"], "zpa");
    assert_eq!(failed["user"], "jane.doe@acme.example");
    assert_eq!(failed["src"], "203.0.113.47");
    assert_eq!(failed["dest"], "US-NY-8179");
    assert_eq!(failed["signature"], "Authentication Failed");
    assert_eq!(failed["severity"], "medium");
    // Behind a syslog header, the same.
    let ok = event_of("user_status_syslog_header.json");
    assert_eq!(ok["action"], "success");
    assert_eq!(ok["severity"], "informational");
    // A disconnect is no authentication: no action, so no data model.
    let gone = event_of("user_status_pri_only.json");
    assert_eq!(gone.get("action"), None);
    assert_eq!(gone["signature_id"], "ZPN_STATUS_DISCONNECTED");
}

#[test]
fn browser_access_maps_to_web() {
    let ev = event_of("browser_access.json");
    assert_eq!(ev["action"], "allowed");
    assert_eq!(ev["user"], "jane.doe@acme.example");
    assert_eq!(ev["src"], "203.0.113.47");
    assert_eq!(ev["dest"], "wiki.acme.example");
    assert_eq!(ev["dest_port"], 443);
    assert_eq!(ev["http_method"], "GET");
    assert_eq!(ev["url"], "https://wiki.acme.example/index.html");
    assert_eq!(ev["url_domain"], "wiki.acme.example");
    assert_eq!(ev["uri_path"], "/index.html");
    assert_eq!(ev["status"], "304");
    assert_eq!(ev["http_user_agent"], "Mozilla/5.0");
    assert_eq!(ev["http_user_agent_length"], 11);
    assert_eq!(ev["bytes_in"], 512);
    assert_eq!(ev["bytes_out"], 0);
    assert_eq!(ev["bytes"], 512);
    // No code: no signature.
    assert_eq!(ev.get("signature"), None);
    assert_eq!(ev["severity"], "informational");

    let closed = event_of("browser_access_close.json");
    assert_eq!(closed["signature_id"], "BRK_MT_CLOSED_FROM_ASSISTANT");
    assert_eq!(closed["status"], "200");
}

#[test]
fn browser_access_numbers_as_strings_and_odd_ports_are_read() {
    let record = br#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","ConnectionID":"a,1","Exporter":"unset","Method":"post","Protocol":"HTTP","Host":"app.acme.example","URL":"/a/b?x=1","UserAgent":"caf\u00e9","NameID":"n","StatusCode":"201","RequestSize":"10","ResponseSize":"x","ApplicationPort":"8080","ClientPublicIp":"","ClientPrivateIp":"10.0.0.1","ConnectionStatus":"","ConnectionReason":""}"#;
    let ev = envelope(record)["event"].clone();
    assert_eq!(ev["http_method"], "POST");
    assert_eq!(ev["url"], "http://app.acme.example:8080/a/b?x=1");
    assert_eq!(ev["uri_path"], "/a/b");
    assert_eq!(ev["dest_port"], 8080);
    assert_eq!(ev["status"], "201");
    assert_eq!(ev["src"], "10.0.0.1");
    // Four characters, five bytes.
    assert_eq!(ev["http_user_agent"], "café");
    assert_eq!(ev["http_user_agent_length"], 4);
    assert_eq!(ev["bytes_in"], 10);
    // A size that is no number is left out, and so is the sum.
    assert_eq!(ev.get("bytes_out"), None);
    assert_eq!(ev.get("bytes"), None);
}

#[test]
fn audit_changes_map_to_change() {
    let ev = event_of("audit.json");
    assert_eq!(ev["action"], "created");
    assert_eq!(ev["change_type"], "configuration");
    assert_eq!(ev["command"], "Create");
    assert_eq!(ev["object"], "Finance Apps");
    assert_eq!(ev["object_category"], "Application Segment");
    assert_eq!(ev["object_id"], "72058304855090000");
    assert_eq!(ev["object_attrs"], "name");
    assert_eq!(ev["status"], "success");
    assert_eq!(ev["user"], "admin@acme.example");
    assert_eq!(ev["dest"], "72058304855015424");
    assert_eq!(ev["dvc"], "72058304855015424");
    assert_eq!(ev.get("signature"), None);
}

#[test]
fn audit_records_with_camel_case_keys_and_other_operations() {
    let update = br#"{"modifiedTime":"2021-11-17T04:29:38.000Z","creationTime":"","modifiedBy":"1","requestId":"r","sessionId":"s","auditOldValue":"{\"name\":\"A\",\"port\":80,\"same\":1}","auditNewValue":"{\"name\":\"B\",\"port\":80,\"same\":1,\"added\":true}","auditOperationType":"Update","objectType":"Server","objectName":"srv","objectId":"7","customerId":"9","modifiedByUser":"root@acme.example","clientAuditUpdate":0}"#;
    let ev = envelope(update)["event"].clone();
    assert_eq!(ev["action"], "modified");
    assert_eq!(ev["object_attrs"], serde_json::json!(["added", "name"]));
    assert_eq!(ev["object_id"], "7");
    assert_eq!(ev["user"], "root@acme.example");
    assert_eq!(ev["dest"], "9");

    let sign_in = br#"{"ModifiedTime":"","CreationTime":"2021-11-17T04:29:38.000Z","AuditOperationType":"Sign In","ObjectType":"Authentication","User":"admin@acme.example","CustomerID":9}"#;
    let ev = envelope(sign_in)["event"].clone();
    assert_eq!(ev["action"], "success");
    assert_eq!(ev["app"], "zpa:admin");
    assert_eq!(ev["dest"], "9");
    assert_eq!(ev.get("change_type"), None);
    assert_eq!(ev.get("object"), None);

    let failed = br#"{"AuditOperationType":"Sign In Failure","User":"admin@acme.example"}"#;
    assert_eq!(envelope(failed)["event"]["action"], "failure");

    // Signing out is no authentication and no change: nothing but who.
    let sign_out =
        br#"{"AuditOperationType":"Sign Out","User":"admin@acme.example","CustomerID":9}"#;
    let ev = envelope(sign_out)["event"].clone();
    assert_eq!(ev.get("action"), None);
    assert_eq!(ev.get("dest"), None);
    assert_eq!(ev["user"], "admin@acme.example");
}

#[test]
fn microsegmentation_maps_to_network_traffic() {
    let ev = event_of("microsegmentation_flow.json");
    assert_eq!(ev["action"], "blocked");
    assert_eq!(ev["app"], "postgres");
    assert_eq!(ev["src"], "10.30.0.5");
    assert_eq!(ev["src_ip"], "10.30.0.5");
    assert_eq!(ev["src_port"], 51514);
    assert_eq!(ev["dest"], "10.30.1.9");
    assert_eq!(ev["dest_ip"], "10.30.1.9");
    assert_eq!(ev["dest_port"], 5432);
    assert_eq!(ev["transport"], "tcp");
    assert_eq!(ev["protocol"], "ip");
    assert_eq!(ev["protocol_version"], "ipv4");
    assert_eq!(ev["direction"], "outbound");
    assert_eq!(ev["dvc"], "web-01");
    assert_eq!(ev["rule"], "Web to DB");

    let allowed = br#"{"LogTimestamp":"x","SourceIP":"fd00::1","DestinationIP":"db","SourcePorts":[1,2],"DestinationPort":53,"Protocol":17,"AppName":["a","b"],"Direction":"sideways","EnforcementAction":"SIMBLOCK"}"#;
    let ev = envelope(allowed)["event"].clone();
    assert_eq!(ev["action"], "allowed");
    assert_eq!(ev["app"], serde_json::json!(["a", "b"]));
    assert_eq!(ev["src_ip"], "fd00::1");
    // A name is no address; several source ports are a list.
    assert_eq!(ev.get("dest_ip"), None);
    assert_eq!(ev["dest"], "db");
    assert_eq!(ev["src_port"], serde_json::json!([1, 2]));
    assert_eq!(ev["transport"], "udp");
    assert_eq!(ev["protocol_version"], "ipv6");
    assert_eq!(ev.get("direction"), None);
}

#[test]
fn component_logs_name_their_device() {
    let cases = [
        ("app_connector_status.json", "conn-nyc-01"),
        ("app_connector_metrics.json", "conn-nyc-01"),
        ("private_service_edge_status.json", "pse-nyc-01"),
        ("private_service_edge_metrics.json", "pse-nyc-01"),
        ("private_cloud_controller_status.json", "pcc-nyc-01"),
        ("private_cloud_controller_metrics.json", "pcc-nyc-01"),
    ];
    for (name, dvc) in cases {
        let ev = event_of(name);
        assert_eq!(ev["dvc"], dvc, "{name}");
        assert_eq!(ev.get("action"), None, "{name}");
    }
    // A connector that cannot sign in is critical there, not medium as for a user.
    let failed = envelope(&fixture("app_connector_status_auth_failed.json"));
    assert_eq!(failed["event"]["severity"], "critical");
    assert_eq!(failed["fields"]["zpa_enricher_severity"], "critical");
    assert_eq!(failed["fields"]["zpa_enricher_component"], "App Connector");
    assert_eq!(failed["fields"]["zpa_enricher_category"], "error");
}

#[test]
fn a_cim_field_the_record_already_has_is_not_added() {
    let record = br#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","InternalReason":"BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY","ConnectionStatus":"close","Username":"jane","action":"mine","severity":7,"vendor_product":null,"user":{"a":1}}"#;
    let (text, _) = envelope_with(record, OutputMode::default(), &HecOptions::default());
    let keys = keys_as_written(&event_bytes(&text));
    for k in ["action", "severity", "vendor_product", "user"] {
        assert_eq!(keys.iter().filter(|x| *x == k).count(), 1, "{k}: {keys:?}");
    }
    let ev: Value = serde_json::from_str::<Value>(&text).unwrap()["event"].clone();
    assert_eq!(ev["action"], "mine");
    assert_eq!(ev["severity"], 7);
    assert_eq!(ev["vendor_product"], Value::Null);
    assert_eq!(ev["user"], serde_json::json!({"a": 1}));
    // The fields it does not have are added.
    assert_eq!(ev["signature_id"], "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY");
    assert_eq!(ev["vendor"], "Zscaler");

    // The same for flat enrichment keys that happen to be CIM names: an empty prefix, which the
    // settings refuse, but the writer does not count on that.
    let (text, _) = envelope_with(
        &fixture("user_activity_policy_block.json"),
        OutputMode::Flat {
            prefix: String::new(),
        },
        &HecOptions::default(),
    );
    let keys = keys_as_written(&event_bytes(&text));
    assert_eq!(keys.iter().filter(|x| *x == "severity").count(), 1);
    assert_eq!(keys.iter().filter(|x| *x == "status").count(), 1);
    let ev: Value = serde_json::from_str::<Value>(&text).unwrap()["event"].clone();
    assert_eq!(ev["severity"], "medium");
    assert_eq!(ev["action"], "blocked");
}

#[test]
fn configured_host_source_and_index_are_escaped() {
    let opts = HecOptions {
        source: "zpa \"east\"\\1".into(),
        host: Some("kafka-0\n\t\u{1}é".into()),
        index: Some("zpa_\u{2028}".into()),
    };
    let (text, _) = envelope_with(
        &fixture("user_status_auth_failed.json"),
        OutputMode::default(),
        &opts,
    );
    let env: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = env
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "time",
            "host",
            "source",
            "sourcetype",
            "index",
            "event",
            "fields"
        ]
    );
    assert_eq!(env["source"], "zpa \"east\"\\1");
    assert_eq!(env["host"], "kafka-0\n\t\u{1}é");
    assert_eq!(env["index"], "zpa_\u{2028}");
    assert!(text.contains(r#""host":"kafka-0\n\t\u0001é""#), "{text}");
}

#[test]
fn time_is_the_event_time_or_the_marked_processing_time() {
    let cases = [
        ("browser_access.json", "1638355121.000"),
        ("user_activity_open.json", "1795603121.000"),
        // Audit: ModifiedTime.
        ("audit.json", "1637123378.000"),
        (
            "user_activity_without_internal_reason.json",
            "1633603200.000",
        ),
    ];
    for (name, time) in cases {
        let (text, _) = envelope_with(
            &fixture(name),
            OutputMode::default(),
            &HecOptions::default(),
        );
        assert!(
            text.starts_with(&format!("{{\"time\":{time},")),
            "{name}: {text}"
        );
        let env: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(env["fields"].get("zpa_enricher_event_time"), None, "{name}");
    }
    let (text, _) = envelope_with(
        &fixture("unknown_log_type.json"),
        OutputMode::default(),
        &HecOptions::default(),
    );
    let env: Value = serde_json::from_str(&text).unwrap();
    assert!(text.starts_with("{\"time\":1700000000.123,"));
    assert_eq!(
        env["fields"]["zpa_enricher_event_time"],
        EVENT_TIME_UNREADABLE
    );
    // A record of no known type still gets the catalog's answer in CIM terms.
    assert_eq!(env["event"]["severity"], "informational");
    assert_eq!(env["event"]["foo"], "bar");
}

#[test]
fn an_empty_object_gets_fields_without_a_leading_comma() {
    let rec_view = event::read(
        b"{}",
        &ReadOptions {
            max_depth: 64,
            max_record_bytes: 64,
            header: HeaderMode::Strip,
            owned: OwnedKeys::Exact("enrichment".into()),
        },
    )
    .unwrap();
    let rec = Record {
        bytes: b"{}",
        view: &rec_view,
        members: &[],
        original: b"{}",
        log_type: LogType::Unknown,
        time: read_time(),
        status: Status {
            code: None,
            source_field: None,
            title: None,
            severity: Severity::Info,
            category: Some(Category::Info),
            component: None,
            known: false,
            catalog_version: "v\"1",
        },
        enrichment: b"{}",
    };
    let mut out = Vec::new();
    write(&mut out, &rec, b" { }\n", &HecOptions::default());
    let env: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        env["event"],
        serde_json::json!({"severity": "informational", "vendor": "Zscaler",
            "product": "Zscaler Private Access", "vendor_product": "Zscaler Private Access"})
    );
    assert_eq!(env["fields"]["zpa_enricher_catalog_version"], "v\"1");
}

#[test]
fn the_url_is_built_from_its_parts() {
    use super::cim::url;
    assert_eq!(
        url(Some("https"), "h", Some(443), Some("/p")),
        "https://h/p"
    );
    assert_eq!(
        url(Some("https"), "h", Some(8443), Some("/p")),
        "https://h:8443/p"
    );
    assert_eq!(url(Some("http"), "h", Some(80), None), "http://h/");
    assert_eq!(url(None, "h", Some(80), Some("p")), "h:80/p");
    assert_eq!(url(Some("wss"), "h", None, Some("/p")), "h/p");
    assert_eq!(
        url(Some("https"), "h", None, Some("https://x/y")),
        "https://x/y"
    );
}

#[test]
fn json_escaping_matches_serde() {
    let nasty = "a\"b\\c\nd\re\tf\u{0}\u{1f}\u{7f}é\u{2028}😀";
    let mut out = Vec::new();
    json::string(&mut out, nasty);
    assert_eq!(serde_json::from_slice::<String>(&out).unwrap(), nasty);
}

/// The stanzas of a `.conf` file of the Splunk app, with their `key = value` lines.
fn conf_stanzas(file: &str) -> Vec<(String, Vec<(String, String)>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("deploy/splunk/zpa_enricher/default")
        .join(file);
    let mut stanzas: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            stanzas.push((name.to_owned(), Vec::new()));
        } else if let Some((k, v)) = line.split_once('=').filter(|_| !line.starts_with('#')) {
            let (_, keys) = stanzas.last_mut().expect("a stanza");
            keys.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    stanzas
}

#[test]
fn the_app_knows_every_sourcetype_and_indexed_field() {
    let props = conf_stanzas("props.conf");
    let mut written: Vec<&str> = LogType::ALL.iter().map(|&t| sourcetype(t)).collect();
    written.sort_unstable();
    written.dedup();
    let mut configured: Vec<&str> = props.iter().map(|(s, _)| s.as_str()).collect();
    configured.sort_unstable();
    assert_eq!(configured, written);
    for (st, keys) in &props {
        assert!(keys.contains(&("KV_MODE".into(), "json".into())), "{st}");
    }
    let fields = conf_stanzas("fields.conf");
    let declared: Vec<&str> = fields.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(declared, INDEXED_FIELDS);
    for (f, keys) in &fields {
        assert_eq!(keys, &[("INDEXED".to_owned(), "true".to_owned())], "{f}");
    }
}

#[test]
fn an_address_field_holds_only_an_ip_address() {
    // A template that writes host names where LSS writes addresses: the names go to src and
    // dest, and no `*_ip` field holds something that is not an address.
    let names = br#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","InternalReason":"","ConnectionStatus":"open","Username":"u@globex.example","ClientPublicIP":"client.globex.example","ClientPrivateIP":"laptop.local"}"#;
    let ev = envelope(names)["event"].clone();
    assert_eq!(ev.get("src_ip"), None);
    assert_eq!(ev.get("dest_ip"), None);
    assert_eq!(ev["src"], "client.globex.example");
    assert_eq!(ev["dest"], "laptop.local");
    assert_eq!(ev["action"], "started");

    // Addresses, IPv4 and IPv6, go where they belong, without the spaces around them.
    let addresses = br#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","InternalReason":"","ConnectionStatus":"open","Username":"u","ClientPublicIP":" 203.0.113.9 ","ClientPrivateIP":"fd00::17"}"#;
    let ev = envelope(addresses)["event"].clone();
    assert_eq!(ev["src_ip"], "203.0.113.9");
    assert_eq!(ev["dest_ip"], "fd00::17");
    assert_eq!(ev.get("src"), None);
    assert_eq!(ev.get("dest"), None);

    // A record that has a `src` of its own keeps it, and the host name is left out.
    let own_src = br#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","InternalReason":"","ConnectionStatus":"close","Username":"u","ClientPublicIP":"client.globex.example","ClientPrivateIP":"10.0.0.4","src":"mine"}"#;
    let (text, _) = envelope_with(own_src, OutputMode::default(), &HecOptions::default());
    let keys = keys_as_written(&event_bytes(&text));
    assert_eq!(keys.iter().filter(|k| *k == "src").count(), 1, "{keys:?}");
    let ev: Value = serde_json::from_str::<Value>(&text).unwrap()["event"].clone();
    assert_eq!(ev["src"], "mine");
    assert_eq!(ev.get("src_ip"), None);
    assert_eq!(ev["dest_ip"], "10.0.0.4");

    // Microsegmentation: the same rule for both ends of a flow.
    let flow = br#"{"LogTimestamp":"x","SourceIP":"web-01.globex.example","DestinationIP":"10.30.1.9","SourcePorts":[1],"DestinationPort":5432,"Protocol":6,"EnforcementAction":"BLOCK"}"#;
    let ev = envelope(flow)["event"].clone();
    assert_eq!(ev["src"], "web-01.globex.example");
    assert_eq!(ev.get("src_ip"), None);
    assert_eq!(ev["dest_ip"], "10.30.1.9");
}

/// Splunk's default `[spath] extraction_cutoff`: automatic JSON extraction reads this many
/// bytes of an event.
const EXTRACTION_CUTOFF: usize = 5000;

#[test]
fn cim_fields_come_first_so_a_large_record_keeps_them() {
    // An audit update of a large object, and a User Status record with many SAML attributes.
    let value = format!(
        "{{{}}}",
        (0..400)
            .map(|i| format!("\\\"attribute{i}\\\":\\\"value {i}\\\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    // The update changed one attribute of a large object.
    let old = value.replacen("value 7", "value seven", 1);
    let audit = format!(
        r#"{{"ModifiedTime":"2021-11-17T04:29:38.000Z","CreationTime":"","AuditOldValue":"{old}","AuditNewValue":"{value}","AuditOperationType":"Update","ObjectType":"Server","ObjectName":"srv","ObjectID":"7","CustomerID":"9","User":"root@acme.example"}}"#
    );
    let saml = format!(
        r#"{{"LogTimestamp":"Wed Dec  1 10:38:41 2021","Username":"jane","SessionStatus":"ZPN_STATUS_AUTH_FAILED","PublicIP":"203.0.113.47","ZEN":"US-NY-8179","SAMLAttributes":"{value}","PosturesHit":[{}]}}"#,
        (0..200)
            .map(|i| format!("\"posture {i}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    for (what, record, expected) in [
        (
            "audit",
            audit,
            &["action", "severity", "object_attrs", "dest", "user"][..],
        ),
        (
            "user status",
            saml,
            &["action", "signature_id", "src", "user"],
        ),
    ] {
        assert!(record.len() > 3 * EXTRACTION_CUTOFF, "{what}");
        let (text, _) = envelope_with(
            record.as_bytes(),
            OutputMode::default(),
            &HecOptions::default(),
        );
        let event = event_bytes(&text);
        let keys = keys_as_written(&event);
        // Every CIM field precedes the record's first key...
        let first_record_key = keys
            .iter()
            .position(|k| super::members::Cim::ALL.iter().all(|c| c.name() != k))
            .unwrap();
        for k in &keys[first_record_key..] {
            assert!(
                super::members::Cim::ALL.iter().all(|c| c.name() != k),
                "{what}: {k} after the record"
            );
        }
        // ...and ends within the part of the event Splunk extracts.
        let ev: Value = serde_json::from_slice(&event).unwrap();
        for name in expected {
            assert!(ev.get(*name).is_some(), "{what}: no {name}");
        }
        let record_start = String::from_utf8_lossy(&event)
            .find(&format!("\"{}\":", keys[first_record_key]))
            .unwrap();
        assert!(record_start < EXTRACTION_CUTOFF, "{what}: {record_start}");
        // The record itself is unchanged.
        let record_value: Value = serde_json::from_str(&record).unwrap();
        for (k, v) in record_value.as_object().unwrap() {
            assert_eq!(&ev[k], v, "{what}: {k}");
        }
    }
}

#[test]
fn browser_access_without_an_http_status_has_no_status_and_no_web_action() {
    let with_status = |status: &str, reason: &str| {
        let record = format!(
            r#"{{"LogTimestamp":"Wed Dec  1 10:38:41 2021","ConnectionID":"a,1","Exporter":"unset","Method":"GET","Protocol":"HTTPS","Host":"wiki.acme.example","URL":"/","UserAgent":"","NameID":"jane","StatusCode":{status},"RequestSize":512,"ResponseSize":0,"ApplicationPort":443,"ClientPublicIp":"203.0.113.47","ClientPrivateIp":"","ConnectionStatus":"zfce_mt_remote_disconnect","ConnectionReason":"{reason}"}}"#
        );
        envelope(record.as_bytes())["event"].clone()
    };
    // The connection failed before any response: no HTTP status, and neither allowed nor
    // blocked (the Web model has no action for it; the signature says what happened).
    let failed = with_status("0", "BRK_MT_SETUP_FAIL_CANNOT_SEND_TO_BROKER");
    assert_eq!(failed.get("status"), None);
    assert_eq!(failed.get("action"), None);
    assert_eq!(
        failed["signature_id"],
        "BRK_MT_SETUP_FAIL_CANNOT_SEND_TO_BROKER"
    );
    assert_eq!(failed["StatusCode"], 0);
    // Numbers that are no HTTP status either.
    for status in ["\"0\"", "99", "600", "1000"] {
        let ev = with_status(status, "");
        assert_eq!(ev.get("status"), None, "{status}");
        assert_eq!(ev.get("action"), None, "{status}");
    }
    // A policy refused the request: blocked, with or without a status.
    let refused = with_status("0", "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY");
    assert_eq!(refused["action"], "blocked");
    assert_eq!(refused.get("status"), None);
    let refused = with_status("403", "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY");
    assert_eq!(refused["action"], "blocked");
    assert_eq!(refused["status"], "403");
    // The ends of the range are statuses; an answered request was allowed, whatever it says.
    for status in ["100", "503", "599"] {
        let ev = with_status(status, "");
        assert_eq!(ev["status"], status);
        assert_eq!(ev["action"], "allowed");
    }
}
