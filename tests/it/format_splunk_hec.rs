//! The `splunk_hec` output format and the Splunk app beside it: the CIM checker itself, the
//! app's searches, and the catalog lookup the app ships.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::common::{self, cim};

/// A User Status authentication failure as the writer makes it, by hand.
fn auth_failure() -> Value {
    json!({
        "time": 1_638_355_121.0,
        "source": "zpa-enricher",
        "sourcetype": "zscalerlss-zpa-auth",
        "event": {
            "Username": "jane.doe@acme.example",
            "SessionStatus": "ZPN_STATUS_AUTH_FAILED",
            "enrichment": {"code": "ZPN_STATUS_AUTH_FAILED", "severity": "medium"},
            "action": "failure",
            "signature": "Authentication Failed",
            "signature_id": "ZPN_STATUS_AUTH_FAILED",
            "severity": "medium",
            "app": "zpa",
            "user": "jane.doe@acme.example",
            "src": "203.0.113.47",
            "dest": "US-NY-8179",
            "vendor_product": "Zscaler Private Access"
        },
        "fields": {"zpa_enricher_code": "ZPN_STATUS_AUTH_FAILED", "zpa_enricher_list": ["a", "b"]}
    })
}

/// A User Activity policy block, by hand.
fn session_blocked() -> Value {
    json!({
        "time": 1_638_355_121.5,
        "sourcetype": "zscalerlss-zpa-app",
        "event": {
            "ConnectionStatus": "close",
            "action": "blocked",
            "signature": "SE: Application policy blocked access",
            "user": "jane.doe@acme.example",
            "src_ip": "203.0.113.47",
            "dest_ip": "10.12.4.117",
            "vendor_product": "Zscaler Private Access"
        }
    })
}

/// A Browser Access request, by hand.
fn web_request() -> Value {
    json!({
        "time": 1_638_355_121,
        "sourcetype": "zscalerlss-zpa-bba",
        "event": {
            "action": "allowed", "src": "203.0.113.47", "dest": "wiki.acme.example",
            "dest_port": 443, "status": "304", "url": "https://wiki.acme.example/",
            "url_domain": "wiki.acme.example", "http_method": "GET",
            "http_user_agent": "Mozilla/5.0", "http_user_agent_length": 11,
            "bytes_in": 512, "bytes_out": 0, "bytes": 512,
            "vendor_product": "Zscaler Private Access"
        }
    })
}

fn problems(env: &Value) -> Vec<String> {
    cim::check_hec_envelope(env)
}

#[test]
fn the_checker_accepts_well_formed_envelopes_in_their_data_models() {
    for env in [auth_failure(), session_blocked(), web_request()] {
        assert_eq!(problems(&env), Vec::<String>::new(), "{env}");
    }
    assert_eq!(
        cim::datasets(&auth_failure()),
        [
            "Authentication.Authentication",
            "Authentication.Failed_Authentication"
        ]
    );
    assert_eq!(
        cim::datasets(&session_blocked()),
        ["Network_Sessions.All_Sessions"]
    );
    assert_eq!(cim::datasets(&web_request()), ["Web.Web"]);
}

#[test]
fn the_checker_finds_a_broken_envelope_shape() {
    type Break = fn(&mut Value);
    let cases: [(&str, Break, &str); 7] = [
        ("time as text", |e| e["time"] = json!("1638355121"), "time"),
        (
            "no time",
            |e| drop(e.as_object_mut().unwrap().remove("time")),
            "time",
        ),
        (
            "sourcetype a number",
            |e| e["sourcetype"] = json!(3),
            "sourcetype",
        ),
        ("event a string", |e| e["event"] = json!("{}"), "event"),
        (
            "nested indexed field",
            |e| e["fields"]["x"] = json!({"a": "b"}),
            "indexed field x",
        ),
        (
            "numeric indexed field",
            |e| e["fields"]["x"] = json!([1]),
            "indexed field x",
        ),
        ("unknown key", |e| e["extra"] = json!(1), "unknown key"),
    ];
    for (what, breaks, expected) in cases {
        let mut env = auth_failure();
        breaks(&mut env);
        let found = problems(&env);
        assert!(
            found.iter().any(|p| p.contains(expected)),
            "{what}: {found:?}"
        );
    }
    assert!(!problems(&json!([1])).is_empty());
    let mut env = auth_failure();
    env["host"] = json!(["h"]);
    assert!(problems(&env).iter().any(|p| p.starts_with("host")));
}

#[test]
fn the_checker_finds_missing_and_wrong_cim_fields() {
    // A required field of the model left out.
    let mut env = auth_failure();
    env["event"].as_object_mut().unwrap().remove("user");
    assert_eq!(
        problems(&env),
        ["Authentication.Authentication: required field user is missing"]
    );
    // A value the model does not allow (and then no eventtype matches: nothing to check).
    let mut env = session_blocked();
    env["event"]["action"] = json!("refused");
    assert_eq!(problems(&env), Vec::<String>::new());
    assert_eq!(cim::datasets(&env), Vec::<String>::new());
    // An eventtype matches, the value is wrong for the model.
    let mut env = web_request();
    env["event"]["http_method"] = json!("get");
    env["event"]["status"] = json!("999");
    let found = problems(&env);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("status=\"999\""), "{found:?}");
    assert!(found[1].contains("http_method=\"get\""), "{found:?}");
    // Validity: numbers, sums, lengths.
    let mut env = web_request();
    env["event"]["dest_port"] = json!("https");
    env["event"]["bytes"] = json!(7);
    env["event"]["http_user_agent_length"] = json!(3);
    let found = problems(&env);
    assert!(
        found
            .iter()
            .any(|p| p.contains("dest_port=\"https\" is not a number")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("bytes=7 is not bytes_in+bytes_out=512")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("not the length")),
        "{found:?}"
    );
    // A list field is checked value by value.
    let mut env = web_request();
    env["event"]["http_method"] = json!(["GET", "FETCH"]);
    assert!(problems(&env).iter().any(|p| p.contains("FETCH")));
}

#[test]
fn the_checker_reads_conditions_and_exceptions() {
    // Network_Traffic: a tcp flow needs ports; an address as dest needs the same dest_ip.
    let flow = json!({
        "time": 1, "sourcetype": "zscalerlss-zpa-microsegmentation",
        "event": {"action": "blocked", "app": "postgres", "src": "10.0.0.1", "src_ip": "10.0.0.1",
            "src_port": 1, "dest": "10.0.0.2", "dest_ip": "10.0.0.3", "dest_port": 5432,
            "transport": "tcp", "protocol": "ip", "protocol_version": "ipv4", "dvc": "web-01",
            "vendor_product": "Zscaler Private Access"}
    });
    assert_eq!(
        problems(&flow),
        ["Network_Traffic.All_Traffic: dest_ip=\"10.0.0.3\" is not dest"]
    );
    let mut no_port = flow.clone();
    no_port["event"]["dest_ip"] = json!("10.0.0.2");
    no_port["event"].as_object_mut().unwrap().remove("src_port");
    assert_eq!(
        problems(&no_port),
        ["Network_Traffic.All_Traffic: conditional field src_port is missing"]
    );
    // The same flow over ICMP needs no ports; the ICMP type and code the model asks for then
    // are not applicable to this sourcetype (LSS flows carry none), but are to others.
    let mut icmp = no_port.clone();
    icmp["event"]["transport"] = json!("icmp");
    icmp["event"]["protocol"] = json!("icmp");
    icmp["event"]
        .as_object_mut()
        .unwrap()
        .remove("protocol_version");
    icmp["event"].as_object_mut().unwrap().remove("dest_port");
    assert_eq!(problems(&icmp), Vec::<String>::new());
    assert!(cim::NOT_APPLICABLE.iter().any(|(m, f, s, _)| {
        *m == "Network_Traffic" && *f == "icmp_code" && *s == "zscalerlss-zpa-microsegmentation"
    }));
    // An exception applies to its sourcetype only.
    let mut elsewhere = web_request();
    elsewhere["sourcetype"] = json!("zscalerlss-zpa-web-inspection");
    elsewhere["event"]["zpa"] = json!(1);
    assert_eq!(cim::datasets(&elsewhere), Vec::<String>::new());
    for (model, field, _, why) in cim::NOT_APPLICABLE {
        assert!(!why.is_empty(), "{model}.{field}");
    }
}

#[test]
fn eventtype_searches_are_simple_and_name_our_sourcetypes() {
    let app = cim::cim();
    assert!(app.eventtypes.len() >= 10);
    let models = app.dataset_names();
    for et in &app.eventtypes {
        let terms: Vec<&str> = et.search.split_whitespace().collect();
        assert!(
            terms[0].starts_with("sourcetype=zscalerlss-zpa-"),
            "{}: {}",
            et.name,
            et.search
        );
        for t in &terms {
            assert!(t.contains('=') && !t.contains('*'), "{}: {t}", et.name);
        }
        assert!(!et.tags.is_empty(), "{} has no tags", et.name);
        // Every eventtype puts its events into some dataset of the models.
        let roots = [
            ("authentication", "Authentication.Authentication"),
            ("change", "Change.All_Changes"),
            ("session", "Network_Sessions.All_Sessions"),
            ("communicate", "Network_Traffic.All_Traffic"),
            ("web", "Web.Web"),
        ];
        assert!(
            roots
                .iter()
                .any(|(tag, ds)| et.tags.iter().any(|t| t == tag) && models.iter().any(|m| m == ds)),
            "{}: {:?}",
            et.name,
            et.tags
        );
    }
}

#[test]
fn the_lookup_is_the_current_catalog_export() {
    let out = common::run(&["catalog", "export", "--format", "csv"], b"");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let path = common::root().join("deploy/splunk/zpa_enricher/lookups/zpa_status_codes.csv");
    let shipped = std::fs::read_to_string(&path).unwrap();
    assert!(
        shipped == common::stdout(&out),
        "{} is not the current `zpa-enricher catalog export --format csv`; regenerate it with \
         that command",
        path.display()
    );
    // The lookup's definition and its automatic use name the columns the export has.
    let header = shipped.lines().next().unwrap();
    for column in ["code", "description", "remediation"] {
        assert!(header.split(',').any(|c| c == column), "{column}");
    }
    let transforms =
        cim::read_conf(&common::root().join("deploy/splunk/zpa_enricher/default/transforms.conf"));
    assert_eq!(
        transforms["zpa_status_codes"]["filename"],
        "zpa_status_codes.csv"
    );
}

/// The envelopes `enrich --format splunk_hec` writes for a file of records.
fn enrich_file(path: &std::path::Path) -> Vec<Value> {
    let out = common::run(
        &[
            "enrich",
            "--format",
            "splunk_hec",
            "--input",
            path.to_str().unwrap(),
            "--stats",
            "none",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    common::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn every_fixture_through_the_binary_passes_the_cim_checker() {
    let mut paths: Vec<_> = std::fs::read_dir(common::fixture("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 20, "fixtures missing");
    let mut found = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_str().unwrap();
        let envelopes = enrich_file(path);
        assert_eq!(envelopes.len(), 1, "{name}");
        for p in cim::check_hec_envelope(&envelopes[0]) {
            found.push(format!("{name}: {p}"));
        }
    }
    // Two fixtures come from trimmed templates that write no client address: their sessions
    // are in the data model without it, as the address is left out rather than invented.
    assert_eq!(
        found,
        [
            "escaped_code_and_keys.json: Network_Sessions.All_Sessions: required field dest_ip \
             is missing",
            "user_activity_without_internal_reason.json: Network_Sessions.All_Sessions: required \
             field dest_ip is missing",
        ]
    );
}

/// The envelope of one fixture, its event, and the datasets it lands in.
fn fixture_in_cim(name: &str) -> (Value, Vec<String>) {
    let env = enrich_file(&common::fixture(&format!("events/{name}")))
        .pop()
        .unwrap();
    let datasets = cim::datasets(&env);
    (env["event"].clone(), datasets)
}

#[test]
fn each_log_type_lands_in_its_data_model_with_its_action() {
    let cases: &[(&str, &[&str], Option<&str>)] = &[
        (
            "user_activity_policy_block.json",
            &["Network_Sessions.All_Sessions"],
            Some("blocked"),
        ),
        (
            "user_activity_open.json",
            &[
                "Network_Sessions.All_Sessions",
                "Network_Sessions.Session_Start",
            ],
            Some("started"),
        ),
        (
            "user_activity_active_empty_reason.json",
            &["Network_Sessions.All_Sessions"],
            Some("started"),
        ),
        (
            "user_activity_app_not_reachable.json",
            &[
                "Network_Sessions.All_Sessions",
                "Network_Sessions.Session_End",
            ],
            Some("ended"),
        ),
        (
            "user_status_auth_failed.json",
            &[
                "Authentication.Authentication",
                "Authentication.Failed_Authentication",
            ],
            Some("failure"),
        ),
        (
            "user_status_syslog_header.json",
            &[
                "Authentication.Authentication",
                "Authentication.Successful_Authentication",
            ],
            Some("success"),
        ),
        ("user_status_pri_only.json", &[], None),
        ("audit.json", &["Change.All_Changes"], Some("created")),
        (
            "audit_update_camel_case_keys.json",
            &["Change.All_Changes"],
            Some("modified"),
        ),
        (
            "audit_sign_in.json",
            &[
                "Authentication.Authentication",
                "Authentication.Successful_Authentication",
                "Authentication.Privileged_Authentication",
                "Authentication.Successful_Privileged_Authentication",
            ],
            Some("success"),
        ),
        ("browser_access.json", &["Web.Web"], Some("allowed")),
        ("browser_access_close.json", &["Web.Web"], Some("allowed")),
        (
            "microsegmentation_flow.json",
            &[
                "Network_Traffic.All_Traffic",
                "Network_Traffic.Traffic_By_Action",
                "Network_Traffic.Blocked_Traffic",
            ],
            Some("blocked"),
        ),
        ("app_connector_status_auth_failed.json", &[], None),
        ("app_connector_metrics.json", &[], None),
        ("app_protection.json", &[], None),
        ("smb_inspection.json", &[], None),
        ("unknown_log_type.json", &[], None),
    ];
    for (name, datasets, action) in cases {
        let (event, found) = fixture_in_cim(name);
        assert_eq!(found, *datasets, "{name}");
        assert_eq!(event["action"].as_str(), *action, "{name}");
        assert_eq!(event["vendor_product"], "Zscaler Private Access", "{name}");
    }
    // The catalog's answer in CIM terms.
    let (event, _) = fixture_in_cim("user_status_auth_failed.json");
    assert_eq!(event["signature_id"], "ZPN_STATUS_AUTH_FAILED");
    assert_eq!(event["signature"], "Authentication Failed");
    assert_eq!(event["severity"], "medium");
    // Camel-case audit keys; only the attribute that changed.
    let (event, _) = fixture_in_cim("audit_update_camel_case_keys.json");
    assert_eq!(event["object_attrs"], "enabled");
    assert_eq!(event["object"], "Finance Apps");
    assert_eq!(event["user"], "admin@acme.example");
    let (event, _) = fixture_in_cim("app_connector_status_auth_failed.json");
    assert_eq!(event["severity"], "critical");
    assert_eq!(event["dvc"], "conn-nyc-01");
}

#[test]
fn generated_traffic_of_every_log_type_passes_the_cim_checker() {
    let out = common::run(
        &[
            "generate",
            "-n",
            "3000",
            "--seed",
            "16",
            "--start",
            "2026-11-25T08:00:00Z",
            "--unknown-ratio",
            "0.1",
            "--enriched",
            "--format",
            "splunk_hec",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let mut sourcetypes = std::collections::BTreeMap::new();
    let mut in_models = 0;
    for line in common::stdout(&out).lines() {
        let env: Value = serde_json::from_str(line).unwrap();
        let problems = cim::check_hec_envelope(&env);
        assert_eq!(problems, Vec::<String>::new(), "{line}");
        *sourcetypes
            .entry(env["sourcetype"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
        in_models += usize::from(!cim::datasets(&env).is_empty());
    }
    assert!(sourcetypes.len() >= 8, "{sourcetypes:?}");
    assert!(in_models > 1000, "{in_models} of 3000 in a data model");
}

/// The envelopes `enrich --format splunk_hec` writes for records given on its input.
fn enrich_lines(records: &[String]) -> Vec<Value> {
    let input = records.join("\n") + "\n";
    let out = common::run(
        &["enrich", "--format", "splunk_hec", "--stats", "none"],
        input.as_bytes(),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    common::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn the_checker_sees_only_the_start_of_a_large_event() {
    let padding = "x".repeat(cim::EXTRACTION_CUTOFF);
    // The same fields, after a large member: Splunk would not extract them.
    let mut late = auth_failure();
    let fields = late["event"].as_object().unwrap().clone();
    let event = late["event"].as_object_mut().unwrap();
    event.clear();
    event.insert("SAMLAttributes".into(), json!(padding));
    event.extend(fields.clone());
    assert_eq!(cim::datasets(&late), Vec::<String>::new());
    // Before it, they are.
    let mut early = auth_failure();
    early["event"]["SAMLAttributes"] = json!(padding);
    assert_eq!(problems(&early), Vec::<String>::new());
    assert_eq!(cim::datasets(&early), cim::datasets(&auth_failure()));
}

#[test]
fn large_records_stay_in_their_data_models() {
    let object = |n: usize, changed: &str| {
        let members: Vec<String> = (0..n)
            .map(|i| format!(r#"\"attribute{i}\":\"{changed}value of attribute {i}\""#))
            .collect();
        format!("{{{}}}", members.join(","))
    };
    // An audit update of a 15 KB object, and a User Status record with many SAML attributes
    // and postures.
    let audit = format!(
        r#"{{"ModifiedTime":"2021-11-17T04:29:38.000Z","CreationTime":"2021-11-17T04:29:38.000Z","ModifiedBy":"72058304855015424","RequestID":"r-1","SessionID":"s-1","AuditOldValue":"{}","AuditNewValue":"{}","AuditOperationType":"Update","ObjectType":"Application Segment","ObjectName":"Finance Apps","ObjectID":"72058304855090000","CustomerID":"72058304855015424","User":"admin@acme.example","ClientAuditUpdate":0}}"#,
        object(1, "old "),
        object(400, "")
    );
    let postures: Vec<String> = (0..200).map(|i| format!(r#""Posture {i}""#)).collect();
    let user_status = format!(
        r#"{{"LogTimestamp":"Wed Dec  1 10:38:41 2021","Customer":"Acme","Username":"jane.doe@acme.example","SessionID":"s-1","SessionStatus":"ZPN_STATUS_AUTH_FAILED","ZEN":"US-NY-8179","PrivateIP":"10.12.4.117","PublicIP":"203.0.113.47","SAMLAttributes":"{}","PosturesHit":[{}],"PosturesMiss":[]}}"#,
        object(300, ""),
        postures.join(",")
    );
    assert!(audit.len() > 15_000 && user_status.len() > 3 * cim::EXTRACTION_CUTOFF);
    let envelopes = enrich_lines(&[audit, user_status]);
    let expected: [&[&str]; 2] = [
        &["Change.All_Changes"],
        &[
            "Authentication.Authentication",
            "Authentication.Failed_Authentication",
        ],
    ];
    for (env, datasets) in envelopes.iter().zip(expected) {
        assert_eq!(cim::check_hec_envelope(env), Vec::<String>::new());
        assert_eq!(cim::datasets(env), datasets);
    }
    // 400 attributes changed; the field names the first 64, as the full values are in the event.
    let attrs = envelopes[0]["event"]["object_attrs"].as_array().unwrap();
    assert_eq!(attrs.len(), 64);
    assert_eq!(attrs[0], "attribute0");
}

#[test]
fn addresses_and_http_statuses_are_what_the_models_expect() {
    let session = r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","Customer":"Globex","SessionID":"s","ConnectionID":"s,c","InternalReason":"","ConnectionStatus":"open","Username":"u@globex.example","ClientPublicIP":"client.globex.example","ClientPrivateIP":"laptop.local"}"#;
    let browser = |status: u32, reason: &str| {
        format!(
            r#"{{"LogTimestamp":"Wed Dec  1 10:38:41 2021","ConnectionID":"a,1","Exporter":"unset","Method":"GET","Protocol":"HTTPS","Host":"wiki.acme.example","URL":"/","UserAgent":"Mozilla/5.0","NameID":"jane","StatusCode":{status},"RequestSize":512,"ResponseSize":0,"ApplicationPort":443,"ClientPublicIp":"203.0.113.47","ClientPrivateIp":"","ConnectionStatus":"zfce_mt_remote_disconnect","ConnectionReason":"{reason}"}}"#
        )
    };
    let envelopes = enrich_lines(&[
        session.to_owned(),
        browser(0, "BRK_MT_SETUP_FAIL_CANNOT_SEND_TO_BROKER"),
        browser(0, "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY"),
        browser(502, ""),
    ]);
    // Host names are no addresses: the session is in its model without the required dest_ip.
    let ev = &envelopes[0]["event"];
    assert_eq!(ev.get("src_ip"), None);
    assert_eq!(ev.get("dest_ip"), None);
    assert_eq!(ev["src"], "client.globex.example");
    assert_eq!(
        cim::check_hec_envelope(&envelopes[0]),
        ["Network_Sessions.All_Sessions: required field dest_ip is missing"]
    );
    // A request that got no response is no web transaction: no status, no action, no model.
    let ev = &envelopes[1]["event"];
    assert_eq!((ev.get("status"), ev.get("action")), (None, None));
    assert_eq!(cim::check_hec_envelope(&envelopes[1]), Vec::<String>::new());
    assert_eq!(cim::datasets(&envelopes[1]), Vec::<String>::new());
    // One a policy refused is blocked web traffic, with no status to give.
    assert_eq!(envelopes[2]["event"]["action"], "blocked");
    assert_eq!(envelopes[2]["event"].get("status"), None);
    assert_eq!(cim::check_hec_envelope(&envelopes[2]), Vec::<String>::new());
    assert_eq!(cim::datasets(&envelopes[2]), ["Web.Web"]);
    // An answered request is allowed, whatever its status.
    assert_eq!(envelopes[3]["event"]["action"], "allowed");
    assert_eq!(envelopes[3]["event"]["status"], "502");
    assert_eq!(cim::check_hec_envelope(&envelopes[3]), Vec::<String>::new());
}

/// `enrich --format splunk_hec` of one fixture with settings from the environment.
fn enrich_with_env(env: &[(&str, &str)]) -> std::process::Output {
    let fixture = common::fixture("events/user_status_auth_failed.json");
    let mut cmd = common::bin();
    cmd.args([
        "enrich",
        "--format",
        "splunk_hec",
        "--stats",
        "none",
        "--input",
        fixture.to_str().unwrap(),
    ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    common::run_with(&mut cmd, b"")
}

#[test]
fn the_documented_collisions_are_the_ones_the_settings_allow() {
    // Flat enrichment keys without a prefix cannot collide: the settings refuse them.
    let out = enrich_with_env(&[
        ("ZPA_ENRICHER__OUTPUT__MODE", "flat"),
        ("ZPA_ENRICHER__OUTPUT__FLAT_PREFIX", ""),
    ]);
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("output.flat_prefix: must not be empty"),
        "{}",
        common::stderr(&out)
    );
    // A nested enrichment under a CIM name can: the event keeps one `action`, the enrichment,
    // and leaves its data model.
    let out = enrich_with_env(&[("ZPA_ENRICHER__OUTPUT__FIELD", "action")]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert_eq!(text.matches("\"action\":").count(), 1, "{text}");
    let env: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(env["event"]["action"]["code"], "ZPN_STATUS_AUTH_FAILED");
    assert_eq!(cim::datasets(&env), Vec::<String>::new());
    // Under its default name, the enrichment leaves `action` to the CIM.
    let out = enrich_with_env(&[]);
    let env: Value = serde_json::from_str(common::stdout(&out).trim()).unwrap();
    assert_eq!(env["event"]["action"], "failure");
}
