//! What a problem with a setting is, and the checks of single values that several settings
//! sections share (ranges, files, addresses). A leaf: it imports nothing of the crate.

use std::fmt;
use std::path::Path;

/// One problem with the settings: which key, what is wrong, and where the value came from.
///
/// The key is kept apart from the text, so that finding where a value came from never depends
/// on how a message is worded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    key: Vec<String>,
    text: String,
    named: bool,
    origin: Option<String>,
}

impl Problem {
    /// A problem of the setting at the dotted path `key` (`enrich.max_depth`), told as
    /// `key: text`.
    #[must_use]
    pub fn new(key: &str, text: impl Into<String>) -> Self {
        Self::at(key.split('.').map(str::to_owned).collect(), text)
    }

    /// A problem of the setting at the path of keys `path`, told as `a.b.c: text`.
    #[must_use]
    pub(crate) fn at(path: Vec<String>, text: impl Into<String>) -> Self {
        Self {
            key: path,
            text: text.into(),
            named: false,
            origin: None,
        }
    }

    /// A problem of the setting at `path` whose text names the setting itself, as problems of a
    /// librdkafka property do (`kafka.librdkafka."linger.ms" = "50" contradicts ...`): the
    /// text is told as it is.
    #[must_use]
    pub(crate) fn named(path: Vec<String>, text: impl Into<String>) -> Self {
        Self {
            key: path,
            text: text.into(),
            named: true,
            origin: None,
        }
    }

    /// The problem with where the value came from (`environment variable ...`, a file, `the
    /// command line`), unless that is already known.
    #[must_use]
    pub(crate) fn with_origin(mut self, origin: Option<String>) -> Self {
        if self.origin.is_none() {
            self.origin = origin.filter(|o| !o.is_empty());
        }
        self
    }

    /// The path of keys of the setting (`["kafka", "security", "protocol"]`).
    #[must_use]
    pub(crate) fn key(&self) -> &[String] {
        &self.key
    }

    /// The dotted key (`kafka.security.protocol`).
    #[must_use]
    pub(crate) fn dotted_key(&self) -> String {
        self.key.join(".")
    }

    /// What is wrong, without the key (unless the text names the setting itself).
    #[must_use]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.named {
            f.write_str(&self.text)?;
        } else {
            write!(f, "{}: {}", self.dotted_key(), self.text)?;
        }
        if let Some(origin) = &self.origin {
            write!(f, " [from {origin}]")?;
        }
        Ok(())
    }
}

/// The problem of `key = value` outside `lo..=hi`, if it is.
#[must_use]
pub(crate) fn out_of_range(key: &str, value: u64, lo: u64, hi: u64) -> Option<Problem> {
    (!(lo..=hi).contains(&value))
        .then(|| Problem::new(key, format!("{value} is out of range ({lo} to {hi})")))
}

/// Why a path setting names no file. A relative path is taken from the working directory (not
/// from the config file's folder), which the text says.
#[must_use]
pub(crate) fn not_a_file(path: &Path) -> String {
    let mut problem = format!("{} does not exist or is not a file", path.display());
    if path.is_relative()
        && let Ok(cwd) = std::env::current_dir()
    {
        problem.push_str(&format!(
            " (a relative path is taken from the working directory, {})",
            cwd.display()
        ));
    }
    problem
}

/// True when `s` has the shape `HOST:PORT`: something, a colon, and a port number.
#[must_use]
pub fn is_host_port(s: &str) -> bool {
    s.rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
}

/// Why `addr` is not an address to listen on (`IP:PORT`, or `HOST:PORT` with a host name that
/// resolves), or `None`.
#[must_use]
pub(crate) fn listen_address_problem(addr: &str) -> Option<String> {
    use std::net::ToSocketAddrs;
    if addr.parse::<std::net::SocketAddr>().is_ok() {
        return None;
    }
    let expected = "like 0.0.0.0:9464, [::]:9464 or localhost:9464";
    if !is_host_port(addr) {
        return Some(format!("is not an address {expected}"));
    }
    match addr.to_socket_addrs() {
        Ok(found) if found.len() > 0 => None,
        Ok(_) => Some(format!("names a host without addresses ({expected})")),
        Err(e) => Some(format!("names a host that does not resolve: {e}")),
    }
}

/// Why `url` is not an `http://` or `https://` URL with a host, or `None`. Credentials in the
/// URL (`https://user:secret@host`) are refused: they would show wherever the URL is shown.
/// With `base`, the URL is a base that paths are appended to, so it may have no query or
/// fragment either.
#[must_use]
pub fn url_problem(url: &str, base: bool) -> Option<String> {
    let expected = if base {
        "like https://api.example.com/zpa"
    } else {
        "like https://example.com/oauth2/v1/token"
    };
    if url.chars().any(char::is_whitespace) {
        return Some(format!("{url:?} contains white space"));
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = ["https://", "http://"]
        .iter()
        .find_map(|scheme| lower.starts_with(scheme).then(|| &url[scheme.len()..]))
    else {
        return Some(format!(
            "{url:?} is not an http:// or https:// URL ({expected})"
        ));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        // The URL is not repeated: it holds a secret.
        return Some(
            "the URL carries credentials (user:password@host); give them as settings of their \
             own, never in a URL"
                .to_owned(),
        );
    }
    let host = match authority.rsplit_once(':') {
        // A bracketed IPv6 address contains colons of its own.
        Some((host, port)) if !port.contains(']') => {
            if port.parse::<u16>().is_err() {
                return Some(format!("{url:?} has an invalid port {port:?}"));
            }
            host
        }
        _ => authority,
    };
    if host.is_empty() || host == "[]" {
        return Some(format!("{url:?} has no host ({expected})"));
    }
    if base && rest.contains(['?', '#']) {
        return Some(format!(
            "{url:?} has a query or fragment; give the base the API paths are appended to ({expected})"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_told_with_its_key_and_origin() {
        let p = Problem::new("enrich.max_depth", "0 is out of range (1 to 64)");
        assert_eq!(
            p.to_string(),
            "enrich.max_depth: 0 is out of range (1 to 64)"
        );
        assert_eq!(p.key(), ["enrich", "max_depth"]);
        let p = p.with_origin(Some("environment variable X".into()));
        assert_eq!(
            p.to_string(),
            "enrich.max_depth: 0 is out of range (1 to 64) [from environment variable X]"
        );
        // The first origin found stays.
        let p = p.with_origin(Some("the command line".into()));
        assert!(
            p.to_string().ends_with("[from environment variable X]"),
            "{p}"
        );
    }

    #[test]
    fn a_named_problem_is_told_as_written() {
        let path = vec!["kafka".into(), "librdkafka".into(), "linger.ms".into()];
        let p = Problem::named(path, "kafka.librdkafka.\"linger.ms\" = \"x\": invalid");
        assert_eq!(
            p.to_string(),
            "kafka.librdkafka.\"linger.ms\" = \"x\": invalid"
        );
        assert_eq!(p.key()[2], "linger.ms");
        let p = p.with_origin(Some(String::new()));
        assert!(!p.to_string().contains("[from"), "{p}");
    }

    #[test]
    fn ranges_and_addresses() {
        assert_eq!(out_of_range("a.b", 5, 1, 10), None);
        assert_eq!(
            out_of_range("a.b", 11, 1, 10).map(|p| p.to_string()),
            Some("a.b: 11 is out of range (1 to 10)".to_owned())
        );
        assert!(is_host_port("kafka:9092"));
        assert!(is_host_port("[::1]:9092"));
        assert!(!is_host_port(":9092"));
        assert!(!is_host_port("kafka"));
        assert_eq!(listen_address_problem("127.0.0.1:9464"), None);
        assert!(listen_address_problem("nowhere").is_some());
    }

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        for good in [
            "https://api.zsapi.net/zpa",
            "HTTP://127.0.0.1:8080",
            "http://[::1]:8080/x",
            "https://acme.zslogin.net/oauth2/v1/token",
        ] {
            assert_eq!(url_problem(good, true), None, "{good}");
        }
        for (bad, why) in [
            ("api.zsapi.net/zpa", "not an http:// or https:// URL"),
            ("ftp://host/x", "not an http:// or https:// URL"),
            ("https://", "has no host"),
            ("https:///path", "has no host"),
            ("https://host:99999", "invalid port"),
            ("https://user:pw@host", "carries credentials"),
            ("https://host/a b", "white space"),
            ("https://host/zpa?x=1", "has a query or fragment"),
        ] {
            let problem = url_problem(bad, true).unwrap_or_default();
            assert!(problem.contains(why), "{bad}: {problem}");
        }
        // A URL that is not a base may carry a query.
        assert_eq!(url_problem("https://host/token?x=1", false), None);
    }
}
