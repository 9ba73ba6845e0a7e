//! Shared helpers for the integration tests: run the real binary, find fixtures.

#![allow(dead_code, unreachable_pub)]

pub mod cim;
pub mod ecs;
pub mod http;
pub mod kafka;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The compiled `zpa-enricher` binary, with a clean environment: no `ZPA_ENRICHER__*`
/// variables or `RUST_LOG` from the caller leak into a test.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zpa-enricher"));
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// Runs the binary with `args`, feeding `stdin`.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    run_with(bin().args(args), stdin)
}

/// Runs a prepared command, feeding `stdin`.
pub fn run_with(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn zpa-enricher");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The binary may exit early (e.g. on a bad flag); a broken pipe is fine then.
        input.write_all(&data).ok();
    });
    let out = child.wait_with_output().expect("wait for zpa-enricher");
    writer.join().expect("stdin writer");
    out
}

/// Runs the binary with `args` through `sh`, with the shell redirection `redirect` applied to it
/// (`>&-` starts it with standard output closed); stderr is captured.
pub fn run_redirected(args: &[&str], redirect: &str) -> Output {
    let mut cmd = Command::new("sh");
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.arg("-c")
        .arg(format!("exec \"$0\" \"$@\" {redirect}"))
        .arg(env!("CARGO_BIN_EXE_zpa-enricher"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run zpa-enricher through sh")
}

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parses RFC 4180 CSV (quoted cells, doubled quotes, CRLF or LF rows).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}
