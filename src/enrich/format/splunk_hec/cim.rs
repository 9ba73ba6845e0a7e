//! The Common Information Model fields put at the start of the event: the catalog's answer in
//! CIM terms for every log type, and per log type the fields of the data model it is tagged into
//! (`deploy/splunk/zpa_enricher/default/eventtypes.conf`, docs/splunk.md):
//!
//! | log type | data model | `action` |
//! |---|---|---|
//! | User Activity | `Network_Sessions` | `started` (open, active), `ended` (close), `blocked` (policy block) |
//! | User Status | `Authentication` | `success`, `failure` (authenticated, authentication failed) |
//! | Browser Access | `Web` | `allowed` (an HTTP status came back), `blocked` (policy block); none for a request that failed without a response |
//! | Audit | `Change` (create, update, delete), `Authentication` (sign-in) | `created`, `modified`, `deleted`; `success`, `failure` |
//! | Microsegmentation Flow | `Network_Traffic` | `allowed` (allow, simulated block), `blocked` |
//!
//! A field is written only from a value the record has, and an address field (`src_ip`,
//! `dest_ip`) only from a value that is an IP address. A field whose name the event already uses
//! as a key is not written at all, nor is a field twice, so that the event never has a key twice.

use std::net::IpAddr;

use crate::catalog::{Category, Severity};
use crate::event::LogType;

use super::json;
use super::members::{Cim, Lss, Members};
use crate::enrich::format::Record;

/// `vendor`, `product` and `vendor_product` of every event.
const VENDOR: &str = "Zscaler";
const PRODUCT: &str = "Zscaler Private Access";

/// `app` of a User Status authentication and of a sign-in to the admin portal.
const APP_CLIENT: &str = "zpa";
const APP_ADMIN: &str = "zpa:admin";

/// At most this many names in `object_attrs`: a large object created or deleted would otherwise
/// push the field past the part of the event Splunk extracts (`extraction_cutoff`).
const MAX_OBJECT_ATTRS: usize = 64;

/// `change_type` of an audit record: every audited operation changes ZPA's configuration.
const CHANGE_TYPE: &str = "configuration";

/// Writes the CIM fields as the first members of the event, after its opening brace.
pub(super) struct Writer<'o> {
    out: &'o mut Vec<u8>,
    /// One bit per [`Cim`] field written so far.
    written: u64,
}

impl<'o> Writer<'o> {
    pub(super) fn new(out: &'o mut Vec<u8>) -> Self {
        Self { out, written: 0 }
    }

    /// True once a field has been written (the record's members then follow a comma).
    pub(super) fn wrote_any(&self) -> bool {
        self.written != 0
    }

    /// Writes `"name":` (with the separating comma), unless the event already has that key or
    /// the field was written already.
    fn key(&mut self, m: &Members, field: Cim) -> bool {
        if m.is_taken(field) || self.written & field.bit() != 0 {
            return false;
        }
        if self.wrote_any() {
            self.out.push(b',');
        }
        self.written |= field.bit();
        self.out.push(b'"');
        self.out.extend_from_slice(field.name().as_bytes());
        self.out.extend_from_slice(b"\":");
        true
    }

    fn str(&mut self, m: &Members, field: Cim, value: &str) {
        if self.key(m, field) {
            json::string(self.out, value);
        }
    }

    fn num(&mut self, m: &Members, field: Cim, value: u64) {
        if self.key(m, field) {
            self.out.extend_from_slice(value.to_string().as_bytes());
        }
    }

    /// A string field copied from the member of an LSS key, when it has a value.
    fn copy(&mut self, m: &Members, ev: &[u8], field: Cim, from: Lss) {
        if let Some(member) = m.get(from).filter(|v| json::text(ev, v).is_some())
            && self.key(m, field)
        {
            json::copy_as_string(self.out, ev, member);
        }
    }

    /// A string field copied from the first of these LSS keys that has a value.
    fn copy_first(&mut self, m: &Members, ev: &[u8], field: Cim, from: &[Lss]) {
        if let Some(&key) = from
            .iter()
            .find(|&&k| m.get(k).is_some_and(|v| json::text(ev, v).is_some()))
        {
            self.copy(m, ev, field, key);
        }
    }

    /// An address field (`src_ip`, `dest_ip`) from an LSS key when its value is an IP address;
    /// any other value (a host name) goes to `host` instead, unless that field is set already.
    fn address(&mut self, m: &Members, ev: &[u8], field: Cim, host: Cim, from: Lss) {
        let Some(value) = text(m, ev, from) else {
            return;
        };
        if is_ip(&value) {
            self.str(m, field, &value);
        } else {
            self.str(m, host, &value);
        }
    }

    /// A number field from an LSS key holding a non-negative integer (or its digits).
    fn uint(&mut self, m: &Members, ev: &[u8], field: Cim, from: Lss) -> Option<u64> {
        let value = m.get(from).and_then(|v| json::uint(ev, v))?;
        self.num(m, field, value);
        Some(value)
    }

    /// A field holding one value, or a list when the record has several.
    fn list(&mut self, m: &Members, field: Cim, values: &[impl AsRef<str>]) {
        match values {
            [] => {}
            [one] => self.str(m, field, one.as_ref()),
            many => {
                if self.key(m, field) {
                    self.out.push(b'[');
                    for (i, v) in many.iter().enumerate() {
                        if i > 0 {
                            self.out.push(b',');
                        }
                        json::string(self.out, v.as_ref());
                    }
                    self.out.push(b']');
                }
            }
        }
    }
}

/// The CIM name of a catalog severity.
pub(super) fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "informational",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// True when `s` is an IPv4 or IPv6 address, as the data models expect in an `*_ip` field.
fn is_ip(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
}

/// The text of an LSS key's value.
fn text<'a>(m: &Members, ev: &'a [u8], key: Lss) -> Option<std::borrow::Cow<'a, str>> {
    m.get(key).and_then(|v| json::text(ev, v))
}

/// Writes every CIM field of `rec`, whose event (`ev`) was read into `m`.
pub(super) fn write(w: &mut Writer<'_>, rec: &Record<'_>, ev: &[u8], m: &Members) {
    let status = &rec.status;
    if let Some(action) = action(rec, ev, m) {
        w.str(m, Cim::Action, action);
    }
    if let Some(code) = status.code {
        // The catalog's title; a code the catalog does not know stands for itself.
        w.str(m, Cim::Signature, status.title.unwrap_or(code));
        w.str(m, Cim::SignatureId, code);
    }
    w.str(m, Cim::Severity, severity(status.severity));
    w.str(m, Cim::Vendor, VENDOR);
    w.str(m, Cim::Product, PRODUCT);
    w.str(m, Cim::VendorProduct, PRODUCT);
    match rec.log_type {
        LogType::UserActivity => user_activity(w, ev, m),
        LogType::UserStatus => user_status(w, ev, m),
        LogType::BrowserAccess => browser_access(w, ev, m),
        LogType::Audit => audit(w, ev, m),
        LogType::MicrosegmentationFlow => microsegmentation(w, ev, m),
        LogType::AppConnectorStatus | LogType::AppConnectorMetrics => {
            w.copy(m, ev, Cim::Dvc, Lss::Connector);
        }
        LogType::PrivateServiceEdgeStatus => w.copy(m, ev, Cim::Dvc, Lss::ServiceEdge),
        LogType::PrivateServiceEdgeMetrics => w.copy(m, ev, Cim::Dvc, Lss::PrivateSe),
        LogType::PrivateCloudControllerStatus | LogType::PrivateCloudControllerMetrics => {
            w.copy(m, ev, Cim::Dvc, Lss::PrivateCloudController);
        }
        LogType::AppProtection
        | LogType::SmbInspection
        | LogType::LdapInspection
        | LogType::KrbInspection
        | LogType::Unknown => {}
    }
}

/// The `action` of the data model the record's log type is tagged into, when the record says
/// enough to tell it.
fn action(rec: &Record<'_>, ev: &[u8], m: &Members) -> Option<&'static str> {
    let status = &rec.status;
    let code_is = |c: &str| status.code.is_some_and(|s| s.eq_ignore_ascii_case(c));
    let policy_block = status.category == Some(Category::PolicyBlock);
    match rec.log_type {
        LogType::UserActivity => {
            if policy_block {
                return Some("blocked");
            }
            let state = text(m, ev, Lss::ConnectionStatus)?;
            if state.eq_ignore_ascii_case("open") || state.eq_ignore_ascii_case("active") {
                Some("started")
            } else if state.eq_ignore_ascii_case("close") {
                Some("ended")
            } else {
                None
            }
        }
        LogType::UserStatus => {
            if code_is("ZPN_STATUS_AUTHENTICATED") {
                Some("success")
            } else if code_is("ZPN_STATUS_AUTH_FAILED") {
                Some("failure")
            } else {
                None
            }
        }
        LogType::BrowserAccess => {
            if policy_block {
                Some("blocked")
            } else if http_status(ev, m).is_some() {
                Some("allowed")
            } else {
                // No response came back (`StatusCode` 0): the request failed on its way, which
                // the Web model has no action for; the signature says why.
                None
            }
        }
        LogType::Audit => match audit_operation(ev, m)? {
            AuditOperation::Create => Some("created"),
            AuditOperation::Update => Some("modified"),
            AuditOperation::Delete => Some("deleted"),
            AuditOperation::SignIn => Some("success"),
            AuditOperation::SignInFailure => Some("failure"),
            AuditOperation::SignOut => None,
        },
        LogType::MicrosegmentationFlow => {
            if code_is("ALLOW") || code_is("SIMBLOCK") {
                Some("allowed")
            } else if code_is("BLOCK") {
                Some("blocked")
            } else {
                None
            }
        }
        _ => None,
    }
}

/// User Activity, for `Network_Sessions`: the client's public address is where the session
/// comes from, its private address the session's own (the model's `dest_ip`). A template can
/// write host names there; those go to `src` and `dest`, never to an `*_ip` field.
fn user_activity(w: &mut Writer<'_>, ev: &[u8], m: &Members) {
    w.copy(m, ev, Cim::User, Lss::Username);
    w.address(m, ev, Cim::SrcIp, Cim::Src, Lss::ClientPublicIp);
    w.address(m, ev, Cim::DestIp, Cim::Dest, Lss::ClientPrivateIp);
}

/// User Status, for `Authentication`: a user signing in from an address to a Service Edge.
fn user_status(w: &mut Writer<'_>, ev: &[u8], m: &Members) {
    w.str(m, Cim::App, APP_CLIENT);
    w.copy(m, ev, Cim::User, Lss::Username);
    w.copy_first(m, ev, Cim::Src, &[Lss::PublicIp, Lss::PrivateIp]);
    w.copy(m, ev, Cim::Dest, Lss::Zen);
}

/// Browser Access, for `Web`: one HTTP request through ZPA's reverse proxy.
fn browser_access(w: &mut Writer<'_>, ev: &[u8], m: &Members) {
    w.copy(m, ev, Cim::User, Lss::NameId);
    w.copy_first(
        m,
        ev,
        Cim::Src,
        &[Lss::ClientPublicIp, Lss::ClientPrivateIp],
    );
    w.copy(m, ev, Cim::Dest, Lss::Host);
    let port = w.uint(m, ev, Cim::DestPort, Lss::ApplicationPort);
    if let Some(method) = text(m, ev, Lss::Method) {
        w.str(m, Cim::HttpMethod, &method.to_ascii_uppercase());
    }
    if let Some(host) = text(m, ev, Lss::Host) {
        let scheme = text(m, ev, Lss::Protocol).map(|p| p.to_ascii_lowercase());
        let path = text(m, ev, Lss::Url);
        w.str(
            m,
            Cim::Url,
            &url(scheme.as_deref(), &host, port, path.as_deref()),
        );
        w.str(m, Cim::UrlDomain, &host);
    }
    if let Some(path) = text(m, ev, Lss::Url).filter(|p| p.starts_with('/')) {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        w.str(m, Cim::UriPath, path);
    }
    if let Some(code) = http_status(ev, m) {
        w.str(m, Cim::Status, &code.to_string());
    }
    if let Some(agent) = text(m, ev, Lss::UserAgent) {
        w.copy(m, ev, Cim::HttpUserAgent, Lss::UserAgent);
        w.num(
            m,
            Cim::HttpUserAgentLength,
            agent.chars().count().try_into().unwrap_or(u64::MAX),
        );
    }
    let bytes_in = w.uint(m, ev, Cim::BytesIn, Lss::RequestSize);
    let bytes_out = w.uint(m, ev, Cim::BytesOut, Lss::ResponseSize);
    if let (Some(i), Some(o)) = (bytes_in, bytes_out) {
        w.num(m, Cim::Bytes, i.saturating_add(o));
    }
}

/// The HTTP status of a Browser Access record: its `StatusCode` when that is one (100 to 599).
/// ZPA writes 0 when the request got no response.
fn http_status(ev: &[u8], m: &Members) -> Option<u64> {
    m.get(Lss::StatusCode)
        .and_then(|v| json::uint(ev, v))
        .filter(|c| (100..=599).contains(c))
}

/// The URL of a Browser Access request from its parts: `scheme://host[:port]/path`, the port
/// only when it is not the scheme's own. A `URL` that is already absolute is taken as it is.
pub(super) fn url(
    scheme: Option<&str>,
    host: &str,
    port: Option<u64>,
    path: Option<&str>,
) -> String {
    let path = path.unwrap_or("/");
    if path.contains("://") {
        return path.to_owned();
    }
    let scheme = scheme.filter(|s| matches!(*s, "http" | "https"));
    let default_port = match scheme {
        Some("http") => Some(80),
        Some("https") => Some(443),
        _ => None,
    };
    let mut url = String::with_capacity(host.len() + path.len() + 16);
    if let Some(s) = scheme {
        url.push_str(s);
        url.push_str("://");
    }
    url.push_str(host);
    if let Some(p) = port.filter(|&p| Some(p) != default_port) {
        url.push(':');
        url.push_str(&p.to_string());
    }
    if !path.starts_with('/') {
        url.push('/');
    }
    url.push_str(path);
    url
}

/// What an audit record's `AuditOperationType` says was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuditOperation {
    Create,
    Update,
    Delete,
    SignIn,
    SignInFailure,
    SignOut,
}

fn audit_operation(ev: &[u8], m: &Members) -> Option<AuditOperation> {
    let op = text(m, ev, Lss::AuditOperationType)?;
    let op: String = op
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Some(match op.as_str() {
        "create" => AuditOperation::Create,
        "update" => AuditOperation::Update,
        "delete" => AuditOperation::Delete,
        "signin" => AuditOperation::SignIn,
        "signinfailure" | "signinfailed" => AuditOperation::SignInFailure,
        "signout" => AuditOperation::SignOut,
        _ => return None,
    })
}

/// Audit, for `Change` (a configuration change in the tenant) or `Authentication` (a sign-in
/// to the admin portal).
fn audit(w: &mut Writer<'_>, ev: &[u8], m: &Members) {
    let op = audit_operation(ev, m);
    w.copy(m, ev, Cim::User, Lss::User);
    if op.is_some_and(|o| o != AuditOperation::SignOut) {
        w.copy(m, ev, Cim::Dest, Lss::CustomerId);
    }
    match op {
        Some(AuditOperation::SignIn | AuditOperation::SignInFailure) => {
            w.str(m, Cim::App, APP_ADMIN);
        }
        Some(AuditOperation::Create | AuditOperation::Update | AuditOperation::Delete) => {
            w.str(m, Cim::ChangeType, CHANGE_TYPE);
            w.str(m, Cim::Status, "success");
            // The tenant is where the change happened and what reported it.
            w.copy(m, ev, Cim::Dvc, Lss::CustomerId);
            w.copy(m, ev, Cim::Command, Lss::AuditOperationType);
            w.copy(m, ev, Cim::Object, Lss::ObjectName);
            w.copy(m, ev, Cim::ObjectCategory, Lss::ObjectType);
            w.copy(m, ev, Cim::ObjectId, Lss::ObjectId);
            // Last: the one field whose length grows with the change.
            w.list(m, Cim::ObjectAttrs, &changed_attributes(ev, m, op));
        }
        Some(AuditOperation::SignOut) | None => {}
    }
}

/// The names of the attributes a change touched, sorted: those of the new value of a created
/// object, of the old value of a deleted one, and those whose value differs for an update.
/// `AuditOldValue` and `AuditNewValue` are JSON objects written as strings. At most
/// [`MAX_OBJECT_ATTRS`] of them, the first in order.
fn changed_attributes(ev: &[u8], m: &Members, op: Option<AuditOperation>) -> Vec<String> {
    let object = |key| {
        text(m, ev, key)
            .and_then(|t| {
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&t).ok()
            })
            .unwrap_or_default()
    };
    let (old, new) = (object(Lss::AuditOldValue), object(Lss::AuditNewValue));
    let mut names: Vec<String> = match op {
        Some(AuditOperation::Create) => new.keys().cloned().collect(),
        Some(AuditOperation::Delete) => old.keys().cloned().collect(),
        Some(AuditOperation::Update) => old
            .keys()
            .chain(new.keys())
            .filter(|k| old.get(*k) != new.get(*k))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    // A quote would make the value unusable in the data model.
    names.retain(|n| !n.is_empty() && !n.contains('"'));
    names.sort();
    names.dedup();
    names.truncate(MAX_OBJECT_ATTRS);
    names
}

/// Microsegmentation Flow, for `Network_Traffic`: one flow between two workloads, as the agent
/// on one of them saw it.
fn microsegmentation(w: &mut Writer<'_>, ev: &[u8], m: &Members) {
    if let Some(apps) = m.get(Lss::AppName).map(|v| json::items(ev, v, 16)) {
        w.list(m, Cim::App, &apps);
    }
    let src = text(m, ev, Lss::SourceIp);
    let dest = text(m, ev, Lss::DestinationIp);
    let ip =
        |a: &Option<std::borrow::Cow<'_, str>>| a.as_deref().and_then(|a| a.parse::<IpAddr>().ok());
    let (src_ip, dest_ip) = (ip(&src), ip(&dest));
    w.copy(m, ev, Cim::Src, Lss::SourceIp);
    if src_ip.is_some() {
        w.copy(m, ev, Cim::SrcIp, Lss::SourceIp);
    }
    if let Some(ports) = m.get(Lss::SourcePorts).map(|v| json::items(ev, v, 64)) {
        // A flow summarised over several connections has several source ports: a multivalue
        // field then, as Splunk reads a JSON list.
        let ports: Vec<u64> = ports.iter().filter_map(|p| p.parse().ok()).collect();
        match ports.as_slice() {
            [] => {}
            [port] => w.num(m, Cim::SrcPort, *port),
            many => {
                if w.key(m, Cim::SrcPort) {
                    let list: Vec<String> = many.iter().map(u64::to_string).collect();
                    w.out.push(b'[');
                    w.out.extend_from_slice(list.join(",").as_bytes());
                    w.out.push(b']');
                }
            }
        }
    }
    w.copy(m, ev, Cim::Dest, Lss::DestinationIp);
    if dest_ip.is_some() {
        w.copy(m, ev, Cim::DestIp, Lss::DestinationIp);
    }
    w.uint(m, ev, Cim::DestPort, Lss::DestinationPort);
    let transport = m
        .get(Lss::Protocol)
        .and_then(|v| json::uint(ev, v))
        .and_then(transport);
    if let Some(t) = transport {
        w.str(m, Cim::Transport, t);
        w.str(m, Cim::Protocol, if t == "icmp" { "icmp" } else { "ip" });
        if let Some(version) = src_ip.or(dest_ip) {
            let version = if version.is_ipv4() { "ipv4" } else { "ipv6" };
            w.str(m, Cim::ProtocolVersion, version);
        }
    }
    if let Some(d) = text(m, ev, Lss::Direction) {
        let d = d.to_ascii_lowercase();
        if d == "inbound" || d == "outbound" {
            w.str(m, Cim::Direction, &d);
        }
    }
    w.copy(m, ev, Cim::Dvc, Lss::AgentName);
    w.copy(m, ev, Cim::Rule, Lss::PolicyName);
}

/// The CIM `transport` of an IANA protocol number: the ones the model allows.
fn transport(number: u64) -> Option<&'static str> {
    match number {
        6 => Some("tcp"),
        17 => Some("udp"),
        1 | 58 => Some("icmp"),
        _ => None,
    }
}
