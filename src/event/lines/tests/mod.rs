//! The reader as a whole: formats told apart, prefixes checked, errors and their reasons, the
//! vendor's defects read, custom templates.

use serde_json::{Value, json};

use super::*;

mod defects;

fn reader() -> LineReader {
    LineReader::new(LineFormat::Auto, None)
}

/// Reads `line` with `r`, returning what was read and the record as a JSON value.
fn read(r: &LineReader, line: &str) -> (Line, Value) {
    let mut out = Vec::new();
    let l = r
        .read(line.as_bytes(), &mut out)
        .unwrap_or_else(|e| panic!("{line}\n{e}"));
    let v: Value = serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out));
    });
    if let Some(k) = &l.key {
        assert_eq!(
            Some(&Value::String(
                String::from_utf8_lossy(&out[k.clone()]).into_owned()
            )),
            v.get("SessionID")
                .filter(|s| *s != "")
                .or_else(|| v.get("ConnectionID")),
            "the key is SessionID, else ConnectionID"
        );
    }
    (l, v)
}

fn error(r: &LineReader, line: &[u8]) -> LineError {
    let mut out = b"kept".to_vec();
    let e = r.read(line, &mut out).expect_err("an error");
    assert_eq!(out, b"kept", "nothing written on error");
    e
}

const METRICS_CSV: &str = "Wed Dec  1 10:38:41 2021 Service Edge Metric zpa-lss: ,pse-1,10,39,16,1378,112,\
                           31,14,63133,1048576,13330,524288,1953,83389698620";

#[test]
fn auto_tells_json_csv_and_tsv_apart() {
    let (l, v) = read(&reader(), r#"{"PrivateSE":"pse-1","CPUUtilization":"10"}"#);
    assert_eq!(
        (l.format, l.log_type),
        (SeenFormat::Json, LogType::PrivateServiceEdgeMetrics)
    );
    assert_eq!(v["CPUUtilization"], "10");
    let (l, v) = read(&reader(), METRICS_CSV);
    assert_eq!(
        (l.format, l.log_type),
        (SeenFormat::Csv, LogType::PrivateServiceEdgeMetrics)
    );
    assert_eq!(v["LogTimestamp"], "Wed Dec  1 10:38:41 2021");
    assert_eq!(v["PrivateSE"], "pse-1");
    assert_eq!(
        v["AvailableDiskBytes"], "83389698620",
        "metrics are %s: strings"
    );
    let tsv = METRICS_CSV.replace(" ,", " \t").replace(',', "\t");
    let (l, v2) = read(&reader(), &tsv);
    assert_eq!(l.format, SeenFormat::Tsv);
    assert_eq!(v, v2);
    assert_eq!(l.key, None);
}

#[test]
fn a_carriage_return_and_a_syslog_header_are_dropped() {
    let (_, v) = read(&reader(), &format!("<134> {METRICS_CSV}\r"));
    assert_eq!(v["AvailableDiskBytes"], "83389698620");
    assert_eq!(v["LogTimestamp"], "Wed Dec  1 10:38:41 2021");
}

#[test]
fn configured_formats_and_log_types_are_checked_against_the_prefix() {
    let csv = LineReader::new(LineFormat::Csv, Some(LogType::PrivateServiceEdgeMetrics));
    assert_eq!(read(&csv, METRICS_CSV).0.format, SeenFormat::Csv);
    let tsv = METRICS_CSV.replace(" ,", " \t").replace(',', "\t");
    let e = error(&csv, tsv.as_bytes());
    assert_eq!(e.reason(), "prefix_mismatch");
    assert!(e.to_string().contains("a comma after the prefix"), "{e}");
    let other = LineReader::new(LineFormat::Auto, Some(LogType::UserActivity));
    let e = error(&other, METRICS_CSV.as_bytes());
    assert_eq!(e.reason(), "prefix_mismatch");
    assert!(e.to_string().contains("\"User Activity zpa-lss:\""), "{e}");
    let e = error(&csv, br#"{"a":1}"#);
    assert_eq!(e.reason(), "prefix_mismatch");
    let json = LineReader::new(LineFormat::Json, None);
    assert_eq!(error(&json, METRICS_CSV.as_bytes()).reason(), "not_json");
    // A configured log type is what the line says for JSON.
    let (l, _) = read(&other, r#"{"PrivateSE":"x"}"#);
    assert_eq!(l.log_type, LogType::UserActivity);
}

#[test]
fn every_reason_has_a_line_that_gives_it() {
    let r = reader();
    let csv = LineReader::new(LineFormat::Csv, None);
    let custom = LineReader::with_template(
        Template::parse("user=%s{Username} port=%d{ServicePort}\\n").expect("parses"),
        None,
    );
    let cases: [(&LineReader, &[u8], &str); 11] = [
        (&r, b"  \r", "empty_line"),
        (&r, b"{\"a\":\"\xff\"}", "invalid_utf8"),
        (&r, b"{\"a\":", "not_json"),
        (&r, b"hello, world, and, more", "unknown_format"),
        (
            &r,
            b"Wed Dec  1 10:38:41 2021 Bogus Type zpa-lss: ,a,b",
            "unknown_log_type",
        ),
        (&csv, b"hello, world", "prefix_mismatch"),
        (
            &r,
            b"Wed Dec  1 10:38:41 2021 Service Edge Metric zpa-lss: ,pse-1,10",
            "field_count",
        ),
        (
            &r,
            b"Wed Dec  1 10:38:41 2021 Connector Status zpa-lss: ,Acme,S,T,St,1,el8,Z,C,G,10.0.0.1,\
              10.0.0.2,north,2.0,US,,,1,2,3,eth0,10.0.0.1,10.0.0.53,1,2,3,4,5,6,7,8,9,10,11,12,13,0",
            "bad_number",
        ),
        (
            &r,
            b"Someday Service Edge Metric zpa-lss: ,pse-1,10,39,16,1378,112,31,14,63133,1048576,\
              13330,524288,1953,83389698620",
            "bad_time",
        ),
        (
            &LineReader::with_template(Template::parse("ua=%j{UserAgent}|").expect("parses"), None),
            b"ua=Mozilla|",
            "bad_string",
        ),
        (&custom, b"name=x port=5", "template_mismatch"),
    ];
    let mut seen = Vec::new();
    for (reader, line, reason) in cases {
        let e = error(reader, line);
        assert_eq!(e.reason(), reason, "{}: {e}", String::from_utf8_lossy(line));
        seen.push(reason);
    }
    assert_eq!(seen, LineError::REASONS);
}

#[test]
fn messages_name_the_field_the_text_and_what_was_expected() {
    let e = error(
        &reader(),
        b"Wed Dec  1 10:38:41 2021 Connector Status zpa-lss: ,Acme,S,T,St,1,el8,Z,C,G,10.0.0.1,\
          10.0.0.2,north,2.0,US,,,1,2,3,eth0,10.0.0.1,10.0.0.53,1,2,3,4,5,6,7,8,9,10,11,12,13,0",
    );
    let text = e.to_string();
    assert!(
        text.contains("field Latitude (placeholder 13 of the zpn_ast_auth_log CSV template"),
        "{text}"
    );
    assert!(
        text.contains("found \"north\", expected a decimal number"),
        "{text}"
    );
    let e = error(
        &reader(),
        b"Wed Dec  1 10:38:41 2021 Service Edge Metric zpa-lss: ,pse-1,10",
    );
    assert_eq!(
        e.to_string(),
        "too few fields: the line has 2 ',' separators where the zpn_pbroker_comprehensive_stats \
         CSV template writes 14 for its 15 fields"
    );
}

/// A User Activity record of the current template, as LSS writes it in CSV.
const ACTIVITY_CSV: &str = "Wed Dec  1 10:38:41 2021 User Activity zpa-lss: ,Acme, Inc.,S1,S1,c7,,active,\
    6,0,jdoe@acme.example,443,198.51.100.1,10.0.0.1,51.507400,-0.127800,GB,GB-LON-1,Allow All,\
    ac-1,DE-FRA-1,10.0.1.1,34072,git.acme.example,GitLab,Engineering,0,10.0.2.2,443,250,143294,\
    2021-12-01T10:38:40.000Z,,,,,,,,,,,,,,1,2,3,4,5,6,7,8,Okta,0,London,0,0,,,0,0,0,,,,,,,,";

#[test]
fn user_activity_csv_reads_with_its_types_and_key() {
    let (l, v) = read(&reader(), ACTIVITY_CSV);
    assert_eq!(
        (l.format, l.log_type),
        (SeenFormat::Csv, LogType::UserActivity)
    );
    assert_eq!(v["Customer"], "Acme, Inc.");
    assert_eq!(v["SessionID"], "S1");
    assert_eq!(v["ConnectionID"], "S1,c7");
    assert_eq!(v["IPProtocol"], 6);
    assert_eq!(v["ClientLatitude"], json!(51.5074));
    assert_eq!(v["TimestampConnectionStart"], "2021-12-01T10:38:40.000Z");
    assert_eq!(v["TimestampConnectionEnd"], "");
    assert_eq!(v["ClientToClient"], "0");
    assert_eq!(v["PRAApprovalID"], 0);
    assert_eq!(v.as_object().expect("an object").len(), 69);
    assert!(l.notes.is_empty());
}

#[test]
fn shorter_user_activity_templates_are_read() {
    // Stops after ClientToClient.
    let upto_c2c = &ACTIVITY_CSV[..ACTIVITY_CSV.find(",London").expect("in the line")];
    let (_, v) = read(&reader(), upto_c2c);
    assert_eq!(v.as_object().expect("an object").len(), 53);
    assert_eq!(v["ClientToClient"], "0");
    // Stops after Idp.
    let upto_idp = &ACTIVITY_CSV[..ACTIVITY_CSV.find(",0,London").expect("in the line")];
    let (_, v) = read(&reader(), upto_idp);
    assert_eq!(v["Idp"], "Okta");
    assert!(v.get("ClientToClient").is_none());
    // The older template with Hostname and Platform after Host.
    let older = upto_c2c.replace("git.acme.example,", "git.acme.example,DESKTOP-1,windows,");
    let (_, v) = read(&reader(), &older);
    assert_eq!(v["Hostname"], "DESKTOP-1");
    assert_eq!(v["Platform"], "windows");
    assert_eq!(v["Application"], "GitLab");
}

#[test]
fn audit_lines_have_no_timestamp_before_their_prefix() {
    let line = "Audit zpa-lss: ,2021-11-17T04:29:38.000Z,2021-11-17T04:29:38.000Z,72057594037928115,\
                r-1,s-1,{\"enabled\":\"true\",\"x\":1},{\"enabled\":\"false\"},Update,Application,\
                App, One,216196257331293705,216196257331281934,admin@acme.example,0";
    let (l, v) = read(&reader(), line);
    assert_eq!(l.log_type, LogType::Audit);
    assert_eq!(v["ModifiedTime"], "2021-11-17T04:29:38.000Z");
    assert_eq!(v["ModifiedBy"], 72_057_594_037_928_115_u64);
    assert_eq!(v["SessionID"], "s-1");
    assert_eq!(v["AuditOldValue"], r#"{"enabled":"true","x":1}"#);
    assert_eq!(v["AuditNewValue"], r#"{"enabled":"false"}"#);
    assert_eq!(v["ObjectName"], "App, One");
    assert_eq!(v["User"], "admin@acme.example");
    assert!(l.notes.is_empty());
}

#[test]
fn browser_access_csv_unquotes_its_json_strings() {
    let line = "Wed Dec  1 10:38:41 2021 Browser Access zpa-lss: ,c1,unset,,,,,,,,,,1,2,3,4,5,6,GET,HTTPS,\
                app.example,/a?b=1,2,\"Mozilla/5.0 (KHTML, like Gecko) \\\"x\\\"\",,jdoe,200,10,20,443,\
                192.0.2.1,34963,10.0.0.1,Acme,,\"AuthRedirect\",,";
    let (l, v) = read(&reader(), line);
    assert_eq!(l.log_type, LogType::BrowserAccess);
    assert_eq!(v["URL"], "/a?b=1,2");
    assert_eq!(v["UserAgent"], "Mozilla/5.0 (KHTML, like Gecko) \"x\"");
    assert_eq!(v["ConnectionReason"], "AuthRedirect");
    assert_eq!(v["StatusCode"], 200);
    assert_eq!(
        l.key,
        Some(59..61),
        "ConnectionID, there being no SessionID"
    );
}

#[test]
fn custom_templates_are_matched_literal_by_literal() {
    let t = Template::parse(
        "<166>%s{LogTimestamp:time} zpa-lss LEEF:1.0|Zscaler|ZPA|4.1|%s{SessionStatus}|\
         usrName=%s{Username}\\tsrc=%s{PublicIP}\\tbytes=%d{TotalBytesRx}\\tposture=%s(;){PosturesHit}\\n",
    )
    .expect("parses");
    let r = LineReader::with_template(t, None);
    let (l, v) = read(
        &r,
        "<166>Wed Dec  1 10:38:41 2021 zpa-lss LEEF:1.0|Zscaler|ZPA|4.1|ZPN_STATUS_AUTHENTICATED|\
         usrName=Doe, Jane\tsrc=192.0.2.1\tbytes=42\tposture=a;b",
    );
    assert_eq!(
        (l.format, l.log_type),
        (SeenFormat::Custom, LogType::UserStatus)
    );
    assert_eq!(
        v,
        json!({
            "LogTimestamp": "Wed Dec  1 10:38:41 2021",
            "SessionStatus": "ZPN_STATUS_AUTHENTICATED",
            "Username": "Doe, Jane",
            "PublicIP": "192.0.2.1",
            "TotalBytesRx": 42,
            "PosturesHit": ["a", "b"]
        })
    );
    assert_eq!(
        r.template()
            .map(Template::text)
            .map(|t| t.starts_with("<166>")),
        Some(true)
    );
    let e = error(&r, b"<166>Wed Dec  1 10:38:41 2021 zpa-lss LEEF:2.0|x");
    assert_eq!(e.reason(), "field_count", "{e}");
    let e = error(
        &r,
        b"<134>Wed Dec  1 10:38:41 2021 zpa-lss LEEF:1.0|x\ty\tz\tw",
    );
    assert_eq!(e.reason(), "template_mismatch", "{e}");
}

#[test]
fn a_json_custom_template_reads_its_lines_as_json() {
    let t = Template::parse(
        "{\"LogTimestamp\":%j{LogTimestamp:time},\"SessionID\":%j{SessionID},\"EventType\":\"user-status\"}\\n",
    )
    .expect("parses");
    let r = LineReader::with_template(t, Some(LogType::UserStatus));
    let line =
        r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","SessionID":"s","EventType":"user-status"}"#;
    let mut out = Vec::new();
    let l = r.read(line.as_bytes(), &mut out).expect("reads");
    assert_eq!(out, line.as_bytes());
    assert_eq!(
        (l.format, l.log_type),
        (SeenFormat::Json, LogType::UserStatus)
    );
}

#[test]
fn render_writes_the_vendors_line_byte_for_byte() {
    let record = br#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","PrivateSE":"pse-1","CPUUtilization":"10","SystemMemoryUtilization":"39","ProcessMemoryUtilization":"16","UsedTCPPortsIPv4":"1378","UsedUDPPortsIPv4":"112","UsedTCPPortsIPv6":"31","UsedUDPPortsIPv6":"14","AvailablePorts":"63133","SystemMaximumFileDescriptors":"1048576","SystemUsedFileDescriptors":"13330","ProcessMaximumFileDescriptors":"524288","ProcessUsedFileDescriptors":"1953","AvailableDiskBytes":"83389698620"}"#;
    let mut out = Vec::new();
    render(
        LogType::PrivateServiceEdgeMetrics,
        LineFormat::Csv,
        record,
        &mut out,
    )
    .expect("renders");
    assert_eq!(String::from_utf8(out).expect("UTF-8"), METRICS_CSV);
    let mut out = Vec::new();
    render(
        LogType::Audit,
        LineFormat::Tsv,
        br#"{"ModifiedBy":5,"ObjectID":7}"#,
        &mut out,
    )
    .expect("renders");
    assert_eq!(out, b"Audit zpa-lss: \t\t\t5\t\t\t\t\t\t\t\t7\t\t\t");
    let mut out = Vec::new();
    render(
        LogType::UserStatus,
        LineFormat::Json,
        b"{\"a\":1}",
        &mut out,
    )
    .expect("copies");
    assert_eq!(out, b"{\"a\":1}");
}

#[test]
fn render_refuses_what_it_cannot_print() {
    let mut out = Vec::new();
    assert!(matches!(
        render(LogType::Audit, LineFormat::Csv, b"[1]", &mut out),
        Err(RenderError::NotObject(_))
    ));
    assert!(matches!(
        render(LogType::Unknown, LineFormat::Csv, b"{}", &mut out),
        Err(RenderError::NoTemplate { .. })
    ));
    let e = render(
        LogType::Audit,
        LineFormat::Csv,
        br#"{"ModifiedBy":"me"}"#,
        &mut out,
    )
    .expect_err("text in %d");
    assert_eq!(
        e.to_string(),
        "field ModifiedBy: \"\\\"me\\\"\" cannot be printed by %d"
    );
}
