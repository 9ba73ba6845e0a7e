//! The generator of synthetic LSS records, one at a time.
//!
//! A [`Generator`] writes JSON records the way the default LSS JSON templates do: the keys of
//! each log type in template order, `%d` fields as numbers, `%j` fields as strings, list fields
//! as arrays, `LogTimestamp` in ctime style and the other times as millisecond ISO-8601 UTC
//! (`""` when the step was not reached). The traffic is plausible rather than random: a few
//! customers with users, applications and App Connectors, sessions that recur across records,
//! connection timelines and byte counters that agree with the status code, and a code mix
//! weighted by catalog severity the way real traffic is dominated by normal closes.
//!
//! Everything is derived from the seed and the start of the virtual clock, so the same seed and
//! options, the start pinned ([`Start::At`]), give the same bytes. The module is pure: it only
//! appends bytes to a caller's buffer, knows nothing of the enrichment output or of any I/O, and
//! reads the clock only once, to start at the current time ([`Start::Now`], the default).

mod activity;
mod codes;
mod inspection;
mod invalid;
mod other;
mod rng;
mod session;
mod start;
mod status;
mod world;
mod write;

#[cfg(test)]
mod tests;

use crate::catalog::Catalog;
use crate::event::LogType;

use codes::{ActivityCodes, ConnStatus, SESSION_STATUSES, Shape};
use invalid::InvalidKind;
use rng::{Rng, Weighted};
use session::Sessions;
use world::World;

pub use start::Start;
use write::{DayCache, Json, first_key, key};

/// The default log-type mix (relative weights), roughly what one tenant's receivers see.
const DEFAULT_MIX: [(LogType, u32); 15] = [
    (LogType::UserActivity, 800),
    (LogType::UserStatus, 80),
    (LogType::AppConnectorStatus, 30),
    (LogType::PrivateServiceEdgeStatus, 10),
    (LogType::PrivateCloudControllerStatus, 5),
    (LogType::BrowserAccess, 30),
    (LogType::Audit, 10),
    (LogType::AppConnectorMetrics, 15),
    (LogType::PrivateServiceEdgeMetrics, 5),
    (LogType::PrivateCloudControllerMetrics, 3),
    (LogType::AppProtection, 5),
    (LogType::SmbInspection, 2),
    (LogType::LdapInspection, 2),
    (LogType::KrbInspection, 2),
    (LogType::MicrosegmentationFlow, 5),
];

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorOptions {
    /// Seed of the generator: the same seed and options give the same records.
    pub seed: u64,
    /// Relative weights per log type; an empty list means the default realistic mix (mostly
    /// User Activity, every type present). [`LogType::Unknown`] gives JSON objects of no known
    /// type. When no listed type has a positive weight, the default mix is used.
    pub log_types: Vec<(LogType, u32)>,
    /// Fraction (0.0..=1.0) of User Activity records that carry a code NOT in the catalog
    /// (e.g. `BRK_MT_SETUP_FAIL_FUTURE_CODE_7`), to exercise unknown-code handling.
    /// Default 0.0.
    pub unknown_ratio: f64,
    /// Fraction (0.0..=1.0) of records that are deliberately invalid (truncated JSON, not JSON,
    /// wrong type for `InternalReason`, empty line, invalid UTF-8, nesting bomb...).
    /// Default 0.0.
    pub invalid_ratio: f64,
    /// When the records' clock starts: the current time by default; pin it for the same bytes
    /// from the same seed.
    pub start: Start,
}

impl Default for GeneratorOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            log_types: Vec::new(),
            unknown_ratio: 0.0,
            invalid_ratio: 0.0,
            start: Start::Now,
        }
    }
}

/// What one generated record is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The log type written (for an invalid record, the type it imitates, or
    /// [`LogType::Unknown`]).
    pub log_type: LogType,
    /// The status code written, as the enricher will look it up: `InternalReason`, or
    /// `ConnectionStatus` when that is empty (User Activity), or `SessionStatus` (status logs).
    /// `None` for types without one, empty codes, and invalid records.
    pub code: Option<String>,
    /// False for a deliberately invalid record.
    pub valid: bool,
}

/// How many client sessions are live at once.
const SESSIONS: usize = 512;

/// The parts of the generator a record writer uses, borrowed separately from the code tables.
struct Cx<'a> {
    rng: &'a mut Rng,
    world: &'a World,
    sessions: &'a mut Sessions,
    /// Reused buffer for values built in pieces (Audit documents).
    scratch: &'a mut Vec<u8>,
    /// The record's timestamp, milliseconds since the epoch.
    now: i64,
}

/// A seeded, deterministic source of LSS records.
#[derive(Debug)]
pub struct Generator {
    rng: Rng,
    world: World,
    sessions: Sessions,
    days: DayCache,
    scratch: Vec<u8>,
    /// The virtual clock, milliseconds since the epoch; advances about 1 ms per record.
    now: i64,
    /// When the clock started, if that was the current time ([`Start::Now`]): such a clock
    /// keeps up with the wall clock when told how long the run has lasted.
    live_since: Option<i64>,
    mix: Weighted<LogType>,
    codes: ActivityCodes,
    unknown_ratio: f64,
    invalid_ratio: f64,
}

/// Clamps a ratio into `0.0..=1.0` (NaN counts as 0).
fn ratio(r: f64) -> f64 {
    if r.is_nan() { 0.0 } else { r.clamp(0.0, 1.0) }
}

impl Generator {
    /// A generator drawing User Activity codes from `catalog`.
    #[must_use]
    pub fn new(catalog: &Catalog, opts: GeneratorOptions) -> Self {
        let GeneratorOptions {
            seed,
            log_types,
            unknown_ratio,
            invalid_ratio,
            start,
        } = opts;
        let start_ms = start.millis();
        let mut rng = Rng::new(seed);
        let world = World::new(&mut rng);
        let sessions = Sessions::new(&mut rng, &world, SESSIONS, start_ms);
        let weights =
            |list: &[(LogType, u32)]| Weighted::new(list.iter().map(|&(t, w)| (t, f64::from(w))));
        let mut mix = weights(&log_types);
        if mix.is_empty() {
            mix = weights(&DEFAULT_MIX);
        }
        Self {
            rng,
            world,
            sessions,
            days: DayCache::default(),
            scratch: Vec::new(),
            now: start_ms,
            live_since: (start == Start::Now).then_some(start_ms),
            mix,
            codes: ActivityCodes::new(catalog),
            unknown_ratio: ratio(unknown_ratio),
            invalid_ratio: ratio(invalid_ratio),
        }
    }

    /// Appends one record (no trailing newline) to `out` and says what it is.
    pub fn next_record(&mut self, out: &mut Vec<u8>) -> Generated {
        self.tick();
        if self.invalid_ratio > 0.0 && self.rng.chance(self.invalid_ratio) {
            let kind = *self.rng.pick(&InvalidKind::ALL);
            return self.invalid(kind, out);
        }
        let log_type = *self.mix.pick(&mut self.rng);
        self.write(log_type, out)
    }

    /// Appends one User Activity record (close) carrying exactly `code` in `InternalReason`
    /// (used for bursts of one code). Works for codes not in the catalog too.
    pub(crate) fn record_with_code(&mut self, code: &str, out: &mut Vec<u8>) {
        self.tick();
        let shape = if code.is_empty() {
            Shape::Normal
        } else {
            self.codes.shape_of(code)
        };
        let (mut cx, mut w, _) = self.parts(out);
        let s = cx.sessions.pick(cx.rng, cx.world, cx.now);
        activity::write(&mut cx, &mut w, s, code, ConnStatus::Close, shape);
    }

    /// Moves a clock that started at the current time up to `elapsed` after its start, if it
    /// is behind, so that records paced slower than one per millisecond still carry about the
    /// time they are written. A pinned clock is left alone: its bytes depend on nothing else.
    pub(crate) fn keep_up(&mut self, elapsed: std::time::Duration) {
        if let Some(start) = self.live_since {
            let wall = start.saturating_add(i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX));
            self.now = self.now.max(wall);
        }
    }

    fn tick(&mut self) {
        self.now += i64::try_from(self.rng.below(3)).unwrap_or(0);
    }

    /// Splits the generator into what record writers need.
    fn parts<'s>(&'s mut self, out: &'s mut Vec<u8>) -> (Cx<'s>, Json<'s>, &'s ActivityCodes) {
        let cx = Cx {
            rng: &mut self.rng,
            world: &self.world,
            sessions: &mut self.sessions,
            scratch: &mut self.scratch,
            now: self.now,
        };
        (cx, Json::new(out, &mut self.days), &self.codes)
    }

    fn invalid(&mut self, kind: InvalidKind, out: &mut Vec<u8>) -> Generated {
        let (mut cx, mut w, codes) = self.parts(out);
        let log_type = invalid::write(&mut cx, &mut w, codes, kind);
        Generated {
            log_type,
            code: None,
            valid: false,
        }
    }

    fn write(&mut self, log_type: LogType, out: &mut Vec<u8>) -> Generated {
        let unknown_ratio = self.unknown_ratio;
        let (mut cx, mut w, codes) = self.parts(out);
        let cx = &mut cx;
        let w = &mut w;
        let code: Option<&str> = match log_type {
            LogType::UserActivity => {
                let s = cx.sessions.pick(cx.rng, cx.world, cx.now);
                if unknown_ratio > 0.0 && cx.rng.chance(unknown_ratio) {
                    let code = codes.unknown(cx.rng);
                    activity::write(cx, w, s, code, ConnStatus::Close, Shape::Failure);
                    Some(code)
                } else {
                    let r = codes.pick(cx.rng);
                    activity::write(cx, w, s, &r.code, r.status, r.shape);
                    Some(if r.code.is_empty() {
                        r.status.as_str()
                    } else {
                        &r.code
                    })
                }
            }
            LogType::UserStatus => {
                let s = cx.sessions.pick(cx.rng, cx.world, cx.now);
                let st = codes::session_status(cx.rng);
                status::user(cx, w, s, st);
                Some(SESSION_STATUSES[st].0)
            }
            LogType::AppConnectorStatus
            | LogType::PrivateServiceEdgeStatus
            | LogType::PrivateCloudControllerStatus => {
                let kind = match log_type {
                    LogType::AppConnectorStatus => status::Component::Connector,
                    LogType::PrivateServiceEdgeStatus => status::Component::ServiceEdge,
                    _ => status::Component::CloudController,
                };
                let st = codes::session_status(cx.rng);
                status::component(cx, w, kind, st);
                Some(SESSION_STATUSES[st].0)
            }
            LogType::BrowserAccess => {
                other::browser_access(cx, w);
                None
            }
            LogType::Audit => {
                other::audit(cx, w);
                None
            }
            LogType::AppConnectorMetrics => {
                other::metrics(cx, w, other::Metrics::Connector);
                None
            }
            LogType::PrivateServiceEdgeMetrics => {
                other::metrics(cx, w, other::Metrics::ServiceEdge);
                None
            }
            LogType::PrivateCloudControllerMetrics => {
                other::metrics(cx, w, other::Metrics::CloudController);
                None
            }
            LogType::AppProtection => {
                inspection::app_protection(cx, w);
                Some("success")
            }
            LogType::SmbInspection => {
                inspection::protocol(cx, w, inspection::Protocol::Smb);
                None
            }
            LogType::LdapInspection => {
                inspection::protocol(cx, w, inspection::Protocol::Ldap);
                None
            }
            LogType::KrbInspection => {
                inspection::protocol(cx, w, inspection::Protocol::Krb);
                None
            }
            LogType::MicrosegmentationFlow => Some(inspection::flow(cx, w)),
            LogType::Unknown => {
                unknown_type(cx, w);
                None
            }
        };
        Generated {
            log_type,
            code: code.map(str::to_owned),
            valid: true,
        }
    }
}

/// A JSON object none of whose keys identifies an LSS log type (a custom template, or
/// another source sharing the topic).
fn unknown_type(cx: &mut Cx<'_>, w: &mut Json<'_>) {
    let c = &cx.world.customers[cx.world.customer(cx.rng)];
    w.ctime(first_key!("LogTimestamp"), cx.now);
    w.str(key!("Customer"), c.name);
    w.str(key!("EventType"), "heartbeat");
    w.num(key!("Sequence"), cx.rng.range(1, 1_000_000));
    w.end();
}
