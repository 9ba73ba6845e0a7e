//! Why a record cannot be read: a stable reason label, the byte offset and an explanation.

use std::borrow::Cow;
use std::fmt;

use super::scan::{SyntaxError, SyntaxErrorKind};

/// Why a record could not be read. The string form is a stable metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InvalidReason {
    /// The record is empty or only whitespace.
    Empty,
    /// The bytes are not valid UTF-8.
    InvalidUtf8,
    /// The bytes are not JSON.
    NotJson,
    /// Valid JSON, but not an object.
    NotObject,
    /// The JSON ends early.
    Truncated,
    /// Nested deeper than the configured limit.
    TooDeep,
    /// More bytes follow the JSON object.
    TrailingData,
    /// A status field has a type other than string.
    WrongType,
    /// The record is larger than the configured limit.
    TooLarge,
    /// A key of the record has the name of the enrichment's key (or one of its prefixed keys in
    /// flat mode) but does not hold an earlier enrichment: enriching would replace it.
    KeyConflict,
}

impl InvalidReason {
    /// Every reason, in declaration order.
    pub const ALL: [InvalidReason; 10] = [
        InvalidReason::Empty,
        InvalidReason::InvalidUtf8,
        InvalidReason::NotJson,
        InvalidReason::NotObject,
        InvalidReason::Truncated,
        InvalidReason::TooDeep,
        InvalidReason::TrailingData,
        InvalidReason::WrongType,
        InvalidReason::TooLarge,
        InvalidReason::KeyConflict,
    ];

    /// The label used in logs, metrics and dead-letter headers.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            InvalidReason::Empty => "empty",
            InvalidReason::InvalidUtf8 => "invalid_utf8",
            InvalidReason::NotJson => "not_json",
            InvalidReason::NotObject => "not_object",
            InvalidReason::Truncated => "truncated",
            InvalidReason::TooDeep => "too_deep",
            InvalidReason::TrailingData => "trailing_data",
            InvalidReason::WrongType => "wrong_type",
            InvalidReason::TooLarge => "too_large",
            InvalidReason::KeyConflict => "key_conflict",
        }
    }
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record that cannot be enriched: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRecord {
    /// The class of problem.
    pub reason: InvalidReason,
    /// Byte offset of the problem within the record.
    pub offset: usize,
    /// A one-line explanation.
    pub(crate) detail: Cow<'static, str>,
}

impl fmt::Display for InvalidRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {}: {}",
            self.reason, self.offset, self.detail
        )
    }
}

impl std::error::Error for InvalidRecord {}

impl InvalidRecord {
    pub(super) fn new(
        reason: InvalidReason,
        offset: usize,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            reason,
            offset,
            detail: detail.into(),
        }
    }

    /// The record exceeds `limit` bytes.
    #[must_use]
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            InvalidReason::TooLarge,
            limit,
            format!("record is larger than the limit of {limit} bytes"),
        )
    }

    /// The record's key at `offset` (`key`, quoted as in the record) has the name of the
    /// enrichment's own key but holds something else, which enriching would replace.
    #[must_use]
    pub(crate) fn key_conflict(offset: usize, key: &str) -> Self {
        Self::new(
            InvalidReason::KeyConflict,
            offset,
            format!(
                "the record's key {key} holds something other than an earlier enrichment, and \
                 enriching would replace it (the output's key or prefix is also a key of the record)"
            ),
        )
    }

    /// The record is readable, but enriched (`enriched` bytes, `with_key_and_headers` with its
    /// key and headers) it is larger than the producer accepts; `raw` is its size as read. The
    /// offset is the end of the record as read.
    #[must_use]
    pub(crate) fn enriched_too_large(
        enriched: usize,
        with_key_and_headers: usize,
        raw: usize,
    ) -> Self {
        Self::new(
            InvalidReason::TooLarge,
            raw,
            format!(
                "enriched, the record is {enriched} bytes, {with_key_and_headers} with its key and headers, more than \
                 the producer accepts (message.max.bytes, which counts all three); raise \
                 kafka.producer_librdkafka.\"message.max.bytes\" up to the output topic's max.message.bytes, \
                 or lower enrich.max_record_bytes"
            ),
        )
    }

    /// `first`, for a record of `size` bytes (`with_key_and_headers` with its key and the
    /// dead-letter headers) that is too large for the producer even as read, so that it goes out
    /// without its value, pointing at its source. Reason and offset stay.
    #[must_use]
    pub(crate) fn value_left_out(
        size: usize,
        with_key_and_headers: usize,
        first: &InvalidRecord,
    ) -> Self {
        Self::new(
            first.reason,
            first.offset,
            format!(
                "{}; the record is {size} bytes, {with_key_and_headers} with its key and the dead-letter headers, \
                 more than the producer accepts (message.max.bytes, which counts all three) even as read, so its \
                 value is left out: read it from zpa.source.topic, partition and offset",
                first.detail
            ),
        )
    }

    /// The broker refused the record (`size` bytes as sent) as larger than the topic accepts.
    #[must_use]
    pub(crate) fn refused_by_broker(size: usize) -> Self {
        Self::new(
            InvalidReason::TooLarge,
            size,
            format!(
                "the broker refused the record ({size} bytes as sent) as larger than the topic accepts (max.message.bytes), \
                 so its value is left out: read it from zpa.source.topic, partition and offset; set \
                 kafka.producer_librdkafka.\"message.max.bytes\" to the topic's max.message.bytes so that such records \
                 go out unchanged or enriched as far as they fit"
            ),
        )
    }

    pub(super) fn from_syntax(e: SyntaxError, looks_like_csv: bool) -> Self {
        let reason = match e.kind {
            SyntaxErrorKind::UnexpectedEnd(_) => InvalidReason::Truncated,
            SyntaxErrorKind::TooDeep(_) => InvalidReason::TooDeep,
            SyntaxErrorKind::TrailingData => InvalidReason::TrailingData,
            _ => InvalidReason::NotJson,
        };
        let mut detail = e.to_string();
        if looks_like_csv {
            detail.push_str(
                " (this looks like a CSV/TSV LSS record; configure the log receiver with the JSON template)",
            );
        }
        Self::new(reason, e.offset, detail)
    }
}
