//! The Elastic Common Schema (ECS 8.11) document of a record.
//!
//! One document per record, in the spirit of Elastic's own `zscaler_zpa` integration, so that
//! Elasticsearch's built-in `logs-*-*` template (with `ecs@mappings`) types every field
//! without an ingest pipeline:
//!
//! - `@timestamp` is the event time; `ecs.version`, `event.module` `zscaler_zpa`,
//!   `event.dataset` `zscaler_zpa.<log_type>`, `observer.vendor`/`observer.product`;
//! - the catalog's answer: `event.code`, `event.reason` (the code's title), `event.severity`
//!   (1 info to 5 critical), `event.outcome`, with `event.kind`/`category`/`type`
//!   ([`categorize`]);
//! - the record's keys that have an ECS field, converted to its type ([`tables`], [`build`]):
//!   users, addresses and ports, geo points, protocols, HTTP and URL parts, dates, `related.*`;
//! - every other key under `zscaler_zpa.<log_type>.<key in snake_case>`
//!   ([`convert::snake_case`]), `<name>_2`, ... for a different key whose name is taken, its
//!   value as it is (metrics: plain numbers written as strings become numbers); a key whose
//!   value does not fit its ECS field stays there too. Empty strings are left out, as
//!   Elastic's pipelines do; nothing else is;
//! - the enrichment under `zscaler_zpa.enrichment`, and the record as received in
//!   `event.original` when [`EcsOptions::keep_original`] is set.
//!
//! The document is written without a tree of the record: its members are scanned once, each
//! value is copied or converted into a scratch buffer, and the fields are written nested in a
//! fixed order ([`doc`]), so equal records give equal bytes.

mod build;
mod categorize;
mod convert;
mod doc;
/// The ECS document checker of the integration tests, for the documents these unit tests write.
#[cfg(test)]
#[path = "../../../../tests/it/common/ecs.rs"]
#[allow(unreachable_pub)]
mod ecs_check;
mod fields;
mod key_names;
mod tables;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use crate::event::scan::{self, Member, ValueKind};
use crate::event::{LogType, TimeSource};

use super::Record;
use crate::json_string::escape_into;
use build::{Fields, member_str, scalar};
use categorize::{AuditOp, Facts, Lifecycle, Verdict, categorize};
use convert::{PlainNumber, parse_long, plain_number, push_float, push_json_str, push_long};
use doc::{Pair, write_object};
use fields::F;

/// Options of the `ecs` output format (`[output.ecs]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EcsOptions {
    /// Keep the record as received in `event.original`.
    pub keep_original: bool,
}

/// The ECS version the documents follow.
const ECS_VERSION: &str = "8.11.0";

/// The tag of a document whose `@timestamp` is the processing time.
const TAG_TIME_UNREADABLE: &str = "event_time_unreadable";

/// Appends the ECS document of `rec` to `out` (one JSON object, no line terminator).
pub(crate) fn write(out: &mut Vec<u8>, rec: &Record<'_>, opts: &EcsOptions) {
    let bytes = &rec.bytes[..=rec.view.object_close];
    let scanned: Vec<Member>;
    let members = if rec.members.len() == rec.view.members {
        rec.members
    } else {
        let mut all = Vec::with_capacity(rec.view.members);
        // The record was read with the enricher's limits already, so this does not fail;
        // should it, the document carries the generic fields only.
        if scan::scan(
            bytes,
            rec.view.object_start,
            scan::MAX_SUPPORTED_DEPTH,
            &mut all,
        )
        .is_err()
        {
            all.clear();
        }
        scanned = all;
        &scanned
    };

    let mut fields = Fields::new(bytes);
    let keys = Keys::map(rec, bytes, members, &mut fields);
    generic_fields(rec, opts, &keys.facts, &mut fields);
    fields.set_with(F::ZscalerZpa, |b| {
        vendor_object(b, rec, bytes, members, &keys);
    });

    // Sorting by field puts the pairs in path order (stable: a later duplicate stays later).
    fields.fields.sort_by_key(|(f, _)| *f);
    let pairs: Vec<Pair<'_>> = fields
        .fields
        .iter()
        .map(|&(f, v)| Pair {
            path: f.path(),
            segments: f.segments(),
            value: fields.json(v),
        })
        .collect();
    write_object(out, &pairs);
}

/// What mapping a record's keys found out.
struct Keys {
    /// The `snake_case` names of the members, one after the other.
    names: Vec<u8>,
    /// Per member: its name's range in `names`.
    name_at: Vec<(usize, usize)>,
    /// Per member: true when it is not kept under `zscaler_zpa` (mapped, or an empty string).
    taken: Vec<bool>,
    facts: Facts,
}

impl Keys {
    fn name(&self, i: usize) -> &[u8] {
        let (s, e) = self.name_at[i];
        &self.names[s..e]
    }

    /// Maps every member of the record to its ECS fields.
    fn map<'a>(
        rec: &Record<'_>,
        bytes: &'a [u8],
        members: &[Member],
        fields: &mut Fields<'a>,
    ) -> Keys {
        let mut keys = Keys {
            names: Vec::with_capacity(members.len() * 16),
            name_at: Vec::with_capacity(members.len()),
            taken: vec![false; members.len()],
            facts: Facts::default(),
        };
        // The key the event time was read from is `@timestamp` now, whichever its spelling
        // (`LogTimestamp`, `LogTimeStamp`, `modifiedTime`, ...). The reader keeps the time keys
        // in the order of `TimeSource`.
        let time_slot = match rec.time.source {
            TimeSource::LogTimestamp => Some(0),
            TimeSource::ModifiedTime => Some(1),
            TimeSource::CreationTime => Some(2),
            TimeSource::Processing => None,
        };
        let time_member = time_slot.and_then(|s| rec.view.time[s]);
        for (i, m) in members.iter().enumerate() {
            let start = keys.names.len();
            // Nearly every key is one LSS writes, looked up as it is.
            let known = if m.key_escaped {
                None
            } else {
                key_names::known(m.raw_key(bytes))
            };
            match known {
                Some(name) => keys.names.extend_from_slice(name),
                None => match decoded_key(bytes, m) {
                    Some(k) => key_names::push_snake_case(&k, &mut keys.names),
                    None => keys.names.push(b'_'),
                },
            }
            keys.name_at.push((start, keys.names.len()));
            let name = &keys.names[start..];
            if m.kind == (ValueKind::String { escaped: false }) && m.value_end - m.value_start == 2
            {
                keys.taken[i] = true;
                continue;
            }
            // The very member the reader took the time from (same bytes, same offsets).
            if time_member.is_some_and(|t| t.key_start == m.key_start) {
                keys.taken[i] = true;
                continue;
            }
            note_fact(&mut keys.facts, name, bytes, m);
            let targets = tables::targets(rec.log_type, name);
            if targets.is_empty() {
                continue;
            }
            let Some(value) = scalar(bytes, m) else {
                continue;
            };
            let mut mapped = false;
            for &to in targets {
                mapped |= fields.apply(to, i, &value);
            }
            keys.taken[i] = mapped;
        }
        for i in fields.finish_geo() {
            keys.taken[i] = true;
        }
        fields.finish_url();
        keys
    }
}

/// The member's key, escapes decoded.
fn decoded_key<'a>(bytes: &'a [u8], m: &Member) -> Option<Cow<'a, str>> {
    if m.key_escaped {
        serde_json::from_slice::<String>(&bytes[m.key_start..=m.key_end])
            .ok()
            .map(Cow::Owned)
    } else {
        std::str::from_utf8(m.raw_key(bytes))
            .ok()
            .map(Cow::Borrowed)
    }
}

/// Remembers what the categorisation needs from the member named `name`.
fn note_fact(facts: &mut Facts, name: &[u8], bytes: &[u8], m: &Member) {
    match name {
        b"connection_status" => {
            facts.connection =
                member_str(bytes, m).and_then(|s| Lifecycle::from_connection_status(&s));
        }
        b"audit_operation_type" => {
            facts.audit = member_str(bytes, m).map(|s| AuditOp::parse(&s));
        }
        b"status_code" => {
            facts.http_status = scalar(bytes, m)
                .as_ref()
                .and_then(|v| v.text().and_then(parse_long))
                .filter(|n| (100..=599).contains(n));
        }
        b"actions" => {
            facts.action = match m.kind {
                ValueKind::Array => serde_json::from_slice::<Vec<serde_json::Value>>(
                    &bytes[m.value_start..m.value_end],
                )
                .ok()
                .and_then(|items| {
                    Verdict::from_actions(items.iter().filter_map(serde_json::Value::as_str))
                }),
                // A template that writes the list joined by commas.
                _ => member_str(bytes, m).and_then(|s| Verdict::from_actions(s.split(','))),
            };
        }
        _ => {}
    }
}

/// The fields every document has, from the record's time, type and status.
fn generic_fields(rec: &Record<'_>, opts: &EcsOptions, facts: &Facts, f: &mut Fields<'_>) {
    let time = rec.time;
    f.set_with(F::Timestamp, |b| {
        b.push(b'"');
        time.write_rfc3339(b);
        b.push(b'"');
    });
    if time.is_processing_time() {
        f.set_with(F::EventCreated, |b| {
            b.push(b'"');
            time.write_rfc3339(b);
            b.push(b'"');
        });
        f.set_with(F::Tags, |b| {
            b.push(b'[');
            push_json_str(b, TAG_TIME_UNREADABLE);
            b.push(b']');
        });
    }
    f.set_str(F::EcsVersion, ECS_VERSION);

    let cat = categorize(rec, facts);
    f.set_str(F::EventKind, cat.kind);
    if !cat.categories.is_empty() {
        f.set_with(F::EventCategory, |b| push_list(b, cat.categories));
        f.set_with(F::EventType, |b| push_list(b, &cat.types));
    }
    if let Some(outcome) = cat.outcome {
        f.set_str(F::EventOutcome, outcome);
    }
    f.set_str(F::EventModule, "zscaler_zpa");
    f.set_with(F::EventDataset, |b| {
        b.extend_from_slice(b"\"zscaler_zpa.");
        b.extend_from_slice(rec.log_type.as_str().as_bytes());
        b.push(b'"');
    });
    let status = &rec.status;
    if let Some(code) = status.code {
        f.set_str(F::EventCode, code);
        match status.title {
            Some(title) => f.set_str(F::EventReason, title),
            None => {
                let reason = format!(
                    "Unknown status code {code}: it is not in catalog version {}.",
                    status.catalog_version
                );
                f.set_str(F::EventReason, &reason);
            }
        }
    }
    if cat.kind != "metric" {
        f.set_with(F::EventSeverity, |b| {
            push_long(b, severity_number(status.severity));
        });
    }
    if opts.keep_original {
        f.set_with(F::EventOriginal, |b| {
            b.push(b'"');
            escape_into(b, String::from_utf8_lossy(rec.original).as_bytes());
            b.push(b'"');
        });
    }

    f.set_str(F::ObserverVendor, "Zscaler");
    f.set_str(F::ObserverProduct, "ZPA");
    match rec.log_type {
        LogType::AppConnectorStatus | LogType::AppConnectorMetrics => {
            f.set_str(F::ObserverType, "forwarder");
        }
        LogType::PrivateServiceEdgeStatus | LogType::PrivateServiceEdgeMetrics => {
            f.set_str(F::ObserverType, "proxy");
        }
        _ => {}
    }

    for (field, list) in [
        (F::RelatedHosts, std::mem::take(&mut f.related_hosts)),
        (F::RelatedIp, std::mem::take(&mut f.related_ip)),
        (F::RelatedUser, std::mem::take(&mut f.related_user)),
    ] {
        if !list.is_empty() {
            f.set_with(field, |b| push_list(b, &list));
        }
    }
}

/// `event.severity`: info 1, low 2, medium 3, high 4, critical 5.
fn severity_number(s: crate::catalog::Severity) -> i64 {
    use crate::catalog::Severity;
    match s {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

/// Writes a JSON list of strings.
fn push_list<S: AsRef<str>>(b: &mut Vec<u8>, items: &[S]) {
    b.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        push_json_str(b, s.as_ref());
    }
    b.push(b']');
}

/// True for the log types whose templates write their numbers as strings.
fn writes_numbers_as_strings(t: LogType) -> bool {
    matches!(
        t,
        LogType::AppConnectorMetrics
            | LogType::PrivateServiceEdgeMetrics
            | LogType::PrivateCloudControllerMetrics
    )
}

/// Appends the `zscaler_zpa` object: `{"<log_type>":{the keys not mapped},"enrichment":{...}}`.
///
/// A key written twice holds its later value, at the place of the first. A different key whose
/// name is taken already gets the first free name of `<name>_2`, `<name>_3`, ..., so that no
/// value is lost.
fn vendor_object(b: &mut Vec<u8>, rec: &Record<'_>, bytes: &[u8], members: &[Member], keys: &Keys) {
    // Per name written: the member whose value it holds, and the name.
    let mut kept: Vec<(usize, Cow<'_, [u8]>)> = Vec::with_capacity(members.len());
    let mut by_name: FxHashMap<Cow<'_, [u8]>, usize> = FxHashMap::default();
    by_name.reserve(members.len());
    for i in 0..members.len() {
        if keys.taken[i] {
            continue;
        }
        let name = keys.name(i);
        let slot = match by_name.entry(Cow::Borrowed(name)) {
            std::collections::hash_map::Entry::Occupied(e) => *e.get(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(kept.len());
                kept.push((i, Cow::Borrowed(name)));
                continue;
            }
        };
        if same_key(bytes, &members[kept[slot].0], &members[i]) {
            kept[slot].0 = i;
            continue;
        }
        // A key repeated after its name was taken by another one probes the same numbered
        // names in the same order, so it comes to the one it got the first time.
        for n in 2usize.. {
            let mut numbered = Vec::with_capacity(name.len() + 4);
            numbered.extend_from_slice(name);
            numbered.push(b'_');
            numbered.extend_from_slice(n.to_string().as_bytes());
            match by_name.get(numbered.as_slice()) {
                None => {
                    let owned: Cow<'_, [u8]> = Cow::Owned(numbered);
                    by_name.insert(owned.clone(), kept.len());
                    kept.push((i, owned));
                    break;
                }
                Some(&slot) if same_key(bytes, &members[kept[slot].0], &members[i]) => {
                    kept[slot].0 = i;
                    break;
                }
                Some(_) => {}
            }
        }
    }

    let numbers = writes_numbers_as_strings(rec.log_type);
    b.reserve(bytes.len() + rec.enrichment.len() + 64);
    b.push(b'{');
    if !kept.is_empty() {
        b.push(b'"');
        b.extend_from_slice(rec.log_type.as_str().as_bytes());
        b.extend_from_slice(b"\":{");
        for (n, (i, name)) in kept.iter().enumerate() {
            if n > 0 {
                b.push(b',');
            }
            b.push(b'"');
            b.extend_from_slice(name);
            b.extend_from_slice(b"\":");
            let m = &members[*i];
            let raw = &bytes[m.value_start..m.value_end];
            if numbers && !is_identifier(keys.name(*i)) && write_number_text(b, bytes, m) {
                continue;
            }
            b.extend_from_slice(raw);
        }
        b.push(b'}');
    }
    if !rec.enrichment.is_empty() {
        if !kept.is_empty() {
            b.push(b',');
        }
        b.extend_from_slice(b"\"enrichment\":");
        b.extend_from_slice(rec.enrichment);
    }
    b.push(b'}');
}

/// True when two members have the same key, as a JSON reader sees it (escapes decoded).
fn same_key(bytes: &[u8], a: &Member, b: &Member) -> bool {
    if !a.key_escaped && !b.key_escaped {
        return a.raw_key(bytes) == b.raw_key(bytes);
    }
    matches!(
        (decoded_key(bytes, a), decoded_key(bytes, b)),
        (Some(x), Some(y)) if x == y
    )
}

/// True for the name of a key that names or identifies something: its value stays as written,
/// even when it is digits. Names ending in `_id` or `name` (`MicroTenantID`, `ConnectorId`,
/// `AppConnectorGroupName`, `Hostname`), groups and versions, and the keys naming the component
/// that reports.
fn is_identifier(name: &[u8]) -> bool {
    const NAMES: [&[u8]; 6] = [
        b"connector",
        b"private_se",
        b"private_cloud_controller",
        b"site_controller",
        b"service_edge",
        b"customer",
    ];
    name == b"id"
        || name.ends_with(b"_id")
        || name.ends_with(b"name")
        || name.ends_with(b"_group")
        || name.ends_with(b"version")
        || NAMES.contains(&name)
}

/// Writes a string member holding a plain number as that number ([`plain_number`]); false
/// when it holds none.
fn write_number_text(b: &mut Vec<u8>, bytes: &[u8], m: &Member) -> bool {
    let Some(s) = member_str(bytes, m) else {
        return false;
    };
    match plain_number(&s) {
        Some(PlainNumber::Long(n)) => push_long(b, n),
        Some(PlainNumber::Float(v)) => push_float(b, v),
        None => return false,
    }
    true
}
