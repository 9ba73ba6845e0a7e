use std::sync::Arc;

use super::*;
use crate::catalog::{Component, Severity};
use crate::enrich::{EnrichOptions, Enricher};
use crate::event::{LogType, Quirk};

/// The value of the sample `name{labels}` in `text`, where `labels` is the exact label text
/// (the encoder writes labels sorted by name).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn events_series(log_type: &str, code: &str, comp: &str, sev: &str, cat: &str) -> String {
    format!(
        "zpa_enricher_events_total{{category=\"{cat}\",code=\"{code}\",\
         component=\"{comp}\",log_type=\"{log_type}\",severity=\"{sev}\"}}"
    )
}

fn enrich_and_count(
    enricher: &Enricher,
    counters: &mut EventCounters,
    record: &str,
) -> &'static str {
    let mut out = Vec::new();
    let outcome = enricher.enrich(record.as_bytes(), &mut out);
    counters.count(&outcome);
    outcome.as_str()
}

#[test]
fn label_enums_index_in_declaration_order() {
    for (i, d) in Destination::ALL.into_iter().enumerate() {
        assert_eq!(d as usize, i);
    }
    for (i, k) in ProduceErrorKind::ALL.into_iter().enumerate() {
        assert_eq!(k as usize, i);
    }
    for (i, k) in RebalanceKind::ALL.into_iter().enumerate() {
        assert_eq!(k as usize, i);
    }
    for (i, r) in InvalidReason::ALL.into_iter().enumerate() {
        assert_eq!(r as usize, i);
    }
    for (i, t) in LogType::ALL.into_iter().enumerate() {
        assert_eq!(t as usize, i);
    }
    for (i, c) in Component::ALL.iter().enumerate() {
        assert_eq!(*c as usize, i);
    }
    for (i, q) in Quirk::ALL.into_iter().enumerate() {
        assert_eq!(q as usize, i);
    }
}

#[test]
fn every_metric_is_exposed_with_help_and_type() {
    let m = Metrics::new("2.10.0").unwrap();
    let catalog = Arc::new(Catalog::builtin());
    m.catalog_loaded(&catalog);
    m.set_consumer_lag("zpa-in", 0, 5);
    let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
    let mut counters = EventCounters::new(&m, catalog, Severity::Medium);
    enrich_and_count(&enricher, &mut counters, r#"{"SessionStatus":""}"#);

    let text = m.encode();
    let names = [
        ("zpa_enricher_events_total", "counter"),
        ("zpa_enricher_records_consumed_total", "counter"),
        ("zpa_enricher_records_produced_total", "counter"),
        ("zpa_enricher_records_invalid_total", "counter"),
        ("zpa_enricher_records_dead_lettered_total", "counter"),
        ("zpa_enricher_records_repaired_total", "counter"),
        ("zpa_enricher_produce_errors_total", "counter"),
        ("zpa_enricher_in_flight", "gauge"),
        ("zpa_enricher_paused", "gauge"),
        ("zpa_enricher_ready", "gauge"),
        ("zpa_enricher_assigned_partitions", "gauge"),
        ("zpa_enricher_rebalances_total", "counter"),
        ("zpa_enricher_commits_total", "counter"),
        ("zpa_enricher_processing_duration_seconds", "histogram"),
        ("zpa_enricher_end_to_end_latency_seconds", "histogram"),
        ("zpa_enricher_consumer_lag_messages", "gauge"),
        ("zpa_enricher_catalog_entries", "gauge"),
        ("zpa_enricher_catalog_info", "gauge"),
        ("zpa_enricher_code_info", "gauge"),
        ("zpa_enricher_catalog_reloads_total", "counter"),
        ("zpa_enricher_catalog_loaded_timestamp_seconds", "gauge"),
        ("zpa_enricher_unknown_codes", "gauge"),
        ("zpa_enricher_build_info", "gauge"),
    ];
    for (name, kind) in names {
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "no HELP for {name}:\n{text}"
        );
        assert!(
            text.contains(&format!("# TYPE {name} {kind}\n")),
            "no TYPE {kind} for {name}:\n{text}"
        );
    }
    #[cfg(target_os = "linux")]
    assert!(
        text.contains("# TYPE process_resident_memory_bytes gauge"),
        "{text}"
    );
    let build = format!(
        "zpa_enricher_build_info{{librdkafka=\"2.10.0\",version=\"{}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(sample(&text, &build), Some(1.0), "{text}");
    // Fixed children exist from the start, at zero.
    for series in [
        "zpa_enricher_records_produced_total{destination=\"dlq\"}",
        "zpa_enricher_records_invalid_total{reason=\"too_large\"}",
        "zpa_enricher_produce_errors_total{kind=\"queue_full\"}",
        "zpa_enricher_rebalances_total{kind=\"lost\"}",
        "zpa_enricher_commits_total{result=\"failure\"}",
        "zpa_enricher_catalog_reloads_total{result=\"success\"}",
        "zpa_enricher_records_repaired_total{quirk=\"empty_list\"}",
        "zpa_enricher_records_repaired_total{quirk=\"unbracketed_list\"}",
    ] {
        assert_eq!(sample(&text, series), Some(0.0), "{series}:\n{text}");
    }
    assert_eq!(
        sample(&text, "zpa_enricher_catalog_entries"),
        Some(f64::from(u32::try_from(Catalog::builtin().len()).unwrap()))
    );
    assert_eq!(
        sample(
            &text,
            "zpa_enricher_consumer_lag_messages{partition=\"0\",topic=\"zpa-in\"}"
        ),
        Some(5.0),
        "{text}"
    );
}

#[test]
fn verbs_move_their_series() {
    let m = Metrics::new("x").unwrap();
    m.record_consumed();
    m.record_consumed();
    m.record_produced(Destination::Output);
    m.record_produced(Destination::Dlq);
    m.record_invalid(InvalidReason::NotJson);
    m.record_dead_lettered(InvalidReason::NotJson);
    m.produce_error(ProduceErrorKind::Timeout);
    m.set_in_flight(7);
    m.set_paused(true);
    m.set_ready(true);
    m.set_assigned_partitions(3);
    m.rebalance(RebalanceKind::Assign);
    m.commit(true);
    m.commit(false);
    m.observe_processing(Duration::from_micros(3));
    m.observe_end_to_end(Duration::from_millis(40));
    m.catalog_reload_failed();
    m.unknown_code_seen_count(4);
    let text = m.encode();
    for (series, value) in [
        ("zpa_enricher_records_consumed_total", 2.0),
        (
            "zpa_enricher_records_produced_total{destination=\"output\"}",
            1.0,
        ),
        (
            "zpa_enricher_records_produced_total{destination=\"dlq\"}",
            1.0,
        ),
        (
            "zpa_enricher_records_invalid_total{reason=\"not_json\"}",
            1.0,
        ),
        ("zpa_enricher_records_invalid_total{reason=\"empty\"}", 0.0),
        (
            "zpa_enricher_records_dead_lettered_total{reason=\"not_json\"}",
            1.0,
        ),
        ("zpa_enricher_produce_errors_total{kind=\"timeout\"}", 1.0),
        ("zpa_enricher_in_flight", 7.0),
        ("zpa_enricher_paused", 1.0),
        ("zpa_enricher_ready", 1.0),
        ("zpa_enricher_assigned_partitions", 3.0),
        ("zpa_enricher_rebalances_total{kind=\"assign\"}", 1.0),
        ("zpa_enricher_commits_total{result=\"success\"}", 1.0),
        ("zpa_enricher_commits_total{result=\"failure\"}", 1.0),
        ("zpa_enricher_processing_duration_seconds_count", 1.0),
        (
            "zpa_enricher_processing_duration_seconds_bucket{le=\"0.000005\"}",
            1.0,
        ),
        (
            "zpa_enricher_processing_duration_seconds_bucket{le=\"0.0000025\"}",
            0.0,
        ),
        (
            "zpa_enricher_end_to_end_latency_seconds_bucket{le=\"0.05\"}",
            1.0,
        ),
        (
            "zpa_enricher_end_to_end_latency_seconds_bucket{le=\"0.025\"}",
            0.0,
        ),
        (
            "zpa_enricher_catalog_reloads_total{result=\"failure\"}",
            1.0,
        ),
        ("zpa_enricher_unknown_codes", 4.0),
    ] {
        assert_eq!(sample(&text, series), Some(value), "{series}:\n{text}");
    }
    m.set_paused(false);
    assert_eq!(sample(&m.encode(), "zpa_enricher_paused"), Some(0.0));
}

#[test]
fn events_are_labelled_by_catalog_entry_or_bucket() {
    let m = Metrics::new("x").unwrap();
    let catalog = Arc::new(Catalog::builtin());
    let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
    let mut counters = EventCounters::new(&m, Arc::clone(&catalog), Severity::High);

    let known =
        r#"{"InternalReason":"BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY","ConnectionStatus":"close"}"#;
    let unknown_ast = r#"{"InternalReason":"AST_MT_SOMETHING_NEW","ConnectionStatus":"close"}"#;
    let unknown_other = r#"{"SessionStatus":"WHOLLY_NEW_CODE","Connector":"c1"}"#;
    let none = r#"{"SessionStatus":""}"#;
    assert_eq!(enrich_and_count(&enricher, &mut counters, known), "known");
    assert_eq!(enrich_and_count(&enricher, &mut counters, known), "known");
    assert_eq!(
        enrich_and_count(&enricher, &mut counters, unknown_ast),
        "unknown_code"
    );
    assert_eq!(
        enrich_and_count(&enricher, &mut counters, unknown_other),
        "unknown_code"
    );
    assert_eq!(enrich_and_count(&enricher, &mut counters, none), "no_code");
    assert_eq!(enrich_and_count(&enricher, &mut counters, "[1]"), "invalid");

    let e = catalog.get("BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY").unwrap();
    let text = m.encode();
    let cases = [
        (
            events_series(
                "user_activity",
                &e.code,
                e.component.as_str(),
                e.severity.as_str(),
                e.category.as_str(),
            ),
            2.0,
        ),
        (
            events_series(
                "user_activity",
                "__unknown__",
                "App Connector",
                "high",
                "unknown",
            ),
            1.0,
        ),
        (
            events_series(
                "app_connector_status",
                "__unknown__",
                "unknown",
                "high",
                "unknown",
            ),
            1.0,
        ),
        (
            events_series("user_status", "__none__", "none", "info", "info"),
            1.0,
        ),
    ];
    for (series, value) in &cases {
        assert_eq!(sample(&text, series), Some(*value), "{series}:\n{text}");
    }
    // Exactly these series: the unknown code text never becomes a label, and the invalid
    // record is not counted here.
    let samples = text
        .lines()
        .filter(|l| l.starts_with("zpa_enricher_events_total{"))
        .count();
    assert_eq!(samples, cases.len(), "{text}");
    assert!(!text.contains("SOMETHING_NEW"), "{text}");
    assert!(!text.contains("WHOLLY_NEW_CODE"), "{text}");
}

#[test]
fn per_code_labels_follow_the_override_of_the_log_type() {
    let m = Metrics::new("x").unwrap();
    let catalog = Arc::new(Catalog::builtin());
    let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
    let mut counters = EventCounters::new(&m, Arc::clone(&catalog), Severity::Medium);
    let user = r#"{"Username":"u","SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#;
    let connector = r#"{"Connector":"c","SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#;
    for record in [user, connector, connector] {
        assert_eq!(enrich_and_count(&enricher, &mut counters, record), "known");
    }
    let e = catalog.get("ZPN_STATUS_AUTH_FAILED").unwrap();
    let text = m.encode();
    for (series, value) in [
        (
            events_series(
                "user_status",
                &e.code,
                e.component.as_str(),
                e.severity.as_str(),
                e.category.as_str(),
            ),
            1.0,
        ),
        (
            events_series(
                "app_connector_status",
                &e.code,
                "App Connector",
                "critical",
                e.category.as_str(),
            ),
            2.0,
        ),
    ] {
        assert_eq!(sample(&text, &series), Some(value), "{series}:\n{text}");
    }
}

#[test]
fn a_new_catalog_version_replaces_the_info_series() {
    let m = Metrics::new("x").unwrap();
    let first = Catalog::builtin();
    m.catalog_loaded(&first);
    let v1 = format!(
        "zpa_enricher_catalog_info{{version=\"{}\"}}",
        first.version()
    );
    let text = m.encode();
    assert_eq!(sample(&text, &v1), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "zpa_enricher_catalog_reloads_total{result=\"success\"}"
        ),
        Some(0.0)
    );

    let second = Catalog::new("test-2".into(), first.entries()[..3].to_vec()).unwrap();
    m.catalog_loaded(&second);
    let text = m.encode();
    assert_eq!(sample(&text, &v1), None, "{text}");
    assert_eq!(
        sample(&text, "zpa_enricher_catalog_info{version=\"test-2\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "zpa_enricher_catalog_entries"), Some(3.0));
    assert_eq!(
        sample(
            &text,
            "zpa_enricher_catalog_reloads_total{result=\"success\"}"
        ),
        Some(1.0)
    );
    let info_series = text
        .lines()
        .filter(|l| l.starts_with("zpa_enricher_catalog_info{"))
        .count();
    assert_eq!(info_series, 1, "{text}");
    // The code info series follow the catalog in use: one per entry, none left over.
    let code_info: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("zpa_enricher_code_info{"))
        .collect();
    assert_eq!(code_info.len(), 3, "{text}");
    let entry = &second.entries()[0];
    let series = format!(
        "zpa_enricher_code_info{{category=\"{}\",code=\"{}\",component=\"{}\",\
         severity=\"{}\",status=\"{}\"}}",
        entry.category.as_str(),
        entry.code,
        entry.component.as_str(),
        entry.severity.as_str(),
        entry.status
    );
    assert_eq!(sample(&text, &series), Some(1.0), "{series}\n{text}");

    // Reloading the same version keeps its series.
    m.catalog_loaded(&second);
    let text = m.encode();
    assert_eq!(
        sample(&text, "zpa_enricher_catalog_info{version=\"test-2\"}"),
        Some(1.0)
    );
    assert!(sample(&text, "zpa_enricher_catalog_loaded_timestamp_seconds").unwrap() > 1.0e9);
}

#[test]
fn replacing_the_lag_drops_unassigned_partitions() {
    let m = Metrics::new("x").unwrap();
    m.replace_consumer_lag(&[("in", 0, 10), ("in", 1, 20)]);
    m.replace_consumer_lag(&[("in", 1, 25)]);
    let text = m.encode();
    assert_eq!(
        sample(
            &text,
            "zpa_enricher_consumer_lag_messages{partition=\"0\",topic=\"in\"}"
        ),
        None
    );
    assert_eq!(
        sample(
            &text,
            "zpa_enricher_consumer_lag_messages{partition=\"1\",topic=\"in\"}"
        ),
        Some(25.0)
    );
    m.clear_consumer_lag();
    assert!(!m.encode().contains("zpa_enricher_consumer_lag_messages"));
}

#[test]
fn instances_do_not_share_counters() {
    let a = Metrics::new("x").unwrap();
    let b = Metrics::new("x").unwrap();
    a.record_consumed();
    a.record_invalid(InvalidReason::Empty);
    assert_eq!(
        sample(&a.encode(), "zpa_enricher_records_consumed_total"),
        Some(1.0)
    );
    assert_eq!(
        sample(&b.encode(), "zpa_enricher_records_consumed_total"),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &b.encode(),
            "zpa_enricher_records_invalid_total{reason=\"empty\"}"
        ),
        Some(0.0)
    );
    // Nothing leaks into the process-wide default registry either.
    assert!(
        prometheus::gather()
            .iter()
            .all(|f| !f.name().starts_with("zpa_enricher_"))
    );
}

#[test]
fn repaired_records_are_counted_by_quirk() {
    let m = Metrics::new("x").unwrap();
    let catalog = Arc::new(Catalog::builtin());
    let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
    let entry = catalog.get("ZPN_STATUS_AUTHENTICATED").cloned().unwrap();
    let mut counters = EventCounters::new(&m, catalog, Severity::Medium);
    for record in [
        // Both quirks: counted under each.
        r#"{"SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks":,"PosturesHit":"a","b"}"#,
        r#"{"SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks":,"PosturesHit":[]}"#,
        r#"{"SessionStatus":"ZPN_STATUS_AUTHENTICATED","TrustedNetworks":[],"PosturesHit":[]}"#,
    ] {
        assert_eq!(enrich_and_count(&enricher, &mut counters, record), "known");
    }
    // Broken otherwise: not enriched, not counted as repaired.
    assert_eq!(
        enrich_and_count(&enricher, &mut counters, r#"{"a": ,,"b":1}"#),
        "invalid"
    );
    let text = m.encode();
    for (series, value) in [
        (
            "zpa_enricher_records_repaired_total{quirk=\"empty_list\"}",
            2.0,
        ),
        (
            "zpa_enricher_records_repaired_total{quirk=\"unbracketed_list\"}",
            1.0,
        ),
        (
            &events_series(
                "user_status",
                &entry.code,
                entry.component.as_str(),
                entry.severity.as_str(),
                entry.category.as_str(),
            ),
            3.0,
        ),
    ] {
        assert_eq!(sample(&text, series), Some(value), "{series}:\n{text}");
    }
}
