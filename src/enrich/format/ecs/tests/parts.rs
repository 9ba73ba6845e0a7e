//! The mapping's parts: conversions, the nested writer, the field list and the tables.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::cmp::Ordering;

use serde_json::Value;

use super::super::convert::{
    PlainNumber, direction, iana_transport, is_ip, parse_float, parse_long, plain_number,
    snake_case, split_user,
};
use super::super::doc::{Pair, path_order, write_object};
use super::super::fields::F;
use super::super::tables;
use crate::event::LogType;

fn snake(key: &str) -> String {
    let mut out = Vec::new();
    snake_case(key, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn snake_case_follows_elastic_names_and_splits_acronyms() {
    let cases = [
        ("SessionID", "session_id"),
        ("ClientPrivateIP", "client_private_ip"),
        ("ClientPublicIp", "client_public_ip"),
        ("InternalReason", "internal_reason"),
        ("IPProtocol", "ip_protocol"),
        ("ZENTotalBytesRxClient", "zen_total_bytes_rx_client"),
        ("TimestampCATx", "timestamp_ca_tx"),
        ("UsedTCPPortsIPv4", "used_tcp_ports_ipv4"),
        ("HTTPError", "http_error"),
        ("CPUUtilization", "cpu_utilization"),
        ("PrivateSE", "private_se"),
        ("NameID", "name_id"),
        ("URL", "url"),
        ("Idp", "idp"),
        ("modifiedTime", "modified_time"),
        ("ModifiedTime", "modified_time"),
        ("requestId", "request_id"),
        ("Ipv4Address", "ipv4_address"),
        ("already_snake", "already_snake"),
        ("Foo_Bar", "foo_bar"),
        ("a.b-c d", "a_b_c_d"),
        ("__x__", "x"),
        ("Note", "note"),
        ("café", "café"),
        ("", "_"),
        ("..", "_"),
    ];
    for (key, want) in cases {
        assert_eq!(snake(key), want, "{key}");
    }
}

#[test]
fn user_names_split_into_name_domain_and_email() {
    let p = split_user("jane.doe@acme.example");
    assert_eq!(
        (p.name, p.domain, p.email),
        (
            "jane.doe",
            Some("acme.example"),
            Some("jane.doe@acme.example")
        )
    );
    let p = split_user("ACME\\jdoe");
    assert_eq!((p.name, p.domain, p.email), ("jdoe", Some("ACME"), None));
    for plain in ["ZPA LSS Client", "@acme", "jane@", "a@b@c", "\\x"] {
        let p = split_user(plain);
        assert_eq!((p.name, p.domain, p.email), (plain, None, None), "{plain}");
    }
}

#[test]
fn iana_numbers_name_their_transport() {
    assert_eq!(iana_transport(6), Some("tcp"));
    assert_eq!(iana_transport(17), Some("udp"));
    assert_eq!(iana_transport(1), Some("icmp"));
    assert_eq!(iana_transport(58), Some("ipv6-icmp"));
    assert_eq!(iana_transport(200), None);
}

#[test]
fn ip_check_accepts_v4_and_v6_only() {
    for ip in ["10.0.0.1", "203.0.113.47", "::1", "2001:db8::5"] {
        assert!(is_ip(ip), "{ip}");
    }
    for not in [
        "",
        "wiki.acme.example",
        "10.0.0",
        "10.0.0.256",
        "0",
        "1.2.3.4:80",
    ] {
        assert!(!is_ip(not), "{not}");
    }
}

#[test]
fn digit_strings_become_numbers() {
    assert_eq!(parse_long("1048576"), Some(1_048_576));
    assert_eq!(parse_long(" 7 "), Some(7));
    assert_eq!(parse_long("-5"), Some(-5));
    assert_eq!(parse_long("007"), Some(7));
    for not in ["", "-", "+5", "1.5", "1e3", "12a", "99999999999999999999"] {
        assert_eq!(parse_long(not), None, "{not}");
    }
    assert_eq!(parse_float("23"), Some(23.0));
    assert_eq!(parse_float("-0.5"), Some(-0.5));
    assert_eq!(parse_float("1e3"), Some(1000.0));
    for not in ["", "inf", "NaN", "-inf", "1,5", "x1"] {
        assert_eq!(parse_float(not), None, "{not}");
    }
}

#[test]
fn only_plain_numbers_convert() {
    use PlainNumber::{Float, Long};
    for (text, number) in [
        ("0", Long(0)),
        ("-0", Long(0)),
        ("42", Long(42)),
        ("-17", Long(-17)),
        ("9223372036854775807", Long(i64::MAX)),
        ("-9223372036854775808", Long(i64::MIN)),
        ("0.25", Float(0.25)),
        ("2.50", Float(2.5)),
        ("-1.5", Float(-1.5)),
        ("0.1", Float(0.1)),
        ("0.0000001", Float(1e-7)),
        ("10000000000000000.0", Float(1e16)),
    ] {
        assert_eq!(plain_number(text), Some(number), "{text}");
    }
    for text in [
        "",
        "-",
        "007",
        "00.5",
        " 5",
        "5 ",
        "+3",
        "1e3",
        "1.5e2",
        "1.",
        ".5",
        "-.5",
        "0x10",
        "NaN",
        "inf",
        "1,5",
        "9223372036854775808",
        "18446744073709551616",
        "12345678901234567890123",
        // More digits than a float holds: converting would change the value.
        "3.14159265358979323846",
        "0.30000000000000000001",
        "9007199254740993.0",
    ] {
        assert_eq!(plain_number(text), None, "{text}");
    }
}

#[test]
fn directions_keep_to_the_ecs_values() {
    assert_eq!(direction("OUTBOUND"), Some("outbound"));
    assert_eq!(direction(" ingress"), Some("ingress"));
    assert_eq!(direction("sideways"), None);
}

// ---------------------------------------------------------------- the nested writer

fn nested(pairs: &[(&str, &str)]) -> String {
    let segments: Vec<Vec<&str>> = pairs.iter().map(|(p, _)| p.split('.').collect()).collect();
    let pairs: Vec<Pair<'_>> = pairs
        .iter()
        .zip(&segments)
        .map(|((p, v), segments)| Pair {
            path: p,
            segments,
            value: v.as_bytes(),
        })
        .collect();
    let mut out = Vec::new();
    write_object(&mut out, &pairs);
    String::from_utf8(out).unwrap()
}

#[test]
fn paths_nest_into_objects_in_path_order() {
    let got = nested(&[
        ("event.kind", "\"event\""),
        ("client.port", "1"),
        ("@timestamp", "\"t\""),
        ("client.geo.country_iso_code", "\"US\""),
        ("client.ip", "\"10.0.0.1\""),
        ("event.code", "\"X\""),
    ]);
    assert_eq!(
        got,
        r#"{"@timestamp":"t","client":{"geo":{"country_iso_code":"US"},"ip":"10.0.0.1","port":1},"event":{"code":"X","kind":"event"}}"#
    );
    serde_json::from_str::<Value>(&got).unwrap();
    assert_eq!(nested(&[]), "{}");
}

#[test]
fn a_repeated_path_keeps_the_later_value() {
    assert_eq!(
        nested(&[("a.b", "1"), ("a.c", "2"), ("a.b", "3")]),
        r#"{"a":{"b":3,"c":2}}"#
    );
    assert_eq!(nested(&[("x", "1"), ("x", "2"), ("x", "3")]), r#"{"x":3}"#);
}

#[test]
fn a_value_and_paths_under_it_resolve_to_the_later_pair() {
    // The value comes later: it wins, the paths under it go.
    assert_eq!(
        nested(&[("a.b.c", "1"), ("a.b.d", "2"), ("a.b", "3"), ("a.e", "4")]),
        r#"{"a":{"b":3,"e":4}}"#
    );
    // A path under it comes later: it wins, the value goes.
    assert_eq!(
        nested(&[("a.b", "3"), ("a.b.c", "1"), ("a.b.d", "2")]),
        r#"{"a":{"b":{"c":1,"d":2}}}"#
    );
    // Deeper: the latest pair decides at each level.
    let got = nested(&[("a", "1"), ("a.b", "2"), ("a.b.c", "3")]);
    assert_eq!(got, r#"{"a":{"b":{"c":3}}}"#);
    serde_json::from_str::<Value>(&got).unwrap();
}

#[test]
fn siblings_that_sort_between_a_path_and_its_children_stay_apart() {
    assert_eq!(path_order("a.b", "a.b.c"), Ordering::Less);
    assert_eq!(path_order("a.b.c", "a.b-c"), Ordering::Less);
    assert_eq!(path_order("user", "user_agent"), Ordering::Less);
    let got = nested(&[("a.b-c", "1"), ("a.b.c", "2"), ("a.b", "3")]);
    assert_eq!(got, r#"{"a":{"b":3,"b-c":1}}"#);
}

#[test]
fn field_names_need_no_escaping() {
    // The document's keys are written as they are: ECS names are letters, digits, `_` and
    // `@`.
    for f in F::ALL {
        assert!(
            f.path()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@')),
            "{}",
            f.path()
        );
    }
}

#[test]
fn fields_are_declared_in_path_order_and_none_holds_another() {
    for w in F::ALL.windows(2) {
        assert_eq!(
            path_order(w[0].path(), w[1].path()),
            Ordering::Less,
            "{} before {}",
            w[0].path(),
            w[1].path()
        );
        assert!(
            !w[1].path().starts_with(&format!("{}.", w[0].path())),
            "{} holds {}",
            w[0].path(),
            w[1].path()
        );
    }
}

#[test]
fn table_keys_are_snake_case_names() {
    for t in LogType::ALL {
        for (key, targets) in tables::table_of(t) {
            assert_eq!(snake(key), *key, "{t}: {key}");
            assert!(!targets.is_empty(), "{t}: {key}");
        }
    }
}
