use super::*;

fn opts() -> ReadOptions {
    ReadOptions {
        max_depth: 32,
        max_record_bytes: 1 << 20,
        header: HeaderMode::Strip,
        owned: OwnedKeys::Exact("enrichment".into()),
    }
}

fn view(s: &str) -> RecordView {
    read(s.as_bytes(), &opts()).unwrap()
}

fn invalid(s: &[u8]) -> InvalidRecord {
    read(s, &opts()).unwrap_err()
}

#[test]
fn detects_log_types_from_distinctive_keys() {
    let cases = [
        (
            r#"{"InternalReason":"","ConnectionStatus":"active"}"#,
            LogType::UserActivity,
        ),
        (
            r#"{"ConnectionID":"a,b","ConnectionStatus":"active"}"#,
            LogType::UserActivity,
        ),
        (
            r#"{"Username":"u","SessionStatus":"ZPN_STATUS_AUTHENTICATED"}"#,
            LogType::UserStatus,
        ),
        (
            r#"{"Connector":"c","SessionStatus":"x"}"#,
            LogType::AppConnectorStatus,
        ),
        (
            r#"{"ServiceEdge":"s","SessionStatus":"x"}"#,
            LogType::PrivateServiceEdgeStatus,
        ),
        (
            r#"{"PrivateCloudController":"p","SessionStatus":"x"}"#,
            LogType::PrivateCloudControllerStatus,
        ),
        (
            r#"{"ConnectionID":"x","Exporter":"unset","ConnectionStatus":""}"#,
            LogType::BrowserAccess,
        ),
        (r#"{"AuditOperationType":"Create"}"#, LogType::Audit),
        (r#"{"auditOperationType":"Sign In"}"#, LogType::Audit),
        (
            r#"{"Connector":"c","AliveTargetCount":"3"}"#,
            LogType::AppConnectorMetrics,
        ),
        (
            r#"{"PrivateSE":"p","CPUUtilization":"1"}"#,
            LogType::PrivateServiceEdgeMetrics,
        ),
        (
            r#"{"PrivateCloudController":"p","CPUUtilization":"1"}"#,
            LogType::PrivateCloudControllerMetrics,
        ),
        (r#"{"ExchangeSequenceIndex":1}"#, LogType::AppProtection),
        (
            r#"{"ProtocolInspectionError":"","SMBRPC":0}"#,
            LogType::SmbInspection,
        ),
        (
            r#"{"ProtocolInspectionError":"","LDAPBindRequests":0}"#,
            LogType::LdapInspection,
        ),
        (
            r#"{"ProtocolInspectionError":"","KRBRealm":"R"}"#,
            LogType::KrbInspection,
        ),
        (
            r#"{"EnforcementAction":"ALLOW"}"#,
            LogType::MicrosegmentationFlow,
        ),
        (r#"{"foo":"bar"}"#, LogType::Unknown),
        (r#"{}"#, LogType::Unknown),
    ];
    for (s, t) in cases {
        assert_eq!(view(s).log_type, t, "{s}");
    }
}

#[test]
fn log_types_parse_from_both_names() {
    for t in LogType::ALL {
        assert_eq!(LogType::from_name(t.as_str()), Some(t));
        if let Some(lss) = t.lss_source_type() {
            assert_eq!(LogType::from_name(lss), Some(t));
        }
    }
    assert_eq!(
        LogType::from_name("USER_ACTIVITY"),
        Some(LogType::UserActivity)
    );
    assert_eq!(LogType::from_name("nope"), None);
}

#[test]
fn status_lookup_order_and_fallbacks() {
    let r = r#"{"InternalReason":"","ConnectionStatus":"close"}"#;
    let (f, c) = view(r).status_code(r.as_bytes()).unwrap();
    assert_eq!((f, c.as_ref()), (SourceField::ConnectionStatus, "close"));

    let r = r#"{"ConnectionStatus":"close","InternalReason":" BRK_MT_TERMINATED "}"#;
    let (f, c) = view(r).status_code(r.as_bytes()).unwrap();
    assert_eq!(
        (f, c.as_ref()),
        (SourceField::InternalReason, "BRK_MT_TERMINATED")
    );

    let r = r#"{"InternalReason":"\u0041PP_NOT_REACHABLE"}"#;
    let (_, c) = view(r).status_code(r.as_bytes()).unwrap();
    assert_eq!(c.as_ref(), "APP_NOT_REACHABLE");

    let r = r#"{"SessionStatus":null,"Username":"u"}"#;
    assert!(view(r).status_code(r.as_bytes()).is_none());
    assert_eq!(view(r).first_status_field(), None);

    let r = r#"{"InternalReason":"","Customer":"c"}"#;
    assert!(view(r).status_code(r.as_bytes()).is_none());
    assert_eq!(
        view(r).first_status_field(),
        Some(SourceField::InternalReason)
    );
}

#[test]
fn browser_access_is_looked_up_by_its_reason_before_its_state() {
    // A normal Browser Access close: the reason is a catalog code, the state is not.
    let r = r#"{"Exporter":"unset","ConnectionStatus":"zfce_mt_remote_disconnect","ConnectionReason":"BRK_MT_CLOSED_FROM_ASSISTANT"}"#;
    let v = view(r);
    assert_eq!(v.log_type, LogType::BrowserAccess);
    let (f, c) = v.status_code(r.as_bytes()).unwrap();
    assert_eq!(
        (f, c.as_ref()),
        (
            SourceField::ConnectionReason,
            "BRK_MT_CLOSED_FROM_ASSISTANT"
        )
    );
    // The key order in the record does not matter.
    let r = r#"{"ConnectionReason":"BRK_MT_CLOSED_FROM_ASSISTANT","Exporter":"unset","ConnectionStatus":"zfce_mt_remote_disconnect"}"#;
    let (f, _) = view(r).status_code(r.as_bytes()).unwrap();
    assert_eq!(f, SourceField::ConnectionReason);
    // Without a reason, the state describes the record.
    let r = r#"{"Exporter":"unset","ConnectionStatus":"zfce_mt_remote_disconnect","ConnectionReason":""}"#;
    let (f, c) = view(r).status_code(r.as_bytes()).unwrap();
    assert_eq!(
        (f, c.as_ref()),
        (SourceField::ConnectionStatus, "zfce_mt_remote_disconnect")
    );
    let r = r#"{"Exporter":"unset","ConnectionStatus":"","ConnectionReason":""}"#;
    assert!(view(r).status_code(r.as_bytes()).is_none());
    assert_eq!(
        view(r).first_status_field(),
        Some(SourceField::ConnectionReason)
    );
}

#[test]
fn each_log_type_is_looked_up_by_its_own_fields() {
    let cases: [(&str, Option<(SourceField, &str)>); 9] = [
        // A status log is described by SessionStatus even when other status fields are present.
        (
            r#"{"Connector":"c","ConnectionStatus":"close","SessionStatus":"ZPN_STATUS_DISCONNECTED"}"#,
            Some((SourceField::SessionStatus, "ZPN_STATUS_DISCONNECTED")),
        ),
        // User Activity does not read a ConnectionReason.
        (
            r#"{"InternalReason":"","ConnectionReason":"X","ConnectionStatus":"close"}"#,
            Some((SourceField::ConnectionStatus, "close")),
        ),
        (
            r#"{"ExchangeSequenceIndex":1,"HTTPError":"success"}"#,
            Some((SourceField::HttpError, "success")),
        ),
        (
            r#"{"SMBRPC":0,"ProtocolInspectionError":"SMB_PARSE_ERROR"}"#,
            Some((SourceField::ProtocolInspectionError, "SMB_PARSE_ERROR")),
        ),
        // The Kerberos error code is not a ZPA code and is not looked up.
        (
            r#"{"KRBRealm":"R","ProtocolInspectionError":"","KRBErrorCode":"KDC_ERR_PREAUTH_FAILED"}"#,
            None,
        ),
        (
            r#"{"EnforcementAction":"BLOCK","EnforcementReason":"NO_POLICY_EXISTS"}"#,
            Some((SourceField::EnforcementAction, "BLOCK")),
        ),
        // Audit and metrics records carry no code, whatever else they hold.
        (
            r#"{"AuditOperationType":"Create","ConnectionStatus":"close"}"#,
            None,
        ),
        (
            r#"{"AliveTargetCount":"3","ConnectionStatus":"close"}"#,
            None,
        ),
        // A record of no known type is tried on the main fields.
        (
            r#"{"ConnectionStatus":"close","ConnectionReason":"BRK_MT_TERMINATED"}"#,
            Some((SourceField::ConnectionReason, "BRK_MT_TERMINATED")),
        ),
    ];
    for (r, want) in cases {
        let got = view(r).status_code(r.as_bytes());
        let got = got.as_ref().map(|(f, c)| (*f, c.as_ref()));
        assert_eq!(got, want, "{r}");
    }
}

#[test]
fn state_fields_come_after_reason_fields_for_every_log_type() {
    for t in LogType::ALL {
        let fields = t.status_fields();
        if let Some(first_state) = fields.iter().position(|f| f.is_state()) {
            assert!(
                fields[first_state..].iter().all(|f| f.is_state()),
                "{t}: a reason field after a state field in {fields:?}"
            );
        }
        let mut unique = fields.to_vec();
        unique.dedup();
        assert_eq!(unique.len(), fields.len(), "{t}: {fields:?}");
    }
}

#[test]
fn only_the_fields_a_log_type_reads_must_be_strings() {
    // A User Activity record with a number in a field it is not looked up by is fine.
    assert_eq!(
        view(r#"{"InternalReason":"x","HTTPError":500}"#).log_type,
        LogType::UserActivity
    );
    // The same number where it is the code is an error naming the field.
    let e = invalid(br#"{"ExchangeSequenceIndex":1,"HTTPError":500}"#);
    assert_eq!(e.reason, InvalidReason::WrongType);
    assert!(e.detail.contains("HTTPError"), "{}", e.detail);
    let e = invalid(br#"{"Exporter":"x","ConnectionReason":["a"]}"#);
    assert_eq!(e.reason, InvalidReason::WrongType);
    assert!(
        e.detail.contains("ConnectionReason is an array"),
        "{}",
        e.detail
    );
}

#[test]
fn syslog_headers_are_recognised() {
    let r = r#"<165>1 - - - - - - token {"SessionStatus":"ZPN_STATUS_AUTH_FAILED","Username":"u"}"#;
    let v = view(r);
    assert_eq!(v.object_start, r.find('{').unwrap());
    assert_eq!(v.output_start, v.object_start);
    assert_eq!(v.log_type, LogType::UserStatus);

    let keep = ReadOptions {
        header: HeaderMode::Keep,
        ..opts()
    };
    assert_eq!(read(b"<13>{}", &keep).unwrap().output_start, 0);
    assert_eq!(invalid(b"<13> no json here").reason, InvalidReason::NotJson);
}

#[test]
fn invalid_records_name_the_problem_and_offset() {
    let cases: [(&[u8], InvalidReason, usize); 11] = [
        (b"", InvalidReason::Empty, 0),
        (b"  \t ", InvalidReason::Empty, 0),
        (b"{\"a\":\"\xff\"}", InvalidReason::InvalidUtf8, 6),
        (b"hello", InvalidReason::NotJson, 0),
        (b"[1,2]", InvalidReason::NotObject, 0),
        (b"\"str\"", InvalidReason::NotObject, 0),
        (
            b"{\"InternalReason\":\"APP_NOT",
            InvalidReason::Truncated,
            26,
        ),
        (b"{\"a\":1} {\"b\":2}", InvalidReason::TrailingData, 8),
        (b"{\"InternalReason\":42}", InvalidReason::WrongType, 18),
        (b"{\"SessionStatus\":[\"x\"]}", InvalidReason::WrongType, 17),
        (b"{\"a\":1,}", InvalidReason::NotJson, 7),
    ];
    for (input, reason, offset) in cases {
        let e = invalid(input);
        assert_eq!(
            (e.reason, e.offset),
            (reason, offset),
            "{:?}: {e}",
            String::from_utf8_lossy(input)
        );
    }
    let detail = |input: &[u8]| invalid(input).detail.into_owned();
    assert_eq!(
        detail(b"{\"SessionStatus\":[\"x\"]}"),
        "status field SessionStatus is an array, expected a string"
    );
    assert_eq!(
        detail(b"{\"InternalReason\":42}"),
        "status field InternalReason is a number, expected a string"
    );
    // Past the first vector widths too, and a multi-byte character cut off at the end.
    for at in [0, 15, 16, 31, 32, 63, 64, 65, 300] {
        let mut record = format!("{{\"a\":\"{}", "x".repeat(at)).into_bytes();
        let offset = record.len();
        record.extend_from_slice(b"\xc3\x28\"}");
        assert_eq!(
            invalid(&record).offset,
            offset,
            "bad byte after {at} ASCII bytes"
        );
        record.truncate(offset);
        record.extend_from_slice("é".as_bytes());
        record.extend_from_slice(b"\xe2\x82");
        let e = invalid(&record);
        assert_eq!(
            (e.reason, e.offset),
            (InvalidReason::InvalidUtf8, offset + 2)
        );
    }
    let bomb = format!("{{\"a\":{}", "[".repeat(10_000));
    let e = invalid(bomb.as_bytes());
    assert_eq!((e.reason, e.offset), (InvalidReason::TooDeep, 5 + 31));
    assert!(e.detail.contains("deeper than 32 levels"), "{e}");
    let big = read(
        &[b' '; 100],
        &ReadOptions {
            max_record_bytes: 10,
            ..opts()
        },
    )
    .unwrap_err();
    assert_eq!(big.reason, InvalidReason::TooLarge);
}

#[test]
fn csv_lines_get_a_hint() {
    let e = invalid(b"Wed Dec  1 10:38:41 2021 User Activity zpa-lss: ,Acme,abc,def");
    assert_eq!(e.reason, InvalidReason::NotJson);
    assert!(e.to_string().contains("JSON template"), "{e}");
    // Without the syslog tag too: comma- or tab-separated values.
    for line in [
        &b"Wed Dec  1 10:38:41 2021,Acme,jane@acme.example,BRK_MT_TERMINATED"[..],
        b"2021-12-01T10:38:41Z,Acme,jane,BRK_MT_TERMINATED",
        b"Wed Dec  1 10:38:41 2021\tAcme\tjane\tBRK_MT_TERMINATED",
        // Quoted cells, and a syslog header in front of CSV.
        br#""Wed Dec  1 10:38:41 2021","Acme Corporation","jane","BRK_MT_TERMINATED""#,
        b"<14>1 - - - - - - Wed Dec  1 10:38:41 2021,Acme,jane,BRK_MT_TERMINATED",
    ] {
        let e = invalid(line);
        assert!(
            e.to_string().contains("JSON template"),
            "{}: {e}",
            String::from_utf8_lossy(line)
        );
    }
    // Broken JSON with commas, or prose, gets no such hint.
    for line in [
        &br#"{"a":1,"b":2,"c":3,"d""#[..],
        b"not json at all",
        b"hello, world",
        br#""a JSON string" and more"#,
        b"<14>no JSON here",
    ] {
        let e = invalid(line);
        assert!(
            !e.to_string().contains("CSV"),
            "{}: {e}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn owned_keys_are_noticed() {
    assert!(view(r#"{"a":1,"enrichment":{}}"#).has_owned_keys);
    assert!(!view(r#"{"a":1,"enrichments":{}}"#).has_owned_keys);
    let flat = OwnedKeys::Prefixed {
        prefix: "zpa_".into(),
        names: &["code", "status"],
    };
    assert!(flat.matches(b"zpa_code"));
    assert!(!flat.matches(b"zpa_other"));
    assert!(!flat.matches(b"code"));
}
