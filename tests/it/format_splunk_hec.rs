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
