//! Records at the edges: keys whose names collide, and the other spelling of the time key.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use serde_json::Value;

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
