//! `zpa-enricher demo`: the real binary runs the service against the in-process mock Kafka
//! cluster, prints a summary every second and a final one, and exits 0 after `--duration`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use zpa_enricher::catalog::Catalog;

use crate::common;

/// The longest the demo may take (6 s of traffic, start-up, drain).
const DEADLINE: Duration = Duration::from_secs(90);

/// The numbers of a row such as `  consumed   1406   287   ...`: total, then rate.
fn row(block: &[String], name: &str) -> Option<(u64, String)> {
    let line = block
        .iter()
        .find(|l| l.trim_start().starts_with(name))?
        .trim_start()
        .strip_prefix(name)?;
    let mut words = line.split_whitespace();
    let total = words.next()?.parse().ok()?;
    Some((total, words.next().unwrap_or_default().to_owned()))
}

/// Splits stdout into summary blocks, each starting at a `zpa-enricher demo: live at` or
/// `zpa-enricher demo: final summary at` line (the banner before them is left out).
fn blocks(lines: &[String]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for l in lines {
        if l.starts_with("zpa-enricher demo: live at ")
            || l.starts_with("zpa-enricher demo: final summary at ")
        {
            out.push(Vec::new());
        }
        if let Some(b) = out.last_mut() {
            b.push(l.clone());
        }
    }
    out
}

/// `GET path` over plain HTTP/1.0; the whole response.
fn http_get(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').expect("URL with a path");
    let mut s = TcpStream::connect(host).expect("connect to the metrics endpoint");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").expect("send the request");
    let mut body = String::new();
    s.read_to_string(&mut body).expect("read the response");
    body
}

#[test]
fn demo_runs_the_service_on_a_mock_cluster_and_balances() {
    let mut child = common::bin()
        .args([
            "demo",
            "--duration",
            "6",
            "--rate",
            "500",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn zpa-enricher demo");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).ok();
        text
    });

    // While it runs: the banner names the real metrics port, /metrics answers, and each live
    // block is consistent (nothing is delivered that was not consumed).
    let started = Instant::now();
    let mut lines: Vec<String> = Vec::new();
    let mut url: Option<String> = None;
    let mut scraped: Option<String> = None;
    let status = loop {
        assert!(
            started.elapsed() < DEADLINE,
            "demo still running after {DEADLINE:?}; stdout so far:\n{}",
            lines.join("\n")
        );
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                if url.is_none()
                    && let Some(at) = line.find("metrics at http://")
                {
                    let u = line[at + "metrics at ".len()..]
                        .split([';', ' '])
                        .next()
                        .unwrap()
                        .to_owned();
                    assert!(!u.ends_with(":0/metrics"), "port 0 not resolved: {line}");
                    url = Some(u);
                }
                lines.push(line);
                if scraped.is_none()
                    && let Some(u) = &url
                    && let Some(b) = blocks(&lines).last()
                    && row(b, "consumed").is_some_and(|(n, _)| n > 0)
                {
                    scraped = Some(http_get(u));
                    // The container health check asks the same endpoints.
                    let addr = u
                        .trim_start_matches("http://")
                        .trim_end_matches("/metrics")
                        .to_owned();
                    for endpoint in ["ready", "alive"] {
                        let probe = common::bin()
                            .args(["healthcheck", "--addr", &addr, "--endpoint", endpoint])
                            .output()
                            .expect("run zpa-enricher healthcheck");
                        assert!(
                            probe.status.success(),
                            "healthcheck --endpoint {endpoint}: {probe:?}"
                        );
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break child.wait().expect("wait for the demo");
            }
        }
    };
    reader.join().unwrap();
    let err = err_reader.join().unwrap();
    let out = lines.join("\n");
    assert!(
        status.success(),
        "status {status:?}\nstdout:\n{out}\nstderr:\n{err}"
    );

    let url = url.unwrap_or_else(|| panic!("no metrics URL in the banner:\n{out}"));
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let scraped = scraped.unwrap_or_else(|| panic!("never saw records consumed:\n{out}"));
    assert!(scraped.starts_with("HTTP/1.0 200") || scraped.starts_with("HTTP/1.1 200"));
    assert!(
        scraped.contains("zpa_enricher_records_consumed_total "),
        "{scraped}"
    );

    let all = blocks(&lines);
    let (last, live) = all.split_last().expect("at least one block");
    assert!(
        live.len() >= 3,
        "expected a live block every second:\n{out}"
    );
    for b in live {
        assert!(b[0].contains(": live at "), "{out}");
        let (consumed, _) = row(b, "consumed").expect("consumed row");
        let (produced, _) = row(b, "produced").expect("produced row");
        let (generated, _) = row(b, "generated").expect("generated row");
        assert!(produced <= consumed, "{}", b.join("\n"));
        assert!(consumed <= generated, "{}", b.join("\n"));
    }

    // The final summary.
    assert!(last[0].contains("final summary"), "{out}");
    let (consumed, _) = row(last, "consumed").expect("consumed row");
    let (produced, _) = row(last, "produced").expect("produced row");
    let (dlq, _) = row(last, "dlq").unwrap_or_else(|| panic!("no dlq count:\n{out}"));
    assert!(consumed > 0, "{out}");
    assert!(produced > 0, "{out}");
    let produced_line = last.iter().find(|l| l.contains("produced")).unwrap();
    let output: u64 = produced_line
        .split("output ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no output count: {produced_line}"));
    assert_eq!(output + dlq, consumed, "{out}");
    assert_eq!(produced, consumed, "{out}");
    assert!(
        last.iter().any(|l| l
            == &format!("  check: consumed {consumed} = output {output} + dlq {dlq}: balanced")),
        "{out}"
    );
    assert!(row(last, "unknown codes").is_some(), "{out}");
    let catalog = Catalog::builtin();
    let version = format!("catalog {}", catalog.version());
    assert!(last.iter().any(|l| l.contains(&version)), "{out}");

    // At least one line of a catalog code with its severity and a count.
    let known = last.iter().any(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        w.len() >= 3
            && catalog
                .get(w[1])
                .is_some_and(|e| e.severity.as_str() == w[0])
            && w[2].parse::<u64>().is_ok_and(|n| n > 0)
    });
    assert!(known, "no known code line in the final summary:\n{out}");
}

#[test]
fn demo_refuses_a_bad_metrics_address() {
    let out = common::run(
        &["demo", "--duration", "1", "--metrics-addr", "nowhere"],
        b"",
    );
    assert_eq!(out.status.code(), Some(64), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("metrics.addr"));
}
