//! Value conversions of the ECS document: record values into the JSON types ECS fields need,
//! user names, protocol numbers, key names.

use std::net::IpAddr;

pub(super) use crate::json_string::push_json_str;

/// The `snake_case` form of an LSS key, the name it gets under `zscaler_zpa.<log_type>.`.
///
/// The rule follows the names Elastic's integration gives the keys it keeps flat
/// (`SessionID` → `session_id`, `ClientPrivateIP` → `client_private_ip`):
/// - a word starts at an upper-case letter after a lower-case letter or a digit
///   (`sessionId` → `session_id`, `Ipv4Address` → `ipv4_address`);
/// - in a run of capitals, the last one starts a word when a lower-case letter follows
///   (`HTTPError` → `http_error`, `TimestampCATx` → `timestamp_ca_tx`), except before a
///   version suffix `v<digit>` (`UsedTCPPortsIPv4` → `used_tcp_ports_ipv4`);
/// - ASCII letters are lowered; any other ASCII character but a digit separates words;
///   separators never double and never lead or trail; other characters stay as they are.
///
/// So letter-case variants of one key (`ModifiedTime`, `modifiedTime`) get one name. A key
/// with no letter or digit at all becomes `_`.
pub(super) fn snake_case(key: &str, out: &mut Vec<u8>) {
    let start = out.len();
    let b = key.as_bytes();
    let mut pending_sep = false;
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_alphanumeric() || !c.is_ascii() {
            if c.is_ascii_uppercase() && i > 0 {
                let prev = b[i - 1];
                let next = b.get(i + 1).copied();
                let after = b.get(i + 2).copied();
                let version_suffix =
                    next == Some(b'v') && after.is_some_and(|a| a.is_ascii_digit());
                if prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase()
                        && next.is_some_and(|n| n.is_ascii_lowercase())
                        && !version_suffix)
                {
                    pending_sep = true;
                }
            }
            if pending_sep && out.len() > start {
                out.push(b'_');
            }
            pending_sep = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_sep = true;
        }
    }
    if out.len() == start {
        out.push(b'_');
    }
}

/// A user name split the way Elastic's integration splits it: `name@domain` gives
/// `user.name` = `name`, `user.domain` = `domain` and `user.email` = the whole; `DOMAIN\name`
/// gives `user.name` and `user.domain`; anything else is `user.name` as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct UserParts<'a> {
    pub(super) name: &'a str,
    pub(super) domain: Option<&'a str>,
    pub(super) email: Option<&'a str>,
}

pub(super) fn split_user(user: &str) -> UserParts<'_> {
    if let Some(at) = user.find('@')
        && at > 0
        && at + 1 < user.len()
        && !user[at + 1..].contains('@')
    {
        return UserParts {
            name: &user[..at],
            domain: Some(&user[at + 1..]),
            email: Some(user),
        };
    }
    if let Some(bs) = user.find('\\')
        && bs > 0
        && bs + 1 < user.len()
    {
        return UserParts {
            name: &user[bs + 1..],
            domain: Some(&user[..bs]),
            email: None,
        };
    }
    UserParts {
        name: user,
        domain: None,
        email: None,
    }
}

/// The `network.transport` name of an IANA protocol number, as ECS writes it (lower case),
/// for the protocols ZPA carries and a few common others.
pub(super) fn iana_transport(number: i64) -> Option<&'static str> {
    Some(match number {
        1 => "icmp",
        2 => "igmp",
        4 => "ipv4",
        6 => "tcp",
        17 => "udp",
        41 => "ipv6",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "ipv6-icmp",
        89 => "ospf",
        132 => "sctp",
        _ => return None,
    })
}

/// True when `s` is an IPv4 or IPv6 address as Elasticsearch's `ip` type reads it.
pub(super) fn is_ip(s: &str) -> bool {
    !s.is_empty() && s.parse::<IpAddr>().is_ok()
}

/// An integer written as a JSON number or as a string of digits (an optional `-`, no sign
/// `+`, no fraction, no exponent), surrounding spaces ignored; `None` for anything else or a
/// value outside `i64`.
pub(super) fn parse_long(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// A finite decimal number written as a JSON number or as a string holding one (`12`,
/// `-0.5`, `1e3`); `None` otherwise. Words such as `inf` or `NaN` are refused.
pub(super) fn parse_float(text: &str) -> Option<f64> {
    let t = text.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    if !body.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if !body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A number a metrics template wrote as a string, in a form that converts without doubt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum PlainNumber {
    Long(i64),
    Float(f64),
}

/// The number `text` holds when it is written plainly: an integer that fits in `i64` (an
/// optional `-`, digits, no leading zero but in `0`), or such an integer, `.` and digits that
/// keep their value through an `f64` and back (`0.1`, `2.50`, not `3.14159265358979323846`).
/// No spaces, `+`, exponents or words: `None` for anything else, which then stays a string.
pub(super) fn plain_number(text: &str) -> Option<PlainNumber> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (int.len() > 1 && int.starts_with('0')) {
        return None;
    }
    match frac {
        None => text.parse().ok().map(PlainNumber::Long),
        Some(f) if digits(f) => {
            let v: f64 = text.parse().ok().filter(|v: &f64| v.is_finite())?;
            let mut written = Vec::with_capacity(24);
            push_float(&mut written, v);
            let written = std::str::from_utf8(&written).ok()?;
            (decimal_value(text) == decimal_value(written)).then_some(PlainNumber::Float(v))
        }
        Some(_) => None,
    }
}

/// A decimal number's value in a form equal values share: its sign, its significant digits
/// and the place of the decimal point among them (`-12.50`, `-1.25e1` → `(true, "125", 2)`).
/// Zero has no sign and no digits. For the forms [`plain_number`] and [`push_float`] write.
fn decimal_value(text: &str) -> (bool, String, i64) {
    let (negative, t) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (t, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let significant = all.trim_start_matches('0');
    let leading_zeros = i64::try_from(all.len() - significant.len()).unwrap_or(i64::MAX);
    let significant = significant.trim_end_matches('0');
    if significant.is_empty() {
        return (false, String::new(), 0);
    }
    let point = i64::try_from(int.len()).unwrap_or(i64::MAX) + exponent - leading_zeros;
    (negative, significant.to_owned(), point)
}

/// Writes a float as a JSON number: the shortest form that reads back the same, always with a
/// fraction or an exponent (`-74.0`), so that Elasticsearch maps it as a floating-point field.
pub(super) fn push_float(out: &mut Vec<u8>, v: f64) {
    use std::io::Write as _;
    write!(out, "{v:?}").expect("writing to a Vec cannot fail");
}

/// Writes an integer as a JSON number.
pub(super) fn push_long(out: &mut Vec<u8>, v: i64) {
    use std::io::Write as _;
    write!(out, "{v}").expect("writing to a Vec cannot fail");
}

/// `network.direction` for a vendor direction word, when it is one ECS allows.
pub(super) fn direction(word: &str) -> Option<&'static str> {
    const ALLOWED: [&str; 7] = [
        "ingress", "egress", "inbound", "outbound", "internal", "external", "unknown",
    ];
    let w = word.trim();
    ALLOWED.into_iter().find(|a| a.eq_ignore_ascii_case(w))
}
