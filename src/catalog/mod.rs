//! The status-code catalog: one entry per ZPA code with its documented title, a description in
//! plain words, severity, component, category and remediation.
//!
//! A [`Catalog`] is immutable once built and is shared behind an `Arc`; replacing it (for
//! example on reload) means building a new one. Lookups never allocate. Loading and
//! validation of catalog files lives in [`load`]; the vocabularies (severity, component,
//! category, cause) are closed enums so that metric labels stay bounded.

pub mod diff;
pub mod export;
pub mod load;
pub mod severity;
pub mod vendor;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

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

/// Codes longer than this are never looked up case-insensitively (no code comes close).
const MAX_FOLDED_CODE: usize = 128;

/// An immutable, validated set of catalog entries with a version.
#[derive(Debug, Clone)]
pub struct Catalog {
    version: String,
    entries: Vec<CatalogEntry>,
    exact: FxHashMap<Box<str>, EntryId>,
    folded: FxHashMap<Box<str>, EntryId>,
}

impl Catalog {
    /// Builds a catalog from validated entries.
    ///
    /// # Errors
    /// Fails when two entries share a code (compared case-insensitively).
    pub fn new(version: String, entries: Vec<CatalogEntry>) -> Result<Self, CatalogError> {
        let mut exact = FxHashMap::default();
        let mut folded = FxHashMap::default();
        let mut problems = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let id = EntryId(u32::try_from(i).map_err(|_| CatalogError::TooManyEntries)?);
            let key = e.code.to_ascii_lowercase().into_boxed_str();
            if let Some(prev) = folded.insert(key, id) {
                problems.push(Problem::entry(
                    None,
                    &e.code,
                    format!(
                        "duplicate code (same as entry {}, {:?}, ignoring case)",
                        prev.index() + 1,
                        entries[prev.index()].code
                    ),
                ));
            }
            exact.insert(e.code.clone().into_boxed_str(), id);
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

    /// Layers `overlay` on top of this catalog: entries with the same code (ignoring case)
    /// replace the base entry in place, new codes are appended. The version becomes
    /// `<base>+<overlay>`.
    ///
    /// # Errors
    /// Only when the result would have more entries than an index can hold.
    pub(crate) fn extend(&self, overlay: CatalogFile) -> Result<Self, CatalogError> {
        let mut entries = self.entries.clone();
        for e in overlay.entries {
            let key = e.code.to_ascii_lowercase();
            match self.folded.get(key.as_str()) {
                Some(id) => entries[id.index()] = e,
                None => entries.push(e),
            }
        }
        // An overlay that names this catalog's version already (an exported catalog loaded
        // back, edited or not) keeps its own; any other is added after a '+'.
        let version = if overlay.version == self.version
            || overlay
                .version
                .strip_prefix(self.version.as_str())
                .is_some_and(|rest| rest.starts_with('+'))
        {
            overlay.version
        } else {
            format!("{}+{}", self.version, overlay.version)
        };
        Self::new(version, entries)
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

    /// Looks a code up: exactly first, then ignoring ASCII case. Never allocates.
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
mod tests {
    use super::*;

    fn entry(code: &str) -> CatalogEntry {
        CatalogEntry {
            code: code.into(),
            status: "S".into(),
            description: "D".into(),
            severity: Severity::Low,
            component: Component::AppConnector,
            category: Category::Error,
            cause: Some(Cause::Client),
            remediation: None,
            vendor_status: None,
            vendor_error_type: None,
        }
    }

    #[test]
    fn lookup_is_exact_then_case_insensitive() {
        let c = Catalog::new("1".into(), vec![entry("ABC_DEF"), entry("close")]).unwrap();
        assert_eq!(c.lookup("ABC_DEF").map(EntryId::index), Some(0));
        assert_eq!(c.lookup("abc_def").map(EntryId::index), Some(0));
        assert_eq!(c.lookup("Close").map(EntryId::index), Some(1));
        assert_eq!(c.lookup("CLOSE").map(EntryId::index), Some(1));
        assert_eq!(c.lookup("nope"), None);
        assert_eq!(c.lookup(&"x".repeat(500)), None);
        assert_eq!(c.lookup("é"), None);
    }

    #[test]
    fn duplicate_codes_are_rejected_ignoring_case() {
        let err = Catalog::new("1".into(), vec![entry("A"), entry("B"), entry("a")]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("duplicate code"), "{text}");
        assert!(text.contains("\"A\""), "{text}");
    }

    #[test]
    fn extend_replaces_and_appends() {
        let base = Catalog::new("2026.1".into(), vec![entry("A"), entry("B")]).unwrap();
        let mut b2 = entry("b");
        b2.description = "override".into();
        let merged = base
            .extend(CatalogFile {
                version: "local-3".into(),
                entries: vec![b2, entry("C")],
            })
            .unwrap();
        assert_eq!(merged.version(), "2026.1+local-3");
        assert_eq!(merged.len(), 3);
        assert_eq!(merged.get("B").unwrap().description, "override");
        assert!(merged.get("C").is_some());
    }

    #[test]
    fn an_exported_catalog_loaded_back_keeps_its_version() {
        let base = Catalog::new("2026.1".into(), vec![entry("A")]).unwrap();
        let again = |version: &str| {
            base.extend(CatalogFile {
                version: version.into(),
                entries: vec![entry("A")],
            })
            .unwrap()
            .version()
            .to_owned()
        };
        // The export of the built-in catalog, and of one already extended.
        assert_eq!(again("2026.1"), "2026.1");
        assert_eq!(again("2026.1+site-3"), "2026.1+site-3");
        // A version that only starts alike is another version.
        assert_eq!(again("2026.10"), "2026.1+2026.10");
    }

    #[test]
    fn severity_rule_is_monotonic_in_order() {
        assert!(Severity::Info < Severity::Low);
        assert!(Severity::High < Severity::Critical);
        assert_eq!(Cause::Service.severity(), Severity::High);
        assert_eq!(Cause::Normal.severity(), Severity::Info);
    }

    #[test]
    fn component_guess_follows_prefixes() {
        assert_eq!(
            Component::guess_from_code("AST_MT_NEW"),
            Some(Component::AppConnector)
        );
        assert_eq!(
            Component::guess_from_code("BRK_MT_AUTH_NEW"),
            Some(Component::Authentication)
        );
        assert_eq!(
            Component::guess_from_code("BRK_MT_NEW"),
            Some(Component::ServiceEdge)
        );
        assert_eq!(Component::guess_from_code("WHATEVER"), None);
        // Letter case and leading blanks do not matter, as in lookups.
        assert_eq!(
            Component::guess_from_code(" brk_mt_auth_new"),
            Some(Component::Authentication)
        );
        assert_eq!(
            Component::guess_from_code("Ast_x"),
            Some(Component::AppConnector)
        );
        assert_eq!(Component::guess_from_code("é"), None);
    }
}
