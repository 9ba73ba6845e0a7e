//! Records of any shape give documents ECS accepts.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::{EcsOptions, EventTime, TimeSource, document_with, read_opts};

/// Keys of every log type in several spellings, keys that pick a log type, and others.
const KEYS: &[&str] = &[
    "LogTimestamp",
    "Customer",
    "Username",
    "ClientPublicIP",
    "ClientPublicIp",
    "clientPublicIp",
    "ClientLatitude",
    "ClientLongitude",
    "Latitude",
    "Longitude",
    "ZENLatitude",
    "Host",
    "ServerIP",
    "ServerPort",
    "IPProtocol",
    "Protocol",
    "Policy",
    "PolicyName",
    "URL",
    "Method",
    "StatusCode",
    "UserAgent",
    "NameID",
    "PublicIP",
    "PrivateIP",
    "CPUUtilization",
    "TotalBytesTx",
    "SourceIP",
    "SourcePorts",
    "DestinationPort",
    "Direction",
    "AppName",
    "Transport",
    "Domain",
    "UserID",
    "RequestID",
    "requestId",
    "User",
    "ModifiedBy",
    "CustomerID",
    "ModifiedTime",
    "CreationTime",
    "TimestampConnectionStart",
    "Actions",
    "InternalReason",
    "ConnectionStatus",
    "SessionStatus",
    "ConnectionReason",
    "Exporter",
    "AuditOperationType",
    "auditOperationType",
    "AliveTargetCount",
    "PrivateSE",
    "ExchangeSequenceIndex",
    "EnforcementAction",
    "KRBRealm",
    "Connector",
    "ServiceEdge",
    "HTTPError",
    "ProtocolInspectionError",
    "CertificateCN",
    "Hostname",
    "Version",
    "x",
    "a.b",
    "Weird Key",
    "",
];

fn value() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        Just(json!("")),
        "[ -~]{0,12}".prop_map(Value::from),
        "[0-9]{1,6}".prop_map(Value::from),
        Just(json!("10.1.2.3")),
        Just(json!("2001:db8::1")),
        Just(json!("jane@acme.example")),
        Just(json!("open")),
        Just(json!("close")),
        Just(json!("BLOCK")),
        Just(json!("Sign In")),
        Just(json!("2021-12-01T10:38:41.001Z")),
        Just(json!("ZPN_STATUS_AUTHENTICATED")),
        any::<i64>().prop_map(Value::from),
        (-200.0f64..200.0).prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ];
    scalar.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(("[a-z]{1,3}", inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn source() -> impl Strategy<Value = TimeSource> {
    prop_oneof![
        Just(TimeSource::LogTimestamp),
        Just(TimeSource::ModifiedTime),
        Just(TimeSource::CreationTime),
        Just(TimeSource::Processing),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever keys and values a record has, its document is JSON that ECS accepts, with
    /// the generic fields.
    #[test]
    fn any_record_gives_a_valid_ecs_document(
        members in prop::collection::vec((prop::sample::select(KEYS), value()), 0..24),
        millis in 0i64..253_402_300_799_999,
        source in source(),
        keep_original in any::<bool>(),
    ) {
        let record: Map<String, Value> =
            members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let text = serde_json::to_vec(&Value::Object(record)).unwrap();
        // Status fields of the wrong type make the record invalid, never a document.
        let Ok(_) = crate::event::read(&text, &read_opts()) else {
            return Ok(());
        };
        let doc = document_with(
            &text,
            EventTime { millis, source },
            &EcsOptions { keep_original },
        );
        let problems = crate::enrich::format::ecs::ecs_check::check_ecs_document(&doc);
        prop_assert!(problems.is_empty(), "{problems:?}\n{doc}");
        prop_assert!(doc["@timestamp"].is_string());
        prop_assert!(doc["zscaler_zpa"]["enrichment"].is_object());
    }
}
