//! The event time of a record: when ZPA says the event happened, read from the record's own
//! timestamp fields in every form LSS templates write them, in UTC.
//!
//! The reader runs for every record, so it allocates nothing, takes no crate beyond `std`, and
//! does its calendar arithmetic by hand (Howard Hinnant's `days_from_civil` and
//! `civil_from_days`). It looks at the first byte to choose a form: a letter starts a ctime
//! value, a digit an ISO 8601 value (when a `-` follows four digits) or an epoch number.
//!
//! Choices worth knowing:
//! - a leap second (`:60`) is refused: LSS does not write one, and the Unix time returned here
//!   has no place for it; reading it as the next second would be a guess;
//! - the weekday of a ctime value must be a weekday name but is not checked against the date:
//!   the date is what counts, and a wrong weekday should not cost a record its time;
//! - times before 1970 or after 9999 are refused, also when an offset carries an ISO value
//!   across those bounds: no LSS event is outside them, and RFC 3339 output has four-digit
//!   years;
//! - an epoch number's unit is its magnitude, so seconds after the year 5138 and milliseconds
//!   or microseconds before 1973-03-03T09:46:40Z are read in the wrong unit; LSS has neither.

/// Where a record's event time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeSource {
    /// `LogTimestamp` (every log type but audit).
    LogTimestamp,
    /// `ModifiedTime` (audit records).
    ModifiedTime,
    /// `CreationTime` (audit records without a modification time).
    CreationTime,
    /// No timestamp could be read: the time the record was processed.
    Processing,
}

/// When an event happened: milliseconds since the Unix epoch (UTC), and where that came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTime {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub millis: i64,
    /// The field it was read from, or [`TimeSource::Processing`].
    pub source: TimeSource,
}

/// The last millisecond [`parse_timestamp`] accepts: 9999-12-31T23:59:59.999Z.
const MAX_MILLIS: i64 = 253_402_300_799_999;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Epoch values below this are seconds (at most 11 digits, up to the year 5138).
const SECONDS_BELOW: u64 = 100_000_000_000;
/// Epoch values from [`SECONDS_BELOW`] up to this are milliseconds (12 to 14 digits).
const MILLIS_BELOW: u64 = 100_000_000_000_000;
/// Epoch values from [`MILLIS_BELOW`] up to this are microseconds (15 to 17 digits).
const MICROS_BELOW: u64 = 100_000_000_000_000_000;

impl EventTime {
    /// True when no timestamp of the record could be read and the processing time stands in.
    #[must_use]
    pub fn is_processing_time(self) -> bool {
        self.source == TimeSource::Processing
    }

    /// Appends the time as RFC 3339 in UTC with milliseconds: `2019-05-30T08:20:42.230Z`.
    ///
    /// The output always has this width: a time before 1970 or after 9999 (which
    /// [`parse_timestamp`] never returns, but a clock might) is written as the nearer end of
    /// that range, so that what is written always reads back.
    pub fn write_rfc3339(self, out: &mut Vec<u8>) {
        let millis = self.millis.clamp(0, MAX_MILLIS).unsigned_abs();
        let day_millis = millis % 86_400_000;
        let (year, month, day) = civil_from_days(millis / 86_400_000);
        let (secs, ms) = (day_millis / 1000, day_millis % 1000);
        let mut buf = *b"0000-00-00T00:00:00.000Z";
        put_digits(&mut buf[0..4], year);
        put_digits(&mut buf[5..7], month);
        put_digits(&mut buf[8..10], day);
        put_digits(&mut buf[11..13], secs / 3600);
        put_digits(&mut buf[14..16], secs / 60 % 60);
        put_digits(&mut buf[17..19], secs % 60);
        put_digits(&mut buf[20..23], ms);
        out.extend_from_slice(&buf);
    }

    /// Appends the time as epoch seconds with three decimals: `1559204442.230` (the `time` of a
    /// Splunk HTTP Event Collector event).
    ///
    /// A time before 1970 is written with a minus sign (`-0.001`), as a JSON number.
    pub fn write_epoch_seconds(self, out: &mut Vec<u8>) {
        if self.millis < 0 {
            out.push(b'-');
        }
        let millis = self.millis.unsigned_abs();
        // u64::MAX / 1000 has 17 digits; then the point and three decimals.
        let mut buf = [0u8; 21];
        let mut start = buf.len() - 4;
        buf[start] = b'.';
        put_digits(&mut buf[start + 1..], millis % 1000);
        let mut secs = millis / 1000;
        loop {
            start -= 1;
            buf[start] = b'0' + digit_of(secs);
            secs /= 10;
            if secs == 0 {
                break;
            }
        }
        out.extend_from_slice(&buf[start..]);
    }
}

/// Reads one timestamp value as LSS writes it, in milliseconds since the epoch (UTC):
///
/// - ctime (`:time`): `Www Mmm dd hh:mm:ss yyyy`, the day padded with a space, with a zero or
///   not at all; the weekday is ignored (it is not checked against the date);
/// - ISO 8601 / RFC 3339 (`:iso8601`): `2019-05-30T08:20:42.230Z`, with or without fraction,
///   `Z` or a numeric offset; no zone means UTC;
/// - epoch seconds, milliseconds or microseconds (`:epoch`, `:epoch_ms`, `:epoch_us`), as a
///   JSON number or a string of digits, told apart by magnitude.
///
/// `text` is the value as written: the inside of a JSON string (no escapes), or a number's text.
/// Surrounding whitespace is ignored. `None` for anything else, an empty value, an impossible
/// date (`Feb 30`, hour 24) or a time outside the years 1970 to 9999.
///
/// In detail:
/// - names of weekdays and months are English, in any ASCII case; the weekday must be one;
/// - ISO values take `T`, `t` or a space between date and time, seconds always, a fraction of
///   1 to 9 digits (cut to milliseconds, not rounded), `Z`, `z`, `+hh:mm`, `-hh:mm`, `+hhmm`
///   or `-hhmm`; an offset is taken away to give UTC;
/// - an epoch value below 10^11 is seconds and may have a fraction of 1 to 9 digits (cut to
///   milliseconds); below 10^14 it is milliseconds, below 10^17 microseconds (cut to
///   milliseconds); those two take no fraction; no sign, no exponent;
/// - a leap second (`:60`) is refused: Unix time has no place for it.
#[must_use]
pub fn parse_timestamp(text: &[u8]) -> Option<i64> {
    let text = text.trim_ascii();
    let millis = match *text.first()? {
        b'0'..=b'9' if text.get(4) == Some(&b'-') => parse_iso(text)?,
        b'0'..=b'9' => parse_epoch(text)?,
        b'A'..=b'Z' | b'a'..=b'z' => parse_ctime(text)?,
        _ => return None,
    };
    (0..=MAX_MILLIS).contains(&millis).then_some(millis)
}

/// `Www Mmm dd hh:mm:ss yyyy`, the day as ` d`, `d` or `dd`.
fn parse_ctime(b: &[u8]) -> Option<i64> {
    if b.len() < 10 || b[3] != b' ' || b[7] != b' ' || !is_weekday(&b[0..3]) {
        return None;
    }
    let month = month_number(&b[4..7])?;
    let (day, rest) = match (b[8], b[9]) {
        (b' ', d) => (digit(d)?, &b[10..]),
        (d, b' ') => (digit(d)?, &b[9..]),
        (d1, d2) => (digit(d1)? * 10 + digit(d2)?, &b[10..]),
    };
    // ` hh:mm:ss yyyy`
    if rest.len() != 14 || rest[0] != b' ' || rest[9] != b' ' {
        return None;
    }
    let secs = time_of_day(&rest[1..9])?;
    let year = four(&rest[10..14])?;
    Some(date_millis(year, month, day)? + secs * 1000)
}

/// `yyyy-mm-ddThh:mm:ss[.f{1,9}][Z|±hh:mm|±hhmm]`.
fn parse_iso(b: &[u8]) -> Option<i64> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = four(&b[0..4])?;
    let month = two(&b[5..7])?;
    let day = two(&b[8..10])?;
    let secs = time_of_day(&b[11..19])?;
    let mut millis = date_millis(year, month, day)? + secs * 1000;
    let mut rest = &b[19..];
    if let [b'.', tail @ ..] = rest {
        let (ms, after) = fraction(tail)?;
        millis += ms;
        rest = after;
    }
    let offset_minutes = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, zone @ ..] => {
            let (m1, m2) = match zone {
                [b':', m1, m2] | [m1, m2] => (*m1, *m2),
                _ => return None,
            };
            let hours = digit(*h1)? * 10 + digit(*h2)?;
            let minutes = digit(m1)? * 10 + digit(m2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = i64::from(hours * 60 + minutes);
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    Some(millis - offset_minutes * 60_000)
}

/// Seconds, milliseconds or microseconds by magnitude; seconds may have a fraction.
fn parse_epoch(b: &[u8]) -> Option<i64> {
    let mut value: u64 = 0;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        value = value * 10 + u64::from(c - b'0');
        if value >= MICROS_BELOW {
            return None;
        }
        i += 1;
    }
    let rest = &b[i..];
    let millis = if value < SECONDS_BELOW {
        let frac = match rest {
            [] => 0,
            [b'.', tail @ ..] => match fraction(tail)? {
                (ms, []) => ms,
                _ => return None,
            },
            _ => return None,
        };
        // Below 10^14: fits an i64.
        i64::try_from(value * 1000).ok()? + frac
    } else if !rest.is_empty() {
        return None;
    } else if value < MILLIS_BELOW {
        i64::try_from(value).ok()?
    } else {
        i64::try_from(value / 1000).ok()?
    };
    Some(millis)
}

/// A fraction's 1 to 9 digits (after the point) as whole milliseconds, and what follows them.
fn fraction(b: &[u8]) -> Option<(i64, &[u8])> {
    let n = b.iter().take(10).take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || n > 9 {
        return None;
    }
    let ms = b[..n.min(3)]
        .iter()
        .fold(0, |acc, &c| acc * 10 + i64::from(c - b'0'));
    // "2" is 200 ms, "23" 230 ms.
    let scale = [100, 10, 1][n.min(3) - 1];
    Some((ms * scale, &b[n..]))
}

/// `hh:mm:ss` as seconds since midnight; hour 24, minute 60 and second 60 are refused.
fn time_of_day(b: &[u8]) -> Option<i64> {
    if b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, s) = (two(&b[0..2])?, two(&b[3..5])?, two(&b[6..8])?);
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some(i64::from(h * 3600 + m * 60 + s))
}

/// Midnight UTC of a date as milliseconds since the epoch; `None` for an impossible date.
fn date_millis(year: u32, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) * MILLIS_PER_DAY)
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a valid date of the years 0 to 9999 (Hinnant's `days_from_civil`:
/// years start in March, so that the leap day ends one).
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day counted from 1970-01-01 (Hinnant's `civil_from_days`, for days >= 0).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

fn is_weekday(b: &[u8]) -> bool {
    matches!(
        &lower3(b),
        b"mon" | b"tue" | b"wed" | b"thu" | b"fri" | b"sat" | b"sun"
    )
}

fn month_number(b: &[u8]) -> Option<u32> {
    Some(match &lower3(b) {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

/// Three bytes with ASCII capitals lowered (setting bit 5 turns no other byte into a letter).
fn lower3(b: &[u8]) -> [u8; 3] {
    [b[0] | 0x20, b[1] | 0x20, b[2] | 0x20]
}

fn digit(c: u8) -> Option<u32> {
    let d = c.wrapping_sub(b'0');
    (d < 10).then_some(u32::from(d))
}

fn two(b: &[u8]) -> Option<u32> {
    Some(digit(b[0])? * 10 + digit(b[1])?)
}

fn four(b: &[u8]) -> Option<u32> {
    Some(two(&b[0..2])? * 100 + two(&b[2..4])?)
}

/// The last decimal digit of `n`.
fn digit_of(n: u64) -> u8 {
    #[allow(clippy::cast_possible_truncation)] // n % 10 < 10.
    let d = (n % 10) as u8;
    d
}

/// Writes `n` in decimal into all of `buf`, padded with zeros on the left (the high digits of a
/// number wider than `buf` are dropped).
fn put_digits(buf: &mut [u8], mut n: u64) {
    for slot in buf.iter_mut().rev() {
        *slot = b'0' + digit_of(n);
        n /= 10;
    }
}

#[cfg(test)]
mod tests;
