//! Lines over plain TCP: every record once with its key and headers, the framing's edges
//! (`\r\n`, over-long and half lines, slow senders), many connections, and the limits.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::time::{Duration, Instant};

use rdkafka::Message;

use super::super::support::{Client, Receive, Spec, T, Topics, header_text, headers, line, seq};
use crate::common::kafka::{consume, shared_broker};

/// A test line and what the receiver must make of it: key and log type.
fn mixed(i: usize) -> (String, Option<String>, &'static str) {
    match i % 10 {
        0 => (
            format!(
                r#"{{"Seq":{i},"ConnectionID":"c-{i}","SessionStatus":"ZPN_STATUS_AUTHENTICATED","Username":"u"}}"#
            ),
            Some(format!("c-{i}")),
            "user_status",
        ),
        1 => (format!(r#"{{"Seq":{i},"Customer":"x"}}"#), None, "unknown"),
        _ => {
            let session = format!("s-{}", i % 7);
            (line(&session, i, 20), Some(session), "user_activity")
        }
    }
}

#[test]
fn plain_json_lines_arrive_once_each_with_key_and_headers() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-plain", 3);
    let r = Receive::start(&Spec::new(&topics));
    let mut client = Client::plain(r.addr);
    let peer = client.local_addr().to_string();
    let n = 300;
    let mut sent = Vec::new();
    let mut bytes = Vec::new();
    for i in 0..n {
        let (text, key, log_type) = mixed(i);
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(if i % 2 == 0 { b"\n" } else { b"\r\n" });
        sent.push((text, key, log_type));
    }
    client.send(&bytes).unwrap();
    client.close();

    let out = consume(&topics.raw, n, T);
    assert_eq!(out.len(), n, "records in the raw topic:\n{}", r.log());
    let mut seen = HashSet::new();
    for m in &out {
        let i = seq(m);
        assert!(seen.insert(i), "record {i} twice");
        let (text, key, log_type) = &sent[i];
        assert_eq!(
            m.payload().unwrap(),
            text.as_bytes(),
            "record {i} unchanged"
        );
        assert_eq!(
            m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
            *key,
            "key of {i}"
        );
        let h = headers(m);
        assert_eq!(h["zpa.receive.listener"], r.addr.to_string());
        assert_eq!(h["zpa.receive.peer"], peer);
        assert_eq!(h["zpa.log_type"], *log_type, "log type of {i}");
        assert_eq!(h["zpa.receive.format"], "json");
        assert!(
            !h.contains_key("zpa.receive.client_subject"),
            "plain TCP has no subject"
        );
    }

    let listener = format!("listener=\"{}\"", r.addr);
    r.wait_metric(
        &format!("zpa_enricher_receive_connections_closed_total{{{listener},reason=\"peer\"}}"),
        1.0,
    );
    let ua = sent.iter().filter(|s| s.2 == "user_activity").count();
    assert_eq!(
        r.metric(&format!(
            "zpa_enricher_receive_records_total{{{listener},log_type=\"user_activity\"}}"
        )),
        ua as f64
    );
    assert_eq!(
        r.metric("zpa_enricher_receive_records_total"),
        n as f64,
        "every line counted once"
    );
    assert_eq!(
        r.metric(&format!("zpa_enricher_receive_bytes_total{{{listener}}}")),
        bytes.len() as f64
    );
    assert_eq!(
        r.metric("zpa_enricher_records_produced_total{destination=\"raw\"}"),
        n as f64
    );
    assert_eq!(r.metric("zpa_enricher_receive_parse_failures_total"), 0.0);
    let (status, log) = r.stop();
    assert_eq!(status.code(), Some(0), "{log}");
}

#[test]
fn over_long_and_half_lines_are_dead_lettered_and_the_connection_goes_on() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-edges", 1);
    let r = Receive::start(
        &Spec::new(&topics)
            .env("RECEIVE__MAX_LINE_BYTES", "1024")
            .env("RECEIVE__DEAD_LETTER_PREFIX_BYTES", "100"),
    );
    let long = line("s-long", 2, 5000);
    let half = r#"{"SessionID":"half","Seq":4"#;
    let mut client = Client::plain(r.addr);
    let input = format!(
        "{}\n{long}\r\n{}\n{{not json}}\n{half}",
        line("s-a", 1, 10),
        line("s-c", 3, 10)
    );
    client.send(input.as_bytes()).unwrap();
    client.close();

    let raw = consume(&topics.raw, 2, T);
    let seqs: Vec<usize> = raw.iter().map(seq).collect();
    assert_eq!(
        seqs,
        [1, 3],
        "the lines around the cut one, in order:\n{}",
        r.log()
    );
    let dlq = consume(&topics.dlq, 3, T);
    assert_eq!(dlq.len(), 3, "{}", r.log());
    let by_reason: HashMap<String, &rdkafka::message::OwnedMessage> = dlq
        .iter()
        .map(|m| (header_text(m, "zpa.error.reason").unwrap(), m))
        .collect();
    let cut = by_reason["line_too_long"];
    assert_eq!(cut.payload().unwrap(), &long.as_bytes()[..100]);
    assert!(
        header_text(cut, "zpa.error.message")
            .unwrap()
            .contains("1024"),
        "the message names the limit"
    );
    assert_eq!(
        by_reason["not_json"].payload().unwrap(),
        b"{not json}".as_slice()
    );
    assert_eq!(
        by_reason["partial_line"].payload().unwrap(),
        half.as_bytes()
    );
    for m in &dlq {
        let h = headers(m);
        assert_eq!(h["zpa.receive.listener"], r.addr.to_string());
        assert_eq!(h["zpa.log_type"], "unknown", "no log type configured");
        assert!(h["zpa.error.time"].ends_with('Z'), "{h:?}");
        assert!(!h["zpa.error.message"].is_empty());
    }
    let listener = format!("listener=\"{}\"", r.addr);
    for reason in ["line_too_long", "not_json", "partial_line"] {
        assert_eq!(
            r.metric(&format!(
                "zpa_enricher_receive_parse_failures_total{{{listener},reason=\"{reason}\"}}"
            )),
            1.0,
            "{reason}"
        );
    }
}

#[test]
fn many_concurrent_connections_deliver_every_line_once() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-many", 3);
    let r = Receive::start(&Spec::new(&topics));
    let (connections, per) = (40, 250);
    let addr = r.addr;
    let writers: Vec<_> = (0..connections)
        .map(|c| {
            std::thread::spawn(move || {
                let mut client = Client::plain(addr);
                let mut bytes = Vec::new();
                for j in 0..per {
                    bytes.extend_from_slice(line(&format!("s-{c}"), c * per + j, 50).as_bytes());
                    bytes.push(b'\n');
                }
                // In pieces, so that the connections interleave.
                for piece in bytes.chunks(4096) {
                    client.send(piece).unwrap();
                }
                client.close();
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let total = connections * per;
    let out = consume(&topics.raw, total, T);
    let seqs: HashSet<usize> = out.iter().map(seq).collect();
    assert_eq!(out.len(), total, "{}", r.log());
    assert_eq!(seqs.len(), total, "every line once");
    r.wait_metric(
        "zpa_enricher_receive_connections_closed_total",
        connections as f64,
    );
    assert_eq!(
        r.metric("zpa_enricher_receive_connections_total"),
        connections as f64
    );
    assert_eq!(r.metric("zpa_enricher_receive_connections_open"), 0.0);
}

#[test]
fn a_slow_sender_writing_lines_in_pieces_loses_nothing() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-slow", 1);
    let r = Receive::start(&Spec::new(&topics));
    let mut client = Client::plain(r.addr);
    client.tcp().set_nodelay(true).unwrap();
    let lines: Vec<String> = (0..20).map(|i| line("s-slow", i, 30)).collect();
    let text = lines.join("\r\n") + "\r\n";
    for piece in text.as_bytes().chunks(13) {
        client.send(piece).unwrap();
        std::thread::sleep(Duration::from_millis(3));
    }
    client.close();
    let out = consume(&topics.raw, lines.len(), T);
    let got: Vec<&[u8]> = out.iter().map(|m| m.payload().unwrap()).collect();
    let want: Vec<&[u8]> = lines.iter().map(String::as_bytes).collect();
    assert_eq!(got, want, "whole lines, in order:\n{}", r.log());
}

/// Waits until `client` is closed by the receiver (a read returns end of file).
fn closed_by_peer(client: &mut Client) -> bool {
    let Client::Plain(s) = client else {
        unreachable!("plain clients only")
    };
    s.set_read_timeout(Some(T)).unwrap();
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(0) | Err(_))
}

#[test]
fn connections_over_a_limit_are_refused_at_once_and_counted() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-limits", 1);
    let r = Receive::start(&Spec::new(&topics).env("RECEIVE__MAX_CONNECTIONS_PER_LISTENER", "2"));
    let listener = format!("listener=\"{}\"", r.addr);
    let mut first = Client::plain(r.addr);
    let second = Client::plain(r.addr);
    r.wait_metric(
        &format!("zpa_enricher_receive_connections_open{{{listener}}}"),
        2.0,
    );
    let mut third = Client::plain(r.addr);
    let refused_peer = third.local_addr().to_string();
    assert!(closed_by_peer(&mut third), "the third connection is closed");
    r.wait_metric(
        &format!(
            "zpa_enricher_receive_connections_refused_total{{{listener},reason=\"listener_limit\"}}"
        ),
        1.0,
    );
    assert!(
        r.log().contains(&refused_peer),
        "the refusal is logged with the peer's address:\n{}",
        r.log()
    );
    // Room again once one closes.
    second.close();
    let deadline = Instant::now() + T;
    while r.metric(&format!(
        "zpa_enricher_receive_connections_open{{{listener}}}"
    )) > 1.0
    {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut fourth = Client::plain(r.addr);
    fourth
        .send(format!("{}\n", line("s-4", 4, 1)).as_bytes())
        .unwrap();
    first
        .send(format!("{}\n", line("s-1", 1, 1)).as_bytes())
        .unwrap();
    fourth.close();
    first.close();
    let out = consume(&topics.raw, 2, T);
    let seqs: HashSet<usize> = out.iter().map(seq).collect();
    assert_eq!(seqs, HashSet::from([1, 4]));
    drop(r);

    // The limit of all listeners together.
    let r = Receive::start(&Spec::new(&topics).env("RECEIVE__MAX_CONNECTIONS", "1"));
    let listener = format!("listener=\"{}\"", r.addr);
    let _one = Client::plain(r.addr);
    r.wait_metric(
        &format!("zpa_enricher_receive_connections_open{{{listener}}}"),
        1.0,
    );
    let mut two = Client::plain(r.addr);
    assert!(closed_by_peer(&mut two));
    r.wait_metric(
        &format!(
            "zpa_enricher_receive_connections_refused_total{{{listener},reason=\"total_limit\"}}"
        ),
        1.0,
    );
}

#[test]
fn an_idle_connection_is_closed_and_its_half_line_dead_lettered() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-idle", 1);
    let r = Receive::start(&Spec::new(&topics).env("RECEIVE__IDLE_TIMEOUT_SECS", "1"));
    let mut client = Client::plain(r.addr);
    client.send(b"{\"SessionID\":\"idle\"").unwrap();
    assert!(closed_by_peer(&mut client), "closed when idle");
    let listener = format!("listener=\"{}\"", r.addr);
    r.wait_metric(
        &format!(
            "zpa_enricher_receive_connections_closed_total{{{listener},reason=\"idle_timeout\"}}"
        ),
        1.0,
    );
    let dlq = consume(&topics.dlq, 1, T);
    assert_eq!(dlq.len(), 1, "{}", r.log());
    assert_eq!(
        header_text(&dlq[0], "zpa.error.reason").as_deref(),
        Some("partial_line")
    );
    assert_eq!(dlq[0].payload().unwrap(), b"{\"SessionID\":\"idle\"");
}

#[test]
fn a_record_too_large_for_kafka_becomes_a_dead_letter_with_its_first_bytes() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-too-large", 1);
    let r = Receive::start(
        &Spec::new(&topics)
            .env("KAFKA__PRODUCER_LIBRDKAFKA__MESSAGE_MAX_BYTES", "2000")
            .env("RECEIVE__DEAD_LETTER_PREFIX_BYTES", "100"),
    );
    let big = line("s-big", 1, 5000);
    let mut client = Client::plain(r.addr);
    client
        .send(format!("{big}\n{}\n", line("s-small", 2, 10)).as_bytes())
        .unwrap();
    client.close();
    let raw = consume(&topics.raw, 1, T);
    assert_eq!(raw.iter().map(seq).collect::<Vec<_>>(), [2], "{}", r.log());
    let dlq = consume(&topics.dlq, 1, T);
    assert_eq!(dlq.len(), 1, "{}", r.log());
    assert_eq!(dlq[0].payload().unwrap(), &big.as_bytes()[..100]);
    let h = headers(&dlq[0]);
    assert_eq!(h["zpa.error.reason"], "too_large");
    assert_eq!(
        h["zpa.receive.listener"],
        r.addr.to_string(),
        "the record's headers stay"
    );
    assert_eq!(
        dlq[0].key().map(<[u8]>::to_vec),
        Some(b"s-big".to_vec()),
        "and its key"
    );
}
