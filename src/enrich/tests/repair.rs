//! Records whose template wrote list fields without brackets: repaired and enriched, or left
//! invalid exactly as before.

use pretty_assertions::assert_eq;

use super::*;
use crate::event::{Quirk, Quirks};

/// A User Status record as an older template writes it: no trusted networks, two postures hit.
const QUIRKY: &str = r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","Username":"jdoe@acme.example","SessionStatus":"ZPN_STATUS_AUTH_FAILED","TrustedNetworks":,"PosturesHit":"8c9d1e2f","disk-encrypted","PosturesMiss":"firewall-on","City":"Berlin"}"#;

/// The same record as the default template writes it.
const BRACKETED: &str = r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","Username":"jdoe@acme.example","SessionStatus":"ZPN_STATUS_AUTH_FAILED","TrustedNetworks":[],"PosturesHit":["8c9d1e2f","disk-encrypted"],"PosturesMiss":"firewall-on","City":"Berlin"}"#;

fn both() -> Quirks {
    Quirks::NONE
        .with(Quirk::EmptyList)
        .with(Quirk::UnbracketedList)
}

#[test]
fn a_quirky_record_is_enriched_as_its_bracketed_form_and_marked() {
    let e = enricher(EnrichOptions::default());
    let mut out = Vec::new();
    let outcome = e.enrich(QUIRKY.as_bytes(), &mut out);
    let Outcome::Known {
        source, repaired, ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(source, SourceField::SessionStatus);
    assert_eq!(repaired, both());
    assert_eq!(outcome.repaired(), both());
    let out = String::from_utf8(out).unwrap();
    // The repaired bytes, then the enrichment: the same as for the bracketed record, plus the
    // mark.
    let (bracketed, _) = run(&e, BRACKETED);
    let mark = r#","repaired":["empty_list","unbracketed_list"]}}"#;
    assert_eq!(out, format!("{}{mark}", &bracketed[..bracketed.len() - 2]));
    assert_eq!(
        added(&out, "enrichment")["repaired"],
        serde_json::json!(["empty_list", "unbracketed_list"])
    );
    // The bracketed record needs no repair and carries no mark.
    assert!(added(&bracketed, "enrichment").get("repaired").is_none());
}

#[test]
fn each_quirk_is_marked_alone() {
    let e = enricher(EnrichOptions::default());
    for (input, quirk) in [
        (
            r#"{"SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks": ,"a":1}"#,
            Quirk::EmptyList,
        ),
        (
            r#"{"SessionStatus":"ZPN_STATUS_AUTHENTICATED","PosturesHit":"a","b"}"#,
            Quirk::UnbracketedList,
        ),
    ] {
        let mut out = Vec::new();
        let outcome = e.enrich(input.as_bytes(), &mut out);
        assert_eq!(outcome.repaired(), Quirks::NONE.with(quirk), "{input}");
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            added(&out, "enrichment")["repaired"],
            serde_json::json!([quirk.as_str()]),
            "{out}"
        );
    }
}

#[test]
fn unknown_codes_and_records_without_one_are_repaired_too() {
    let e = enricher(EnrichOptions::default());
    let input = QUIRKY.replace("ZPN_STATUS_AUTH_FAILED", "ZPN_STATUS_SOMETHING_NEW");
    let mut out = Vec::new();
    let outcome = e.enrich(input.as_bytes(), &mut out);
    // The code lives in the repaired copy, so the outcome owns it.
    let Outcome::Unknown {
        code: Cow::Owned(code),
        repaired,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(code, "ZPN_STATUS_SOMETHING_NEW");
    assert_eq!(repaired, both());
    let enr = added(std::str::from_utf8(&out).unwrap(), "enrichment");
    assert_eq!(enr["known"], false);
    assert_eq!(enr["repaired"].as_array().map(Vec::len), Some(2));

    let mut out = Vec::new();
    let outcome = e.enrich(
        br#"{"AuditOperationType":"Create","Tags":"a","b"}"#,
        &mut out,
    );
    assert!(
        matches!(outcome, Outcome::NoCode { repaired, .. } if repaired == Quirks::NONE.with(Quirk::UnbracketedList)),
        "{outcome:?}"
    );
}

#[test]
fn flat_output_marks_with_a_prefixed_key_and_reads_back() {
    let e = enricher(EnrichOptions {
        output: OutputMode::Flat {
            prefix: "zpa_".into(),
        },
        ..EnrichOptions::default()
    });
    let (out, outcome) = run(&e, QUIRKY);
    assert_eq!(outcome, "known");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["zpa_repaired"],
        serde_json::json!(["empty_list", "unbracketed_list"])
    );
    assert_eq!(v["TrustedNetworks"], serde_json::json!([]));
    // Enriched again, the record is valid JSON: the earlier enrichment, mark and all, is
    // replaced by the current one (not a key conflict), which has nothing to mark.
    let (again, outcome) = run(&e, &out);
    assert_eq!(outcome, "known");
    let v: Value = serde_json::from_str(&again).unwrap();
    assert!(v.get("zpa_repaired").is_none(), "{again}");
    // A list is what the enricher writes under `repaired` only: under another of its keys it
    // is record data, which is never replaced.
    let (_, outcome) = run(&e, r#"{"SessionStatus":"x","zpa_code":["a"]}"#);
    assert_eq!(outcome, "invalid");
}

#[test]
fn with_the_repair_off_a_quirky_record_is_invalid_as_before() {
    let on = enricher(EnrichOptions::default());
    let off = enricher(EnrichOptions {
        repair_lss_quirks: false,
        ..EnrichOptions::default()
    });
    let mut out = b"previous".to_vec();
    let outcome = off.enrich(QUIRKY.as_bytes(), &mut out);
    let Outcome::Invalid(error) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(error.reason, InvalidReason::NotJson);
    assert_eq!(error.offset, QUIRKY.find(":,").unwrap() + 1);
    assert_eq!(out, b"previous");
    assert_eq!(
        on.enrich(QUIRKY.as_bytes(), &mut Vec::new()).as_str(),
        "known"
    );
}

#[test]
fn a_record_broken_in_another_way_keeps_its_reason_and_offset() {
    let on = enricher(EnrichOptions::default());
    let off = enricher(EnrichOptions {
        repair_lss_quirks: false,
        ..EnrichOptions::default()
    });
    for input in [
        // Broken elsewhere too.
        QUIRKY.replace(r#""City":"Berlin""#, r#""City":"Berlin",}"#),
        QUIRKY.replace(r#""firewall-on""#, r#""firewall-on" "x""#),
        QUIRKY[..QUIRKY.len() - 10].to_owned(),
        format!("{QUIRKY} trailing"),
        // Readable once repaired, but the status field is not a string.
        QUIRKY.replace(r#""ZPN_STATUS_AUTH_FAILED""#, "17"),
        // Readable once repaired, but the output key holds record data.
        QUIRKY.replace(r#""City""#, r#""enrichment""#),
        // Not the quirk at all.
        r#"{"a": "x" "y"}"#.to_owned(),
        r#"{"a": ,,"b":1}"#.to_owned(),
        "not json".to_owned(),
    ] {
        let mut out = b"previous".to_vec();
        let outcome = on.enrich(input.as_bytes(), &mut out);
        let expected = off.enrich(input.as_bytes(), &mut Vec::new());
        assert!(matches!(expected, Outcome::Invalid(_)), "{input}");
        assert_eq!(outcome, expected, "{input}");
        assert_eq!(out, b"previous", "{input}");
    }
}

#[test]
fn the_size_limit_applies_to_the_record_as_received() {
    let limit = QUIRKY.len();
    let e = enricher(EnrichOptions {
        max_record_bytes: limit,
        ..EnrichOptions::default()
    });
    // At the limit it is repaired, although the repair makes it larger.
    assert_eq!(
        e.enrich(QUIRKY.as_bytes(), &mut Vec::new()).as_str(),
        "known"
    );
    // Beyond it, it is too large, as before.
    let larger = format!("{QUIRKY} ");
    let Outcome::Invalid(error) = e.enrich(larger.as_bytes(), &mut Vec::new()) else {
        panic!("a record beyond the limit was read")
    };
    assert_eq!(error.reason, InvalidReason::TooLarge);
}

#[test]
fn a_syslog_header_is_stripped_or_kept_around_the_repaired_record() {
    let input = format!("<165>1 - - - - - - tok {QUIRKY}");
    let (out, _) = run(&enricher(EnrichOptions::default()), &input);
    assert!(out.starts_with(&BRACKETED[..BRACKETED.len() - 1]), "{out}");
    let keep = enricher(EnrichOptions {
        header: HeaderMode::Keep,
        ..EnrichOptions::default()
    });
    let (out, _) = run(&keep, &input);
    let want = format!(
        "<165>1 - - - - - - tok {}",
        &BRACKETED[..BRACKETED.len() - 1]
    );
    assert!(out.starts_with(&want), "{out}");
}

#[test]
fn without_repaired_in_the_fields_the_mark_is_left_out() {
    let e = enricher(EnrichOptions {
        fields: FieldSet::from_names(&["code", "known"]).unwrap(),
        ..EnrichOptions::default()
    });
    let (out, outcome) = run(&e, QUIRKY);
    assert_eq!(outcome, "known");
    assert!(
        out.ends_with(r#""enrichment":{"code":"ZPN_STATUS_AUTH_FAILED","known":true}}"#),
        "{out}"
    );
}
