//! When the generator's virtual clock starts: the current time, or a pinned instant.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use super::write::{civil_from_days, days_from_civil};

/// When the generator's virtual clock starts. From there it advances about 1 ms per record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Start {
    /// The current time (UTC), read once when the generator is created, so that the records
    /// show up among a SIEM's recent events. The default.
    #[default]
    Now,
    /// A fixed instant, in milliseconds since the Unix epoch: the same seed and options then
    /// give the same bytes (fixtures, benchmarks, tests).
    At(i64),
}

impl Start {
    /// The start, in milliseconds since the Unix epoch; [`Start::Now`] reads the clock.
    pub(crate) fn millis(self) -> i64 {
        match self {
            Self::Now => now_ms(),
            Self::At(ms) => ms,
        }
    }
}

/// The wall clock, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl FromStr for Start {
    type Err = String;

    /// `now`, or a UTC time in RFC 3339 form, `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (years 1970 to
    /// 9999; the fraction is cut to milliseconds).
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("now") {
            return Ok(Self::Now);
        }
        utc_millis(s.trim().as_bytes())
            .map(Self::At)
            .ok_or_else(|| {
                format!("{s:?} is not `now` or a time in UTC such as 2026-11-25T08:00:00Z")
            })
    }
}

/// Milliseconds since the Unix epoch of `YYYY-MM-DDTHH:MM:SS[.fraction]Z`.
fn utc_millis(b: &[u8]) -> Option<i64> {
    let num = |from: usize, to: usize| -> Option<i64> {
        let digits = b.get(from..to)?;
        digits.iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let mut rest = b.get(19..)?;
    let mut ms = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        // The first three digits, padded: `.5` is 500 ms.
        ms = fraction[..len]
            .iter()
            .chain(b"000")
            .take(3)
            .fold(0, |n, c| n * 10 + i64::from(c - b'0'));
        rest = &fraction[len..];
    }
    if !matches!(rest, b"Z" | b"z") {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let real_date = (1..=12).contains(&month)
        && civil_from_days(days) == (year, u32::try_from(month).ok()?, u32::try_from(day).ok()?);
    (real_date && year >= 1970 && hour < 24 && minute < 60 && second < 60)
        .then_some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_parse_to_milliseconds() {
        let at = |s: &str| s.parse::<Start>();
        // The fixed start of earlier versions, and a check against a known epoch value.
        assert_eq!(at("2026-11-25T08:00:00Z"), Ok(Start::At(1_795_593_600_000)));
        assert_eq!(at("1970-01-01T00:00:00Z"), Ok(Start::At(0)));
        assert_eq!(at("2000-02-29T23:59:59.5Z"), Ok(Start::At(951_868_799_500)));
        assert_eq!(
            at("2000-02-29t23:59:59.123456z"),
            Ok(Start::At(951_868_799_123))
        );
        assert_eq!(at(" now "), Ok(Start::Now));
        assert_eq!(at("NOW"), Ok(Start::Now));
    }

    #[test]
    fn anything_else_is_refused() {
        for s in [
            "",
            "2026-11-25",
            "2026-11-25T08:00:00",
            "2026-11-25T08:00:00+01:00",
            "2026-11-25 08:00:00Z",
            "2026-11-25T08:00Z",
            "2026-11-25T08:00:00.Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T08:60:00Z",
            "2026-11-25T08:00:60Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "+026-11-25T08:00:00Z",
            "2026-11-25T08:00:00Zx",
        ] {
            let err = s.parse::<Start>().unwrap_err();
            assert!(err.contains("2026-11-25T08:00:00Z"), "{s}: {err}");
        }
    }

    #[test]
    fn now_is_the_wall_clock() {
        let before = now_ms();
        let start = Start::Now.millis();
        assert!(before <= start && start <= now_ms());
        assert_eq!(Start::At(42).millis(), 42);
    }
}
