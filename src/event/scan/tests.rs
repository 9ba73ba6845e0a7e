use super::*;

fn check(s: &str) -> Result<Document, SyntaxError> {
    scan(s.as_bytes(), 0, 64, &mut ())
}

fn members(s: &str) -> Vec<(String, String, ValueKind)> {
    let mut v: Vec<Member> = Vec::new();
    scan(s.as_bytes(), 0, 64, &mut v).unwrap();
    v.iter()
        .map(|m| {
            (
                String::from_utf8(m.raw_key(s.as_bytes()).to_vec()).unwrap(),
                s[m.value_start..m.value_end].to_string(),
                m.kind,
            )
        })
        .collect()
}

#[test]
fn accepts_what_serde_json_accepts() {
    let valid = [
        "{}",
        "[]",
        "0",
        "-0.5e+10",
        "1E3",
        "\"a\\u00e9\\n\"",
        "true",
        "null",
        " { \"a\" : [ 1 , { } , [ ] , \"x\" ] , \"b\" : null } ",
        "{\"\":\"\"}",
        "[[[[[]]]]]",
        "{\"k\":\"0123456789abcdef0123456789abcdef\"}",
    ];
    for s in valid {
        assert!(serde_json::from_str::<serde_json::Value>(s).is_ok(), "{s}");
        assert!(check(s).is_ok(), "{s}: {:?}", check(s));
    }
}

#[test]
fn rejects_what_serde_json_rejects() {
    let invalid = [
        "",
        "{",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":1,}",
        "[1,]",
        "{\"a\" 1}",
        "{a:1}",
        "01",
        "1.",
        "1e",
        "-",
        "tru",
        "nul",
        "\"abc",
        "\"a\\x\"",
        "\"a\\u12G4\"",
        "\"tab\there\"",
        "{}}",
        "{} x",
        "[1 2]",
        "{\"a\":1]",
        "[1}",
    ];
    for s in invalid {
        assert!(serde_json::from_str::<serde_json::Value>(s).is_err(), "{s}");
        assert!(check(s).is_err(), "{s} was accepted");
    }
}

#[test]
fn reports_top_level_members_only() {
    let got = members(r#"{"a":1,"b":{"c":"d"},"e":[1,{"f":2}],"g":"h\"i","j":null}"#);
    assert_eq!(
        got,
        vec![
            ("a".into(), "1".into(), ValueKind::Number),
            ("b".into(), r#"{"c":"d"}"#.into(), ValueKind::Object),
            ("e".into(), r#"[1,{"f":2}]"#.into(), ValueKind::Array),
            (
                "g".into(),
                r#""h\"i""#.into(),
                ValueKind::String { escaped: true }
            ),
            ("j".into(), "null".into(), ValueKind::Null),
        ]
    );
}

#[test]
fn document_span_excludes_trailing_whitespace() {
    let d = check("  {\"a\":true}  \r").unwrap();
    assert_eq!(
        (d.start, d.end, d.kind, d.members),
        (2, 12, ValueKind::Object, 1)
    );
}

#[test]
fn error_offsets_point_at_the_problem() {
    let e = check(r#"{"a":1,"b":x}"#).unwrap_err();
    assert_eq!(e.kind, SyntaxErrorKind::UnexpectedByte(b'x'));
    assert_eq!(e.offset, 11);
    let e = check(r#"{"a":"abc"#).unwrap_err();
    assert_eq!(e.kind, SyntaxErrorKind::UnexpectedEnd(Context::String));
    assert_eq!(e.offset, 9);
    let e = check("{\"a\":\"x\u{1}\"}").unwrap_err();
    assert_eq!(e.kind, SyntaxErrorKind::ControlCharacter(1));
    assert_eq!(e.offset, 7);
}

#[test]
fn depth_limit_is_enforced_without_recursion() {
    let deep = "[".repeat(100_000);
    let e = scan(deep.as_bytes(), 0, 64, &mut ()).unwrap_err();
    assert_eq!(e.kind, SyntaxErrorKind::TooDeep(64));
    assert_eq!(e.offset, 64);
    let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
    assert!(scan(ok.as_bytes(), 0, 64, &mut ()).is_ok());
    let too = format!("{}{}", "[".repeat(65), "]".repeat(65));
    assert!(scan(too.as_bytes(), 0, 64, &mut ()).is_err());
}

#[test]
fn swar_finds_specials_in_every_lane() {
    for lane in 0..8 {
        for special in [b'"', b'\\', 0x1f, 0x00] {
            let mut w = [b'a'; 8];
            w[lane] = special;
            let m = special_lanes(u64::from_le_bytes(w));
            assert_eq!((m.trailing_zeros() / 8) as usize, lane);
        }
    }
    assert_eq!(special_lanes(u64::from_le_bytes(*b"abc \x7f\xc3\xa9~")), 0);
}

#[test]
fn long_strings_with_specials_at_chunk_edges() {
    for n in 0..20 {
        let s = format!("{{\"k\":\"{}\\\"{}\"}}", "x".repeat(n), "y".repeat(n));
        let m = members(&s);
        assert_eq!(m[0].2, ValueKind::String { escaped: true }, "{s}");
    }
}

#[test]
fn numbers_beyond_f64_are_grammatical() {
    // RFC 8259 leaves the range to implementations; serde_json refuses these, the scanner (which
    // never converts numbers) accepts them, and the enricher passes them through unchanged.
    for s in [
        r#"{"a":1E400}"#,
        r#"{"a":-45E1724673300}"#,
        r#"{"a":1e-400}"#,
    ] {
        assert!(check(s).is_ok(), "{s}");
    }
    assert!(serde_json::from_str::<serde_json::Value>(r#"{"a":1E400}"#).is_err());
}
