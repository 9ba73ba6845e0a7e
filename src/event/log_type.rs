//! Log-type detection from the distinctive keys of a record.

use std::fmt;

use super::SourceField;

/// The LSS log types zpa-enricher recognises, detected from the keys of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogType {
    /// User Activity (`zpn_trans_log`).
    UserActivity,
    /// User Status (`zpn_auth_log`, `zpn_auth_log_1id`).
    UserStatus,
    /// App Connector Status (`zpn_ast_auth_log`).
    AppConnectorStatus,
    /// Private Service Edge Status (`zpn_sys_auth_log`).
    PrivateServiceEdgeStatus,
    /// Private Cloud Controller Status (`zpn_sitec_auth_log`).
    PrivateCloudControllerStatus,
    /// Browser Access (`zpn_http_trans_log`).
    BrowserAccess,
    /// Audit Logs (`zpn_audit_log`).
    Audit,
    /// App Connector Metrics (`zpn_ast_comprehensive_stats`).
    AppConnectorMetrics,
    /// Private Service Edge Metrics (`zpn_pbroker_comprehensive_stats`).
    PrivateServiceEdgeMetrics,
    /// Private Cloud Controller Metrics (`zpn_sitec_comprehensive_stats`).
    PrivateCloudControllerMetrics,
    /// `AppProtection` (Web Inspection) (`zpn_waf_http_exchanges_log`).
    AppProtection,
    /// SMB Inspection (`zpn_smb_inspection_log`).
    SmbInspection,
    /// LDAP Inspection (`zpn_ldap_inspection_log`).
    LdapInspection,
    /// Kerberos Inspection (`zpn_krb_inspection_log`).
    KrbInspection,
    /// Microsegmentation Flow (`zms_flow_log`).
    MicrosegmentationFlow,
    /// A JSON object whose keys match none of the above.
    Unknown,
}

impl LogType {
    /// Every log type, in declaration order.
    pub const ALL: [LogType; 16] = [
        LogType::UserActivity,
        LogType::UserStatus,
        LogType::AppConnectorStatus,
        LogType::PrivateServiceEdgeStatus,
        LogType::PrivateCloudControllerStatus,
        LogType::BrowserAccess,
        LogType::Audit,
        LogType::AppConnectorMetrics,
        LogType::PrivateServiceEdgeMetrics,
        LogType::PrivateCloudControllerMetrics,
        LogType::AppProtection,
        LogType::SmbInspection,
        LogType::LdapInspection,
        LogType::KrbInspection,
        LogType::MicrosegmentationFlow,
        LogType::Unknown,
    ];

    /// The name used in enriched output and metric labels.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            LogType::UserActivity => "user_activity",
            LogType::UserStatus => "user_status",
            LogType::AppConnectorStatus => "app_connector_status",
            LogType::PrivateServiceEdgeStatus => "private_service_edge_status",
            LogType::PrivateCloudControllerStatus => "private_cloud_controller_status",
            LogType::BrowserAccess => "browser_access",
            LogType::Audit => "audit",
            LogType::AppConnectorMetrics => "app_connector_metrics",
            LogType::PrivateServiceEdgeMetrics => "private_service_edge_metrics",
            LogType::PrivateCloudControllerMetrics => "private_cloud_controller_metrics",
            LogType::AppProtection => "app_protection",
            LogType::SmbInspection => "smb_inspection",
            LogType::LdapInspection => "ldap_inspection",
            LogType::KrbInspection => "krb_inspection",
            LogType::MicrosegmentationFlow => "microsegmentation_flow",
            LogType::Unknown => "unknown",
        }
    }

    /// The log type with this [`as_str`](Self::as_str) name or vendor `sourceLogType`
    /// identifier, ignoring letter case.
    #[must_use]
    pub fn from_name(name: &str) -> Option<LogType> {
        let name = name.trim();
        LogType::ALL.into_iter().find(|t| {
            t.as_str().eq_ignore_ascii_case(name)
                || t.lss_source_type()
                    .is_some_and(|s| s.eq_ignore_ascii_case(name))
        })
    }

    /// The vendor's `sourceLogType` identifier, when there is one.
    #[must_use]
    pub(crate) fn lss_source_type(self) -> Option<&'static str> {
        Some(match self {
            LogType::UserActivity => "zpn_trans_log",
            LogType::UserStatus => "zpn_auth_log",
            LogType::AppConnectorStatus => "zpn_ast_auth_log",
            LogType::PrivateServiceEdgeStatus => "zpn_sys_auth_log",
            LogType::PrivateCloudControllerStatus => "zpn_sitec_auth_log",
            LogType::BrowserAccess => "zpn_http_trans_log",
            LogType::Audit => "zpn_audit_log",
            LogType::AppConnectorMetrics => "zpn_ast_comprehensive_stats",
            LogType::PrivateServiceEdgeMetrics => "zpn_pbroker_comprehensive_stats",
            LogType::PrivateCloudControllerMetrics => "zpn_sitec_comprehensive_stats",
            LogType::AppProtection => "zpn_waf_http_exchanges_log",
            LogType::SmbInspection => "zpn_smb_inspection_log",
            LogType::LdapInspection => "zpn_ldap_inspection_log",
            LogType::KrbInspection => "zpn_krb_inspection_log",
            LogType::MicrosegmentationFlow => "zms_flow_log",
            LogType::Unknown => return None,
        })
    }

    /// The fields a record of this log type is looked up by, in order: the first non-empty one
    /// gives the record's code. Reason fields come before state fields
    /// ([`SourceField::is_state`]), so a connection state (`close`, `zfce_mt_*`) describes a
    /// record only when it carries no reason code.
    ///
    /// Audit and metrics records carry no status code. Kerberos inspection records also carry
    /// `KRBErrorCode`, a Kerberos protocol error rather than a ZPA code; it is not looked up.
    /// Records of no recognised type are tried on the fields of the main types.
    #[must_use]
    pub fn status_fields(self) -> &'static [SourceField] {
        use SourceField as F;
        match self {
            LogType::UserActivity => &[F::InternalReason, F::ConnectionStatus],
            LogType::UserStatus
            | LogType::AppConnectorStatus
            | LogType::PrivateServiceEdgeStatus
            | LogType::PrivateCloudControllerStatus => &[F::SessionStatus],
            LogType::BrowserAccess => &[F::ConnectionReason, F::ConnectionStatus],
            LogType::AppProtection => &[F::HttpError],
            LogType::SmbInspection | LogType::LdapInspection | LogType::KrbInspection => {
                &[F::ProtocolInspectionError]
            }
            LogType::MicrosegmentationFlow => &[F::EnforcementAction],
            LogType::Audit
            | LogType::AppConnectorMetrics
            | LogType::PrivateServiceEdgeMetrics
            | LogType::PrivateCloudControllerMetrics => &[],
            LogType::Unknown => &[
                F::InternalReason,
                F::SessionStatus,
                F::ConnectionReason,
                F::ConnectionStatus,
            ],
        }
    }

    /// Decides the log type from the set of distinctive keys present in a record.
    pub(super) fn detect(keys: u32) -> LogType {
        let has = |k: u32| keys & k != 0;
        if has(key::INTERNAL_REASON) {
            LogType::UserActivity
        } else if has(key::SESSION_STATUS) {
            if has(key::PRIVATE_CLOUD_CONTROLLER) {
                LogType::PrivateCloudControllerStatus
            } else if has(key::SERVICE_EDGE) {
                LogType::PrivateServiceEdgeStatus
            } else if has(key::CONNECTOR) {
                LogType::AppConnectorStatus
            } else {
                LogType::UserStatus
            }
        } else if has(key::EXPORTER) {
            LogType::BrowserAccess
        } else if has(key::AUDIT_OPERATION_TYPE) {
            LogType::Audit
        } else if has(key::EXCHANGE_SEQUENCE_INDEX) {
            LogType::AppProtection
        } else if has(key::KRB) {
            LogType::KrbInspection
        } else if has(key::LDAP) {
            LogType::LdapInspection
        } else if has(key::SMB) {
            LogType::SmbInspection
        } else if has(key::ENFORCEMENT_ACTION) {
            LogType::MicrosegmentationFlow
        } else if has(key::ALIVE_TARGET_COUNT) {
            LogType::AppConnectorMetrics
        } else if has(key::PRIVATE_SE) {
            LogType::PrivateServiceEdgeMetrics
        } else if has(key::PRIVATE_CLOUD_CONTROLLER) {
            LogType::PrivateCloudControllerMetrics
        } else if has(key::CONNECTION_STATUS) && has(key::CONNECTION_ID) {
            // Older or trimmed User Activity templates without `InternalReason`.
            LogType::UserActivity
        } else {
            LogType::Unknown
        }
    }
}

impl fmt::Display for LogType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bit flags for the distinctive keys that classify a record.
pub(super) mod key {
    pub(in crate::event) const INTERNAL_REASON: u32 = 1 << 0;
    pub(in crate::event) const SESSION_STATUS: u32 = 1 << 1;
    pub(in crate::event) const CONNECTION_STATUS: u32 = 1 << 2;
    pub(in crate::event) const CONNECTION_ID: u32 = 1 << 3;
    pub(in crate::event) const EXPORTER: u32 = 1 << 4;
    pub(in crate::event) const AUDIT_OPERATION_TYPE: u32 = 1 << 5;
    pub(in crate::event) const EXCHANGE_SEQUENCE_INDEX: u32 = 1 << 6;
    pub(in crate::event) const KRB: u32 = 1 << 7;
    pub(in crate::event) const LDAP: u32 = 1 << 8;
    pub(in crate::event) const SMB: u32 = 1 << 9;
    pub(in crate::event) const ENFORCEMENT_ACTION: u32 = 1 << 10;
    pub(in crate::event) const ALIVE_TARGET_COUNT: u32 = 1 << 11;
    pub(in crate::event) const PRIVATE_SE: u32 = 1 << 12;
    pub(in crate::event) const PRIVATE_CLOUD_CONTROLLER: u32 = 1 << 13;
    pub(in crate::event) const SERVICE_EDGE: u32 = 1 << 14;
    pub(in crate::event) const CONNECTOR: u32 = 1 << 15;
    pub(in crate::event) const CONNECTION_REASON: u32 = 1 << 16;
    pub(in crate::event) const HTTP_ERROR: u32 = 1 << 17;
    pub(in crate::event) const PROTOCOL_INSPECTION_ERROR: u32 = 1 << 18;
    pub(in crate::event) const LOG_TIMESTAMP: u32 = 1 << 19;
    pub(in crate::event) const MODIFIED_TIME: u32 = 1 << 20;
    pub(in crate::event) const CREATION_TIME: u32 = 1 << 21;
    /// Any of the three time keys.
    pub(in crate::event) const TIME: u32 = LOG_TIMESTAMP | MODIFIED_TIME | CREATION_TIME;

    /// Maps a (decoded) top-level key to its flag, or 0.
    ///
    /// Dispatches on the length first: most keys of a record have a length no key of interest
    /// has, so they are dismissed without comparing bytes. The comparisons are a few word loads
    /// against constants rather than `memcmp` calls (this runs for every key of every record).
    #[inline(always)]
    pub(in crate::event) fn flag(k: &[u8]) -> u32 {
        #[inline(always)]
        fn word(b: &[u8], at: usize) -> u64 {
            u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
        }
        /// `k == name`, by 8-byte words (the last one overlapping); names shorter than 8 bytes
        /// are compared plainly.
        #[inline(always)]
        fn eq<const N: usize>(k: &[u8], name: &[u8; N]) -> bool {
            if k.len() != N {
                return false;
            }
            if N < 8 {
                return k == name;
            }
            let mut i = 0;
            while i + 8 <= N {
                if word(k, i) != word(name, i) {
                    return false;
                }
                i += 8;
            }
            i == N || word(k, N - 8) == word(name, N - 8)
        }
        macro_rules! is {
            ($name:literal) => {
                eq(k, $name)
            };
        }
        match k.len() {
            6 if is!(b"SMBRPC") => SMB,
            8 if is!(b"Exporter") || is!(b"KRBRealm") => {
                if k[0] == b'E' {
                    EXPORTER
                } else {
                    KRB
                }
            }
            9 if is!(b"Connector") || is!(b"PrivateSE") || is!(b"HTTPError") => match k[0] {
                b'C' => CONNECTOR,
                b'P' => PRIVATE_SE,
                _ => HTTP_ERROR,
            },
            11 if is!(b"ServiceEdge") => SERVICE_EDGE,
            // The time keys: `LogTimeStamp` is how one document spells it, and audit
            // templates write both capitalised and camel-case names.
            12 => match k[0] {
                b'C' if is!(b"ConnectionID") => CONNECTION_ID,
                b'C' if is!(b"CreationTime") => CREATION_TIME,
                b'c' if is!(b"creationTime") => CREATION_TIME,
                b'K' if is!(b"KRBErrorCode") => KRB,
                b'L' if is!(b"LogTimestamp") || is!(b"LogTimeStamp") => LOG_TIMESTAMP,
                b'M' if is!(b"ModifiedTime") => MODIFIED_TIME,
                b'm' if is!(b"modifiedTime") => MODIFIED_TIME,
                _ => 0,
            },
            13 if is!(b"SessionStatus") => SESSION_STATUS,
            14 if is!(b"InternalReason") => INTERNAL_REASON,
            16 if is!(b"ConnectionStatus")
                || is!(b"ConnectionReason")
                || is!(b"KRBUserPrincipal")
                || is!(b"AliveTargetCount")
                || is!(b"LDAPBindRequests") =>
            {
                match (k[0], k[10]) {
                    (b'C', b'S') => CONNECTION_STATUS,
                    (b'C', _) => CONNECTION_REASON,
                    (b'K', _) => KRB,
                    (b'A', _) => ALIVE_TARGET_COUNT,
                    _ => LDAP,
                }
            }
            17 if is!(b"EnforcementAction") => ENFORCEMENT_ACTION,
            18 if is!(b"AuditOperationType")
                || is!(b"auditOperationType")
                || is!(b"LDAPSearchRequests") =>
            {
                if k[0] == b'L' {
                    LDAP
                } else {
                    AUDIT_OPERATION_TYPE
                }
            }
            21 if is!(b"ExchangeSequenceIndex") => EXCHANGE_SEQUENCE_INDEX,
            22 if is!(b"PrivateCloudController") => PRIVATE_CLOUD_CONTROLLER,
            23 if is!(b"ProtocolInspectionError") => PROTOCOL_INSPECTION_ERROR,
            24 if is!(b"SMBFileOperationRequests") => SMB,
            _ => 0,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn every_key_of_interest_maps_to_its_flag() {
            let cases: [(&[u8], u32); 35] = [
                (b"LogTimestamp", LOG_TIMESTAMP),
                (b"LogTimeStamp", LOG_TIMESTAMP),
                (b"ModifiedTime", MODIFIED_TIME),
                (b"modifiedTime", MODIFIED_TIME),
                (b"CreationTime", CREATION_TIME),
                (b"creationTime", CREATION_TIME),
                (b"Logtimestamp", 0),
                (b"CreationTimE", 0),
                (b"InternalReason", INTERNAL_REASON),
                (b"SessionStatus", SESSION_STATUS),
                (b"ConnectionStatus", CONNECTION_STATUS),
                (b"ConnectionReason", CONNECTION_REASON),
                (b"HTTPError", HTTP_ERROR),
                (b"ProtocolInspectionError", PROTOCOL_INSPECTION_ERROR),
                (b"ConnectionReasoN", 0),
                (b"ConnectionID", CONNECTION_ID),
                (b"Exporter", EXPORTER),
                (b"AuditOperationType", AUDIT_OPERATION_TYPE),
                (b"auditOperationType", AUDIT_OPERATION_TYPE),
                (b"ExchangeSequenceIndex", EXCHANGE_SEQUENCE_INDEX),
                (b"KRBRealm", KRB),
                (b"KRBErrorCode", KRB),
                (b"KRBUserPrincipal", KRB),
                (b"LDAPBindRequests", LDAP),
                (b"LDAPSearchRequests", LDAP),
                (b"SMBRPC", SMB),
                (b"SMBFileOperationRequests", SMB),
                (b"EnforcementAction", ENFORCEMENT_ACTION),
                (b"AliveTargetCount", ALIVE_TARGET_COUNT),
                (b"PrivateSE", PRIVATE_SE),
                (b"PrivateCloudController", PRIVATE_CLOUD_CONTROLLER),
                (b"ServiceEdge", SERVICE_EDGE),
                (b"Connector", CONNECTOR),
                (b"ConnectorZEN", 0),
                (b"internalreason", 0),
            ];
            for (k, f) in cases {
                assert_eq!(flag(k), f, "{}", String::from_utf8_lossy(k));
            }
        }
    }
}
