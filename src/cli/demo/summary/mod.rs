//! The demo's summary: a [`Snapshot`] of the service's counters, read from its metrics registry
//! (the same numbers `/metrics` serves), and its rendering as a text block.
//!
//! Pure: no I/O and no clock; the caller gathers the metric families, measures time and prints.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::time::Duration;

use prometheus::proto::{Metric, MetricFamily};

use zpa_enricher::catalog::Severity;
use zpa_enricher::metrics::{NO_CODE_LABEL, UNKNOWN_CODE_LABEL};

/// The count of one catalog code, over every log type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CodeCount {
    /// The code's severity (the `severity` label; the highest, when the catalog's overrides
    /// give the code several).
    pub severity: Severity,
    /// Records enriched with it.
    pub count: u64,
}

/// The service's counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Records the traffic generator produced into the raw topic (not a service metric; the
    /// caller fills it in).
    pub generated: u64,
    /// `zpa_enricher_records_consumed_total`.
    pub consumed: u64,
    /// `zpa_enricher_records_produced_total{destination="output"}`.
    pub produced_output: u64,
    /// `zpa_enricher_records_produced_total{destination="dlq"}`.
    pub produced_dlq: u64,
    /// `zpa_enricher_in_flight`.
    pub in_flight: u64,
    /// `zpa_enricher_paused`.
    pub paused: bool,
    /// `zpa_enricher_assigned_partitions`.
    pub assigned_partitions: u64,
    /// `zpa_enricher_records_invalid_total`, over every reason.
    pub invalid: u64,
    /// `zpa_enricher_records_dead_lettered_total` by reason, non-zero reasons only.
    pub dead_lettered: BTreeMap<String, u64>,
    /// `zpa_enricher_events_total{code="__unknown__"}`: records with a code not in the catalog.
    pub unknown: u64,
    /// `zpa_enricher_unknown_codes`: distinct codes not in the catalog.
    pub unknown_distinct: u64,
    /// `zpa_enricher_events_total{code="__none__"}`: records without a status code.
    pub no_code: u64,
    /// `zpa_enricher_events_total` of catalog codes, summed over log types.
    pub codes: BTreeMap<String, CodeCount>,
    /// `zpa_enricher_catalog_info{version}`.
    pub catalog_version: Option<String>,
}

/// A counter or gauge sample as a count. Our samples are non-negative integers far below 2^53,
/// so the conversion is exact; anything else (NaN, negative) reads as 0.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "checked: finite, non-negative, and integers below 2^53 convert exactly"
)]
fn count(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.round() as u64
    } else {
        0
    }
}

fn label<'m>(m: &'m Metric, name: &str) -> Option<&'m str> {
    m.get_label()
        .iter()
        .find(|l| l.name() == name)
        .map(prometheus::proto::LabelPair::value)
}

impl Snapshot {
    /// Reads the counters from gathered metric families (`Metrics::registry().gather()`).
    /// Families it does not know are ignored; missing ones read as zero.
    #[must_use]
    pub(crate) fn from_families(families: &[MetricFamily]) -> Self {
        let mut s = Snapshot::default();
        for family in families {
            let metrics = family.get_metric();
            let counters = || metrics.iter().map(|m| (m, count(m.get_counter().value())));
            let gauge = || metrics.first().map_or(0, |m| count(m.get_gauge().value()));
            match family.name() {
                "zpa_enricher_records_consumed_total" => {
                    s.consumed = counters().map(|(_, v)| v).sum();
                }
                "zpa_enricher_records_produced_total" => {
                    for (m, v) in counters() {
                        match label(m, "destination") {
                            Some("output") => s.produced_output += v,
                            Some("dlq") => s.produced_dlq += v,
                            _ => {}
                        }
                    }
                }
                "zpa_enricher_records_invalid_total" => {
                    s.invalid = counters().map(|(_, v)| v).sum();
                }
                "zpa_enricher_records_dead_lettered_total" => {
                    for (m, v) in counters() {
                        if v > 0 {
                            let reason = label(m, "reason").unwrap_or("other");
                            *s.dead_lettered.entry(reason.to_owned()).or_default() += v;
                        }
                    }
                }
                "zpa_enricher_events_total" => {
                    for (m, v) in counters() {
                        match label(m, "code") {
                            Some(UNKNOWN_CODE_LABEL) => s.unknown += v,
                            Some(NO_CODE_LABEL) | None => s.no_code += v,
                            Some(code) => {
                                let severity = label(m, "severity")
                                    .and_then(|x| x.parse().ok())
                                    .unwrap_or(Severity::Medium);
                                let e = s
                                    .codes
                                    .entry(code.to_owned())
                                    .or_insert(CodeCount { severity, count: 0 });
                                // Overrides can give a code several; the highest is shown.
                                e.severity = e.severity.max(severity);
                                e.count += v;
                            }
                        }
                    }
                }
                "zpa_enricher_in_flight" => s.in_flight = gauge(),
                "zpa_enricher_paused" => s.paused = gauge() > 0,
                "zpa_enricher_assigned_partitions" => s.assigned_partitions = gauge(),
                "zpa_enricher_unknown_codes" => s.unknown_distinct = gauge(),
                "zpa_enricher_catalog_info" => {
                    s.catalog_version = metrics
                        .iter()
                        .find(|m| m.get_gauge().value() > 0.0)
                        .and_then(|m| label(m, "version"))
                        .map(str::to_owned);
                }
                _ => {}
            }
        }
        s
    }

    /// Records delivered to the output or the dead-letter topic.
    #[must_use]
    pub(crate) fn produced(&self) -> u64 {
        self.produced_output + self.produced_dlq
    }

    /// Records consumed whose delivery is not (yet) acknowledged.
    #[must_use]
    pub(crate) fn unacknowledged(&self) -> u64 {
        self.consumed.saturating_sub(self.produced())
    }

    /// True when every consumed record was delivered to the output or the dead-letter topic,
    /// once: `consumed == output + dlq`.
    #[must_use]
    pub(crate) fn balanced(&self) -> bool {
        self.consumed == self.produced()
    }
}

/// What a rendered block shows besides the counters.
#[derive(Debug, Clone)]
pub(crate) struct Frame<'a> {
    /// First line, e.g. `live` or `final summary`.
    pub title: &'a str,
    /// Time since the demo started.
    pub elapsed: Duration,
    /// Where `/metrics` is served.
    pub metrics_url: &'a str,
    /// Codes shown per severity (0: none).
    pub top: usize,
    /// True for the final block: rates are averages over `elapsed`, and the balance check of
    /// consumed against delivered records is printed.
    pub last: bool,
}

/// A rate per second as text: whole numbers from 100, one decimal below.
fn rate(delta: u64, over: Duration) -> String {
    let secs = over.as_secs_f64();
    let r = if secs > 0.0 { delta as f64 / secs } else { 0.0 };
    if r >= 100.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Renders `now` as a text block (lines ending in `\n`). Rates are the change since `prev` over
/// `interval`; for the final block pass [`Snapshot::default`] and the whole run time.
#[must_use]
pub(crate) fn render(
    now: &Snapshot,
    prev: &Snapshot,
    interval: Duration,
    frame: &Frame<'_>,
) -> String {
    let mut o = String::new();
    write_block(&mut o, now, prev, interval, frame).expect("writing to a String never fails");
    o
}

fn row(o: &mut String, name: &str, total: u64, per_s: &str, note: &str) -> fmt::Result {
    let line = format!("  {name:<16}{total:>12}{per_s:>10}   {note}");
    writeln!(o, "{}", line.trim_end())
}

fn write_block(
    o: &mut String,
    now: &Snapshot,
    prev: &Snapshot,
    interval: Duration,
    frame: &Frame<'_>,
) -> fmt::Result {
    let d = |a: u64, b: u64| rate(a.saturating_sub(b), interval);
    writeln!(
        o,
        "zpa-enricher demo: {} at {} s{}",
        frame.title,
        frame.elapsed.as_secs(),
        if frame.last {
            " (rates are averages over the run)"
        } else {
            ""
        }
    )?;
    write!(
        o,
        "  metrics {}   catalog {}",
        frame.metrics_url,
        now.catalog_version.as_deref().unwrap_or("-"),
    )?;
    if !frame.last {
        write!(o, "   partitions assigned {}", now.assigned_partitions)?;
        if now.assigned_partitions == 0 {
            write!(o, " (joining the consumer group)")?;
        }
        if now.paused {
            write!(o, "   PAUSED (backpressure)")?;
        }
    }
    writeln!(o)?;
    writeln!(o, "  {:<16}{:>12}{:>10}", "", "total", "per s")?;
    row(
        o,
        "generated",
        now.generated,
        &d(now.generated, prev.generated),
        "into the raw topic",
    )?;
    row(
        o,
        "consumed",
        now.consumed,
        &d(now.consumed, prev.consumed),
        "",
    )?;
    row(
        o,
        "produced",
        now.produced(),
        &d(now.produced(), prev.produced()),
        &format!(
            "output {}, dead letters {}",
            now.produced_output, now.produced_dlq
        ),
    )?;
    let in_flight = if frame.last {
        now.unacknowledged()
    } else {
        now.in_flight
    };
    row(o, "in flight", in_flight, "", "")?;
    row(
        o,
        "unknown codes",
        now.unknown,
        &d(now.unknown, prev.unknown),
        &format!("{} distinct codes not in the catalog", now.unknown_distinct),
    )?;
    let reasons: Vec<String> = now
        .dead_lettered
        .iter()
        .map(|(r, n)| format!("{r} {n}"))
        .collect();
    row(
        o,
        "dlq",
        now.produced_dlq,
        &d(now.produced_dlq, prev.produced_dlq),
        &reasons.join(", "),
    )?;
    row(
        o,
        "no code",
        now.no_code,
        &d(now.no_code, prev.no_code),
        "records without a status code (metrics, audit, ...)",
    )?;
    write_codes(o, now, prev, interval, frame.top)?;
    if frame.last {
        writeln!(
            o,
            "  check: consumed {} = output {} + dlq {}: {}",
            now.consumed,
            now.produced_output,
            now.produced_dlq,
            if now.balanced() {
                "balanced".to_owned()
            } else {
                format!("{} not acknowledged", now.unacknowledged())
            }
        )?;
    }
    Ok(())
}

/// The `top` codes of each severity, most severe first, by count.
fn write_codes(
    o: &mut String,
    now: &Snapshot,
    prev: &Snapshot,
    interval: Duration,
    top: usize,
) -> fmt::Result {
    if top == 0 {
        return Ok(());
    }
    let mut shown: Vec<(&str, CodeCount)> = Vec::new();
    for severity in Severity::ALL.iter().rev() {
        let mut codes: Vec<(&str, CodeCount)> = now
            .codes
            .iter()
            .filter(|(_, c)| c.severity == *severity && c.count > 0)
            .map(|(code, c)| (code.as_str(), *c))
            .collect();
        codes.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        shown.extend(codes.into_iter().take(top));
    }
    let width = shown.iter().map(|(c, _)| c.len()).max().unwrap_or(0).max(4);
    writeln!(o, "  top codes by severity:")?;
    writeln!(
        o,
        "  {:<10}{:<width$}{:>12}{:>10}",
        "severity", "code", "total", "per s"
    )?;
    if shown.is_empty() {
        writeln!(o, "  (none yet)")?;
    }
    for (code, c) in shown {
        let before = prev.codes.get(code).map_or(0, |p| p.count);
        writeln!(
            o,
            "  {:<10}{code:<width$}{:>12}{:>10}",
            c.severity.as_str(),
            c.count,
            rate(c.count.saturating_sub(before), interval)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
