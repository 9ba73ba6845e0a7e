//! LSS lines read back into records: generated records of every log type rendered as the
//! vendor's CSV and TSV lines and read again give the same values (typed by the templates'
//! placeholders), nothing the reader guessed is silent, arbitrary bytes never panic, and the
//! vendor's template defects are read from lines as the defective templates write them.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use zpa_enricher::catalog::Catalog;
use zpa_enricher::event::{
    Line, LineFormat, LineNote, LineReader, LogType, SeenFormat, Template, render,
};
use zpa_enricher::synth::{Generator, GeneratorOptions, Start};

/// Every log type the generator writes.
fn log_types() -> Vec<LogType> {
    LogType::ALL
        .into_iter()
        .filter(|t| *t != LogType::Unknown)
        .collect()
}

/// `count` records of `log_type` from the generator.
fn records(log_type: LogType, seed: u64, count: usize) -> Vec<Vec<u8>> {
    let catalog = Catalog::builtin();
    let mut g = Generator::new(
        &catalog,
        GeneratorOptions {
            seed,
            log_types: vec![(log_type, 1)],
            start: Start::At(1_767_225_600_000),
            ..GeneratorOptions::default()
        },
    );
    (0..count)
        .map(|_| {
            let mut r = Vec::new();
            g.next_record(&mut r);
            r
        })
        .collect()
}

fn object(bytes: &[u8]) -> Map<String, Value> {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

/// True when `read` is `original` as a CSV/TSV line carries it: a number read from a string
/// field the template prints with `%d`, a string read from a number it prints with `%s`, a
/// field the record lacks read as empty.
fn same(original: Option<&Value>, read: &Value) -> bool {
    match (original, read) {
        (None | Some(Value::Null), r) => r.is_null() || *r == json!("") || *r == json!([]),
        (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(Value::String(a)), Value::Number(b)) => a.parse::<f64>().ok() == b.as_f64(),
        (Some(Value::Number(a)), Value::String(b)) => a.to_string() == *b,
        (Some(Value::Array(a)), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(Some(x), y))
        }
        (Some(a), b) => a == b,
    }
}

/// The fields the record names in its notes (`lss_line`): ambiguous or unsplit ones.
fn noted(read: &Map<String, Value>) -> Vec<String> {
    let Some(Value::Object(notes)) = read.get("lss_line") else {
        return Vec::new();
    };
    ["ambiguous", "unsplit"]
        .iter()
        .filter_map(|k| notes.get(*k)?.as_array())
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Keys of the generated records that a log type's CSV and TSV templates do not write.
fn not_in_template(log_type: LogType) -> &'static [&'static str] {
    match log_type {
        LogType::AppProtection => &["Destination"],
        _ => &[],
    }
}

/// Checks that `read` is `original` but for what its notes name.
fn check_read_back(log_type: LogType, original: &[u8], read: &[u8]) -> Result<(), String> {
    let original = object(original);
    let read = object(read);
    let noted = noted(&read);
    for (key, value) in &read {
        if key == "lss_line" || noted.contains(key) {
            continue;
        }
        if !same(original.get(key), value) {
            return Err(format!(
                "{key}: {:?} was read as {value}",
                original.get(key)
            ));
        }
    }
    for key in original.keys() {
        if !read.contains_key(key)
            && !noted.contains(key)
            && !not_in_template(log_type).contains(&key.as_str())
        {
            return Err(format!("{key} is missing"));
        }
    }
    Ok(())
}

fn read(reader: &LineReader, line: &[u8]) -> (Line, Vec<u8>) {
    let mut out = Vec::new();
    let l = reader
        .read(line, &mut out)
        .unwrap_or_else(|e| panic!("{}\n{e}", String::from_utf8_lossy(line)));
    (l, out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn generated_records_read_back_from_csv_and_tsv(
        seed in any::<u64>(),
        type_index in 0usize..15,
        tsv in any::<bool>(),
    ) {
        let log_type = log_types()[type_index];
        let format = if tsv { LineFormat::Tsv } else { LineFormat::Csv };
        let auto = LineReader::new(LineFormat::Auto, None);
        let configured = LineReader::new(format, Some(log_type));
        for record in records(log_type, seed, 16) {
            let mut line = Vec::new();
            render(log_type, format, &record, &mut line).unwrap();
            let (l, out) = read(&auto, &line);
            prop_assert_eq!(l.log_type, log_type);
            prop_assert_eq!(l.format.as_str(), format.as_str());
            let checked = check_read_back(log_type, &record, &out);
            prop_assert!(checked.is_ok(), "{:?}\n{}", checked, String::from_utf8_lossy(&line));
            // Only lists side by side in a User Status CSV line can leave a doubt.
            if log_type != LogType::UserStatus || tsv {
                prop_assert!(l.notes.is_empty(), "{}", String::from_utf8_lossy(&out));
            }
            let (l2, out2) = read(&configured, &line);
            prop_assert_eq!(l2, l);
            prop_assert_eq!(out2, out);
        }
    }

    #[test]
    fn commas_in_free_text_read_back_or_are_noted(
        seed in any::<u64>(),
        field in prop::sample::select(vec![
            "Customer", "Username", "Policy", "Connector", "Application", "AppGroup", "Idp",
            "ClientCity",
        ]),
        text in "[a-zA-Z ]{0,6}(, ?[a-zA-Z. ]{0,6}){1,3}",
    ) {
        let reader = LineReader::new(LineFormat::Auto, None);
        for record in records(LogType::UserActivity, seed, 4) {
            let mut record = object(&record);
            record.insert(field.to_owned(), Value::String(text.clone()));
            let record = serde_json::to_vec(&record).unwrap();
            let mut line = Vec::new();
            render(LogType::UserActivity, LineFormat::Csv, &record, &mut line).unwrap();
            let (l, out) = read(&reader, &line);
            let checked = check_read_back(LogType::UserActivity, &record, &out);
            prop_assert!(checked.is_ok(), "{:?}\n{}", checked, String::from_utf8_lossy(&line));
            let read = object(&out);
            if read[field] != json!(text) {
                prop_assert!(l.notes.contains(LineNote::Ambiguous));
                prop_assert!(noted(&read).contains(&field.to_owned()));
            }
            // A field between an identifier and a number, or two of them, is always read.
            if matches!(field, "Customer" | "Username") {
                prop_assert_eq!(&read[field], &json!(text));
                prop_assert!(l.notes.is_empty());
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(line in prop::collection::vec(any::<u8>(), 0..400)) {
        for reader in readers() {
            let mut out = b"x".to_vec();
            match reader.read(&line, &mut out) {
                Ok(l) => {
                    let record: Value = serde_json::from_slice(&out[1..]).unwrap();
                    prop_assert!(record.is_object());
                    if let Some(k) = l.key {
                        prop_assert!(k.start > 1 && out[k.start - 1] == b'"' && out[k.end] == b'"');
                    }
                }
                Err(e) => {
                    prop_assert_eq!(&out, b"x");
                    prop_assert!(zpa_enricher::event::LineError::REASONS.contains(&e.reason()));
                }
            }
        }
    }

    #[test]
    fn damaged_lines_never_panic(
        seed in any::<u64>(),
        type_index in 0usize..15,
        tsv in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop_oneof![
            Just(b','), Just(b'\t'), Just(b'"'), Just(b't'), Just(b'{'), any::<u8>(),
        ], 0u8..3), 1..6),
    ) {
        let log_type = log_types()[type_index];
        let format = if tsv { LineFormat::Tsv } else { LineFormat::Csv };
        let record = records(log_type, seed, 1).remove(0);
        let mut line = Vec::new();
        render(log_type, format, &record, &mut line).unwrap();
        for (at, byte, how) in edits {
            let i = at.index(line.len() + 1);
            match how {
                0 => line.insert(i, byte),
                1 if i < line.len() => { line.remove(i); }
                _ if i < line.len() => line[i] = byte,
                _ => {}
            }
        }
        for reader in readers() {
            let mut out = Vec::new();
            if reader.read(&line, &mut out).is_ok() {
                prop_assert!(serde_json::from_slice::<Value>(&out).unwrap().is_object());
            }
        }
    }
}

/// A reader of every kind.
fn readers() -> Vec<LineReader> {
    let mut readers: Vec<LineReader> = [
        LineFormat::Auto,
        LineFormat::Json,
        LineFormat::Csv,
        LineFormat::Tsv,
    ]
    .into_iter()
    .map(|f| LineReader::new(f, None))
    .collect();
    readers.push(LineReader::new(LineFormat::Auto, Some(LogType::UserStatus)));
    readers.push(LineReader::with_template(
        Template::parse("<%d{N}>%s{LogTimestamp:time} %s(,){PosturesHit}\\t%j{UserAgent}|%f{X}\\n")
            .unwrap(),
        None,
    ));
    readers
}

#[test]
fn readers_are_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<LineReader>();
}

#[test]
fn json_lines_pass_unchanged_with_their_key() {
    let reader = LineReader::new(LineFormat::Auto, None);
    for log_type in log_types() {
        for record in records(log_type, 3, 4) {
            let (l, out) = read(&reader, &record);
            assert_eq!(out, record);
            assert_eq!(l.format, SeenFormat::Json);
            assert_eq!(l.log_type, log_type);
            let fields = object(&record);
            let expected = ["SessionID", "ConnectionID"]
                .iter()
                .filter_map(|k| fields.get(*k)?.as_str().filter(|s| !s.is_empty()))
                .next();
            let key = l.key.map(|k| String::from_utf8(out[k].to_vec()).unwrap());
            // Generated identifiers need no escaping, so the raw text is the value.
            assert_eq!(key.as_deref(), expected, "{log_type}");
        }
    }
}

// The vendor's template defects, from lines as the defective templates write them.

#[test]
fn defect_user_status_1id_csv_lists_run_together() {
    let line = "Wed Dec  1 10:38:41 2021 User Status zpa-lss: ,Acme,jdoe,S1,ZPN_STATUS_AUTHENTICATED,\
                4.6,US-NY-1,S1,10.0.0.1,192.0.2.1,40.712800,-74.006000,US,2021-12-01T10:00:00.000Z,,1,2,\
                Okta,DESKTOP-1,windows,zpn_client_type_zapp,,HomeDisk Encrypted,,40.700000,-74.000000,\
                US,0,,New York,0";
    let (l, out) = read(
        &LineReader::new(LineFormat::Csv, Some(LogType::UserStatus)),
        line.as_bytes(),
    );
    let v = object(&out);
    assert_eq!(v["TrustedNetworks"], json!([]));
    assert_eq!(v["TrustedNetworksNames"], json!(["HomeDisk Encrypted"]));
    assert!(!v.contains_key("PosturesHit"));
    assert_eq!(v["PosturesMiss"], json!([]));
    assert_eq!(
        v["lss_line"],
        json!({"unsplit": ["TrustedNetworksNames", "PosturesHit"]})
    );
    assert!(l.notes.contains(LineNote::Unsplit));
    assert_eq!(v["City"], "New York");
}

#[test]
fn defect_krb_tsv_fields_separated_by_the_letter_t() {
    let line = "Wed Dec  1 10:38:41 2021 KRB Inspection Logs zpa-lss: \tAcme\tc,1\ttom@acme.example\t7\t\
                dc01.corp.example\t88\tUDP\tKERBEROS \tINSPECTED\tKERBEROS\t\tKerberos v5\tTGS_REQ\t\
                CORP.EXAMPLEtCORP.EXAMPLEttom.tate@CORP.EXAMPLEtcifs/files.example@CORP.EXAMPLEt\
                aes256-cts-hmac-sha1-96taes256-cts-hmac-sha1-96tKDC_ERR_S_PRINCIPAL_UNKNOWN\t1\t2\t3\t4\t1\t0\t\
                5\t6\t7\t8\t9\t10\t0\t\t\t\t\t\t";
    let (l, out) = read(&LineReader::new(LineFormat::Auto, None), line.as_bytes());
    let v = object(&out);
    assert!(l.notes.is_empty());
    assert_eq!(v["InspectionProtocolConfig"], "KERBEROS");
    assert_eq!(v["KRBUserPrincipal"], "tom.tate@CORP.EXAMPLE");
    assert_eq!(v["KRBServicePrincipal"], "cifs/files.example@CORP.EXAMPLE");
    assert_eq!(v["KRBTicketEncryption"], "aes256-cts-hmac-sha1-96");
    assert_eq!(v["KRBErrorCode"], "KDC_ERR_S_PRINCIPAL_UNKNOWN");
    assert_eq!(v["ApplicationGroup"], 2);
}

#[test]
fn defect_app_protection_tsv_comma_between_two_numbers() {
    let mut cells = vec![String::new(); 61];
    cells[0] = "Wed Dec  1 10:38:41 2021 Web Inspection Logs zpa-lss: ".into();
    cells[2] = "c,1".into();
    cells[5] = "c,1".into();
    cells[52] = "216196257331282435,1".into(); // CertificateId,DoubleEncryption
    cells[53] = "1".into();
    let line = cells.join("\t");
    let (l, out) = read(&LineReader::new(LineFormat::Tsv, None), line.as_bytes());
    let v = object(&out);
    assert_eq!(l.log_type, LogType::AppProtection);
    assert_eq!(v["CertificateId"], 216_196_257_331_282_435_u64);
    assert_eq!(v["DoubleEncryption"], 1);
    assert_eq!(v["SSLInspection"], 1);
    assert_eq!(
        v["TotalBytesProcessed"],
        Value::Null,
        "an empty number is null, not 0"
    );
    assert!(l.notes.is_empty());
}

#[test]
fn defect_ldap_json_stray_comma() {
    let line = r#"{"LogTimestamp": "Wed Dec  1 10:38:41 2021","Customer": "Acme","ConnectionID": "c,1","UserID": ,"jdoe","AssistantID": "7","LDAPBindRequests": 2}"#;
    let (l, out) = read(&LineReader::new(LineFormat::Auto, None), line.as_bytes());
    let v = object(&out);
    assert_eq!(v["UserID"], "jdoe");
    assert_eq!(v["lss_line"], json!({"repaired": ["stray_comma"]}));
    assert_eq!(l.log_type, LogType::LdapInspection);
    assert!(l.notes.contains(LineNote::Repaired));
}

/// The lines of a `generate` run.
fn generated(args: &[&str]) -> Vec<Vec<u8>> {
    let out = crate::common::run(args, b"");
    assert!(out.status.success(), "{}", crate::common::stderr(&out));
    out.stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

#[test]
fn generate_writes_the_vendors_csv_and_tsv_lines() {
    let base = [
        "generate",
        "-n",
        "60",
        "--seed",
        "5",
        "--start",
        "2026-11-25T08:00:00Z",
    ];
    let json = generated(&base);
    assert_eq!(json.len(), 60);
    let reader = LineReader::new(LineFormat::Auto, None);
    for (template, seen) in [("csv", SeenFormat::Csv), ("tsv", SeenFormat::Tsv)] {
        let lines = generated(&[&base[..], &["--template", template]].concat());
        assert_eq!(lines.len(), json.len());
        for (line, record) in lines.iter().zip(&json) {
            let (l, out) = read(&reader, line);
            let log_type = read(&reader, record).0.log_type;
            if log_type == LogType::Unknown {
                // No template to write it with: it stays JSON.
                assert_eq!(line, record);
                continue;
            }
            assert_eq!((l.format, l.log_type), (seen, log_type));
            check_read_back(log_type, record, &out).unwrap();
        }
    }
    assert_eq!(
        generated(&[&base[..], &["--template", "json"]].concat()),
        json
    );
}

#[test]
fn generate_template_takes_json_csv_or_tsv_for_lines_only() {
    for args in [
        &["generate", "-n", "1", "--template", "auto"][..],
        &["generate", "-n", "1", "--template", "csv", "--enriched"],
    ] {
        let out = crate::common::run(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}
