use std::sync::Arc;

use pretty_assertions::assert_eq;
use serde_json::Value;

use super::*;
use crate::catalog::Catalog;
use crate::event::InvalidReason;

fn enricher(opts: EnrichOptions) -> Enricher {
    Enricher::new(Arc::new(Catalog::builtin()), opts)
}

fn run(e: &Enricher, input: &str) -> (String, String) {
    let mut out = Vec::new();
    let outcome = e.enrich(input.as_bytes(), &mut out);
    (String::from_utf8(out).unwrap(), outcome.as_str().to_owned())
}

fn added(output: &str, key: &str) -> Value {
    let v: Value = serde_json::from_str(output).unwrap();
    v[key].clone()
}

#[test]
fn known_code_gets_the_catalog_entry() {
    let e = enricher(EnrichOptions::default());
    let input = r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","InternalReason":"BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY","ConnectionStatus":"close"}"#;
    let (out, outcome) = run(&e, input);
    assert_eq!(outcome, "known");
    let entry = Catalog::builtin()
        .get("BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY")
        .cloned()
        .unwrap();
    let enr = added(&out, "enrichment");
    assert_eq!(enr["code"], "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY");
    assert_eq!(enr["source_field"], "InternalReason");
    assert_eq!(enr["status"], entry.status.as_str());
    assert_eq!(enr["description"], entry.description.as_str());
    assert_eq!(enr["severity"], "medium");
    assert_eq!(enr["component"], "Policy");
    assert_eq!(enr["category"], "policy_block");
    assert_eq!(enr["remediation"], entry.remediation.unwrap().as_str());
    assert_eq!(enr["log_type"], "user_activity");
    assert_eq!(enr["known"], true);
    assert_eq!(enr["catalog_version"], Catalog::builtin().version());
    let keys: Vec<&str> = enr
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    // Every key but `repaired`, which only a repaired record carries.
    assert_eq!(keys, OUTPUT_FIELDS[..OUTPUT_FIELDS.len() - 1].to_vec());
    // The original bytes come first, untouched.
    assert!(out.starts_with(&input[..input.len() - 1]));
    assert!(out.ends_with("}}"));
}

#[test]
fn unknown_code_is_flagged_not_dropped() {
    let e = enricher(EnrichOptions {
        unknown_severity: Severity::High,
        ..EnrichOptions::default()
    });
    let input = r#"{"InternalReason":"AST_MT_SOMETHING_\"NEW\"","ConnectionStatus":"close"}"#;
    let mut out = Vec::new();
    let outcome = e.enrich(input.as_bytes(), &mut out);
    let Outcome::Unknown {
        code,
        source,
        log_type,
        repaired,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert!(repaired.is_empty(), "{repaired:?}");
    assert_eq!(code, "AST_MT_SOMETHING_\"NEW\"");
    assert_eq!(source, SourceField::InternalReason);
    assert_eq!(log_type, LogType::UserActivity);
    let enr = added(std::str::from_utf8(&out).unwrap(), "enrichment");
    assert_eq!(enr["code"], "AST_MT_SOMETHING_\"NEW\"");
    assert_eq!(
        enr["status"],
        "Unknown status code: AST_MT_SOMETHING_\"NEW\""
    );
    assert_eq!(enr["severity"], "high");
    assert_eq!(enr["component"], "App Connector");
    assert_eq!(enr["category"], Value::Null);
    assert_eq!(enr["known"], false);
    assert!(enr.get("remediation").is_none());
}

#[test]
fn empty_internal_reason_falls_back_to_connection_status() {
    let e = enricher(EnrichOptions::default());
    let (out, outcome) = run(
        &e,
        r#"{"InternalReason":"","ConnectionStatus":"Active","ConnectionID":"1,2"}"#,
    );
    assert_eq!(outcome, "known");
    let enr = added(&out, "enrichment");
    assert_eq!(enr["code"], "active");
    assert_eq!(enr["source_field"], "ConnectionStatus");
    assert_eq!(enr["severity"], "info");
}

#[test]
fn a_browser_access_close_is_known_by_its_reason() {
    let e = enricher(EnrichOptions::default());
    let (out, outcome) = run(
        &e,
        r#"{"ConnectionID":"a,1","Exporter":"unset","StatusCode":200,"ConnectionStatus":"zfce_mt_remote_disconnect","ConnectionReason":"BRK_MT_CLOSED_FROM_ASSISTANT"}"#,
    );
    assert_eq!(outcome, "known");
    let enr = added(&out, "enrichment");
    assert_eq!(enr["code"], "BRK_MT_CLOSED_FROM_ASSISTANT");
    assert_eq!(enr["source_field"], "ConnectionReason");
    assert_eq!(enr["log_type"], "browser_access");
    assert_eq!(enr["known"], true);
    let entry = Catalog::builtin()
        .get("BRK_MT_CLOSED_FROM_ASSISTANT")
        .cloned();
    assert_eq!(enr["severity"], entry.unwrap().severity.as_str());

    // An unknown reason is still reported as unknown, even next to a known state.
    let (out, outcome) = run(
        &e,
        r#"{"Exporter":"unset","ConnectionStatus":"close","ConnectionReason":"BRK_MT_BRAND_NEW"}"#,
    );
    assert_eq!(outcome, "unknown_code");
    assert_eq!(added(&out, "enrichment")["code"], "BRK_MT_BRAND_NEW");
}

#[test]
fn records_without_a_code_still_get_an_enrichment() {
    let e = enricher(EnrichOptions::default());
    let (out, outcome) = run(&e, r#"{"AuditOperationType":"Create","ObjectName":"x"}"#);
    assert_eq!(outcome, "no_code");
    let enr = added(&out, "enrichment");
    assert_eq!(enr["code"], Value::Null);
    assert_eq!(enr["source_field"], Value::Null);
    assert_eq!(enr["status"], "No status code");
    assert_eq!(enr["log_type"], "audit");
    assert_eq!(enr["known"], false);
    let keys: Vec<&str> = enr
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    // No time either: the processing time, said so.
    let mut expected: Vec<&str> = OUTPUT_FIELDS
        .iter()
        .copied()
        .filter(|k| !matches!(*k, "remediation" | "repaired"))
        .collect();
    expected.push("event_time_unreadable");
    assert_eq!(keys, expected);
    assert_eq!(enr["event_time_unreadable"], true);

    let (out, _) = run(&e, r#"{"SessionStatus":"","Username":"u"}"#);
    assert_eq!(added(&out, "enrichment")["source_field"], "SessionStatus");
}

#[test]
fn flat_mode_writes_prefixed_top_level_keys() {
    let e = enricher(EnrichOptions {
        output: OutputMode::Flat {
            prefix: "zpa_".into(),
        },
        ..EnrichOptions::default()
    });
    let (out, _) = run(
        &e,
        r#"{"SessionStatus":"ZPN_STATUS_AUTH_FAILED","Username":"u"}"#,
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["zpa_code"], "ZPN_STATUS_AUTH_FAILED");
    assert_eq!(v["zpa_log_type"], "user_status");
    assert_eq!(v["zpa_severity"], "medium");
    assert!(v.get("enrichment").is_none());
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(&keys[..2], &["SessionStatus", "Username"]);
}

#[test]
fn custom_nested_field_name() {
    let e = enricher(EnrichOptions {
        output: OutputMode::Nested {
            field: "zpa".into(),
        },
        ..EnrichOptions::default()
    });
    let (out, _) = run(
        &e,
        r#"{"SessionStatus":"ZPN_STATUS_DISCONNECTED","Connector":"c"}"#,
    );
    assert_eq!(added(&out, "zpa")["log_type"], "app_connector_status");
}

#[test]
fn enriching_twice_equals_enriching_once() {
    for opts in [
        EnrichOptions {
            clock: fixed_clock,
            ..EnrichOptions::default()
        },
        EnrichOptions {
            output: OutputMode::Flat {
                prefix: "zpa_".into(),
            },
            clock: fixed_clock,
            ..EnrichOptions::default()
        },
    ] {
        let e = enricher(opts);
        for input in [
            r#"{"InternalReason":"APP_NOT_REACHABLE","ConnectionStatus":"close","Customer":"Acme"}"#,
            r#"{"LogTimestamp":"Mon Mar  2 02:57:01 2020","SessionStatus":"ZPN_STATUS_AUTHENTICATED"}"#,
            r#"{"AuditOperationType":"Create"}"#,
            r#"{}"#,
        ] {
            let (once, _) = run(&e, input);
            let (twice, _) = run(&e, &once);
            assert_eq!(twice, once);
        }
    }
}

#[test]
fn record_data_under_the_output_key_is_never_replaced() {
    let nested = enricher(EnrichOptions::default());
    let customer = enricher(EnrichOptions {
        output: OutputMode::Nested {
            field: "Customer".into(),
        },
        ..EnrichOptions::default()
    });
    let flat = enricher(EnrichOptions {
        output: OutputMode::Flat {
            prefix: "zpa_".into(),
        },
        ..EnrichOptions::default()
    });
    for (e, input, key_at) in [
        (
            &nested,
            r#"{"enrichment":"user data","InternalReason":"close"}"#,
            1,
        ),
        (
            &nested,
            r#"{"a":1, "enrichment":{"geo":"x"},"InternalReason":"close"}"#,
            8,
        ),
        (
            &nested,
            r#"{"enrichment":[],"SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#,
            1,
        ),
        (
            &nested,
            r#"{"enrichment":{"code":{"nested":1}, "x\u0041":2}}"#,
            1,
        ),
        (
            &customer,
            r#"{"Customer":"Acme","InternalReason":"close"}"#,
            1,
        ),
        (
            &flat,
            r#"{"InternalReason":"close","zpa_code":{"a":1}}"#,
            26,
        ),
        (
            &flat,
            r#"{"InternalReason":"close","zpa_\u006bnown":7}"#,
            26,
        ),
    ] {
        let mut out = b"previous".to_vec();
        let outcome = e.enrich(input.as_bytes(), &mut out);
        let Outcome::Invalid(err) = outcome else {
            panic!("{input}: {outcome:?}")
        };
        assert_eq!(
            (err.reason, err.offset),
            (InvalidReason::KeyConflict, key_at),
            "{input}"
        );
        assert_eq!(out, b"previous", "{input}");
    }

    // What the enricher writes there, with any selection of fields, is replaced.
    for (e, input) in [
        (&nested, r#"{"enrichment":{},"InternalReason":"close"}"#),
        (
            &nested,
            r#"{"enrichment":{"code":"x","known":false},"InternalReason":"close"}"#,
        ),
        (
            &customer,
            r#"{"Customer":{"severity":"low"},"InternalReason":"close"}"#,
        ),
        (
            &flat,
            r#"{"zpa_code":"old","zpa_known":true,"zpa_component":null,"InternalReason":"close"}"#,
        ),
    ] {
        let (out, outcome) = run(e, input);
        assert_eq!(outcome, "known", "{input}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let code = match e.options().output {
            OutputMode::Nested { ref field } => v[field]["code"].clone(),
            OutputMode::Flat { .. } => v["zpa_code"].clone(),
        };
        assert_eq!(code, "close", "{out}");
        assert_eq!(
            out.matches("\"code\"").count() + out.matches("\"zpa_code\"").count(),
            1,
            "{out}"
        );
    }
}

#[test]
fn empty_object_and_whitespace_are_handled() {
    let e = enricher(EnrichOptions::default());
    let (out, outcome) = run(&e, "{}");
    assert_eq!(outcome, "no_code");
    assert!(out.starts_with("{\"enrichment\":{"));
    let (out, _) = run(&e, "  { \"InternalReason\" : \"BRK_MT_TERMINATED\" }  ");
    assert!(
        out.starts_with("  { \"InternalReason\" : \"BRK_MT_TERMINATED\" ,\"enrichment\":{"),
        "{out}"
    );
    assert!(out.ends_with("}}  "), "{out}");
}

#[test]
fn syslog_header_is_stripped_or_kept() {
    let input =
        r#"<165>1 - - - - - - tok {"SessionStatus":"ZPN_STATUS_AUTHENTICATED","Username":"u"}"#;
    let (out, _) = run(&enricher(EnrichOptions::default()), input);
    assert!(out.starts_with("{\"SessionStatus\""), "{out}");
    let keep = enricher(EnrichOptions {
        header: HeaderMode::Keep,
        ..EnrichOptions::default()
    });
    let (out, _) = run(&keep, input);
    assert!(
        out.starts_with("<165>1 - - - - - - tok {\"SessionStatus\""),
        "{out}"
    );
}

#[test]
fn invalid_input_writes_nothing() {
    let e = enricher(EnrichOptions::default());
    let mut out = b"previous".to_vec();
    let outcome = e.enrich(b"{\"InternalReason\":", &mut out);
    let Outcome::Invalid(err) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(err.reason, InvalidReason::Truncated);
    assert_eq!(out, b"previous");
}

/// Every selection of fields, in both output modes and for every kind of outcome, gives valid
/// JSON whose added keys are exactly the selected ones the full output has, with the same values.
#[test]
fn every_field_selection_gives_valid_json_with_the_selected_keys() {
    let catalog = Arc::new(Catalog::builtin());
    let records = [
        r#"{"InternalReason":"BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY","ConnectionStatus":"close"}"#,
        r#"{"InternalReason":"AST_MT_SOMETHING_NEW","ConnectionStatus":"close"}"#,
        r#"{"SessionStatus":"","Customer":"x"}"#,
        r#"{}"#,
        // Repaired: `repaired` is written.
        r#"{"SessionStatus":"ZPN_STATUS_AUTH_FAILED","TrustedNetworks":,"PosturesHit":"a","b"}"#,
    ];
    let modes = [
        OutputMode::default(),
        OutputMode::Flat {
            prefix: "zpa_".into(),
        },
    ];
    for mode in modes {
        let full = Enricher::new(
            Arc::clone(&catalog),
            EnrichOptions {
                output: mode.clone(),
                clock: fixed_clock,
                ..EnrichOptions::default()
            },
        );
        // The records as JSON (repaired where they need it), to tell the added keys in flat mode.
        let originals: Vec<Value> = records
            .iter()
            .map(|input| match event::repair(input.as_bytes(), 64) {
                Some(repaired) => serde_json::from_slice(&repaired.record).unwrap(),
                None => serde_json::from_str(input).unwrap(),
            })
            .collect();
        let added = |out: &[u8], original: &Value| -> Vec<(String, Value)> {
            let v: Value = serde_json::from_slice(out)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)));
            match &mode {
                OutputMode::Nested { field } => v[field.as_str()]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                OutputMode::Flat { prefix } => v
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| original.get(k.as_str()).is_none())
                    .map(|(k, v)| {
                        (
                            k.strip_prefix(prefix.as_str()).unwrap().to_owned(),
                            v.clone(),
                        )
                    })
                    .collect(),
            }
        };
        let everything: Vec<Vec<(String, Value)>> = records
            .iter()
            .zip(&originals)
            .map(|(input, original)| {
                let mut all = Vec::new();
                full.enrich(input.as_bytes(), &mut all);
                added(&all, original)
            })
            .collect();
        // Every selection of the other fields, once; `event_time` and `repaired` each with
        // every other one of them, in different halves (all combinations would take minutes in
        // a debug build), and each alone.
        let [time, repaired] = [OUTPUT_FIELDS.len() - 2, OUTPUT_FIELDS.len() - 1];
        let selections = (1u32..(1 << time))
            .map(|b| b | ((b.count_ones() & 1) << time) | (((b >> 1).count_ones() & 1) << repaired))
            .chain([1 << time, 1 << repaired]);
        for bits in selections {
            let names: Vec<&str> = (0..OUTPUT_FIELDS.len())
                .filter(|i| bits & (1 << i) != 0)
                .map(|i| OUTPUT_FIELDS[i])
                .collect();
            let fields = FieldSet::from_names(&names).unwrap();
            assert_eq!(fields.names(), names);
            let e = Enricher::new(
                Arc::clone(&catalog),
                EnrichOptions {
                    output: mode.clone(),
                    fields,
                    clock: fixed_clock,
                    ..EnrichOptions::default()
                },
            );
            for ((input, original), all) in records.iter().zip(&originals).zip(&everything) {
                let mut some = Vec::new();
                e.enrich(input.as_bytes(), &mut some);
                // The mark of an unreadable time comes with `event_time`.
                let selected = |k: &str| {
                    names.contains(&k)
                        || (k == "event_time_unreadable" && names.contains(&"event_time"))
                };
                let expected: Vec<(String, Value)> =
                    all.iter().filter(|(k, _)| selected(k)).cloned().collect();
                assert_eq!(added(&some, original), expected, "{names:?} {input}");
            }
        }
    }
}

/// A clock that stands still, for outputs that must not change from run to run.
fn fixed_clock() -> i64 {
    1_700_000_000_123
}

#[test]
fn field_selections_are_checked() {
    assert!(FieldSet::from_names(&["code", "severity"]).is_ok());
    let err = FieldSet::from_names(&["code", "serverity"]).unwrap_err();
    assert!(
        err.contains("\"serverity\"") && err.contains("remediation"),
        "{err}"
    );
    let err = FieldSet::from_names(&["code", "code"]).unwrap_err();
    assert!(err.contains("twice"), "{err}");
    assert!(FieldSet::from_names::<&str>(&[]).is_err());
    assert_eq!(FieldSet::default().names(), OUTPUT_FIELDS.to_vec());
}

#[test]
fn a_status_code_takes_the_override_of_its_log_type() {
    let e = enricher(EnrichOptions::default());
    let entry = Catalog::builtin()
        .get("ZPN_STATUS_AUTH_FAILED")
        .cloned()
        .unwrap();
    let cases = [
        // A user's failed sign-in: the entry's own severity and component.
        (
            r#"{"Username":"jane@acme.example","SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#,
            "user_status",
            "medium",
            "Authentication",
        ),
        // A connector, Private Service Edge or Private Cloud Controller that cannot sign in.
        (
            r#"{"Connector":"conn-1","SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#,
            "app_connector_status",
            "critical",
            "App Connector",
        ),
        (
            r#"{"ServiceEdge":"pse-1","SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#,
            "private_service_edge_status",
            "critical",
            "Private Service Edge",
        ),
        (
            r#"{"PrivateCloudController":"pcc-1","SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#,
            "private_cloud_controller_status",
            "critical",
            "Private Cloud Controller",
        ),
    ];
    for (input, log_type, severity, component) in cases {
        let (out, outcome) = run(&e, input);
        assert_eq!(outcome, "known");
        let enr = added(&out, "enrichment");
        assert_eq!(enr["log_type"], log_type);
        assert_eq!(enr["severity"], severity, "{log_type}");
        assert_eq!(enr["component"], component, "{log_type}");
        // Everything else is the entry's.
        assert_eq!(enr["status"], entry.status.as_str());
        assert_eq!(enr["category"], entry.category.as_str());
        assert_eq!(enr["description"], entry.description.as_str());
    }
}

#[test]
fn an_override_of_one_field_keeps_the_other_and_obeys_the_output_options() {
    let file = crate::catalog::load::parse_toml(
        r#"catalog_version = "t-1"

[[entry]]
code = "ZPN_STATUS_DISCONNECTED"
status = "Disconnected"
description = "A session ended."
severity = "info"
component = "Authentication"
category = "info"

[[entry.overrides]]
log_type = "app_connector_status"
severity = "medium"
"#,
        "t.toml",
    )
    .unwrap();
    let catalog = Arc::new(Catalog::new(file.version, file.entries).unwrap());
    let input = r#"{"Connector":"conn-1","SessionStatus":"ZPN_STATUS_DISCONNECTED"}"#;
    let flat = Enricher::new(
        Arc::clone(&catalog),
        EnrichOptions {
            output: OutputMode::Flat {
                prefix: "zpa_".into(),
            },
            fields: FieldSet::from_names(&["code", "severity", "component"]).unwrap(),
            ..EnrichOptions::default()
        },
    );
    let (out, _) = run(&flat, input);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["zpa_severity"], "medium");
    assert_eq!(v["zpa_component"], "Authentication");
    assert!(v.get("zpa_status").is_none(), "{out}");
    // Another log type: the entry's own.
    let (out, _) = run(
        &flat,
        r#"{"Username":"u","SessionStatus":"ZPN_STATUS_DISCONNECTED"}"#,
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["zpa_severity"], "info");
}

#[test]
fn an_alias_is_enriched_as_its_entry_under_the_entry_code() {
    let e = enricher(EnrichOptions::default());
    let input =
        r#"{"InternalReason":"AST_MT_SETUP_ERR_AST_CFG_DISABLED","ConnectionStatus":"close"}"#;
    let mut out = Vec::new();
    let outcome = e.enrich(input.as_bytes(), &mut out);
    let Outcome::Known { entry, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        e.catalog().entry(entry).code,
        "AST_MT_SETUP_ERR_AST_CFG_DISABLE"
    );
    let enr = added(std::str::from_utf8(&out).unwrap(), "enrichment");
    assert_eq!(enr["code"], "AST_MT_SETUP_ERR_AST_CFG_DISABLE");
    assert_eq!(enr["known"], true);
    // The record keeps the spelling it came with.
    assert!(
        std::str::from_utf8(&out)
            .unwrap()
            .starts_with(r#"{"InternalReason":"AST_MT_SETUP_ERR_AST_CFG_DISABLED""#)
    );
}

mod repair;

#[test]
fn the_event_time_is_read_from_the_record_or_is_the_processing_time() {
    let e = enricher(EnrichOptions {
        clock: fixed_clock,
        ..EnrichOptions::default()
    });
    let cases = [
        // ctime, space-padded day, wrong weekday: the date counts.
        (
            r#"{"LogTimestamp":"Fri Mar  2 02:57:01 2020","SessionStatus":"ZPN_STATUS_AUTHENTICATED"}"#,
            "2020-03-02T02:57:01.000Z",
            Some(TimeSource::LogTimestamp),
        ),
        // Audit: ModifiedTime first, CreationTime when it is empty; camel-case keys too.
        (
            r#"{"AuditOperationType":"Update","CreationTime":"2021-11-17T04:29:38.000Z","ModifiedTime":"2021-11-18T05:00:00.250Z"}"#,
            "2021-11-18T05:00:00.250Z",
            Some(TimeSource::ModifiedTime),
        ),
        (
            r#"{"auditOperationType":"Create","modifiedTime":"","creationTime":"2021-11-17T04:29:38.000Z"}"#,
            "2021-11-17T04:29:38.000Z",
            Some(TimeSource::CreationTime),
        ),
        // Epoch milliseconds as a number, from a custom template.
        (
            r#"{"LogTimestamp":1559204442230,"InternalReason":"","ConnectionStatus":"open","ConnectionID":"c"}"#,
            "2019-05-30T08:20:42.230Z",
            Some(TimeSource::LogTimestamp),
        ),
        // An unreadable LogTimestamp falls back to the audit fields, then to the clock.
        (
            r#"{"LogTimestamp":"yesterday","SessionStatus":"ZPN_STATUS_AUTHENTICATED"}"#,
            "2023-11-14T22:13:20.123Z",
            None,
        ),
        (
            r#"{"LogTimestamp":{"t":1},"SessionStatus":"ZPN_STATUS_AUTHENTICATED"}"#,
            "2023-11-14T22:13:20.123Z",
            None,
        ),
    ];
    for (input, expected, source) in cases {
        let mut out = Vec::new();
        let outcome = e.enrich(input.as_bytes(), &mut out);
        let time = outcome.event_time().unwrap();
        let enr = added(std::str::from_utf8(&out).unwrap(), "enrichment");
        assert_eq!(enr["event_time"], expected, "{input}");
        match source {
            Some(source) => {
                assert_eq!(time.source, source, "{input}");
                assert!(enr.get("event_time_unreadable").is_none(), "{input}");
            }
            None => {
                assert!(time.is_processing_time(), "{input}");
                assert_eq!(time.millis, fixed_clock());
                assert_eq!(enr["event_time_unreadable"], true, "{input}");
            }
        }
    }
}
