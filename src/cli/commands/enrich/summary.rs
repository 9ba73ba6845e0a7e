//! Per-code counts for the end-of-run summary of `zpa-enricher enrich`, with the records that
//! were invalid, by reason, repaired, by quirk, and without a readable event time.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use serde_json::json;

use zpa_enricher::catalog::{Catalog, Component, Severity};
use zpa_enricher::enrich::Outcome;
use zpa_enricher::event::{InvalidReason, LogType, Quirk};
use zpa_enricher::metrics::shown_code;

/// Distinct unknown codes tracked by text; beyond this they are counted together.
const MAX_TRACKED_UNKNOWN: usize = 10_000;

/// Counters for one run.
#[derive(Debug)]
pub(crate) struct Summary {
    /// Severity reported for unknown codes (as configured).
    unknown_severity: Severity,
    records: u64,
    /// Known codes, indexed by `log_type as usize * entries + entry.index()`: a code's
    /// severity and component can depend on the log type (the catalog's overrides).
    known: Vec<u64>,
    /// Entries of the catalog.
    entries: usize,
    unknown: BTreeMap<String, u64>,
    unknown_untracked: u64,
    no_code: u64,
    invalid: [u64; InvalidReason::ALL.len()],
    /// Records enriched after a repair.
    repaired: u64,
    /// Of those, the records with each quirk (a record with both counts under each).
    quirks: [u64; Quirk::ALL.len()],
    log_types: [u64; LogType::ALL.len()],
    /// Records enriched without a readable event time, by log type.
    time_unreadable: [u64; LogType::ALL.len()],
}

impl Summary {
    pub(crate) fn new(catalog: &Catalog, unknown_severity: Severity) -> Self {
        Self {
            unknown_severity,
            records: 0,
            known: vec![0; catalog.len() * LogType::ALL.len()],
            entries: catalog.len(),
            unknown: BTreeMap::new(),
            unknown_untracked: 0,
            no_code: 0,
            invalid: [0; InvalidReason::ALL.len()],
            repaired: 0,
            quirks: [0; Quirk::ALL.len()],
            log_types: [0; LogType::ALL.len()],
            time_unreadable: [0; LogType::ALL.len()],
        }
    }

    /// Counts one outcome. The first time an unknown code is seen it is logged.
    pub(crate) fn record(&mut self, outcome: &Outcome<'_>) {
        self.records += 1;
        if let Some(t) = outcome.log_type() {
            self.log_types[t as usize] += 1;
            if outcome
                .event_time()
                .is_some_and(zpa_enricher::event::EventTime::is_processing_time)
            {
                self.time_unreadable[t as usize] += 1;
            }
        }
        let repaired = outcome.repaired();
        if !repaired.is_empty() {
            self.repaired += 1;
            for quirk in repaired.iter() {
                self.quirks[quirk as usize] += 1;
            }
        }
        match outcome {
            Outcome::Known {
                entry, log_type, ..
            } => self.known[*log_type as usize * self.entries + entry.index()] += 1,
            Outcome::Unknown { code, source, .. } => {
                // Tracked as shown: bounded in size, and safe to print.
                let code = shown_code(code);
                if let Some(n) = self.unknown.get_mut(code.as_ref()) {
                    *n += 1;
                } else if self.unknown.len() < MAX_TRACKED_UNKNOWN {
                    tracing::warn!(code = %code, field = %source, "unknown status code (logged once per code)");
                    self.unknown.insert(code.into_owned(), 1);
                } else {
                    if self.unknown_untracked == 0 {
                        tracing::warn!(
                            limit = MAX_TRACKED_UNKNOWN,
                            "too many distinct unknown codes; further ones are counted together"
                        );
                    }
                    self.unknown_untracked += 1;
                }
            }
            Outcome::NoCode { .. } => self.no_code += 1,
            Outcome::Invalid(e) => self.invalid[e.reason as usize] += 1,
        }
    }

    /// Counts a record that was too large to hand to the core.
    pub(crate) fn record_too_large(&mut self) {
        self.records += 1;
        self.invalid[InvalidReason::TooLarge as usize] += 1;
    }

    fn known_total(&self) -> u64 {
        self.known.iter().sum()
    }

    fn unknown_total(&self) -> u64 {
        self.unknown.values().sum::<u64>() + self.unknown_untracked
    }

    fn invalid_total(&self) -> u64 {
        self.invalid.iter().sum()
    }

    /// Codes with their counts, most frequent first (ties by code). A code with an override has
    /// a row for each severity and component it was enriched with.
    fn code_rows<'c>(&'c self, catalog: &'c Catalog) -> Vec<CodeRow<'c>> {
        let mut known: Vec<CodeRow<'c>> = Vec::new();
        for (i, &count) in self.known.iter().enumerate().filter(|(_, n)| **n > 0) {
            let log_type = LogType::ALL[i / self.entries];
            let e = &catalog.entries()[i % self.entries];
            let severity = e.severity_in(log_type).as_str();
            let component = Some(e.component_in(log_type).as_str());
            match known
                .iter_mut()
                .find(|r| r.code == e.code && r.severity == severity && r.component == component)
            {
                Some(row) => row.count += count,
                None => known.push(CodeRow {
                    code: &e.code,
                    count,
                    severity,
                    component,
                    known: true,
                }),
            }
        }
        let mut rows: Vec<CodeRow<'c>> = known
            .into_iter()
            .chain(self.unknown.iter().map(|(code, &count)| CodeRow {
                code,
                count,
                severity: self.unknown_severity.as_str(),
                component: Component::guess_from_code(code).map(Component::as_str),
                known: false,
            }))
            .collect();
        rows.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.code.cmp(b.code))
                .then(a.severity.cmp(b.severity))
        });
        rows
    }

    /// Writes the human-readable summary.
    pub(crate) fn write_text<W: Write>(
        &self,
        catalog: &Catalog,
        elapsed: Duration,
        mut w: W,
    ) -> io::Result<()> {
        writeln!(
            w,
            "zpa-enricher: {} records in {:.2} s: {} known code, {} unknown code, {} no code, {} invalid{}",
            self.records,
            elapsed.as_secs_f64(),
            self.known_total(),
            self.unknown_total(),
            self.no_code,
            self.invalid_total(),
            self.invalid_breakdown(),
        )?;
        let rows = self.code_rows(catalog);
        if !rows.is_empty() {
            writeln!(
                w,
                "{:>10}  {:<9} {:<25} code",
                "count", "severity", "component"
            )?;
            for r in rows {
                writeln!(
                    w,
                    "{:>10}  {:<9} {:<25} {}{}",
                    r.count,
                    r.severity,
                    r.component.unwrap_or("-"),
                    r.code,
                    if r.known { "" } else { " (not in catalog)" }
                )?;
            }
        }
        if self.unknown_untracked > 0 {
            writeln!(
                w,
                "{:>10}  further unknown codes (not tracked individually)",
                self.unknown_untracked
            )?;
        }
        let types = self.by_log_type(&self.log_types);
        if !types.is_empty() {
            writeln!(w, "log types: {}", types.join(", "))?;
        }
        if self.repaired > 0 {
            let quirks: Vec<String> = Quirk::ALL
                .iter()
                .filter(|q| self.quirks[**q as usize] > 0)
                .map(|q| format!("{} {}", self.quirks[*q as usize], q))
                .collect();
            writeln!(
                w,
                "repaired: {} {} with list fields written without brackets ({})",
                self.repaired,
                if self.repaired == 1 {
                    "record"
                } else {
                    "records"
                },
                quirks.join(", ")
            )?;
        }
        let unreadable: u64 = self.time_unreadable.iter().sum();
        if unreadable > 0 {
            writeln!(
                w,
                "event time unreadable: {unreadable} {} given the processing time ({})",
                if unreadable == 1 { "record" } else { "records" },
                self.by_log_type(&self.time_unreadable).join(", ")
            )?;
        }
        Ok(())
    }

    /// `"<log type> <count>"` for each log type counted in `counts`.
    fn by_log_type(&self, counts: &[u64; LogType::ALL.len()]) -> Vec<String> {
        LogType::ALL
            .iter()
            .filter(|t| counts[**t as usize] > 0)
            .map(|t| format!("{} {}", t, counts[*t as usize]))
            .collect()
    }

    fn invalid_breakdown(&self) -> String {
        let parts: Vec<String> = InvalidReason::ALL
            .iter()
            .filter(|r| self.invalid[**r as usize] > 0)
            .map(|r| format!("{} {}", self.invalid[*r as usize], r))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }

    /// Writes the summary as one JSON object.
    pub(crate) fn write_json<W: Write>(
        &self,
        catalog: &Catalog,
        elapsed: Duration,
        mut w: W,
    ) -> io::Result<()> {
        let codes: Vec<_> = self
            .code_rows(catalog)
            .into_iter()
            .map(|r| {
                json!({
                    "code": r.code, "count": r.count, "severity": r.severity,
                    "component": r.component, "known": r.known,
                })
            })
            .collect();
        let by_reason: serde_json::Map<String, serde_json::Value> = InvalidReason::ALL
            .iter()
            .filter(|r| self.invalid[**r as usize] > 0)
            .map(|r| (r.as_str().to_owned(), self.invalid[*r as usize].into()))
            .collect();
        let by_quirk: serde_json::Map<String, serde_json::Value> = Quirk::ALL
            .iter()
            .filter(|q| self.quirks[**q as usize] > 0)
            .map(|q| (q.as_str().to_owned(), self.quirks[*q as usize].into()))
            .collect();
        let by_type =
            |counts: &[u64; LogType::ALL.len()]| -> serde_json::Map<String, serde_json::Value> {
                LogType::ALL
                    .iter()
                    .filter(|t| counts[**t as usize] > 0)
                    .map(|t| (t.as_str().to_owned(), counts[*t as usize].into()))
                    .collect()
            };
        let v = json!({
            "records": self.records,
            "known": self.known_total(),
            "unknown_code": self.unknown_total(),
            "no_code": self.no_code,
            "invalid": self.invalid_total(),
            "invalid_by_reason": by_reason,
            "repaired": self.repaired,
            "repaired_by_quirk": by_quirk,
            "log_types": by_type(&self.log_types),
            "event_time_unreadable": by_type(&self.time_unreadable),
            "codes": codes,
            "unknown_untracked": self.unknown_untracked,
            "catalog_version": catalog.version(),
            "elapsed_seconds": elapsed.as_secs_f64(),
        });
        serde_json::to_writer(&mut w, &v)?;
        w.write_all(b"\n")
    }
}

struct CodeRow<'a> {
    code: &'a str,
    count: u64,
    severity: &'a str,
    component: Option<&'a str>,
    known: bool,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use zpa_enricher::enrich::{EnrichOptions, Enricher};

    use super::*;

    #[test]
    fn a_code_counts_with_the_severity_of_each_log_type() {
        let catalog = Arc::new(Catalog::builtin());
        let enricher = Enricher::new(Arc::clone(&catalog), EnrichOptions::default());
        let mut summary = Summary::new(&catalog, Severity::Medium);
        for record in [
            r#"{"Username":"u","SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#,
            r#"{"Connector":"c","SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#,
            r#"{"Connector":"c","SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#,
            r#"{"Username":"u","SessionStatus":"ZPN_STATUS_AUTHENTICATED"}"#,
            r#"{"Username":"v","SessionStatus":"ZPN_STATUS_AUTHENTICATED"}"#,
        ] {
            let mut out = Vec::new();
            summary.record(&enricher.enrich(record.as_bytes(), &mut out));
        }
        let mut json = Vec::new();
        summary
            .write_json(&catalog, Duration::ZERO, &mut json)
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let rows: Vec<(String, u64, String, String)> = v["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["code"].as_str().unwrap().to_owned(),
                    r["count"].as_u64().unwrap(),
                    r["severity"].as_str().unwrap().to_owned(),
                    r["component"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let row = |code: &str, n: u64, severity: &str, component: &str| {
            (
                code.to_owned(),
                n,
                severity.to_owned(),
                component.to_owned(),
            )
        };
        assert_eq!(
            rows,
            [
                row("ZPN_STATUS_AUTHENTICATED", 2, "info", "Authentication"),
                row("ZPN_STATUS_AUTH_FAILED", 2, "critical", "App Connector"),
                row("ZPN_STATUS_AUTH_FAILED", 1, "medium", "Authentication"),
            ]
        );
        assert_eq!(v["known"], 5);
    }
}
