//! The severity rule: which severities a catalog entry may have, and which one it gets.
//!
//! A severity answers "does someone have to act, and how fast". Two things decide it:
//!
//! - the vendor's class of the code ([`VendorClass`]): the `status` the LSS status-code API
//!   gives it where known, otherwise the help-page table the code is listed in (the entry's
//!   category). With the API's error type, the class bounds the severity ([`allowed`]): a code
//!   Zscaler calls `Info` is never louder than `low`, an error is never `info`;
//! - the entry's [`Cause`](super::Cause): what kind of condition it is, with one severity of its
//!   own ([`Cause::severity`](super::Cause::severity)). Only causes that hit many users at once
//!   (resource exhaustion, a component that cannot reach its peers) are `critical`.
//!
//! The rule's severity is the cause's, kept within the class's bounds ([`expected`]). A few
//! codes whose vendor class does not fit what they mean have an entry in [`EXCEPTIONS`], with the
//! reason. Codes the vendor describes the same way share a key ([`code_key`], [`title_key`]) and
//! have the same severity ([`sibling_groups`]); [`SIBLING_EXCEPTIONS`] lists the reasoned
//! departures.
//!
//! Only the built-in catalog is held to the rule, by the test suite. In a catalog file of your
//! own, `severity` is taken as written. Pure: no I/O.

use super::{CatalogEntry, Category, Severity};
use crate::vocab::vocabulary;

vocabulary! {
    /// How the vendor classes a code (the `status` of its LSS status-code API, which the
    /// help-page tables Error, Info and Policy Block match where the API is silent).
    VendorClass {
        /// A successful end (API status `Success`).
        Success => "Success",
        /// Informational: normal closes and expected conditions (API status `Info`, help-page
        /// table Info).
        Info => "Info",
        /// The user has to authenticate again (API status `reauthBlock`).
        ReauthBlock => "reauthBlock",
        /// Denied by an access policy (API status `PolicyBlock`, help-page table Policy Block).
        PolicyBlock => "PolicyBlock",
        /// Something failed (API status `Error`, help-page table Error).
        Error => "Error",
    }
}

impl VendorClass {
    /// The class of a code: its API status where that is one of the classes (in any letter
    /// case), otherwise the help-page table its category names.
    #[must_use]
    pub fn of(vendor_status: Option<&str>, category: Category) -> VendorClass {
        vendor_status
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(match category {
                Category::Error => VendorClass::Error,
                Category::Info => VendorClass::Info,
                Category::PolicyBlock => VendorClass::PolicyBlock,
            })
    }
}

/// A range of severities, from `lowest` to `highest`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Severities {
    lowest: Severity,
    highest: Severity,
}

impl Severities {
    /// The severities from `lowest` to `highest`.
    ///
    /// # Panics
    /// When `lowest` is above `highest` (at compile time in a constant).
    #[must_use]
    pub const fn new(lowest: Severity, highest: Severity) -> Self {
        assert!(lowest as u8 <= highest as u8, "lowest above highest");
        Self { lowest, highest }
    }

    /// The lowest severity of the range.
    #[must_use]
    pub fn lowest(self) -> Severity {
        self.lowest
    }

    /// The highest severity of the range.
    #[must_use]
    pub fn highest(self) -> Severity {
        self.highest
    }

    /// True when `severity` is in the range.
    #[must_use]
    pub fn contains(self, severity: Severity) -> bool {
        (self.lowest..=self.highest).contains(&severity)
    }

    /// `severity` if it is in the range, otherwise the nearer end.
    #[must_use]
    pub fn clamp(self, severity: Severity) -> Severity {
        severity.clamp(self.lowest, self.highest)
    }
}

impl std::fmt::Display for Severities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.lowest == self.highest {
            write!(f, "{}", self.lowest)
        } else {
            write!(f, "{} to {}", self.lowest, self.highest)
        }
    }
}

/// The severities a code of this vendor class and error type may have.
///
/// A success is normal operation; an informational code is at most `low` (nothing to do for
/// one occurrence); a re-authentication block may be `low`; an access-policy block is `medium`;
/// an error is never `info`, and at most `medium` when the vendor gives it no error type (`NA`:
/// not counted as a fault). Whether an error is `InternalError` or `ActionableError` does not
/// narrow the range: the vendor calls connector file-descriptor exhaustion internal and a
/// Service Edge switch actionable, so the cause carries that distinction instead.
#[must_use]
pub fn allowed(class: VendorClass, error_type: Option<&str>) -> Severities {
    use Severity::{Critical, Info, Low, Medium};
    match class {
        VendorClass::Success => Severities::new(Info, Info),
        VendorClass::Info => Severities::new(Info, Low),
        VendorClass::ReauthBlock => Severities::new(Low, Medium),
        VendorClass::PolicyBlock => Severities::new(Medium, Medium),
        VendorClass::Error if error_type.is_some_and(|t| t.trim().eq_ignore_ascii_case("NA")) => {
            Severities::new(Low, Medium)
        }
        VendorClass::Error => Severities::new(Low, Critical),
    }
}

/// A code whose vendor class does not bound its severity, and why.
#[derive(Debug, Clone, Copy)]
pub struct Exception {
    /// The code.
    pub code: &'static str,
    /// The severities it may have instead of its class's.
    pub allowed: Severities,
    /// Why, in one line.
    pub reason: &'static str,
}

/// The codes of the built-in catalog that the vendor's class does not bound (documented in
/// docs/output-and-catalog.md, "Severity rule").
pub const EXCEPTIONS: &[Exception] = &[
    Exception {
        code: "FOHH_CLOSE_REASON_CERT_VERIFY",
        allowed: Severities::new(Severity::Info, Severity::Medium),
        reason: "listed as Info, but a certificate that fails verification can mean TLS \
                 interception on the path or an expired enrollment certificate: worth a look",
    },
    Exception {
        code: "BRK_MT_SETUP_FAIL_REAUTH_EXPIRED",
        allowed: Severities::new(Severity::Low, Severity::Medium),
        reason: "the retired re-authentication block that BRK_MT_SETUP_FAIL_SAML_EXPIRED \
                 replaced; its 2018 Policy Block listing predates the reauthBlock status",
    },
];

/// The exception for `code`, if it has one (letter case ignored, as in lookups).
#[must_use]
pub fn exception(code: &str) -> Option<&'static Exception> {
    EXCEPTIONS
        .iter()
        .find(|e| e.code.eq_ignore_ascii_case(code))
}

/// The severities `entry` may have: its exception's, otherwise its vendor class's.
#[must_use]
pub fn allowed_for(entry: &CatalogEntry) -> Severities {
    exception(&entry.code).map_or_else(
        || {
            allowed(
                VendorClass::of(entry.vendor_status.as_deref(), entry.category),
                entry.vendor_error_type.as_deref(),
            )
        },
        |e| e.allowed,
    )
}

/// The severity the rule gives `entry`: its cause's, kept within [`allowed_for`]. `None` for an
/// entry without a cause.
#[must_use]
pub fn expected(entry: &CatalogEntry) -> Option<Severity> {
    entry.cause.map(|c| allowed_for(entry).clamp(c.severity()))
}

/// Code prefixes that only say which side or transport reports a condition, and what they
/// are replaced with so that both sides share a key: `AST_`/`BRK_` (App Connector or Service
/// Edge), `DTLS`/`TLS`, and the client or microtunnel of a client-to-client failure.
const SIDE_PREFIXES: &[(&str, &str)] = &[
    ("AST_MT_SETUP_ERR_", "MT_SETUP_"),
    ("BRK_MT_SETUP_FAIL_", "MT_SETUP_"),
    ("AST_MT_SETUP_", "MT_SETUP_"),
    ("BRK_MT_SETUP_", "MT_SETUP_"),
    ("FOHH_CLOSE_REASON_AST_", "FOHH_CLOSE_REASON_"),
    ("FOHH_CLOSE_REASON_BRK_", "FOHH_CLOSE_REASON_"),
    ("MT_CLOSED_DTLS_", "MT_CLOSED_TLS_"),
    ("C2C_CLIENT_", "C2C_"),
    ("C2C_MTUNNEL_", "C2C_"),
];

/// The code with the side or transport that reports it taken out (upper case):
/// `AST_MT_SETUP_ERR_APP_NOT_FOUND` and `BRK_MT_SETUP_FAIL_APP_NOT_FOUND` both give
/// `MT_SETUP_APP_NOT_FOUND`, `MT_CLOSED_DTLS_CONN_GONE` gives `MT_CLOSED_TLS_CONN_GONE`.
#[must_use]
pub fn code_key(code: &str) -> String {
    let code = code.trim().to_ascii_uppercase();
    SIDE_PREFIXES
        .iter()
        .find_map(|(from, to)| code.strip_prefix(from).map(|rest| format!("{to}{rest}")))
        .unwrap_or(code)
}

/// Title prefixes that name the component reporting the code.
const TITLE_PREFIXES: &[&str] = &["AC: ", "SE: ", "CA: ", "CLT: ", "ZPA BA: ", "BA: "];

/// The vendor's title without its component prefix (`AC:`, `SE:`, ...), a final full stop,
/// letter case and typographic apostrophes: "AC: Duplicate connection tag ID" and
/// "SE: Duplicate connection tag ID" give the same key.
#[must_use]
pub fn title_key(status: &str) -> String {
    let status = status.trim();
    let bare = TITLE_PREFIXES
        .iter()
        .find_map(|p| status.strip_prefix(p))
        .unwrap_or(status);
    bare.trim_end_matches('.')
        .trim()
        .replace('\u{2019}', "'")
        .to_lowercase()
}

/// A code that shares its title with codes of another meaning, and why it is no sibling of
/// theirs.
#[derive(Debug, Clone, Copy)]
pub struct SiblingException {
    /// The code.
    pub code: &'static str,
    /// Why its title is not a shared meaning, in one line.
    pub reason: &'static str,
}

/// Codes left out of their title's sibling group (they keep their code's group).
pub const SIBLING_EXCEPTIONS: &[SiblingException] = &[
    SiblingException {
        code: "FOHH_CLOSE_REASON_CONNECT_TIMEOUT",
        reason: "titled like the App Connector and Service Edge set-up timeouts, but listed as \
                 Info: a transport connection attempt that is retried, which the vendor calls \
                 normal",
    },
    SiblingException {
        code: "FOHH_CLOSE_REASON_RX_TIMEOUT",
        reason: "titled like AST_MT_SETUP_TIMEOUT_CANNOT_CONN_TO_SERVER, but listed as Info: a \
                 transport connection that waited too long for data, not a failed set-up",
    },
];

/// The sibling groups of `entries`: indices of entries that share a code key or (unless
/// listed in [`SIBLING_EXCEPTIONS`]) a title key, joined transitively; only groups of two or
/// more, each in entry order, the groups in the order of their first entry.
#[must_use]
pub fn sibling_groups(entries: &[CatalogEntry]) -> Vec<Vec<usize>> {
    // Union-find over entry indices; each key joins its entries to the first with that key.
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut parent: Vec<usize> = (0..entries.len()).collect();
    let mut first: rustc_hash::FxHashMap<(bool, String), usize> = Default::default();
    for (i, e) in entries.iter().enumerate() {
        let by_title = !SIBLING_EXCEPTIONS
            .iter()
            .any(|x| x.code.eq_ignore_ascii_case(&e.code));
        let keys = [
            Some((false, code_key(&e.code))),
            by_title.then(|| (true, title_key(&e.status))),
        ];
        for key in keys.into_iter().flatten() {
            let j = *first.entry(key).or_insert(i);
            let (a, b) = (root(&mut parent, i), root(&mut parent, j));
            // The smaller index becomes the root, so groups come out in entry order.
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: rustc_hash::FxHashMap<usize, usize> = Default::default();
    for i in 0..entries.len() {
        let r = root(&mut parent, i);
        let g = *group_of.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    groups.retain(|g| g.len() > 1);
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Cause, Component};
    use Severity::{Critical, High, Info, Low, Medium};

    fn entry(code: &str, status: &str, category: Category, cause: Cause) -> CatalogEntry {
        CatalogEntry {
            code: code.into(),
            status: status.into(),
            description: "D".into(),
            severity: cause.severity(),
            component: Component::ServiceEdge,
            category,
            cause: Some(cause),
            remediation: None,
            vendor_status: None,
            vendor_error_type: None,
            aliases: Vec::new(),
            log_types: Vec::new(),
            retired: false,
            source: None,
            overrides: Vec::new(),
        }
    }

    #[test]
    fn the_api_status_wins_over_the_help_page_table() {
        use VendorClass as V;
        assert_eq!(V::of(Some("Info"), Category::Error), V::Info);
        assert_eq!(
            V::of(Some("reauthBlock"), Category::PolicyBlock),
            V::ReauthBlock
        );
        assert_eq!(V::of(Some("success"), Category::Info), V::Success);
        // Without a status, or with one that is no class, the table decides.
        assert_eq!(V::of(None, Category::PolicyBlock), V::PolicyBlock);
        assert_eq!(V::of(Some("Whatever"), Category::Info), V::Info);
        assert_eq!(V::of(None, Category::Error), V::Error);
    }

    #[test]
    fn the_class_bounds_the_severity() {
        use VendorClass as V;
        assert_eq!(allowed(V::Success, Some("NA")), Severities::new(Info, Info));
        assert_eq!(
            allowed(V::Info, Some("InternalError")),
            Severities::new(Info, Low)
        );
        assert_eq!(allowed(V::ReauthBlock, None), Severities::new(Low, Medium));
        assert_eq!(
            allowed(V::PolicyBlock, None),
            Severities::new(Medium, Medium)
        );
        assert_eq!(
            allowed(V::Error, Some("InternalError")),
            Severities::new(Low, Critical)
        );
        assert_eq!(
            allowed(V::Error, Some("ActionableError")),
            Severities::new(Low, Critical)
        );
        assert_eq!(allowed(V::Error, None), Severities::new(Low, Critical));
        assert_eq!(allowed(V::Error, Some("NA")), Severities::new(Low, Medium));
        assert_eq!(Severities::new(Low, Medium).to_string(), "low to medium");
        assert_eq!(Severities::new(Info, Info).to_string(), "info");
    }

    #[test]
    fn only_causes_that_hit_many_users_reach_critical() {
        for &cause in Cause::ALL {
            let critical = matches!(cause, Cause::Resource | Cause::Peer);
            assert_eq!(cause.severity() == Critical, critical, "{cause}");
        }
        // No class raises a severity to critical.
        for &class in VendorClass::ALL {
            for t in [None, Some("NA"), Some("InternalError")] {
                assert!(allowed(class, t).lowest() < Critical, "{class}");
            }
        }
    }

    #[test]
    fn the_cause_decides_within_the_class() {
        let mut e = entry("X", "SE: X", Category::Info, Cause::Service);
        // Listed as Info: a service fault is capped at low.
        assert_eq!(expected(&e), Some(Low));
        e.category = Category::Error;
        assert_eq!(expected(&e), Some(High));
        e.vendor_error_type = Some("NA".into());
        assert_eq!(expected(&e), Some(Medium));
        // A normal cause on an error is still an error.
        let n = entry("Y", "SE: Y", Category::Error, Cause::Normal);
        assert_eq!(expected(&n), Some(Low));
        let mut r = entry("Z", "SE: Z", Category::PolicyBlock, Cause::Reauth);
        assert_eq!(expected(&r), Some(Medium));
        r.vendor_status = Some("reauthBlock".into());
        assert_eq!(expected(&r), Some(Low));
        r.cause = None;
        assert_eq!(expected(&r), None);
    }

    #[test]
    fn an_exception_replaces_the_class_range() {
        let e = entry(
            "fohh_close_reason_cert_verify",
            "SE: Connection verification failed",
            Category::Info,
            Cause::Service,
        );
        assert_eq!(allowed_for(&e), Severities::new(Info, Medium));
        assert_eq!(expected(&e), Some(Medium));
        for x in EXCEPTIONS {
            assert!(
                !x.reason.is_empty() && !x.reason.contains("  "),
                "{}",
                x.code
            );
        }
    }

    #[test]
    fn keys_drop_the_reporting_side() {
        assert_eq!(
            code_key("AST_MT_SETUP_ERR_APP_NOT_FOUND"),
            code_key("BRK_MT_SETUP_FAIL_APP_NOT_FOUND")
        );
        assert_eq!(
            code_key("AST_MT_SETUP_TIMEOUT"),
            code_key("brk_mt_setup_timeout")
        );
        assert_eq!(
            code_key("MT_CLOSED_DTLS_CONN_GONE_AST_CLOSED"),
            "MT_CLOSED_TLS_CONN_GONE_AST_CLOSED"
        );
        assert_eq!(
            code_key("FOHH_CLOSE_REASON_BRK_DATA_CONN_FLOW_CONTROL"),
            "FOHH_CLOSE_REASON_DATA_CONN_FLOW_CONTROL"
        );
        assert_eq!(
            code_key("C2C_MTUNNEL_NOT_FOUND"),
            code_key("C2C_CLIENT_NOT_FOUND")
        );
        assert_eq!(
            code_key("OPEN_OR_ACTIVE_CONNECTION"),
            "OPEN_OR_ACTIVE_CONNECTION"
        );
        assert_eq!(
            title_key("AC: Duplicate connection tag ID"),
            title_key("SE: Duplicate connection tag ID.")
        );
        assert_eq!(title_key("SE: User\u{2019}s group"), "user's group");
        assert_eq!(title_key("Authenticated"), "authenticated");
    }

    #[test]
    fn siblings_are_grouped_transitively_in_entry_order() {
        let entries = [
            entry(
                "AST_MT_SETUP_TIMEOUT",
                "AC: Request timed out",
                Category::Error,
                Cause::Service,
            ),
            entry(
                "OTHER",
                "SE: Something else",
                Category::Error,
                Cause::Service,
            ),
            entry(
                "BRK_MT_SETUP_TIMEOUT",
                "SE: Waited too long",
                Category::Error,
                Cause::Service,
            ),
            // Joins the first two through its title.
            entry(
                "NEW_CODE",
                "SE: Waited too long",
                Category::Error,
                Cause::Service,
            ),
            // Shares the first title, but is listed as no sibling.
            entry(
                "FOHH_CLOSE_REASON_CONNECT_TIMEOUT",
                "SE: Request timed out",
                Category::Info,
                Cause::Normal,
            ),
        ];
        assert_eq!(sibling_groups(&entries), vec![vec![0, 2, 3]]);
    }
}
