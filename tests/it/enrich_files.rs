//! `zpa-enricher enrich` and its files and streams: one file named twice is refused, rejects
//! are appended, errors name the file, a live stream is not held back, a byte order mark is
//! skipped, and hostile unknown codes reach the terminal and the log only escaped and cut short.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::common;

const KNOWN: &str = r#"{"InternalReason":"BRK_MT_RESET_FROM_SERVER","ConnectionStatus":"close"}"#;
const STATUS: &str = r#"{"Username":"a@acme.example","SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#;

fn records(n: usize) -> String {
    (0..n).map(|_| format!("{KNOWN}\n")).collect()
}

#[test]
fn one_file_named_twice_is_refused_and_left_intact() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let other = dir.path().join("other.jsonl");
    let content = format!("{}not json\n", records(50));
    fs::write(&input, &content).unwrap();
    let i = input.to_str().unwrap();
    let o = other.to_str().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (
            &["enrich", "-i", i, "-o", i],
            "the output {i} is the same file as the input",
        ),
        (
            &["enrich", "-i", i, "--on-invalid", "reject", "--rejects", i],
            "the rejects file {i} is the same file as the input",
        ),
        (
            &[
                "enrich",
                "-i",
                i,
                "-o",
                o,
                "--on-invalid",
                "reject",
                "--rejects",
                o,
            ],
            "the rejects file {o} is the same file as the output",
        ),
    ];
    for (args, message) in cases {
        let out = common::run(args, b"");
        let stderr = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let message = message.replace("{i}", i).replace("{o}", o);
        assert!(stderr.contains(&message), "{args:?}: {stderr}");
        assert_eq!(fs::read_to_string(&input).unwrap(), content, "{args:?}");
    }

    // Standard output redirected into the input file (appending, so the shell keeps it).
    let out = common::bin()
        .args(["enrich"])
        .stdin(fs::File::open(&input).unwrap())
        .stdout(fs::OpenOptions::new().append(true).open(&input).unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("standard output is the same file as the input"),
        "{}",
        common::stderr(&out)
    );
    assert_eq!(fs::read_to_string(&input).unwrap(), content);
}

#[test]
fn rejects_are_appended_to_what_the_file_held() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    fs::write(&rejects, "kept from an earlier run\n").unwrap();
    let r = rejects.to_str().unwrap();
    let args = ["enrich", "--on-invalid", "reject", "--rejects", r];
    let out = common::run(&args, format!("{KNOWN}\n{{\"cut\nnot json\n").as_bytes());
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out).lines().count(), 1);
    let out = common::run(&args, b"[1]\n");
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(
        fs::read_to_string(&rejects).unwrap(),
        "kept from an earlier run\n{\"cut\nnot json\n[1]\n"
    );
}

#[test]
fn a_rejects_file_without_the_reject_policy_or_named_dash_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    for policy in [
        &[][..],
        &["--on-invalid", "pass"],
        &["--on-invalid", "fail"],
    ] {
        let mut args = vec!["enrich", "--rejects", rejects.to_str().unwrap()];
        args.extend_from_slice(policy);
        let out = common::run(&args, b"not json\n");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            common::stderr(&out).contains("--on-invalid reject"),
            "{}",
            common::stderr(&out)
        );
        assert!(out.stdout.is_empty());
        assert!(!rejects.exists());
    }
    // "-" is no file: standard output carries the records.
    let out = common::bin()
        .current_dir(dir.path())
        .args(["enrich", "--on-invalid", "reject", "--rejects", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("--rejects needs a file"),
        "{}",
        common::stderr(&out)
    );
    assert!(!dir.path().join("-").exists());
    // Nor is the output's own pipe (the rejects would be mixed into the records).
    let out = common::run(
        &[
            "enrich",
            "--on-invalid",
            "reject",
            "--rejects",
            "/dev/stdout",
        ],
        b"not json\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out)
            .contains("the rejects file /dev/stdout is the same file as the output"),
        "{}",
        common::stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn io_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = common::run(&["enrich", "-i", d], b"");
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains(&format!("cannot open input {d}: is a directory")),
        "{stderr}"
    );

    if std::path::Path::new("/dev/full").exists() {
        let out = common::run(&["enrich", "-o", "/dev/full"], records(10).as_bytes());
        assert_eq!(out.status.code(), Some(1));
        let stderr = common::stderr(&out);
        assert!(stderr.contains("writing output /dev/full: "), "{stderr}");
    }
}

#[test]
fn output_discarded_by_a_supervisor_is_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    fs::write(&input, records(3)).unwrap();
    let i = input.to_str().unwrap();
    // Python opens /dev/null for reading and writing, as the Rust runtime does for a stream
    // closed at start: a script that discards the output gets a success.
    let script = r#"
import subprocess, sys
r = subprocess.run([sys.argv[1], "enrich", "-i", sys.argv[2]],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sys.stderr.write(r.stderr.decode())
sys.exit(r.returncode)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, env!("CARGO_BIN_EXE_zpa-enricher"), i])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "enrich with subprocess.DEVNULL output should succeed: {:?} {}",
        out.status,
        common::stderr(&out)
    );
    // Input from subprocess.DEVNULL is an empty input, not a refusal.
    let script = r#"
import subprocess, sys
r = subprocess.run([sys.argv[1], "enrich"], stdin=subprocess.DEVNULL, capture_output=True)
sys.stdout.write(r.stdout.decode())
sys.exit(r.returncode)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, env!("CARGO_BIN_EXE_zpa-enricher")])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "enrich with subprocess.DEVNULL input should read nothing and succeed: {:?} {}",
        out.status,
        common::stderr(&out)
    );
    // Shell redirections to /dev/null, and streams closed at start (which the runtime reopens
    // on /dev/null), alike.
    let output = dir.path().join("out.jsonl");
    let o = output.to_str().unwrap();
    for (args, redirect) in [
        (&["enrich", "-i", i][..], "> /dev/null"),
        (&["enrich", "-i", i], ">&-"),
        (&["enrich", "-i", i], "1<>/dev/null"),
        (&["enrich", "-o", o], "< /dev/null"),
        (&["enrich", "-i", i, "-o", o], "<&- >&-"),
    ] {
        let out = common::run_redirected(args, redirect);
        assert!(
            out.status.success(),
            "{args:?} {redirect}: {}",
            common::stderr(&out)
        );
    }
    assert_eq!(fs::read_to_string(&output).unwrap().lines().count(), 3);
}

#[test]
fn a_closed_stderr_pipe_ends_nothing_early() {
    // Warnings (one per invalid line) and the summary meet a broken pipe; the records are all
    // written all the same, and the run ends as after `| head`.
    let mut child = common::bin()
        .args(["enrich"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let input = format!("{}not json\n{}not json either\n", records(5), records(5));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = common::stdout(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 12);
    assert_eq!((lines[5], lines[11]), ("not json", "not json either"));
    assert!(lines[10].contains(r#""enrichment":{"code":"BRK_MT_RESET_FROM_SERVER""#));
}

#[test]
fn a_live_stream_is_written_while_the_input_waits() {
    let mut child = common::bin()
        .args(["enrich", "--stats", "none"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    // Two records, and the input stays open: both must come out before more input or its end.
    write!(stdin, "{KNOWN}\n{STATUS}\n").unwrap();
    stdin.flush().unwrap();
    for expected in ["BRK_MT_RESET_FROM_SERVER", "ZPN_STATUS_AUTH_FAILED"] {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("an enriched line while the input is still open");
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["enrichment"]["code"], expected);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
    assert!(rx.try_recv().is_err(), "nothing after the two records");
}

#[test]
fn a_byte_order_mark_before_the_first_record_is_skipped() {
    let input = format!("\u{feff}{KNOWN}\n{KNOWN}\n");
    let out = common::run(&["enrich", "--stats", "json"], input.as_bytes());
    assert!(out.status.success(), "{}", common::stderr(&out));
    let stdout = common::stdout(&out);
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            v["enrichment"]["code"], "BRK_MT_RESET_FROM_SERVER",
            "{line}"
        );
    }
    assert!(!stdout.starts_with('\u{feff}'));
    // Only the start of the input is a byte order mark's place; later it is invalid.
    let out = common::run(
        &["enrich"],
        format!("{KNOWN}\n\u{feff}{KNOWN}\n").as_bytes(),
    );
    assert!(common::stderr(&out).contains("line 2: invalid record"));
}

#[test]
fn hostile_unknown_codes_are_escaped_and_cut_short_on_stderr() {
    let forged = "BRK_X\n2026-11-25T00:00:00Z  WARN forged line\u{1b}[31m";
    let huge = "Z".repeat(500_000);
    let input = format!(
        "{}\n{}\n",
        serde_json::json!({ "InternalReason": forged }),
        serde_json::json!({ "InternalReason": huge })
    );
    let out = common::run(&["enrich"], input.as_bytes());
    assert!(out.status.success(), "{}", common::stderr(&out));
    let stderr = common::stderr(&out);
    assert!(
        !stderr.contains('\u{1b}'),
        "raw escape on stderr: {stderr:?}"
    );
    assert!(
        !stderr
            .lines()
            .any(|l| l.starts_with("2026-11-25T00:00:00Z")),
        "a forged log line: {stderr}"
    );
    assert!(stderr.contains("BRK_X\\n2026"), "{stderr}");
    // The 500 kB code is shown (and kept) by its first 128 bytes only.
    assert!(stderr.len() < 64 * 1024, "stderr is {} bytes", stderr.len());
    assert!(
        stderr.contains(&format!("{}…", "Z".repeat(128))),
        "{stderr}"
    );
    // The records themselves keep their codes unchanged.
    let stdout = common::stdout(&out);
    let codes: Vec<String> = stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["enrichment"]["code"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(codes, [forged.to_owned(), huge]);
}
