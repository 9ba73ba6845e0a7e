//! What the receive tests share: the `receive` service as a child process, line clients over
//! TCP and TLS, certificates, and test lines.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::cast_possible_truncation
)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
};
use rdkafka::Message;
use rdkafka::message::OwnedMessage;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::common;
use crate::common::kafka::{Service, brokers, create_topics, free_port, header, metric, unique};

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
    service: Service,
    pub metrics_port: u16,
    /// The address of the listener given with `--listen`.
    pub addr: SocketAddr,
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
        let mut service = Service::spawn(cmd, metrics_port);
        service.wait_ready(T);
        Receive {
            service,
            metrics_port,
            addr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.service.pid()
    }

    pub fn log(&self) -> String {
        self.service.log()
    }

    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        self.service.get(path)
    }

    /// The value of a metric sample (a bare name sums its series).
    pub fn metric(&self, name: &str) -> f64 {
        metric(&self.service.metrics(), name).unwrap_or(0.0)
    }

    /// Waits until `name` reaches `value`.
    pub fn wait_metric(&self, name: &str, value: f64) {
        self.service.wait_metric(name, value, T);
    }

    /// SIGTERM, then the exit status and the log.
    pub fn stop(self) -> (ExitStatus, String) {
        self.service.stop(T)
    }

    pub fn wait_exit(self) -> (ExitStatus, String) {
        self.service.wait_exit(T)
    }

    /// Peak resident memory so far, in KiB (Linux `VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        self.service.peak_rss_kib()
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

    /// Closes cleanly, as App Connectors close: TLS `close_notify` first, then the TCP close of
    /// the sending side, then waits for the receiver to close its side. Closing at once with
    /// unread bytes (TLS 1.3 session tickets) would make the kernel reset the connection and
    /// throw away what the receiver has not read yet.
    pub fn close(self) {
        let drain = |tcp: &TcpStream, read: &mut dyn Read| {
            tcp.shutdown(std::net::Shutdown::Write).ok();
            tcp.set_read_timeout(Some(T)).ok();
            let mut buf = [0u8; 4096];
            while matches!(read.read(&mut buf), Ok(n) if n > 0) {}
        };
        match self {
            Client::Plain(mut s) => {
                let tcp = s.try_clone().unwrap();
                drain(&tcp, &mut s);
            }
            Client::Tls(mut s) => {
                s.conn.send_close_notify();
                s.flush().ok();
                let tcp = s.sock.try_clone().unwrap();
                drain(&tcp, &mut s);
            }
        }
    }
}
