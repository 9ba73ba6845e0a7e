use super::*;

/// The repaired record and its quirks, or `None`.
fn fixed(s: &str) -> Option<(String, Vec<&'static str>)> {
    repair(s.as_bytes(), 64).map(|r| {
        (
            String::from_utf8(r.record).unwrap(),
            r.quirks.iter().map(Quirk::as_str).collect(),
        )
    })
}

fn assert_fixed(input: &str, want: &str, quirks: &[&str]) {
    let got = fixed(input);
    assert_eq!(
        got,
        Some((want.to_owned(), quirks.to_vec())),
        "repair of {input}"
    );
    // Behind a syslog header, the object is JSON.
    let object = if want.starts_with('<') {
        &want[want.find('{').unwrap()..]
    } else {
        want
    };
    serde_json::from_str::<serde_json::Value>(object).expect("the expected record is JSON");
}

fn assert_left(input: &str) {
    assert_eq!(fixed(input), None, "{input} must be left as it is");
}

#[test]
fn an_empty_list_becomes_empty_brackets() {
    assert_fixed(
        r#"{"Idp":"Okta","TrustedNetworks": ,"City":"Berlin"}"#,
        r#"{"Idp":"Okta","TrustedNetworks": [],"City":"Berlin"}"#,
        &["empty_list"],
    );
    assert_fixed(
        r#"{"TrustedNetworks":,"TrustedNetworksNames":,"a":1}"#,
        r#"{"TrustedNetworks":[],"TrustedNetworksNames":[],"a":1}"#,
        &["empty_list"],
    );
    // The last member, before the closing brace.
    assert_fixed(
        r#"{"a":1,"PosturesMiss":}"#,
        r#"{"a":1,"PosturesMiss":[]}"#,
        &["empty_list"],
    );
    assert_fixed(
        r#"{"PosturesMiss": }"#,
        r#"{"PosturesMiss": []}"#,
        &["empty_list"],
    );
}

#[test]
fn a_list_without_brackets_gets_them() {
    assert_fixed(
        r#"{"PosturesHit": "a","b","ZENLatitude":1.5}"#,
        r#"{"PosturesHit": ["a","b"],"ZENLatitude":1.5}"#,
        &["unbracketed_list"],
    );
    assert_fixed(
        r#"{"x":0,"PosturesHit":"a","b","c"}"#,
        r#"{"x":0,"PosturesHit":["a","b","c"]}"#,
        &["unbracketed_list"],
    );
    // Numbers, alone or with strings.
    assert_fixed(
        r#"{"n":1,-2.5e3,0,"m":0}"#,
        r#"{"n":[1,-2.5e3,0],"m":0}"#,
        &["unbracketed_list"],
    );
    assert_fixed(
        r#"{"n":"a",7,"m":0}"#,
        r#"{"n":["a",7],"m":0}"#,
        &["unbracketed_list"],
    );
}

#[test]
fn both_quirks_in_one_user_status_record() {
    let input = r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","Username":"jdoe@acme.example","SessionStatus":"ZPN_STATUS_AUTHENTICATED","ClientType":"zpn_client_type_zapp","TrustedNetworks":,"TrustedNetworksNames":,"SAMLAttributes":"{\"groups\":[\"a\",\"b\"]}","PosturesHit":"8c9d1e2f-aaaa","disk-encrypted","PosturesMiss":"firewall-on","ZENLatitude":40.7}"#;
    let want = r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","Username":"jdoe@acme.example","SessionStatus":"ZPN_STATUS_AUTHENTICATED","ClientType":"zpn_client_type_zapp","TrustedNetworks":[],"TrustedNetworksNames":[],"SAMLAttributes":"{\"groups\":[\"a\",\"b\"]}","PosturesHit":["8c9d1e2f-aaaa","disk-encrypted"],"PosturesMiss":"firewall-on","ZENLatitude":40.7}"#;
    assert_fixed(input, want, &["empty_list", "unbracketed_list"]);
}

#[test]
fn a_single_item_without_brackets_is_a_scalar_and_stays_one() {
    // Valid JSON: nothing to repair.
    assert_left(r#"{"PosturesHit":"a","b":1}"#);
    // Beside a repair elsewhere, it is kept as written.
    assert_fixed(
        r#"{"PosturesHit":"a","TrustedNetworks":,"b":1}"#,
        r#"{"PosturesHit":"a","TrustedNetworks":[],"b":1}"#,
        &["empty_list"],
    );
}

#[test]
fn whitespace_where_json_allows_it() {
    assert_fixed(
        "{ \"a\" : \"x\" , \"y\"\t, \"b\" : 1 }",
        "{ \"a\" : [\"x\" , \"y\"]\t, \"b\" : 1 }",
        &["unbracketed_list"],
    );
    assert_fixed(
        "{\n  \"a\":\n  ,\n  \"b\": 1\n}\n",
        "{\n  \"a\":\n  [],\n  \"b\": 1\n}\n",
        &["empty_list"],
    );
    assert_fixed("  {\"a\":\r\n}  ", "  {\"a\":\r\n[]}  ", &["empty_list"]);
}

#[test]
fn commas_quotes_and_escapes_inside_strings_are_text() {
    // Valid as it is, commas and all.
    assert_left(r#"{"ConnectionID":"a,b","x":"\",\"","y":1}"#);
    assert_fixed(
        r#"{"k,\"":"x,\"y\",z","w\\","q\u0022,","b":1}"#,
        r#"{"k,\"":["x,\"y\",z","w\\","q\u0022,"],"b":1}"#,
        &["unbracketed_list"],
    );
    // An escaped quote does not end the string, so its comma and colon are text.
    assert_fixed(
        r#"{"a":"x\",\"c\":","y","d":,"e":1}"#,
        r#"{"a":["x\",\"c\":","y"],"d":[],"e":1}"#,
        &["empty_list", "unbracketed_list"],
    );
}

#[test]
fn nested_values_are_checked_not_changed() {
    assert_fixed(
        r#"{"o":{"x":[1,"a,b"],"y":{}},"a":,"l":[1,2],"t":true,"n":null}"#,
        r#"{"o":{"x":[1,"a,b"],"y":{}},"a":[],"l":[1,2],"t":true,"n":null}"#,
        &["empty_list"],
    );
    // The quirk inside a nested object is not a template's list: left alone.
    assert_left(r#"{"o":{"a": ,"b":1}}"#);
    // Too deep for the limit.
    let deep = format!(r#"{{"a":,"b":{}1{}}}"#, "[".repeat(80), "]".repeat(80));
    assert_eq!(repair(deep.as_bytes(), 64), None);
    assert!(repair(deep.as_bytes(), 100).is_some());
}

#[test]
fn a_syslog_header_stays_in_front() {
    assert_fixed(
        r#"<165>1 - - - - - - token {"a": ,"b":"x","y"}"#,
        r#"<165>1 - - - - - - token {"a": [],"b":["x","y"]}"#,
        &["empty_list", "unbracketed_list"],
    );
    assert_left(r#"<165>1 - - - - - - no object here"#);
}

#[test]
fn other_broken_records_stay_invalid() {
    for input in [
        // Two values without a comma.
        r#"{"a": "x" "y"}"#,
        r#"{"a": "x","y" "z","b":1}"#,
        // Two commas.
        r#"{"a": ,,"b":1}"#,
        r#"{"a": "x",,"b":1}"#,
        r#"{"a": "x","y",,"b":1}"#,
        // A trailing comma before the closing brace, after a normal value or a list.
        r#"{"a":"x",}"#,
        r#"{"a":1,}"#,
        r#"{"a":"x","y",}"#,
        r#"{"a":,}"#,
        // Truncated, at every kind of place.
        r#"{"a": ,"b""#,
        r#"{"a": "x","y""#,
        r#"{"a": "x","y","#,
        r#"{"a": ,"#,
        r#"{"a":"#,
        r#"{"a": "x"#,
        r#"{"a""#,
        "{",
        "",
        // Items that are not strings or numbers.
        r#"{"a": true,false,"b":1}"#,
        r#"{"a": null,1,"b":1}"#,
        r#"{"a": [1],2,"b":1}"#,
        r#"{"a": {},{},"b":1}"#,
        r#"{"a": "x",[1],"b":1}"#,
        // Malformed items and values.
        r#"{"a": 01,2,"b":1}"#,
        r#"{"a": "x\q","y","b":1}"#,
        r#"{"a": ,"b": tru}"#,
        "{\"a\": ,\"b\":\"x\ny\"}",
        // No key where one must be.
        r#"{ ,"a":1}"#,
        r#"{"a": ,1}"#,
        r#"{"a": ,"b"}"#,
        r#"{"a" ,"b":1}"#,
        // Something after the object, or no object.
        r#"{"a": ,"b":1} x"#,
        r#"{"a": ,"b":1}{}"#,
        r#"["x","y"]"#,
        r#""x","y""#,
        "x, y, z",
        "User Status zpa-lss: ,a,b,c",
    ] {
        assert_left(input);
    }
    // Not UTF-8.
    assert_eq!(repair(b"{\"a\": ,\"b\":\"\xff\"}", 64), None);
}

#[test]
fn valid_records_are_never_changed() {
    for input in [
        "{}",
        r#"{"a":[]}"#,
        r#"{"a":["x","y"],"b":1}"#,
        r#"{"InternalReason":"BRK_MT_TERMINATED","ConnectionID":"a,b"}"#,
        "<14>{\"a\":1}",
    ] {
        assert_left(input);
    }
}

#[test]
fn quirks_are_a_small_set() {
    let both = Quirks::NONE
        .with(Quirk::UnbracketedList)
        .with(Quirk::EmptyList);
    assert_eq!(
        both.iter().collect::<Vec<_>>(),
        [Quirk::EmptyList, Quirk::UnbracketedList]
    );
    assert!(Quirks::NONE.is_empty() && !both.is_empty());
    assert!(
        Quirks::NONE
            .with(Quirk::EmptyList)
            .contains(Quirk::EmptyList)
    );
    assert!(
        !Quirks::NONE
            .with(Quirk::EmptyList)
            .contains(Quirk::UnbracketedList)
    );
    let indexes: std::collections::BTreeSet<usize> = [
        Quirks::NONE,
        Quirks::NONE.with(Quirk::EmptyList),
        Quirks::NONE.with(Quirk::UnbracketedList),
        both,
    ]
    .iter()
    .map(|q| q.index())
    .collect();
    assert_eq!(indexes.len(), Quirks::COMBINATIONS);
    assert!(indexes.iter().all(|i| *i < Quirks::COMBINATIONS));
    assert_eq!(Quirk::UnbracketedList.to_string(), "unbracketed_list");
}
