//! Records that must be rejected: the mistakes a log pipeline really sees (cut lines, CSV
//! templates, glued records, bad bytes) plus hostile input (a nesting bomb).

use memchr::memmem;

use super::codes::{ActivityCodes, ConnStatus, SESSION_STATUSES, Shape};
use super::write::{Json, push_u64};
use super::{Cx, activity, status};
use crate::event::LogType;

/// The kinds of invalid record, each rejected by the enrichment core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InvalidKind {
    /// An empty line.
    Empty,
    /// Only whitespace.
    Blank,
    /// A User Activity record from the default CSV template.
    Csv,
    /// A syslog header with no JSON after it.
    SyslogWithoutJson,
    /// A User Activity record cut short.
    Truncated,
    /// `InternalReason` holding a number, array, object or boolean.
    WrongTypeReason,
    /// `SessionStatus` holding a number or boolean.
    WrongTypeSessionStatus,
    /// A byte sequence that is not UTF-8 inside a string.
    InvalidUtf8,
    /// Arrays or objects nested far deeper than any limit accepts.
    NestingBomb,
    /// A record wrapped in a JSON array (a batching mistake).
    NotObject,
    /// Two records glued together on one line.
    TrailingData,
}

impl InvalidKind {
    /// Every kind.
    pub(super) const ALL: [InvalidKind; 11] = [
        InvalidKind::Empty,
        InvalidKind::Blank,
        InvalidKind::Csv,
        InvalidKind::SyslogWithoutJson,
        InvalidKind::Truncated,
        InvalidKind::WrongTypeReason,
        InvalidKind::WrongTypeSessionStatus,
        InvalidKind::InvalidUtf8,
        InvalidKind::NestingBomb,
        InvalidKind::NotObject,
        InvalidKind::TrailingData,
    ];
}

/// Deeper than [`crate::event::scan::MAX_SUPPORTED_DEPTH`], so rejected whatever the settings.
const BOMB_DEPTH: usize = 1_500;

/// Writes an ordinary User Activity record.
fn activity_record(cx: &mut Cx<'_>, w: &mut Json<'_>, codes: &ActivityCodes, open: bool) {
    let s = cx.sessions.pick(cx.rng, cx.world, cx.now);
    if open {
        activity::write(cx, w, s, "", ConnStatus::Active, Shape::Normal);
    } else {
        let r = codes.pick(cx.rng);
        activity::write(cx, w, s, &r.code, r.status, r.shape);
    }
}

/// Replaces the `len` bytes at offset `at` of `buf` with `with`.
fn splice(buf: &mut Vec<u8>, at: usize, len: usize, with: &[u8]) {
    buf.splice(at..at + len, with.iter().copied());
}

/// Writes one invalid record of `kind` and returns the log type it imitates.
pub(super) fn write(
    cx: &mut Cx<'_>,
    w: &mut Json<'_>,
    codes: &ActivityCodes,
    kind: InvalidKind,
) -> LogType {
    let start = w.buf().len();
    match kind {
        InvalidKind::Empty => LogType::Unknown,
        InvalidKind::Blank => {
            w.raw(b" \t ");
            LogType::Unknown
        }
        InvalidKind::Csv => {
            let world = cx.world;
            let c = &world.customers[world.customer(cx.rng)];
            let t = w.ctime_bytes(cx.now);
            w.raw(&t);
            w.raw(b" User Activity zpa-lss: ,");
            w.raw(c.name.as_bytes());
            w.raw(b",");
            let id = super::world::random_id(cx.rng);
            w.raw(&id);
            w.raw(b",");
            w.raw(&id);
            w.raw(b",");
            w.raw(&super::world::random_id(cx.rng));
            w.raw(b",BRK_MT_TERMINATED,close,6,0,");
            w.raw(cx.rng.pick::<Box<str>>(&c.users[1..]).as_bytes());
            w.raw(b",443,");
            push_u64(w.buf(), cx.rng.range(1, 254));
            w.raw(b",,,");
            LogType::UserActivity
        }
        InvalidKind::SyslogWithoutJson => {
            w.raw(b"<165>1 - - - - - - zpa-lss: connection to log receiver reset");
            LogType::Unknown
        }
        InvalidKind::Truncated => {
            activity_record(cx, w, codes, false);
            let len = w.buf().len() - start;
            let keep = usize::try_from(cx.rng.range(1, len as u64 - 1)).unwrap_or(1);
            w.buf().truncate(start + keep);
            LogType::UserActivity
        }
        InvalidKind::WrongTypeReason => {
            activity_record(cx, w, codes, true);
            let values: [&[u8]; 4] = [
                b"42",
                b"[\"APP_NOT_REACHABLE\"]",
                b"{\"code\":\"APP_NOT_REACHABLE\"}",
                b"true",
            ];
            let v = *cx.rng.pick(&values);
            let pat = b"\"InternalReason\":\"\"";
            if let Some(p) = memmem::find(&w.buf()[start..], pat) {
                splice(w.buf(), start + p + pat.len() - 2, 2, v);
            }
            LogType::UserActivity
        }
        InvalidKind::WrongTypeSessionStatus => {
            let s = cx.sessions.pick(cx.rng, cx.world, cx.now);
            // Authenticated: the session stays live.
            status::user(cx, w, s, 0);
            let pat = b"\"SessionStatus\":\"";
            let v: &[u8] = if cx.rng.per_mille(500) {
                b"1"
            } else {
                b"false"
            };
            let (code, _) = SESSION_STATUSES[0];
            if let Some(p) = memmem::find(&w.buf()[start..], pat) {
                splice(w.buf(), start + p + pat.len() - 1, code.len() + 2, v);
            }
            LogType::UserStatus
        }
        InvalidKind::InvalidUtf8 => {
            activity_record(cx, w, codes, false);
            let bad: [&[u8]; 5] = [
                b"\xFF",
                b"\xC3\x28",
                b"\xED\xA0\x80",
                b"\xC0\xAF",
                b"\xE2\x82",
            ];
            let v = *cx.rng.pick(&bad);
            let pat = b"\"Username\":\"";
            if let Some(p) = memmem::find(&w.buf()[start..], pat) {
                splice(w.buf(), start + p + pat.len(), 0, v);
            }
            LogType::UserActivity
        }
        InvalidKind::NestingBomb => {
            w.raw(b"{\"InternalReason\":\"APP_NOT_REACHABLE\",\"ConnectionStatus\":\"close\",\"PRAFileTransferList\":");
            let (open, close): (&[u8], &[u8]) = if cx.rng.per_mille(500) {
                (b"[", b"]")
            } else {
                (b"{\"a\":", b"}")
            };
            for _ in 0..BOMB_DEPTH {
                w.raw(open);
            }
            w.raw(b"0");
            for _ in 0..BOMB_DEPTH {
                w.raw(close);
            }
            w.raw(b"}");
            LogType::UserActivity
        }
        InvalidKind::NotObject => {
            w.raw(b"[");
            activity_record(cx, w, codes, false);
            w.raw(b"]");
            LogType::UserActivity
        }
        InvalidKind::TrailingData => {
            activity_record(cx, w, codes, false);
            activity_record(cx, w, codes, false);
            LogType::UserActivity
        }
    }
}
