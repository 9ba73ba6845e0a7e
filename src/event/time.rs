//! The event time of a record: when ZPA says the event happened, read from the record's own
//! timestamp fields in every form LSS templates write them, in UTC.

/// Where a record's event time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeSource {
    /// `LogTimestamp` (every log type but audit).
    LogTimestamp,
    /// `ModifiedTime` (audit records).
    ModifiedTime,
    /// `CreationTime` (audit records without a modification time).
    CreationTime,
    /// No timestamp could be read: the time the record was processed.
    Processing,
}

/// When an event happened: milliseconds since the Unix epoch (UTC), and where that came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTime {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub millis: i64,
    /// The field it was read from, or [`TimeSource::Processing`].
    pub source: TimeSource,
}

impl EventTime {
    /// True when no timestamp of the record could be read and the processing time stands in.
    #[must_use]
    pub fn is_processing_time(self) -> bool {
        self.source == TimeSource::Processing
    }

    /// Appends the time as RFC 3339 in UTC with milliseconds: `2019-05-30T08:20:42.230Z`.
    pub fn write_rfc3339(self, out: &mut Vec<u8>) {
        let _ = out;
        todo!()
    }

    /// Appends the time as epoch seconds with three decimals: `1559204442.230` (the `time` of a
    /// Splunk HTTP Event Collector event).
    pub fn write_epoch_seconds(self, out: &mut Vec<u8>) {
        let _ = out;
        todo!()
    }
}

/// Reads one timestamp value as LSS writes it, in milliseconds since the epoch (UTC):
///
/// - ctime (`:time`): `Www Mmm dd hh:mm:ss yyyy`, the day padded with a space, with a zero or
///   not at all; the weekday is ignored (it is not checked against the date);
/// - ISO 8601 / RFC 3339 (`:iso8601`): `2019-05-30T08:20:42.230Z`, with or without fraction,
///   `Z` or a numeric offset; no zone means UTC;
/// - epoch seconds, milliseconds or microseconds (`:epoch`, `:epoch_ms`, `:epoch_us`), as a
///   JSON number or a string of digits, told apart by magnitude.
///
/// `text` is the value as written: the inside of a JSON string (no escapes), or a number's text.
/// Surrounding whitespace is ignored. `None` for anything else, an empty value, an impossible
/// date (`Feb 30`, hour 24) or a time outside the years 1970 to 9999.
#[must_use]
pub fn parse_timestamp(text: &[u8]) -> Option<i64> {
    let _ = text;
    todo!()
}
