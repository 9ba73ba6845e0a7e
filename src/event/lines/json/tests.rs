use super::*;

fn read_ok(line: &str, configured: Option<LogType>) -> (Line, String) {
    let mut out = b"before|".to_vec();
    let l = read(line.as_bytes(), configured, &mut out).unwrap_or_else(|e| panic!("{line}: {e}"));
    let text = String::from_utf8(out).expect("UTF-8");
    (l, text)
}

fn key_text(l: &Line, out: &str) -> Option<String> {
    l.key.clone().map(|r| out[r].to_owned())
}

#[test]
fn a_json_line_is_appended_as_it_is_with_its_key_and_log_type() {
    let line = r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","SessionID":"S/1","ConnectionID":"S/1,2","InternalReason":"","ConnectionStatus":"open"}"#;
    let (l, out) = read_ok(line, None);
    assert_eq!(out, format!("before|{line}"));
    assert_eq!(l.format, SeenFormat::Json);
    assert_eq!(l.log_type, LogType::UserActivity);
    assert_eq!(key_text(&l, &out).as_deref(), Some("S/1"));
    assert!(l.notes.is_empty());
}

#[test]
fn the_key_falls_back_to_connection_id() {
    let (l, out) = read_ok(
        r#"{"SessionID":"","ConnectionID":"c,1","Exporter":"unset"}"#,
        None,
    );
    assert_eq!(key_text(&l, &out).as_deref(), Some("c,1"));
    assert_eq!(l.log_type, LogType::BrowserAccess);
    let (l, _) = read_ok(r#"{"SessionID":5,"Customer":"x"}"#, None);
    assert_eq!(l.key, None, "only a string is a key");
    assert_eq!(l.log_type, LogType::Unknown);
}

#[test]
fn a_configured_log_type_wins() {
    let (l, _) = read_ok(r#"{"InternalReason":"x"}"#, Some(LogType::Audit));
    assert_eq!(l.log_type, LogType::Audit);
}

#[test]
fn a_syslog_header_and_trailing_blanks_are_left_out() {
    let (l, out) = read_ok("<134>1 - host - - - {\"SessionID\":\"k\"}  ", None);
    assert_eq!(out, "before|{\"SessionID\":\"k\"}");
    assert_eq!(key_text(&l, &out).as_deref(), Some("k"));
}

#[test]
fn what_is_not_one_object_is_refused() {
    let mut out = b"kept".to_vec();
    for (line, says) in [
        ("[1,2]", "a JSON array, not an object"),
        ("{\"a\":1", "input ends"),
        ("{\"a\":1} {}", "after the end"),
        ("<134>no object", "not followed by a JSON object"),
        (
            "Wed Dec  1 10:38:41 2021 User Activity zpa-lss: ,x",
            "set the listener's format to auto, csv or tsv",
        ),
    ] {
        let e = read(line.as_bytes(), None, &mut out).expect_err(line);
        assert_eq!(e.reason(), "not_json", "{line}");
        assert!(e.to_string().contains(says), "{line}: {e}");
    }
    assert_eq!(out, b"kept");
}

#[test]
fn the_ldap_templates_stray_comma_is_repaired_and_noted() {
    let line =
        r#"{"ConnectionID": "c,1","UserID": ,"jdoe","AssistantID": "7","LDAPBindRequests": 1}"#;
    let (l, out) = read_ok(line, None);
    assert_eq!(
        out,
        r#"before|{"ConnectionID": "c,1","UserID": "jdoe","AssistantID": "7","LDAPBindRequests": 1,"lss_line":{"repaired":["stray_comma"]}}"#
    );
    assert!(l.notes.contains(super::super::LineNote::Repaired));
    assert_eq!(l.log_type, LogType::LdapInspection);
    assert_eq!(key_text(&l, &out).as_deref(), Some("c,1"));
}

#[test]
fn the_ldap_placeholder_printed_as_text_becomes_null() {
    let line = r#"{"ConnectionID": "c,1","UserID": %j,{UserID},"AssistantID": "7"}"#;
    let (_, out) = read_ok(line, None);
    assert_eq!(
        out,
        r#"before|{"ConnectionID": "c,1","UserID": null,"AssistantID": "7","lss_line":{"repaired":["unwritten_value"]}}"#
    );
}

#[test]
fn lists_without_brackets_are_repaired_as_for_run() {
    let line = r#"{"SessionID":"s","SessionStatus":"ZPN_STATUS_AUTHENTICATED","PosturesHit": "a","b","PosturesMiss": ,"City":"x"}"#;
    let (l, out) = read_ok(line, None);
    let v: serde_json::Value = serde_json::from_str(&out["before|".len()..]).expect("JSON");
    assert_eq!(v["PosturesHit"], serde_json::json!(["a", "b"]));
    assert_eq!(v["PosturesMiss"], serde_json::json!([]));
    assert_eq!(
        v["lss_line"]["repaired"],
        serde_json::json!(["empty_list", "unbracketed_list"])
    );
    assert_eq!(l.log_type, LogType::UserStatus);
    assert_eq!(key_text(&l, &out).as_deref(), Some("s"));
}

#[test]
fn a_repaired_record_gains_the_note_after_its_members() {
    let (_, out) = read_ok(r#"{"UserID": ,"x"}"#, None);
    assert_eq!(
        out,
        r#"before|{"UserID": "x","lss_line":{"repaired":["stray_comma"]}}"#
    );
}
