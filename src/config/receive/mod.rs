//! The `[receive]` settings: the log receiver LSS streams to (`zpa-enricher receive`).
//!
//! Listeners come from two places: `listen`, plain addresses that take the section's defaults
//! (and the `--listen` flags), and `[[receive.listeners]]` entries, which may override any
//! default. [`ReceiveSettings::listeners`] resolves both into one list of fully specified
//! listeners.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::checks::{Problem, listen_address_problem, not_a_file, out_of_range};
use crate::event::{LineFormat, LogType, Template};
use crate::kafka::topic_name_problem;

/// `[receive]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiveSettings {
    /// The raw topic records are produced to.
    pub topic: String,
    /// Also enrich: records go through the enrichment core to `kafka.output_topic`, and
    /// invalid ones to `kafka.dlq_topic`, as `run` would write them.
    pub enrich: bool,
    /// Listeners given as addresses only, with the defaults below.
    pub listen: Vec<String>,
    /// Default line format of a listener.
    pub format: LineFormat,
    /// Default log type of a listener: `auto` (detected per record) or a log type name.
    pub log_type: String,
    /// Default custom LSS template (empty: none); when set it decides the format.
    pub template: String,
    /// Default server certificate chain (PEM); empty for plain TCP.
    pub tls_cert: PathBuf,
    /// Default private key of the server certificate (PEM).
    pub tls_key: PathBuf,
    /// Default CA bundle client certificates are verified against (PEM).
    pub client_ca: PathBuf,
    /// Require client certificates, verified against `client_ca`.
    pub mtls: bool,
    /// Longest line read as a record; a longer one is cut and dead-lettered.
    pub max_line_bytes: usize,
    /// How much of an over-long line its dead letter keeps.
    pub dead_letter_prefix_bytes: usize,
    /// Connections open at once, all listeners together.
    pub max_connections: usize,
    /// Connections open at once on one listener (unless the listener says otherwise).
    pub max_connections_per_listener: usize,
    /// A connection silent this long is closed (0: never).
    pub idle_timeout_secs: u64,
    /// Time a client has to complete the TLS handshake.
    pub tls_handshake_timeout_secs: u64,
    /// Read buffer of one connection.
    pub read_buffer_bytes: usize,
    /// Records handed to the producer and not yet acknowledged, all listeners together; when
    /// reached, sockets are not read until acknowledgements free room.
    pub max_in_flight: usize,
    /// How often certificate files are checked for a change (0: only on SIGHUP).
    pub tls_reload_interval_secs: u64,
    /// `[[receive.listeners]]`
    pub listeners: Vec<ListenerSettings>,
}

impl Default for ReceiveSettings {
    fn default() -> Self {
        Self {
            topic: "zpa.raw".into(),
            enrich: false,
            listen: Vec::new(),
            format: LineFormat::Auto,
            log_type: AUTO.into(),
            template: String::new(),
            tls_cert: PathBuf::new(),
            tls_key: PathBuf::new(),
            client_ca: PathBuf::new(),
            mtls: false,
            max_line_bytes: 1 << 20,
            dead_letter_prefix_bytes: 4096,
            max_connections: 1024,
            max_connections_per_listener: 256,
            idle_timeout_secs: 300,
            tls_handshake_timeout_secs: 10,
            read_buffer_bytes: 256 << 10,
            max_in_flight: 4096,
            tls_reload_interval_secs: 10,
            listeners: Vec::new(),
        }
    }
}

/// The log-type value that means "detect per record".
pub const AUTO: &str = "auto";

/// One `[[receive.listeners]]` entry: the address and whatever differs from the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListenerSettings {
    /// Name in metrics, logs and record headers (default: the address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `host:port` to listen on.
    pub addr: String,
    /// `auto` or a log type name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_type: Option<String>,
    /// Line format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<LineFormat>,
    /// A custom LSS template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Server certificate chain (PEM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// Client CA bundle (PEM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ca: Option<PathBuf>,
    /// Require client certificates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls: Option<bool>,
    /// Connections open at once on this listener.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
}

/// A listener with every default applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerSpec {
    /// Unique name: metrics label, log field, record header.
    pub name: String,
    /// `host:port`.
    pub addr: String,
    /// The log type every record has, or `None` to detect it per record.
    pub log_type: Option<LogType>,
    /// Line format (not used when `template` is set).
    pub format: LineFormat,
    /// A custom LSS template's text.
    pub template: Option<String>,
    /// TLS, or `None` for plain TCP.
    pub tls: Option<TlsFiles>,
    /// Connections open at once on this listener.
    pub max_connections: usize,
}

/// The certificate files of a TLS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Server certificate chain (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// With mTLS: the CA bundle client certificates must chain to.
    pub client_ca: Option<PathBuf>,
}

/// Limits accepted for `receive.max_line_bytes`.
pub(crate) const MAX_LINE_BYTES_RANGE: (usize, usize) = (1024, 64 << 20);
/// Limits accepted for `receive.read_buffer_bytes`.
pub(crate) const READ_BUFFER_BYTES_RANGE: (usize, usize) = (4096, 64 << 20);

fn some_path(p: &Path) -> Option<PathBuf> {
    (!p.as_os_str().is_empty()).then(|| p.to_owned())
}

impl ReceiveSettings {
    /// The listeners, `listen` first then `listeners`, with the defaults applied. Values that
    /// do not resolve (an unknown log type) are left to [`ReceiveSettings::problems`], which
    /// reports them; here they become "detect per record".
    #[must_use]
    pub fn listeners(&self) -> Vec<ListenerSpec> {
        let simple = self.listen.iter().map(|addr| ListenerSettings {
            addr: addr.clone(),
            ..ListenerSettings::default()
        });
        simple
            .chain(self.listeners.iter().cloned())
            .map(|l| self.resolve(&l))
            .collect()
    }

    fn resolve(&self, l: &ListenerSettings) -> ListenerSpec {
        let log_type = l.log_type.as_deref().unwrap_or(&self.log_type);
        let template = l.template.as_deref().unwrap_or(&self.template);
        let cert = l.tls_cert.as_deref().unwrap_or(&self.tls_cert);
        let key = l.tls_key.as_deref().unwrap_or(&self.tls_key);
        let client_ca = l.client_ca.as_deref().unwrap_or(&self.client_ca);
        let mtls = l.mtls.unwrap_or(self.mtls);
        let tls = some_path(cert).map(|cert| TlsFiles {
            cert,
            key: key.to_owned(),
            client_ca: if mtls { some_path(client_ca) } else { None },
        });
        ListenerSpec {
            name: l.name.clone().unwrap_or_else(|| l.addr.clone()),
            addr: l.addr.clone(),
            log_type: LogType::from_name(log_type),
            format: l.format.unwrap_or(self.format),
            template: (!template.is_empty()).then(|| template.to_owned()),
            tls,
            max_connections: l
                .max_connections
                .unwrap_or(self.max_connections_per_listener),
        }
    }

    /// Every problem with the section. Only meaningful for `receive`: the other commands
    /// ignore the section, so [`Settings::validate`](super::Settings::validate) does not call
    /// it.
    #[must_use]
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let Some(why) = topic_name_problem(&self.topic) {
            problems.push(Problem::new("receive.topic", why));
        }
        if self.listen.is_empty() && self.listeners.is_empty() {
            problems.push(Problem::new(
                "receive.listen",
                "no listener: give --listen HOST:PORT, receive.listen or [[receive.listeners]]",
            ));
        }
        for (key, value, (lo, hi)) in [
            (
                "receive.max_line_bytes",
                self.max_line_bytes,
                MAX_LINE_BYTES_RANGE,
            ),
            (
                "receive.read_buffer_bytes",
                self.read_buffer_bytes,
                READ_BUFFER_BYTES_RANGE,
            ),
            (
                "receive.dead_letter_prefix_bytes",
                self.dead_letter_prefix_bytes,
                (64, self.max_line_bytes.max(64)),
            ),
            (
                "receive.max_connections",
                self.max_connections,
                (1, 1 << 20),
            ),
            (
                "receive.max_connections_per_listener",
                self.max_connections_per_listener,
                (1, 1 << 20),
            ),
            ("receive.max_in_flight", self.max_in_flight, (1, 1 << 24)),
        ] {
            problems.extend(out_of_range(key, value as u64, lo as u64, hi as u64));
        }
        for (key, value, lo, hi) in [
            (
                "receive.idle_timeout_secs",
                self.idle_timeout_secs,
                0,
                86_400,
            ),
            (
                "receive.tls_handshake_timeout_secs",
                self.tls_handshake_timeout_secs,
                1,
                3_600,
            ),
            (
                "receive.tls_reload_interval_secs",
                self.tls_reload_interval_secs,
                0,
                86_400,
            ),
        ] {
            problems.extend(out_of_range(key, value, lo, hi));
        }
        self.defaults_problems(&mut problems);
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut addrs: BTreeMap<String, String> = BTreeMap::new();
        let entries = self
            .listen
            .iter()
            .enumerate()
            .map(|(i, addr)| {
                (
                    format!("receive.listen[{i}]"),
                    ListenerSettings {
                        addr: addr.clone(),
                        ..ListenerSettings::default()
                    },
                )
            })
            .chain(
                self.listeners
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (format!("receive.listeners[{i}]"), l.clone())),
            );
        for (at, l) in entries {
            self.listener_problems(&at, &l, &mut problems);
            let spec = self.resolve(&l);
            if let Some(first) = names.insert(spec.name.clone(), at.clone()) {
                problems.push(Problem::new(
                    &format!("{at}.name"),
                    format!("{:?} is already the name of {first}", spec.name),
                ));
            }
            if let Some(first) = addrs.insert(spec.addr.clone(), at.clone()) {
                problems.push(Problem::new(
                    &format!("{at}.addr"),
                    format!("{:?} is already the address of {first}", spec.addr),
                ));
            }
        }
        problems
    }

    /// Problems of the section's defaults that hold whatever the listeners say.
    fn defaults_problems(&self, problems: &mut Vec<Problem>) {
        if self.log_type != AUTO && LogType::from_name(&self.log_type).is_none() {
            problems.push(Problem::new(
                "receive.log_type",
                unknown_log_type(&self.log_type),
            ));
        }
        if let Some(why) = template_problem(&self.template) {
            problems.push(Problem::new("receive.template", why));
        }
    }

    /// Problems of one listener after the defaults are applied, reported at `at`.
    fn listener_problems(&self, at: &str, l: &ListenerSettings, problems: &mut Vec<Problem>) {
        if l.addr.is_empty() {
            problems.push(Problem::new(
                &format!("{at}.addr"),
                "is missing: a listener needs an address such as 0.0.0.0:9018",
            ));
        } else if let Some(why) = listen_address_problem(&l.addr) {
            problems.push(Problem::new(
                &format!("{at}.addr"),
                format!("{:?} {why}", l.addr),
            ));
        }
        if let Some(name) = &l.name
            && !valid_name(name)
        {
            problems.push(Problem::new(
                &format!("{at}.name"),
                format!(
                    "{name:?} is not a listener name: use 1 to 64 letters, digits, '_', '-', '.' or ':'"
                ),
            ));
        }
        if let Some(log_type) = &l.log_type
            && log_type != AUTO
            && LogType::from_name(log_type).is_none()
        {
            problems.push(Problem::new(
                &format!("{at}.log_type"),
                unknown_log_type(log_type),
            ));
        }
        if let Some(template) = &l.template
            && let Some(why) = template_problem(template)
        {
            problems.push(Problem::new(&format!("{at}.template"), why));
        }
        if let Some(max) = l.max_connections {
            problems.extend(out_of_range(
                &format!("{at}.max_connections"),
                max as u64,
                1,
                1 << 20,
            ));
        }
        // Where a file setting comes from: the listener's own key, else the section default.
        let file_key = |own: bool, name: &str| {
            if own {
                format!("{at}.{name}")
            } else {
                format!("receive.{name}")
            }
        };
        let cert = l.tls_cert.as_deref().unwrap_or(&self.tls_cert);
        let key = l.tls_key.as_deref().unwrap_or(&self.tls_key);
        let client_ca = l.client_ca.as_deref().unwrap_or(&self.client_ca);
        let mtls = l.mtls.unwrap_or(self.mtls);
        let (cert_set, key_set) = (some_path(cert).is_some(), some_path(key).is_some());
        let cert_key = file_key(l.tls_cert.is_some(), "tls_cert");
        let key_key = file_key(l.tls_key.is_some(), "tls_key");
        let ca_key = file_key(l.client_ca.is_some(), "client_ca");
        let mtls_key = file_key(l.mtls.is_some(), "mtls");
        match (cert_set, key_set) {
            (true, false) => problems.push(Problem::new(
                &key_key,
                format!("is missing: the listener {at} has a certificate but no key"),
            )),
            (false, true) => problems.push(Problem::new(
                &cert_key,
                format!("is missing: the listener {at} has a key but no certificate"),
            )),
            _ => {}
        }
        for (set, path, k) in [(cert_set, cert, &cert_key), (key_set, key, &key_key)] {
            if set && !path.is_file() {
                problems.push(Problem::new(k, not_a_file(path)));
            }
        }
        let ca_set = some_path(client_ca).is_some();
        if mtls && !ca_set {
            problems.push(Problem::new(
                &ca_key,
                format!(
                    "is missing: {mtls_key} = true needs the CA bundle client certificates are verified against"
                ),
            ));
        }
        if mtls && !cert_set {
            problems.push(Problem::new(
                &mtls_key,
                format!("needs TLS: the listener {at} has no tls_cert and tls_key"),
            ));
        }
        if ca_set && !mtls {
            problems.push(Problem::new(
                &ca_key,
                format!(
                    "is set but {mtls_key} is false, so client certificates would not be asked for; set mtls = true (or give --client-ca, which does both)"
                ),
            ));
        }
        if ca_set && !client_ca.is_file() {
            problems.push(Problem::new(&ca_key, not_a_file(client_ca)));
        }
    }
}

/// A listener name is a metric label and a header value: short and plain.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:[]".contains(&b))
}

fn unknown_log_type(name: &str) -> String {
    let names: Vec<&str> = LogType::ALL.iter().map(|t| t.as_str()).collect();
    format!(
        "{name:?} is not a log type: use \"auto\" or one of {}",
        names.join(", ")
    )
}

/// Why a custom template cannot be used, if it cannot: the parser's error, naming the byte.
fn template_problem(template: &str) -> Option<String> {
    if template.is_empty() {
        return None;
    }
    Template::parse(template).err().map(|e| e.to_string())
}

#[cfg(test)]
mod tests;
