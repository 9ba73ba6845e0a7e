//! What the vendor's LSS status-code API says about a code ([`VendorCode`]), and the catalog
//! entry `catalog sync --write` makes of a code the catalog does not know yet
//! ([`VendorCode::to_entry`]). Pure: the HTTP client that fetches the list lives outside the
//! core.
//!
//! The API lists codes per log type, each with `name` (the vendor's title for the code, such as
//! "SE: Application policy blocked access"), `status` (`Error`, `Info`, `Success`,
//! `PolicyBlock`, `reauthBlock`), `errorType` (`InternalError`, `ActionableError`, `NA`) and
//! `adminAction` (what an administrator should do, or `NA`).

use serde::Serialize;

use crate::event::LogType;

use super::severity::{self, VendorClass};
use super::{CatalogEntry, Category, Component, EntrySource, Severity, entry_log_type};

/// One code as the vendor's API lists it, merged over the log types that list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorCode {
    /// The code exactly as the API spells it.
    pub code: String,
    /// The log types that list it (`zpn_trans_log`, `zpn_auth_log`, ...), in the API's order.
    pub log_types: Vec<String>,
    /// The vendor's title (`name`), when the API gives one.
    pub title: Option<String>,
    /// The vendor's status (`status`).
    pub status: Option<String>,
    /// The vendor's error type (`errorType`).
    pub error_type: Option<String>,
    /// What the vendor tells an administrator to do (`adminAction`); `NA` when nothing.
    pub admin_action: Option<String>,
}

/// The API's word for "not applicable", in error types and admin actions.
const NOT_APPLICABLE: &str = "NA";

/// True when a vendor value says nothing: absent, or `NA`.
#[must_use]
pub fn is_not_applicable(value: Option<&str>) -> bool {
    value.is_none_or(|v| v.trim().eq_ignore_ascii_case(NOT_APPLICABLE))
}

/// True when two vendor values (a status or an error type) say the same: equal ignoring ASCII
/// case, where absent and `NA` are one value.
#[must_use]
pub fn same_vendor_value(a: Option<&str>, b: Option<&str>) -> bool {
    match (is_not_applicable(a), is_not_applicable(b)) {
        (true, true) => true,
        (false, false) => a
            .zip(b)
            .is_some_and(|(a, b)| a.trim().eq_ignore_ascii_case(b.trim())),
        _ => false,
    }
}

/// True when two titles say the same: equal once letter case, runs of white space and a final
/// full stop are set aside (the API writes "SE: Internal error" where the help page writes
/// "SE: Internal Error").
#[must_use]
pub fn same_title(a: &str, b: &str) -> bool {
    fn normal(s: &str) -> String {
        let s = s.trim().trim_end_matches('.');
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }
    normal(a) == normal(b)
}

/// The severity the sync gives a code the catalog does not know, from the vendor's status and
/// error type, within the bounds of the severity rule ([`severity::allowed`]). A new code has
/// no cause yet, so the guess is the class's usual one: successes `info`; the vendor's `Info`
/// (which also covers sessions that ended because a tunnel went away) `low`; re-authentication
/// blocks `low`; policy blocks `medium`; errors `high` when Zscaler-side (`InternalError`) and
/// `medium` otherwise (an administrator can act, or the vendor gives no error type). A status
/// the rule does not know counts as an error.
#[must_use]
pub fn vendor_severity(status: Option<&str>, error_type: Option<&str>) -> Severity {
    let class = VendorClass::of(status, vendor_category(status));
    let internal = error_type.is_some_and(|t| t.trim().eq_ignore_ascii_case("InternalError"));
    let guess = match class {
        VendorClass::Success => Severity::Info,
        VendorClass::Info | VendorClass::ReauthBlock => Severity::Low,
        VendorClass::PolicyBlock => Severity::Medium,
        VendorClass::Error if internal => Severity::High,
        VendorClass::Error => Severity::Medium,
    };
    severity::allowed(class, error_type).clamp(guess)
}

/// The catalog category of a vendor status: errors are `error`, policy and re-authentication
/// blocks `policy_block`, information and successes `info`; anything else `error`.
#[must_use]
pub fn vendor_category(status: Option<&str>) -> Category {
    match status
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "policyblock" | "reauthblock" => Category::PolicyBlock,
        "info" | "success" => Category::Info,
        _ => Category::Error,
    }
}

impl VendorCode {
    /// The catalog entry for this code, for a catalog that does not know it yet: the vendor's
    /// title as `status` (the code itself when the API gives none), a generated description
    /// saying where the entry comes from, severity by [`vendor_severity`], category by
    /// [`vendor_category`], component from the code's prefix, else the title's prefix, else the
    /// log type, the admin action as remediation, the log types that list it, and `source`
    /// `vendor_api`.
    #[must_use]
    pub fn to_entry(&self) -> CatalogEntry {
        CatalogEntry {
            code: self.code.clone(),
            status: self.title.clone().unwrap_or_else(|| self.code.clone()),
            description: self.description(),
            severity: vendor_severity(self.status.as_deref(), self.error_type.as_deref()),
            component: self.component(),
            category: vendor_category(self.status.as_deref()),
            cause: None,
            remediation: self
                .admin_action
                .clone()
                .filter(|a| !is_not_applicable(Some(a))),
            vendor_status: self.status.clone(),
            vendor_error_type: self.error_type.clone(),
            aliases: Vec::new(),
            log_types: self.entry_log_types(),
            retired: false,
            source: Some(EntrySource::VendorApi),
            overrides: Vec::new(),
        }
    }

    /// The log types that list the code, as catalog entries name them; a `sourceLogType` this
    /// version does not know is left out.
    fn entry_log_types(&self) -> Vec<LogType> {
        let mut types = Vec::new();
        for t in self
            .log_types
            .iter()
            .filter_map(|name| entry_log_type(name))
        {
            if !types.contains(&t) {
                types.push(t);
            }
        }
        types
    }

    /// A sentence for an entry nobody has described yet: where it comes from and what the
    /// vendor says of it.
    fn description(&self) -> String {
        let listed = if self.log_types.is_empty() {
            String::new()
        } else {
            format!(" for {}", self.log_types.join(", "))
        };
        let status = self.status.as_deref().unwrap_or("none given");
        let error_type = self.error_type.as_deref().unwrap_or("none given");
        let title = if self.title.is_some() {
            ""
        } else {
            " It gives the code no title."
        };
        format!(
            "Added from the vendor's LSS status-code API, which lists this code{listed} with \
             status {status} and error type {error_type}; no one has described it in plain \
             words yet.{title}"
        )
    }

    /// The component: from the code's prefix, else from the title's prefix (`AC:`, `SE:`, ...),
    /// else from the log type that lists it.
    fn component(&self) -> Component {
        const TITLE_PREFIXES: &[(&str, Component)] = &[
            ("AC:", Component::AppConnector),
            ("CA:", Component::CentralAuthority),
            ("CLT:", Component::ClientConnector),
            ("ZPA BA:", Component::BrowserAccess),
            ("BA:", Component::BrowserAccess),
            ("SE:", Component::ServiceEdge),
        ];
        if let Some(c) = Component::guess_from_code(&self.code) {
            return c;
        }
        if let Some(title) = &self.title
            && let Some((_, c)) = TITLE_PREFIXES.iter().find(|(p, _)| {
                title
                    .get(..p.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(p))
            })
        {
            return *c;
        }
        match self.log_types.first().map(String::as_str) {
            Some("zpn_ast_auth_log") => Component::AppConnector,
            Some("zpn_sys_auth_log") => Component::PrivateServiceEdge,
            Some("zpn_auth_log") => Component::Authentication,
            _ => Component::ServiceEdge,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(code: &str, title: Option<&str>, status: &str, error_type: &str) -> VendorCode {
        VendorCode {
            code: code.into(),
            log_types: vec!["zpn_trans_log".into()],
            title: title.map(Into::into),
            status: Some(status.into()),
            error_type: Some(error_type.into()),
            admin_action: Some("NA".into()),
        }
    }

    #[test]
    fn severity_follows_status_and_error_type() {
        let s = |a, b| vendor_severity(Some(a), Some(b));
        assert_eq!(s("Success", "NA"), Severity::Info);
        assert_eq!(s("Info", "InternalError"), Severity::Low);
        assert_eq!(s("PolicyBlock", "ActionableError"), Severity::Medium);
        assert_eq!(s("reauthBlock", "ActionableError"), Severity::Low);
        assert_eq!(s("Error", "InternalError"), Severity::High);
        assert_eq!(s("ERROR", "internalerror"), Severity::High);
        assert_eq!(s("Error", "ActionableError"), Severity::Medium);
        assert_eq!(s("Error", "NA"), Severity::Medium);
        assert_eq!(s("Someday", "NA"), Severity::Medium);
        assert_eq!(vendor_severity(None, None), Severity::Medium);
        // Always within the severity rule's bounds for the class.
        for status in ["Success", "Info", "reauthBlock", "PolicyBlock", "Error"] {
            for error_type in ["InternalError", "ActionableError", "NA"] {
                let class = VendorClass::of(Some(status), vendor_category(Some(status)));
                assert!(
                    severity::allowed(class, Some(error_type)).contains(s(status, error_type)),
                    "{status}/{error_type}"
                );
            }
        }
    }

    #[test]
    fn category_follows_status() {
        assert_eq!(vendor_category(Some("Error")), Category::Error);
        assert_eq!(vendor_category(Some("PolicyBlock")), Category::PolicyBlock);
        assert_eq!(vendor_category(Some("reauthBlock")), Category::PolicyBlock);
        assert_eq!(vendor_category(Some("Info")), Category::Info);
        assert_eq!(vendor_category(Some("Success")), Category::Info);
        assert_eq!(vendor_category(Some("Other")), Category::Error);
        assert_eq!(vendor_category(None), Category::Error);
    }

    #[test]
    fn not_applicable_equals_absent() {
        assert!(same_vendor_value(None, Some("NA")));
        assert!(same_vendor_value(Some("na"), None));
        assert!(same_vendor_value(Some("Error"), Some("error")));
        assert!(!same_vendor_value(Some("Error"), Some("Info")));
        assert!(!same_vendor_value(Some("Error"), None));
        assert!(!same_vendor_value(None, Some("InternalError")));
    }

    #[test]
    fn titles_compare_without_case_spacing_or_final_stop() {
        assert!(same_title("SE: Internal Error", "SE: Internal error"));
        assert!(same_title(
            "AC: Rate  limit reached.",
            "ac: rate limit reached"
        ));
        assert!(!same_title(
            "SE: Connection expired",
            "SE: Connection not found"
        ));
    }

    #[test]
    fn a_new_entry_carries_what_the_vendor_says() {
        let mut v = code(
            "BRK_MT_NEW_THING",
            Some("SE: A new thing failed"),
            "Error",
            "ActionableError",
        );
        v.admin_action = Some("Check the new thing.".into());
        let e = v.to_entry();
        assert_eq!(e.code, "BRK_MT_NEW_THING");
        assert_eq!(e.status, "SE: A new thing failed");
        assert_eq!(e.severity, Severity::Medium);
        assert_eq!(e.component, Component::ServiceEdge);
        assert_eq!(e.category, Category::Error);
        assert_eq!(e.remediation.as_deref(), Some("Check the new thing."));
        assert_eq!(e.vendor_status.as_deref(), Some("Error"));
        assert_eq!(e.vendor_error_type.as_deref(), Some("ActionableError"));
        assert!(
            e.description.contains("vendor's LSS status-code API"),
            "{}",
            e.description
        );
        assert!(
            e.description
                .contains("status Error and error type ActionableError")
        );
        assert!(e.description.contains("zpn_trans_log"));
    }

    #[test]
    fn an_entry_without_title_or_action_is_still_complete() {
        let e = code("ODD_CODE", None, "Info", "NA").to_entry();
        assert_eq!(e.status, "ODD_CODE");
        assert_eq!(e.remediation, None);
        assert!(e.description.contains("no title"), "{}", e.description);
        assert_eq!(e.severity, Severity::Low);
        assert_eq!(e.category, Category::Info);
    }

    #[test]
    fn component_comes_from_code_then_title_then_log_type() {
        let component = |c: &str, title: Option<&str>, log_type: &str| {
            let mut v = code(c, title, "Error", "NA");
            v.log_types = vec![log_type.into()];
            v.to_entry().component
        };
        assert_eq!(
            component("AST_X", Some("SE: x"), "zpn_trans_log"),
            Component::AppConnector
        );
        assert_eq!(
            component("APP_GONE", Some("CA: x"), "zpn_trans_log"),
            Component::CentralAuthority
        );
        assert_eq!(
            component("WEIRD", Some("ZPA BA: x"), "zpn_trans_log"),
            Component::BrowserAccess
        );
        assert_eq!(
            component("ZPN_STATUS_NEW", Some("New"), "zpn_ast_auth_log"),
            Component::AppConnector
        );
        assert_eq!(
            component("ZPN_STATUS_NEW", None, "zpn_sys_auth_log"),
            Component::PrivateServiceEdge
        );
        assert_eq!(
            component("ZPN_STATUS_NEW", None, "zpn_auth_log"),
            Component::Authentication
        );
        assert_eq!(
            component("WEIRD", None, "zpn_trans_log"),
            Component::ServiceEdge
        );
    }
}
