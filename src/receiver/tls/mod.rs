//! TLS as LSS does it: the receiver holds a server certificate (the App Connector trusts public
//! roots and its enrollment CA), and with mutual TLS requires a client certificate that verifies
//! against the configured CA bundle. TLS 1.2 and 1.3 only, with the `ring` provider.
//!
//! Each TLS listener has a [`TlsSlot`] holding its current configuration. A handshake takes the
//! configuration in the slot when it starts, so a reload ([`watch`]: on file change, checked
//! every `tls_reload_interval_secs`, and on SIGHUP) changes what new connections get and never
//! touches the established ones. New files are read and checked in full before they replace
//! anything: a bad file is logged and counted, and the old configuration stays.

mod subject;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::metrics::{ReceiveMetrics, TlsFailure};

pub(crate) use subject::subject;

/// The certificate files of a TLS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM server certificate chain, the server's own certificate first.
    pub cert: PathBuf,
    /// PEM private key of the server certificate (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM CA bundle that client certificates must verify against; `Some` requires a client
    /// certificate from every client (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

/// Why certificate files cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read or holds no readable PEM of the kind expected.
    #[error("cannot read the {what} from {}: {reason}", path.display())]
    File {
        /// Which file: "server certificate", "private key", "client CA bundle".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// rustls refused the certificate and key (they do not match, an unsupported key type).
    #[error("the server certificate {} and key {} cannot be used: {source}", cert.display(), key.display())]
    Certificate {
        /// The certificate chain file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        #[source]
        source: rustls::Error,
    },
    /// The client CA bundle cannot verify client certificates.
    #[error("the client CA bundle {} cannot verify client certificates: {reason}", path.display())]
    ClientCa {
        /// The bundle.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The crypto provider of every listener: *ring*. rustls marks it deprecated for lacking
/// post-quantum key exchange, which only the aws-lc provider has; aws-lc needs cmake and nasm
/// to build, and App Connectors do not offer post-quantum groups anyway.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn file_error(what: &'static str, path: &Path, reason: &impl ToString) -> TlsError {
    TlsError::File {
        what,
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

/// Reads the files of `opts` and builds a server configuration from them.
///
/// # Errors
/// A file cannot be read or parsed, the key does not fit the certificate, or the CA bundle
/// holds no usable certificate.
pub(crate) fn server_config(opts: &TlsOptions) -> Result<Arc<ServerConfig>, TlsError> {
    const CERT: &str = "server certificate";
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&opts.cert)
        .map_err(|e| file_error(CERT, &opts.cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_error(CERT, &opts.cert, &e))?;
    if certs.is_empty() {
        return Err(file_error(CERT, &opts.cert, &"no CERTIFICATE in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&opts.key)
        .map_err(|e| file_error("private key", &opts.key, &e))?;
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|source| TlsError::Certificate {
            cert: opts.cert.clone(),
            key: opts.key.clone(),
            source,
        })?;
    let builder = match &opts.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let roots = client_roots(ca)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::ClientCa {
                    path: ca.clone(),
                    reason: e.to_string(),
                })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder
        .with_single_cert(certs, key)
        .map_err(|source| TlsError::Certificate {
            cert: opts.cert.clone(),
            key: opts.key.clone(),
            source,
        })?;
    Ok(Arc::new(config))
}

/// The trust anchors of a client CA bundle: every certificate in it must be usable.
fn client_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    const CA: &str = "client CA bundle";
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| file_error(CA, path, &e))? {
        let cert = cert.map_err(|e| file_error(CA, path, &e))?;
        roots.add(cert).map_err(|e| TlsError::ClientCa {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    }
    if roots.is_empty() {
        return Err(file_error(CA, path, &"no CERTIFICATE in the file"));
    }
    Ok(roots)
}

/// What identifies a version of a file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    // `metadata` follows symlinks: a Kubernetes secret updated by swapping its link shows as a
    // new inode.
    let md = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: md.modified().ok(),
        len: md.len(),
        inode: md.ino(),
    })
}

/// The current TLS configuration of one listener, and the files it came from.
#[derive(Debug)]
pub(crate) struct TlsSlot {
    listener: String,
    files: TlsOptions,
    current: RwLock<Arc<ServerConfig>>,
    /// The stamps of the files as they were when last read (certificate, key, CA bundle).
    stamps: Mutex<[Option<Stamp>; 3]>,
}

impl TlsSlot {
    /// Loads the files of the listener named `listener`.
    ///
    /// # Errors
    /// As [`server_config`].
    pub(crate) fn load(listener: &str, files: TlsOptions) -> Result<Self, TlsError> {
        let stamps = stamps(&files);
        let config = server_config(&files)?;
        Ok(Self {
            listener: listener.to_owned(),
            files,
            current: RwLock::new(config),
            stamps: Mutex::new(stamps),
        })
    }

    /// The configuration a new connection's handshake uses.
    pub(crate) fn current(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reads the files again if they changed since they were last read, or if `forced`;
    /// `None` when they did not change. The configuration is replaced only on success.
    fn reload(&self, forced: bool) -> Option<Result<(), TlsError>> {
        let now = stamps(&self.files);
        {
            let mut last = self.stamps.lock().unwrap_or_else(PoisonError::into_inner);
            if !forced && *last == now {
                return None;
            }
            // Taken before reading: a file written again while it is read shows as a change
            // at the next check.
            *last = now;
        }
        Some(server_config(&self.files).map(|config| {
            *self.current.write().unwrap_or_else(PoisonError::into_inner) = config;
        }))
    }
}

fn stamps(files: &TlsOptions) -> [Option<Stamp>; 3] {
    [
        stamp(&files.cert),
        stamp(&files.key),
        files.client_ca.as_deref().and_then(stamp),
    ]
}

/// Reloads the certificate files of `slots` when they change (checked every `interval`; `None`:
/// only on SIGHUP) and on every message of `hup`, until `shutdown`.
pub(crate) async fn watch(
    slots: Vec<Arc<TlsSlot>>,
    interval: Option<Duration>,
    mut hup: mpsc::Receiver<()>,
    metrics: ReceiveMetrics,
    shutdown: CancellationToken,
) {
    let period = interval.unwrap_or(Duration::from_secs(3600));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut hup_open = true;
    loop {
        if !hup_open && interval.is_none() {
            return;
        }
        let forced = tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick(), if interval.is_some() => false,
            msg = hup.recv(), if hup_open => match msg {
                Some(()) => true,
                None => {
                    hup_open = false;
                    continue;
                }
            },
        };
        for slot in &slots {
            let slot = Arc::clone(slot);
            // File reads and key parsing are blocking work.
            let done = tokio::task::spawn_blocking(move || {
                let result = slot.reload(forced);
                (slot, result)
            })
            .await;
            let Ok((slot, Some(result))) = done else {
                continue;
            };
            match result {
                Ok(()) => {
                    metrics.tls_reloaded(true);
                    tracing::info!(listener = %slot.listener, cert = %slot.files.cert.display(), "certificates reloaded; new connections use them");
                }
                Err(e) => {
                    metrics.tls_reloaded(false);
                    tracing::error!(listener = %slot.listener, error = %crate::errors::error_chain(&e), "certificate reload rejected; the certificates in use stay");
                }
            }
        }
    }
}

/// Why a handshake failed, from the error the acceptor returned.
pub(crate) fn failure(e: &io::Error) -> TlsFailure {
    if let Some(tls) = e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        return match tls {
            rustls::Error::NoCertificatesPresented => TlsFailure::NoClientCertificate,
            rustls::Error::InvalidCertificate(_) => TlsFailure::BadClientCertificate,
            _ => TlsFailure::Protocol,
        };
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => TlsFailure::ClosedDuringHandshake,
        _ => TlsFailure::Protocol,
    }
}

#[cfg(test)]
mod tests;
