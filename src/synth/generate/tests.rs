mod templates;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::catalog::{Catalog, Category, Cause, Severity};
use crate::enrich::{EnrichOptions, Enricher, Outcome};
use crate::event::InvalidReason;
use templates::{Kind, TEMPLATES};

fn enricher() -> Enricher {
    Enricher::new(Arc::new(Catalog::builtin()), EnrichOptions::default())
}

fn generator(opts: GeneratorOptions) -> Generator {
    Generator::new(&Catalog::builtin(), opts)
}

fn only(log_type: LogType) -> GeneratorOptions {
    GeneratorOptions {
        log_types: vec![(log_type, 1)],
        ..GeneratorOptions::default()
    }
}

fn parse(record: &[u8]) -> serde_json::Map<String, Value> {
    match serde_json::from_slice::<Value>(record) {
        Ok(Value::Object(m)) => m,
        other => panic!("{other:?}: {}", String::from_utf8_lossy(record)),
    }
}

/// Ctime style with a space-padded day: `Wed Dec  1 10:38:41 2021`.
fn is_ctime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b[3] == b' '
        && b[7] == b' '
        && (b[8] == b' ' || b[8].is_ascii_digit())
        && b[9].is_ascii_digit()
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b' '
}

/// `2026-11-25T10:38:41.114Z`.
fn is_iso_ms(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && b[23] == b'Z'
}

/// Every address member holds an address from a documentation or private range (or is empty).
fn check_addresses(record: &serde_json::Map<String, Value>) {
    let is_address = |k: &str| {
        k.ends_with("IP")
            || k.ends_with("Ip")
            || ["DefRouteGW", "PrimaryDNSResolver", "Destination"].contains(&k)
    };
    for (k, v) in record.iter().filter(|(k, _)| is_address(k)) {
        let s = v.as_str().unwrap();
        if s.is_empty() {
            continue;
        }
        let o = s.parse::<Ipv4Addr>().unwrap().octets();
        let ok = o[0] == 10
            || (o[0] == 192 && o[1] == 168)
            || matches!(
                (o[0], o[1], o[2]),
                (192, 0, 2) | (198, 51, 100) | (203, 0, 113)
            );
        assert!(
            ok,
            "{k}: address outside the documentation and private ranges: {s}"
        );
    }
}

#[test]
fn every_log_type_follows_its_template_and_is_detected() {
    let e = enricher();
    let mut out = Vec::new();
    let mut enriched = Vec::new();
    for (log_type, template) in TEMPLATES {
        let mut g = generator(only(log_type));
        for _ in 0..300 {
            out.clear();
            let made = g.next_record(&mut out);
            assert_eq!(made.log_type, log_type);
            assert!(made.valid);
            let record = parse(&out);
            let keys: Vec<&str> = record.keys().map(String::as_str).collect();
            let expected: Vec<&str> = template.iter().map(|(k, _)| *k).collect();
            assert_eq!(keys, expected, "{log_type}");
            for ((key, kind), value) in template.iter().zip(record.values()) {
                let ok = match kind {
                    Kind::S => value.is_string(),
                    Kind::N => value.is_number(),
                    Kind::A => value.is_array(),
                };
                assert!(ok, "{log_type}: {key} should be {kind:?}, is {value}");
                if let Value::String(s) = value {
                    if *key == "LogTimestamp" {
                        assert!(is_ctime(s), "{log_type}: {key} = {s:?}");
                    } else if key.starts_with("Timestamp") || key.ends_with("Time") {
                        let iso = log_type != LogType::AppProtection
                            && !key.ends_with("StartTime")
                            && *key != "HostUpTime";
                        if iso {
                            assert!(s.is_empty() || is_iso_ms(s), "{log_type}: {key} = {s:?}");
                        }
                    }
                }
            }
            check_addresses(&record);
            enriched.clear();
            let outcome = e.enrich(&out, &mut enriched);
            assert_eq!(outcome.log_type(), Some(log_type), "{outcome:?}");
        }
    }
}

#[test]
fn unknown_type_records_are_json_of_no_known_type() {
    let mut g = generator(only(LogType::Unknown));
    let mut out = Vec::new();
    let made = g.next_record(&mut out);
    assert_eq!(made.log_type, LogType::Unknown);
    let outcome = enricher().enrich(&out, &mut Vec::new());
    assert!(
        matches!(
            outcome,
            Outcome::NoCode {
                log_type: LogType::Unknown,
                repaired: crate::event::Quirks::NONE,
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[test]
fn valid_records_enrich_with_the_code_they_carry() {
    let e = enricher();
    let catalog = Arc::clone(e.catalog());
    let mut g = generator(GeneratorOptions {
        seed: 99,
        ..GeneratorOptions::default()
    });
    let (mut out, mut enriched) = (Vec::new(), Vec::new());
    let mut types = BTreeMap::new();
    for _ in 0..20_000 {
        out.clear();
        enriched.clear();
        let made = g.next_record(&mut out);
        assert!(made.valid);
        *types.entry(made.log_type).or_insert(0u32) += 1;
        let outcome = e.enrich(&out, &mut enriched);
        match (&made.code, &outcome) {
            (Some(code), Outcome::Known { entry, .. }) => {
                assert_eq!(&catalog.entry(*entry).code, code);
            }
            (None, Outcome::NoCode { .. }) => {}
            _ => panic!("{made:?} -> {outcome:?}: {}", String::from_utf8_lossy(&out)),
        }
        serde_json::from_slice::<Value>(&enriched).unwrap();
    }
    // The default mix: about 80% User Activity, and every type shows up.
    let ua = types[&LogType::UserActivity];
    assert!((15_000..17_000).contains(&ua), "{types:?}");
    assert_eq!(types.len(), 15, "{types:?}");
}

#[test]
fn activity_codes_follow_the_severity_mix() {
    let catalog = Catalog::builtin();
    let mut g = generator(only(LogType::UserActivity));
    let mut out = Vec::new();
    let n = 20_000;
    let mut by = BTreeMap::<&str, u32>::new();
    let mut codes = BTreeMap::<String, u32>::new();
    for _ in 0..n {
        out.clear();
        let made = g.next_record(&mut out);
        let code = made.code.unwrap();
        let record = parse(&out);
        let status = record["ConnectionStatus"].as_str().unwrap().to_owned();
        let reason = record["InternalReason"].as_str().unwrap();
        let e = catalog.get(&code).unwrap();
        let bucket = if status != "close" {
            assert!(reason.is_empty() || reason == "OPEN_OR_ACTIVE_CONNECTION");
            "open_active"
        } else {
            assert_eq!(reason, code);
            if e.category == Category::PolicyBlock || e.cause == Some(Cause::Policy) {
                *by.entry("policy").or_default() += 1;
            }
            e.severity.as_str()
        };
        *by.entry(bucket).or_default() += 1;
        *codes.entry(code).or_default() += 1;
    }
    let share = |k: &str| f64::from(by.get(k).copied().unwrap_or(0)) / f64::from(n);
    let within = |k: &str, lo: f64, hi: f64| {
        assert!((lo..=hi).contains(&share(k)), "{k}: {} in {by:?}", share(k));
    };
    within("open_active", 0.17, 0.23);
    within("info", 0.50, 0.60);
    within("medium", 0.09, 0.15);
    within("policy", 0.05, 0.25);
    within("high", 0.06, 0.10);
    within("low", 0.025, 0.055);
    within("critical", 0.004, 0.02);
    // The usual normal-close reasons dominate.
    let top = codes.iter().max_by_key(|(_, n)| **n).unwrap().0;
    assert!(
        ["BRK_MT_TERMINATED", "active"].contains(&top.as_str()),
        "{top}"
    );
    assert!(
        codes["BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY"] > codes["BRK_MT_SETUP_FAIL_ACCESS_DENIED"]
    );
    // Status codes never appear in InternalReason.
    assert!(
        !codes
            .keys()
            .any(|c| c.starts_with("ZPN_STATUS_") || c == "close")
    );
}

#[test]
fn session_statuses_follow_the_mix() {
    let mut g = generator(only(LogType::UserStatus));
    let mut out = Vec::new();
    let mut seen = BTreeMap::<String, u32>::new();
    for _ in 0..10_000 {
        out.clear();
        *seen
            .entry(g.next_record(&mut out).code.unwrap())
            .or_default() += 1;
    }
    let share = |k: &str| f64::from(seen[k]) / 10_000.0;
    assert!(
        (0.52..0.58).contains(&share("ZPN_STATUS_AUTHENTICATED")),
        "{seen:?}"
    );
    assert!(
        (0.39..0.45).contains(&share("ZPN_STATUS_DISCONNECTED")),
        "{seen:?}"
    );
    assert!(
        (0.015..0.045).contains(&share("ZPN_STATUS_AUTH_FAILED")),
        "{seen:?}"
    );
}

#[test]
fn unknown_ratio_gives_codes_the_catalog_lacks() {
    let e = enricher();
    let mut g = generator(GeneratorOptions {
        unknown_ratio: 0.3,
        ..only(LogType::UserActivity)
    });
    let mut out = Vec::new();
    let mut unknown = 0;
    for _ in 0..5_000 {
        out.clear();
        let made = g.next_record(&mut out);
        if let Outcome::Unknown { code, .. } = e.enrich(&out, &mut Vec::new()) {
            assert_eq!(Some(code.as_ref()), made.code.as_deref());
            unknown += 1;
        }
    }
    assert!((1_300..1_700).contains(&unknown), "{unknown}");
}

/// 2026-11-25T08:00:00Z.
const PINNED: Start = Start::At(1_795_593_600_000);

#[test]
fn same_seed_same_bytes() {
    let opts = GeneratorOptions {
        seed: 7,
        unknown_ratio: 0.1,
        invalid_ratio: 0.05,
        start: PINNED,
        ..GeneratorOptions::default()
    };
    let run = |opts: GeneratorOptions| {
        let mut g = generator(opts);
        let mut out = Vec::new();
        let mut meta = Vec::new();
        for i in 0..5_000 {
            meta.push(g.next_record(&mut out));
            out.push(b'\n');
            if i % 100 == 0 {
                g.record_with_code("APP_NOT_REACHABLE", &mut out);
                out.push(b'\n');
            }
        }
        (out, meta)
    };
    let (a, ma) = run(opts.clone());
    let (b, mb) = run(opts.clone());
    assert!(a == b, "same seed, different bytes");
    assert_eq!(ma, mb);
    let (c, _) = run(GeneratorOptions {
        seed: 8,
        ..opts.clone()
    });
    assert!(a != c, "different seeds, same bytes");
    let (d, _) = run(GeneratorOptions {
        start: Start::At(1_795_593_600_001),
        ..opts
    });
    assert!(a != d, "different starts, same bytes");
}

/// The `LogTimestamp` and `TimestampConnectionEnd` (the record's own time, in milliseconds)
/// of the next User Activity record that closes a connection.
fn record_time(g: &mut Generator) -> (String, i64) {
    let mut out = Vec::new();
    loop {
        out.clear();
        g.next_record(&mut out);
        let record = parse(&out);
        if record["ConnectionStatus"] == "close" {
            let end = record["TimestampConnectionEnd"].as_str().unwrap();
            let Ok(Start::At(end)) = end.parse() else {
                panic!("{end}")
            };
            return (record["LogTimestamp"].as_str().unwrap().to_owned(), end);
        }
    }
}

#[test]
fn the_clock_starts_now_unless_pinned() {
    let before = start::now_ms();
    let mut g = generator(only(LogType::UserActivity));
    let after = start::now_ms();
    assert!(
        before <= g.now && g.now <= after,
        "{before} {} {after}",
        g.now
    );
    // About 1 ms per record from there.
    let (_, end) = record_time(&mut g);
    assert!(
        (before..after + 1_000).contains(&end),
        "{before} {end} {after}"
    );

    let mut g = generator(GeneratorOptions {
        start: PINNED,
        ..only(LogType::UserActivity)
    });
    let (ctime, end) = record_time(&mut g);
    assert!(ctime.starts_with("Wed Nov 25 08:00:0"), "{ctime}");
    assert!(
        (1_795_593_600_000..1_795_593_601_000).contains(&end),
        "{end}"
    );
}

#[test]
fn a_clock_started_now_keeps_up_with_the_wall_clock() {
    let hour = std::time::Duration::from_secs(3600);
    let mut live = generator(GeneratorOptions::default());
    let start = live.now;
    live.keep_up(hour);
    assert_eq!(live.now, start + 3_600_000);
    // Never backwards.
    live.keep_up(std::time::Duration::ZERO);
    assert_eq!(live.now, start + 3_600_000);

    let mut pinned = generator(GeneratorOptions {
        start: PINNED,
        ..GeneratorOptions::default()
    });
    pinned.keep_up(hour);
    assert_eq!(pinned.now, 1_795_593_600_000);
}

#[test]
fn record_with_code_round_trips_the_code() {
    let e = enricher();
    let mut g = generator(GeneratorOptions::default());
    let codes = [
        "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY",
        "APP_NOT_REACHABLE",
        "BRK_MT_TERMINATED",
        "BRK_MT_SETUP_FAIL_FUTURE_CODE_7",
        "NEW \"quoted\" \\ code\té",
    ];
    for code in codes {
        let mut out = Vec::new();
        g.record_with_code(code, &mut out);
        let record = parse(&out);
        assert_eq!(record["InternalReason"], code);
        assert_eq!(record["ConnectionStatus"], "close");
        assert_eq!(record.len(), 69);
        match e.enrich(&out, &mut Vec::new()) {
            Outcome::Known { entry, .. } => assert_eq!(e.catalog().entry(entry).code, code),
            Outcome::Unknown { code: c, .. } => {
                assert!(e.catalog().get(code).is_none());
                assert_eq!(c, code.trim());
            }
            other => panic!("{code}: {other:?}"),
        }
    }
}

#[test]
fn every_invalid_kind_is_rejected() {
    let e = enricher();
    let mut g = generator(GeneratorOptions::default());
    for kind in InvalidKind::ALL {
        for _ in 0..30 {
            let mut out = Vec::new();
            let made = g.invalid(kind, &mut out);
            assert!(!made.valid);
            assert_eq!(made.code, None);
            let outcome = e.enrich(&out, &mut Vec::new());
            assert!(
                matches!(outcome, Outcome::Invalid(_)),
                "{kind:?}: {outcome:?}: {}",
                String::from_utf8_lossy(&out)
            );
        }
    }
}

#[test]
fn invalid_ratio_spreads_over_the_reasons() {
    let e = enricher();
    let mut g = generator(GeneratorOptions {
        invalid_ratio: 1.0,
        ..GeneratorOptions::default()
    });
    let mut reasons = BTreeSet::new();
    let mut out = Vec::new();
    for _ in 0..500 {
        out.clear();
        let made = g.next_record(&mut out);
        assert!(!made.valid);
        match e.enrich(&out, &mut Vec::new()) {
            Outcome::Invalid(r) => reasons.insert(r.reason),
            other => panic!("{other:?}"),
        };
    }
    // Every reason but `too_large` and `key_conflict`, which depend on the reader's limit and
    // output key, not on the record alone.
    let expected = InvalidReason::ALL
        .into_iter()
        .filter(|r| !matches!(r, InvalidReason::TooLarge | InvalidReason::KeyConflict));
    assert_eq!(reasons, expected.collect());

    // A small ratio leaves most records valid.
    let mut g = generator(GeneratorOptions {
        invalid_ratio: 0.1,
        ..GeneratorOptions::default()
    });
    let invalid = (0..5_000)
        .filter(|_| {
            out.clear();
            !g.next_record(&mut out).valid
        })
        .count();
    assert!((400..600).contains(&invalid), "{invalid}");
}

#[test]
fn user_activity_records_have_the_expected_size() {
    let mut g = generator(only(LogType::UserActivity));
    let mut out = Vec::new();
    let n = 10_000;
    for _ in 0..n {
        g.next_record(&mut out);
    }
    let avg = out.len() / n;
    assert!((1_500..2_300).contains(&avg), "{avg}");
}

#[test]
fn any_catalog_works() {
    // A catalog with only a few codes, some severities missing entirely.
    let base = Catalog::builtin();
    let keep = ["BRK_MT_TERMINATED", "APP_NOT_REACHABLE", "close"];
    let entries = base
        .entries()
        .iter()
        .filter(|e| keep.contains(&e.code.as_str()))
        .cloned()
        .collect();
    let small = Catalog::new("tiny".into(), entries).unwrap();
    let mut g = Generator::new(&small, only(LogType::UserActivity));
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for _ in 0..2_000 {
        out.clear();
        seen.insert(g.next_record(&mut out).code.unwrap());
    }
    let expected: BTreeSet<String> = ["BRK_MT_TERMINATED", "APP_NOT_REACHABLE", "open", "active"]
        .map(String::from)
        .into_iter()
        .collect();
    assert_eq!(seen, expected);
    // Severity buckets of the built-in catalog are all represented in the mix.
    let g = generator(GeneratorOptions::default());
    let sev: BTreeSet<Severity> = g
        .codes
        .reasons()
        .iter()
        .filter_map(|r| base.get(&r.code).map(|e| e.severity))
        .collect();
    assert_eq!(sev.len(), Severity::ALL.len());
}
