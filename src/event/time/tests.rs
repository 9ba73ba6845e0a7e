use super::*;

fn parse(s: &str) -> Option<i64> {
    parse_timestamp(s.as_bytes())
}

fn refused(s: &str) {
    assert_eq!(parse(s), None, "{s:?} must be refused");
}

fn rfc3339(millis: i64) -> String {
    let mut out = Vec::new();
    EventTime {
        millis,
        source: TimeSource::LogTimestamp,
    }
    .write_rfc3339(&mut out);
    String::from_utf8(out).unwrap()
}

fn epoch_seconds(millis: i64) -> String {
    let mut out = Vec::new();
    EventTime {
        millis,
        source: TimeSource::Processing,
    }
    .write_epoch_seconds(&mut out);
    String::from_utf8(out).unwrap()
}

// Known values below were computed independently of this code (a calendar library).
const MAY_30_2019: i64 = 1_559_204_442_000; // 2019-05-30T08:20:42Z, a Thursday
const MAR_2_2020: i64 = 1_583_117_821_000; // 2020-03-02T02:57:01Z, a Monday
const JUL_3_2019: i64 = 1_562_131_042_000; // 2019-07-03T05:17:22Z, a Wednesday
const DEC_1_2021: i64 = 1_638_355_121_000; // 2021-12-01T10:38:41Z, a Wednesday
const NOV_17_2021: i64 = 1_637_123_378_000; // 2021-11-17T04:29:38Z
const FEB_29_2000: i64 = 951_782_400_000; // 2000-02-29T00:00:00Z
const FEB_29_2024_NOON: i64 = 1_709_208_000_000; // 2024-02-29T12:00:00Z
const FEB_29_1972: i64 = 68_169_600_000; // 1972-02-29T00:00:00Z
const LAST_FEB_2100: i64 = 4_107_542_399_000; // 2100-02-28T23:59:59Z
const MAR_1_2100: i64 = 4_107_542_400_000; // 2100-03-01T00:00:00Z

#[test]
fn ctime_known_values() {
    assert_eq!(parse("Thu May 30 08:20:42 2019"), Some(MAY_30_2019));
    assert_eq!(parse("Wed Dec  1 10:38:41 2021"), Some(DEC_1_2021));
    assert_eq!(parse("Sat Mar  1 00:00:00 2100"), Some(MAR_1_2100));
    assert_eq!(parse("Thu Jan  1 00:00:00 1970"), Some(0));
    assert_eq!(parse("Fri Dec 31 23:59:59 9999"), Some(MAX_MILLIS - 999));
}

#[test]
fn ctime_day_padded_with_two_spaces_one_space_or_a_zero() {
    assert_eq!(parse("Mon Mar  2 02:57:01 2020"), Some(MAR_2_2020));
    assert_eq!(parse("Mon Mar 2 02:57:01 2020"), Some(MAR_2_2020));
    assert_eq!(parse("Mon Mar 02 02:57:01 2020"), Some(MAR_2_2020));
    assert_eq!(parse("Wed Jul 3 05:17:22 2019"), Some(JUL_3_2019));
    assert_eq!(parse("Wed Jul  3 05:17:22 2019"), Some(JUL_3_2019));
    assert_eq!(parse("Wed Jul 03 05:17:22 2019"), Some(JUL_3_2019));
}

#[test]
fn ctime_weekday_is_not_checked_against_the_date() {
    // 2019-05-30 was a Thursday.
    for day in ["Mon", "Tue", "Wed", "Fri", "Sat", "Sun"] {
        assert_eq!(
            parse(&format!("{day} May 30 08:20:42 2019")),
            Some(MAY_30_2019),
            "{day}"
        );
    }
}

#[test]
fn ctime_names_in_any_ascii_case() {
    for s in [
        "THU MAY 30 08:20:42 2019",
        "thu may 30 08:20:42 2019",
        "tHu mAy 30 08:20:42 2019",
    ] {
        assert_eq!(parse(s), Some(MAY_30_2019), "{s}");
    }
}

#[test]
fn ctime_every_month_name() {
    let names = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // The first of each month of 2019, at midnight, computed by adding month lengths.
    let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut millis = 1_546_300_800_000; // 2019-01-01T00:00:00Z
    for (name, length) in names.iter().zip(lengths) {
        assert_eq!(
            parse(&format!("Tue {name}  1 00:00:00 2019")),
            Some(millis),
            "{name}"
        );
        millis += length * MILLIS_PER_DAY;
    }
}

#[test]
fn ctime_refusals() {
    for s in [
        "Xyz May 30 08:20:42 2019", // no weekday
        "Thu Mai 30 08:20:42 2019", // no month
        "Thursday May 30 08:20:42 2019",
        "Thu May   3 08:20:42 2019", // three spaces
        "Thu May  30 08:20:42 2019", // two spaces before two digits
        "Thu May 30 08:20:42 19",
        "Thu May 30 08:20:42",
        "Thu May 30 08:20 2019",
        "Thu May 30 8:20:42 2019",
        "Thu May 30 08:20:42 2019 UTC",
        "Thu May 30 08:20:42 20190",
        "Thu\tMay 30 08:20:42 2019",
        "Thu May 30T08:20:42 2019",
        "Thu May 30 08:20:42.230 2019",
        "Thu May 00 08:20:42 2019",
        "Thu May 32 08:20:42 2019",
        "Thu Apr 31 08:20:42 2019",
        "Thu Feb 30 08:20:42 2020",
        "Thu Feb 29 08:20:42 2019",
        "Thu Feb 29 08:20:42 2100",
        "Thu May 30 24:00:00 2019",
        "Thu May 30 08:60:42 2019",
        "Thu May 30 08:20:60 2019", // a leap second
        "Thu May 30 08:20:61 2019",
        "Wed Dec 31 23:59:59 1969",
        "Thu M\u{e4}y 30 08:20:42 2019",
    ] {
        refused(s);
    }
}

#[test]
fn iso_known_values() {
    assert_eq!(parse("2019-05-30T08:20:42.230Z"), Some(MAY_30_2019 + 230));
    assert_eq!(parse("2021-11-17T04:29:38.000Z"), Some(NOV_17_2021));
    assert_eq!(parse("2019-05-30T08:20:42Z"), Some(MAY_30_2019));
    assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse("9999-12-31T23:59:59.999Z"), Some(MAX_MILLIS));
}

#[test]
fn iso_without_zone_is_utc_and_space_or_lower_case_separators_read() {
    for s in [
        "2019-05-30T08:20:42.230",
        "2019-05-30 08:20:42.230",
        "2019-05-30 08:20:42.230Z",
        "2019-05-30t08:20:42.230z",
    ] {
        assert_eq!(parse(s), Some(MAY_30_2019 + 230), "{s}");
    }
}

#[test]
fn iso_fraction_of_one_to_nine_digits_is_cut_to_milliseconds() {
    let cases = [
        ("2", 200),
        ("23", 230),
        ("239", 239),
        ("2399", 239),
        ("23999", 239),
        ("239999", 239),
        ("2399999", 239),
        ("23999999", 239),
        ("239999999", 239),
        ("000000001", 0),
        ("999999999", 999),
    ];
    for (fraction, ms) in cases {
        let s = format!("2019-05-30T08:20:42.{fraction}Z");
        assert_eq!(parse(&s), Some(MAY_30_2019 + ms), "{s}");
    }
    refused("2019-05-30T08:20:42.2399999999Z"); // ten digits
    refused("2019-05-30T08:20:42.Z");
    refused("2019-05-30T08:20:42.");
}

#[test]
fn iso_offsets_are_taken_away() {
    let utc = MAY_30_2019 + 230;
    for s in [
        "2019-05-30T10:20:42.230+02:00",
        "2019-05-30T10:20:42.230+0200",
        "2019-05-29T22:50:42.230-09:30",
        "2019-05-29T22:50:42.230-0930",
        "2019-05-30T08:20:42.230+00:00",
        "2019-05-30T08:20:42.230-00:00",
        "2019-05-31T08:19:42.230+23:59",
        "2019-05-30 13:50:42.230+05:30",
    ] {
        assert_eq!(parse(s), Some(utc), "{s}");
    }
    // Across midnight, a month end and a year end.
    assert_eq!(
        parse("2019-06-01T01:00:00+02:00"),
        parse("2019-05-31T23:00:00Z")
    );
    assert_eq!(
        parse("2019-12-31T23:00:00-02:00"),
        parse("2020-01-01T01:00:00Z")
    );
    // A local date before 1970 that is after it in UTC.
    assert_eq!(parse("1969-12-31T23:30:00-01:00"), Some(30 * 60_000));
}

#[test]
fn iso_refusals() {
    for s in [
        "2019-05-30",
        "2019-05-30T08:20",
        "2019-05-30T08:20Z",
        "2019-05-30T08:20:42+02",
        "2019-05-30T08:20:42+2:00",
        "2019-05-30T08:20:42+02:0",
        "2019-05-30T08:20:42+02:000",
        "2019-05-30T08:20:42+24:00",
        "2019-05-30T08:20:42+02:60",
        "2019-05-30T08:20:42 +02:00",
        "2019-05-30T08:20:42ZZ",
        "2019-05-30T08:20:42Z junk",
        "2019-05-30T08:20:42.230Zx",
        "2019-05-30T08:20:42UTC",
        "2019-05-30X08:20:42Z",
        "2019/05/30T08:20:42Z",
        "2019-5-30T08:20:42Z",
        "2019-05-30T8:20:42Z",
        "20190530T082042Z",
        "2019-00-30T08:20:42Z",
        "2019-13-30T08:20:42Z",
        "2019-05-00T08:20:42Z",
        "2019-05-32T08:20:42Z",
        "2019-06-31T08:20:42Z",
        "2020-02-30T08:20:42Z",
        "2019-02-29T08:20:42Z",
        "2100-02-29T08:20:42Z",
        "2019-05-30T24:00:00Z",
        "2019-05-30T08:60:42Z",
        "2019-05-30T08:20:60Z", // a leap second
        "2019-05-30T08:20:61Z",
        "1969-12-31T23:59:59.999Z",
        "1970-01-01T00:30:00+01:00", // before the epoch in UTC
        "9999-12-31T23:30:00-01:00", // after 9999 in UTC
        "0000-01-01T00:00:00Z",
    ] {
        refused(s);
    }
}

#[test]
fn leap_years() {
    assert!(is_leap(2000));
    assert!(is_leap(2024));
    assert!(!is_leap(1900));
    assert!(!is_leap(2100));
    assert!(!is_leap(2019));
    assert_eq!(parse("2000-02-29T00:00:00Z"), Some(FEB_29_2000));
    assert_eq!(parse("Tue Feb 29 00:00:00 2000"), Some(FEB_29_2000));
    assert_eq!(parse("1972-02-29T00:00:00Z"), Some(FEB_29_1972));
    assert_eq!(parse("2024-02-29T12:00:00Z"), Some(FEB_29_2024_NOON));
    assert_eq!(parse("2100-02-28T23:59:59Z"), Some(LAST_FEB_2100));
    // 2100 has no Feb 29: the next second is Mar 1.
    assert_eq!(parse("2100-03-01T00:00:00Z"), Some(LAST_FEB_2100 + 1000));
    refused("2100-02-29T00:00:00Z");
    refused("Mon Feb 29 00:00:00 2100");
    refused("1900-02-29T00:00:00Z");
}

#[test]
fn epoch_known_values() {
    assert_eq!(parse("1559204442"), Some(MAY_30_2019));
    assert_eq!(parse("1559204442.230"), Some(MAY_30_2019 + 230));
    assert_eq!(parse("1559204442.2"), Some(MAY_30_2019 + 200));
    assert_eq!(parse("1559204442.2309"), Some(MAY_30_2019 + 230));
    assert_eq!(parse("1559204442.230999999"), Some(MAY_30_2019 + 230));
    assert_eq!(parse("1559204442230"), Some(MAY_30_2019 + 230));
    // AppProtection's microseconds.
    assert_eq!(parse("1663346058860810"), Some(1_663_346_058_860));
    assert_eq!(parse("0"), Some(0));
    assert_eq!(parse("0.001"), Some(1));
}

#[test]
fn epoch_magnitude_boundaries() {
    // 11 digits: seconds.
    assert_eq!(parse("99999999999"), Some(99_999_999_999_000));
    assert_eq!(parse("99999999999.999"), Some(99_999_999_999_999));
    // 12 to 14 digits: milliseconds.
    assert_eq!(parse("100000000000"), Some(100_000_000_000));
    assert_eq!(parse("99999999999999"), Some(99_999_999_999_999));
    // 15 to 17 digits: microseconds.
    assert_eq!(parse("100000000000000"), Some(100_000_000_000));
    assert_eq!(parse("99999999999999999"), Some(99_999_999_999_999));
    // 18 digits: nothing.
    refused("100000000000000000");
    refused("99999999999999999999999999");
    // Magnitude, not text width: leading zeros do not change the unit.
    assert_eq!(parse("0001559204442"), Some(MAY_30_2019));
}

#[test]
fn epoch_refusals() {
    for s in [
        "-1",
        "-1559204442",
        "+1559204442",
        "1559204442.",
        "1559204442.2309999999", // ten fraction digits
        "1559204442230.5",       // a fraction on milliseconds
        "1663346058860810.0",    // a fraction on microseconds
        "1.559204442E9",
        "1559204442e0",
        "1559204442s",
        "1559 204442",
        "1559204442,230",
        "0x5cef9e5a",
        ".5",
    ] {
        refused(s);
    }
}

#[test]
fn surrounding_whitespace_is_ignored() {
    assert_eq!(parse("  Thu May 30 08:20:42 2019\n"), Some(MAY_30_2019));
    assert_eq!(parse("\t2019-05-30T08:20:42Z \r\n"), Some(MAY_30_2019));
    assert_eq!(parse(" 1559204442 "), Some(MAY_30_2019));
}

#[test]
fn empty_and_garbage_are_refused() {
    for s in [
        "",
        " ",
        "\t\n",
        "null",
        "true",
        "-",
        "\"",
        "{}",
        "Thu",
        "T",
        "2019-",
        "\u{feff}1559204442",
        "\u{00e9}",
    ] {
        refused(s);
    }
    assert_eq!(parse_timestamp(&[0xff, 0xfe, b'1']), None);
}

#[test]
fn every_day_of_the_range_round_trips_through_the_calendar() {
    // civil_from_days and days_from_civil are each other's inverse, and the dates they walk
    // through advance one day at a time, over every day from 1970 to 9999.
    let last_day = MAX_MILLIS / MILLIS_PER_DAY;
    let (mut y, mut m, mut d) = (1970, 1, 1);
    for days in 0..=last_day.unsigned_abs() {
        let (year, month, day) = civil_from_days(days);
        assert_eq!((year, month, day), (y, m, d), "day {days}");
        let (yy, mm, dd) = (
            u32::try_from(year).unwrap(),
            u32::try_from(month).unwrap(),
            u32::try_from(day).unwrap(),
        );
        assert_eq!(days_from_civil(yy, mm, dd), i64::try_from(days).unwrap());
        // The next day by counting.
        if dd < days_in_month(yy, mm) {
            d += 1;
        } else if mm < 12 {
            (m, d) = (m + 1, 1);
        } else {
            (y, m, d) = (y + 1, 1, 1);
        }
    }
    assert_eq!((y, m, d), (10_000, 1, 1));
}

#[test]
fn rfc3339_known_values() {
    assert_eq!(rfc3339(MAY_30_2019 + 230), "2019-05-30T08:20:42.230Z");
    assert_eq!(rfc3339(MAY_30_2019 + 5), "2019-05-30T08:20:42.005Z");
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(FEB_29_2000), "2000-02-29T00:00:00.000Z");
    assert_eq!(rfc3339(FEB_29_2024_NOON), "2024-02-29T12:00:00.000Z");
    assert_eq!(rfc3339(LAST_FEB_2100 + 999), "2100-02-28T23:59:59.999Z");
    assert_eq!(rfc3339(MAR_1_2100), "2100-03-01T00:00:00.000Z");
    assert_eq!(rfc3339(MAX_MILLIS), "9999-12-31T23:59:59.999Z");
}

#[test]
fn rfc3339_clamps_to_the_readable_range() {
    assert_eq!(rfc3339(-1), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(i64::MIN), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(MAX_MILLIS + 1), "9999-12-31T23:59:59.999Z");
    assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59.999Z");
}

#[test]
fn rfc3339_appends_and_reads_back() {
    let mut out = b"@timestamp=".to_vec();
    EventTime {
        millis: NOV_17_2021 + 7,
        source: TimeSource::ModifiedTime,
    }
    .write_rfc3339(&mut out);
    assert_eq!(out, b"@timestamp=2021-11-17T04:29:38.007Z");
    for millis in [0, 1, 999, MAY_30_2019 + 230, FEB_29_2000 - 1, MAX_MILLIS] {
        assert_eq!(parse(&rfc3339(millis)), Some(millis), "{millis}");
    }
}

#[test]
fn epoch_seconds_known_values() {
    assert_eq!(epoch_seconds(MAY_30_2019 + 230), "1559204442.230");
    assert_eq!(epoch_seconds(MAY_30_2019), "1559204442.000");
    assert_eq!(epoch_seconds(MAY_30_2019 + 7), "1559204442.007");
    assert_eq!(epoch_seconds(0), "0.000");
    assert_eq!(epoch_seconds(5), "0.005");
    assert_eq!(epoch_seconds(12_345), "12.345");
    assert_eq!(epoch_seconds(MAX_MILLIS), "253402300799.999");
    assert_eq!(epoch_seconds(-1), "-0.001");
    assert_eq!(epoch_seconds(-1_500), "-1.500");
    assert_eq!(epoch_seconds(i64::MAX), "9223372036854775.807");
    assert_eq!(epoch_seconds(i64::MIN), "-9223372036854775.808");
}

#[test]
fn epoch_seconds_appends_and_reads_back() {
    let mut out = b"{\"time\":".to_vec();
    EventTime {
        millis: MAY_30_2019 + 230,
        source: TimeSource::LogTimestamp,
    }
    .write_epoch_seconds(&mut out);
    assert_eq!(out, b"{\"time\":1559204442.230");
    for millis in [0, 1, 999, 1_000, MAY_30_2019 + 230, 99_999_999_999_999] {
        assert_eq!(parse(&epoch_seconds(millis)), Some(millis), "{millis}");
    }
}

#[test]
fn processing_time_is_told_apart() {
    let at = |source| EventTime { millis: 0, source };
    assert!(at(TimeSource::Processing).is_processing_time());
    assert!(!at(TimeSource::LogTimestamp).is_processing_time());
    assert!(!at(TimeSource::ModifiedTime).is_processing_time());
    assert!(!at(TimeSource::CreationTime).is_processing_time());
}
