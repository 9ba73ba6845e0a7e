use super::super::fields::json_key;
use super::super::template::{Piece, Template};
use super::*;

fn parse(source: &str, kind: Kind) -> Template {
    let text = text(source, kind).unwrap_or_else(|| panic!("{source} has a {kind:?} template"));
    Template::parse(text).unwrap_or_else(|e| panic!("{source} {kind:?}: {e}"))
}

#[test]
fn every_default_template_parses() {
    for (source, _) in SOURCES {
        for kind in [Kind::Csv, Kind::Tsv, Kind::Json] {
            parse(source, kind);
        }
    }
    Template::parse(OLDER_USER_ACTIVITY_CSV).expect("parses");
    Template::parse(OLDER_USER_ACTIVITY_TSV).expect("parses");
}

/// The JSON key of each placeholder of a JSON template: the `"Key":` just before it.
fn json_keys(t: &Template) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut before: &[u8] = b"";
    for piece in t.pieces() {
        match piece {
            Piece::Text(text) => before = text,
            Piece::Field(f) => {
                let text = std::str::from_utf8(before).expect("UTF-8");
                let colon = text.rfind(':').expect("a key before every value");
                let key = text[..colon].trim_end().trim_end_matches('"');
                let key = &key[key.rfind('"').expect("a quoted key") + 1..];
                out.push((f.name.to_string(), key.to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_variable_is_read_under_the_key_the_json_template_writes() {
    for (source, _) in SOURCES {
        for (variable, key) in json_keys(&parse(source, Kind::Json)) {
            assert_eq!(json_key(&variable), key, "{source}: {variable}");
        }
    }
}

fn names(t: &Template) -> Vec<String> {
    t.field_names().map(str::to_owned).collect()
}

#[test]
fn csv_and_tsv_write_the_json_variables_but_for_known_differences() {
    for (source, _) in SOURCES {
        let json = names(&parse(source, Kind::Json));
        for kind in [Kind::Csv, Kind::Tsv] {
            let delimited = names(&parse(source, kind));
            let mut expected = json.clone();
            if source == "zpn_waf_http_exchanges_log" {
                // The AppProtection CSV and TSV write ConnectionID twice, have one more
                // timestamp and no Destination.
                expected.insert(5, "ConnectionID".into());
                let at = expected
                    .iter()
                    .position(|n| n == "TimestampResponseReceiveFinish")
                    .expect("in the JSON template");
                expected.insert(at, "TimestampResponseReceiveStart".into());
                expected.retain(|n| n != "Destination");
            }
            assert_eq!(delimited, expected, "{source} {kind:?}");
        }
    }
}

#[test]
fn the_known_defects_are_in_the_data() {
    let text = |source, kind| super::text(source, kind).expect("a template");
    assert!(
        text("zpn_auth_log_1id", Kind::Csv)
            .contains("%s(,){TrustedNetworksNames}%s(,){PosturesHit}")
    );
    assert!(text("zpn_krb_inspection_log", Kind::Tsv).contains("%s{KRBRealm}t%s{KRBClientRealm}t"));
    assert!(
        text("zpn_waf_http_exchanges_log", Kind::Tsv)
            .contains("%d{CertificateId},%d{DoubleEncryption}")
    );
    assert!(text("zpn_ldap_inspection_log", Kind::Json).contains("%j,{UserID}"));
    assert!(text("zpn_smb_inspection_log", Kind::Tsv).contains("%s{Domain} \\t"));
}

#[test]
fn every_log_type_has_a_prefix_name_shared_by_its_csv_and_tsv() {
    for (source, t) in SOURCES {
        let csv = prefix_name(text(source, Kind::Csv).expect("csv")).expect("a prefix");
        let tsv = prefix_name(text(source, Kind::Tsv).expect("tsv")).expect("a prefix");
        assert_eq!(csv, tsv, "{source}");
        let same_name: Vec<LogType> = SOURCES
            .iter()
            .filter(|(s, _)| prefix_name(text(s, Kind::Csv).expect("csv")) == Some(csv))
            .map(|(_, t)| *t)
            .collect();
        assert!(
            same_name.iter().all(|x| *x == t),
            "{csv} names one log type"
        );
    }
    assert_eq!(
        prefix_name(text("zpn_trans_log", Kind::Csv).expect("csv")),
        Some("User Activity")
    );
    assert_eq!(
        prefix_name(text("zpn_audit_log", Kind::Tsv).expect("tsv")),
        Some("Audit")
    );
    assert_eq!(
        prefix_name(text("zms_flow_log", Kind::Csv).expect("csv")),
        Some("Flow Logs")
    );
}

#[test]
fn every_known_log_type_has_templates() {
    for t in LogType::ALL {
        let expected = usize::from(t != LogType::Unknown);
        assert_eq!(usize::from(primary_source(t).is_some()), expected, "{t}");
        if t == LogType::Unknown {
            continue;
        }
        for kind in [Kind::Csv, Kind::Tsv] {
            let v = variants(t, kind);
            assert!(!v.is_empty(), "{t}");
            assert_eq!(v[0].source, primary_source(t).expect("a source"));
        }
    }
    let ua = variants(LogType::UserActivity, Kind::Csv);
    assert_eq!(
        ua.iter().map(|v| v.ends_after).collect::<Vec<_>>(),
        [None, Some("c2c"), Some("Idp"), None]
    );
    assert_eq!(
        variants(LogType::UserStatus, Kind::Tsv)[1].source,
        "zpn_auth_log_1id"
    );
}
