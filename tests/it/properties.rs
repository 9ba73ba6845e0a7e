//! Property tests of the enrichment core: for arbitrary JSON objects the output minus the added
//! object is the input, byte for byte; arbitrary bytes never panic and invalid input writes
//! nothing. And of the repair of list fields written without brackets: valid objects are never
//! repaired, a repair only ever inserts brackets and gives JSON, and a record rendered with the
//! quirk repairs to the record rendered without it.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use serde_json::{Map, Value};
use zpa_enricher::catalog::Catalog;
use zpa_enricher::enrich::{EnrichOptions, Enricher, Outcome};
use zpa_enricher::event::{Quirk, repair};

fn enricher() -> &'static Enricher {
    static ENRICHER: OnceLock<Enricher> = OnceLock::new();
    // A clock that stands still: a record without a readable time carries the processing time,
    // which would differ between two passes over the same record.
    ENRICHER.get_or_init(|| {
        Enricher::new(
            Arc::new(Catalog::builtin()),
            EnrichOptions {
                clock: || 1_700_000_000_000,
                ..EnrichOptions::default()
            },
        )
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        // Keys the core looks at, so that their code paths are exercised.
        Just("InternalReason".to_owned()),
        Just("SessionStatus".to_owned()),
        Just("ConnectionStatus".to_owned()),
        Just("Username".to_owned()),
        Just("Connector".to_owned()),
        "[A-Za-z_]{1,12}",
        "\\PC{0,8}",
    ]
    .prop_filter("the output key is ours", |k| k != "enrichment")
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::String),
        // Real codes, so known lookups happen.
        prop::sample::select(vec![
            "BRK_MT_TERMINATED",
            "APP_NOT_REACHABLE",
            "ZPN_STATUS_AUTH_FAILED",
            "close",
            "",
            "NOT_A_REAL_CODE",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), value()), 0..12)
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn output_minus_enrichment_is_the_input(obj in object(), pretty in any::<bool>()) {
        let input = if pretty {
            serde_json::to_string_pretty(&obj).unwrap()
        } else {
            serde_json::to_string(&obj).unwrap()
        };
        let mut out = Vec::new();
        let outcome = enricher().enrich(input.as_bytes(), &mut out);
        let out = String::from_utf8(out).unwrap();
        match outcome {
            Outcome::Invalid(e) => {
                // Only a status field of the wrong type may make a valid object invalid.
                prop_assert_eq!(e.reason.as_str(), "wrong_type");
                prop_assert!(out.is_empty());
            }
            _ => {
                // Byte for byte: everything up to the closing brace, then our object.
                let close = input.rfind('}').unwrap();
                prop_assert!(out.starts_with(&input[..close]));
                prop_assert!(out.ends_with("}"), "output does not end with a brace");
                let mut parsed: Value = serde_json::from_str(&out).unwrap();
                let added = parsed.as_object_mut().unwrap().remove("enrichment");
                prop_assert!(added.is_some());
                // Compared with the input parsed the same way (float parsing is not exact).
                let reparsed: Value = serde_json::from_str(&input).unwrap();
                prop_assert_eq!(&parsed, &reparsed);
                // Key order of the original members is unchanged.
                let keys_in: Vec<&String> = reparsed.as_object().unwrap().keys().collect();
                let keys_out: Vec<&String> = parsed.as_object().unwrap().keys().collect();
                prop_assert_eq!(keys_in, keys_out);
            }
        }
    }

    #[test]
    fn enriching_is_idempotent(obj in object()) {
        let input = serde_json::to_string(&obj).unwrap();
        let e = enricher();
        let mut once = Vec::new();
        if let Outcome::Invalid(_) = e.enrich(input.as_bytes(), &mut once) {
            return Ok(());
        }
        let mut twice = Vec::new();
        e.enrich(&once, &mut twice);
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let mut out = Vec::new();
        match enricher().enrich(&bytes, &mut out) {
            Outcome::Invalid(e) => {
                prop_assert!(out.is_empty());
                prop_assert!(e.offset <= bytes.len());
            }
            _ => {
                let parsed: Result<Value, _> = serde_json::from_slice(&out);
                prop_assert!(parsed.is_ok());
            }
        }
    }

    #[test]
    fn invalid_utf8_is_reported_exactly_where_it_is(
        obj in object(),
        at in any::<prop::sample::Index>(),
        bad in prop::sample::select(vec![0x80u8, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf5, 0xff]),
        header in any::<bool>(),
    ) {
        let mut input = if header { b"<165>1 2026-11-25T10:00:00Z host zpa-lss - - - ".to_vec() } else { Vec::new() };
        input.extend(serde_json::to_vec(&obj).unwrap());
        let i = at.index(input.len());
        input.insert(i, bad);
        let mut out = Vec::new();
        let outcome = enricher().enrich(&input, &mut out);
        match std::str::from_utf8(&input) {
            Err(e) => match outcome {
                Outcome::Invalid(err) => {
                    prop_assert_eq!(err.reason.as_str(), "invalid_utf8");
                    prop_assert_eq!(err.offset, e.valid_up_to());
                }
                other => prop_assert!(false, "not reported: {other:?}"),
            },
            Ok(_) => {
                let utf8_error = matches!(&outcome, Outcome::Invalid(e) if e.reason.as_str() == "invalid_utf8");
                prop_assert!(!utf8_error);
            }
        }
    }

    #[test]
    fn mutated_records_never_panic(obj in object(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut input = serde_json::to_vec(&obj).unwrap();
        let i = cut.index(input.len());
        input[i] = byte;
        let mut out = Vec::new();
        let outcome = enricher().enrich(&input, &mut out);
        // Whatever the verdict, it agrees with serde_json on whether this is a JSON object;
        // except that serde_json also refuses numbers beyond the range of f64 (`1E400`), which
        // the JSON grammar admits and the enricher passes through untouched.
        let parsed = serde_json::from_slice::<Value>(&input);
        prop_assume!(!parsed.as_ref().is_err_and(|e| e.to_string().starts_with("number out of range")));
        let is_object = parsed.is_ok_and(|v| v.is_object());
        if let Outcome::Invalid(e) = outcome {
            prop_assert!(!is_object || e.reason.as_str() == "wrong_type", "{e}");
        } else {
            // Or the mutation made a list without brackets (`"a":"b","c","d"`), repaired.
            prop_assert!(is_object || !outcome.repaired().is_empty());
        }
    }
}

/// True when `out` is `input` with only `[` and `]` inserted. (Matching greedily is exact: when
/// an output byte that equals the next input byte is really an inserted bracket, so is that
/// input byte, and the two alignments are interchangeable.)
fn only_brackets_inserted(input: &[u8], out: &[u8]) -> bool {
    let mut rest = input.iter().peekable();
    for b in out {
        if rest.peek() == Some(&b) {
            rest.next();
        } else if !matches!(b, b'[' | b']') {
            return false;
        }
    }
    rest.next().is_none()
}

/// Bytes made of JSON's pieces, so that some of them have the quirk's shapes.
fn json_pieces() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        " ",
        "\n",
        "\"a\"",
        "\"b\"",
        "\"c,\\\":\"",
        "1",
        "-2.5e3",
        "0",
        "01",
        "true",
        "null",
        "\"",
        "\\",
        "x",
        "\u{e9}",
    ]);
    (any::<bool>(), prop::collection::vec(piece, 0..40)).prop_map(|(open, pieces)| {
        let mut s = if open { "{".to_owned() } else { String::new() };
        s.push_str(&pieces.concat());
        s.into_bytes()
    })
}

/// An item of a list field: a JSON string (with the commas, quotes, colons and escapes a
/// repair must read as text) or a number.
fn item() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-z0-9,:\"\\\\ ]{0,10}".prop_map(Value::String),
        "\\PC{0,6}".prop_map(Value::String),
        any::<i32>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
    ]
}

/// A list field: its items, and whether the template writes it without brackets.
fn list() -> impl Strategy<Value = (Vec<Value>, bool)> {
    (prop::collection::vec(item(), 0..4), any::<bool>())
}

/// A User Status record with its four list fields (and optionally a fifth at the end), some of
/// them written without brackets, as `(key, rendered value, bare list of how many items)`.
#[derive(Debug, Clone)]
struct Rendering {
    members: Vec<(&'static str, Vec<String>, Option<bool>)>,
    colon: &'static str,
    comma: &'static str,
}

impl Rendering {
    /// The record, with the brackets of bare lists written when `bracket(items)` says so.
    fn render(&self, bracket: impl Fn(usize) -> bool) -> String {
        let members: Vec<String> = self
            .members
            .iter()
            .map(|(key, items, list)| {
                let value = match list {
                    None => items[0].clone(),
                    Some(bare) if *bare && !bracket(items.len()) => items.join(self.comma),
                    Some(_) => format!("[{}]", items.join(self.comma)),
                };
                format!("\"{key}\":{}{value}", self.colon)
            })
            .collect();
        format!("{{{}}}", members.join(","))
    }

    fn bare_lists(&self) -> impl Iterator<Item = usize> + '_ {
        self.members
            .iter()
            .filter(|(_, _, list)| *list == Some(true))
            .map(|(_, items, _)| items.len())
    }
}

fn user_status() -> impl Strategy<Value = Rendering> {
    (
        prop::collection::vec(list(), 4),
        prop::option::of(list()),
        prop::sample::select(vec![
            "ZPN_STATUS_AUTHENTICATED",
            "ZPN_STATUS_AUTH_FAILED",
            "NEW",
        ]),
        prop::sample::select(vec!["", " "]),
        prop::sample::select(vec![",", ", "]),
    )
        .prop_map(|(lists, last, status, colon, comma)| {
            let scalar = |v: Value| vec![v.to_string()];
            let list = |(items, bare): (Vec<Value>, bool)| {
                (items.iter().map(Value::to_string).collect(), Some(bare))
            };
            let mut members = vec![
                (
                    "LogTimestamp",
                    scalar("Wed Dec  1 10:38:41 2021".into()),
                    None,
                ),
                ("Username", scalar("jdoe@acme.example".into()), None),
                ("SessionStatus", scalar(status.into()), None),
            ];
            for (key, l) in [
                "TrustedNetworks",
                "TrustedNetworksNames",
                "PosturesHit",
                "PosturesMiss",
            ]
            .into_iter()
            .zip(lists)
            {
                let (items, bare) = list(l);
                members.push((key, items, bare));
            }
            members.push(("ZENLatitude", scalar(40.7.into()), None));
            members.push(("City", scalar("Berlin, Mitte".into()), None));
            if let Some(l) = last {
                let (items, bare) = list(l);
                members.push(("Tags", items, bare));
            }
            Rendering {
                members,
                colon,
                comma,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn valid_objects_are_never_repaired(obj in object(), pretty in any::<bool>()) {
        let input = if pretty {
            serde_json::to_string_pretty(&obj).unwrap()
        } else {
            serde_json::to_string(&obj).unwrap()
        };
        prop_assert_eq!(repair(input.as_bytes(), 64), None);
    }

    #[test]
    fn a_repair_only_inserts_brackets_and_gives_json(
        bytes in prop_oneof![
            json_pieces(),
            prop::collection::vec(any::<u8>(), 0..64),
            // A quirky record, cut short or with one byte replaced.
            (user_status(), any::<prop::sample::Index>(), any::<Option<u8>>()).prop_map(
                |(r, at, byte)| {
                    let mut b = r.render(|_| false).into_bytes();
                    let i = at.index(b.len());
                    match byte {
                        Some(x) => b[i] = x,
                        None => b.truncate(i),
                    }
                    b
                }
            ),
        ]
    ) {
        if let Some(repaired) = repair(&bytes, 64) {
            prop_assert!(!repaired.quirks.is_empty());
            // JSON by its grammar: a number too large for a float (`1E400`) is JSON, though a
            // parser into f64 refuses it, so the record is checked without reading numbers.
            let parsed =
                serde_json::from_slice::<Box<serde_json::value::RawValue>>(&repaired.record);
            prop_assert!(
                parsed.as_ref().is_ok_and(|r| r.get().starts_with('{')),
                "{:?}: {}",
                parsed,
                String::from_utf8_lossy(&repaired.record)
            );
            prop_assert!(
                only_brackets_inserted(&bytes, &repaired.record),
                "{} -> {}",
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(&repaired.record)
            );
        }
    }

    #[test]
    fn a_record_written_with_the_quirk_repairs_to_the_record_without_it(r in user_status()) {
        let quirky = r.render(|_| false);
        // A list of one item without brackets is a plain value, and stays one.
        let expected = r.render(|items| items != 1);
        let empty = r.bare_lists().any(|n| n == 0);
        let unbracketed = r.bare_lists().any(|n| n > 1);
        let repaired = repair(quirky.as_bytes(), 64);
        if !empty && !unbracketed {
            prop_assert_eq!(&quirky, &expected);
            prop_assert_eq!(repaired, None);
            return Ok(());
        }
        let repaired = repaired.unwrap();
        prop_assert_eq!(String::from_utf8(repaired.record).unwrap(), expected.clone());
        prop_assert_eq!(repaired.quirks.contains(Quirk::EmptyList), empty);
        prop_assert_eq!(repaired.quirks.contains(Quirk::UnbracketedList), unbracketed);

        // Enriched, it is the record without the quirk enriched, and marked.
        let (mut from_quirky, mut from_expected) = (Vec::new(), Vec::new());
        let outcome = enricher().enrich(quirky.as_bytes(), &mut from_quirky);
        prop_assert_eq!(outcome.repaired(), repaired.quirks);
        prop_assert!(enricher().enrich(expected.as_bytes(), &mut from_expected).repaired().is_empty());
        let mut got: Value = serde_json::from_slice(&from_quirky).unwrap();
        let mark = got["enrichment"].as_object_mut().unwrap().remove("repaired").unwrap();
        let labels: Vec<&str> = repaired.quirks.iter().map(Quirk::as_str).collect();
        prop_assert_eq!(mark, serde_json::json!(labels));
        prop_assert_eq!(got, serde_json::from_slice::<Value>(&from_expected).unwrap());
    }
}

/// A repaired list may hold a number past the range of a float: still JSON, and read as JSON
/// (the case that showed the property above needed a grammar check, not a float parser).
#[test]
fn a_repaired_number_past_float_range_is_still_json() {
    let input = br#"{"SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks": ,"TrustedNetworksNames": -111885E47390534458,"City":"x"}"#;
    let repaired = repair(input, 64).expect("the quirk is repaired");
    assert!(only_brackets_inserted(input, &repaired.record));
    let raw = serde_json::from_slice::<Box<serde_json::value::RawValue>>(&repaired.record);
    assert!(raw.is_ok(), "{raw:?}");
    assert!(serde_json::from_slice::<Value>(&repaired.record).is_err());
}
