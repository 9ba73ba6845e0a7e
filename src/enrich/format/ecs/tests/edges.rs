//! Records at the edges: keys whose names collide, numbers written as strings, ports and
//! statuses that are not what they seem, and the other spelling of the time key.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use serde_json::{Value, json};

use super::{at, document};

/// A User Status record with `extra` members appended.
fn user_status(extra: &str) -> Value {
    document(&format!(
        r#"{{"LogTimestamp":"Mon Dec  1 10:38:41 2025","Username":"a@b.example","SessionStatus":"ZPN_STATUS_AUTHENTICATED","PublicIP":"192.0.2.1"{extra}}}"#
    ))
}

#[test]
fn distinct_keys_with_one_name_all_keep_their_values() {
    let doc = user_status(r#","Foo.Bar":"1","Foo_Bar":"2","FooBar":"3","foo-bar":"4""#);
    assert!(super::super::ecs_check::check_ecs_document(&doc).is_empty());
    let vendor = at(&doc, "zscaler_zpa.user_status");
    assert_eq!(vendor["foo_bar"], "1");
    assert_eq!(vendor["foo_bar_2"], "2");
    assert_eq!(vendor["foo_bar_3"], "3");
    assert_eq!(vendor["foo_bar_4"], "4");

    let doc = user_status(r#","PrivateIP":"10.0.0.1","privateIp":"10.0.0.2""#);
    let vendor = at(&doc, "zscaler_zpa.user_status");
    assert_eq!(vendor["private_ip"], "10.0.0.1");
    assert_eq!(vendor["private_ip_2"], "10.0.0.2");

    // Keys with no letter or digit all come to `_`.
    let doc = user_status(r#","":"empty"," ":"space","...":"dots","_":"under""#);
    let vendor = at(&doc, "zscaler_zpa.user_status");
    assert_eq!(vendor["_"], "empty");
    assert_eq!(vendor["__2"], "space");
    assert_eq!(vendor["__3"], "dots");
    assert_eq!(vendor["__4"], "under");
}

#[test]
fn a_repeated_key_keeps_its_later_value_and_its_own_name() {
    // The repeated key replaces its own value, not the one of the other key sharing its name.
    let doc = user_status(r#","FooBar":"1","Foo_Bar":"2","Foo_Bar":"3","FooBar":"4""#);
    let vendor = at(&doc, "zscaler_zpa.user_status");
    assert_eq!(vendor["foo_bar"], "4");
    assert_eq!(vendor["foo_bar_2"], "3");
    let foo = vendor
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("foo"));
    assert_eq!(foo.count(), 2, "{vendor}");
    // A key written once with an escape is the same key for a JSON reader.
    let doc = user_status(r#","Foo":"1","F\u006fo":"2""#);
    let vendor = at(&doc, "zscaler_zpa.user_status");
    assert_eq!(vendor["foo"], "2");
    assert!(vendor.get("foo_2").is_none(), "{vendor}");
    // A name that is already a numbered one moves on to the next free number.
    let doc = user_status(r#","FooBar":"1","Foo_Bar":"2","foo_bar_2":"3""#);
    let vendor = at(&doc, "zscaler_zpa.user_status");
    assert_eq!(vendor["foo_bar"], "1");
    assert_eq!(vendor["foo_bar_2"], "2");
    assert_eq!(vendor["foo_bar_2_2"], "3");
}

#[test]
fn url_full_keeps_a_port_that_is_not_the_default() {
    let browser = |protocol: &str, port: u32| {
        document(&format!(
            r#"{{"LogTimestamp":"Mon Dec  1 10:38:41 2025","Exporter":"unset","Method":"GET","Protocol":"{protocol}","Host":"wiki.globex.example","URL":"/index.html","StatusCode":200,"ApplicationPort":{port}}}"#
        ))
    };
    let doc = browser("HTTPS", 8443);
    assert!(super::super::ecs_check::check_ecs_document(&doc).is_empty());
    assert_eq!(
        at(&doc, "url.full"),
        "https://wiki.globex.example:8443/index.html"
    );
    assert_eq!(at(&doc, "url.port"), 8443);
    assert_eq!(at(&doc, "server.port"), 8443);
    let doc = browser("HTTPS", 443);
    assert_eq!(
        at(&doc, "url.full"),
        "https://wiki.globex.example/index.html"
    );
    assert_eq!(at(&doc, "url.port"), 443);
    let doc = browser("HTTP", 80);
    assert_eq!(
        at(&doc, "url.full"),
        "http://wiki.globex.example/index.html"
    );
    let doc = browser("HTTP", 443);
    assert_eq!(
        at(&doc, "url.full"),
        "http://wiki.globex.example:443/index.html"
    );
}

#[test]
fn an_http_status_outside_100_to_599_stays_with_the_vendor_fields() {
    let browser = |status: &str| {
        document(&format!(
            r#"{{"LogTimestamp":"Mon Dec  1 10:38:41 2025","Exporter":"unset","Protocol":"HTTPS","Host":"wiki.acme.example","URL":"/","StatusCode":{status},"ConnectionReason":"BRK_MT_SETUP_FAIL_CANNOT_SEND_TO_BROKER"}}"#
        ))
    };
    for status in ["0", "\"0\"", "99", "600"] {
        let doc = browser(status);
        assert!(
            at(&doc, "http.response.status_code").is_null(),
            "{status}: {doc}"
        );
        let kept: Value = serde_json::from_str(status).unwrap();
        assert_eq!(
            at(&doc, "zscaler_zpa.browser_access.status_code"),
            &kept,
            "{status}"
        );
        assert!(super::super::ecs_check::check_ecs_document(&doc).is_empty());
    }
    // Without a status code, a status that is none says nothing of the outcome.
    let no_answer = document(
        r#"{"LogTimestamp":"Mon Dec  1 10:38:41 2025","Exporter":"unset","Host":"wiki.acme.example","StatusCode":0}"#,
    );
    assert_eq!(at(&no_answer, "event.outcome"), "unknown");
    assert_eq!(at(&no_answer, "event.type"), &json!(["access"]));
    for (status, number) in [("100", 100), ("599", 599), ("\"404\"", 404)] {
        let doc = browser(status);
        assert_eq!(at(&doc, "http.response.status_code"), number, "{status}");
        assert!(at(&doc, "zscaler_zpa.browser_access.status_code").is_null());
    }
}

#[test]
fn metrics_convert_plain_numbers_only() {
    let doc = document(
        r#"{"LogTimestamp":"Mon Dec  1 10:38:41 2025","Connector":"c1","CPUUtilization":"1.5","SystemMemoryUtilization":"007","ProcessMemoryUtilization":"0","AppCount":"1e3","ServiceCount":"12345678901234567890123","TargetCount":"-4","AliveTargetCount":" 5","AvailablePorts":"NaN","ProcessUsedFileDescriptors":"0x10","AvailableDiskBytes":"18446744073709551616","UsedTCPPortsIPv4":"+3","UsedUDPPortsIPv4":"9223372036854775807","SystemUsedFileDescriptors":"0.25","SystemMaximumFileDescriptors":"3.14159265358979323846","ProcessMaximumFileDescriptors":"1.","ActiveConnectionsToPublicSE":"00.5","ActiveConnectionsToPrivateSE":"2.50"}"#,
    );
    let vendor = at(&doc, "zscaler_zpa.app_connector_metrics");
    let expect = json!({
        "process_memory_utilization": 0,
        "target_count": -4,
        "used_udp_ports_ipv4": 9_223_372_036_854_775_807_i64,
        "system_used_file_descriptors": 0.25,
        "active_connections_to_private_se": 2.5,
        "system_memory_utilization": "007",
        "app_count": "1e3",
        "service_count": "12345678901234567890123",
        "alive_target_count": " 5",
        "available_ports": "NaN",
        "process_used_file_descriptors": "0x10",
        "available_disk_bytes": "18446744073709551616",
        "used_tcp_ports_ipv4": "+3",
        "system_maximum_file_descriptors": "3.14159265358979323846",
        "process_maximum_file_descriptors": "1.",
        "active_connections_to_public_se": "00.5",
    });
    for (name, value) in expect.as_object().unwrap() {
        assert_eq!(&vendor[name], value, "{name}");
    }
}

#[test]
fn metrics_keep_names_and_identifiers_as_strings() {
    let doc = document(
        r#"{"LogTimestamp":"Mon Dec  1 10:38:41 2025","PrivateCloudController":"100","SiteController":"200","ConnectorID":"123","ConnectorId":"124","AppConnectorGroupName":"300","ConnectorGroup":"400","MicroTenantID":"0","CPUUtilization":"2","AvailablePorts":"64000"}"#,
    );
    assert_eq!(at(&doc, "observer.name"), "100");
    let vendor = at(&doc, "zscaler_zpa.private_cloud_controller_metrics");
    assert_eq!(vendor["site_controller"], "200");
    assert_eq!(vendor["connector_id"], "123");
    assert_eq!(vendor["connector_id_2"], "124");
    assert_eq!(vendor["app_connector_group_name"], "300");
    assert_eq!(vendor["connector_group"], "400");
    assert_eq!(vendor["micro_tenant_id"], "0");
    assert_eq!(vendor["available_ports"], 64000);
}

#[test]
fn either_spelling_of_the_time_key_becomes_the_timestamp_only() {
    for key in ["LogTimestamp", "LogTimeStamp"] {
        let doc = document(&format!(
            r#"{{"{key}":"Mon Dec  1 10:38:41 2025","Username":"a@b.example","SessionStatus":"ZPN_STATUS_AUTHENTICATED","PublicIP":"192.0.2.1"}}"#
        ));
        let vendor = at(&doc, "zscaler_zpa.user_status");
        assert_eq!(
            vendor["session_status"], "ZPN_STATUS_AUTHENTICATED",
            "{key}"
        );
        assert!(vendor.get("log_timestamp").is_none(), "{key}: {vendor}");
        assert!(vendor.get("log_time_stamp").is_none(), "{key}: {vendor}");
    }
    // With both spellings, the one the time was read from is the timestamp; the other stays.
    let doc = user_status(r#","LogTimeStamp":"Tue Dec  2 10:38:41 2025""#);
    let vendor = at(&doc, "zscaler_zpa.user_status");
    assert_eq!(vendor["log_timestamp"], "Mon Dec  1 10:38:41 2025");
    assert!(vendor.get("log_time_stamp").is_none(), "{vendor}");
}
