//! The vendor's default templates, as data: for each `sourceLogType`, the CSV, TSV and JSON
//! template text exactly as the example answer of the vendor's formats API
//! (`GET .../lssConfig/logType/formats`) gives it, so that rendering them reproduces the lines
//! LSS writes byte for byte. Every log type the reader knows has its three templates there, plus
//! `zpn_auth_log_1id`, a User Status variant without `SAMLAttributes`.
//!
//! # Known defects, kept on purpose
//! The templates are the vendor's, mistakes included, because the lines LSS writes carry them:
//!
//! - `zpn_auth_log_1id` CSV: no comma between `%s(,){TrustedNetworksNames}` and
//!   `%s(,){PosturesHit}`, so the two lists run together in one cell.
//! - `zpn_krb_inspection_log` TSV: `t` instead of `\t` between the seven `KRB*` fields, so they
//!   run together in one cell, separated by the letter `t`; it also has a space before the tab
//!   after `InspectionProtocolConfig`. The CSV has no space in its prefix (`zpa-lss:,`).
//! - `zpn_smb_inspection_log` TSV: a space before the tab after `Domain`.
//! - `zpn_waf_http_exchanges_log` (`AppProtection`) TSV: a comma, not a tab, between
//!   `CertificateId` and `DoubleEncryption`. Both its CSV and TSV write `ConnectionID` twice,
//!   have `TimestampResponseReceiveStart` (which the JSON template lacks) and lack
//!   `Destination` (which it has).
//! - `zpn_ldap_inspection_log` JSON: `%j,{UserID}`, a comma between the spec and the brace.
//! - `zpn_http_trans_log` (Browser Access) CSV: `UserAgent` and `ConnectionReason` as `%j`,
//!   JSON strings with their quotes inside the CSV line; its TSV has no space in its prefix.
//! - The Audit TSV writes `modifiedBy` with `%s` where the CSV and JSON use `%d`.
//!
//! How the reader copes with each is told where it does it (`pattern.rs`, `matcher.rs`,
//! `json.rs`) and in docs/line-formats.md.
//!
//! # Shorter User Activity lines
//! Older User Activity templates stop after `Idp` or after `ClientToClient`, and one of the
//! vendor's own API examples has `Hostname` and `Platform` after `Host`. The vendor publishes no
//! CSV or TSV text for these, so [`OLDER_USER_ACTIVITY_CSV`] and [`OLDER_USER_ACTIVITY_TSV`] are
//! built from that JSON example in the documented CSV/TSV shape (the `<Type> zpa-lss:` prefix
//! after the `LogTimestamp` ctime, then the same variables in the same order, `%j` written as
//! `%s`).

mod csv;
#[cfg(test)]
mod json;
mod tsv;

use crate::event::LogType;

/// Which of a log type's three templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Comma-separated.
    Csv,
    /// Tab-separated.
    Tsv,
    /// One JSON object (the reader does not need these; the tests check against them).
    #[cfg(test)]
    Json,
}

/// The `sourceLogType` identifiers, in the order of the tables, with the log type of each.
pub(super) const SOURCES: [(&str, LogType); 16] = [
    ("zpn_trans_log", LogType::UserActivity),
    ("zpn_auth_log", LogType::UserStatus),
    ("zpn_auth_log_1id", LogType::UserStatus),
    ("zpn_ast_auth_log", LogType::AppConnectorStatus),
    ("zpn_sys_auth_log", LogType::PrivateServiceEdgeStatus),
    ("zpn_sitec_auth_log", LogType::PrivateCloudControllerStatus),
    ("zpn_http_trans_log", LogType::BrowserAccess),
    ("zpn_audit_log", LogType::Audit),
    ("zpn_ast_comprehensive_stats", LogType::AppConnectorMetrics),
    (
        "zpn_pbroker_comprehensive_stats",
        LogType::PrivateServiceEdgeMetrics,
    ),
    (
        "zpn_sitec_comprehensive_stats",
        LogType::PrivateCloudControllerMetrics,
    ),
    ("zpn_waf_http_exchanges_log", LogType::AppProtection),
    ("zpn_smb_inspection_log", LogType::SmbInspection),
    ("zpn_ldap_inspection_log", LogType::LdapInspection),
    ("zpn_krb_inspection_log", LogType::KrbInspection),
    ("zms_flow_log", LogType::MicrosegmentationFlow),
];

/// The vendor's template of one `sourceLogType`, as its formats API returns it.
pub(super) fn text(source: &str, kind: Kind) -> Option<&'static str> {
    let table = match kind {
        Kind::Csv => &csv::CSV,
        Kind::Tsv => &tsv::TSV,
        #[cfg(test)]
        Kind::Json => &json::JSON,
    };
    table.iter().find(|(s, _)| *s == source).map(|(_, t)| *t)
}

/// The `sourceLogType` whose templates are a log type's default (for User Status,
/// `zpn_auth_log`, not its `_1id` variant).
pub(super) fn primary_source(log_type: LogType) -> Option<&'static str> {
    SOURCES
        .iter()
        .find(|(_, t)| *t == log_type)
        .map(|(s, _)| *s)
}

/// A template a line of a log type may have been written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Variant {
    /// The `sourceLogType` it belongs to (for messages).
    pub(super) source: &'static str,
    /// The template text.
    pub(super) text: &'static str,
    /// When set, the line ends right after this variable: an older, shorter template.
    pub(super) ends_after: Option<&'static str>,
}

/// The templates a CSV or TSV line of `log_type` is read with, the usual one first. `kind` is
/// [`Kind::Csv`] or [`Kind::Tsv`].
pub(super) fn variants(log_type: LogType, kind: Kind) -> Vec<Variant> {
    let mut out = Vec::new();
    for (source, t) in SOURCES {
        if t != log_type {
            continue;
        }
        if let Some(text) = text(source, kind) {
            out.push(Variant {
                source,
                text,
                ends_after: None,
            });
        }
    }
    if log_type == LogType::UserActivity {
        let current = out[0];
        for last in ["c2c", "Idp"] {
            out.push(Variant {
                ends_after: Some(last),
                ..current
            });
        }
        out.push(Variant {
            source: "zpn_trans_log",
            text: match kind {
                Kind::Tsv => OLDER_USER_ACTIVITY_TSV,
                _ => OLDER_USER_ACTIVITY_CSV,
            },
            ends_after: None,
        });
    }
    out
}

/// User Activity CSV as older templates wrote it, with `Hostname` and `Platform` after `Host`
/// and nothing after `ClientToClient` (built from the vendor's JSON example; see the module
/// documentation).
pub(super) const OLDER_USER_ACTIVITY_CSV: &str = concat!(
    "%s{LogTimestamp:time} User Activity zpa-lss: ,%s{Customer},%s{SessionID},",
    "%s{ConnectionID},%s{InternalReason},%s{ConnectionStatus},%d{IPProtocol},",
    "%d{DoubleEncryption},%s{Username},%d{ServicePort},%s{ClientPublicIP},",
    "%s{ClientPrivateIP},%f{ClientLatitude},%f{ClientLongitude},%s{ClientCountryCode},",
    "%s{ClientZEN},%s{Policy},%s{Connector},%s{ConnectorZEN},%s{ConnectorIP},",
    "%d{ConnectorPort},%s{Host},%s{Hostname},%s{Platform},%s{Application},%s{AppGroup},",
    "%s{Server},%s{ServerIP},%d{ServerPort},%d{PolicyProcessingTime},%d{ServerSetupTime},",
    "%s{TimestampConnectionStart:iso8601},%s{TimestampConnectionEnd:iso8601},",
    "%s{TimestampCATx:iso8601},%s{TimestampCARx:iso8601},%s{TimestampAppLearnStart:iso8601},",
    "%s{TimestampZENFirstRxClient:iso8601},%s{TimestampZENFirstTxClient:iso8601},",
    "%s{TimestampZENLastRxClient:iso8601},%s{TimestampZENLastTxClient:iso8601},",
    "%s{TimestampConnectorZENSetupComplete:iso8601},%s{TimestampZENFirstRxConnector:iso8601},",
    "%s{TimestampZENFirstTxConnector:iso8601},%s{TimestampZENLastRxConnector:iso8601},",
    "%s{TimestampZENLastTxConnector:iso8601},%d{ZENTotalBytesRxClient},%d{ZENBytesRxClient},",
    "%d{ZENTotalBytesTxClient},%d{ZENBytesTxClient},%d{ZENTotalBytesRxConnector},",
    "%d{ZENBytesRxConnector},%d{ZENTotalBytesTxConnector},%d{ZENBytesTxConnector},%s{Idp},",
    "%s{c2c}\\n",
);

/// User Activity TSV as older templates wrote it (see [`OLDER_USER_ACTIVITY_CSV`]).
pub(super) const OLDER_USER_ACTIVITY_TSV: &str = concat!(
    "%s{LogTimestamp:time} User Activity zpa-lss: \\t%s{Customer}\\t%s{SessionID}\\t",
    "%s{ConnectionID}\\t%s{InternalReason}\\t%s{ConnectionStatus}\\t%d{IPProtocol}\\t",
    "%d{DoubleEncryption}\\t%s{Username}\\t%d{ServicePort}\\t%s{ClientPublicIP}\\t",
    "%s{ClientPrivateIP}\\t%f{ClientLatitude}\\t%f{ClientLongitude}\\t",
    "%s{ClientCountryCode}\\t%s{ClientZEN}\\t%s{Policy}\\t%s{Connector}\\t%s{ConnectorZEN}\\t",
    "%s{ConnectorIP}\\t%d{ConnectorPort}\\t%s{Host}\\t%s{Hostname}\\t%s{Platform}\\t",
    "%s{Application}\\t%s{AppGroup}\\t%s{Server}\\t%s{ServerIP}\\t%d{ServerPort}\\t",
    "%d{PolicyProcessingTime}\\t%d{ServerSetupTime}\\t%s{TimestampConnectionStart:iso8601}\\t",
    "%s{TimestampConnectionEnd:iso8601}\\t%s{TimestampCATx:iso8601}\\t",
    "%s{TimestampCARx:iso8601}\\t%s{TimestampAppLearnStart:iso8601}\\t",
    "%s{TimestampZENFirstRxClient:iso8601}\\t%s{TimestampZENFirstTxClient:iso8601}\\t",
    "%s{TimestampZENLastRxClient:iso8601}\\t%s{TimestampZENLastTxClient:iso8601}\\t",
    "%s{TimestampConnectorZENSetupComplete:iso8601}\\t",
    "%s{TimestampZENFirstRxConnector:iso8601}\\t%s{TimestampZENFirstTxConnector:iso8601}\\t",
    "%s{TimestampZENLastRxConnector:iso8601}\\t%s{TimestampZENLastTxConnector:iso8601}\\t",
    "%d{ZENTotalBytesRxClient}\\t%d{ZENBytesRxClient}\\t%d{ZENTotalBytesTxClient}\\t",
    "%d{ZENBytesTxClient}\\t%d{ZENTotalBytesRxConnector}\\t%d{ZENBytesRxConnector}\\t",
    "%d{ZENTotalBytesTxConnector}\\t%d{ZENBytesTxConnector}\\t%s{Idp}\\t%s{c2c}\\n",
);

/// The type name of a CSV or TSV template's prefix: the text between the `LogTimestamp`
/// placeholder (if any) and ` zpa-lss:` or ` zms-lss:`, e.g. `User Activity`.
pub(super) fn prefix_name(template: &str) -> Option<&str> {
    let start = template
        .strip_prefix("%s{LogTimestamp:time} ")
        .unwrap_or(template);
    let end = start
        .find(" zpa-lss:")
        .or_else(|| start.find(" zms-lss:"))?;
    Some(&start[..end])
}

#[cfg(test)]
mod tests;
