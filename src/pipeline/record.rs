//! What goes out for one input record: destination topic and headers.
//!
//! Enriched records keep every header of the input record. Records that cannot be read go out
//! unchanged, with the input headers plus headers that say what is wrong and where the record
//! came from:
//!
//! | header | value |
//! |---|---|
//! | `zpa.error.reason` | `not_json`, `truncated`, `invalid_utf8`, ... |
//! | `zpa.error.offset` | byte offset of the problem in the record |
//! | `zpa.error.message` | one-line explanation |
//! | `zpa.error.time` | when it was dead-lettered, RFC 3339 UTC |
//! | `zpa.source.topic` | input topic |
//! | `zpa.source.partition` | input partition |
//! | `zpa.source.offset` | input offset |

use std::sync::Arc;

use rdkafka::Message;
use rdkafka::message::{Header, Headers, OwnedHeaders, OwnedMessage};

use super::window::Pending;

use crate::event::InvalidRecord;
use crate::metrics::Destination;

/// Header names, in the order they are added.
pub const ERROR_HEADERS: [&str; 7] = [
    "zpa.error.reason",
    "zpa.error.offset",
    "zpa.error.message",
    "zpa.error.time",
    "zpa.source.topic",
    "zpa.source.partition",
    "zpa.source.offset",
];

/// Destination and headers of one output record.
#[derive(Debug)]
pub(super) struct OutputRecord {
    pub(super) topic: Arc<str>,
    /// `None` when the record goes out without headers (most LSS records have none, and an
    /// empty header list would still cost two allocations per record).
    pub(super) headers: Option<OwnedHeaders>,
    pub(super) destination: Destination,
}

fn copy_headers<M: Message>(msg: &M, extra: usize) -> OwnedHeaders {
    let Some(h) = msg.headers() else {
        return OwnedHeaders::new_with_capacity(extra);
    };
    let mut out = OwnedHeaders::new_with_capacity(h.count() + extra);
    for header in h.iter() {
        out = out.insert(Header {
            key: header.key,
            value: header.value,
        });
    }
    out
}

impl OutputRecord {
    /// The bytes of this record's headers and of `msg`'s key: what the producer's
    /// `message.max.bytes` counts besides the value.
    pub(super) fn key_and_headers_len<M: Message>(&self, msg: &M) -> usize {
        let headers = self.headers.as_ref().map_or(0, |h| {
            h.iter()
                .map(|Header { key, value }| key.len() + value.map_or(0, <[u8]>::len))
                .sum()
        });
        msg.key().map_or(0, <[u8]>::len) + headers
    }

    pub(super) fn enriched<M: Message>(msg: &M, topic: &Arc<str>) -> Self {
        Self {
            topic: Arc::clone(topic),
            headers: msg.headers().map(|_| copy_headers(msg, 0)),
            destination: Destination::Output,
        }
    }

    pub(super) fn dead_letter<M: Message>(
        msg: &M,
        error: &InvalidRecord,
        topic: &Arc<str>,
        destination: Destination,
    ) -> Self {
        let headers = copy_headers(msg, ERROR_HEADERS.len());
        Self {
            topic: Arc::clone(topic),
            headers: Some(with_error_headers(
                headers,
                error,
                msg.topic(),
                msg.partition(),
                msg.offset(),
            )),
            destination,
        }
    }
}

/// `headers` followed by the error headers for `error` in the record at `source_topic`,
/// `partition`, `offset`.
fn with_error_headers(
    mut headers: OwnedHeaders,
    error: &InvalidRecord,
    source_topic: &str,
    partition: i32,
    offset: i64,
) -> OwnedHeaders {
    let error_offset = error.offset.to_string();
    let time = rfc3339_now();
    let partition = partition.to_string();
    let offset = offset.to_string();
    let values: [&str; 7] = [
        error.reason.as_str(),
        &error_offset,
        &error.detail,
        &time,
        source_topic,
        &partition,
        &offset,
    ];
    for (key, value) in ERROR_HEADERS.iter().zip(values) {
        headers = headers.insert(Header {
            key,
            value: Some(value),
        });
    }
    headers
}

/// The headers of the dead letter sent in place of `refused`, which the broker refused: the
/// refused record's own headers (those of the input record; earlier error headers left out),
/// then the error headers for `error` and the source record of `pending`.
pub(super) fn left_out_headers(
    refused: &OwnedMessage,
    pending: &Pending,
    error: &InvalidRecord,
) -> OwnedHeaders {
    let mut headers = OwnedHeaders::new_with_capacity(
        refused.headers().map_or(0, Headers::count) + ERROR_HEADERS.len(),
    );
    if let Some(h) = refused.headers() {
        for header in h.iter().filter(|h| !ERROR_HEADERS.contains(&h.key)) {
            headers = headers.insert(Header {
                key: header.key,
                value: header.value,
            });
        }
    }
    with_error_headers(
        headers,
        error,
        &pending.topic,
        pending.partition,
        pending.offset,
    )
}

/// The current time as `2026-11-25T10:38:41.114Z`.
pub(crate) fn rfc3339_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_417), (2025, 11, 25));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn timestamps_look_like_rfc3339() {
        let t = rfc3339_now();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }
}
