//! `zpa-enricher generate --tcp`: the real binary streams LSS lines to a log receiver that the
//! test runs on a real socket, over plain TCP and over TLS with a client certificate.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use pretty_assertions::assert_eq;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;

use crate::common;

/// The start that makes generated records reproducible.
const START: &str = "2026-11-25T08:00:00Z";

/// What one connection carried, as the receiver read it.
#[derive(Debug, Default)]
struct Received {
    bytes: Vec<u8>,
    /// The client's certificate chain (TLS with client certificates only).
    client_chain: Vec<CertificateDer<'static>>,
    /// Whether the client ended TLS with `close_notify` (always true without TLS).
    clean_close: bool,
}

impl Received {
    fn lines(&self) -> Vec<&str> {
        std::str::from_utf8(&self.bytes).unwrap().lines().collect()
    }
}

/// A listener on a free loopback port.
fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    (l, addr)
}

/// Accepts one connection and reads it to its end (TLS when `tls` is given).
fn receive_one(listener: TcpListener, tls: Option<Arc<ServerConfig>>) -> JoinHandle<Received> {
    std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        read_all(sock, tls)
    })
}

fn read_all(sock: TcpStream, tls: Option<Arc<ServerConfig>>) -> Received {
    let mut received = Received::default();
    match tls {
        None => {
            BufReader::new(sock)
                .read_to_end(&mut received.bytes)
                .unwrap();
            received.clean_close = true;
        }
        Some(config) => {
            let mut stream = StreamOwned::new(ServerConnection::new(config).unwrap(), sock);
            // rustls reports an end without close_notify as an error.
            received.clean_close = stream.read_to_end(&mut received.bytes).is_ok();
            received.client_chain = stream
                .conn
                .peer_certificates()
                .map(<[CertificateDer<'_>]>::to_vec)
                .unwrap_or_default()
                .into_iter()
                .map(CertificateDer::into_owned)
                .collect();
        }
    }
    received
}

/// The records `generate` writes to stdout with the same arguments.
fn generated_lines(args: &[&str]) -> Vec<u8> {
    let out = common::run(&[&["generate"], args].concat(), b"");
    assert!(out.status.success(), "{}", common::stderr(&out));
    out.stdout
}

/// Every line of `bytes` enriched as a readable record by `enrich` (none invalid).
fn assert_valid_records(bytes: &[u8], expected: usize) {
    let out = common::run(&["enrich", "--stats", "json"], bytes);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let stderr = common::stderr(&out);
    let summary: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(summary["records"], expected, "{summary}");
    assert_eq!(summary["invalid"], 0, "{summary}");
}

#[test]
fn plain_tcp_carries_exactly_the_records_generate_writes() {
    let (l, addr) = listener();
    let server = receive_one(l, None);
    let args = ["-n", "400", "--seed", "7", "--start", START];
    let out = common::run(&[&["generate", "--tcp", &addr], &args[..]].concat(), b"");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let received = server.join().unwrap();
    assert_eq!(received.lines().len(), 400);
    assert_eq!(
        String::from_utf8(received.bytes.clone()).unwrap(),
        String::from_utf8(generated_lines(&args)).unwrap()
    );
    assert_valid_records(&received.bytes, 400);
    assert!(
        common::stderr(&out).contains("connected to the receiver (plain TCP)"),
        "{}",
        common::stderr(&out)
    );
}

/// A certificate authority for the tests.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { issuer }
    }

    fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A leaf certificate with these names, for a server or a client; PEM chain and key.
    fn issue(&self, cn: &str, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        }
    }
}

struct Leaf {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
}

impl Leaf {
    /// Writes the certificate and key to `dir` as `<name>.crt` and `<name>.key`.
    fn write(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let cert = dir.join(format!("{name}.crt"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&cert, &self.cert_pem).unwrap();
        std::fs::write(&key, &self.key_pem).unwrap();
        (cert, key)
    }
}

/// A TLS server configuration with `server`'s certificate; with `client_ca`, client
/// certificates signed by it are required.
fn server_config(server: &Leaf, client_ca: Option<&Ca>) -> Arc<ServerConfig> {
    #[allow(deprecated, reason = "ring, as the code under test uses")]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.der()).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let chain = vec![server.der.clone()];
    let key = PrivateKeyDer::from_pem_slice(server.key_pem.as_bytes()).unwrap();
    Arc::new(builder.with_single_cert(chain, key).unwrap())
}

#[test]
fn tls_with_a_client_certificate_reaches_a_receiver_that_requires_one() {
    let dir = tempfile::tempdir().unwrap();
    // As with LSS: the receiver's certificate comes from one CA (a public one in real life), the
    // App Connector's client certificate from another (its enrollment CA).
    let server_ca = Ca::new("Receiver CA");
    let client_ca = Ca::new("App Connector enrollment CA");
    let server = server_ca.issue(
        "receiver.test",
        &["receiver.test"],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let client = client_ca.issue(
        "connector-1",
        &["connector-1.test"],
        ExtendedKeyUsagePurpose::ClientAuth,
    );
    let ca_file = dir.path().join("receiver-ca.crt");
    std::fs::write(&ca_file, server_ca.issuer.pem()).unwrap();
    let (cert_file, key_file) = client.write(dir.path(), "client");

    let (l, addr) = listener();
    let receiver = receive_one(l, Some(server_config(&server, Some(&client_ca))));
    let args = ["-n", "300", "--seed", "11", "--start", START];
    let out = common::run(
        &[
            &[
                "generate",
                "--tcp",
                &addr,
                "--tls-ca",
                ca_file.to_str().unwrap(),
                "--tls-cert",
                cert_file.to_str().unwrap(),
                "--tls-key",
                key_file.to_str().unwrap(),
                // The certificate names receiver.test, the address is 127.0.0.1.
                "--tls-server-name",
                "receiver.test",
            ],
            &args[..],
        ]
        .concat(),
        b"",
    );
    let stderr = common::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    let received = receiver.join().unwrap();
    assert_eq!(received.client_chain, vec![client.der.clone()]);
    assert!(received.clean_close, "no close_notify at the end");
    assert_eq!(received.lines().len(), 300);
    assert_eq!(received.bytes, generated_lines(&args));
    assert_valid_records(&received.bytes, 300);
    assert!(stderr.contains("client_certificate=true"), "{stderr}");
}

#[test]
fn a_receiver_certificate_from_an_untrusted_ca_ends_the_run_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let other_ca = Ca::new("Some other CA");
    let server_ca = Ca::new("Receiver CA");
    let server = server_ca.issue(
        "localhost",
        &["localhost", "127.0.0.1"],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let ca_file = dir.path().join("other-ca.crt");
    std::fs::write(&ca_file, other_ca.issuer.pem()).unwrap();

    let (l, addr) = listener();
    let receiver = receive_one(l, Some(server_config(&server, None)));
    let out = common::run(
        &[
            "generate",
            "--tcp",
            &addr,
            "--tls-ca",
            ca_file.to_str().unwrap(),
            "-n",
            "10",
        ],
        b"",
    );
    let stderr = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("error: TLS handshake with {addr} failed")),
        "{stderr}"
    );
    assert!(stderr.contains("UnknownIssuer"), "{stderr}");
    let received = receiver.join().unwrap();
    assert!(received.bytes.is_empty());
}

#[test]
fn a_refused_connection_ends_the_run_after_the_deadline_with_the_reason() {
    // A port that was free a moment ago and has no listener now.
    let addr = listener().1;
    let out = common::run(
        &[
            "generate",
            "--tcp",
            &addr,
            "-n",
            "10",
            "--connect-deadline-secs",
            "1",
        ],
        b"",
    );
    let stderr = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with(&format!("error: cannot connect to {addr} within 1 s: ")),
        "{stderr}"
    );
    assert!(last.to_lowercase().contains("refused"), "{stderr}");
    assert!(
        stderr.contains("cannot connect to the receiver; trying again"),
        "{stderr}"
    );
}

/// Reads whole lines from `reader` until `n` have arrived; returns them.
fn read_lines(reader: &mut impl BufRead, n: usize) -> Vec<String> {
    let mut lines = Vec::new();
    while lines.len() < n {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        lines.push(line);
    }
    lines
}

fn terminate(child: &Child) {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
}

#[test]
fn a_dropped_connection_is_made_again_and_carries_on_with_whole_lines() {
    let (l, addr) = listener();
    let child = common::bin()
        .args(["generate", "--tcp", &addr, "-n", "0", "--rate", "1000"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (second_started, wait_second) = mpsc::channel();
    let server = std::thread::spawn(move || {
        // The first connection: 50 lines, then the receiver goes away mid-stream.
        let (first, _) = l.accept().unwrap();
        let before = read_lines(&mut BufReader::new(first), 50);
        // The second: 50 lines, then the test stops the generator, then everything to the end.
        let (second, _) = l.accept().unwrap();
        let mut reader = BufReader::new(second);
        let mut after = read_lines(&mut reader, 50);
        second_started.send(()).unwrap();
        let mut rest = String::new();
        reader.read_to_string(&mut rest).unwrap();
        after.extend(rest.lines().map(|l| format!("{l}\n")));
        (before, after)
    });
    wait_second.recv().unwrap();
    terminate(&child);
    let out: Output = child.wait_with_output().unwrap();
    let stderr = common::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    let (before, after) = server.join().unwrap();
    assert_eq!(before.len(), 50);
    assert!(after.len() >= 50, "{}", after.len());
    assert!(
        stderr.contains("lost the connection to the receiver"),
        "{stderr}"
    );
    // Every line on either connection is a whole record: a line cut by the drop is not
    // continued on the new connection.
    let all: String = before.iter().chain(&after).map(String::as_str).collect();
    assert!(all.ends_with('\n'));
    assert_valid_records(all.as_bytes(), before.len() + after.len());
}
