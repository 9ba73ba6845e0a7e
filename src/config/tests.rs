use super::*;
use crate::kafka::{Compression, SaslMechanism, SecurityProtocol};

fn env(pairs: &[(&str, &str)]) -> Sources {
    Sources {
        env: Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ),
        ..Sources::default()
    }
}

#[test]
fn defaults_file_matches_code_defaults() {
    let from_file: Settings = toml::from_str(DEFAULT_TOML).unwrap();
    assert_eq!(from_file, Settings::default());
    assert_eq!(Settings::load(&env(&[])).unwrap(), Settings::default());
}

#[test]
fn environment_overrides_with_double_underscores() {
    let s = Settings::load(&env(&[
        ("ZPA_ENRICHER__OUTPUT__MODE", "flat"),
        ("ZPA_ENRICHER__OUTPUT__FLAT_PREFIX", "z_"),
        ("ZPA_ENRICHER__ENRICH__MAX_DEPTH", "10"),
        ("ZPA_ENRICHER__ENRICH__UNKNOWN_SEVERITY", "high"),
        ("UNRELATED", "x"),
    ]))
    .unwrap();
    assert_eq!(s.output.mode, OutputKind::Flat);
    assert_eq!(s.output.flat_prefix, "z_");
    assert_eq!(s.enrich.max_depth, 10);
    assert_eq!(s.enrich.unknown_severity, Severity::High);
}

#[test]
fn output_fields_from_env_and_checked() {
    let s = Settings::load(&env(&[(
        "ZPA_ENRICHER__OUTPUT__FIELDS",
        "code,severity,component",
    )]))
    .unwrap();
    assert_eq!(s.output.fields, ["code", "severity", "component"]);
    assert_eq!(
        s.enrich_options().fields.names(),
        ["code", "severity", "component"]
    );
    let err = Settings::load(&env(&[
        ("ZPA_ENRICHER__OUTPUT__FIELDS", "code,sevrity"),
        ("ZPA_ENRICHER__ENRICH__MAX_DEPTH", "0"),
    ]))
    .unwrap_err()
    .to_string();
    for needle in [
        "output.fields: unknown field \"sevrity\" (fields: code, source_field,",
        "enrich.max_depth: 0 is out of range",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn a_numeric_looking_string_is_still_a_string() {
    let s = Settings::load(&env(&[("ZPA_ENRICHER__OUTPUT__FIELD", "123")])).unwrap();
    assert_eq!(s.output.field, "123");
}

#[test]
fn file_then_env_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[output]\nfield = \"from_file\"\nflat_prefix = \"f_\"\n",
    )
    .unwrap();
    let mut sources = env(&[("ZPA_ENRICHER__OUTPUT__FIELD", "from_env")]);
    sources.file = Some(path.clone());
    let s = Settings::load(&sources).unwrap();
    assert_eq!(s.output.field, "from_env");
    assert_eq!(s.output.flat_prefix, "f_");
    sources.overrides = vec![("output.field".into(), "from_flag".into())];
    assert_eq!(Settings::load(&sources).unwrap().output.field, "from_flag");
}

#[test]
fn every_problem_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[output]\nmode = \"sideways\"\ncolour = 1\n[enrich]\nmax_depth = \"deep\"\nmax_record_bytes = 10\n[nonsense]\nx = 1\n",
    )
    .unwrap();
    let mut sources = env(&[("ZPA_ENRICHER__LOG__FORMAT", "xml")]);
    sources.file = Some(path);
    let err = Settings::load(&sources).unwrap_err().to_string();
    for needle in [
        "output.mode: unknown value \"sideways\", expected one of: nested, flat",
        "output.colour: unknown key",
        "enrich.max_depth:",
        "nonsense: unknown key",
        "log.format: unknown value \"xml\"",
        "environment variable ZPA_ENRICHER__LOG__FORMAT",
        // Range checks run too, with the mistyped keys at their defaults, and name the source.
        &format!(
            "enrich.max_record_bytes: 10 is out of range (1024 to 67108864) [from {}]",
            sources.file.as_ref().unwrap().display()
        ),
        &format!(
            "nonsense: unknown key (expected one of `log`, `catalog`, `enrich`, `output`, `kafka`, `metrics`, `service`, `receive`) [from {}]",
            sources.file.as_ref().unwrap().display()
        ),
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(err.contains("6 problem(s)"), "{err}");
}

#[test]
fn librdkafka_properties_are_checked_without_a_broker() {
    let err = Settings::load(&env(&[
        ("ZPA_ENRICHER__KAFKA__LIBRDKAFKA__NOT_A_PROP", "1"),
        (
            "ZPA_ENRICHER__KAFKA__CONSUMER_LIBRDKAFKA__FETCH_WAIT_MAX_MS",
            "soon",
        ),
        (
            "ZPA_ENRICHER__KAFKA__LIBRDKAFKA__ENABLE_AUTO_OFFSET_STORE",
            "true",
        ),
        (
            "ZPA_ENRICHER__KAFKA__PRODUCER_LIBRDKAFKA__SSL_KEY_PASSWORD",
            "hunter2",
        ),
        (
            "ZPA_ENRICHER__KAFKA__PRODUCER_LIBRDKAFKA__SOCKET_KEEPALIVE_ENABLE",
            "true",
        ),
        ("ZPA_ENRICHER__KAFKA__PRODUCER_LIBRDKAFKA__LINGER_MS", "50"),
        // A second conflict of the same client is listed too.
        ("ZPA_ENRICHER__KAFKA__PRODUCER_LIBRDKAFKA__ACKS", "1"),
    ]))
    .unwrap_err()
    .to_string();
    for needle in [
        "kafka.librdkafka.\"not.a.prop\" = \"1\": No such configuration property: \"not.a.prop\" [from environment variable ZPA_ENRICHER__KAFKA__LIBRDKAFKA__NOT_A_PROP]",
        "kafka.consumer_librdkafka.\"fetch.wait.max.ms\" = \"soon\": Invalid value",
        "kafka.librdkafka.\"enable.auto.offset.store\" = \"true\" cannot be changed: the service sets enable.auto.offset.store = \"false\" itself",
        "kafka.producer_librdkafka.\"linger.ms\" = \"50\" contradicts the typed setting kafka.linger_ms (linger.ms = \"5\"); set kafka.linger_ms instead [from environment variable ZPA_ENRICHER__KAFKA__PRODUCER_LIBRDKAFKA__LINGER_MS]",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(
        err.contains("kafka.producer_librdkafka.\"acks\" = \"1\" cannot be changed"),
        "{err}"
    );
    assert!(err.contains("5 problem(s)"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn range_and_consistency_checks_list_everything() {
    let err = Settings::load(&env(&[
        ("ZPA_ENRICHER__ENRICH__MAX_DEPTH", "0"),
        ("ZPA_ENRICHER__ENRICH__MAX_RECORD_BYTES", "10"),
        ("ZPA_ENRICHER__CATALOG__MODE", "replace"),
        ("ZPA_ENRICHER__LOG__FILTER", "info,[[["),
    ]))
    .unwrap_err()
    .to_string();
    for needle in [
        "enrich.max_depth: 0 is out of range",
        "enrich.max_record_bytes: 10 is out of range",
        "catalog.mode: \"replace\" needs catalog.path",
        "log.filter:",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn the_enrichment_cannot_replace_the_status_field() {
    for field in ["InternalReason", "SessionStatus", "ConnectionStatus"] {
        let err = Settings::load(&env(&[("ZPA_ENRICHER__OUTPUT__FIELD", field)]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "output.field: {field:?} is the record field that holds the status code"
            )),
            "{err}"
        );
        assert!(
            err.contains("[from environment variable ZPA_ENRICHER__OUTPUT__FIELD]"),
            "{err}"
        );
    }
    assert!(Settings::load(&env(&[("ZPA_ENRICHER__OUTPUT__FIELD", "zpa")])).is_ok());
}

#[test]
fn numbers_are_not_taken_from_booleans_or_fractions_nor_booleans_from_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[kafka]\nmax_in_flight = true\nlinger_ms = 1.5\ncreate_missing_topics = \"yes\"\n",
    )
    .unwrap();
    let mut sources = env(&[("ZPA_ENRICHER__ENRICH__MAX_DEPTH", "2.5")]);
    sources.file = Some(path.clone());
    let err = Settings::load(&sources).unwrap_err().to_string();
    let file = path.display();
    for needle in [
        format!("kafka.max_in_flight: expected a number, found true [from {file}]"),
        format!("kafka.linger_ms: expected a whole number, found 1.5 [from {file}]"),
        "enrich.max_depth: expected a whole number, found 2.5 [from environment variable ZPA_ENRICHER__ENRICH__MAX_DEPTH]".to_owned(),
    ] {
        assert!(err.contains(&needle), "missing {needle:?} in:\n{err}");
    }
    // Booleans keep the config crate's words ("yes" is true), and whole numbers written as
    // floats are whole numbers.
    assert!(err.contains("3 problem(s)"), "{err}");
    let ok = env(&[
        ("ZPA_ENRICHER__KAFKA__CREATE_MISSING_TOPICS", "yes"),
        ("ZPA_ENRICHER__KAFKA__LINGER_MS", "20.0"),
    ]);
    let s = Settings::load(&ok).unwrap();
    assert!(s.kafka.create_missing_topics);
    assert_eq!(s.kafka.linger_ms, 20);

    // A boolean is no number but 1 and 0.
    for (value, found) in [("2", "2"), ("-1", "-1"), ("0.5", "0.5")] {
        let err = Settings::load(&env(&[(
            "ZPA_ENRICHER__KAFKA__CREATE_MISSING_TOPICS",
            value,
        )]))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(&format!(
                "kafka.create_missing_topics: expected true or false (or 1/0, yes/no, on/off), found {found}"
            )),
            "{err}"
        );
    }
    for (value, want) in [("1", true), ("0", false)] {
        let s = Settings::load(&env(&[(
            "ZPA_ENRICHER__KAFKA__CREATE_MISSING_TOPICS",
            value,
        )]))
        .unwrap();
        assert_eq!(s.kafka.create_missing_topics, want);
    }
}

#[test]
fn missing_config_file_is_a_clear_error() {
    let err = Settings::load(&Sources {
        file: Some("/nonexistent/zpa.toml".into()),
        env: Some(HashMap::new()),
        overrides: vec![],
        receive: false,
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("/nonexistent/zpa.toml"), "{err}");
}

#[test]
fn print_config_round_trips() {
    let s = Settings::default();
    let back: Settings = toml::from_str(&s.to_toml()).unwrap();
    assert_eq!(back, s);
}

#[test]
fn kafka_settings_from_env_and_flags() {
    let mut sources = env(&[
        ("ZPA_ENRICHER__KAFKA__INPUT_TOPICS", "a,b"),
        ("ZPA_ENRICHER__KAFKA__SECURITY__PROTOCOL", "sasl_ssl"),
        (
            "ZPA_ENRICHER__KAFKA__SECURITY__SASL_MECHANISM",
            "SCRAM-SHA-512",
        ),
        ("ZPA_ENRICHER__KAFKA__SECURITY__SASL_USERNAME", "svc"),
        ("ZPA_ENRICHER__KAFKA__SECURITY__SASL_PASSWORD", "s3cret"),
        ("ZPA_ENRICHER__KAFKA__MAX_IN_FLIGHT", "500"),
    ]);
    let s = Settings::load(&sources).unwrap();
    assert_eq!(s.kafka.input_topics, vec!["a", "b"]);
    assert_eq!(s.kafka.security.sasl_mechanism, SaslMechanism::ScramSha512);
    assert_eq!(s.kafka.security.sasl_password.expose(), "s3cret");
    assert_eq!(s.kafka.max_in_flight, 500);
    // The password never shows in --print-config.
    let printed = s.to_toml();
    assert!(!printed.contains("s3cret"), "{printed}");
    assert!(printed.contains("<redacted>"), "{printed}");

    sources.overrides = vec![(
        "kafka.input_topics".into(),
        Override::List(vec!["x".into()]),
    )];
    assert_eq!(
        Settings::load(&sources).unwrap().kafka.input_topics,
        vec!["x"]
    );
}

#[test]
fn kafka_consistency_problems_are_all_listed() {
    let err = Settings::load(&env(&[
        ("ZPA_ENRICHER__KAFKA__INPUT_TOPICS", "same"),
        ("ZPA_ENRICHER__KAFKA__OUTPUT_TOPIC", "same"),
        ("ZPA_ENRICHER__KAFKA__SECURITY__PROTOCOL", "sasl_ssl"),
        (
            "ZPA_ENRICHER__KAFKA__SECURITY__CERT_FILE",
            "/nonexistent/cert.pem",
        ),
        ("ZPA_ENRICHER__METRICS__ADDR", "nowhere"),
        ("ZPA_ENRICHER__KAFKA__MAX_IN_FLIGHT", "0"),
    ]))
    .unwrap_err()
    .to_string();
    for needle in [
        "kafka.output_topic: \"same\" is also an input topic",
        "kafka.security.protocol: sasl_ssl needs kafka.security.sasl_username and sasl_password [from environment variable ZPA_ENRICHER__KAFKA__SECURITY__PROTOCOL]",
        "kafka.security.cert_file: set without kafka.security.key_file (mTLS needs both) [from environment variable ZPA_ENRICHER__KAFKA__SECURITY__CERT_FILE]",
        "kafka.security.cert_file: /nonexistent/cert.pem does not exist",
        "metrics.addr: \"nowhere\"",
        "kafka.max_in_flight: 0 is out of range",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn list_items_are_trimmed_and_topic_names_checked() {
    let s = Settings::load(&env(&[
        ("ZPA_ENRICHER__KAFKA__INPUT_TOPICS", "zpa.raw, zpa.raw-2 "),
        ("ZPA_ENRICHER__OUTPUT__FIELDS", "code, severity"),
    ]))
    .unwrap();
    assert_eq!(s.kafka.input_topics, vec!["zpa.raw", "zpa.raw-2"]);
    assert_eq!(s.output.fields, vec!["code", "severity"]);

    let long = "t".repeat(250);
    let err = Settings::load(&env(&[
        ("ZPA_ENRICHER__KAFKA__INPUT_TOPICS", r#"["x","y"]"#),
        ("ZPA_ENRICHER__KAFKA__OUTPUT_TOPIC", "zpa enriched"),
        ("ZPA_ENRICHER__KAFKA__DLQ_TOPIC", &long),
        ("ZPA_ENRICHER__KAFKA__CREATE_PARTITIONS", "-5"),
        ("ZPA_ENRICHER__KAFKA__CREATE_REPLICATION_FACTOR", "0"),
    ]))
    .unwrap_err()
    .to_string();
    for needle in [
        r#"kafka.input_topics: "[\"x\"" is not a valid topic name: it contains '['"#,
        r#"kafka.output_topic: "zpa enriched" is not a valid topic name: it contains ' '"#,
        "kafka.dlq_topic: a topic name has at most 249 characters, this one 250",
        "kafka.create_partitions: must be at least 1, not -5 [from environment variable",
        "kafka.create_replication_factor: must be at least 1, not 0",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert_eq!(crate::kafka::topic_name_problem("zpa.raw_2-x"), None);
    assert!(crate::kafka::topic_name_problem("..").is_some());
}

#[test]
fn an_invalid_rust_log_is_reported_like_log_filter() {
    let err = Settings::load(&env(&[
        ("RUST_LOG", "foo=[["),
        ("ZPA_ENRICHER__LOG__FILTER", "bar=[["),
    ]))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("RUST_LOG: \"foo=[[\" is not a valid filter"),
        "{err}"
    );
    assert!(
        err.contains("log.filter: \"bar=[[\" is not a valid filter"),
        "{err}"
    );
    assert!(Settings::load(&env(&[("RUST_LOG", "warn,zpa_enricher=debug")])).is_ok());
}

#[test]
fn a_key_given_twice_in_a_json_config_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.json");
    std::fs::write(
        &path,
        "{\"output\": {\"mode\": \"flat\",\n  \"mode\": \"nested\"},\n \"log\": {\"format\": \"json\"}}\n",
    )
    .unwrap();
    let sources = Sources {
        file: Some(path.clone()),
        ..env(&[])
    };
    let err = Settings::load(&sources).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "output.mode: given twice in {} (at line 2, first at line 1); give each key once",
            path.display()
        )),
        "{err}"
    );
    assert!(err.contains("1 problem(s)"), "{err}");
}

#[test]
fn problems_with_flag_values_say_so() {
    let mut sources = env(&[("ZPA_ENRICHER__KAFKA__OUTPUT_TOPIC", "from env")]);
    sources.overrides = vec![
        ("metrics.addr".into(), Override::Str("nowhere".into())),
        ("kafka.dlq_topic".into(), Override::Str("bad dlq".into())),
    ];
    let err = Settings::load(&sources).unwrap_err().to_string();
    for needle in [
        r#"metrics.addr: "nowhere" is not an address like 0.0.0.0:9464, [::]:9464 or localhost:9464 [from the command line]"#,
        r#"kafka.dlq_topic: "bad dlq" is not a valid topic name"#,
        "[from environment variable ZPA_ENRICHER__KAFKA__OUTPUT_TOPIC]",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert_eq!(err.matches("[from the command line]").count(), 2, "{err}");
}

#[test]
fn a_missing_relative_path_says_where_it_was_looked_for() {
    let err = Settings::load(&env(&[(
        "ZPA_ENRICHER__CATALOG__PATH",
        "no-such-dir/local.toml",
    )]))
    .unwrap_err()
    .to_string();
    let cwd = std::env::current_dir().unwrap();
    assert!(
        err.contains(&format!(
            "catalog.path: no-such-dir/local.toml does not exist or is not a file (a relative path is taken from the working directory, {})",
            cwd.display()
        )),
        "{err}"
    );
}

#[test]
fn the_metrics_address_may_name_a_host() {
    for ok in ["0.0.0.0:9464", "[::]:9464", "localhost:9464"] {
        assert!(
            Settings::load(&env(&[("ZPA_ENRICHER__METRICS__ADDR", ok)])).is_ok(),
            "{ok}"
        );
    }
    for (bad, why) in [
        ("localhost", "is not an address like 0.0.0.0:9464"),
        ("127.0.0.1:99999", "is not an address like"),
        ("host.invalid:9464", "names a host that does not resolve"),
    ] {
        let err = Settings::load(&env(&[("ZPA_ENRICHER__METRICS__ADDR", bad)]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("metrics.addr: {bad:?} {why}")),
            "{err}"
        );
    }
}

#[test]
fn closed_values_ignore_letter_case_as_kafka_settings_do() {
    let s = Settings::load(&env(&[
        ("ZPA_ENRICHER__KAFKA__SECURITY__PROTOCOL", "SASL_SSL"),
        (
            "ZPA_ENRICHER__KAFKA__SECURITY__SASL_MECHANISM",
            "scram-sha-256",
        ),
        ("ZPA_ENRICHER__KAFKA__SECURITY__SASL_USERNAME", "u"),
        ("ZPA_ENRICHER__KAFKA__SECURITY__SASL_PASSWORD", "p"),
        ("ZPA_ENRICHER__KAFKA__COMPRESSION", "ZSTD"),
        ("ZPA_ENRICHER__ENRICH__UNKNOWN_SEVERITY", "High"),
    ]))
    .unwrap();
    assert_eq!(s.kafka.security.protocol, SecurityProtocol::SaslSsl);
    assert_eq!(s.kafka.security.sasl_mechanism, SaslMechanism::ScramSha256);
    assert_eq!(s.kafka.compression, Compression::Zstd);
    assert_eq!(s.enrich.unknown_severity, Severity::High);
    // Shown in the one canonical spelling.
    assert!(
        s.to_toml().contains("protocol = \"sasl_ssl\""),
        "{}",
        s.to_toml()
    );
}

#[test]
fn a_refused_value_is_not_reported_again_through_its_default() {
    // protocol "sasl" is refused; the stand-in default (plaintext) would also contradict the
    // credentials, which is no news to the user.
    let err = Settings::load(&env(&[
        ("ZPA_ENRICHER__KAFKA__SECURITY__PROTOCOL", "sasl"),
        ("ZPA_ENRICHER__KAFKA__SECURITY__SASL_USERNAME", "u"),
        ("ZPA_ENRICHER__KAFKA__SECURITY__SASL_PASSWORD", "p"),
    ]))
    .unwrap_err();
    let ConfigError::Invalid(problems) = err else {
        panic!("{err}")
    };
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0]
            .to_string()
            .starts_with("kafka.security.protocol: unknown value \"sasl\"")
    );
    // With a type problem of another key in the same section, the problem still counts.
    let err = Settings::load(&env(&[
        ("ZPA_ENRICHER__KAFKA__SECURITY__VERIFY_HOSTNAME", "maybe"),
        ("ZPA_ENRICHER__KAFKA__SECURITY__SASL_USERNAME", "u"),
        ("ZPA_ENRICHER__KAFKA__SECURITY__SASL_PASSWORD", "p"),
    ]))
    .unwrap_err()
    .to_string();
    assert!(err.contains("kafka.security.verify_hostname: "), "{err}");
    assert!(
        err.contains("kafka.security.sasl_username: set, but kafka.security.protocol is plaintext (use sasl_ssl or sasl_plaintext) [from environment variable ZPA_ENRICHER__KAFKA__SECURITY__SASL_USERNAME]"),
        "{err}"
    );
}

#[test]
fn tls_files_must_hold_pem() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = (
        dir.path().join("ca.pem"),
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
    );
    std::fs::write(&ca, "just a host name\n").unwrap();
    std::fs::write(
        &cert,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::write(&key, b"\x30\x82\x01\x0a").unwrap();
    let err = Settings::load(&env(&[
        ("ZPA_ENRICHER__KAFKA__SECURITY__PROTOCOL", "ssl"),
        (
            "ZPA_ENRICHER__KAFKA__SECURITY__CA_FILE",
            ca.to_str().unwrap(),
        ),
        (
            "ZPA_ENRICHER__KAFKA__SECURITY__CERT_FILE",
            cert.to_str().unwrap(),
        ),
        (
            "ZPA_ENRICHER__KAFKA__SECURITY__KEY_FILE",
            key.to_str().unwrap(),
        ),
    ]))
    .unwrap_err();
    let ConfigError::Invalid(problems) = err else {
        panic!("{err}")
    };
    assert_eq!(problems.len(), 2, "{problems:#?}");
    for (problem, name, path) in [
        (&problems[0], "ca_file", &ca),
        (&problems[1], "key_file", &key),
    ] {
        assert!(
            problem.to_string().starts_with(&format!(
                "kafka.security.{name}: {} holds no PEM block",
                path.display()
            )),
            "{problem}"
        );
    }
}

#[test]
fn numbers_past_64_bits_and_past_the_clients_ranges_are_reported() {
    let err = Settings::load(&env(&[
        ("ZPA_ENRICHER__KAFKA__LINGER_MS", "99999999999999999999999"),
        (
            "ZPA_ENRICHER__KAFKA__COMMIT_INTERVAL_MS",
            "9223372036854775807",
        ),
        ("ZPA_ENRICHER__KAFKA__CONSUMER_QUEUE_KBYTES", "0"),
        ("ZPA_ENRICHER__KAFKA__DELIVERY_TIMEOUT_MS", "999"),
        (
            "ZPA_ENRICHER__SERVICE__SHUTDOWN_GRACE_PERIOD_SECS",
            "9223372036854775807",
        ),
        ("ZPA_ENRICHER__SERVICE__READINESS_STALL_SECS", "0"),
        ("ZPA_ENRICHER__SERVICE__PAUSE_AFTER_MS", "3600001"),
        (
            "ZPA_ENRICHER__SERVICE__CATALOG_RELOAD_INTERVAL_SECS",
            "86401",
        ),
        ("ZPA_ENRICHER__SERVICE__STATISTICS_INTERVAL_MS", "5"),
    ]))
    .unwrap_err()
    .to_string();
    for needle in [
        "kafka.linger_ms: a number of about 1e23 is too large [from environment variable ZPA_ENRICHER__KAFKA__LINGER_MS]",
        "kafka.commit_interval_ms: 9223372036854775807 is out of range (1 to 86400000)",
        "kafka.consumer_queue_kbytes: 0 is out of range (1 to 2097151)",
        "kafka.delivery_timeout_ms: 999 is out of range (1000 to 2147483647)",
        "service.shutdown_grace_period_secs: 9223372036854775807 is out of range (1 to 3600)",
        "service.readiness_stall_secs: 0 is out of range (1 to 86400)",
        "service.pause_after_ms: 3600001 is out of range (0 to 3600000)",
        "service.catalog_reload_interval_secs: 86401 is out of range (0 to 86400)",
        "service.statistics_interval_ms: 5 is out of range (100 to 86400000)",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(err.contains("9 problem(s)"), "{err}");
    // The bounds themselves are accepted.
    let s = Settings::load(&env(&[
        ("ZPA_ENRICHER__KAFKA__LINGER_MS", "900000"),
        ("ZPA_ENRICHER__SERVICE__SHUTDOWN_GRACE_PERIOD_SECS", "3600"),
        ("ZPA_ENRICHER__SERVICE__STATISTICS_INTERVAL_MS", "100"),
    ]))
    .unwrap();
    assert_eq!(s.kafka.linger_ms, 900_000);
    assert!(
        crate::kafka::producer_config(&s.kafka)
            .unwrap()
            .create_native_config()
            .is_ok()
    );
}

#[test]
fn an_unreadable_config_file_is_named_as_given_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let load = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let err = Settings::load(&Sources {
            file: Some(path.clone()),
            env: Some(HashMap::new()),
            overrides: vec![],
            receive: false,
        })
        .unwrap_err()
        .to_string();
        (path, err)
    };
    let (path, err) = load("c.toml", "[kafka]\nlinger_ms = 99999999999999999999999\n");
    assert!(
        err.starts_with(&format!("config file {}: ", path.display())),
        "{err}"
    );
    assert!(err.contains("line 2"), "{err}");
    let (path, err) = load("c.json", "{\"kafka\": {\"linger_ms\": }");
    assert_eq!(
        err,
        format!(
            "config file {}: expected value at line 1 column 25",
            path.display()
        )
    );
    let (path, err) = load("c.yaml", "output:\n  mode: flat\n  mode: nested\n");
    assert_eq!(
        err,
        format!(
            "config file {}: \"mode\" is given twice at byte 29 line 3 column 9; give each key once",
            path.display()
        )
    );
}

#[test]
fn the_former_name_of_the_statistics_interval_still_works_with_a_warning() {
    let old = Settings::load_with_warnings(&env(&[(
        "ZPA_ENRICHER__SERVICE__STATISTICS_INTERVAL_MS",
        "2000",
    )]))
    .unwrap();
    assert_eq!(old.settings.kafka.statistics_interval_ms, 2_000);
    assert_eq!(old.warnings.len(), 1, "{:?}", old.warnings);
    assert!(
        old.warnings[0].contains("service.statistics_interval_ms is deprecated")
            && old.warnings[0].contains("kafka.statistics_interval_ms"),
        "{:?}",
        old.warnings
    );
    // The new name wins when both are given.
    let both = Settings::load_with_warnings(&env(&[
        ("ZPA_ENRICHER__SERVICE__STATISTICS_INTERVAL_MS", "2000"),
        ("ZPA_ENRICHER__KAFKA__STATISTICS_INTERVAL_MS", "3000"),
    ]))
    .unwrap();
    assert_eq!(both.settings.kafka.statistics_interval_ms, 3_000);
    assert!(
        both.warnings[0].contains("also given"),
        "{:?}",
        both.warnings
    );
    // --print-config shows only the new name.
    assert!(!old.settings.to_toml().contains("[service]\nstatistics"));
    let printed: Settings = toml::from_str(&old.settings.to_toml()).unwrap();
    assert_eq!(printed.service.statistics_interval_ms, None);
}

#[test]
fn variables_spelt_with_single_underscores_are_warned_about_with_the_right_name() {
    let loaded = Settings::load_with_warnings(&env(&[
        ("ZPA_ENRICHER_KAFKA_BROKERS", "x:9092"),
        ("ZPA_ENRICHER_KAFKA__GROUP_ID", "g"),
        ("ZPA_ENRICHER_SOMETHING_ELSE_ENTIRELY_UNRELATED", "1"),
        ("OTHER_TOOL_KAFKA_BROKERS", "y"),
    ]))
    .unwrap();
    // Not read: the defaults stay.
    assert_eq!(loaded.settings, Settings::default());
    let w = &loaded.warnings;
    assert_eq!(w.len(), 3, "{w:#?}");
    assert!(
        w.iter()
            .any(|m| m.contains("ZPA_ENRICHER_KAFKA_BROKERS is not read")
                && m.ends_with("did you mean ZPA_ENRICHER__KAFKA__BROKERS?")),
        "{w:#?}"
    );
    assert!(
        w.iter().any(|m| m.contains("ZPA_ENRICHER_KAFKA__GROUP_ID")
            && m.ends_with("did you mean ZPA_ENRICHER__KAFKA__GROUP_ID?")),
        "{w:#?}"
    );
    assert!(
        w.iter()
            .any(|m| m.contains("ZPA_ENRICHER_SOMETHING_ELSE") && !m.contains("did you mean")),
        "{w:#?}"
    );
}

#[test]
fn a_misspelt_key_gets_the_nearest_valid_key() {
    let err = Settings::load(&env(&[("ZPA_ENRICHER__KAFKA__BROKER", "x:9092")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("kafka.broker: unknown key") && err.contains("did you mean `brokers`?"),
        "{err}"
    );
}

#[test]
fn sync_settings_from_env_and_flags_with_the_secret_redacted() {
    let mut sources = env(&[
        ("ZPA_ENRICHER__CATALOG__SYNC__AUTH", "LEGACY"),
        ("ZPA_ENRICHER__CATALOG__SYNC__CLIENT_ID", "key-1"),
        ("ZPA_ENRICHER__CATALOG__SYNC__CLIENT_SECRET", "hunter2"),
        (
            "ZPA_ENRICHER__CATALOG__SYNC__CUSTOMER_ID",
            "72057594037927936",
        ),
        ("ZPA_ENRICHER__CATALOG__SYNC__MAX_RETRIES", "0"),
    ]);
    sources.overrides = vec![(
        "catalog.sync.api_url".into(),
        "https://config.private.zscaler.com".into(),
    )];
    let s = Settings::load(&sources).unwrap();
    let sync = &s.catalog.sync;
    assert_eq!(sync.auth, SyncAuth::Legacy);
    assert_eq!(sync.client_secret.expose(), "hunter2");
    assert_eq!(sync.api_url, "https://config.private.zscaler.com");
    assert_eq!(sync.max_retries, 0);
    assert!(sync.problems_for_sync().is_empty());
    let printed = s.to_toml();
    assert!(printed.contains("[catalog.sync]"), "{printed}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(
        printed.contains("client_secret = \"<redacted>\""),
        "{printed}"
    );
    assert!(!format!("{s:?}").contains("hunter2"));
}

#[test]
fn sync_setting_problems_are_listed_with_where_they_came_from() {
    let mut sources = env(&[
        ("ZPA_ENRICHER__CATALOG__SYNC__TIMEOUT_SECS", "0"),
        ("ZPA_ENRICHER__CATALOG__SYNC__AUTH", "saml"),
        ("ZPA_ENRICHER__CATALOG__SYNC__CUSTOMER_ID", "acme"),
    ]);
    sources.overrides = vec![("catalog.sync.token_url".into(), "zslogin.net".into())];
    let err = Settings::load(&sources).unwrap_err().to_string();
    for needle in [
        "catalog.sync.timeout_secs: 0 is out of range (1 to 600) [from environment variable ZPA_ENRICHER__CATALOG__SYNC__TIMEOUT_SECS]",
        "catalog.sync.auth: unknown value \"saml\", expected one of: oneapi, legacy",
        "catalog.sync.customer_id: \"acme\" is not a ZPA tenant id",
        "catalog.sync.token_url: \"zslogin.net\" is not an http:// or https:// URL",
        "[from the command line]",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}
