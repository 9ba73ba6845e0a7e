//! CSV, TSV and custom-template lines: converted to JSON objects with the LSS field names,
//! keyed and labelled as JSON lines are, over mutual TLS as over plain TCP; lines that do not
//! fit their listener's format are dead-lettered with the reader's reason.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::collections::HashMap;
use std::net::SocketAddr;

use rdkafka::Message;
use rdkafka::message::OwnedMessage;
use zpa_enricher::event::{LineFormat, LineReader};

use super::super::support::{
    Client, Pki, Receive, Spec, T, Topics, header_text, headers, tls_client,
};
use crate::common;
use crate::common::kafka::{consume, consume_settled, free_port, shared_broker};

/// What a record in the raw topic is made of: payload, key, log type and format headers.
type Seen = (Vec<u8>, Option<Vec<u8>>, String, String);

/// The lines of a pinned `generate` run in `template`.
fn generated(n: usize, template: &str) -> Vec<Vec<u8>> {
    let n = n.to_string();
    let out = common::run(
        &[
            "generate",
            "-n",
            &n,
            "--seed",
            "17",
            "--start",
            "2026-11-25T08:00:00Z",
            "--template",
            template,
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    out.stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// What the receiver must make of `lines`: each read by the core's reader, as a sorted list.
fn expected(lines: &[Vec<u8>]) -> Vec<Seen> {
    let reader = LineReader::new(LineFormat::Auto, None);
    let mut all: Vec<Seen> = lines
        .iter()
        .map(|line| {
            let mut out = Vec::new();
            let l = reader.read(line, &mut out).unwrap();
            let key = l.key.map(|r| out[r].to_vec());
            (
                out,
                key,
                l.log_type.as_str().to_owned(),
                l.format.as_str().to_owned(),
            )
        })
        .collect();
    all.sort();
    all
}

fn seen(messages: &[OwnedMessage]) -> Vec<Seen> {
    let mut all: Vec<Seen> = messages
        .iter()
        .map(|m| {
            let h = headers(m);
            (
                m.payload().unwrap().to_vec(),
                m.key().map(<[u8]>::to_vec),
                h["zpa.log_type"].clone(),
                h["zpa.receive.format"].clone(),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn csv_and_tsv_lines_over_mutual_tls_arrive_as_json_objects() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-csv-tsv", 2);
    let pki = Pki::new("Enrollment CA");
    let mut spec = Spec::new(&topics).arg("--format").arg("auto");
    for f in pki.flags() {
        spec = spec.arg(f);
    }
    let r = Receive::start(&spec);
    let n = 150;
    let json = generated(n, "json");
    let csv = generated(n, "csv");
    let tsv = generated(n, "tsv");
    assert!(
        csv.iter()
            .all(|l| l.starts_with(b"{") || l.windows(9).any(|w| w == b" zpa-lss:")),
        "the generator writes LSS CSV lines"
    );

    // CSV from a client of the test, TSV from the generator as an App Connector streams it.
    let connector = pki.issue("connector-1", &["connector-1"]);
    let mut client = Client::tls(r.addr, tls_client(&pki.ca_pem(), Some(&connector)));
    client.send(&csv.join(&b'\n')).unwrap();
    client.send(b"\n").unwrap();
    client.close();
    pki.write("client.pem", &connector.cert);
    pki.write("client.key", &connector.key);
    let out = common::run(
        &[
            "generate",
            "-n",
            &n.to_string(),
            "--seed",
            "17",
            "--start",
            "2026-11-25T08:00:00Z",
            "--template",
            "tsv",
            "--tcp",
            &r.addr.to_string(),
            "--tls-ca",
            pki.path("ca.pem").to_str().unwrap(),
            "--tls-cert",
            pki.path("client.pem").to_str().unwrap(),
            "--tls-key",
            pki.path("client.key").to_str().unwrap(),
            "--tls-server-name",
            "localhost",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));

    let raw = consume(&topics.raw, 2 * n, T);
    assert_eq!(raw.len(), 2 * n, "records in the raw topic:\n{}", r.log());
    let mut want = expected(&csv);
    want.extend(expected(&tsv));
    want.sort();
    assert_eq!(seen(&raw), want, "each line as the core reads it");

    // The objects carry the generated records' values under the LSS names and types.
    let mut compared = 0;
    for (line, original) in csv.iter().chain(&tsv).zip(json.iter().chain(&json)) {
        let (read, key, log_type, _) = expected(std::slice::from_ref(line)).remove(0);
        if log_type != "user_activity" {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&read).unwrap();
        let original: serde_json::Value = serde_json::from_slice(original).unwrap();
        for field in [
            "ConnectionID",
            "SessionID",
            "InternalReason",
            "ServerPort",
            "ZENTotalBytesRxClient",
            "Host",
        ] {
            assert_eq!(v[field], original[field], "{field} of {v}");
        }
        assert_eq!(
            key.as_deref(),
            original["SessionID"].as_str().map(str::as_bytes)
        );
        compared += 1;
    }
    assert!(compared > n, "User Activity dominates the mix: {compared}");

    let listener = format!("listener=\"{}\"", r.addr);
    for format in ["csv", "tsv"] {
        let got = raw
            .iter()
            .filter(|m| header_text(m, "zpa.receive.format").as_deref() == Some(format))
            .count();
        assert!(got > n / 2, "{format}: {got}");
    }
    assert!(
        raw.iter()
            .all(|m| header_text(m, "zpa.receive.client_subject").as_deref()
                == Some("CN=connector-1,O=Example"))
    );
    assert_eq!(r.metric("zpa_enricher_receive_parse_failures_total"), 0.0);
    assert_eq!(
        r.metric(&format!(
            "zpa_enricher_receive_connections_total{{{listener}}}"
        )),
        2.0
    );
    let (status, log) = r.stop();
    assert_eq!(status.code(), Some(0), "{log}");
}

#[test]
fn listeners_with_a_fixed_format_or_a_custom_template_read_only_their_lines() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-template", 1);
    let custom: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let csv_only: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("receive.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[receive.listeners]]
name = "status-custom"
addr = "{custom}"
log_type = "user_status"
template = "%s{{LogTimestamp:time}} status %s{{SessionID}} %s{{SessionStatus}} user=%s{{Username}} count=%d{{TotalBytesRx}}\n"

[[receive.listeners]]
name = "activity-csv"
addr = "{csv_only}"
log_type = "user_activity"
format = "csv"
"#
        ),
    )
    .unwrap();
    let r = Receive::start(&Spec::new(&topics).config(&config));

    let mut c = Client::plain(custom);
    c.send(
        b"Wed Dec  1 10:38:41 2021 status s-1 ZPN_STATUS_AUTHENTICATED user=a@example.com count=12\n\
          Wed Dec  1 10:38:42 2021 status s-2 ZPN_STATUS_DISCONNECTED user=b@example.com count=x\n\
          something else entirely\n",
    )
    .unwrap();
    c.close();
    let csv = generated(40, "csv");
    let activity: Vec<&Vec<u8>> = csv
        .iter()
        .filter(|l| l.windows(23).any(|w| w == b"User Activity zpa-lss: "))
        .collect();
    assert!(!activity.is_empty());
    let mut c = Client::plain(csv_only);
    c.send(&activity[0][..]).unwrap();
    c.send(b"\n{\"SessionID\":\"j\",\"ConnectionStatus\":\"open\"}\n")
        .unwrap();
    c.close();

    let raw = consume_settled(&topics.raw, 2, T, std::time::Duration::from_secs(1));
    assert_eq!(raw.len(), 2, "{}", r.log());
    let by_listener: HashMap<String, &OwnedMessage> = raw
        .iter()
        .map(|m| (header_text(m, "zpa.receive.listener").unwrap(), m))
        .collect();
    let status = by_listener["status-custom"];
    let v: serde_json::Value = serde_json::from_slice(status.payload().unwrap()).unwrap();
    assert_eq!(v["SessionStatus"], "ZPN_STATUS_AUTHENTICATED");
    assert_eq!(v["Username"], "a@example.com");
    assert_eq!(v["TotalBytesRx"], 12, "a %d field is a JSON number");
    assert_eq!(status.key(), Some(&b"s-1"[..]));
    let h = headers(status);
    assert_eq!(
        (h["zpa.log_type"].as_str(), h["zpa.receive.format"].as_str()),
        ("user_status", "custom")
    );
    let activity_record = by_listener["activity-csv"];
    assert_eq!(
        header_text(activity_record, "zpa.receive.format").as_deref(),
        Some("csv")
    );

    let dlq = consume(&topics.dlq, 3, T);
    assert_eq!(dlq.len(), 3, "{}", r.log());
    let reasons: HashMap<(String, String), &OwnedMessage> = dlq
        .iter()
        .map(|m| {
            (
                (
                    header_text(m, "zpa.receive.listener").unwrap(),
                    header_text(m, "zpa.error.reason").unwrap(),
                ),
                m,
            )
        })
        .collect();
    let mut keys: Vec<_> = reasons.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys.len(), 3, "{keys:?}");
    for ((listener, reason), m) in &reasons {
        let message = header_text(m, "zpa.error.message").unwrap();
        assert!(!message.is_empty(), "{reason}");
        assert_eq!(
            r.metric(&format!(
                "zpa_enricher_receive_parse_failures_total{{listener=\"{listener}\",reason=\"{reason}\"}}"
            )),
            1.0,
            "{listener} {reason}"
        );
    }
    let custom_reasons: Vec<&str> = keys
        .iter()
        .filter(|(l, _)| l == "status-custom")
        .map(|(_, r)| r.as_str())
        .collect();
    assert_eq!(custom_reasons.len(), 2, "{keys:?}");
    assert!(custom_reasons.contains(&"bad_number"), "{keys:?}");
    assert!(
        keys.iter().any(|(l, _)| l == "activity-csv"),
        "a JSON line on a CSV listener is refused: {keys:?}"
    );
    let (status, log) = r.stop();
    assert_eq!(status.code(), Some(0), "{log}");
}
