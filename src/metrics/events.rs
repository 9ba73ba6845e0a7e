//! The per-code counter `zpa_enricher_events_total` and the bounded set of unknown codes.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use prometheus::{IntCounter, IntCounterVec};

use super::{Metrics, NO_CODE_LABEL, UNKNOWN_CODE_LABEL};
use crate::catalog::{Catalog, Component, Severity};
use crate::enrich::Outcome;
use crate::event::{LogType, Quirk};

/// Number of `component` label values of unknown codes: every component, plus `unknown`.
const UNKNOWN_COMPONENTS: usize = Component::ALL.len() + 1;

/// The per-code counter `zpa_enricher_events_total`, with its children cached for one catalog.
///
/// Build one per catalog (and rebuild it when the catalog is replaced). The first record of a
/// given (log type, code) pair resolves the labelled child; every later one is an index into a
/// `Vec` and an atomic increment. Series of a previous catalog are kept: they are counters, and
/// removing them would lose counts.
#[derive(Debug)]
pub struct EventCounters {
    events: IntCounterVec,
    catalog: Arc<Catalog>,
    unknown_severity: Severity,
    /// Known codes, indexed by `log_type as usize * catalog.len() + entry.index()`. The
    /// component and severity labels are those of the code in that log type (its override).
    known: Vec<Option<IntCounter>>,
    /// Unknown codes, indexed by `log_type as usize * UNKNOWN_COMPONENTS + component`, where
    /// the component is the one guessed from the code, or the last slot for `unknown`.
    unknown: Vec<Option<IntCounter>>,
    /// Records without a code, indexed by `log_type as usize`.
    none: Vec<Option<IntCounter>>,
    /// `zpa_enricher_records_repaired_total`, indexed by `Quirk as usize`.
    repaired: [IntCounter; Quirk::ALL.len()],
    /// `zpa_enricher_event_time_unreadable_total`, indexed by `LogType as usize`.
    time_unreadable: [IntCounter; LogType::ALL.len()],
}

impl EventCounters {
    /// Prepares the counters of `catalog`. Codes not in the catalog are counted with
    /// `unknown_severity`.
    #[must_use]
    pub fn new(metrics: &Metrics, catalog: Arc<Catalog>, unknown_severity: Severity) -> Self {
        let log_types = LogType::ALL.len();
        Self {
            events: metrics.events.clone(),
            known: vec![None; log_types * catalog.len()],
            unknown: vec![None; log_types * UNKNOWN_COMPONENTS],
            none: vec![None; log_types],
            repaired: metrics.records_repaired.clone(),
            time_unreadable: metrics.event_time_unreadable.clone(),
            catalog,
            unknown_severity,
        }
    }

    /// Counts one enriched record, the template quirks repaired in it, and whether its event
    /// time was unreadable. [`Outcome::Invalid`] is not counted here (see
    /// [`Metrics::record_invalid`]).
    pub fn count(&mut self, outcome: &Outcome<'_>) {
        if let (Some(time), Some(log_type)) = (outcome.event_time(), outcome.log_type())
            && time.is_processing_time()
        {
            self.time_unreadable[log_type as usize].inc();
        }
        let repaired = outcome.repaired();
        if !repaired.is_empty() {
            for quirk in repaired.iter() {
                self.repaired[quirk as usize].inc();
            }
        }
        match outcome {
            Outcome::Known {
                entry, log_type, ..
            } => {
                let n = self.catalog.len();
                debug_assert!(entry.index() < n, "entry id from another catalog");
                let Some(e) = self.catalog.entries().get(entry.index()) else {
                    // An id from another catalog: a caller bug. Count it without a code rather
                    // than panic on the hot path.
                    self.count_unknown(*log_type, None);
                    return;
                };
                let slot = &mut self.known[*log_type as usize * n + entry.index()];
                slot.get_or_insert_with(|| {
                    self.events.with_label_values(&[
                        log_type.as_str(),
                        e.code.as_str(),
                        e.component_in(*log_type).as_str(),
                        e.severity_in(*log_type).as_str(),
                        e.category.as_str(),
                    ])
                })
                .inc();
            }
            Outcome::Unknown { code, log_type, .. } => {
                self.count_unknown(*log_type, Component::guess_from_code(code));
            }
            Outcome::NoCode { log_type, .. } => {
                self.none[*log_type as usize]
                    .get_or_insert_with(|| {
                        self.events.with_label_values(&[
                            log_type.as_str(),
                            NO_CODE_LABEL,
                            "none",
                            Severity::Info.as_str(),
                            "info",
                        ])
                    })
                    .inc();
            }
            Outcome::Invalid(_) => {}
        }
    }

    fn count_unknown(&mut self, log_type: LogType, component: Option<Component>) {
        let c = component.map_or(UNKNOWN_COMPONENTS - 1, |c| c as usize);
        let severity = self.unknown_severity;
        self.unknown[log_type as usize * UNKNOWN_COMPONENTS + c]
            .get_or_insert_with(|| {
                self.events.with_label_values(&[
                    log_type.as_str(),
                    UNKNOWN_CODE_LABEL,
                    component.map_or("unknown", Component::as_str),
                    severity.as_str(),
                    "unknown",
                ])
            })
            .inc();
    }
}

/// Default number of distinct unknown codes remembered by [`UnknownCodes`].
pub const UNKNOWN_CODES_LIMIT: usize = 10_000;

/// Codes are remembered by at most this many leading bytes, which bounds the memory of
/// [`UnknownCodes`] even when records carry huge garbage codes.
const UNKNOWN_CODE_MAX_BYTES: usize = 128;

/// A bounded set of the distinct unknown codes seen since start, so that each one is logged
/// once and `zpa_enricher_unknown_codes` can be set.
///
/// Holds at most a fixed number of codes (by default [`UNKNOWN_CODES_LIMIT`]), each
/// truncated to 128 bytes; once full, new codes are no longer reported.
#[derive(Debug)]
pub struct UnknownCodes {
    seen: HashSet<Box<str>>,
    limit: usize,
}

impl Default for UnknownCodes {
    fn default() -> Self {
        Self::new()
    }
}

impl UnknownCodes {
    /// An empty tracker holding up to [`UNKNOWN_CODES_LIMIT`] codes.
    #[must_use]
    pub fn new() -> Self {
        Self::with_limit(UNKNOWN_CODES_LIMIT)
    }

    /// An empty tracker holding up to `limit` codes.
    #[must_use]
    pub(crate) fn with_limit(limit: usize) -> Self {
        Self {
            seen: HashSet::new(),
            limit,
        }
    }

    /// Records `code`; true the first time it is seen (the caller logs it then). Always false
    /// once the tracker is full.
    pub(crate) fn observe(&mut self, code: &str) -> bool {
        let key = truncate(code, UNKNOWN_CODE_MAX_BYTES);
        if self.seen.len() >= self.limit || self.seen.contains(key) {
            return false;
        }
        self.seen.insert(key.into())
    }

    /// Number of distinct codes seen (at most the limit).
    #[must_use]
    pub(crate) fn distinct(&self) -> usize {
        self.seen.len()
    }

    /// True once the limit is reached and new codes are no longer tracked.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn is_full(&self) -> bool {
        self.seen.len() >= self.limit
    }
}

/// An unknown code as it may be logged or shown: at most 128 bytes (cut with `…`), with
/// control characters escaped (`\n`, `\u{1b}`), so that a hostile record can neither forge
/// log lines or terminal output nor make one code take unbounded memory.
#[must_use]
pub fn shown_code(code: &str) -> Cow<'_, str> {
    let cut = truncate(code, UNKNOWN_CODE_MAX_BYTES);
    if cut.len() == code.len() && !code.chars().any(char::is_control) {
        return Cow::Borrowed(code);
    }
    let mut shown = String::with_capacity(cut.len() + 8);
    for c in cut.chars() {
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    if cut.len() < code.len() {
        shown.push('…');
    }
    Cow::Owned(shown)
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_codes_are_short_and_printable() {
        assert!(matches!(
            shown_code("BRK_NEW_CODE"),
            Cow::Borrowed("BRK_NEW_CODE")
        ));
        assert_eq!(shown_code("A\nB\u{1b}[31m"), "A\\nB\\u{1b}[31m");
        let long = "é".repeat(200);
        let shown = shown_code(&long);
        assert!(
            shown.len() <= UNKNOWN_CODE_MAX_BYTES + '…'.len_utf8(),
            "{}",
            shown.len()
        );
        assert!(shown.ends_with('…') && shown.starts_with("éé"));
    }

    #[test]
    fn unknown_codes_are_bounded() {
        let mut u = UnknownCodes::with_limit(3);
        assert!(u.observe("A"));
        assert!(!u.observe("A"));
        assert!(u.observe("B"));
        assert!(u.observe("C"));
        assert!(u.is_full());
        assert!(!u.observe("D"));
        assert!(!u.observe("A"));
        assert_eq!(u.distinct(), 3);

        let mut u = UnknownCodes::new();
        for i in 0..UNKNOWN_CODES_LIMIT + 50 {
            u.observe(&format!("CODE_{i}"));
        }
        assert_eq!(u.distinct(), UNKNOWN_CODES_LIMIT);

        // Huge codes are remembered by a bounded prefix, cut on a character boundary.
        let mut u = UnknownCodes::new();
        let long = format!("{}é{}", "X".repeat(127), "Y".repeat(1000));
        assert!(u.observe(&long));
        assert!(!u.observe(&format!("{}é{}", "X".repeat(127), "Z".repeat(10))));
        assert!(u.seen.iter().all(|c| c.len() <= UNKNOWN_CODE_MAX_BYTES));
    }
}
