//! The Splunk HTTP Event Collector envelope of a record.

use super::Record;

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

/// Appends the HEC envelope of `rec` to `out` (one JSON object, no line terminator).
///
/// `event` is the record in the `lss` format: the record's object as it came (no syslog
/// header) with the enrichment added as `output.mode` says, `{...}`. The envelope's `event`
/// is that object with the CIM fields added before its closing brace.
pub(crate) fn write(out: &mut Vec<u8>, rec: &Record<'_>, event: &[u8], opts: &HecOptions) {
    let _ = (out, rec, event, opts);
    todo!()
}
