//! Whole-record output formats: an Elastic Common Schema document (`ecs`) or a Splunk HTTP
//! Event Collector envelope (`splunk_hec`) built from one read record and the catalog's
//! answer for it. The default format, `lss`, is not here: it splices the enrichment into the
//! record as it came ([`super::Enricher`]).

pub(crate) mod ecs;
pub(crate) mod splunk_hec;

use crate::catalog::{Category, Component, Severity};
use crate::event::scan::Member;
use crate::event::{EventTime, LogType, RecordView, SourceField};

pub use ecs::EcsOptions;
pub use splunk_hec::HecOptions;

/// What the enriched topic carries for each record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// The record as it came, with the enrichment added (`output.mode`, `output.fields`).
    #[default]
    Lss,
    /// One Elastic Common Schema document per record.
    Ecs(EcsOptions),
    /// One Splunk HTTP Event Collector envelope per record.
    SplunkHec(HecOptions),
}

impl OutputFormat {
    /// The setting's text form: `lss`, `ecs` or `splunk_hec`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            OutputFormat::Lss => "lss",
            OutputFormat::Ecs(_) => "ecs",
            OutputFormat::SplunkHec(_) => "splunk_hec",
        }
    }
}

/// The catalog's answer for one record, in the terms a SIEM format needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Status<'a> {
    /// The code as found (escapes decoded, trimmed); `None` when the record carries none.
    pub code: Option<&'a str>,
    /// The field the code came from (for a record without a code: the first status field
    /// present, if any).
    pub source_field: Option<SourceField>,
    /// The catalog's title of a known code; `None` for an unknown code or no code.
    pub title: Option<&'a str>,
    /// The severity: the entry's (with its log-type override), `enrich.unknown_severity` for
    /// an unknown code, `info` for a record without a code.
    pub severity: Severity,
    /// The entry's category; `None` for an unknown code, `Info` for a record without a code.
    pub category: Option<Category>,
    /// The entry's component (with its log-type override), a guess from an unknown code's
    /// prefix, or `None`.
    pub component: Option<Component>,
    /// True when the code is in the catalog.
    pub known: bool,
    /// The catalog's version.
    pub catalog_version: &'a str,
}

/// One readable record, as a whole-record format gets it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record<'a> {
    /// The record's bytes as read: a JSON object at `view.object_start..=view.object_close`,
    /// maybe after a syslog header. For a repaired record these are the repaired bytes.
    pub bytes: &'a [u8],
    /// What the reader found in `bytes`.
    pub view: &'a RecordView,
    /// The record's top-level members when the reader collected them (the `ecs` format), else
    /// empty.
    pub members: &'a [Member],
    /// The record exactly as received (for `event.original`).
    pub original: &'a [u8],
    /// The detected log type.
    pub log_type: LogType,
    /// The event time (read from the record, or the processing time).
    pub time: EventTime,
    /// The catalog's answer.
    pub status: Status<'a>,
    /// The enrichment as one JSON object, `{"code":...}`, with the keys `output.fields`
    /// selects (never prefixed).
    pub enrichment: &'a [u8],
}
