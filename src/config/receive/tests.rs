use std::io::Write;

use crate::config::{ConfigError, Override, Settings, Sources};
use crate::event::LogType;

use super::*;

fn load(file: Option<&str>, overrides: &[(&str, Override)]) -> Result<Settings, Vec<String>> {
    let tmp = file.map(|text| {
        let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    });
    let sources = Sources {
        file: tmp.as_ref().map(|f| f.path().to_owned()),
        env: Some(Default::default()),
        overrides: overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        receive: true,
    };
    match Settings::load(&sources) {
        Ok(s) => Ok(s),
        Err(ConfigError::Invalid(problems)) => {
            Err(problems.iter().map(ToString::to_string).collect())
        }
        Err(e) => Err(vec![e.to_string()]),
    }
}

fn pem_files() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, "not checked here").unwrap();
    std::fs::write(&key, "not checked here").unwrap();
    let cert = cert.display().to_string();
    let key = key.display().to_string();
    (dir, cert, key)
}

#[test]
fn listen_flags_take_the_section_defaults() {
    let s = load(
        None,
        &[
            (
                "receive.listen",
                Override::List(vec!["127.0.0.1:9018".into(), "127.0.0.1:9019".into()]),
            ),
            ("receive.format", "csv".into()),
        ],
    )
    .unwrap();
    let listeners = s.receive.listeners();
    assert_eq!(listeners.len(), 2);
    assert_eq!(listeners[0].name, "127.0.0.1:9018");
    assert_eq!(listeners[1].addr, "127.0.0.1:9019");
    assert!(listeners.iter().all(|l| l.format == LineFormat::Csv));
    assert!(
        listeners
            .iter()
            .all(|l| l.tls.is_none() && l.log_type.is_none())
    );
    assert_eq!(listeners[0].max_connections, 256);
}

#[test]
fn listener_entries_override_the_defaults() {
    let (_dir, cert, key) = pem_files();
    let text = format!(
        r#"
[receive]
tls_cert = "{cert}"
tls_key = "{key}"
client_ca = "{cert}"
mtls = true
max_connections_per_listener = 10

[[receive.listeners]]
name = "user_activity"
addr = "127.0.0.1:9018"
log_type = "user_activity"
format = "json"
max_connections = 3

[[receive.listeners]]
addr = "127.0.0.1:9019"
mtls = false
client_ca = ""
template = "%s{{LogTimestamp:time}},%s{{SessionID}}\n"
"#
    );
    let s = load(Some(&text), &[]).unwrap();
    let l = s.receive.listeners();
    assert_eq!(l[0].name, "user_activity");
    assert_eq!(l[0].log_type, Some(LogType::UserActivity));
    assert_eq!(l[0].format, LineFormat::Json);
    assert_eq!(l[0].max_connections, 3);
    let tls = l[0].tls.as_ref().unwrap();
    assert_eq!(tls.client_ca.as_deref(), Some(std::path::Path::new(&cert)));
    assert_eq!(l[1].name, "127.0.0.1:9019");
    assert_eq!(l[1].max_connections, 10);
    assert!(l[1].tls.as_ref().unwrap().client_ca.is_none());
    assert!(l[1].template.as_deref().unwrap().contains("%s{SessionID}"));
}

#[test]
fn every_problem_is_listed() {
    let text = r#"
[receive]
topic = "bad topic"
log_type = "user_activty"
max_line_bytes = 10
mtls = true

[[receive.listeners]]
addr = "127.0.0.1:9018"
tls_cert = "/nonexistent/cert.pem"

[[receive.listeners]]
name = "a b"
addr = "nowhere"
log_type = "nope"
template = "%s{SessionID},%q{Customer}"

[[receive.listeners]]
addr = "127.0.0.1:9018"
"#;
    let problems = load(Some(text), &[]).unwrap_err();
    let all = problems.join("\n");
    for expected in [
        "receive.topic",
        "receive.log_type: \"user_activty\" is not a log type",
        "receive.max_line_bytes: 10 is out of range",
        "receive.listeners[0].tls_cert: /nonexistent/cert.pem does not exist",
        "has a certificate but no key",
        "receive.client_ca: is missing: receive.mtls = true needs the CA bundle",
        "receive.listeners[1].name: \"a b\" is not a listener name",
        "receive.listeners[1].addr: \"nowhere\"",
        "receive.listeners[1].log_type: \"nope\" is not a log type",
        "receive.listeners[1].template: template error at byte 15: unknown spec \"q\"",
        "receive.listeners[2].addr: \"127.0.0.1:9018\" is already the address of receive.listeners[0]",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
}

#[test]
fn no_listener_is_a_problem_only_for_receive() {
    let problems = load(None, &[]).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("receive.listen: no listener"))
    );
    // The other commands do not look at the section's values.
    let sources = Sources {
        env: Some(Default::default()),
        ..Sources::default()
    };
    assert!(Settings::load(&sources).is_ok());
}

#[test]
fn client_ca_without_mtls_is_refused_with_the_fix() {
    let (_dir, cert, key) = pem_files();
    let problems = load(
        None,
        &[
            (
                "receive.listen",
                Override::List(vec!["127.0.0.1:9018".into()]),
            ),
            ("receive.tls_cert", cert.as_str().into()),
            ("receive.tls_key", key.as_str().into()),
            ("receive.client_ca", cert.as_str().into()),
        ],
    )
    .unwrap_err();
    assert!(
        problems.iter().any(|p| p.contains("mtls = true")),
        "{problems:?}"
    );
    let ok = load(
        None,
        &[
            (
                "receive.listen",
                Override::List(vec!["127.0.0.1:9018".into()]),
            ),
            ("receive.tls_cert", cert.as_str().into()),
            ("receive.tls_key", key.as_str().into()),
            ("receive.client_ca", cert.as_str().into()),
            ("receive.mtls", "true".into()),
        ],
    )
    .unwrap();
    assert!(
        ok.receive.listeners()[0]
            .tls
            .as_ref()
            .unwrap()
            .client_ca
            .is_some()
    );
}

#[test]
fn raw_topic_must_differ_from_the_others() {
    let problems = load(
        None,
        &[
            (
                "receive.listen",
                Override::List(vec!["127.0.0.1:9018".into()]),
            ),
            ("receive.enrich", "true".into()),
            ("receive.topic", "zpa.enriched".into()),
            ("kafka.output_topic", "zpa.enriched".into()),
        ],
    )
    .unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("also kafka.output_topic")),
        "{problems:?}"
    );
}

#[test]
fn listen_from_the_environment_is_a_list() {
    let sources = Sources {
        env: Some(
            [(
                "ZPA_ENRICHER__RECEIVE__LISTEN".to_owned(),
                "127.0.0.1:9018, 127.0.0.1:9019".to_owned(),
            )]
            .into_iter()
            .collect(),
        ),
        receive: true,
        ..Sources::default()
    };
    let s = Settings::load(&sources).unwrap();
    assert_eq!(s.receive.listen, ["127.0.0.1:9018", "127.0.0.1:9019"]);
}
