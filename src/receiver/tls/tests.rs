use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// A CA, a server certificate and a client certificate it signed, written to a folder.
struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
    client: (String, String),
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

fn ca(cn: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = params(cn, &[]);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(cn: &str, sans: &[&str], issuer: &CertifiedIssuer<'_, KeyPair>) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let cert = params(cn, sans).signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let authority = ca("Enrollment CA");
        let (cert, key) = leaf("receiver", &["localhost", "127.0.0.1"], &authority);
        std::fs::write(dir.path().join("server.pem"), cert).unwrap();
        std::fs::write(dir.path().join("server.key"), key).unwrap();
        std::fs::write(dir.path().join("ca.pem"), authority.pem()).unwrap();
        let client = leaf("connector-1", &["connector-1"], &authority);
        Pki {
            dir,
            ca_pem: authority.pem(),
            client,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn options(&self, mtls: bool) -> TlsOptions {
        TlsOptions {
            cert: self.path("server.pem"),
            key: self.path("server.key"),
            client_ca: mtls.then(|| self.path("ca.pem")),
        }
    }
}

fn client_config(pki: &Pki, cert: Option<&(String, String)>) -> Arc<rustls::ClientConfig> {
    client_config_of(pki, cert, &rustls::version::TLS13)
}

fn client_config_of(
    pki: &Pki,
    cert: Option<&(String, String)>,
    version: &'static rustls::SupportedProtocolVersion,
) -> Arc<rustls::ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca_pem.as_bytes()).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots);
    let config = match cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
            )
            .unwrap(),
    };
    Arc::new(config)
}

/// Runs a handshake of `client` against `server` over an in-memory pipe: the server's result
/// (the client certificate's subject, or why it failed).
async fn handshake(
    server: Arc<ServerConfig>,
    client: Arc<rustls::ClientConfig>,
) -> Result<Option<String>, TlsFailure> {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let client = tokio::spawn(async move {
        let connector = tokio_rustls::TlsConnector::from(client);
        let name = ServerName::try_from("localhost").unwrap();
        if let Ok(mut s) = connector.connect(name, b).await {
            // TLS 1.3: the server judges the client's certificate after the client is done.
            s.write_all(b"hello\n").await.ok();
            let mut buf = [0u8; 16];
            let _read = s.read(&mut buf).await;
        }
    });
    let accepted = tokio_rustls::TlsAcceptor::from(server).accept(a).await;
    let result = match accepted {
        Ok(s) => Ok(s
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|c| subject(c))),
        Err(e) => Err(failure(&e)),
    };
    client.abort();
    result
}

#[tokio::test]
async fn mutual_tls_accepts_a_client_of_the_ca_and_names_its_subject() {
    let pki = Pki::new();
    let server = server_config(&pki.options(true)).unwrap();
    let got = handshake(server, client_config(&pki, Some(&pki.client))).await;
    assert_eq!(got, Ok(Some("CN=connector-1,O=Example".into())));
}

#[tokio::test]
async fn tls_1_2_clients_are_served_too() {
    let pki = Pki::new();
    let server = server_config(&pki.options(true)).unwrap();
    let client = client_config_of(&pki, Some(&pki.client), &rustls::version::TLS12);
    let got = handshake(Arc::clone(&server), client).await;
    assert_eq!(got, Ok(Some("CN=connector-1,O=Example".into())));
    let client = client_config_of(&pki, None, &rustls::version::TLS12);
    let got = handshake(server, client).await;
    assert_eq!(got, Err(TlsFailure::NoClientCertificate));
}

#[tokio::test]
async fn mutual_tls_refuses_a_missing_or_foreign_client_certificate() {
    let pki = Pki::new();
    let server = server_config(&pki.options(true)).unwrap();
    let got = handshake(Arc::clone(&server), client_config(&pki, None)).await;
    assert_eq!(got, Err(TlsFailure::NoClientCertificate));
    let rogue = leaf("connector-1", &["connector-1"], &ca("Rogue CA"));
    let got = handshake(server, client_config(&pki, Some(&rogue))).await;
    assert_eq!(got, Err(TlsFailure::BadClientCertificate));
}

#[tokio::test]
async fn without_mutual_tls_any_client_is_accepted_without_a_subject() {
    let pki = Pki::new();
    let server = server_config(&pki.options(false)).unwrap();
    let got = handshake(server, client_config(&pki, None)).await;
    assert_eq!(got, Ok(None));
}

#[tokio::test]
async fn plain_text_and_a_vanishing_peer_are_told_apart() {
    let pki = Pki::new();
    let server = server_config(&pki.options(false)).unwrap();
    let (a, mut b) = tokio::io::duplex(4096);
    b.write_all(b"{\"SessionID\":\"s\"}\n").await.unwrap();
    let e = tokio_rustls::TlsAcceptor::from(Arc::clone(&server))
        .accept(a)
        .await
        .err()
        .unwrap();
    assert_eq!(failure(&e), TlsFailure::Protocol);
    let (a, b) = tokio::io::duplex(4096);
    drop(b);
    let e = tokio_rustls::TlsAcceptor::from(server)
        .accept(a)
        .await
        .err()
        .unwrap();
    assert_eq!(failure(&e), TlsFailure::ClosedDuringHandshake);
}

#[test]
fn unusable_files_are_refused_with_the_file_named() {
    let pki = Pki::new();
    let mut opts = pki.options(true);
    opts.cert = pki.path("missing.pem");
    let e = server_config(&opts).unwrap_err().to_string();
    assert!(
        e.contains("server certificate") && e.contains("missing.pem"),
        "{e}"
    );

    // A key that is not the certificate's.
    let other = leaf("other", &["other"], &ca("Other CA"));
    std::fs::write(pki.path("other.key"), &other.1).unwrap();
    let mut opts = pki.options(false);
    opts.key = pki.path("other.key");
    let e = server_config(&opts).unwrap_err();
    assert!(matches!(e, TlsError::Certificate { .. }), "{e}");

    std::fs::write(pki.path("empty.pem"), "not a certificate\n").unwrap();
    let mut opts = pki.options(true);
    opts.client_ca = Some(pki.path("empty.pem"));
    let e = server_config(&opts).unwrap_err().to_string();
    assert!(
        e.contains("client CA bundle") && e.contains("empty.pem"),
        "{e}"
    );
}

#[test]
fn a_reload_swaps_only_when_the_new_files_are_good() {
    let pki = Pki::new();
    let slot = TlsSlot::load("user_activity", pki.options(true)).unwrap();
    let first = slot.current();
    assert!(slot.reload(false).is_none(), "unchanged files are not read");

    std::fs::write(
        pki.path("server.pem"),
        "-----BEGIN CERTIFICATE-----\ngarbage\n",
    )
    .unwrap();
    assert!(matches!(slot.reload(false), Some(Err(_))));
    assert!(Arc::ptr_eq(&first, &slot.current()), "the old config stays");
    assert!(slot.reload(false).is_none(), "a bad version is tried once");

    let authority = ca("Enrollment CA 2");
    let (cert, key) = leaf("receiver", &["localhost"], &authority);
    std::fs::write(pki.path("server.key"), key).unwrap();
    std::fs::write(pki.path("server.pem"), cert).unwrap();
    assert!(matches!(slot.reload(false), Some(Ok(()))));
    assert!(!Arc::ptr_eq(&first, &slot.current()));
    let second = slot.current();
    assert!(matches!(slot.reload(true), Some(Ok(()))), "forced (SIGHUP)");
    assert!(!Arc::ptr_eq(&second, &slot.current()));
}
