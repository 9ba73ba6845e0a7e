//! `zpa-enricher enrich` end to end: the real binary on generated and hand-made input.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use zpa_enricher::catalog::{Catalog, CatalogEntry};
use zpa_enricher::event::LogType;

use crate::common;

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

/// The keys that make a record of `log_type`, and the status fields it is looked up by, in
/// order (the table in docs/output-and-catalog.md).
fn record_shape(log_type: LogType) -> (Value, &'static [&'static str]) {
    match log_type {
        LogType::UserActivity => (
            json!({"ConnectionID": "s,1"}),
            &["InternalReason", "ConnectionStatus"],
        ),
        LogType::UserStatus => (json!({"Username": "u@acme.example"}), &["SessionStatus"]),
        LogType::AppConnectorStatus => (json!({"Connector": "c"}), &["SessionStatus"]),
        LogType::PrivateServiceEdgeStatus => (json!({"ServiceEdge": "s"}), &["SessionStatus"]),
        LogType::PrivateCloudControllerStatus => {
            (json!({"PrivateCloudController": "p"}), &["SessionStatus"])
        }
        LogType::BrowserAccess => (
            json!({"Exporter": "unset"}),
            &["ConnectionReason", "ConnectionStatus"],
        ),
        LogType::AppProtection => (json!({"ExchangeSequenceIndex": 1}), &["HTTPError"]),
        LogType::SmbInspection => (json!({"SMBRPC": 0}), &["ProtocolInspectionError"]),
        LogType::LdapInspection => (json!({"LDAPBindRequests": 0}), &["ProtocolInspectionError"]),
        LogType::KrbInspection => (json!({"KRBRealm": "R"}), &["ProtocolInspectionError"]),
        LogType::MicrosegmentationFlow => (json!({"AgentID": "a"}), &["EnforcementAction"]),
        other => panic!("no status field is read in {other} records"),
    }
}

/// For every catalog entry, every log type it is listed for and every status field of that
/// type: a record of that type with the code in that field (the fields before it empty).
fn records_per_entry(catalog: &Catalog) -> Vec<(&CatalogEntry, LogType, &'static str, String)> {
    let mut records = Vec::new();
    for e in catalog.entries() {
        assert!(!e.log_types.is_empty(), "{}: no log types", e.code);
        for &t in &e.log_types {
            let (base, fields) = record_shape(t);
            for (i, field) in fields.iter().enumerate() {
                let mut record = base.clone();
                for earlier in &fields[..i] {
                    record[*earlier] = json!("");
                }
                record[*field] = json!(e.code);
                records.push((e, t, *field, record.to_string()));
            }
        }
    }
    records
}

#[test]
fn every_catalog_entry_round_trips_through_the_binary() {
    let catalog = Catalog::builtin();
    let records = records_per_entry(&catalog);
    let mut input = String::new();
    for (_, _, _, r) in &records {
        input.push_str(r);
        input.push('\n');
    }
    let out = common::run(&["enrich", "--stats", "json"], input.as_bytes());
    assert!(out.status.success(), "{}", common::stderr(&out));
    let stdout = common::stdout(&out);
    let got = lines(&stdout);
    assert_eq!(got.len(), records.len());
    for (line, (e, log_type, field, _)) in got.iter().zip(&records) {
        let at = format!("{} in {log_type} {field}", e.code);
        let v: Value = serde_json::from_str(line).unwrap();
        let enr = &v["enrichment"];
        assert_eq!(enr["code"], e.code.as_str(), "{at}");
        assert_eq!(enr["source_field"], *field, "{at}");
        assert_eq!(enr["log_type"], log_type.as_str(), "{at}");
        assert_eq!(enr["known"], true, "{at}");
        assert_eq!(enr["status"], e.status.as_str(), "{at}");
        assert_eq!(enr["description"], e.description.as_str(), "{at}");
        assert_eq!(enr["severity"], e.severity_in(*log_type).as_str(), "{at}");
        assert_eq!(enr["component"], e.component_in(*log_type).as_str(), "{at}");
        assert_eq!(enr["category"], e.category.as_str(), "{at}");
        match &e.remediation {
            Some(r) => assert_eq!(enr["remediation"], r.as_str(), "{at}"),
            None => assert!(enr.get("remediation").is_none(), "{at}"),
        }
    }
    // The JSON summary names every code.
    let summary: Value = serde_json::from_str(common::stderr(&out).trim()).unwrap();
    assert_eq!(summary["records"], records.len());
    assert_eq!(summary["known"], records.len());
    let codes: std::collections::BTreeSet<&str> = summary["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), catalog.len());
}

/// Invalid inputs of every kind, each on its own line, between valid records.
fn mixed_input() -> (Vec<u8>, Vec<(usize, &'static str, usize)>) {
    let valid = br#"{"InternalReason":"BRK_MT_TERMINATED","ConnectionStatus":"close"}"#;
    let cases: Vec<(&[u8], &'static str, usize)> = vec![
        (b"this is not json", "not_json", 1),
        (br#"{"InternalReason":"APP_NOT_REACH"#, "truncated", 32),
        (b"{\"InternalReason\":\"\xff\xfe\"}", "invalid_utf8", 19),
        (br#"{"InternalReason":17}"#, "wrong_type", 18),
        (b"", "empty", 0),
        (b"[1,2,3]", "not_object", 0),
        (br#"{"a":1} trailing"#, "trailing_data", 8),
        (
            b"Wed Dec  1 10:38:41 2021 User Activity zpa-lss: ,Acme,abc",
            "not_json",
            0,
        ),
    ];
    let bomb = format!("{{\"a\":{}1{}}}", "[".repeat(5000), "]".repeat(5000));
    let mut input = Vec::new();
    let mut expected = Vec::new();
    let mut line = 0;
    for (bytes, reason, offset) in cases
        .iter()
        .map(|(b, r, o)| (b.to_vec(), *r, *o))
        .chain(std::iter::once((bomb.into_bytes(), "too_deep", 68)))
    {
        input.extend_from_slice(valid);
        input.push(b'\n');
        line += 1;
        input.extend_from_slice(&bytes);
        input.push(b'\n');
        line += 1;
        expected.push((line, reason, offset));
    }
    (input, expected)
}

#[test]
fn pass_mode_writes_invalid_lines_unchanged_and_reports_them() {
    let (input, expected) = mixed_input();
    let out = common::run(&["enrich"], &input);
    assert!(out.status.success());
    let in_lines: Vec<&[u8]> = input.split(|b| *b == b'\n').collect();
    let out_lines: Vec<&[u8]> = out.stdout.split(|b| *b == b'\n').collect();
    assert_eq!(
        out_lines.len(),
        in_lines.len(),
        "one output line per input line"
    );
    let stderr = common::stderr(&out);
    for (line, reason, offset) in &expected {
        assert_eq!(
            out_lines[line - 1],
            in_lines[line - 1],
            "line {line} changed"
        );
        let needle = format!(
            "line {line}: invalid record passed through unchanged: {reason} at byte {offset}"
        );
        assert!(stderr.contains(&needle), "missing {needle:?} in\n{stderr}");
    }
    for i in (0..expected.len() * 2).step_by(2) {
        let v: Value = serde_json::from_slice(out_lines[i]).unwrap();
        assert_eq!(v["enrichment"]["code"], "BRK_MT_TERMINATED");
    }
    assert!(
        stderr.contains("looks like a CSV/TSV LSS record"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{} invalid", expected.len())),
        "{stderr}"
    );
}

#[test]
fn reject_mode_moves_invalid_lines_to_the_rejects_file() {
    let (input, expected) = mixed_input();
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let out = common::run(
        &[
            "enrich",
            "--on-invalid",
            "reject",
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        &input,
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let in_lines: Vec<&[u8]> = input.split(|b| *b == b'\n').collect();
    let rejected = std::fs::read(&rejects).unwrap();
    let mut want = Vec::new();
    for (line, ..) in &expected {
        want.extend_from_slice(in_lines[line - 1]);
        want.push(b'\n');
    }
    assert_eq!(rejected, want);
    assert_eq!(common::stdout(&out).lines().count(), expected.len());
}

#[test]
fn fail_mode_stops_at_the_first_invalid_line() {
    let input = b"{\"SessionStatus\":\"ZPN_STATUS_AUTHENTICATED\",\"Username\":\"u\"}\n{\"broken\":\n{\"a\":1}\n";
    let out = common::run(&["enrich", "--on-invalid", "fail"], input);
    assert_eq!(out.status.code(), Some(65));
    assert_eq!(
        common::stdout(&out).lines().count(),
        1,
        "the prefix before the bad line is written"
    );
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains("line 2: invalid record: truncated at byte 10"),
        "{stderr}"
    );
}

#[test]
fn oversized_records_are_streamed_through_without_buffering() {
    let big = format!("{{\"InternalReason\":\"{}\"}}", "x".repeat(3000));
    let input = format!("{{\"a\":1}}\n{big}\n{{\"b\":2}}\n");
    let out = common::run_with(
        common::bin()
            .env("ZPA_ENRICHER__ENRICH__MAX_RECORD_BYTES", "1024")
            .args(["enrich"]),
        input.as_bytes(),
    );
    assert!(out.status.success());
    let stdout = common::stdout(&out);
    let l = lines(&stdout);
    assert_eq!(l.len(), 3);
    assert_eq!(l[1], big);
    assert!(
        common::stderr(&out).contains("line 2: invalid record passed through unchanged: too_large")
    );
}

#[test]
fn unknown_codes_are_logged_once_and_counted() {
    let rec = |c: &str| format!("{{\"InternalReason\":\"{c}\",\"ConnectionStatus\":\"close\"}}\n");
    let input = [
        rec("NEW_CODE_A"),
        rec("NEW_CODE_A"),
        rec("NEW_CODE_B"),
        rec("NEW_CODE_A"),
    ]
    .concat();
    let out = common::run(&["enrich"], input.as_bytes());
    let stderr = common::stderr(&out);
    assert_eq!(stderr.matches("unknown status code").count(), 2, "{stderr}");
    assert!(
        stderr.contains("3  medium    -                         NEW_CODE_A (not in catalog)"),
        "{stderr}"
    );
    let stdout = common::stdout(&out);
    for l in lines(&stdout) {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["enrichment"]["known"], false);
        assert_eq!(v["enrichment"]["severity"], "medium");
    }
}

#[test]
fn unknown_severity_is_configurable() {
    let out = common::run_with(
        common::bin()
            .env("ZPA_ENRICHER__ENRICH__UNKNOWN_SEVERITY", "critical")
            .args(["enrich", "--stats", "none"]),
        br#"{"InternalReason":"NEW_CODE"}"#,
    );
    let v: Value = serde_json::from_str(common::stdout(&out).trim()).unwrap();
    assert_eq!(v["enrichment"]["severity"], "critical");
}

#[test]
fn crlf_line_endings_are_kept() {
    let input =
        b"{\"SessionStatus\":\"ZPN_STATUS_DISCONNECTED\",\"Username\":\"u\"}\r\nnot json\r\n";
    let out = common::run(&["enrich", "--stats", "none"], input);
    let stdout = common::stdout(&out);
    let l: Vec<&str> = stdout.split('\n').collect();
    assert!(l[0].ends_with("}}\r"), "{:?}", l[0]);
    assert_eq!(l[1], "not json\r");
}

#[test]
fn files_flags_and_flat_mode_from_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("zpa.toml");
    std::fs::write(&cfg, "[output]\nmode = \"flat\"\nflat_prefix = \"zpa_\"\n").unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"InternalReason\":\"AST_MT_SETUP_ERR_NO_SYSTEM_FD\",\"ConnectionStatus\":\"close\"}\n",
    )
    .unwrap();
    let output = dir.path().join("out.jsonl");
    let out = common::run(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "enrich",
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let v: Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    assert_eq!(v["zpa_severity"], "critical");
    assert_eq!(v["zpa_component"], "App Connector");
    assert!(v.get("enrichment").is_none());
}

#[test]
fn missing_input_file_is_a_clear_error() {
    let out = common::run(&["enrich", "--input", "/nonexistent/in.jsonl"], b"");
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains("cannot open input /nonexistent/in.jsonl"),
        "{stderr}"
    );
    assert!(stderr.contains("No such file"), "{stderr}");
}

#[test]
fn shipped_samples_enrich_cleanly() {
    let samples = common::root().join("samples/events.jsonl");
    let out = common::run(
        &[
            "enrich",
            "--input",
            samples.to_str().unwrap(),
            "--stats",
            "json",
        ],
        b"",
    );
    assert!(out.status.success());
    let stderr = common::stderr(&out);
    let summary: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(summary["invalid"], 0);
    assert!(summary["known"].as_u64().unwrap() >= 10);
    assert!(summary["log_types"].as_object().unwrap().len() >= 5);
}

/// User Status records from an older template, which writes list fields without brackets.
const QUIRKY: [&str; 3] = [
    r#"{"Username":"a@acme.example","SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks":,"PosturesHit":"p1","p2","PosturesMiss":}"#,
    r#"{"Username":"b@acme.example","SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks":,"PosturesHit":"p1","PosturesMiss":}"#,
    r#"{"Username":"c@acme.example","SessionStatus":"ZPN_STATUS_AUTH_FAILED","TrustedNetworks":["t"],"PosturesHit":"p1","p2","PosturesMiss":"m"}"#,
];

#[test]
fn records_with_unbracketed_lists_are_repaired_and_summed_up() {
    // The quirky records, a broken one (two commas), and a valid one.
    let broken = r#"{"Username":"d@acme.example","SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks":,,"PosturesMiss":}"#;
    let valid = r#"{"Username":"e@acme.example","SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks":[]}"#;
    let input = format!("{}\n{broken}\n{valid}\n", QUIRKY.join("\n"));
    let out = common::run(&["enrich"], input.as_bytes());
    assert!(out.status.success(), "{}", common::stderr(&out));
    let stdout = common::stdout(&out);
    let got = lines(&stdout);
    assert_eq!(got.len(), 5, "{stdout}");
    let marks: Vec<Value> = got[..3]
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            assert!(
                v["PosturesMiss"].is_array() || v["PosturesMiss"] == "m",
                "{l}"
            );
            v["enrichment"]["repaired"].clone()
        })
        .collect();
    assert_eq!(
        marks,
        [
            json!(["empty_list", "unbracketed_list"]),
            json!(["empty_list"]),
            json!(["unbracketed_list"]),
        ]
    );
    // The repaired record is the input with brackets, then the enrichment.
    assert!(
        got[0].starts_with(r#"{"Username":"a@acme.example","SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks":[],"PosturesHit":["p1","p2"],"PosturesMiss":[],"enrichment":{"#),
        "{}",
        got[0]
    );
    // The broken record passes through unchanged, reported as before; the valid one is not
    // marked.
    assert_eq!(got[3], broken);
    let v: Value = serde_json::from_str(got[4]).unwrap();
    assert!(v["enrichment"].get("repaired").is_none(), "{}", got[4]);
    let stderr = common::stderr(&out);
    // Where a value should be, as without the repair.
    let at = broken.find(",,").unwrap();
    assert!(
        stderr.contains(&format!(
            "line 4: invalid record passed through unchanged: not_json at byte {at}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "repaired: 3 records with list fields written without brackets (2 empty_list, 2 unbracketed_list)"
        ),
        "{stderr}"
    );

    let out = common::run(&["enrich", "--stats", "json"], input.as_bytes());
    // After the warning about line 4.
    let stderr = common::stderr(&out);
    let summary: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(summary["records"], 5);
    assert_eq!(summary["known"], 4);
    assert_eq!(summary["invalid"], 1);
    assert_eq!(summary["repaired"], 3);
    assert_eq!(
        summary["repaired_by_quirk"],
        json!({"empty_list": 2, "unbracketed_list": 2})
    );
}

#[test]
fn the_repair_can_be_turned_off() {
    let input = format!("{}\n", QUIRKY.join("\n"));
    let out = common::run_with(
        common::bin()
            .env("ZPA_ENRICHER__ENRICH__REPAIR_LSS_QUIRKS", "false")
            .args(["enrich", "--stats", "json"]),
        input.as_bytes(),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    // Every record passes through unchanged, as invalid.
    assert_eq!(common::stdout(&out), input);
    let stderr = common::stderr(&out);
    let summary: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(summary["invalid_by_reason"], json!({"not_json": 3}));
    assert_eq!(summary["repaired"], 0);
    assert_eq!(summary["repaired_by_quirk"], json!({}));
}
