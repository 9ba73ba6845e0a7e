//! What the receive tests share: the `receive` service as a child process, line clients over
//! TCP and TLS, certificates, and test lines.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::cast_possible_truncation
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
};
use rdkafka::Message;
use rdkafka::message::OwnedMessage;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::common;
use crate::common::kafka::{brokers, create_topics, free_port, header, http_get, metric, unique};

/// Generous: the tests wait for conditions, never for a time.
pub const T: Duration = Duration::from_secs(60);

/// The topics of one test.
#[derive(Debug, Clone)]
pub struct Topics {
    pub raw: String,
    pub output: String,
    pub dlq: String,
}

impl Topics {
    /// Three new topics named after `name`, with `partitions` each.
    pub fn new(name: &str, partitions: i32) -> Self {
        let base = unique(name);
        let t = Self {
            raw: format!("{base}.raw"),
            output: format!("{base}.enriched"),
            dlq: format!("{base}.dlq"),
        };
        create_topics(&[
            (&t.raw, partitions),
            (&t.output, partitions),
            (&t.dlq, partitions),
        ]);
        t
    }
}

/// A `zpa-enricher receive` child process.
pub struct Receive {
    child: Child,
    pub metrics_port: u16,
    /// The address of the listener given with `--listen`.
    pub addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

/// How to start one.
#[derive(Debug, Clone)]
pub struct Spec {
    pub topics: Topics,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub config: Option<PathBuf>,
}

impl Spec {
    pub fn new(topics: &Topics) -> Self {
        Self {
            topics: topics.clone(),
            args: Vec::new(),
            env: Vec::new(),
            config: None,
        }
    }

    /// Sets `ZPA_ENRICHER__<KEY>`.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env
            .push((format!("ZPA_ENRICHER__{key}"), value.to_owned()));
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn config(mut self, path: &Path) -> Self {
        self.config = Some(path.to_owned());
        self
    }
}

impl Receive {
    /// Starts the receiver with one `--listen` address on a free port, and waits until it is
    /// ready.
    pub fn start(spec: &Spec) -> Receive {
        let metrics_port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let mut cmd = common::bin();
        if let Some(config) = &spec.config {
            cmd.arg("--config").arg(config);
        }
        cmd.args([
            "receive",
            "--brokers",
            &brokers(),
            "--topic",
            &spec.topics.raw,
            "--dlq-topic",
            &spec.topics.dlq,
            "--output-topic",
            &spec.topics.output,
            "--listen",
            &addr.to_string(),
            "--metrics-addr",
            &format!("127.0.0.1:{metrics_port}"),
        ])
        .args(&spec.args)
        .env("ZPA_ENRICHER__KAFKA__LINGER_MS", "1")
        .env(
            "RUST_LOG",
            "info,zpa_enricher=debug,librdkafka=warn,rdkafka=warn",
        );
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let mut r = Receive {
            child,
            metrics_port,
            addr,
            log,
        };
        r.wait_ready();
        r
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        http_get(self.metrics_port, path)
    }

    pub fn metrics(&self) -> String {
        self.get("/metrics").map(|(_, b)| b).unwrap_or_default()
    }

    /// The value of a metric sample (a bare name sums its series).
    pub fn metric(&self, name: &str) -> f64 {
        metric(&self.metrics(), name).unwrap_or(0.0)
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + T;
        loop {
            if let Some((200, _)) = self.get("/readyz") {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("receive exited with {status} before ready:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "not ready:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `name` reaches `value`.
    pub fn wait_metric(&self, name: &str, value: f64) {
        let deadline = Instant::now() + T;
        loop {
            let now = self.metric(name);
            if now >= value {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} = {now}, never {value}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then the exit status and the log.
    pub fn stop(self) -> (ExitStatus, String) {
        common::kafka::signal(self.child.id(), "TERM");
        self.wait_exit()
    }

    pub fn wait_exit(mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + T;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.log());
            }
            assert!(Instant::now() < deadline, "still running:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Peak resident memory so far, in KiB (Linux `VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Receive {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            common::kafka::signal(self.child.id(), "KILL");
            self.child.wait().ok();
        }
    }
}

/// A User Activity line (JSON, no newline) of session `session`, numbered `seq`, padded with
/// a `Host` of `pad` bytes.
pub fn line(session: &str, seq: usize, pad: usize) -> String {
    format!(
        r#"{{"LogTimestamp":"Wed Dec  1 10:38:41 2021","Customer":"Example","SessionID":"{session}","ConnectionID":"{session},conn","InternalReason":"","ConnectionStatus":"open","Seq":{seq},"Host":"{}"}}"#,
        "h".repeat(pad)
    )
}

/// The `Seq` of a record written by [`line`].
pub fn seq(m: &OwnedMessage) -> usize {
    let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
    usize::try_from(v["Seq"].as_u64().unwrap()).unwrap()
}

/// A header's value as text.
pub fn header_text(m: &OwnedMessage, key: &str) -> Option<String> {
    header(m, key).map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Every header of a record, as text.
pub fn headers(m: &OwnedMessage) -> HashMap<String, String> {
    use rdkafka::message::Headers;
    m.headers()
        .map(|h| {
            h.iter()
                .map(|h| {
                    (
                        h.key.to_owned(),
                        String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A CA, and server and client certificates it signed, as PEM files in a folder.
pub struct Pki {
    pub dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

fn params(cn: &str, sans: &[&str]) -> CertificateParams {
    let mut p =
        CertificateParams::new(sans.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Example");
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p
}

/// A certificate and key, as PEM.
pub struct Issued {
    pub cert: String,
    pub key: String,
}

impl Pki {
    /// A CA named `cn`, with `server.pem`/`server.key` for 127.0.0.1 and `ca.pem` written.
    pub fn new(cn: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut p = params(cn, &[]);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap();
        let pki = Pki { dir, ca };
        let server = pki.issue("receiver", &["localhost", "127.0.0.1"]);
        pki.write("server.pem", &server.cert);
        pki.write("server.key", &server.key);
        pki.write("ca.pem", &pki.ca_pem());
        pki
    }

    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    pub fn issue(&self, cn: &str, sans: &[&str]) -> Issued {
        let key = KeyPair::generate().unwrap();
        let cert = params(cn, sans).signed_by(&key, &self.ca).unwrap();
        Issued {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) {
        // Replaced whole, as a secret mount would be.
        let tmp = self.path(&format!(".{name}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(tmp, self.path(name)).unwrap();
    }

    /// The flags of a mutual-TLS listener with this PKI's files.
    pub fn flags(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.path("server.pem").display().to_string(),
            "--tls-key".into(),
            self.path("server.key").display().to_string(),
            "--client-ca".into(),
            self.path("ca.pem").display().to_string(),
        ]
    }
}

#[allow(deprecated)] // The ring provider, as the receiver's.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS client trusting `ca_pem`, presenting `cert` if given.
pub fn tls_client(ca_pem: &str, cert: Option<&Issued>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    Arc::new(match cert {
        None => builder.with_no_client_auth(),
        Some(c) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(c.cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(c.key.as_bytes()).unwrap(),
            )
            .unwrap(),
    })
}

/// A connection to the receiver: plain or TLS.
pub enum Client {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Client {
    pub fn plain(addr: SocketAddr) -> Client {
        Client::Plain(TcpStream::connect(addr).unwrap())
    }

    /// A TLS connection; the handshake completes with the first write.
    pub fn tls(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> Client {
        let tcp = TcpStream::connect(addr).unwrap();
        let conn =
            rustls::ClientConnection::new(config, ServerName::try_from("localhost").unwrap())
                .unwrap();
        Client::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)))
    }

    pub fn tcp(&self) -> &TcpStream {
        match self {
            Client::Plain(s) => s,
            Client::Tls(s) => &s.sock,
        }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.tcp().local_addr().unwrap()
    }

    /// Writes everything, or the error.
    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Client::Plain(s) => s.write_all(bytes),
            Client::Tls(s) => {
                s.write_all(bytes)?;
                s.flush()
            }
        }
    }

    /// Closes cleanly (TLS: `close_notify` first).
    pub fn close(self) {
        match self {
            Client::Plain(s) => {
                s.shutdown(std::net::Shutdown::Write).ok();
            }
            Client::Tls(mut s) => {
                s.conn.send_close_notify();
                s.flush().ok();
                s.sock.shutdown(std::net::Shutdown::Write).ok();
            }
        }
    }
}
