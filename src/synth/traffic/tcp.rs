//! Generated traffic to a log receiver over TCP, optionally TLS: [`Traffic::send_tcp`] writes
//! the schedule's records as lines, the way an App Connector streams LSS logs to a receiver.
//!
//! Blocking sockets on the calling thread, like the line writer: the pump is synchronous, and a
//! receiver that stops reading blocks the writes, which is the TCP backpressure an App Connector
//! meets. When the connection drops, the sink says so on stderr, waits with a growing back-off
//! and connects again. Lines the old connection had accepted may be lost, as LSS loses them (it
//! re-sends nothing it handed to a receiver); a line the old connection took only in part is not
//! sent again, so the new connection starts with a whole line.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_util::sync::CancellationToken;

use super::{Rendering, Sink, Traffic, TrafficCounts};
use crate::event::LineFormat;

/// Lines are collected up to this many bytes before they are written (and whenever nothing is
/// due): few system calls and TLS records at high rates, no delay at low ones.
const SEND_AT: usize = 64 * 1024;

/// How long one connection attempt (resolving aside) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the TLS handshake may take once connected.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The first wait after a failed attempt; it doubles up to [`BACKOFF_MAX`].
const BACKOFF_FIRST: Duration = Duration::from_millis(100);

/// The longest wait between two attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// At the end, how long to wait for the receiver to close its side after ours is closed.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a wait between attempts sleeps at most before it looks at the stop token again.
const NAP: Duration = Duration::from_millis(50);

/// What TLS needs from files: whom to trust, and the client certificate, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsClientFiles {
    /// PEM CA certificates that the receiver's certificate chain must lead to.
    pub ca: PathBuf,
    /// PEM certificate chain and PEM private key presented to the receiver (mutual TLS).
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// The name the receiver's certificate must be valid for (default: the host of the
    /// address).
    pub server_name: Option<String>,
}

/// A log receiver that [`Traffic::send_tcp`] streams generated lines to.
#[derive(Debug, Clone)]
pub struct TcpTarget {
    /// `HOST:PORT`.
    addr: String,
    /// The TLS client, when the receiver speaks TLS.
    tls: Option<TlsClient>,
    /// How long the sink keeps trying to connect, at the start or after losing the connection,
    /// before it gives up.
    deadline: Duration,
}

/// A TLS client configuration and the name it checks the receiver's certificate against.
#[derive(Debug, Clone)]
struct TlsClient {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
}

/// Why streaming to a receiver failed.
#[derive(Debug, thiserror::Error)]
pub enum TcpError {
    /// A TLS file cannot be read or holds nothing usable.
    #[error("cannot use {path} as {what}: {reason}")]
    TlsFile {
        /// What the file was to be ("the CA certificates", "the client key", ...).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS client cannot be set up with these files (a key that does not match the
    /// certificate, for instance).
    #[error("cannot set up the TLS client")]
    TlsConfig(#[source] rustls::Error),
    /// The name to check the receiver's certificate against is neither a DNS name nor an IP
    /// address.
    #[error("{0:?} is not a valid TLS server name (a DNS name or an IP address)")]
    ServerName(String),
    /// No connection could be made within the deadline at the start.
    #[error("cannot connect to {addr} within {secs} s")]
    Unreachable {
        /// The receiver.
        addr: String,
        /// The deadline.
        secs: u64,
        /// The last attempt's failure.
        #[source]
        last: io::Error,
    },
    /// The connection was lost and no new one could be made within the deadline.
    #[error("lost the connection to {addr} and could not connect again within {secs} s")]
    Lost {
        /// The receiver.
        addr: String,
        /// The deadline.
        secs: u64,
        /// The last attempt's failure.
        #[source]
        last: io::Error,
    },
    /// The TLS handshake failed for a reason trying again does not cure (an untrusted
    /// certificate, a name it is not valid for, no common protocol version).
    #[error("TLS handshake with {addr} failed")]
    Handshake {
        /// The receiver.
        addr: String,
        /// What TLS reported.
        #[source]
        source: rustls::Error,
    },
}

impl TcpTarget {
    /// The receiver at `addr` (`HOST:PORT`), over TLS when `tls` is given; connecting is tried
    /// for up to `deadline` before giving up.
    ///
    /// # Errors
    /// A TLS file cannot be read or used, or the server name is not valid.
    pub fn new(
        addr: &str,
        tls: Option<&TlsClientFiles>,
        deadline: Duration,
    ) -> Result<Self, TcpError> {
        let tls = tls.map(|files| TlsClient::load(addr, files)).transpose()?;
        Ok(Self {
            addr: addr.to_owned(),
            tls,
            deadline,
        })
    }

    /// Whether the receiver is reached over TLS.
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }
}

impl TlsClient {
    /// Reads the files and builds the client: TLS 1.2 and 1.3, the ring provider.
    fn load(addr: &str, files: &TlsClientFiles) -> Result<Self, TcpError> {
        let mut roots = RootCertStore::empty();
        let cas = read_certs("the CA certificates", &files.ca)?;
        let (added, _unusable) = roots.add_parsable_certificates(cas);
        if added == 0 {
            return Err(TcpError::TlsFile {
                what: "the CA certificates",
                path: files.ca.clone(),
                reason: "no usable CA certificate in it".into(),
            });
        }
        #[allow(
            deprecated,
            reason = "ring on purpose: aws-lc-rs, the provider with post-quantum key exchange, \
                      needs cmake and nasm to build; a traffic generator does not need it"
        )]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TcpError::TlsConfig)?
            .with_root_certificates(roots);
        let config = match &files.client_cert {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => builder
                .with_client_auth_cert(read_certs("the client certificate", cert)?, read_key(key)?)
                .map_err(TcpError::TlsConfig)?,
        };
        let name = files
            .server_name
            .clone()
            .unwrap_or_else(|| host_of(addr).to_owned());
        let server_name =
            ServerName::try_from(name.clone()).map_err(|_| TcpError::ServerName(name))?;
        Ok(Self {
            config: Arc::new(config),
            server_name,
        })
    }
}

/// The host part of `HOST:PORT`, without the brackets of an IPv6 address.
fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Every PEM certificate in `path` (at least one).
fn read_certs(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TcpError> {
    let problem = |reason: String| TcpError::TlsFile {
        what,
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| problem(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| problem(e.to_string()))?;
    if certs.is_empty() {
        return Err(problem("no PEM certificate in it".into()));
    }
    Ok(certs)
}

/// The PEM private key in `path` (PKCS#8, PKCS#1 or SEC1).
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TcpError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TcpError::TlsFile {
        what: "the client key",
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

impl Traffic {
    /// Streams `count` paced records plus the bursts to the receiver `to`, one per line of
    /// `template` (as [`Traffic::write_lines_as`] writes them), or until `stop` is cancelled; connects first, reconnects when the connection drops, and
    /// closes the connection cleanly at the end (TLS `close_notify`, then the TCP close, after
    /// which it waits briefly for the receiver to close its side). Blocks the calling thread.
    ///
    /// # Errors
    /// No connection within the target's deadline, at the start or after one was lost; a TLS
    /// handshake that trying again would not cure.
    pub fn send_tcp(
        &self,
        to: &TcpTarget,
        template: LineFormat,
        counts: &TrafficCounts,
        stop: &CancellationToken,
    ) -> Result<(), TcpError> {
        let mut sink = Streaming {
            to,
            conn: None,
            connected_once: false,
            pending: Vec::with_capacity(SEND_AT + 8192),
            counts,
            stop,
        };
        if !sink.reconnect()? {
            return Ok(());
        }
        match template {
            LineFormat::Csv | LineFormat::Tsv => {
                self.pump_into(&mut Rendering::new(&mut sink, template), stop)?;
            }
            LineFormat::Json | LineFormat::Auto => self.pump_into(&mut sink, stop)?,
        }
        sink.finish()
    }
}

/// An open connection to the receiver.
enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(buf),
            Self::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            Self::Tls(s) => s.flush(),
        }
    }

    /// Ends the connection cleanly: TLS `close_notify`, the write side shut, then what the
    /// receiver still sends (TLS session tickets, say) read and dropped until it closes too.
    /// Closing a socket with unread data makes the kernel reset the connection, and a reset
    /// may cost the receiver the last lines it had not read yet.
    fn close(self) -> io::Result<()> {
        let mut sock = match self {
            Self::Plain(s) => s,
            Self::Tls(mut s) => {
                s.conn.send_close_notify();
                s.flush()?;
                s.sock
            }
        };
        sock.shutdown(Shutdown::Write)?;
        sock.set_read_timeout(Some(CLOSE_TIMEOUT))?;
        let mut scratch = [0_u8; 4096];
        let until = Instant::now() + CLOSE_TIMEOUT;
        while Instant::now() < until {
            match sock.read(&mut scratch) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A timeout or a reset: nothing more to wait for.
                Err(_) => break,
            }
        }
        Ok(())
    }
}

/// How one connection attempt failed.
enum Attempt {
    /// Worth trying again (refused, unreachable, not resolvable yet, reset in the handshake).
    Retry(io::Error),
    /// Trying again would meet the same refusal.
    Fatal(TcpError),
}

/// The TCP [`Sink`] of [`Traffic::send_tcp`].
struct Streaming<'a> {
    to: &'a TcpTarget,
    conn: Option<Conn>,
    /// Whether a connection was ever made (a failure after that is a lost connection).
    connected_once: bool,
    /// Whole lines not yet written.
    pending: Vec<u8>,
    counts: &'a TrafficCounts,
    stop: &'a CancellationToken,
}

impl Streaming<'_> {
    /// Connects, trying again with a growing back-off until the deadline. False when the run
    /// was stopped meanwhile.
    fn reconnect(&mut self) -> Result<bool, TcpError> {
        let started = Instant::now();
        let mut wait = BACKOFF_FIRST;
        loop {
            let last = match self.attempt() {
                Ok(conn) => {
                    self.conn = Some(conn);
                    self.connected_once = true;
                    return Ok(true);
                }
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry(e)) => e,
            };
            let elapsed = started.elapsed();
            if elapsed >= self.to.deadline {
                let (addr, secs) = (self.to.addr.clone(), self.to.deadline.as_secs());
                return Err(if self.connected_once {
                    TcpError::Lost { addr, secs, last }
                } else {
                    TcpError::Unreachable { addr, secs, last }
                });
            }
            let nap = wait.min(self.to.deadline - elapsed);
            tracing::warn!(addr = %self.to.addr, error = %last,
                "cannot connect to the receiver; trying again in {} ms", nap.as_millis());
            let until = Instant::now() + nap;
            while Instant::now() < until {
                if self.stop.is_cancelled() {
                    return Ok(false);
                }
                std::thread::sleep(NAP.min(until.saturating_duration_since(Instant::now())));
            }
            wait = (wait * 2).min(BACKOFF_MAX);
        }
    }

    /// One attempt: resolve (every time: a name may only resolve once the receiver is up),
    /// connect to the first address that answers, and complete the TLS handshake.
    fn attempt(&self) -> Result<Conn, Attempt> {
        let addrs: Vec<SocketAddr> = self
            .to
            .addr
            .to_socket_addrs()
            .map_err(Attempt::Retry)?
            .collect();
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
        let mut sock = None;
        for a in &addrs {
            match TcpStream::connect_timeout(a, CONNECT_TIMEOUT) {
                Ok(s) => {
                    sock = Some(s);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let mut sock = sock.ok_or(Attempt::Retry(last))?;
        // Lines are already batched; Nagle's delay would only hold the last batch back.
        sock.set_nodelay(true).map_err(Attempt::Retry)?;
        let peer = sock.peer_addr().map_err(Attempt::Retry)?;
        let Some(tls) = &self.to.tls else {
            tracing::info!(addr = %self.to.addr, %peer, "connected to the receiver (plain TCP)");
            return Ok(Conn::Plain(sock));
        };
        let mut conn = ClientConnection::new(Arc::clone(&tls.config), tls.server_name.clone())
            .map_err(|e| Attempt::Fatal(TcpError::TlsConfig(e)))?;
        sock.set_read_timeout(Some(HANDSHAKE_TIMEOUT))
            .and_then(|()| sock.set_write_timeout(Some(HANDSHAKE_TIMEOUT)))
            .map_err(Attempt::Retry)?;
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut sock) {
                // A TLS error (certificate, alert, protocol) comes wrapped in the I/O error.
                return Err(
                    match e
                        .get_ref()
                        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                    {
                        Some(tls_error) => Attempt::Fatal(TcpError::Handshake {
                            addr: self.to.addr.clone(),
                            source: tls_error.clone(),
                        }),
                        None => Attempt::Retry(e),
                    },
                );
            }
        }
        // From here on a receiver that stops reading blocks the writes: backpressure.
        sock.set_read_timeout(None)
            .and_then(|()| sock.set_write_timeout(None))
            .map_err(Attempt::Retry)?;
        let version = conn
            .protocol_version()
            .and_then(|v| v.as_str())
            .unwrap_or("TLS");
        tracing::info!(addr = %self.to.addr, %peer, tls = version,
            client_certificate = tls.config.client_auth_cert_resolver.has_certs(),
            "connected to the receiver");
        Ok(Conn::Tls(Box::new(StreamOwned::new(conn, sock))))
    }

    /// Writes the pending lines, connecting again whenever the connection drops. False when
    /// the run was stopped while no connection could be made (the pending lines are dropped).
    fn send(&mut self) -> Result<bool, TcpError> {
        let mut pos = 0;
        while pos < self.pending.len() {
            let Some(conn) = self.conn.as_mut() else {
                if !self.reconnect()? {
                    self.pending.clear();
                    return Ok(false);
                }
                continue;
            };
            let error = match conn.write(&self.pending[pos..]) {
                Ok(0) => io::Error::from(io::ErrorKind::WriteZero),
                Ok(n) => {
                    pos += n;
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => e,
            };
            tracing::warn!(addr = %self.to.addr, %error,
                "lost the connection to the receiver; lines it had accepted may be lost; connecting again");
            self.conn = None;
            // A line the old connection took only in part is not sent again: its beginning
            // went with that connection.
            if pos > 0 && self.pending[pos - 1] != b'\n' {
                pos = memchr::memchr(b'\n', &self.pending[pos..])
                    .map_or(self.pending.len(), |i| pos + i + 1);
            }
        }
        self.pending.clear();
        if let Some(conn) = self.conn.as_mut()
            && let Err(error) = conn.flush()
        {
            tracing::warn!(addr = %self.to.addr, %error,
                "lost the connection to the receiver; lines it had accepted may be lost");
            self.conn = None;
        }
        Ok(true)
    }

    /// Writes what is pending and closes the connection cleanly.
    fn finish(mut self) -> Result<(), TcpError> {
        if !self.send()? {
            tracing::warn!(addr = %self.to.addr,
                "stopped while not connected: the last lines were not sent");
            return Ok(());
        }
        if let Some(conn) = self.conn.take()
            && let Err(error) = conn.close()
        {
            tracing::warn!(addr = %self.to.addr, %error,
                "the connection did not close cleanly; the last lines may be lost");
        }
        Ok(())
    }
}

impl Sink for Streaming<'_> {
    type Error = TcpError;

    fn put(&mut self, record: &[u8], burst: bool) -> Result<bool, TcpError> {
        self.pending.extend_from_slice(record);
        self.pending.push(b'\n');
        self.counts.sent.fetch_add(1, Ordering::Relaxed);
        if burst {
            self.counts.burst.fetch_add(1, Ordering::Relaxed);
        }
        if self.pending.len() >= SEND_AT {
            return self.send();
        }
        Ok(true)
    }

    fn idle(&mut self) -> Result<(), TcpError> {
        // A stop while disconnected is seen by the pump, which looks at the token next.
        self.send().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_of_an_address_loses_port_and_brackets() {
        assert_eq!(host_of("receiver:9018"), "receiver");
        assert_eq!(host_of("127.0.0.1:9018"), "127.0.0.1");
        assert_eq!(host_of("[::1]:9018"), "::1");
    }

    #[test]
    fn tls_files_that_hold_nothing_usable_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let files = TlsClientFiles {
            ca: empty.clone(),
            client_cert: None,
            server_name: None,
        };
        let e = TcpTarget::new("localhost:9018", Some(&files), Duration::from_secs(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains(&empty.display().to_string()), "{e}");
        assert!(e.contains("no PEM certificate"), "{e}");

        let missing = TlsClientFiles {
            ca: dir.path().join("missing.pem"),
            ..files
        };
        let e = TcpTarget::new("localhost:9018", Some(&missing), Duration::from_secs(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.pem"), "{e}");
    }

    #[test]
    fn a_server_name_must_be_a_dns_name_or_an_address() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["ca.example".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(&ca, cert.pem()).unwrap();
        let files = |name: Option<&str>| TlsClientFiles {
            ca: ca.clone(),
            client_cert: None,
            server_name: name.map(str::to_owned),
        };
        let deadline = Duration::from_secs(1);
        assert!(TcpTarget::new("receiver:9018", Some(&files(None)), deadline).is_ok());
        assert!(TcpTarget::new("10.0.0.7:9018", Some(&files(None)), deadline).is_ok());
        let e = TcpTarget::new("receiver:9018", Some(&files(Some("not a name!"))), deadline)
            .unwrap_err();
        assert!(matches!(e, TcpError::ServerName(_)), "{e}");
    }
}
