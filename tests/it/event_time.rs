//! Property tests of the event-time reader: every LSS timestamp form, rendered here from a
//! millisecond value by a plain day-counting calendar (independent of the reader's arithmetic),
//! reads back as that value cut to the form's precision; what the writers emit reads back;
//! impossible dates are refused; and no input panics.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use proptest::prelude::*;
use zpa_enricher::event::{EventTime, TimeSource, parse_timestamp};

/// 9999-12-31T23:59:59.999Z, the last millisecond the reader accepts.
const MAX_MILLIS: i64 = 253_402_300_799_999;
const DAY: i64 = 86_400_000;

/// The smallest epoch number read as milliseconds (12 digits); smaller ones are seconds. Epoch
/// microseconds start at the same instant (15 digits), and both end at 10^14 ms (year 5138).
const FIRST_MS_EPOCH: i64 = 100_000_000_000;
const END_MS_EPOCH: i64 = 100_000_000_000_000;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn month_length(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A UTC time broken into fields.
#[derive(Debug, Clone, Copy)]
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    milli: i64,
}

/// The fields of `millis`, by counting whole years, then months, from 1960 (so that an offset
/// may carry an early instant back into 1969).
fn civil(millis: i64) -> Civil {
    // 1960-01-01 to 1970-01-01: ten years, three of them leap years.
    let mut days = (millis + 3653 * DAY).div_euclid(DAY);
    let in_day = (millis + 3653 * DAY).rem_euclid(DAY);
    let mut year = 1960;
    while days >= if is_leap(year) { 366 } else { 365 } {
        days -= if is_leap(year) { 366 } else { 365 };
        year += 1;
    }
    let mut month = 1;
    while days >= month_length(year, month) {
        days -= month_length(year, month);
        month += 1;
    }
    Civil {
        year,
        month,
        day: days + 1,
        hour: in_day / 3_600_000,
        minute: in_day / 60_000 % 60,
        second: in_day / 1000 % 60,
        milli: in_day % 1000,
    }
}

/// `text` with each ASCII letter's case chosen by the bits of `mask`.
fn recase(text: &str, mask: u32) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 32) & 1 == 1 {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

/// How a ctime value pads a day below 10.
#[derive(Debug, Clone, Copy)]
enum DayPad {
    Space,
    Nothing,
    Zero,
}

fn ctime(c: Civil, weekday: usize, pad: DayPad, case: u32) -> String {
    let day = match pad {
        DayPad::Space => format!("{:>2}", c.day),
        DayPad::Nothing => c.day.to_string(),
        DayPad::Zero => format!("{:02}", c.day),
    };
    format!(
        "{} {} {day} {:02}:{:02}:{:02} {:04}",
        recase(WEEKDAYS[weekday], case),
        recase(MONTHS[usize::try_from(c.month - 1).unwrap()], case >> 3),
        c.hour,
        c.minute,
        c.second,
        c.year
    )
}

fn iso_date_time(c: Civil, separator: char) -> String {
    format!(
        "{:04}-{:02}-{:02}{separator}{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// The first `digits` digits of a fraction whose first three are `milli`, followed by `extra`.
fn fraction(milli: i64, digits: usize, extra: u32) -> String {
    let mut text = format!("{milli:03}{extra:06}");
    text.truncate(digits);
    text
}

/// `millis` cut to what a fraction of `digits` digits keeps.
fn cut(millis: i64, digits: usize) -> i64 {
    let unit = match digits {
        0 => 1000,
        1 => 100,
        2 => 10,
        _ => 1,
    };
    millis - millis.rem_euclid(unit)
}

fn pad() -> impl Strategy<Value = DayPad> {
    prop_oneof![
        Just(DayPad::Space),
        Just(DayPad::Nothing),
        Just(DayPad::Zero)
    ]
}

fn millis() -> impl Strategy<Value = i64> {
    prop_oneof![
        0..=MAX_MILLIS,
        // The calendar's edges: the first and last days of the range, and leap days.
        0..3 * DAY,
        MAX_MILLIS - 3 * DAY..=MAX_MILLIS,
        (0..8030i64).prop_map(|y| {
            // Around Feb 29 (or Mar 1) of a year from 1970.
            let year = 1970 + y;
            let days: i64 = (1970..year)
                .map(|y| if is_leap(y) { 366 } else { 365 })
                .sum();
            ((days + 58) * DAY).min(MAX_MILLIS)
        }),
    ]
}

fn write_rfc3339(millis: i64) -> String {
    let mut out = Vec::new();
    EventTime {
        millis,
        source: TimeSource::LogTimestamp,
    }
    .write_rfc3339(&mut out);
    String::from_utf8(out).unwrap()
}

fn write_epoch_seconds(millis: i64) -> String {
    let mut out = Vec::new();
    EventTime {
        millis,
        source: TimeSource::LogTimestamp,
    }
    .write_epoch_seconds(&mut out);
    String::from_utf8(out).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn ctime_reads_back_to_the_second(
        millis in millis(),
        weekday in 0..7usize,
        pad in pad(),
        case in any::<u32>(),
    ) {
        let text = ctime(civil(millis), weekday, pad, case);
        prop_assert_eq!(parse_timestamp(text.as_bytes()), Some(cut(millis, 0)), "{}", text);
    }

    #[test]
    fn iso_in_utc_reads_back_cut_to_its_fraction(
        millis in millis(),
        digits in 0..=9usize,
        extra in 0..1_000_000u32,
        separator in prop::sample::select(vec!['T', 't', ' ']),
        zone in prop::sample::select(vec!["Z", "z", "", "+00:00", "-0000"]),
    ) {
        let c = civil(millis);
        let mut text = iso_date_time(c, separator);
        if digits > 0 {
            text.push('.');
            text.push_str(&fraction(c.milli, digits, extra));
        }
        text.push_str(zone);
        prop_assert_eq!(parse_timestamp(text.as_bytes()), Some(cut(millis, digits)), "{}", text);
    }

    #[test]
    fn iso_with_an_offset_reads_back_in_utc(
        millis in millis(),
        offset in -(23 * 60 + 59)..=(23 * 60 + 59i64),
        colon in any::<bool>(),
    ) {
        let local = millis + offset * 60_000;
        // A local time in the year 10000 has no four-digit form.
        prop_assume!(local <= MAX_MILLIS);
        let c = civil(local);
        let sign = if offset < 0 { '-' } else { '+' };
        let (h, m) = (offset.abs() / 60, offset.abs() % 60);
        let text = if colon {
            format!("{}.{:03}{sign}{h:02}:{m:02}", iso_date_time(c, 'T'), c.milli)
        } else {
            format!("{}.{:03}{sign}{h:02}{m:02}", iso_date_time(c, 'T'), c.milli)
        };
        prop_assert_eq!(parse_timestamp(text.as_bytes()), Some(millis), "{}", text);
    }

    #[test]
    fn offsets_across_the_range_ends_are_refused(
        local in prop_oneof![0..DAY, MAX_MILLIS - DAY + 1..=MAX_MILLIS],
        offset in 1..=(23 * 60 + 59i64),
    ) {
        // A local time on the first day with an offset east of UTC, or on the last day with
        // one west of it: the UTC instant may fall before 1970 or after 9999.
        let (sign, utc) = if local < DAY {
            ('+', local - offset * 60_000)
        } else {
            ('-', local + offset * 60_000)
        };
        let c = civil(local);
        let text = format!(
            "{}.{:03}{sign}{:02}:{:02}",
            iso_date_time(c, 'T'),
            c.milli,
            offset / 60,
            offset % 60
        );
        let want = (0..=MAX_MILLIS).contains(&utc).then_some(utc);
        prop_assert_eq!(parse_timestamp(text.as_bytes()), want, "{}", text);
    }

    #[test]
    fn epoch_seconds_read_back_to_the_second(millis in 0..END_MS_EPOCH) {
        let text = (millis / 1000).to_string();
        prop_assert_eq!(parse_timestamp(text.as_bytes()), Some(cut(millis, 0)), "{}", text);
    }

    #[test]
    fn epoch_seconds_with_a_fraction_read_back_cut_to_it(
        millis in 0..END_MS_EPOCH,
        digits in 1..=9usize,
        extra in 0..1_000_000u32,
    ) {
        let text = format!("{}.{}", millis / 1000, fraction(millis % 1000, digits, extra));
        prop_assert_eq!(parse_timestamp(text.as_bytes()), Some(cut(millis, digits)), "{}", text);
    }

    #[test]
    fn epoch_milliseconds_read_back(millis in FIRST_MS_EPOCH..END_MS_EPOCH) {
        let text = millis.to_string();
        prop_assert_eq!(parse_timestamp(text.as_bytes()), Some(millis), "{}", text);
    }

    #[test]
    fn epoch_microseconds_read_back_to_the_millisecond(
        millis in FIRST_MS_EPOCH..END_MS_EPOCH,
        micro in 0..1000i64,
    ) {
        let text = (millis * 1000 + micro).to_string();
        prop_assert_eq!(parse_timestamp(text.as_bytes()), Some(millis), "{}", text);
    }

    #[test]
    fn rfc3339_output_reads_back(millis in millis()) {
        let text = write_rfc3339(millis);
        let c = civil(millis);
        let want = format!("{}.{:03}Z", iso_date_time(c, 'T'), c.milli);
        prop_assert_eq!(&text, &want);
        prop_assert_eq!(parse_timestamp(text.as_bytes()), Some(millis), "{}", text);
    }

    #[test]
    fn epoch_seconds_output_reads_back(millis in 0..END_MS_EPOCH) {
        let text = write_epoch_seconds(millis);
        prop_assert_eq!(&text, &format!("{}.{:03}", millis / 1000, millis % 1000));
        prop_assert_eq!(parse_timestamp(text.as_bytes()), Some(millis), "{}", text);
    }

    #[test]
    fn impossible_days_are_refused(
        year in 1970..=9999i64,
        month in 1..=12i64,
        beyond in prop_oneof![3 => 1..=3i64, 1 => 4..=71i64],
        weekday in 0..7usize,
        pad in pad(),
    ) {
        let day = month_length(year, month) + beyond;
        prop_assume!(day <= 99);
        let c = Civil { year, month, day, hour: 12, minute: 0, second: 0, milli: 0 };
        let iso = format!("{}Z", iso_date_time(c, 'T'));
        prop_assert_eq!(parse_timestamp(iso.as_bytes()), None, "{}", iso);
        let ctime = ctime(c, weekday, pad, 0);
        prop_assert_eq!(parse_timestamp(ctime.as_bytes()), None, "{}", ctime);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..48)) {
        if let Some(millis) = parse_timestamp(&bytes) {
            prop_assert!((0..=MAX_MILLIS).contains(&millis));
        }
    }

    #[test]
    fn mutated_timestamps_never_panic(
        millis in millis(),
        form in 0..3usize,
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut_at in any::<prop::sample::Index>(),
    ) {
        let c = civil(millis);
        let text = match form {
            0 => ctime(c, 0, DayPad::Space, 0),
            1 => format!("{}.{:03}+05:30", iso_date_time(c, 'T'), c.milli),
            _ => format!("{}.{:03}", millis / 1000, millis % 1000),
        };
        let mut bytes = text.into_bytes();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        bytes.truncate(cut_at.index(bytes.len() + 1));
        if let Some(millis) = parse_timestamp(&bytes) {
            prop_assert!((0..=MAX_MILLIS).contains(&millis));
        }
    }
}
