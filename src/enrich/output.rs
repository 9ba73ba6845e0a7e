//! Serialising the enrichment: pre-built byte fragments per catalog entry, assembled per record.

use crate::catalog::{Catalog, CatalogEntry, Component, EntryId, Severity};
use crate::event::scan::{self, Member, ValueKind};
use crate::event::{
    EventTime, InvalidRecord, LogType, OwnedKeys, Quirks, ReadOptions, RecordView, SourceField,
};
use crate::json_string::escape_into;

use super::{EnrichOptions, OutputMode};

/// The keys of the enrichment, in output order.
pub(crate) const OUTPUT_FIELDS: [&str; 13] = [
    "code",
    "source_field",
    "status",
    "description",
    "severity",
    "component",
    "category",
    "remediation",
    "log_type",
    "known",
    "catalog_version",
    "event_time",
    "repaired",
];

/// The key that marks a record whose own time could not be read; written with `event_time`.
const EVENT_TIME_UNREADABLE: &str = "event_time_unreadable";

/// Every key the enrichment can carry: [`OUTPUT_FIELDS`] and [`EVENT_TIME_UNREADABLE`].
pub(crate) const OWNED_NAMES: [&str; OUTPUT_FIELDS.len() + 1] = {
    let mut names = [EVENT_TIME_UNREADABLE; OUTPUT_FIELDS.len() + 1];
    let mut i = 0;
    while i < OUTPUT_FIELDS.len() {
        names[i] = OUTPUT_FIELDS[i];
        i += 1;
    }
    names
};

/// A selection of [`OUTPUT_FIELDS`]: which keys the enrichment carries (all by default).
///
/// A smaller selection makes smaller records, e.g. for a SIEM that bills by volume and looks the
/// long texts up itself (`zpa-enricher catalog export`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSet(u16);

impl FieldSet {
    /// Every field.
    pub const ALL: FieldSet = FieldSet((1 << OUTPUT_FIELDS.len()) - 1);

    /// The selection of these field names.
    ///
    /// # Errors
    /// A name that is not one of [`OUTPUT_FIELDS`], a name given twice, or no name at all.
    pub(crate) fn from_names<S: AsRef<str>>(names: &[S]) -> Result<FieldSet, String> {
        if names.is_empty() {
            return Err("at least one field is needed".into());
        }
        let mut bits = 0u16;
        for name in names {
            let name = name.as_ref();
            let Some(i) = OUTPUT_FIELDS.iter().position(|f| *f == name) else {
                return Err(format!(
                    "unknown field {name:?} (fields: {})",
                    OUTPUT_FIELDS.join(", ")
                ));
            };
            if bits & (1 << i) != 0 {
                return Err(format!("field {name:?} is listed twice"));
            }
            bits |= 1 << i;
        }
        Ok(FieldSet(bits))
    }

    /// True when the field at this index of [`OUTPUT_FIELDS`] is selected.
    fn has(self, field: usize) -> bool {
        self.0 & (1 << field) != 0
    }

    /// The selected names, in output order.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn names(self) -> Vec<&'static str> {
        (0..OUTPUT_FIELDS.len())
            .filter(|&i| self.has(i))
            .map(|i| OUTPUT_FIELDS[i])
            .collect()
    }
}

impl Default for FieldSet {
    fn default() -> Self {
        FieldSet::ALL
    }
}

/// Indexes into [`OUTPUT_FIELDS`].
mod field {
    pub(super) const CODE: usize = 0;
    pub(super) const SOURCE_FIELD: usize = 1;
    pub(super) const STATUS: usize = 2;
    pub(super) const DESCRIPTION: usize = 3;
    pub(super) const SEVERITY: usize = 4;
    pub(super) const COMPONENT: usize = 5;
    pub(super) const CATEGORY: usize = 6;
    pub(super) const REMEDIATION: usize = 7;
    pub(super) const LOG_TYPE: usize = 8;
    pub(super) const KNOWN: usize = 9;
    pub(super) const CATALOG_VERSION: usize = 10;
    pub(super) const EVENT_TIME: usize = 11;
    pub(super) const REPAIRED: usize = 12;
}

/// The body of an entry for records of one log type (see [`Fragments::override_body`]).
type LogTypeBody = (LogType, Vec<u8>);

/// What the last keys of an enrichment say: the record's log type, event time and repairs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tail {
    pub(super) log_type: LogType,
    pub(super) time: EventTime,
    pub(super) repaired: Quirks,
}

/// Text for records without a code.
const NO_CODE_STATUS: &str = "No status code";
const NO_CODE_DESCRIPTION: &str = "The record carries no status code: its status field is empty or absent, as is normal for open and active connections, audit records and metrics.";

/// Pre-serialised pieces of output. Keys already carry the flat prefix when there is one.
///
/// Every piece starts with a comma, and the piece of a field that is not selected is empty;
/// [`Fragments::frame`] turns the first comma into what the output mode needs there.
#[derive(Debug)]
pub(super) struct Fragments {
    /// `"enrichment":` (nested), or `None` (flat).
    open: Option<Vec<u8>>,
    /// Per entry: `,"code":"X"`.
    code: Vec<Vec<u8>>,
    /// Per entry: `,"status":...` through `remediation` (when present).
    body: Vec<Vec<u8>>,
    /// Per entry: the body for each log type it has an override for (most have none, a few
    /// have three), so that the record's log type picks its body by a scan of a tiny slice.
    override_body: Vec<Box<[LogTypeBody]>>,
    /// Per source field: `,"source_field":"InternalReason"`.
    source: [Vec<u8>; SourceField::COUNT],
    /// `,"source_field":null`.
    source_null: Vec<u8>,
    /// Per log type: `,"log_type":"user_activity"`.
    log_type: Vec<Vec<u8>>,
    /// `,"known":true,"catalog_version":"V"`.
    tail_known: Vec<u8>,
    /// `,"known":false,"catalog_version":"V"`.
    tail_not_known: Vec<u8>,
    /// Per set of repaired quirks ([`Quirks::index`]): `,"repaired":["empty_list"]`, and
    /// nothing for a record that was not repaired.
    repaired: [Vec<u8>; Quirks::COMBINATIONS],
    /// `,"event_time":` (when selected)
    key_event_time: Vec<u8>,
    /// `,"event_time_unreadable":true` (when `event_time` is selected)
    event_time_unreadable: Vec<u8>,
    /// `,"code":` (when selected)
    key_code: Vec<u8>,
    /// `,"component":` (when selected)
    key_component: Vec<u8>,
    /// `,"status":"Unknown status code: `
    unknown_status_open: Vec<u8>,
    /// `,"description":"...","severity":"medium"`
    unknown_middle: Vec<u8>,
    /// `,"category":null`
    unknown_category: Vec<u8>,
    /// `,"code":null` for records without a code.
    no_code_code: Vec<u8>,
    /// `,"status":...` through `category` for records without a code.
    no_code_rest: Vec<u8>,
}

fn json_str(s: &str) -> Vec<u8> {
    serde_json::to_vec(s).expect("serialising a str cannot fail")
}

impl Fragments {
    pub(super) fn new(catalog: &Catalog, opts: &EnrichOptions) -> Self {
        let (open, prefix) = match &opts.output {
            OutputMode::Nested { field } => {
                let mut open = json_str(field);
                open.push(b':');
                (Some(open), String::new())
            }
            OutputMode::Flat { prefix } => (None, prefix.clone()),
        };
        let fields = opts.fields;
        let key = |name: &str| {
            let mut k = json_str(&format!("{prefix}{name}"));
            k.push(b':');
            k
        };
        // The key of field `f` with its leading comma, or nothing when `f` is not selected.
        let lead_key = |f: usize| -> Vec<u8> {
            if !fields.has(f) {
                return Vec::new();
            }
            let mut k = vec![b','];
            k.extend(key(OUTPUT_FIELDS[f]));
            k
        };
        let kv = |f: usize, value: &[u8]| -> Vec<u8> {
            let mut v = lead_key(f);
            if !v.is_empty() {
                v.extend_from_slice(value);
            }
            v
        };
        let kv_str = |f: usize, value: &str| kv(f, &json_str(value));

        let entry_body = |e: &CatalogEntry, severity: Severity, component: Component| {
            let mut b = Vec::with_capacity(512);
            b.extend(kv_str(field::STATUS, &e.status));
            b.extend(kv_str(field::DESCRIPTION, &e.description));
            b.extend(kv_str(field::SEVERITY, severity.as_str()));
            b.extend(kv_str(field::COMPONENT, component.as_str()));
            b.extend(kv_str(field::CATEGORY, e.category.as_str()));
            if let Some(r) = &e.remediation {
                b.extend(kv_str(field::REMEDIATION, r));
            }
            b
        };
        let version = json_str(catalog.version());
        let tail = |known: &[u8]| {
            let mut t = kv(field::KNOWN, known);
            t.extend(kv(field::CATALOG_VERSION, &version));
            t
        };
        let unknown_description = format!(
            "This code is not in catalog version {}. Update the catalog, or add a local entry for it (catalog.path).",
            catalog.version()
        );
        let mut unknown_middle = kv_str(field::DESCRIPTION, &unknown_description);
        unknown_middle.extend(kv_str(field::SEVERITY, opts.unknown_severity.as_str()));

        let mut no_code_rest = kv_str(field::STATUS, NO_CODE_STATUS);
        no_code_rest.extend(kv_str(field::DESCRIPTION, NO_CODE_DESCRIPTION));
        no_code_rest.extend(kv_str(field::SEVERITY, "info"));
        no_code_rest.extend(kv(field::COMPONENT, b"null"));
        no_code_rest.extend(kv_str(field::CATEGORY, "info"));

        let repaired = std::array::from_fn(|i| {
            let quirks: Vec<&str> = crate::event::Quirk::ALL
                .iter()
                .filter(|q| i & (1 << **q as usize) != 0)
                .map(|q| q.as_str())
                .collect();
            if quirks.is_empty() {
                Vec::new()
            } else {
                kv(
                    field::REPAIRED,
                    &serde_json::to_vec(&quirks).expect("serialising strs cannot fail"),
                )
            }
        });

        let mut unknown_status_open = lead_key(field::STATUS);
        if !unknown_status_open.is_empty() {
            unknown_status_open.extend_from_slice(b"\"Unknown status code: ");
        }

        Self {
            open,
            code: catalog
                .entries()
                .iter()
                .map(|e| kv(field::CODE, &json_str(&e.code)))
                .collect(),
            body: catalog
                .entries()
                .iter()
                .map(|e| entry_body(e, e.severity, e.component))
                .collect(),
            override_body: catalog
                .entries()
                .iter()
                .map(|e| {
                    e.overrides
                        .iter()
                        .map(|o| {
                            let t = o.log_type;
                            (t, entry_body(e, e.severity_in(t), e.component_in(t)))
                        })
                        .collect()
                })
                .collect(),
            source: SourceField::ALL.map(|f| kv_str(field::SOURCE_FIELD, f.as_str())),
            source_null: kv(field::SOURCE_FIELD, b"null"),
            log_type: LogType::ALL
                .iter()
                .map(|t| kv_str(field::LOG_TYPE, t.as_str()))
                .collect(),
            tail_known: tail(b"true"),
            tail_not_known: tail(b"false"),
            repaired,
            key_event_time: lead_key(field::EVENT_TIME),
            event_time_unreadable: if fields.has(field::EVENT_TIME) {
                let mut k = vec![b','];
                k.extend(key(EVENT_TIME_UNREADABLE));
                k.extend_from_slice(b"true");
                k
            } else {
                Vec::new()
            },
            key_code: lead_key(field::CODE),
            key_component: lead_key(field::COMPONENT),
            unknown_status_open,
            unknown_middle,
            unknown_category: kv(field::CATEGORY, b"null"),
            no_code_code: kv(field::CODE, b"null"),
            no_code_rest,
        }
    }

    /// Writes the enrichment after a record's last member (`members` of them are left):
    /// `pieces` writes the selected fields, each with its leading comma. The first comma becomes
    /// the opening brace of the nested object, or the separator from the record's last member in
    /// flat mode (dropped when there is no member to separate from).
    fn frame(&self, out: &mut Vec<u8>, members: usize, pieces: impl FnOnce(&mut Vec<u8>)) {
        match &self.open {
            Some(key) => {
                if members > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(key);
                let start = out.len();
                pieces(out);
                match out.get_mut(start) {
                    Some(comma) => *comma = b'{',
                    // Nothing selected applies to this record (only `remediation`, absent).
                    None => out.push(b'{'),
                }
                out.push(b'}');
            }
            None => {
                let start = out.len();
                pieces(out);
                if members == 0 && out.len() > start {
                    out.remove(start);
                }
            }
        }
    }

    fn log_type(&self, t: LogType) -> &[u8] {
        &self.log_type[t as usize]
    }

    /// Writes the `event_time` key, and for a record whose own time could not be read the key
    /// that says so.
    #[inline]
    fn write_time(&self, out: &mut Vec<u8>, time: EventTime) {
        if !self.key_event_time.is_empty() {
            out.extend_from_slice(&self.key_event_time);
            out.push(b'"');
            time.write_rfc3339(out);
            out.push(b'"');
            if time.is_processing_time() {
                out.extend_from_slice(&self.event_time_unreadable);
            }
        }
    }

    /// Writes the `repaired` key of a repaired record (nothing for the others).
    #[inline]
    fn write_repaired(&self, out: &mut Vec<u8>, quirks: Quirks) {
        if !quirks.is_empty() {
            out.extend_from_slice(&self.repaired[quirks.index()]);
        }
    }

    pub(super) fn write_known(
        &self,
        out: &mut Vec<u8>,
        members: usize,
        entry: EntryId,
        source: SourceField,
        tail: Tail,
    ) {
        let i = entry.index();
        let body = self.override_body[i]
            .iter()
            .find(|(t, _)| *t == tail.log_type)
            .map_or(&self.body[i], |(_, b)| b);
        self.frame(out, members, |out| {
            out.extend_from_slice(&self.code[i]);
            out.extend_from_slice(&self.source[source as usize]);
            out.extend_from_slice(body);
            out.extend_from_slice(self.log_type(tail.log_type));
            out.extend_from_slice(&self.tail_known);
            self.write_time(out, tail.time);
            self.write_repaired(out, tail.repaired);
        });
    }

    pub(super) fn write_unknown(
        &self,
        out: &mut Vec<u8>,
        members: usize,
        code: &str,
        source: SourceField,
        tail: Tail,
    ) {
        self.frame(out, members, |out| {
            if !self.key_code.is_empty() {
                out.extend_from_slice(&self.key_code);
                out.push(b'"');
                escape_into(out, code.as_bytes());
                out.push(b'"');
            }
            out.extend_from_slice(&self.source[source as usize]);
            if !self.unknown_status_open.is_empty() {
                out.extend_from_slice(&self.unknown_status_open);
                escape_into(out, code.as_bytes());
                out.push(b'"');
            }
            out.extend_from_slice(&self.unknown_middle);
            if !self.key_component.is_empty() {
                out.extend_from_slice(&self.key_component);
                match Component::guess_from_code(code) {
                    Some(c) => {
                        out.push(b'"');
                        out.extend_from_slice(c.as_str().as_bytes());
                        out.push(b'"');
                    }
                    None => out.extend_from_slice(b"null"),
                }
            }
            out.extend_from_slice(&self.unknown_category);
            out.extend_from_slice(self.log_type(tail.log_type));
            out.extend_from_slice(&self.tail_not_known);
            self.write_time(out, tail.time);
            self.write_repaired(out, tail.repaired);
        });
    }

    pub(super) fn write_no_code(
        &self,
        out: &mut Vec<u8>,
        members: usize,
        field: Option<SourceField>,
        tail: Tail,
    ) {
        self.frame(out, members, |out| {
            out.extend_from_slice(&self.no_code_code);
            match field {
                Some(f) => out.extend_from_slice(&self.source[f as usize]),
                None => out.extend_from_slice(&self.source_null),
            }
            out.extend_from_slice(&self.no_code_rest);
            out.extend_from_slice(self.log_type(tail.log_type));
            out.extend_from_slice(&self.tail_not_known);
            self.write_time(out, tail.time);
            self.write_repaired(out, tail.repaired);
        });
    }
}

/// The member's key, escapes decoded (`None` in the impossible case that a scanned key does not
/// decode).
fn decoded_key<'a>(record: &'a [u8], m: &Member) -> Option<std::borrow::Cow<'a, [u8]>> {
    if m.key_escaped {
        serde_json::from_slice::<String>(&record[m.key_start..=m.key_end])
            .ok()
            .map(|k| std::borrow::Cow::Owned(k.into_bytes()))
    } else {
        Some(std::borrow::Cow::Borrowed(m.raw_key(record)))
    }
}

/// True when the member's key (decoded) belongs to the enricher's own output.
fn is_owned(record: &[u8], m: &Member, read: &ReadOptions) -> bool {
    decoded_key(record, m).is_some_and(|k| read.owned.matches(&k))
}

/// True when an owned member holds what the enricher writes there: in nested mode an object
/// whose keys are all enrichment keys (whichever `output.fields` wrote it), in flat mode a
/// string, null or boolean, or for the `repaired` key a list.
fn holds_enrichment(record: &[u8], m: &Member, read: &ReadOptions) -> bool {
    match read.owned {
        OwnedKeys::Exact(_) => {
            if m.kind != ValueKind::Object {
                return false;
            }
            let mut inner: Vec<Member> = Vec::new();
            scan::scan(
                &record[..m.value_end],
                m.value_start,
                read.max_depth,
                &mut inner,
            )
            .is_ok()
                && inner.iter().all(|f| {
                    !f.key_escaped
                        && OWNED_NAMES
                            .iter()
                            .any(|n| n.as_bytes() == f.raw_key(record))
                })
        }
        OwnedKeys::Prefixed { ref prefix, .. } => match m.kind {
            ValueKind::String { .. } | ValueKind::Null | ValueKind::Bool => true,
            ValueKind::Array => decoded_key(record, m).is_some_and(|k| {
                k.strip_prefix(prefix.as_bytes()) == Some(OUTPUT_FIELDS[field::REPAIRED].as_bytes())
            }),
            ValueKind::Number | ValueKind::Object => false,
        },
    }
}

/// The top-level members of a record that carries keys of the enricher's own output (see
/// [`RecordView::has_owned_keys`]), once each such key is found to hold an earlier enrichment,
/// which the current one replaces.
///
/// # Errors
/// [`crate::event::InvalidReason::KeyConflict`] when such a key holds anything else: the enrichment would
/// replace record data.
pub(super) fn earlier_enrichment(
    record: &[u8],
    view: &RecordView,
    read: &ReadOptions,
) -> Result<Vec<Member>, InvalidRecord> {
    let mut members: Vec<Member> = Vec::with_capacity(view.members);
    // The record was scanned successfully with the same limits, so this cannot fail.
    if scan::scan(record, view.object_start, read.max_depth, &mut members).is_err() {
        return Ok(Vec::new());
    }
    match members
        .iter()
        .find(|m| is_owned(record, m, read) && !holds_enrichment(record, m, read))
    {
        Some(m) => Err(InvalidRecord::key_conflict(
            m.key_start,
            &String::from_utf8_lossy(&record[m.key_start..=m.key_end]),
        )),
        None => Ok(members),
    }
}

/// Copies the record from `start` up to its closing brace, leaving out the `members` (all of
/// the record's, from [`earlier_enrichment`]) whose key belongs to the enricher's own output.
/// Returns the number of members kept.
pub(super) fn copy_without_owned(
    record: &[u8],
    view: &RecordView,
    start: usize,
    members: &[Member],
    read: &ReadOptions,
    out: &mut Vec<u8>,
) -> usize {
    if members.is_empty() {
        out.extend_from_slice(&record[start..view.object_close]);
        return view.members;
    }
    out.extend_from_slice(&record[start..=view.object_start]);
    let mut kept = 0;
    for m in members {
        if is_owned(record, m, read) {
            continue;
        }
        if kept > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&record[m.key_start..m.value_end]);
        kept += 1;
    }
    kept
}
