//! The vendor's template defects, read from lines as the defective templates write them.

use serde_json::{Value, json};

use super::super::*;
use super::super::{fields, render, template, vendor};
use super::{read, reader};

/// Renders `record` with the vendor template of `source` in `kind`, as LSS would.
fn render_with(source: &str, kind: vendor::Kind, record: &Value) -> String {
    let t = Template::parse(vendor::text(source, kind).expect("a template")).expect("parses");
    let mut out = Vec::new();
    let map = record.as_object().expect("an object");
    render::render_template(&t, map, &mut out).expect("renders");
    String::from_utf8(out).expect("UTF-8")
}

fn user_status() -> Value {
    json!({
        "LogTimestamp": "Wed Dec  1 10:38:41 2021", "Customer": "Acme", "Username": "jdoe",
        "SessionID": "S1", "SessionStatus": "ZPN_STATUS_AUTHENTICATED", "Version": "4.6",
        "ZEN": "US-NY-1", "CertificateCN": "S1", "PrivateIP": "10.0.0.1", "PublicIP": "192.0.2.1",
        "Latitude": 40.7128, "Longitude": -74.006, "CountryCode": "US",
        "TimestampAuthentication": "2021-12-01T10:00:00.000Z", "TimestampUnAuthentication": "",
        "TotalBytesRx": 1, "TotalBytesTx": 2, "Idp": "Okta", "Hostname": "DESKTOP-1",
        "Platform": "windows", "ClientType": "zpn_client_type_zapp", "TrustedNetworks": [],
        "TrustedNetworksNames": ["Home"], "PosturesHit": ["Disk Encrypted"], "PosturesMiss": [],
        "ZENLatitude": 40.7, "ZENLongitude": -74.0, "ZENCountryCode": "US",
        "FQDNRegistered": "0", "FQDNRegisteredError": "", "City": "New York", "MicroTenantID": "0"
    })
}

#[test]
fn defect_the_1id_csv_runs_two_lists_together() {
    let line = render_with("zpn_auth_log_1id", vendor::Kind::Csv, &user_status());
    assert!(
        line.contains(",zpn_client_type_zapp,,HomeDisk Encrypted,,40.700000,"),
        "{line}"
    );
    let (l, v) = read(&reader(), &line);
    assert_eq!(l.log_type, LogType::UserStatus);
    // Which of the two lists each name belongs to cannot be told: the first list holds the
    // joined text, the second is left out, and the record says so.
    assert_eq!(v["TrustedNetworksNames"], json!(["HomeDisk Encrypted"]));
    assert!(v.get("PosturesHit").is_none());
    assert_eq!(
        v["lss_line"]["unsplit"],
        json!(["TrustedNetworksNames", "PosturesHit"])
    );
    assert!(l.notes.contains(LineNote::Unsplit));
    assert_eq!(v["ZENLatitude"], json!(40.7));
    assert_eq!(v["MicroTenantID"], "0");
    // With both lists empty nothing is lost, and nothing is noted.
    let mut record = user_status();
    record["TrustedNetworksNames"] = json!([]);
    record["PosturesHit"] = json!([]);
    let (l, v) = read(
        &reader(),
        &render_with("zpn_auth_log_1id", vendor::Kind::Csv, &record),
    );
    assert_eq!(v["TrustedNetworksNames"], json!([]));
    assert_eq!(v["PosturesHit"], json!([]));
    assert!(l.notes.is_empty());
}

#[test]
fn defect_the_1id_tsv_has_no_saml_attributes() {
    let line = render_with("zpn_auth_log_1id", vendor::Kind::Tsv, &user_status());
    let (l, v) = read(&reader(), &line);
    assert!(l.notes.is_empty());
    assert_eq!(v["PosturesHit"], json!(["Disk Encrypted"]));
    assert!(v.get("SAMLAttributes").is_none());
}

fn kerberos() -> Value {
    json!({
        "LogTimestamp": "Wed Dec  1 10:38:41 2021", "Customer": "Acme", "ConnectionID": "c,1",
        "UserID": "tom@acme.example", "AssistantID": "7", "Domain": "dc01.corp.example",
        "ServerPort": 88, "Transport": "UDP", "InspectionProtocolConfig": "KERBEROS",
        "TrafficClassfication": "INSPECTED", "ProtocolClassification": "KERBEROS",
        "ProtocolInspectionError": "", "ProtocolVersion": "Kerberos v5",
        "ProtocolActivityType": "TGS_REQ", "KRBRealm": "CORP.EXAMPLE",
        "KRBClientRealm": "CORP.EXAMPLE", "KRBUserPrincipal": "tom.tate@CORP.EXAMPLE",
        "KRBServicePrincipal": "http/intranet.example@CORP.EXAMPLE",
        "KRBEncryption": "aes256-cts-hmac-sha1-96", "KRBTicketEncryption": "rc4-hmac",
        "KRBErrorCode": "", "Application": 1, "ApplicationGroup": 2, "InspectionPolicy": 3,
        "InspectionProfile": 4, "ParanoiaLevel": 1, "InspectionControlsHitCount": 0,
        "ProcessingTime": 5, "RequestProcessingTime": 6, "ResponseProcessingTime": 7,
        "TotalBytesProcessed": 8, "RequestBytes": 9, "ResponseBytes": 10, "DoubleEncryption": 0,
        "InspectionControls": [], "InspectionControlTypes": [], "InspectionControlCategories": [],
        "Actions": [], "Severities": [], "Descriptions": []
    })
}

#[test]
fn defect_the_krb_tsv_separates_seven_fields_with_the_letter_t() {
    let line = render_with("zpn_krb_inspection_log", vendor::Kind::Tsv, &kerberos());
    assert!(
        line.contains("\tCORP.EXAMPLEtCORP.EXAMPLEttom.tate@CORP.EXAMPLEthttp/intranet.example@"),
        "{line}"
    );
    assert!(
        line.contains("KERBEROS \tINSPECTED"),
        "the space before a tab: {line}"
    );
    let (l, v) = read(&reader(), &line);
    assert!(l.notes.is_empty(), "{v}");
    for key in [
        "KRBRealm",
        "KRBClientRealm",
        "KRBUserPrincipal",
        "KRBServicePrincipal",
        "KRBEncryption",
        "KRBTicketEncryption",
        "KRBErrorCode",
        "InspectionProtocolConfig",
    ] {
        assert_eq!(v[key], kerberos()[key], "{key}");
    }
    // Realms in lower case leave more than one way to split: the first field keeps the text.
    let mut record = kerberos();
    record["KRBRealm"] = json!("corp.test");
    record["KRBClientRealm"] = json!("corp.test");
    let line = render_with("zpn_krb_inspection_log", vendor::Kind::Tsv, &record);
    let (l, v) = read(&reader(), &line);
    assert!(l.notes.contains(LineNote::Unsplit));
    assert!(
        v["KRBRealm"]
            .as_str()
            .expect("a string")
            .starts_with("corp.testtcorp.testttom.tate@")
    );
    assert!(v.get("KRBClientRealm").is_none());
    assert_eq!(v["lss_line"]["unsplit"].as_array().map(Vec::len), Some(7));
    assert_eq!(v["Application"], 1, "the rest of the line is read as usual");
}

#[test]
fn defect_the_app_protection_tsv_has_a_comma_between_two_numbers() {
    let record = json!({
        "LogTimestamp": "Wed Dec  1 10:38:41 2021", "Customer": "Acme", "ConnectionID": "c,1",
        "CertificateId": 216_196_257_331_282_435_u64, "DoubleEncryption": 1, "SSLInspection": 1,
        "ExchangeSequenceIndex": 3, "StatusCode": 200
    });
    let line = render_with("zpn_waf_http_exchanges_log", vendor::Kind::Tsv, &record);
    assert!(line.contains("\t216196257331282435,1\t1\t"), "{line}");
    let (l, v) = read(&reader(), &line);
    assert_eq!(l.log_type, LogType::AppProtection);
    assert_eq!(v["CertificateId"], 216_196_257_331_282_435_u64);
    assert_eq!(v["DoubleEncryption"], 1);
    assert_eq!(v["SSLInspection"], 1);
    assert_eq!(v["ConnectionID"], "c,1");
    assert!(l.notes.is_empty());
}

#[test]
fn a_field_written_twice_with_two_values_keeps_both() {
    let record = json!({"LogTimestamp": "Wed Dec  1 10:38:41 2021", "ConnectionID": "c,1"});
    let line = render_with("zpn_waf_http_exchanges_log", vendor::Kind::Tsv, &record);
    // The second ConnectionID differs from the first.
    let second = line.rfind("c,1").expect("written twice");
    assert!(line.find("c,1") < Some(second));
    let line = format!("{}c,2{}", &line[..second], &line[second + 3..]);
    let (l, v) = read(&reader(), &line);
    assert_eq!(v["ConnectionID"], "c,1");
    assert_eq!(v["lss_line"]["conflicts"], json!({"ConnectionID": "c,2"}));
    assert!(l.notes.contains(LineNote::Conflict));
}

#[test]
fn defect_the_ldap_json_template_is_read_as_it_writes() {
    let template = Template::parse(
        vendor::text("zpn_ldap_inspection_log", vendor::Kind::Json).expect("a template"),
    )
    .expect("parses");
    // Every field filled, as LSS fills them: numbers for `%d`, text for the others.
    let mut record = serde_json::Map::new();
    for f in template.fields() {
        let value = match f.spec {
            template::Spec::Int => json!(2),
            _ if f.list.is_some() => json!([]),
            _ => json!("v"),
        };
        record.insert(fields::json_key(&f.name).to_owned(), value);
    }
    record.insert("ConnectionID".into(), json!("c,1"));
    record.insert("UserID".into(), json!("jdoe"));
    let mut line = Vec::new();
    render::render_template(&template, &record, &mut line).expect("renders");
    let line = String::from_utf8(line).expect("UTF-8");
    assert!(line.contains("\"UserID\": ,\"jdoe\""), "{line}");
    for r in [reader(), LineReader::with_template(template, None)] {
        let (l, v) = read(&r, &line);
        assert_eq!(v["UserID"], "jdoe");
        assert_eq!(v["lss_line"]["repaired"], json!(["stray_comma"]));
        assert_eq!(
            (l.format, l.log_type),
            (SeenFormat::Json, LogType::LdapInspection)
        );
    }
}
