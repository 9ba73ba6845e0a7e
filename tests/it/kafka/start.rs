//! How `run` and `generate` fail at start when the cluster cannot be reached or refuses them:
//! with the Kafka client's own reason, at once when waiting cannot cure it. Against nothing
//! listening, a TLS server whose certificate is not trusted (`openssl s_server`), and the
//! Kafka-protocol test broker, which offers no SASL mechanism.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common;
use crate::common::kafka::{Service, ServiceSpec, free_port, shared_broker};

const T: Duration = Duration::from_secs(60);

fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    common::bin()
        .env("RUST_LOG", "error")
        .env("ZPA_ENRICHER__METRICS__ADDR", "127.0.0.1:0")
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn commands_without_a_reachable_broker_name_the_clients_reason() {
    // Nothing listens on the port: `run` and `generate` wait for metadata, then name what the
    // Kafka client reported, not only a final "transport failure" or "timed out".
    let brokers = format!("127.0.0.1:{}", free_port());
    // Both wait out the same deadline, side by side.
    let run = spawn(&["run", "--brokers", &brokers], &[]);
    let generate = spawn(
        &["generate", "-n", "5", "--brokers", &brokers, "--topic", "t"],
        &[],
    );
    for child in [run, generate] {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "exit code: {out:?}");
        let err = common::stderr(&out);
        assert!(
            err.contains(&format!(
                "error: cannot fetch metadata from {brokers} within 15 s: the Kafka client's last report: "
            )),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "Connect to ipv4#{brokers} failed: Connection refused"
            )),
            "{err}"
        );
    }
}

/// `openssl s_server` on a free port with a fresh self-signed certificate; killed on drop.
struct TlsServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl TlsServer {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=localhost", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("the openssl command (Debian package openssl)");
        assert!(made.success(), "openssl req: {made}");
        let port = free_port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-accept", &port.to_string(), "-cert"])
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "s_server did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Runs the command and checks that it was refused at once, without waiting out the metadata
/// deadline; returns its stderr.
fn refused_at_once(args: &[&str], env: &[(&str, &str)], brokers: &str) -> String {
    let out = spawn(args, env).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "exit code: {out:?}");
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!("error: cannot fetch metadata from {brokers}: ")),
        "{err}"
    );
    assert!(
        !err.contains("within 15 s"),
        "waited for the deadline: {err}"
    );
    err
}

#[test]
fn an_untrusted_broker_certificate_ends_the_start_at_once() {
    let server = TlsServer::start();
    let brokers = format!("127.0.0.1:{}", server.port);
    let err = refused_at_once(
        &["run", "--brokers", &brokers],
        &[("ZPA_ENRICHER__KAFKA__SECURITY__PROTOCOL", "ssl")],
        &brokers,
    );
    assert!(err.contains("certificate verify failed"), "{err}");
}

#[test]
fn refused_authentication_ends_the_start_at_once_with_the_clients_reason() {
    let _broker = shared_broker();
    // The test broker offers no SASL mechanism, so the handshake is refused: a failure that
    // waiting cannot cure, reported with librdkafka's own words rather than after the
    // metadata wait with a bare "transport failure". Mechanism and protocol are spelled as
    // in Kafka's own settings.
    let spec = ServiceSpec::new("sasl")
        .env("KAFKA__SECURITY__PROTOCOL", "SASL_PLAINTEXT")
        .env("KAFKA__SECURITY__SASL_MECHANISM", "scram-sha-512")
        .env("KAFKA__SECURITY__SASL_USERNAME", "analyst")
        .env("KAFKA__SECURITY__SASL_PASSWORD", "not-logged-9f3a");
    spec.create_topics(1);
    let svc = Service::start(&spec);
    let (status, log) = svc.wait_exit(T);
    assert_eq!(status.code(), Some(1), "exit code:\n{log}");
    let error = log
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line:\n{log}"));
    assert!(
        error.contains(&format!(
            "error: cannot fetch metadata from {}: ",
            common::kafka::brokers()
        )),
        "{error}"
    );
    assert!(
        error.contains("SASL SCRAM-SHA-512 mechanism handshake failed"),
        "{error}"
    );
    assert!(
        !error.contains("within"),
        "waited for the deadline: {error}"
    );
    assert!(!log.contains("not-logged-9f3a"), "{log}");
}

#[test]
fn generate_uses_the_kafka_security_settings() {
    let _broker = shared_broker();
    // The same refusal as the service's: `generate` connects with the `[kafka]` security
    // settings, not as a plaintext client.
    let brokers = common::kafka::brokers();
    let err = refused_at_once(
        &[
            "generate",
            "-n",
            "5",
            "--brokers",
            &brokers,
            "--topic",
            "sasl.generate",
        ],
        &[
            ("ZPA_ENRICHER__KAFKA__SECURITY__PROTOCOL", "sasl_plaintext"),
            ("ZPA_ENRICHER__KAFKA__SECURITY__SASL_MECHANISM", "PLAIN"),
            ("ZPA_ENRICHER__KAFKA__SECURITY__SASL_USERNAME", "analyst"),
            (
                "ZPA_ENRICHER__KAFKA__SECURITY__SASL_PASSWORD",
                "not-logged-9f3a",
            ),
        ],
        &brokers,
    );
    assert!(
        err.contains("SASL PLAIN mechanism handshake failed"),
        "{err}"
    );
    assert!(!err.contains("not-logged-9f3a"), "{err}");
}
