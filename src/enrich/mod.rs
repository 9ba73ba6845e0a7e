//! The enrichment core: one raw LSS record in, the same record with an added enrichment object
//! out, plus an [`Outcome`] that says what happened.
//!
//! Pure and synchronous: no I/O, no async, no global state. Every original byte of the record
//! is copied through unchanged; the enrichment is spliced in before the closing `}`. Per-entry
//! output fragments are serialised once when the [`Enricher`] is built, so the hot path only
//! validates the record, looks one code up and copies bytes — it performs no allocation for
//! records with known codes. A record that is not JSON only because its template wrote list
//! fields without brackets is repaired first ([`event::repair`]), on a separate, cold path.

pub mod format;
mod output;

use std::borrow::Cow;
use std::sync::Arc;

use crate::catalog::{Catalog, Category, Component, EntryId, Severity};
use crate::event::scan::Member;
use crate::event::{
    self, EventTime, HeaderMode, InvalidReason, InvalidRecord, LogType, OwnedKeys, Quirks,
    ReadOptions, RecordView, SourceField, TimeSource,
};

pub use format::{EcsOptions, HecOptions, OutputFormat};
use format::{Record, Status};
pub(crate) use output::{FieldSet, OUTPUT_FIELDS, OWNED_NAMES};
use output::{Fragments, Tail};

/// Where the enrichment goes in the output record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputMode {
    /// One object under this key, e.g. `"enrichment": {...}`.
    Nested {
        /// The key of the added object.
        field: String,
    },
    /// Top-level keys with this prefix, e.g. `"zpa_status": ...`.
    Flat {
        /// The prefix of every added key.
        prefix: String,
    },
}

impl Default for OutputMode {
    fn default() -> Self {
        OutputMode::Nested {
            field: "enrichment".into(),
        }
    }
}

/// Options of the enrichment core.
#[derive(Debug, Clone)]
pub struct EnrichOptions {
    /// Where the enrichment goes.
    pub output: OutputMode,
    /// Which keys the enrichment carries.
    pub fields: FieldSet,
    /// Severity given to codes that are not in the catalog.
    pub unknown_severity: Severity,
    /// Maximum JSON nesting depth accepted.
    pub max_depth: usize,
    /// Maximum record size accepted, in bytes.
    pub max_record_bytes: usize,
    /// What to do with a syslog header in front of the JSON object.
    pub header: HeaderMode,
    /// Repair list fields that a template wrote without brackets ([`event::repair`]) in
    /// records that are not JSON otherwise, and enrich them; `false` leaves them invalid.
    pub repair_lss_quirks: bool,
    /// What each record becomes: the record with the enrichment added, or a whole SIEM
    /// document ([`OutputFormat`]).
    pub format: OutputFormat,
    /// The processing time in milliseconds since the epoch, read only for a record whose own
    /// time cannot be read ([`system_clock`] but in tests).
    pub clock: fn() -> i64,
}

/// The system clock in milliseconds since the epoch (0 before 1970, which no machine is at).
#[must_use]
pub fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Default for EnrichOptions {
    fn default() -> Self {
        Self {
            output: OutputMode::default(),
            fields: FieldSet::ALL,
            unknown_severity: Severity::Medium,
            max_depth: 64,
            max_record_bytes: 1 << 20,
            header: HeaderMode::Strip,
            repair_lss_quirks: true,
            format: OutputFormat::Lss,
            clock: system_clock,
        }
    }
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The code was found in the catalog.
    Known {
        /// The catalog entry.
        entry: EntryId,
        /// The field the code came from.
        source: SourceField,
        /// The detected log type.
        log_type: LogType,
        /// The template quirks repaired before the record could be read; nearly always none.
        repaired: Quirks,
        /// When the event happened (the processing time when the record says nothing readable).
        time: EventTime,
    },
    /// The record has a code that the catalog does not know.
    Unknown {
        /// The code as found (escapes decoded, whitespace trimmed).
        code: Cow<'a, str>,
        /// The field the code came from.
        source: SourceField,
        /// The detected log type.
        log_type: LogType,
        /// The template quirks repaired before the record could be read; nearly always none.
        repaired: Quirks,
        /// When the event happened (the processing time when the record says nothing readable).
        time: EventTime,
    },
    /// The record carries no status code (field absent, empty or null).
    NoCode {
        /// The detected log type.
        log_type: LogType,
        /// The template quirks repaired before the record could be read; nearly always none.
        repaired: Quirks,
        /// When the event happened (the processing time when the record says nothing readable).
        time: EventTime,
    },
    /// The record cannot be read; nothing was written.
    Invalid(InvalidRecord),
}

impl Outcome<'_> {
    /// The stable label of the outcome (`known`, `unknown_code`, `no_code`, `invalid`).
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Known { .. } => "known",
            Outcome::Unknown { .. } => "unknown_code",
            Outcome::NoCode { .. } => "no_code",
            Outcome::Invalid(_) => "invalid",
        }
    }

    /// The log type, when the record could be read.
    #[must_use]
    pub fn log_type(&self) -> Option<LogType> {
        match self {
            Outcome::Known { log_type, .. }
            | Outcome::Unknown { log_type, .. }
            | Outcome::NoCode { log_type, .. } => Some(*log_type),
            Outcome::Invalid(_) => None,
        }
    }

    /// The event time of a readable record (`None` for an invalid record).
    #[must_use]
    pub fn event_time(&self) -> Option<EventTime> {
        match self {
            Outcome::Known { time, .. }
            | Outcome::Unknown { time, .. }
            | Outcome::NoCode { time, .. } => Some(*time),
            Outcome::Invalid(_) => None,
        }
    }

    /// The template quirks repaired in the record (none for an invalid record).
    #[must_use]
    pub fn repaired(&self) -> Quirks {
        match self {
            Outcome::Known { repaired, .. }
            | Outcome::Unknown { repaired, .. }
            | Outcome::NoCode { repaired, .. } => *repaired,
            Outcome::Invalid(_) => Quirks::NONE,
        }
    }

    /// The same outcome, owning the unknown code it may carry.
    #[must_use]
    pub fn into_owned(self) -> Outcome<'static> {
        match self {
            Outcome::Known {
                entry,
                source,
                log_type,
                repaired,
                time,
            } => Outcome::Known {
                entry,
                source,
                log_type,
                repaired,
                time,
            },
            Outcome::Unknown {
                code,
                source,
                log_type,
                repaired,
                time,
            } => Outcome::Unknown {
                code: Cow::Owned(code.into_owned()),
                source,
                log_type,
                repaired,
                time,
            },
            Outcome::NoCode {
                log_type,
                repaired,
                time,
            } => Outcome::NoCode {
                log_type,
                repaired,
                time,
            },
            Outcome::Invalid(e) => Outcome::Invalid(e),
        }
    }
}

/// A catalog compiled together with the output options: what the hot path runs on.
///
/// Build one per catalog (and rebuild on reload); it is immutable and cheap to share.
#[derive(Debug)]
pub struct Enricher {
    catalog: Arc<Catalog>,
    opts: EnrichOptions,
    read: ReadOptions,
    /// `read` for repaired records: the size limit applies to the record as received, and the
    /// repair adds a few bytes to it.
    read_repaired: ReadOptions,
    frags: Fragments,
    /// The enrichment as an object of its own, for the `ecs` format.
    object_frags: Option<Fragments>,
}

/// The key [`Enricher::object_frags`] writes the enrichment object under.
const OBJECT_KEY: &str = "enrichment";

impl Enricher {
    /// Compiles `catalog` with `opts`.
    #[must_use]
    pub fn new(catalog: Arc<Catalog>, opts: EnrichOptions) -> Self {
        let owned = match &opts.output {
            OutputMode::Nested { field } => OwnedKeys::Exact(field.as_str().into()),
            OutputMode::Flat { prefix } => OwnedKeys::Prefixed {
                prefix: prefix.as_str().into(),
                names: &OWNED_NAMES,
            },
        };
        let read = ReadOptions {
            max_depth: opts.max_depth,
            max_record_bytes: opts.max_record_bytes,
            header: opts.header,
            owned,
        };
        let read_repaired = ReadOptions {
            max_record_bytes: usize::MAX,
            ..read.clone()
        };
        let frags = Fragments::new(&catalog, &opts);
        let object_frags = matches!(opts.format, OutputFormat::Ecs(_)).then(|| {
            let nested = EnrichOptions {
                output: OutputMode::Nested {
                    field: OBJECT_KEY.into(),
                },
                ..opts.clone()
            };
            Fragments::new(&catalog, &nested)
        });
        Self {
            catalog,
            opts,
            read,
            read_repaired,
            frags,
            object_frags,
        }
    }

    /// The catalog this enricher uses.
    #[must_use]
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The options this enricher was built with.
    #[must_use]
    pub fn options(&self) -> &EnrichOptions {
        &self.opts
    }

    /// Enriches one record (without its line terminator), appending the enriched record to
    /// `out`. On [`Outcome::Invalid`] nothing is appended; the caller decides what to do with
    /// the raw record.
    ///
    /// A record whose template wrote list fields without brackets is written out repaired (see
    /// [`event::repair`]), unless [`EnrichOptions::repair_lss_quirks`] is off, and the outcome
    /// says what was repaired.
    pub fn enrich<'r>(&self, record: &'r [u8], out: &mut Vec<u8>) -> Outcome<'r> {
        if matches!(self.opts.format, OutputFormat::Ecs(_)) {
            return self.enrich_members(record, out);
        }
        match event::read(record, &self.read) {
            Ok(view) => self.write(record, record, &view, &[], Quirks::NONE, out),
            // The quirk makes a syntax error (an unexpected `,`, `:` or `}`); a truncated, too
            // large or too deep record is not worth a look.
            Err(e) if self.opts.repair_lss_quirks && e.reason == InvalidReason::NotJson => {
                self.enrich_repaired(record, e, out)
            }
            Err(e) => Outcome::Invalid(e),
        }
    }

    /// [`Enricher::enrich`] for a format that maps every member of the record (`ecs`): they are
    /// collected while the record is read rather than scanned for again.
    #[inline(never)]
    fn enrich_members<'r>(&self, record: &'r [u8], out: &mut Vec<u8>) -> Outcome<'r> {
        let mut members: Vec<Member> = Vec::with_capacity(128);
        match event::read_into(record, &self.read, &mut members) {
            Ok(view) => self.write(record, record, &view, &members, Quirks::NONE, out),
            Err(e) if self.opts.repair_lss_quirks && e.reason == InvalidReason::NotJson => {
                self.enrich_repaired(record, e, out)
            }
            Err(e) => Outcome::Invalid(e),
        }
    }

    /// The way of a record that is not JSON: repaired and enriched when a template quirk is all
    /// that is wrong with it, else invalid for the reason it was refused (`error`), as read.
    #[cold]
    #[inline(never)]
    fn enrich_repaired<'r>(
        &self,
        record: &'r [u8],
        error: InvalidRecord,
        out: &mut Vec<u8>,
    ) -> Outcome<'r> {
        let Some(repaired) = event::repair(record, self.opts.max_depth) else {
            return Outcome::Invalid(error);
        };
        let Ok(view) = event::read(&repaired.record, &self.read_repaired) else {
            return Outcome::Invalid(error);
        };
        match self.write(&repaired.record, record, &view, &[], repaired.quirks, out) {
            // Readable once repaired, but unfit anyway (a status field of the wrong type, a
            // key conflict): reported as the record came.
            Outcome::Invalid(_) => Outcome::Invalid(error),
            outcome => outcome.into_owned(),
        }
    }

    /// Looks the code of a read record up and appends the output for it to `out`. `original`
    /// is the record as received (`record` is the repaired copy of a repaired record).
    ///
    /// Always inlined: in its own function, valid records took 3 to 5% longer in `cargo bench`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn write<'r>(
        &self,
        record: &'r [u8],
        original: &[u8],
        view: &RecordView,
        members: &[Member],
        repaired: Quirks,
        out: &mut Vec<u8>,
    ) -> Outcome<'r> {
        let log_type = view.log_type;
        let time = view.event_time(record).unwrap_or_else(|| EventTime {
            millis: (self.opts.clock)(),
            source: TimeSource::Processing,
        });
        let outcome = match view.status_code(record) {
            Some((source, code)) => match self.catalog.lookup(&code) {
                Some(entry) => Outcome::Known {
                    entry,
                    source,
                    log_type,
                    repaired,
                    time,
                },
                None => Outcome::Unknown {
                    code,
                    source,
                    log_type,
                    repaired,
                    time,
                },
            },
            None => Outcome::NoCode {
                log_type,
                repaired,
                time,
            },
        };
        let written = match &self.opts.format {
            OutputFormat::Lss => {
                self.write_lss(record, view, &outcome, view.output_start, record.len(), out)
            }
            _ => self.write_document(record, original, view, members, &outcome, out),
        };
        match written {
            Ok(()) => outcome,
            Err(e) => Outcome::Invalid(e),
        }
    }

    /// Writes the record from `start` to `end` with the enrichment spliced in before its
    /// closing brace (the `lss` format).
    ///
    /// # Errors
    /// A key conflict: the record has a key of the enrichment's that holds record data.
    #[inline(always)]
    fn write_lss(
        &self,
        record: &[u8],
        view: &RecordView,
        outcome: &Outcome<'_>,
        start: usize,
        end: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), InvalidRecord> {
        // Everything of the original up to (not including) the closing brace.
        let members_left = if view.has_owned_keys {
            // Rare: the record already carries our output (enriched earlier). Drop it so the
            // result has one enrichment, the current one; but never replace record data that
            // only shares the name.
            let members = output::earlier_enrichment(record, view, &self.read)?;
            output::copy_without_owned(record, view, start, &members, &self.read, out)
        } else {
            out.extend_from_slice(&record[start..view.object_close]);
            view.members
        };
        self.write_enrichment(&self.frags, outcome, view, members_left, out);
        // The closing brace and anything after it (trailing whitespace).
        out.extend_from_slice(&record[view.object_close..end]);
        Ok(())
    }

    /// Writes the enrichment of `outcome` with `frags`, after `members_left` members.
    #[inline(always)]
    fn write_enrichment(
        &self,
        frags: &Fragments,
        outcome: &Outcome<'_>,
        view: &RecordView,
        members_left: usize,
        out: &mut Vec<u8>,
    ) {
        let (Some(log_type), Some(time)) = (outcome.log_type(), outcome.event_time()) else {
            unreachable!("only readable records are written");
        };
        let tail = Tail {
            log_type,
            time,
            repaired: outcome.repaired(),
        };
        match outcome {
            Outcome::Known { entry, source, .. } => {
                frags.write_known(out, members_left, *entry, *source, tail);
            }
            Outcome::Unknown { code, source, .. } => {
                frags.write_unknown(out, members_left, code, *source, tail);
            }
            Outcome::NoCode { .. } => {
                frags.write_no_code(out, members_left, view.first_status_field(), tail);
            }
            Outcome::Invalid(_) => unreachable!("only readable records are written"),
        }
    }

    /// Writes a whole-record format (`ecs`, `splunk_hec`) for a readable record.
    ///
    /// # Errors
    /// As [`Enricher::write_lss`], for `splunk_hec`, whose event is the `lss` output.
    #[inline(never)]
    fn write_document(
        &self,
        record: &[u8],
        original: &[u8],
        view: &RecordView,
        members: &[Member],
        outcome: &Outcome<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), InvalidRecord> {
        let (Some(log_type), Some(time)) = (outcome.log_type(), outcome.event_time()) else {
            unreachable!("only readable records are written");
        };
        let mut rec = Record {
            bytes: record,
            view,
            members,
            original,
            log_type,
            time,
            status: self.status(outcome, view),
            enrichment: &[],
        };
        match &self.opts.format {
            OutputFormat::Ecs(opts) => {
                let frags = self
                    .object_frags
                    .as_ref()
                    .expect("built for the ecs format");
                let mut object = Vec::with_capacity(1024);
                self.write_enrichment(frags, outcome, view, 0, &mut object);
                // `"enrichment":{...}`: the object is what follows the key and its colon.
                rec.enrichment = &object[OBJECT_KEY.len() + 3..];
                format::ecs::write(out, &rec, opts);
            }
            OutputFormat::SplunkHec(opts) => {
                let mut event = Vec::with_capacity(record.len() + 1024);
                self.write_lss(
                    record,
                    view,
                    outcome,
                    view.object_start,
                    view.object_close + 1,
                    &mut event,
                )?;
                format::splunk_hec::write(out, &rec, &event, opts);
            }
            OutputFormat::Lss => unreachable!("written by write_lss"),
        }
        Ok(())
    }

    /// The catalog's answer for a readable record, as the whole-record formats take it.
    fn status<'a>(&'a self, outcome: &'a Outcome<'_>, view: &RecordView) -> Status<'a> {
        let catalog_version = self.catalog.version();
        match outcome {
            Outcome::Known {
                entry,
                source,
                log_type,
                ..
            } => {
                let e = self.catalog.entry(*entry);
                Status {
                    code: Some(&e.code),
                    source_field: Some(*source),
                    title: Some(&e.status),
                    severity: e.severity_in(*log_type),
                    category: Some(e.category),
                    component: Some(e.component_in(*log_type)),
                    known: true,
                    catalog_version,
                }
            }
            Outcome::Unknown { code, source, .. } => Status {
                code: Some(code),
                source_field: Some(*source),
                title: None,
                severity: self.opts.unknown_severity,
                category: None,
                component: Component::guess_from_code(code),
                known: false,
                catalog_version,
            },
            Outcome::NoCode { .. } | Outcome::Invalid(_) => Status {
                code: None,
                source_field: view.first_status_field(),
                title: None,
                severity: Severity::Info,
                category: Some(Category::Info),
                component: None,
                known: false,
                catalog_version,
            },
        }
    }
}

#[cfg(test)]
mod tests;
