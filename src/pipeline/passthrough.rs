//! The benchmark's reference set-ups (hidden `run --passthrough[=copy|splice]`): the same
//! clients, window and offset handling as `run`, with less or no work per record. Only in a
//! build with the `bench-passthrough` feature.
//!
//! - `copy` sends every record unchanged: the ceiling.
//! - `splice` writes exactly what `run` writes for a User Activity record with a catalog code,
//!   but finds the code (and `LogTimestamp`) by a byte search and appends a pre-built
//!   enrichment with the event time written in, with no validation and no scan. It is what the output's bytes cost with the least possible work,
//!   so that the benchmark can split the gap to the ceiling into the bytes and the work. It is
//!   not a way to run the service: records it cannot splice (other log types, unknown codes,
//!   escapes) are copied unchanged, and invalid records are not noticed.

use std::collections::HashMap;

use rdkafka::Message;

use super::record::OutputRecord;
use super::window::Window;
use super::{Clients, Core, PipelineError};
use crate::enrich::Enricher;
use crate::event::{EventTime, TimeSource, parse_timestamp};

/// What the pipeline does with each record: `run`'s enrichment, or one of the benchmark's
/// reference set-ups (same clients, window and offset handling).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Passthrough {
    /// Enrich (the service).
    #[default]
    Off,
    /// Copy every record unchanged: the ceiling.
    Copy,
    /// Write `run`'s output for User Activity records with catalog codes, found by a byte
    /// search and spliced without validation; copy the rest unchanged.
    Splice,
}

const INTERNAL_REASON: &[u8] = b"\"InternalReason\":\"";
const CONNECTION_STATUS: &[u8] = b"\"ConnectionStatus\":\"";
const LOG_TIMESTAMP: &[u8] = b"\"LogTimestamp\":\"";

/// The time the table's pieces are built with, and its `event_time` member.
const PIECE_TIME: &str = "Thu Jan  1 00:00:00 2026";
const PIECE_EVENT_TIME: &[u8] = b",\"event_time\":\"2026-01-01T00:00:00.000Z\"";

/// What is added to a record: `head`, then, when the enrichment carries `event_time`, that key
/// with the record's time, then `tail`.
#[derive(Debug)]
struct Piece {
    head: Vec<u8>,
    /// `None` when `output.fields` leaves `event_time` out.
    tail: Option<Vec<u8>>,
}

/// Pre-built enrichments of User Activity records, by status field and code.
#[derive(Debug)]
pub(super) struct SpliceTable {
    /// Key: `I` or `C` (the field) followed by the code.
    pieces: HashMap<Vec<u8>, Piece>,
    key: Vec<u8>,
}

impl SpliceTable {
    /// What `enricher` adds to a User Activity record, for every catalog code in
    /// `InternalReason`, and in `ConnectionStatus` when `InternalReason` is empty.
    pub(super) fn new(enricher: &Enricher) -> Self {
        let mut pieces = HashMap::new();
        let mut out = Vec::new();
        for entry in enricher.catalog().entries() {
            let code = entry.code.as_str();
            let records = [
                (
                    b'I',
                    format!(
                        r#"{{"LogTimestamp":"{PIECE_TIME}","ConnectionID":"c","InternalReason":"{code}"}}"#
                    ),
                ),
                (
                    b'C',
                    format!(
                        r#"{{"LogTimestamp":"{PIECE_TIME}","InternalReason":"","ConnectionStatus":"{code}"}}"#
                    ),
                ),
            ];
            for (field, record) in records {
                out.clear();
                // Codes that need escaping in JSON are not spliced.
                if enricher
                    .enrich(record.as_bytes(), &mut out)
                    .log_type()
                    .is_none()
                {
                    continue;
                }
                let close = record.len() - 1;
                let mut key = vec![field];
                key.extend_from_slice(code.as_bytes());
                let piece = &out[close..out.len() - 1];
                let piece = match memchr::memmem::find(piece, PIECE_EVENT_TIME) {
                    Some(at) => Piece {
                        head: piece[..at].to_vec(),
                        tail: Some(piece[at + PIECE_EVENT_TIME.len()..].to_vec()),
                    },
                    None => Piece {
                        head: piece.to_vec(),
                        tail: None,
                    },
                };
                pieces.insert(key, piece);
            }
        }
        Self {
            pieces,
            key: Vec::with_capacity(128),
        }
    }

    /// Appends `record` with the enrichment spliced in to `out`; false (and nothing appended)
    /// when the record has no code this table knows.
    pub(super) fn splice(&mut self, record: &[u8], out: &mut Vec<u8>) -> bool {
        let Some(piece) = self.find(record) else {
            return false;
        };
        let Some(close) = memchr::memrchr(b'}', record) else {
            return false;
        };
        let time = match &piece.tail {
            Some(_) => match string_after(record, LOG_TIMESTAMP).and_then(parse_timestamp) {
                Some(millis) => Some(EventTime {
                    millis,
                    source: TimeSource::LogTimestamp,
                }),
                None => return false,
            },
            None => None,
        };
        out.extend_from_slice(&record[..close]);
        out.extend_from_slice(&piece.head);
        if let (Some(time), Some(tail)) = (time, &piece.tail) {
            out.extend_from_slice(b",\"event_time\":\"");
            time.write_rfc3339(out);
            out.push(b'"');
            out.extend_from_slice(tail);
        }
        out.extend_from_slice(&record[close..]);
        true
    }

    fn find(&mut self, record: &[u8]) -> Option<&Piece> {
        self.key.clear();
        let reason = string_after(record, INTERNAL_REASON)?;
        if reason.is_empty() {
            self.key.push(b'C');
            self.key
                .extend_from_slice(string_after(record, CONNECTION_STATUS)?);
        } else {
            self.key.push(b'I');
            self.key.extend_from_slice(reason);
        }
        self.pieces.get(&self.key)
    }
}

/// The string value after the first `"Field":"`, if it has no escapes.
fn string_after<'a>(record: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let start = memchr::memmem::find(record, prefix)? + prefix.len();
    let len = memchr::memchr(b'"', &record[start..])?;
    let value = &record[start..start + len];
    (!value.contains(&b'\\')).then_some(value)
}

impl Core {
    /// Sends `msg` as the passthrough mode says: unchanged, or with a spliced enrichment.
    pub(super) async fn pass_through<M: Message>(
        &mut self,
        clients: &Clients,
        msg: &M,
        window: &mut Window,
        now: tokio::time::Instant,
    ) -> Result<(), PipelineError> {
        let payload = msg.payload().unwrap_or_default();
        let topic = self.state.topic(&self.opts.output_topic);
        let record = OutputRecord::enriched(msg, &topic);
        let mut body = std::mem::take(&mut self.state.out);
        body.clear();
        let spliced = self
            .state
            .splice
            .as_mut()
            .is_some_and(|table| table.splice(payload, &mut body));
        let value = if spliced {
            Some(&body[..])
        } else {
            msg.payload()
        };
        let result = self
            .send(
                clients,
                msg,
                record,
                value,
                msg.timestamp().to_millis(),
                window,
                now,
            )
            .await;
        self.state.out = body;
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::catalog::Catalog;
    use crate::enrich::{EnrichOptions, Outcome};
    use crate::event::{LogType, SourceField};
    use crate::synth::{Generator, GeneratorOptions};

    #[test]
    fn splicing_writes_what_enrich_writes_for_user_activity_with_catalog_codes() {
        let catalog = Arc::new(Catalog::builtin());
        for opts in [
            EnrichOptions::default(),
            EnrichOptions {
                fields: crate::enrich::FieldSet::from_names(&["code", "severity"]).unwrap(),
                ..EnrichOptions::default()
            },
        ] {
            let enricher = Enricher::new(Arc::clone(&catalog), opts);
            let mut table = SpliceTable::new(&enricher);
            let mut generator = Generator::new(
                &catalog,
                GeneratorOptions {
                    log_types: vec![(LogType::UserActivity, 1)],
                    ..GeneratorOptions::default()
                },
            );
            let (mut record, mut enriched, mut spliced) = (Vec::new(), Vec::new(), Vec::new());
            let mut sources = [0; 2];
            for _ in 0..5_000 {
                record.clear();
                generator.next_record(&mut record);
                enriched.clear();
                spliced.clear();
                let outcome = enricher.enrich(&record, &mut enriched);
                let Outcome::Known { source, .. } = outcome else {
                    panic!("{outcome:?}");
                };
                sources[usize::from(source == SourceField::ConnectionStatus)] += 1;
                assert!(table.splice(&record, &mut spliced));
                assert_eq!(
                    String::from_utf8_lossy(&spliced),
                    String::from_utf8_lossy(&enriched)
                );
            }
            assert!(sources.iter().all(|&n| n > 0), "both fields: {sources:?}");
        }
    }

    #[test]
    fn records_it_cannot_splice_are_left_alone() {
        let enricher = Enricher::new(Arc::new(Catalog::builtin()), EnrichOptions::default());
        let mut table = SpliceTable::new(&enricher);
        let mut out = Vec::new();
        for record in [
            &br#"{"InternalReason":"BRK_MT_SOMETHING_NEW"}"#[..],
            br#"{"SessionStatus":"ZPN_STATUS_AUTH_FAILED"}"#,
            br#"{"InternalReason":"BRK_MT_\u0041"}"#,
            b"not json",
        ] {
            assert!(!table.splice(record, &mut out));
            assert!(out.is_empty());
        }
    }
}
