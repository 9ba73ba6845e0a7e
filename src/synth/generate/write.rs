//! Compact JSON output and the LSS timestamp formats, written straight into the record buffer.
//!
//! Keys are passed as ready-made fragments built by [`key!`] (`,"Name":`) and [`first_key!`]
//! (`{"Name":`), so a member costs a couple of slice copies and no formatting.

/// The fragment for a member that is not the first one: `,"Name":`.
macro_rules! key {
    ($name:literal) => {
        concat!(",\"", $name, "\":")
    };
}

/// The fragment that opens a record with its first member: `{"Name":`.
macro_rules! first_key {
    ($name:literal) => {
        concat!("{\"", $name, "\":")
    };
}

pub(super) use {first_key, key};

/// An IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ip4(pub(super) [u8; 4]);

const WEEKDAYS: [&[u8; 3]; 7] = [b"Sun", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
const MS_PER_DAY: i64 = 86_400_000;

/// The calendar fields of one UTC day, recomputed only when the day changes.
#[derive(Debug, Clone)]
pub(super) struct DayCache {
    day: i64,
    /// `YYYY-MM-DD`.
    iso: [u8; 10],
    /// `Www Mmm dd` (day of month space-padded) and `yyyy`, for the ctime form.
    ctime_date: [u8; 10],
    year: [u8; 4],
}

impl Default for DayCache {
    fn default() -> Self {
        let mut c = Self {
            day: i64::MIN,
            iso: [0; 10],
            ctime_date: [0; 10],
            year: [0; 4],
        };
        c.set_day(0);
        c
    }
}

impl DayCache {
    fn set_day(&mut self, day: i64) {
        let (y, m, d) = civil_from_days(day);
        let y = u32::try_from(y.clamp(0, 9999)).unwrap_or(0);
        let year = [digit(y / 1000), digit(y / 100), digit(y / 10), digit(y)];
        self.iso = [
            year[0],
            year[1],
            year[2],
            year[3],
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ];
        let wd = WEEKDAYS[usize::try_from((day + 4).rem_euclid(7)).unwrap_or(0)];
        let mo = MONTHS[usize::try_from(m - 1).unwrap_or(0)];
        self.ctime_date = [
            wd[0],
            wd[1],
            wd[2],
            b' ',
            mo[0],
            mo[1],
            mo[2],
            b' ',
            if d < 10 { b' ' } else { digit(d / 10) },
            digit(d),
        ];
        self.year = year;
        self.day = day;
    }

    #[inline]
    fn at(&mut self, ms: i64) -> i64 {
        let day = ms.div_euclid(MS_PER_DAY);
        if day != self.day {
            self.set_day(day);
        }
        ms.rem_euclid(MS_PER_DAY)
    }
}

/// The last ASCII digit of `v`.
#[inline]
fn digit(v: u32) -> u8 {
    b"0123456789"[usize::try_from(v % 10).unwrap_or(0)]
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month 1-12, day 1-31).
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of [`civil_from_days`]).
pub(super) const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `"00"` to `"99"`, for writing numbers two digits at a time.
#[expect(
    clippy::cast_possible_truncation,
    reason = "values below 10 always fit in a byte"
)]
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Appends the decimal form of `v`.
#[inline]
#[expect(
    clippy::cast_possible_truncation,
    reason = "remainders below 100 always fit in a byte or an index"
)]
pub(super) fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    if v < 10 {
        out.push(b'0' + v as u8);
        return;
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while v >= 100 {
        let r = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[r..r + 2]);
    }
    if v >= 10 {
        let r = v as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[r..r + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends `s` JSON-escaped, without quotes (the crate's one escaper).
pub(super) fn push_escaped(out: &mut Vec<u8>, s: &str) {
    crate::json_string::escape_into(out, s.as_bytes());
}

/// Appends JSON members to a record buffer.
#[derive(Debug)]
pub(super) struct Json<'a> {
    out: &'a mut Vec<u8>,
    days: &'a mut DayCache,
}

impl<'a> Json<'a> {
    /// Writes into `out`, using `days` to format timestamps.
    pub(super) fn new(out: &'a mut Vec<u8>, days: &'a mut DayCache) -> Self {
        Self { out, days }
    }

    /// The buffer written to.
    pub(super) fn buf(&mut self) -> &mut Vec<u8> {
        self.out
    }

    /// Appends bytes as they are.
    #[inline]
    pub(super) fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Closes the record.
    #[inline]
    pub(super) fn end(&mut self) {
        self.out.push(b'}');
    }

    /// A string member, escaped.
    #[inline]
    pub(super) fn str(&mut self, key: &str, v: &str) {
        self.raw(key.as_bytes());
        self.out.push(b'"');
        push_escaped(self.out, v);
        self.out.push(b'"');
    }

    /// A string member made of several pieces, each escaped.
    pub(super) fn str_parts(&mut self, key: &str, parts: &[&str]) {
        self.raw(key.as_bytes());
        self.out.push(b'"');
        for p in parts {
            push_escaped(self.out, p);
        }
        self.out.push(b'"');
    }

    /// A string member whose bytes are known to need no escaping (generated identifiers).
    #[inline]
    pub(super) fn plain(&mut self, key: &str, v: &[u8]) {
        debug_assert!(
            v.iter()
                .all(|&b| (0x20..0x7F).contains(&b) && b != b'"' && b != b'\\')
        );
        self.raw(key.as_bytes());
        self.out.push(b'"');
        self.raw(v);
        self.out.push(b'"');
    }

    /// A number member.
    #[inline]
    pub(super) fn num(&mut self, key: &str, v: u64) {
        self.raw(key.as_bytes());
        push_u64(self.out, v);
    }

    /// A number written as a string member, as the metrics templates (`%j`) produce.
    #[inline]
    pub(super) fn num_str(&mut self, key: &str, v: u64) {
        self.raw(key.as_bytes());
        self.out.push(b'"');
        push_u64(self.out, v);
        self.out.push(b'"');
    }

    /// A `%f` member: `micro` millionths, printed with six decimals (`40.712800`).
    #[inline]
    pub(super) fn fixed6(&mut self, key: &str, micro: i32) {
        self.raw(key.as_bytes());
        if micro < 0 {
            self.out.push(b'-');
        }
        let v = micro.unsigned_abs();
        push_u64(self.out, u64::from(v / 1_000_000));
        self.out.push(b'.');
        let frac = v % 1_000_000;
        let mut digits = [b'0'; 6];
        let mut f = frac;
        for d in digits.iter_mut().rev() {
            *d = digit(f);
            f /= 10;
        }
        self.raw(&digits);
    }

    /// An IPv4 address string member (`""` for `None`).
    #[inline]
    pub(super) fn ip(&mut self, key: &str, ip: Option<Ip4>) {
        self.raw(key.as_bytes());
        self.out.push(b'"');
        if let Some(Ip4(o)) = ip {
            for (i, octet) in o.iter().enumerate() {
                if i > 0 {
                    self.out.push(b'.');
                }
                push_u64(self.out, u64::from(*octet));
            }
        }
        self.out.push(b'"');
    }

    /// An array of strings member.
    pub(super) fn str_array<S: AsRef<str>>(&mut self, key: &str, items: &[S]) {
        self.raw(key.as_bytes());
        self.out.push(b'[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.out.push(b'"');
            push_escaped(self.out, s.as_ref());
            self.out.push(b'"');
        }
        self.out.push(b']');
    }

    /// An array of numbers member.
    pub(super) fn num_array(&mut self, key: &str, items: &[u64]) {
        self.raw(key.as_bytes());
        self.out.push(b'[');
        for (i, &n) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            push_u64(self.out, n);
        }
        self.out.push(b']');
    }

    /// A `:time` (ctime style) member: `"Wed Dec  1 10:38:41 2021"`, UTC.
    #[inline]
    pub(super) fn ctime(&mut self, key: &str, ms: i64) {
        let b = self.ctime_bytes(ms);
        self.raw(key.as_bytes());
        self.out.push(b'"');
        self.raw(&b);
        self.out.push(b'"');
    }

    /// `Wed Dec  1 10:38:41 2021` (UTC), without quotes.
    #[inline]
    pub(super) fn ctime_bytes(&mut self, ms: i64) -> [u8; 24] {
        let t = self.days.at(ms);
        let mut b = [0u8; 24];
        b[..10].copy_from_slice(&self.days.ctime_date);
        b[10] = b' ';
        write_hms(&mut b[11..19], t);
        b[19] = b' ';
        b[20..24].copy_from_slice(&self.days.year);
        b
    }

    /// An `:iso8601` member: `"2026-11-25T10:38:41.114Z"`, or `""` for `None` (not reached).
    #[inline]
    pub(super) fn iso(&mut self, key: &str, ms: Option<i64>) {
        self.raw(key.as_bytes());
        let Some(ms) = ms else {
            self.raw(b"\"\"");
            return;
        };
        let b = self.iso_bytes(ms);
        self.out.push(b'"');
        self.raw(&b);
        self.out.push(b'"');
    }

    /// `2026-11-25T10:38:41.114Z` (UTC), without quotes.
    #[inline]
    pub(super) fn iso_bytes(&mut self, ms: i64) -> [u8; 24] {
        let t = self.days.at(ms);
        let mut b = [0u8; 24];
        b[..10].copy_from_slice(&self.days.iso);
        b[10] = b'T';
        write_hms(&mut b[11..19], t);
        b[19] = b'.';
        let millis = u32::try_from(t % 1000).unwrap_or(0);
        b[20] = digit(millis / 100);
        b[21] = digit(millis / 10);
        b[22] = digit(millis);
        b[23] = b'Z';
        b
    }
}

/// Writes `hh:mm:ss` for a millisecond-of-day value into an 8-byte slice.
#[inline]
fn write_hms(b: &mut [u8], ms_of_day: i64) {
    let s = u32::try_from(ms_of_day / 1000).unwrap_or(0);
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    b.copy_from_slice(&[
        digit(h / 10),
        digit(h),
        b':',
        digit(m / 10),
        digit(m),
        b':',
        digit(s / 10),
        digit(s),
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut Json<'_>)) -> String {
        let mut out = Vec::new();
        let mut days = DayCache::default();
        f(&mut Json::new(&mut out, &mut days));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn timestamps_match_the_lss_formats() {
        let ms = days_from_civil(2021, 12, 1) * MS_PER_DAY + (10 * 3600 + 38 * 60 + 41) * 1000;
        assert_eq!(
            with(|w| w.ctime(first_key!("T"), ms)),
            r#"{"T":"Wed Dec  1 10:38:41 2021""#
        );
        let ms = days_from_civil(2026, 11, 25) * MS_PER_DAY + 38_321_114;
        assert_eq!(
            with(|w| w.iso(key!("T"), Some(ms))),
            r#","T":"2026-11-25T10:38:41.114Z""#
        );
        assert_eq!(
            with(|w| w.ctime(key!("T"), ms)),
            r#","T":"Wed Nov 25 10:38:41 2026""#
        );
        assert_eq!(with(|w| w.iso(key!("T"), None)), r#","T":"""#);
        for d in [-1, 0, 59, 10_957, 20_000, 740_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(dd)), d);
        }
    }

    #[test]
    fn numbers_and_strings_are_json() {
        let s = with(|w| {
            w.num(first_key!("a"), 0);
            w.num(key!("b"), u64::MAX);
            w.fixed6(key!("c"), -122_419_400);
            w.fixed6(key!("d"), 1_352_100);
            w.fixed6(key!("e"), -5);
            w.num_str(key!("f"), 42);
            w.ip(key!("g"), Some(Ip4([10, 0, 255, 1])));
            w.ip(key!("h"), None);
            w.str(key!("i"), "q\"b\\s\n\u{1}é");
            w.str_array(key!("j"), &["x", "y"]);
            w.str_array::<&str>(key!("k"), &[]);
            w.num_array(key!("l"), &[1, 22]);
            w.end();
        });
        assert_eq!(
            s,
            r#"{"a":0,"b":18446744073709551615,"c":-122.419400,"d":1.352100,"e":-0.000005,"f":"42","g":"10.0.255.1","h":"","i":"q\"b\\s\n\u0001é","j":["x","y"],"k":[],"l":[1,22]}"#
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["i"], "q\"b\\s\n\u{1}é");
        for n in [
            0,
            7,
            10,
            99,
            100,
            101,
            999,
            1_000,
            65_535,
            1 << 40,
            u64::MAX - 1,
        ] {
            let mut out = Vec::new();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }
}
