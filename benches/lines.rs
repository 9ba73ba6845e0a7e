//! Criterion benchmarks of reading LSS lines (`event::LineReader`), one line per iteration
//! over a stream of 4,096 distinct generated records (about 2 KB each for User Activity), as a
//! log receiver reads them: JSON lines (the main path), the vendor's CSV and TSV lines, and
//! User Status CSV lines, whose side-by-side lists take the slow path more often.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use zpa_enricher::catalog::Catalog;
use zpa_enricher::event::{LineFormat, LineReader, LogType, render};
use zpa_enricher::synth::{Generator, GeneratorOptions, Start};

/// `n` generated records of `log_type` written as lines of `format`.
fn lines(log_type: LogType, format: LineFormat, n: usize) -> Vec<Vec<u8>> {
    let catalog = Catalog::builtin();
    let mut generator = Generator::new(
        &catalog,
        GeneratorOptions {
            log_types: vec![(log_type, 1)],
            // The same records on every run.
            start: Start::At(1_795_593_600_000), // 2026-11-25T08:00:00Z
            ..GeneratorOptions::default()
        },
    );
    (0..n)
        .map(|_| {
            let mut record = Vec::new();
            generator.next_record(&mut record);
            let mut line = Vec::new();
            render(log_type, format, &record, &mut line).expect("a generated record renders");
            line
        })
        .collect()
}

fn bench_read(c: &mut Criterion) {
    let mut group = c.benchmark_group("read_line");
    group.throughput(Throughput::Elements(1));
    for (name, log_type, format) in [
        (
            "user_activity_json",
            LogType::UserActivity,
            LineFormat::Json,
        ),
        ("user_activity_csv", LogType::UserActivity, LineFormat::Csv),
        ("user_activity_tsv", LogType::UserActivity, LineFormat::Tsv),
        ("user_status_csv", LogType::UserStatus, LineFormat::Csv),
    ] {
        let lines = lines(log_type, format, 4096);
        let reader = LineReader::new(LineFormat::Auto, None);
        let mut out = Vec::with_capacity(8192);
        let mut next = lines.iter().cycle();
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                let line = next.next().map_or(&[][..], Vec::as_slice);
                black_box(reader.read(black_box(line), &mut out)).ok();
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_read);
criterion_main!(benches);
