//! Criterion benchmarks of the enrichment core: catalog lookup, and enrich per record for
//! realistic User Activity records (~1.2 KB), status records (one whose code has an override for
//! its log type, one as an older template writes it, with list fields to repair), an unknown
//! code and invalid input.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use zpa_enricher::catalog::Catalog;
use zpa_enricher::enrich::{
    EcsOptions, EnrichOptions, Enricher, HecOptions, OutputFormat, OutputMode,
};
use zpa_enricher::event::LogType;
use zpa_enricher::synth::{Generator, GeneratorOptions, Start};

const USER_ACTIVITY: &str = include_str!("../tests/fixtures/bench/user_activity.json");

fn records() -> Vec<(&'static str, String)> {
    let ua = USER_ACTIVITY.trim().to_owned();
    let user_status = r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","Customer":"Acme","Username":"jdoe@acme.example","SessionID":"8l3JxEa","SessionStatus":"ZPN_STATUS_AUTH_FAILED","Version":"4.1.0.75","ZEN":"US-NY-8179","CertificateCN":"aae8b1","PrivateIP":"10.0.0.5","PublicIP":"203.0.113.7","Latitude":40.7,"Longitude":-74.0,"CountryCode":"US","TimestampAuthentication":"2021-12-01T10:38:40.000Z","TimestampUnAuthentication":"","TotalBytesRx":0,"TotalBytesTx":0,"Idp":"Okta","Hostname":"LAPTOP-1","Platform":"windows","ClientType":"zpn_client_type_zapp","TrustedNetworks":[],"TrustedNetworksNames":[],"SAMLAttributes":"{}","PosturesHit":[],"PosturesMiss":[],"ZENLatitude":40.7,"ZENLongitude":-74.0,"ZENCountryCode":"US","FQDNRegistered":"0","FQDNRegisteredError":"","City":"New York","MicroTenantID":"0"}"#;
    // As an older template writes it: list fields without brackets.
    let user_status_quirky = user_status
        .replace(r#""TrustedNetworks":[]"#, r#""TrustedNetworks":"#)
        .replace(r#""TrustedNetworksNames":[]"#, r#""TrustedNetworksNames":"#)
        .replace(
            r#""PosturesHit":[]"#,
            r#""PosturesHit":"8c9d1e2f-disk-encrypted","5a6b7c8d-firewall-on""#,
        )
        .replace(r#""PosturesMiss":[]"#, r#""PosturesMiss":"#);
    vec![
        ("user_activity_known", ua.clone()),
        (
            "user_activity_unknown",
            ua.replace("BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY", "BRK_MT_SOMETHING_NEW"),
        ),
        ("user_status", user_status.to_owned()),
        ("user_status_repaired", user_status_quirky),
        (
            // A code with overrides, in the log type one of them is for.
            "app_connector_status_override",
            r#"{"LogTimestamp":"Wed Dec  1 10:38:41 2021","Customer":"Acme","SessionID":"7QfR2mZx9LwB4nVt0KsE","SessionType":"ZPN_ASSISTANT_BROKER_CONTROL","SessionStatus":"ZPN_STATUS_AUTH_FAILED","Version":"24.158.1","Platform":"el9","ZEN":"US-NY-8179","Connector":"conn-nyc-01","ConnectorGroup":"NYC DC","PrivateIP":"10.20.0.11","PublicIP":"198.51.100.23","Latitude":40.7,"Longitude":-74.0,"CountryCode":"US","TimestampAuthentication":"","TimestampUnAuthentication":"","CPUUtilization":3,"MemUtilization":21,"ServiceCount":42,"HostStartTime":"1638320000","ConnectorStartTime":"1638320100","TotalBytesRx":0,"TotalBytesTx":0,"MicroTenantID":"0"}"#.to_owned(),
        ),
        ("invalid_truncated", ua[..ua.len() / 2].to_owned()),
        // Not JSON at its very end (a trailing comma), and not the quirk: the repair is tried
        // over the whole record and gives up.
        ("invalid_not_json", format!("{},}}", &ua[..ua.len() - 1])),
    ]
}

fn bench_enrich(c: &mut Criterion) {
    let catalog = Arc::new(Catalog::builtin());
    let nested = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
    let flat = Enricher::new(
        Arc::clone(&catalog),
        EnrichOptions {
            output: OutputMode::Flat {
                prefix: "zpa_".into(),
            },
            ..EnrichOptions::default()
        },
    );
    let mut group = c.benchmark_group("enrich");
    let mut out = Vec::with_capacity(8192);
    for (name, record) in records() {
        group.throughput(Throughput::Bytes(record.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                black_box(nested.enrich(black_box(record.as_bytes()), &mut out));
            });
        });
    }
    let ua = USER_ACTIVITY.trim();
    group.throughput(Throughput::Bytes(ua.len() as u64));
    group.bench_function("user_activity_known_flat", |b| {
        b.iter(|| {
            out.clear();
            black_box(flat.enrich(black_box(ua.as_bytes()), &mut out));
        });
    });
    // The whole-record formats rebuild the record instead of splicing into it.
    for (name, format) in [
        (
            "user_activity_known_ecs",
            OutputFormat::Ecs(EcsOptions::default()),
        ),
        (
            "user_activity_known_splunk_hec",
            OutputFormat::SplunkHec(HecOptions::default()),
        ),
    ] {
        let e = Enricher::new(
            Arc::clone(&catalog),
            EnrichOptions {
                format,
                ..EnrichOptions::default()
            },
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                black_box(e.enrich(black_box(ua.as_bytes()), &mut out));
            });
        });
    }
    group.finish();
}

fn bench_lookup(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let mut group = c.benchmark_group("lookup");
    group.bench_function("exact", |b| {
        b.iter(|| catalog.lookup(black_box("AST_MT_SETUP_TIMEOUT_CANNOT_CONN_TO_SERVER")));
    });
    group.bench_function("case_folded", |b| {
        b.iter(|| catalog.lookup(black_box("Close")));
    });
    group.bench_function("miss", |b| {
        b.iter(|| catalog.lookup(black_box("BRK_MT_SOMETHING_NEW")));
    });
    group.finish();
}

/// Enrich over a stream of distinct generated User Activity records, as the service sees them:
/// 64 records stay in the first-level caches, 4,096 (about 8.6 MB) do not fit in the second.
/// Unlike the single-record runs above, the branch predictor cannot learn one record's shape.
fn bench_stream(c: &mut Criterion) {
    let catalog = Arc::new(Catalog::builtin());
    let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
    let mut group = c.benchmark_group("enrich_stream");
    for n in [64usize, 4096] {
        let mut generator = Generator::new(
            &catalog,
            GeneratorOptions {
                log_types: vec![(LogType::UserActivity, 1)],
                // The same records on every run.
                start: Start::At(1_795_593_600_000), // 2026-11-25T08:00:00Z
                ..GeneratorOptions::default()
            },
        );
        let records: Vec<Vec<u8>> = (0..n)
            .map(|_| {
                let mut r = Vec::new();
                generator.next_record(&mut r);
                r
            })
            .collect();
        let bytes: usize = records.iter().map(Vec::len).sum();
        group.throughput(Throughput::Bytes((bytes / n) as u64));
        let mut out = Vec::with_capacity(8192);
        let mut next = records.iter().cycle();
        group.bench_function(format!("user_activity_{n}"), |b| {
            b.iter(|| {
                out.clear();
                let record = next.next().map_or(&[][..], Vec::as_slice);
                black_box(enricher.enrich(black_box(record), &mut out));
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_enrich, bench_stream, bench_lookup);
criterion_main!(benches);
