//! `zpa-enricher healthcheck`: asks a running service's `/readyz` (or `/healthz`) and exits 0
//! when it answers 200. Container images have no HTTP client, so the binary is its own probe
//! (Docker `HEALTHCHECK`, compose `healthcheck`).
//!
//! Plain blocking HTTP/1.0 over a `TcpStream`: one request, one status line, no dependency.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Which endpoint to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Endpoint {
    /// `/readyz`: partitions assigned and the producer working.
    Ready,
    /// `/healthz`: the process is alive (no fatal error).
    Alive,
}

impl Endpoint {
    /// The HTTP path.
    #[must_use]
    pub(crate) fn path(self) -> &'static str {
        match self {
            Endpoint::Ready => "/readyz",
            Endpoint::Alive => "/healthz",
        }
    }
}

/// The answer of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// Response body (the service's reason text), trimmed.
    pub body: String,
}

impl Answer {
    /// True for 200.
    #[must_use]
    pub(crate) fn healthy(&self) -> bool {
        self.status == 200
    }
}

/// Why the service could not be asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HealthcheckError {
    /// The address does not resolve.
    #[error("cannot resolve {addr}: {source}")]
    Resolve {
        /// The address as given.
        addr: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// Connecting, writing or reading failed (service not listening, timeout).
    #[error("cannot reach {addr}: {source}")]
    Unreachable {
        /// The address connected to.
        addr: SocketAddr,
        /// The I/O error.
        source: io::Error,
    },
    /// The answer is not HTTP.
    #[error("{addr} answered something that is not HTTP: {line:?}")]
    NotHttp {
        /// The address connected to.
        addr: SocketAddr,
        /// The first line of the answer.
        line: String,
    },
}

/// The address to connect to for a service listening on `listen`: a wildcard listen address
/// (`0.0.0.0`, `[::]`) is reached over loopback.
///
/// # Errors
/// If `listen` does not resolve.
pub(crate) fn target(listen: &str) -> Result<SocketAddr, HealthcheckError> {
    let resolve = |source| HealthcheckError::Resolve {
        addr: listen.to_owned(),
        source,
    };
    let mut addr = listen
        .to_socket_addrs()
        .map_err(resolve)?
        .next()
        .ok_or_else(|| resolve(io::Error::new(io::ErrorKind::NotFound, "no address")))?;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    Ok(addr)
}

/// Asks `endpoint` at `addr`, waiting at most `timeout` for each of connect, write and read.
///
/// # Errors
/// If the service cannot be reached or does not answer HTTP.
pub(crate) fn check(
    addr: SocketAddr,
    endpoint: Endpoint,
    timeout: Duration,
) -> Result<Answer, HealthcheckError> {
    let unreachable = |source| HealthcheckError::Unreachable { addr, source };
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(unreachable)?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(unreachable)?;
    let request = format!(
        "GET {} HTTP/1.0\r\nHost: {addr}\r\nUser-Agent: zpa-enricher-healthcheck\r\n\r\n",
        endpoint.path()
    );
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    // Answers are a status line, a few headers and a short reason; cap what is read anyway.
    let mut response = Vec::new();
    stream
        .take(64 * 1024)
        .read_to_end(&mut response)
        .map_err(unreachable)?;
    parse(&response).ok_or_else(|| HealthcheckError::NotHttp {
        addr,
        line: String::from_utf8_lossy(response.split(|&b| b == b'\n').next().unwrap_or(&[]))
            .trim_end()
            .to_owned(),
    })
}

/// Parses an HTTP/1.x response: status code and body.
fn parse(response: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status_line = head.lines().next()?;
    let mut parts = status_line.split_ascii_whitespace();
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status = parts.next()?.parse().ok()?;
    Some(Answer {
        status,
        body: body.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// Serves one connection with `response`, returning the request it received.
    fn serve_once(response: &'static [u8]) -> (SocketAddr, thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0_u8; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let n = conn.read(&mut buf).unwrap();
                assert!(n > 0, "request ended early");
                request.extend_from_slice(&buf[..n]);
            }
            conn.write_all(response).unwrap();
            String::from_utf8(request).unwrap()
        });
        (addr, handle)
    }

    #[test]
    fn ready_answer_is_healthy_and_the_request_names_the_endpoint() {
        let (addr, server) = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nready\n");
        let answer = check(addr, Endpoint::Ready, Duration::from_secs(5)).unwrap();
        assert!(answer.healthy());
        assert_eq!(answer.body, "ready");
        assert!(
            server
                .join()
                .unwrap()
                .starts_with("GET /readyz HTTP/1.0\r\n")
        );
    }

    #[test]
    fn not_ready_answer_keeps_the_reason() {
        let (addr, server) = serve_once(
            b"HTTP/1.1 503 Service Unavailable\r\n\r\nnot ready: no partitions assigned\n",
        );
        let answer = check(addr, Endpoint::Alive, Duration::from_secs(5)).unwrap();
        assert!(!answer.healthy());
        assert_eq!(answer.status, 503);
        assert_eq!(answer.body, "not ready: no partitions assigned");
        assert!(server.join().unwrap().starts_with("GET /healthz "));
    }

    #[test]
    fn garbage_is_not_http() {
        let (addr, server) = serve_once(b"SSH-2.0-OpenSSH_9.2\r\n\r\n");
        let err = check(addr, Endpoint::Ready, Duration::from_secs(5)).unwrap_err();
        assert!(
            matches!(&err, HealthcheckError::NotHttp { line, .. } if line == "SSH-2.0-OpenSSH_9.2"),
            "{err}"
        );
        server.join().unwrap();
    }

    #[test]
    fn nothing_listening_is_unreachable() {
        let addr = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let err = check(addr, Endpoint::Ready, Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, HealthcheckError::Unreachable { .. }), "{err}");
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
    }

    #[test]
    fn wildcard_listen_addresses_are_reached_over_loopback() {
        assert_eq!(
            target("0.0.0.0:9464").unwrap(),
            "127.0.0.1:9464".parse().unwrap()
        );
        assert_eq!(target("[::]:9464").unwrap(), "[::1]:9464".parse().unwrap());
        assert_eq!(
            target("127.0.0.1:1").unwrap(),
            "127.0.0.1:1".parse().unwrap()
        );
        assert!(matches!(
            target("no-port-here"),
            Err(HealthcheckError::Resolve { .. })
        ));
    }
}
