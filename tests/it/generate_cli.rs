//! `zpa-enricher generate` end to end: the real binary's records, bursts, mixes and stop.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::process::Stdio;
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::common;

/// The start that makes generated records reproducible.
const START: &str = "2026-11-25T08:00:00Z";

/// Milliseconds since the Unix epoch of a generated UTC time.
fn utc_ms(s: &str) -> i64 {
    match s.parse() {
        Ok(zpa_enricher::synth::Start::At(ms)) => ms,
        other => panic!("{s}: {other:?}"),
    }
}

#[test]
fn generated_traffic_is_deterministic_and_enriches_cleanly() {
    let args = ["generate", "-n", "300", "--seed", "3", "--start", START];
    let a = common::run(&args, b"");
    let b = common::run(&args, b"");
    assert!(a.status.success(), "{}", common::stderr(&a));
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stdout.iter().filter(|c| **c == b'\n').count(), 300);

    let out = common::run(&["enrich", "--stats", "json"], &a.stdout);
    let stderr = common::stderr(&out);
    let summary: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(summary["records"], 300);
    assert_eq!(summary["invalid"], 0);
    assert_eq!(summary["unknown_code"], 0);
    assert!(
        summary["log_types"].as_object().unwrap().len() >= 3,
        "{summary}"
    );
}

#[test]
fn records_carry_the_current_time_unless_start_pins_it() {
    let now = || -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            .try_into()
            .unwrap()
    };
    let times = |out: &std::process::Output| -> Vec<i64> {
        assert!(out.status.success(), "{}", common::stderr(out));
        let text = std::str::from_utf8(&out.stdout).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter_map(|r| {
                r["TimestampConnectionEnd"]
                    .as_str()
                    .filter(|t| !t.is_empty())
                    .map(utc_ms)
            })
            .collect()
    };
    let args = ["generate", "-n", "50", "--log-type", "user_activity"];
    let before = now();
    let out = common::run(&args, b"");
    let after = now();
    let live = times(&out);
    assert!(!live.is_empty());
    for t in live {
        assert!(
            (before..after + 1_000).contains(&t),
            "{before} <= {t} <= {after}"
        );
    }

    // Pinned: the same bytes every time, from the given instant on.
    let pinned = [&args[..], &["--seed", "4", "--start", START]].concat();
    let a = common::run(&pinned, b"");
    let b = common::run(&pinned, b"");
    assert!(a.stdout == b.stdout, "--start gave different bytes");
    let start = utc_ms(START);
    for t in times(&a) {
        assert!((start..start + 1_000).contains(&t), "{t}");
    }
    assert!(
        std::str::from_utf8(&a.stdout)
            .unwrap()
            .starts_with(r#"{"LogTimestamp":"Wed Nov 25 08:00:0"#)
    );

    let help = common::run(&["generate", "--help"], b"");
    assert!(common::stdout(&help).contains("--start <TIME>"));
    let bad = common::run(&["generate", "--start", "2026-11-25T08:00:00+01:00"], b"");
    assert_eq!(bad.status.code(), Some(2));
    assert!(common::stderr(&bad).contains("is not `now` or a time in UTC"));
}

#[test]
fn generate_enriched_writes_what_enrich_makes_of_the_same_records() {
    let args = [
        "generate",
        "-n",
        "400",
        "--seed",
        "5",
        "--start",
        START,
        "--invalid-ratio",
        "0.1",
        "--unknown-ratio",
        "0.1",
    ];
    let raw = common::run(&args, b"");
    assert!(raw.status.success(), "{}", common::stderr(&raw));
    for fields in [None, Some("code,severity,known")] {
        let with = |cmd: &mut std::process::Command| {
            if let Some(f) = fields {
                cmd.env("ZPA_ENRICHER__OUTPUT__FIELDS", f);
            }
        };
        let mut cmd = common::bin();
        cmd.args(args).arg("--enriched");
        with(&mut cmd);
        let enriched = common::run_with(&mut cmd, b"");
        assert!(enriched.status.success(), "{}", common::stderr(&enriched));
        let mut cmd = common::bin();
        cmd.args(["enrich", "--on-invalid", "pass", "--stats", "none"]);
        with(&mut cmd);
        let piped = common::run_with(&mut cmd, &raw.stdout);
        assert!(piped.status.success(), "{}", common::stderr(&piped));
        // Bytes, not text: some of the invalid records are not UTF-8.
        assert!(enriched.stdout == piped.stdout, "fields {fields:?}");
        let with_enrichment = enriched
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| memchr::memmem::find(l, br#""enrichment":{"code":"#).is_some())
            .count();
        assert!(with_enrichment > 300, "{with_enrichment} enriched of 400");
    }
}

#[test]
fn generate_adds_bursts_of_one_code_to_the_paced_records() {
    // 50 paced records at 40/s take about 1.25 s: one burst of 30 comes at 1 s.
    let code = "BRK_MT_SETUP_FAIL_NO_POLICY_FOUND";
    let out = common::run(
        &[
            "generate",
            "-n",
            "50",
            "--seed",
            "1",
            "--burst-code",
            code,
            "--burst-every-secs",
            "1",
            "--burst-size",
            "30",
            "--rate",
            "40",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 50, "{} lines", lines.len());
    let bursts = lines.iter().filter(|l| l.contains(code)).count();
    assert!(bursts >= 30, "{bursts} lines carry {code}");

    // Burst flags without an interval are a mistake, not a silent no-op.
    let out = common::run(&["generate", "-n", "1", "--burst-code", code], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("--burst-every-secs"));
}

#[test]
fn generate_spreads_a_burst_over_time_and_delays_the_first() {
    // 25 paced records at 10/s take 2.4 s. The first burst starts at 1 s and spreads 10 records
    // over 1 s.
    let code = "ZZZ_SPREAD_BURST_TEST";
    let out = common::run(
        &[
            "generate",
            "-n",
            "25",
            "--rate",
            "10",
            "--seed",
            "3",
            "--log-type",
            "user_status",
            "--burst-code",
            code,
            "--burst-every-secs",
            "100",
            "--burst-first-secs",
            "1",
            "--burst-size",
            "10",
            "--burst-spread-secs",
            "1",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 35, "{text}");
    let at: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(code))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 10, "{text}");
    // Paced records are due every 100 ms and burst records every 100 ms from 1 s: they
    // alternate from about the 11th paced record on (a stalled machine may bunch a few), instead
    // of coming as one block.
    let (first, last) = (at[0], at[9]);
    assert!(
        first >= 9,
        "burst starts too early, at line {first}: {at:?}"
    );
    assert!(
        last - first + 1 - at.len() >= 5,
        "burst records not spread among the paced ones: {at:?}"
    );

    // A spread longer than the interval would let bursts overlap.
    let out = common::run(
        &[
            "generate",
            "-n",
            "1",
            "--burst-every-secs",
            "10",
            "--burst-spread-secs",
            "11",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out)
            .contains("--burst-spread-secs 11 is longer than --burst-every-secs 10"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn generate_honours_log_types_and_ratios() {
    let out = common::run(
        &[
            "generate",
            "-n",
            "400",
            "--seed",
            "9",
            "--log-type",
            "user_status",
            "--invalid-ratio",
            "0.25",
            "--unknown-ratio",
            "1",
        ],
        b"",
    );
    assert!(out.status.success());
    let enriched = common::run(&["enrich", "--stats", "json"], &out.stdout);
    let stderr = common::stderr(&enriched);
    let summary: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    let invalid = summary["invalid"].as_u64().unwrap();
    assert!((50..=150).contains(&invalid), "{summary}");
    let types = summary["log_types"].as_object().unwrap();
    assert_eq!(
        types.keys().collect::<Vec<_>>(),
        vec!["user_status"],
        "{summary}"
    );
    // Unknown codes are only put into User Activity records.
    assert_eq!(summary["unknown_code"], 0);
}

#[test]
fn a_stop_signal_ends_an_endless_run_after_a_whole_line() {
    for sig in ["TERM", "INT"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("endless.jsonl");
        let child = common::bin()
            .args(["generate", "-n", "0", "-o", path.to_str().unwrap()])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until a good amount is written, so the signal lands mid-stream.
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::fs::metadata(&path).map_or(0, |m| m.len()) < 4 << 20 {
            assert!(Instant::now() < deadline, "nothing written");
            std::thread::sleep(Duration::from_millis(20));
        }
        let killed = std::process::Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "SIG{sig}: {}", common::stderr(&out));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with('\n'), "SIG{sig}: the last line is cut");
        for line in text.lines() {
            serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("SIG{sig}: {e}: {line}"));
        }
    }
}

#[test]
fn kafka_options_without_a_topic_bad_topic_names_and_fractions_are_usage_errors() {
    for (args, needle) in [
        (
            &["generate", "-n", "1", "--compression", "zstd"][..],
            "--topic <TOPIC>",
        ),
        (
            &["generate", "-n", "1", "--key-field", "User"],
            "--topic <TOPIC>",
        ),
        (
            &["generate", "--brokers", "127.0.0.1:9", "--topic", "zpa raw"],
            "\"zpa raw\" is not a valid topic name",
        ),
        (
            &["generate", "--rate", "0.5"],
            "'0.5' for '--rate <RATE>': \"0.5\" is not a whole number",
        ),
    ] {
        let out = common::run(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = common::stderr(&out);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
