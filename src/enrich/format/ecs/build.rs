//! Collecting one record's ECS fields: each mapped key's value converted to the JSON type its
//! field needs, the `related.*` lists, and the geo points and URLs built from several keys.

use std::borrow::Cow;

use crate::event::scan::{Member, ValueKind};
use crate::event::{EventTime, TimeSource, parse_timestamp};

use super::convert::{
    direction, iana_transport, is_ip, parse_float, parse_long, push_float, push_json_str,
    push_long, split_user,
};
use super::fields::F;
use super::tables::{Geo, To};

/// A field's value: JSON text in the record, in the scratch buffer, or a constant.
#[derive(Debug, Clone, Copy)]
pub(super) enum Val {
    /// `record[start..end]`.
    Rec(usize, usize),
    /// `scratch[start..end]`.
    Buf(usize, usize),
    /// A constant.
    Static(&'static str),
}

/// A scalar read from a record value: a string (escapes decoded), a number's text or a
/// boolean. A one-element list stands for its element.
#[derive(Debug, Clone)]
pub(super) enum Scalar<'a> {
    /// A string, and where its JSON text is in the record when it is there unchanged.
    Str(Cow<'a, str>, Option<(usize, usize)>),
    /// A number's text.
    Num(Cow<'a, str>),
    /// A boolean.
    Bool(bool),
}

impl Scalar<'_> {
    /// The text of a string or number.
    pub(super) fn text(&self) -> Option<&str> {
        match self {
            Scalar::Str(s, _) | Scalar::Num(s) => Some(s),
            Scalar::Bool(_) => None,
        }
    }
}

/// The decoded text of a string member, or `None` for other kinds.
pub(super) fn member_str<'a>(record: &'a [u8], m: &Member) -> Option<Cow<'a, str>> {
    match m.kind {
        ValueKind::String { escaped: false } => std::str::from_utf8(m.raw_value(record))
            .ok()
            .map(Cow::Borrowed),
        ValueKind::String { escaped: true } => {
            serde_json::from_slice::<String>(&record[m.value_start..m.value_end])
                .ok()
                .map(Cow::Owned)
        }
        _ => None,
    }
}

/// The member's value as a scalar, when it is one (or a list of exactly one).
pub(super) fn scalar<'a>(record: &'a [u8], m: &Member) -> Option<Scalar<'a>> {
    match m.kind {
        ValueKind::String { escaped } => member_str(record, m)
            .map(|s| Scalar::Str(s, (!escaped).then_some((m.value_start, m.value_end)))),
        ValueKind::Number => std::str::from_utf8(m.raw_value(record))
            .ok()
            .map(|s| Scalar::Num(Cow::Borrowed(s))),
        ValueKind::Bool => Some(Scalar::Bool(m.raw_value(record) == b"true")),
        ValueKind::Array => {
            let items: Vec<serde_json::Value> =
                serde_json::from_slice(&record[m.value_start..m.value_end]).ok()?;
            match items.as_slice() {
                [serde_json::Value::String(s)] => Some(Scalar::Str(Cow::Owned(s.clone()), None)),
                [serde_json::Value::Number(n)] => Some(Scalar::Num(Cow::Owned(n.to_string()))),
                [serde_json::Value::Bool(b)] => Some(Scalar::Bool(*b)),
                _ => None,
            }
        }
        ValueKind::Null | ValueKind::Object => None,
    }
}

/// A latitude/longitude pair in the making: the members that hold them and their values.
#[derive(Debug, Default, Clone, Copy)]
struct GeoParts {
    lat: Option<(usize, f64)>,
    lon: Option<(usize, f64)>,
}

/// The fields of one document in the making.
#[derive(Debug)]
pub(super) struct Fields<'a> {
    record: &'a [u8],
    /// Converted values and the pre-rendered parts of the document.
    pub(super) scratch: Vec<u8>,
    /// The ECS fields, in the order found (sorted by field when written).
    pub(super) fields: Vec<(F, Val)>,
    pub(super) related_ip: Vec<Cow<'a, str>>,
    pub(super) related_user: Vec<Cow<'a, str>>,
    pub(super) related_hosts: Vec<Cow<'a, str>>,
    geo: [GeoParts; Geo::COUNT],
    /// `url.original`, when it is a path (for `url.full`).
    url_path: Option<Cow<'a, str>>,
    url_has_full: bool,
}

/// Adds `v` to a `related.*` list unless it is there already.
fn add_related<'a>(list: &mut Vec<Cow<'a, str>>, v: Cow<'a, str>) {
    if !v.is_empty() && !list.contains(&v) {
        list.push(v);
    }
}

impl<'a> Fields<'a> {
    pub(super) fn new(record: &'a [u8]) -> Self {
        Self {
            record,
            scratch: Vec::with_capacity(512),
            fields: Vec::with_capacity(48),
            related_ip: Vec::new(),
            related_user: Vec::new(),
            related_hosts: Vec::new(),
            geo: [GeoParts::default(); Geo::COUNT],
            url_path: None,
            url_has_full: false,
        }
    }

    pub(super) fn set(&mut self, f: F, v: Val) {
        self.fields.push((f, v));
    }

    /// Sets `f` to the JSON text `write` appends to the scratch buffer.
    pub(super) fn set_with(&mut self, f: F, write: impl FnOnce(&mut Vec<u8>)) {
        let start = self.scratch.len();
        write(&mut self.scratch);
        let end = self.scratch.len();
        self.fields.push((f, Val::Buf(start, end)));
    }

    /// Sets `f` to the string `s`.
    pub(super) fn set_str(&mut self, f: F, s: &str) {
        self.set_with(f, |b| push_json_str(b, s));
    }

    /// Sets `f` to the string `s`, copying its JSON text from the record when it is there.
    fn set_scalar_str(&mut self, f: F, s: &str, at: Option<(usize, usize)>) {
        match at {
            Some((start, end)) => self.set(f, Val::Rec(start, end)),
            None => self.set_str(f, s),
        }
    }

    /// Sets `f` to the date `millis`.
    pub(super) fn set_date(&mut self, f: F, millis: i64) {
        self.set_with(f, |b| {
            b.push(b'"');
            EventTime {
                millis,
                source: TimeSource::LogTimestamp,
            }
            .write_rfc3339(b);
            b.push(b'"');
        });
    }

    /// Applies `to` to member `index`'s value; true when it filled an ECS field with it.
    pub(super) fn apply(&mut self, to: To, index: usize, value: &Scalar<'a>) -> bool {
        match to {
            To::Keyword(f) => self.keyword(f, value),
            To::Lower(f) => match value {
                Scalar::Str(s, _) if !s.trim().is_empty() => {
                    let lower = s.trim().to_ascii_lowercase();
                    self.set_str(f, &lower);
                    true
                }
                _ => false,
            },
            To::Long(f) => match value.text().and_then(parse_long) {
                Some(n) => {
                    self.set_with(f, |b| push_long(b, n));
                    true
                }
                None => false,
            },
            To::Port(f) => match value.text().and_then(parse_long) {
                Some(n) if (1..=65535).contains(&n) => {
                    self.set_with(f, |b| push_long(b, n));
                    true
                }
                _ => false,
            },
            To::HttpStatus(f) => match value.text().and_then(parse_long) {
                Some(n) if (100..=599).contains(&n) => {
                    self.set_with(f, |b| push_long(b, n));
                    true
                }
                _ => false,
            },
            To::Ip(f) => match value {
                Scalar::Str(s, at) if is_ip(s.trim()) => {
                    if s.trim().len() == s.len() {
                        self.set_scalar_str(f, s, *at);
                    } else {
                        self.set_str(f, s.trim());
                    }
                    add_related(&mut self.related_ip, trimmed(s));
                    true
                }
                _ => false,
            },
            To::Date(f) => match value.text().and_then(|t| parse_timestamp(t.as_bytes())) {
                Some(millis) => {
                    self.set_date(f, millis);
                    true
                }
                None => false,
            },
            To::User => self.user(value),
            To::UserId => match value {
                Scalar::Str(s, _) | Scalar::Num(s) if !s.trim().is_empty() => {
                    self.set_str(F::UserId, s.trim());
                    add_related(&mut self.related_user, trimmed(s));
                    true
                }
                _ => false,
            },
            To::Transport => match value.text().and_then(parse_long) {
                Some(n) if (0..=255).contains(&n) => {
                    self.set_with(F::NetworkIanaNumber, |b| {
                        b.push(b'"');
                        push_long(b, n);
                        b.push(b'"');
                    });
                    if let Some(name) = iana_transport(n) {
                        self.set_str(F::NetworkTransport, name);
                    }
                    true
                }
                _ => false,
            },
            To::TransportName => match value {
                Scalar::Str(s, _)
                    if !s.trim().is_empty()
                        && s.trim()
                            .bytes()
                            .all(|c| c.is_ascii_alphanumeric() || c == b'-') =>
                {
                    let lower = s.trim().to_ascii_lowercase();
                    self.set_str(F::NetworkTransport, &lower);
                    true
                }
                _ => false,
            },
            To::Direction => match value {
                Scalar::Str(s, _) => match direction(s) {
                    Some(d) => {
                        self.set_str(F::NetworkDirection, d);
                        true
                    }
                    None => false,
                },
                _ => false,
            },
            To::CpuPercent => match value.text().and_then(parse_float) {
                Some(p) if (0.0..=100.0).contains(&p) => {
                    self.set_with(F::HostCpuUsage, |b| push_float(b, p / 100.0));
                    true
                }
                _ => false,
            },
            To::Lat(g) => self.geo_part(g, index, value, true),
            To::Lon(g) => self.geo_part(g, index, value, false),
            To::ServerHost => match value {
                Scalar::Str(s, at) if !s.trim().is_empty() => {
                    self.set_scalar_str(F::ServerAddress, s, *at);
                    let host = s.trim();
                    if is_ip(host) {
                        add_related(&mut self.related_ip, trimmed(s));
                    } else {
                        self.set_str(F::ServerDomain, host);
                        add_related(&mut self.related_hosts, trimmed(s));
                    }
                    true
                }
                _ => false,
            },
            To::Url => self.url(value),
            To::RuleName => match value {
                Scalar::Str(s, at) if !s.trim().is_empty() && s.trim() != "0" => {
                    self.set_scalar_str(F::RuleName, s, *at);
                    true
                }
                _ => false,
            },
            To::RelatedIp => {
                if let Scalar::Str(s, _) = value
                    && is_ip(s.trim())
                {
                    add_related(&mut self.related_ip, trimmed(s));
                }
                false
            }
        }
    }

    fn keyword(&mut self, f: F, value: &Scalar<'a>) -> bool {
        match value {
            Scalar::Str(s, at) => {
                if s.is_empty() {
                    return false;
                }
                self.set_scalar_str(f, s, *at);
                if matches!(
                    f,
                    F::HostHostname | F::HostName | F::ServerDomain | F::UrlDomain
                ) {
                    add_related(&mut self.related_hosts, s.clone());
                }
            }
            Scalar::Num(n) => {
                let n = n.clone();
                self.set_str(f, &n);
            }
            Scalar::Bool(b) => self.set(f, Val::Static(if *b { "\"true\"" } else { "\"false\"" })),
        }
        true
    }

    fn user(&mut self, value: &Scalar<'a>) -> bool {
        let s = match value {
            Scalar::Str(s, _) | Scalar::Num(s) => s.trim(),
            Scalar::Bool(_) => return false,
        };
        if s.is_empty() {
            return false;
        }
        let parts = split_user(s);
        self.set_str(F::UserName, parts.name);
        add_related(&mut self.related_user, Cow::Owned(parts.name.to_owned()));
        if let Some(d) = parts.domain {
            self.set_str(F::UserDomain, d);
        }
        if let Some(e) = parts.email {
            self.set_str(F::UserEmail, e);
            add_related(&mut self.related_user, Cow::Owned(e.to_owned()));
        }
        true
    }

    fn url(&mut self, value: &Scalar<'a>) -> bool {
        let Scalar::Str(s, at) = value else {
            return false;
        };
        if s.trim().is_empty() {
            return false;
        }
        self.set_scalar_str(F::UrlOriginal, s, *at);
        let (path_and_query, full) = match s.find("://") {
            Some(i) => {
                let rest = &s[i + 3..];
                (rest.find('/').map_or("", |p| &rest[p..]), true)
            }
            None => (s.as_ref(), false),
        };
        if full {
            self.url_has_full = true;
            self.set_scalar_str(F::UrlFull, s, *at);
        } else if s.starts_with('/') {
            self.url_path = Some(s.clone());
        }
        let without_fragment = path_and_query.split('#').next().unwrap_or_default();
        let (path, query) = match without_fragment.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (without_fragment, None),
        };
        if path.starts_with('/') {
            self.set_str(F::UrlPath, path);
        }
        if let Some(q) = query.filter(|q| !q.is_empty()) {
            self.set_str(F::UrlQuery, q);
        }
        true
    }

    fn geo_part(&mut self, g: Geo, index: usize, value: &Scalar<'a>, lat: bool) -> bool {
        let Some(v) = value.text().and_then(parse_float) else {
            return false;
        };
        let limit = if lat { 90.0 } else { 180.0 };
        if !(-limit..=limit).contains(&v) {
            return false;
        }
        let parts = &mut self.geo[g as usize];
        if lat {
            parts.lat = Some((index, v));
        } else {
            parts.lon = Some((index, v));
        }
        // Not mapped yet: only a complete point is ([`Fields::finish_geo`]).
        false
    }

    /// Writes the geo points that have both coordinates; returns the members they took.
    pub(super) fn finish_geo(&mut self) -> Vec<usize> {
        let mut taken = Vec::new();
        for g in [Geo::Client, Geo::Server, Geo::Observer] {
            let parts = self.geo[g as usize];
            if let (Some((i, lat)), Some((j, lon))) = (parts.lat, parts.lon) {
                self.set_with(g.field(), |b| {
                    b.extend_from_slice(b"{\"lat\":");
                    push_float(b, lat);
                    b.extend_from_slice(b",\"lon\":");
                    push_float(b, lon);
                    b.push(b'}');
                });
                taken.extend([i, j]);
            }
        }
        taken
    }

    /// Writes `url.full` from the scheme, the domain, the port and a path-only `url.original`,
    /// when the record has all but the port and no full URL of its own. The port is left out
    /// when it is the scheme's default (443 for `https`, 80 for `http`).
    ///
    /// A record whose URL is full already has no `url.port` of another key: the port of the
    /// application (`ApplicationPort`) need not be the one of that URL.
    pub(super) fn finish_url(&mut self) {
        if self.url_has_full {
            self.fields.retain(|(f, _)| *f != F::UrlPort);
            return;
        }
        let Some(path) = self.url_path.take() else {
            return;
        };
        let find =
            |fields: &[(F, Val)], f: F| fields.iter().rev().find(|(g, _)| *g == f).map(|(_, v)| *v);
        let (Some(scheme), Some(domain)) = (
            find(&self.fields, F::UrlScheme),
            find(&self.fields, F::UrlDomain),
        ) else {
            return;
        };
        let (Some(scheme), Some(domain)) = (self.text_of(scheme), self.text_of(domain)) else {
            return;
        };
        let port = find(&self.fields, F::UrlPort)
            .and_then(|v| std::str::from_utf8(self.json(v)).ok())
            .and_then(parse_long);
        let default_port = match scheme.as_str() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        };
        let mut full = String::with_capacity(scheme.len() + domain.len() + path.len() + 12);
        full.push_str(&scheme);
        full.push_str("://");
        // An IPv6 address is written in brackets, so that its colons are not read as a port.
        if domain.contains(':') && !domain.starts_with('[') {
            full.push('[');
            full.push_str(&domain);
            full.push(']');
        } else {
            full.push_str(&domain);
        }
        if let Some(port) = port.filter(|&p| Some(p) != default_port) {
            full.push(':');
            full.push_str(&port.to_string());
        }
        full.push_str(&path);
        self.set_str(F::UrlFull, &full);
    }

    /// The string a value holds, decoded.
    fn text_of(&self, v: Val) -> Option<String> {
        let json = match v {
            Val::Rec(s, e) => &self.record[s..e],
            Val::Buf(s, e) => &self.scratch[s..e],
            Val::Static(s) => s.as_bytes(),
        };
        serde_json::from_slice::<String>(json).ok()
    }

    /// The JSON text of a value.
    pub(super) fn json(&self, v: Val) -> &[u8] {
        match v {
            Val::Rec(s, e) => &self.record[s..e],
            Val::Buf(s, e) => &self.scratch[s..e],
            Val::Static(s) => s.as_bytes(),
        }
    }
}

fn trimmed<'a>(s: &Cow<'a, str>) -> Cow<'a, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
    }
}
