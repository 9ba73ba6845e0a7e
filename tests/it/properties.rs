//! Property tests of the enrichment core: for arbitrary JSON objects the output minus the added
//! object is the input, byte for byte; arbitrary bytes never panic and invalid input writes
//! nothing.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use serde_json::{Map, Value};
use zpa_enricher::catalog::Catalog;
use zpa_enricher::enrich::{EnrichOptions, Enricher, Outcome};

fn enricher() -> &'static Enricher {
    static ENRICHER: OnceLock<Enricher> = OnceLock::new();
    ENRICHER.get_or_init(|| Enricher::new(Arc::new(Catalog::builtin()), EnrichOptions::default()))
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
            prop_assert!(is_object);
        }
    }
}
