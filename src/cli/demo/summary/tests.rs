use std::sync::Arc;

use super::*;
use zpa_enricher::catalog::Catalog;
use zpa_enricher::enrich::{EnrichOptions, Enricher};
use zpa_enricher::event::InvalidReason;
use zpa_enricher::metrics::{Destination, EventCounters, Metrics};

const BLOCK: &str =
    r#"{"InternalReason":"BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY","ConnectionStatus":"close"}"#;
const FD: &str = r#"{"InternalReason":"AST_MT_SETUP_ERR_NO_SYSTEM_FD","ConnectionStatus":"close"}"#;
const CLOSE: &str = r#"{"InternalReason":"","ConnectionStatus":"close"}"#;
const UNKNOWN: &str = r#"{"InternalReason":"BRK_MT_NEW_THING","ConnectionStatus":"close"}"#;
const STATUS: &str = r#"{"SessionStatus":"ZPN_STATUS_AUTHENTICATED","Connector":"c1"}"#;
const NONE: &str = r#"{"SessionStatus":""}"#;

/// A registry as the service fills it: `records` enriched and delivered to the output,
/// plus `dlq` dead letters.
fn metrics_after(records: &[&str], dlq: u64) -> Metrics {
    let m = Metrics::new("x").unwrap();
    let catalog = Arc::new(Catalog::builtin());
    m.catalog_loaded(&catalog);
    let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
    let mut counters = EventCounters::new(&m, catalog, Severity::Medium);
    let mut out = Vec::new();
    for r in records {
        m.record_consumed();
        counters.count(&enricher.enrich(r.as_bytes(), &mut out));
        m.record_produced(Destination::Output);
    }
    for _ in 0..dlq {
        m.record_consumed();
        m.record_invalid(InvalidReason::NotJson);
        m.record_dead_lettered(InvalidReason::NotJson);
        m.record_produced(Destination::Dlq);
    }
    m.unknown_code_seen_count(1);
    m.set_in_flight(2);
    m.set_assigned_partitions(3);
    m
}

fn frame(last: bool) -> Frame<'static> {
    Frame {
        title: if last { "final summary" } else { "live" },
        elapsed: Duration::from_secs(4),
        metrics_url: "http://127.0.0.1:9464/metrics",
        top: 2,
        last,
    }
}

#[test]
fn snapshot_reads_the_service_counters() {
    let records = [BLOCK, BLOCK, BLOCK, FD, CLOSE, UNKNOWN, STATUS, NONE];
    let m = metrics_after(&records, 2);
    let s = Snapshot::from_families(&m.registry().gather());
    assert_eq!(s.consumed, 10);
    assert_eq!((s.produced_output, s.produced_dlq), (8, 2));
    assert!(s.balanced());
    assert_eq!(s.invalid, 2);
    assert_eq!(
        s.dead_lettered,
        BTreeMap::from([("not_json".to_owned(), 2)])
    );
    assert_eq!((s.unknown, s.unknown_distinct, s.no_code), (1, 1, 1));
    assert_eq!((s.in_flight, s.assigned_partitions), (2, 3));
    assert!(!s.paused);
    assert_eq!(
        s.catalog_version.as_deref(),
        Some(Catalog::builtin().version())
    );
    assert_eq!(
        s.codes["BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY"],
        CodeCount {
            severity: Severity::Medium,
            count: 3
        }
    );
    assert_eq!(
        s.codes["AST_MT_SETUP_ERR_NO_SYSTEM_FD"].severity,
        Severity::Critical
    );
    assert_eq!(s.codes["close"].severity, Severity::Info);
    assert_eq!(s.codes["ZPN_STATUS_AUTHENTICATED"].count, 1);
    assert!(!s.codes.contains_key(UNKNOWN_CODE_LABEL));
    assert!(!s.codes.contains_key(NO_CODE_LABEL));
}

#[test]
fn empty_registry_reads_as_zero() {
    assert_eq!(Snapshot::from_families(&[]), Snapshot::default());
    let s = Snapshot::from_families(&Metrics::new("x").unwrap().registry().gather());
    assert_eq!(s.consumed, 0);
    assert!(s.codes.is_empty());
    assert_eq!(s.catalog_version, None);
    assert!(s.balanced());
}

#[test]
fn live_block_shows_rates_and_top_codes_by_severity() {
    let prev = Snapshot::from_families(&metrics_after(&[BLOCK, CLOSE], 0).registry().gather());
    let mut now = Snapshot::from_families(
        &metrics_after(&[BLOCK, BLOCK, BLOCK, FD, CLOSE, STATUS], 1)
            .registry()
            .gather(),
    );
    now.generated = 9;
    let text = render(&now, &prev, Duration::from_secs(2), &frame(false));
    assert!(
        text.starts_with("zpa-enricher demo: live at 4 s\n"),
        "{text}"
    );
    assert!(
        text.contains("metrics http://127.0.0.1:9464/metrics"),
        "{text}"
    );
    assert!(text.contains("catalog 2026.12.0"), "{text}");
    let line = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line:\n{text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    // consumed 7, previously 2, over 2 s: 2.5 per second.
    assert_eq!(line("consumed")[1..3], ["7", "2.5"]);
    assert_eq!(line("generated")[1..3], ["9", "4.5"]);
    assert_eq!(line("produced")[1..3], ["7", "2.5"]);
    assert_eq!(line("in flight")[2], "2");
    assert_eq!(line("dlq")[1..4], ["1", "0.5", "not_json"]);
    // Most severe first; at most `top` per severity.
    let codes: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("top codes by severity"))
        .skip(2)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "AST_MT_SETUP_ERR_NO_SYSTEM_FD",
            "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY",
            "ZPN_STATUS_AUTHENTICATED",
            "close"
        ],
        "{text}"
    );
    assert_eq!(
        line("medium")[1..],
        ["BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY", "3", "1.0"]
    );
    assert!(!text.contains("check:"), "{text}");
}

#[test]
fn final_block_checks_the_balance() {
    let now = Snapshot::from_families(&metrics_after(&[BLOCK, FD], 1).registry().gather());
    let text = render(
        &now,
        &Snapshot::default(),
        Duration::from_secs(4),
        &frame(true),
    );
    assert!(
        text.contains("final summary at 4 s (rates are averages"),
        "{text}"
    );
    assert!(
        text.contains("check: consumed 3 = output 2 + dlq 1: balanced"),
        "{text}"
    );
    let mut short = now.clone();
    short.consumed += 2;
    let text = render(
        &short,
        &Snapshot::default(),
        Duration::from_secs(4),
        &frame(true),
    );
    assert!(text.contains("2 not acknowledged"), "{text}");
    let in_flight = text.lines().find(|l| l.contains("in flight")).unwrap();
    assert_eq!(in_flight.split_whitespace().nth(2), Some("2"), "{text}");
}

#[test]
fn no_codes_and_no_top() {
    let s = Snapshot::default();
    let text = render(&s, &s, Duration::ZERO, &frame(false));
    assert!(text.contains("(none yet)"), "{text}");
    let mut f = frame(false);
    f.top = 0;
    assert!(!render(&s, &s, Duration::ZERO, &f).contains("top codes"));
}

#[test]
fn rates_are_readable() {
    assert_eq!(rate(2000, Duration::from_secs(1)), "2000");
    assert_eq!(rate(3, Duration::from_secs(2)), "1.5");
    assert_eq!(rate(5, Duration::ZERO), "0.0");
}

#[test]
fn a_code_with_an_override_shows_its_highest_severity() {
    // A user's disconnect is info (component Authentication), a Private Service Edge's low
    // (component Private Service Edge): the info series comes first in the registry.
    let user = r#"{"SessionStatus":"ZPN_STATUS_DISCONNECTED","Username":"u"}"#;
    let edge = r#"{"SessionStatus":"ZPN_STATUS_DISCONNECTED","ServiceEdge":"pse-1"}"#;
    let m = metrics_after(&[user, user, edge], 0);
    let s = Snapshot::from_families(&m.registry().gather());
    assert_eq!(
        s.codes["ZPN_STATUS_DISCONNECTED"],
        CodeCount {
            severity: Severity::Low,
            count: 3
        }
    );
}
