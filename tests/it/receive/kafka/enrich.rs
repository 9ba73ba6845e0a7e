//! `receive --enrich`: each record also goes through the enrichment core to the output topic,
//! or to the dead-letter topic when it cannot be enriched, as `run` sends it.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::collections::HashMap;

use rdkafka::Message;
use serde_json::Value;

use super::super::support::{Client, Receive, Spec, T, Topics, header_text, headers};
use crate::common;
use crate::common::kafka::{consume, shared_broker};

#[test]
fn enrich_writes_enriched_records_and_dead_letters() {
    let _broker = shared_broker();
    let topics = Topics::new("recv-enrich", 2);
    let r = Receive::start(&Spec::new(&topics).arg("--enrich"));
    let known =
        std::fs::read_to_string(common::fixture("events/user_activity_policy_block.json")).unwrap();
    let known = known.trim_end();
    let unknown =
        r#"{"SessionID":"s-2","InternalReason":"NOT_A_CODE_AT_ALL","ConnectionStatus":"close"}"#;
    // Readable, but its own `enrichment` key would be overwritten: not enriched.
    let conflict = r#"{"SessionID":"s-3","InternalReason":"X","ConnectionStatus":"close","enrichment":"mine"}"#;
    let mut client = Client::plain(r.addr);
    client
        .send(format!("{known}\n{unknown}\n{{not json}}\n{conflict}\n").as_bytes())
        .unwrap();
    client.close();

    let raw = consume(&topics.raw, 3, T);
    assert_eq!(raw.len(), 3, "the JSON lines, raw:\n{}", r.log());
    let output = consume(&topics.output, 2, T);
    assert_eq!(output.len(), 2, "{}", r.log());
    let by_session: HashMap<String, Value> = output
        .iter()
        .map(|m| {
            let v: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            (v["SessionID"].as_str().unwrap().to_owned(), v)
        })
        .collect();
    let policy = &by_session["8l3JxEaRVXvSqX0yFAWm"];
    assert_eq!(
        policy["InternalReason"],
        "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY"
    );
    assert!(policy["enrichment"]["status"].is_string(), "{policy}");
    assert!(
        by_session["s-2"]["enrichment"].is_object(),
        "an unknown code is enriched as unknown"
    );
    for m in &output {
        let h = headers(m);
        assert_eq!(h["zpa.receive.listener"], r.addr.to_string());
        assert_eq!(h["zpa.log_type"], "user_activity");
        assert!(m.key().is_some(), "keyed by session");
    }

    let dlq = consume(&topics.dlq, 2, T);
    assert_eq!(dlq.len(), 2, "{}", r.log());
    let by_reason: HashMap<String, &rdkafka::message::OwnedMessage> = dlq
        .iter()
        .map(|m| (header_text(m, "zpa.error.reason").unwrap(), m))
        .collect();
    assert_eq!(
        by_reason["not_json"].payload().unwrap(),
        b"{not json}".as_slice()
    );
    let invalid = by_reason["key_conflict"];
    assert_eq!(invalid.payload().unwrap(), conflict.as_bytes());
    assert!(header_text(invalid, "zpa.error.offset").is_some());
    assert_eq!(
        header_text(invalid, "zpa.receive.format").as_deref(),
        Some("json")
    );

    r.wait_metric(
        "zpa_enricher_records_produced_total{destination=\"output\"}",
        2.0,
    );
    assert_eq!(r.metric("zpa_enricher_events_total"), 2.0);
    assert_eq!(
        r.metric("zpa_enricher_records_dead_lettered_total{reason=\"key_conflict\"}"),
        1.0
    );
    assert_eq!(
        r.metric(&format!(
            "zpa_enricher_receive_parse_failures_total{{listener=\"{}\",reason=\"not_json\"}}",
            r.addr
        )),
        1.0
    );
    let (status, log) = r.stop();
    assert_eq!(status.code(), Some(0), "{log}");
}
