//! Serialising the enrichment: pre-built byte fragments per catalog entry, assembled per record.

use crate::catalog::{Catalog, CatalogEntry, Component, EntryId};
use crate::event::scan::{self, Member};
use crate::event::{LogType, ReadOptions, RecordView, SourceField};

use super::{EnrichOptions, OutputMode};

/// The keys of the enrichment, in output order.
pub const OUTPUT_FIELDS: [&str; 11] = [
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
];

/// Text for records without a code.
const NO_CODE_STATUS: &str = "No status code";
const NO_CODE_DESCRIPTION: &str = "The record carries no status code: its status field is empty or absent, as is normal for open and active connections, audit records and metrics.";

/// Pre-serialised pieces of output. Keys already carry the flat prefix when there is one.
#[derive(Debug)]
pub(super) struct Fragments {
    /// `"enrichment":{` or nothing (flat).
    open: Vec<u8>,
    /// `}` or nothing (flat).
    close: Vec<u8>,
    /// Per entry: `"code":"X"`.
    code: Vec<Vec<u8>>,
    /// Per entry: `,"status":...` through `remediation` (when present).
    body: Vec<Vec<u8>>,
    /// Per source field: `,"source_field":"InternalReason"`.
    source: [Vec<u8>; 3],
    /// `,"source_field":null`.
    source_null: Vec<u8>,
    /// Per log type: `,"log_type":"user_activity"`.
    log_type: Vec<Vec<u8>>,
    /// `,"known":true,"catalog_version":"V"`.
    tail_known: Vec<u8>,
    /// `,"known":false,"catalog_version":"V"`.
    tail_not_known: Vec<u8>,
    /// `"code":`
    key_code: Vec<u8>,
    /// `,"status":"Unknown status code: `
    unknown_status_open: Vec<u8>,
    /// `","description":"...","severity":"medium","component":`
    unknown_middle: Vec<u8>,
    /// `,"category":null`
    unknown_category: Vec<u8>,
    /// `"code":null` + `,"status":...` through `category` for records without a code.
    no_code_body: Vec<u8>,
}

fn json_str(s: &str) -> Vec<u8> {
    serde_json::to_vec(s).expect("serialising a str cannot fail")
}

impl Fragments {
    pub(super) fn new(catalog: &Catalog, opts: &EnrichOptions) -> Self {
        let (open, close, prefix) = match &opts.output {
            OutputMode::Nested { field } => {
                let mut open = json_str(field);
                open.extend_from_slice(b":{");
                (open, b"}".to_vec(), String::new())
            }
            OutputMode::Flat { prefix } => (Vec::new(), Vec::new(), prefix.clone()),
        };
        let key = |name: &str| {
            let mut k = json_str(&format!("{prefix}{name}"));
            k.push(b':');
            k
        };
        let kv = |name: &str, value: &[u8]| {
            let mut v = vec![b','];
            v.extend_from_slice(&key(name));
            v.extend_from_slice(value);
            v
        };
        let kv_str = |name: &str, value: &str| kv(name, &json_str(value));

        let entry_body = |e: &CatalogEntry| {
            let mut b = Vec::with_capacity(512);
            b.extend(kv_str("status", &e.status));
            b.extend(kv_str("description", &e.description));
            b.extend(kv_str("severity", e.severity.as_str()));
            b.extend(kv_str("component", e.component.as_str()));
            b.extend(kv_str("category", e.category.as_str()));
            if let Some(r) = &e.remediation {
                b.extend(kv_str("remediation", r));
            }
            b
        };
        let version = json_str(catalog.version());
        let tail = |known: &[u8]| {
            let mut t = kv("known", known);
            t.extend(kv("catalog_version", &version));
            t
        };
        let unknown_description = format!(
            "This code is not in catalog version {}. Update the catalog, or add a local entry for it (catalog.path).",
            catalog.version()
        );
        let mut unknown_middle = b"\"".to_vec();
        unknown_middle.extend(kv_str("description", &unknown_description));
        unknown_middle.extend(kv_str("severity", opts.unknown_severity.as_str()));
        unknown_middle.push(b',');
        unknown_middle.extend(key("component"));

        let mut no_code_body = key("code");
        no_code_body.extend_from_slice(b"null");
        let mut no_code_rest = kv_str("status", NO_CODE_STATUS);
        no_code_rest.extend(kv_str("description", NO_CODE_DESCRIPTION));
        no_code_rest.extend(kv_str("severity", "info"));
        no_code_rest.extend(kv("component", b"null"));
        no_code_rest.extend(kv_str("category", "info"));

        let mut unknown_status_open = kv("status", b"");
        unknown_status_open.extend_from_slice(b"\"Unknown status code: ");

        Self {
            open,
            close,
            code: catalog
                .entries()
                .iter()
                .map(|e| {
                    let mut c = key("code");
                    c.extend(json_str(&e.code));
                    c
                })
                .collect(),
            body: catalog.entries().iter().map(entry_body).collect(),
            source: SourceField::ALL.map(|f| kv_str("source_field", f.as_str())),
            source_null: kv("source_field", b"null"),
            log_type: LogType::ALL
                .iter()
                .map(|t| kv_str("log_type", t.as_str()))
                .collect(),
            tail_known: tail(b"true"),
            tail_not_known: tail(b"false"),
            key_code: key("code"),
            unknown_status_open,
            unknown_middle,
            unknown_category: kv("category", b"null"),
            no_code_body: [no_code_body, no_code_rest].concat(),
        }
    }

    fn log_type(&self, t: LogType) -> &[u8] {
        &self.log_type[t as usize]
    }

    pub(super) fn write_known(
        &self,
        out: &mut Vec<u8>,
        entry: EntryId,
        source: SourceField,
        log_type: LogType,
    ) {
        out.extend_from_slice(&self.open);
        out.extend_from_slice(&self.code[entry.index()]);
        out.extend_from_slice(&self.source[source as usize]);
        out.extend_from_slice(&self.body[entry.index()]);
        out.extend_from_slice(self.log_type(log_type));
        out.extend_from_slice(&self.tail_known);
        out.extend_from_slice(&self.close);
    }

    pub(super) fn write_unknown(
        &self,
        out: &mut Vec<u8>,
        code: &str,
        source: SourceField,
        log_type: LogType,
    ) {
        out.extend_from_slice(&self.open);
        out.extend_from_slice(&self.key_code);
        out.push(b'"');
        escape_into(out, code);
        out.push(b'"');
        out.extend_from_slice(&self.source[source as usize]);
        out.extend_from_slice(&self.unknown_status_open);
        escape_into(out, code);
        out.extend_from_slice(&self.unknown_middle);
        match Component::guess_from_code(code) {
            Some(c) => {
                out.push(b'"');
                out.extend_from_slice(c.as_str().as_bytes());
                out.push(b'"');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(&self.unknown_category);
        out.extend_from_slice(self.log_type(log_type));
        out.extend_from_slice(&self.tail_not_known);
        out.extend_from_slice(&self.close);
    }

    pub(super) fn write_no_code(
        &self,
        out: &mut Vec<u8>,
        field: Option<SourceField>,
        log_type: LogType,
    ) {
        out.extend_from_slice(&self.open);
        let mut body = self.no_code_body.as_slice();
        // `"code":null` comes first, then source_field, then the rest.
        let code_len = self.key_code.len() + 4;
        out.extend_from_slice(&body[..code_len]);
        body = &body[code_len..];
        match field {
            Some(f) => out.extend_from_slice(&self.source[f as usize]),
            None => out.extend_from_slice(&self.source_null),
        }
        out.extend_from_slice(body);
        out.extend_from_slice(self.log_type(log_type));
        out.extend_from_slice(&self.tail_not_known);
        out.extend_from_slice(&self.close);
    }
}

/// Writes `s` as the inside of a JSON string.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
}

/// Copies the record up to its closing brace, leaving out members whose key belongs to the
/// enricher's own output. Returns the number of members kept.
pub(super) fn copy_without_owned(
    record: &[u8],
    view: &RecordView,
    read: &ReadOptions,
    out: &mut Vec<u8>,
) -> usize {
    let mut members: Vec<Member> = Vec::with_capacity(view.members);
    // The record was scanned successfully with the same limits, so this cannot fail.
    if scan::scan(record, view.object_start, read.max_depth, &mut members).is_err() {
        out.extend_from_slice(&record[view.output_start..view.object_close]);
        return view.members;
    }
    out.extend_from_slice(&record[view.output_start..=view.object_start]);
    let mut kept = 0;
    for m in &members {
        let raw_key = m.raw_key(record);
        let owned = if m.key_escaped {
            serde_json::from_slice::<String>(&record[m.key_start..=m.key_end])
                .is_ok_and(|k| read.owned.matches(k.as_bytes()))
        } else {
            read.owned.matches(raw_key)
        };
        if owned {
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
