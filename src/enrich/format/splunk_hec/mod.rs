//! The Splunk HTTP Event Collector envelope of a record, as Splunk Connect for Kafka forwards it
//! with `splunk.hec.json.event.formatted=true`:
//!
//! ```text
//! {"time":1638355121.000,"host":"...","source":"zpa-enricher","sourcetype":"zscalerlss-zpa-app",
//!  "index":"...","event":{<CIM fields>,<the record and its enrichment>},"fields":{...}}
//! ```
//!
//! - `time` is the event time in epoch seconds with milliseconds; `host` and `index` are left
//!   out when not configured (the collector's host, the token's index).
//! - `sourcetype` is the Zscaler add-on's name for the log type where it has one
//!   ([`sourcetype`]), so that the add-on and searches written for it keep working.
//! - `event` is the record in the `lss` format (its keys unchanged, the enrichment added as
//!   `output.mode` says) with CIM fields ([`cim`]) put before its first member; no key appears
//!   twice. They come first because Splunk's automatic JSON extraction (`KV_MODE = json`) reads
//!   only the start of an event (`extraction_cutoff` in `limits.conf`, 5000 bytes by default):
//!   after a large record they would not be extracted, and the event would drop out of its
//!   data models.
//! - `fields` are indexed fields for `tstats`: the code, severity, category, component,
//!   catalog version and log type, and a marker when the event time is the processing time
//!   ([`INDEXED_FIELDS`]).
//!
//! Nothing here parses the record into a tree: one scan finds the members the CIM fields are
//! made from, whose bytes are then copied.

mod cim;
mod json;
mod members;
#[cfg(test)]
mod tests;

use crate::catalog::{Category, Component};
use crate::event::LogType;
use crate::event::scan::{self, ValueKind};

use super::Record;
use members::Members;

/// Options of the `splunk_hec` output format (`[output.splunk_hec]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HecOptions {
    /// The envelope's `source`.
    pub source: String,
    /// The envelope's `host`; left out when `None` (Splunk then uses the collector's).
    pub host: Option<String>,
    /// The envelope's `index`; left out when `None` (the token's default index).
    pub index: Option<String>,
}

impl Default for HecOptions {
    fn default() -> Self {
        Self {
            source: "zpa-enricher".into(),
            host: None,
            index: None,
        }
    }
}

/// The names of the envelope's indexed fields, as `fields.conf` of the Splunk app declares them.
pub(crate) const INDEXED_FIELDS: [&str; 7] = [
    "zpa_enricher_log_type",
    "zpa_enricher_code",
    "zpa_enricher_severity",
    "zpa_enricher_category",
    "zpa_enricher_component",
    "zpa_enricher_catalog_version",
    "zpa_enricher_event_time",
];

/// The value of `zpa_enricher_event_time` when no timestamp of the record could be read and
/// `time` is the processing time (the field is left out otherwise).
pub(crate) const EVENT_TIME_UNREADABLE: &str = "unreadable";

/// The sourcetype of a log type's events. The Zscaler add-on for Splunk names User Activity,
/// User Status, App Connector, Private Service Edge, Browser Access, Audit and `AppProtection`
/// sourcetypes (App Connector metrics share the connector's, as Splunk Connect for Syslog
/// sends them); the other names follow its pattern and are this project's.
#[must_use]
pub(crate) fn sourcetype(log_type: LogType) -> &'static str {
    match log_type {
        LogType::UserActivity => "zscalerlss-zpa-app",
        LogType::UserStatus => "zscalerlss-zpa-auth",
        LogType::AppConnectorStatus | LogType::AppConnectorMetrics => "zscalerlss-zpa-connector",
        LogType::PrivateServiceEdgeStatus | LogType::PrivateServiceEdgeMetrics => {
            "zscalerlss-zpa-pse"
        }
        LogType::PrivateCloudControllerStatus | LogType::PrivateCloudControllerMetrics => {
            "zscalerlss-zpa-pcc"
        }
        LogType::BrowserAccess => "zscalerlss-zpa-bba",
        LogType::Audit => "zscalerlss-zpa-audit",
        LogType::AppProtection => "zscalerlss-zpa-web-inspection",
        LogType::SmbInspection => "zscalerlss-zpa-smb-inspection",
        LogType::LdapInspection => "zscalerlss-zpa-ldap-inspection",
        LogType::KrbInspection => "zscalerlss-zpa-krb-inspection",
        LogType::MicrosegmentationFlow => "zscalerlss-zpa-microsegmentation",
        LogType::Unknown => "zscalerlss-zpa-unknown",
    }
}

/// Appends the HEC envelope of `rec` to `out` (one JSON object, no line terminator).
///
/// `event` is the record in the `lss` format: the record's object as it came (no syslog
/// header) with the enrichment added as `output.mode` says, `{...}`. The envelope's `event`
/// is that object with the CIM fields added after its opening brace.
pub(crate) fn write(out: &mut Vec<u8>, rec: &Record<'_>, event: &[u8], opts: &HecOptions) {
    out.extend_from_slice(b"{\"time\":");
    rec.time.write_epoch_seconds(out);
    if let Some(host) = &opts.host {
        out.extend_from_slice(b",\"host\":");
        json::string(out, host);
    }
    out.extend_from_slice(b",\"source\":");
    json::string(out, &opts.source);
    out.extend_from_slice(b",\"sourcetype\":\"");
    out.extend_from_slice(sourcetype(rec.log_type).as_bytes());
    out.push(b'"');
    if let Some(index) = &opts.index {
        out.extend_from_slice(b",\"index\":");
        json::string(out, index);
    }
    out.extend_from_slice(b",\"event\":");
    write_event(out, rec, event);
    out.extend_from_slice(b",\"fields\":");
    write_fields(out, rec);
    out.push(b'}');
}

/// The event: a brace, the CIM fields, then the members of `event` as they are.
fn write_event(out: &mut Vec<u8>, rec: &Record<'_>, event: &[u8]) {
    let event = event.trim_ascii_end();
    let mut members = Members::new();
    // `event` is the enricher's own output, a valid object; should it ever not be, it goes out
    // as it is rather than with fields spliced into something else.
    let doc = match scan::scan(event, 0, scan::MAX_SUPPORTED_DEPTH, &mut members) {
        Ok(doc) if doc.kind == ValueKind::Object => doc,
        _ => {
            out.extend_from_slice(event);
            return;
        }
    };
    out.push(b'{');
    let mut w = cim::Writer::new(out);
    cim::write(&mut w, rec, event, &members);
    if w.wrote_any() && doc.members > 0 {
        out.push(b',');
    }
    // The members as they came, and the closing brace.
    out.extend_from_slice(&event[doc.start + 1..doc.end]);
}

/// The indexed fields: flat strings, in [`INDEXED_FIELDS`] order; those without a value are
/// left out.
fn write_fields(out: &mut Vec<u8>, rec: &Record<'_>) {
    let s = &rec.status;
    let values = [
        Some(rec.log_type.as_str()),
        s.code,
        Some(s.severity.as_str()),
        s.category.map(Category::as_str),
        s.component.map(Component::as_str),
        Some(s.catalog_version),
        rec.time
            .is_processing_time()
            .then_some(EVENT_TIME_UNREADABLE),
    ];
    out.push(b'{');
    let mut first = true;
    for (name, value) in INDEXED_FIELDS.iter().zip(values) {
        let Some(value) = value else { continue };
        if !first {
            out.push(b',');
        }
        first = false;
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        json::string(out, value);
    }
    out.push(b'}');
}
