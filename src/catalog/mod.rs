//! The status-code catalog: one entry per ZPA code with its documented title, a description in
//! plain words, severity, component, category and remediation, and the metadata a machine uses:
//! other spellings of the code (aliases), the log types it appears in, whether it is retired,
//! severity or component overrides per log type, and where the entry comes from.
//!
//! A [`Catalog`] is immutable once built and is shared behind an `Arc`; replacing it (for
//! example on reload) means building a new one. Lookups, by code or alias, never allocate.
//! Loading and validation of catalog files lives in [`load`]; the vocabularies (severity,
//! component, category, cause, source) are closed enums so that metric labels stay bounded.

pub mod diff;
pub mod export;
mod extend;
pub mod load;
pub mod severity;
pub mod vendor;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::event::LogType;
use crate::vocab::vocabulary;

pub(crate) use load::{CatalogError, CatalogFile, Problem};

/// The catalog compiled into the binary.
pub(crate) const BUILTIN_CATALOG: &str = include_str!("../../config/catalog.toml");

/// Name used for the built-in catalog in messages.
pub(crate) const BUILTIN_ORIGIN: &str = "built-in catalog";

vocabulary! {
    /// Whether someone has to act on a code, and how fast: from `info` (normal operation) to
    /// `critical`.
    Severity {
        /// Normal operation: nobody acts.
        Info => "info",
        /// Nothing to do for one occurrence: user-side, self-healing or re-authentication.
        Low => "low",
        /// Worth a look in working hours: policy blocks, authentication failures,
        /// access-denying misconfiguration.
        Medium => "medium",
        /// Service-affecting failures: someone has to act soon.
        High => "high",
        /// Conditions that hit many users at once: resource exhaustion, a component that
        /// cannot reach its peers.
        Critical => "critical",
    }
}

vocabulary! {
    /// The ZPA component a code is attributed to.
    Component {
        /// Public Service Edge (formerly ZEN / broker).
        ServiceEdge => "Service Edge",
        /// Private Service Edge.
        PrivateServiceEdge => "Private Service Edge",
        /// Private Cloud Controller (ZPA Private Cloud).
        PrivateCloudController => "Private Cloud Controller",
        /// App Connector.
        AppConnector => "App Connector",
        /// Central Authority (path selection, dispatcher).
        CentralAuthority => "Central Authority",
        /// Zscaler Client Connector.
        ClientConnector => "Client Connector",
        /// Browser Access (clientless).
        BrowserAccess => "Browser Access",
        /// Authentication and identity (SAML, SCIM, certificates).
        Authentication => "Authentication",
        /// Access, approval and timeout policies.
        Policy => "Policy",
    }
}

vocabulary! {
    /// The vendor's grouping of a code.
    Category {
        /// Something failed.
        Error => "error",
        /// A policy denied access.
        PolicyBlock => "policy_block",
        /// Normal close, success or informational.
        Info => "info",
    }
}

vocabulary! {
    /// Why a code happens. Each cause has one severity ([`Cause::severity`]); the severity rule
    /// ([`severity`]) keeps it within what the vendor's class of the code allows.
    Cause {
        /// Normal operation.
        Normal => "normal",
        /// User- or device-side condition that concerns one user.
        Client => "client",
        /// Self-healing transient condition inside ZPA.
        Transient => "transient",
        /// The user has to authenticate again, step up or renew an approval (a time-limited
        /// grant ended as configured).
        Reauth => "reauth",
        /// Denied by a policy or a rate limit.
        Policy => "policy",
        /// Authentication or identity failure.
        Auth => "auth",
        /// Admin-fixable configuration gap.
        Config => "config",
        /// Service-affecting failure: new connections to an application fail.
        Service => "service",
        /// Failure inside a ZPA component, on one request or session.
        Internal => "internal",
        /// Resource exhaustion (memory, file descriptors, ports, tables, capacity limits).
        Resource => "resource",
        /// A component the customer runs cannot reach its peers (App Connector to Service
        /// Edge), so every user routed through it fails.
        Peer => "peer",
    }
}

vocabulary! {
    /// Where a catalog entry comes from.
    EntrySource {
        /// Written from the vendor's LSS status-code API (`catalog sync --write`).
        VendorApi => "vendor_api",
        /// Written by an administrator for their own deployment.
        Local => "local",
    }
}

impl Cause {
    /// The severity of the cause, before the vendor's class bounds it (see [`severity`] and
    /// docs/output-and-catalog.md). Only causes that hit many users at once are `critical`.
    #[must_use]
    pub fn severity(self) -> Severity {
        match self {
            Cause::Normal => Severity::Info,
            Cause::Client | Cause::Transient | Cause::Reauth => Severity::Low,
            Cause::Policy | Cause::Auth | Cause::Config => Severity::Medium,
            Cause::Service | Cause::Internal => Severity::High,
            Cause::Resource | Cause::Peer => Severity::Critical,
        }
    }
}

impl Component {
    /// Guesses the component of a code that is not in the catalog from its prefix, following the
    /// vendor's naming (`AST_` App Connector, `BRK_` Service Edge, ...).
    #[must_use]
    pub fn guess_from_code(code: &str) -> Option<Component> {
        const PREFIXES: &[(&str, Component)] = &[
            ("AST_", Component::AppConnector),
            ("BRK_MT_AUTH_", Component::Authentication),
            ("BRK_", Component::ServiceEdge),
            ("DSP_", Component::CentralAuthority),
            ("EXPTR_", Component::BrowserAccess),
            ("CLT_", Component::ClientConnector),
            ("C2C_", Component::ServiceEdge),
            ("FOHH_CLOSE_REASON_", Component::ServiceEdge),
            ("MT_CLOSED_", Component::ServiceEdge),
            ("ZPN_ERR_", Component::ServiceEdge),
            ("EAS_", Component::ServiceEdge),
            ("ZIA_", Component::ServiceEdge),
        ];
        // Letter case is ignored, as in catalog lookups.
        let code = code.trim_start();
        PREFIXES
            .iter()
            .find(|(p, _)| {
                code.get(..p.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(p))
            })
            .map(|&(_, c)| c)
    }
}

/// One catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogEntry {
    /// The code exactly as it appears in the log field.
    pub code: String,
    /// The vendor's documented title for the code.
    pub status: String,
    /// What happened, in plain words.
    pub description: String,
    /// How urgent it is.
    pub severity: Severity,
    /// Which ZPA component it is attributed to.
    pub component: Component,
    /// The vendor's grouping.
    pub category: Category,
    /// Why it happens (with the vendor's class, drives the severity rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// What an administrator should check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// The vendor's status for the code (`Error`, `Info`, `Success`, `PolicyBlock`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_status: Option<String>,
    /// The vendor's error type (`InternalError`, `ActionableError`, `NA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_error_type: Option<String>,
    /// Other spellings of the same code; lookups find the entry by them too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The log types whose records can carry the code (empty: not stated).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "log_type_names"
    )]
    pub log_types: Vec<LogType>,
    /// True for codes the vendor no longer documents or emits.
    #[serde(default)]
    pub retired: bool,
    /// Where the entry comes from, when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<EntrySource>,
    /// Severity or component for records of one log type, in place of the entry's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<LogTypeOverride>,
}

impl CatalogEntry {
    /// The override for records of `log_type`, if the entry has one.
    #[must_use]
    pub fn override_for(&self, log_type: LogType) -> Option<&LogTypeOverride> {
        self.overrides.iter().find(|o| o.log_type == log_type)
    }

    /// The severity of the code in a record of `log_type`: the override's, or the entry's own.
    #[must_use]
    pub fn severity_in(&self, log_type: LogType) -> Severity {
        self.override_for(log_type)
            .and_then(|o| o.severity)
            .unwrap_or(self.severity)
    }

    /// The component of the code in a record of `log_type`: the override's, or the entry's own.
    #[must_use]
    pub fn component_in(&self, log_type: LogType) -> Component {
        self.override_for(log_type)
            .and_then(|o| o.component)
            .unwrap_or(self.component)
    }

    /// The code and its aliases.
    pub fn spellings(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.code.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// The severity and/or component of a code in records of one log type, where they differ from
/// the entry's own: `ZPN_STATUS_AUTH_FAILED` is a user's failed sign-in in User Status, but an
/// App Connector that cannot sign in, and so serves nobody, in App Connector Status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogTypeOverride {
    /// The log type the override applies to.
    #[serde(with = "log_type_name")]
    pub log_type: LogType,
    /// The severity in that log type (the entry's own when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The component in that log type (the entry's own when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
}

/// The log types a catalog entry can name: every detected log type but `unknown`, which is no
/// LSS log type but the absence of one.
pub const ENTRY_LOG_TYPES: [LogType; LogType::ALL.len() - 1] = {
    let mut types = [LogType::UserActivity; LogType::ALL.len() - 1];
    let mut i = 0;
    while i < types.len() {
        types[i] = LogType::ALL[i];
        i += 1;
    }
    types
};

/// The log type a catalog names `name`: its enrichment name (`app_connector_status`) or the
/// vendor's `sourceLogType` (`zpn_ast_auth_log`), ignoring letter case. `unknown` is none.
#[must_use]
pub fn entry_log_type(name: &str) -> Option<LogType> {
    LogType::from_name(name).filter(|t| *t != LogType::Unknown)
}

/// Log types in catalog files and exports: their enrichment names.
mod log_type_name {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    use super::{LogType, entry_log_type};

    // The signature serde's `with` asks for.
    #[allow(clippy::trivially_copy_pass_by_ref)]
    pub(super) fn serialize<S: Serializer>(t: &LogType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.as_str())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<LogType, D::Error> {
        let name = String::deserialize(d)?;
        entry_log_type(&name).ok_or_else(|| D::Error::custom(format!("unknown log type {name:?}")))
    }
}

/// Lists of log types, as [`log_type_name`] writes one.
mod log_type_names {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    use super::{LogType, entry_log_type};

    // The signature serde's `with` asks for.
    #[allow(clippy::ptr_arg)]
    pub(super) fn serialize<S: Serializer>(types: &Vec<LogType>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(types.iter().map(|t| t.as_str()))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<LogType>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|name| {
                entry_log_type(name)
                    .ok_or_else(|| D::Error::custom(format!("unknown log type {name:?}")))
            })
            .collect()
    }
}

/// Index of an entry within its catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(u32);

impl EntryId {
    /// The position of the entry in [`Catalog::entries`].
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

// `ENTRY_LOG_TYPES` takes every log type but the last, which must be `Unknown`.
const _: () = assert!(matches!(
    LogType::ALL[LogType::ALL.len() - 1],
    LogType::Unknown
));

/// Codes longer than this are never looked up case-insensitively (no code comes close).
const MAX_FOLDED_CODE: usize = 128;

/// An immutable, validated set of catalog entries with a version.
#[derive(Debug, Clone)]
pub struct Catalog {
    version: String,
    entries: Vec<CatalogEntry>,
    /// Every code and alias, as written.
    exact: FxHashMap<Box<str>, EntryId>,
    /// Every code and alias, in lower case.
    folded: FxHashMap<Box<str>, EntryId>,
}

impl Catalog {
    /// Builds a catalog from validated entries.
    ///
    /// # Errors
    /// Fails when two entries share a spelling, code or alias (compared case-insensitively).
    pub fn new(version: String, entries: Vec<CatalogEntry>) -> Result<Self, CatalogError> {
        let mut exact = FxHashMap::default();
        let mut folded: FxHashMap<Box<str>, EntryId> = FxHashMap::default();
        let mut problems = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let id = EntryId(u32::try_from(i).map_err(|_| CatalogError::TooManyEntries)?);
            for (n, spelling) in e.spellings().enumerate() {
                let kind = if n == 0 { "code" } else { "alias" };
                let key = spelling.to_ascii_lowercase().into_boxed_str();
                if let Some(&prev) = folded.get(&key) {
                    let first = &entries[prev.index()];
                    let message = if prev == id {
                        format!(
                            "{kind} {spelling:?} is a spelling of this entry already (ignoring case)"
                        )
                    } else if n == 0 && first.code.eq_ignore_ascii_case(spelling) {
                        format!(
                            "duplicate code (same as entry {}, {:?}, ignoring case)",
                            prev.index() + 1,
                            first.code
                        )
                    } else {
                        format!(
                            "{kind} {spelling:?} is a spelling of entry {} ({:?}) already (ignoring case)",
                            prev.index() + 1,
                            first.code
                        )
                    };
                    problems.push(Problem::entry(None, &e.code, message));
                    continue;
                }
                folded.insert(key, id);
                exact.insert(spelling.into(), id);
            }
        }
        if !problems.is_empty() {
            return Err(CatalogError::Invalid {
                origin: "catalog".into(),
                problems,
            });
        }
        Ok(Self {
            version,
            entries,
            exact,
            folded,
        })
    }

    /// The built-in catalog.
    ///
    /// # Panics
    /// Never in a released build: the built-in catalog is validated by the test suite.
    #[must_use]
    pub fn builtin() -> Self {
        // Parsed once per process; later calls clone it.
        static BUILTIN: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let file = load::parse_toml(BUILTIN_CATALOG, BUILTIN_ORIGIN)
                    .expect("the built-in catalog is validated by the test suite");
                Self::new(file.version, file.entries)
                    .expect("the built-in catalog is validated by the test suite")
            })
            .clone()
    }

    /// The catalog version (stamped on every enriched record).
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }

    /// All entries, in file order.
    #[must_use]
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry with this id.
    ///
    /// # Panics
    /// When the id comes from another catalog with fewer entries.
    #[must_use]
    pub fn entry(&self, id: EntryId) -> &CatalogEntry {
        &self.entries[id.index()]
    }

    /// Looks a code up by the entries' codes and aliases: exactly first, then ignoring ASCII
    /// case. Never allocates.
    #[must_use]
    pub fn lookup(&self, code: &str) -> Option<EntryId> {
        if let Some(&id) = self.exact.get(code) {
            return Some(id);
        }
        if code.len() > MAX_FOLDED_CODE {
            return None;
        }
        let mut buf = [0u8; MAX_FOLDED_CODE];
        let folded = &mut buf[..code.len()];
        folded.copy_from_slice(code.as_bytes());
        folded.make_ascii_lowercase();
        // Lower-casing ASCII bytes of a valid UTF-8 string keeps it valid UTF-8.
        let folded = std::str::from_utf8(folded).ok()?;
        self.folded.get(folded).copied()
    }

    /// Looks a code up and returns the entry.
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&CatalogEntry> {
        self.lookup(code).map(|id| self.entry(id))
    }
}

#[cfg(test)]
mod tests;
