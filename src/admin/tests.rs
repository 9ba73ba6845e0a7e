use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::*;

const LIMIT: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct HttpResponse {
    status: u16,
    content_type: Option<String>,
    body: String,
}

async fn write_all(stream: &TcpStream, mut buf: &[u8]) {
    while !buf.is_empty() {
        stream.writable().await.unwrap();
        match stream.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("write: {e}"),
        }
    }
}

/// Reads one response: until `Content-Length` bytes of body have arrived, or EOF.
async fn read_response(stream: &TcpStream) -> HttpResponse {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(resp) = parse_complete(&buf) {
            return resp;
        }
        stream.readable().await.unwrap();
        match stream.try_read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    parse_complete(&buf)
        .unwrap_or_else(|| panic!("incomplete response: {:?}", String::from_utf8_lossy(&buf)))
}

fn parse_complete(buf: &[u8]) -> Option<HttpResponse> {
    let text = std::str::from_utf8(buf).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut content_type = None;
    let mut length = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(value.trim().to_owned()),
            "content-length" => length = value.trim().parse::<usize>().ok(),
            _ => {}
        }
    }
    (body.len() >= length?).then(|| HttpResponse {
        status,
        content_type,
        body: body.to_owned(),
    })
}

/// A minimal HTTP/1.1 GET on a fresh connection.
async fn http_get(addr: SocketAddr, path: &str) -> HttpResponse {
    let request = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        write_all(&stream, req.as_bytes()).await;
        read_response(&stream).await
    };
    timeout(LIMIT, request).await.expect("request timed out")
}

struct Server {
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    token: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start() -> Server {
    let listener = bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let metrics = Arc::new(Metrics::new("test").unwrap());
    let health = Arc::new(Health::new(Arc::clone(&metrics)));
    let token = CancellationToken::new();
    let task = tokio::spawn(serve(
        listener,
        Arc::clone(&metrics),
        Arc::clone(&health),
        token.clone(),
    ));
    Server {
        addr,
        metrics,
        health,
        token,
        task,
    }
}

async fn stop(server: Server) {
    server.token.cancel();
    timeout(LIMIT, server.task)
        .await
        .expect("server did not stop on cancellation")
        .unwrap()
        .unwrap();
}

#[test]
fn readiness_needs_every_condition() {
    let metrics = Arc::new(Metrics::new("test").unwrap());
    let health = Health::new(Arc::clone(&metrics));
    assert!(!health.is_ready());
    assert!(health.is_alive());
    assert_eq!(health.not_ready_reasons(), [REASON_NOT_ASSIGNED]);

    health.set_assigned(true);
    assert!(health.is_ready());
    assert!(health.not_ready_reasons().is_empty());
    assert!(metrics.encode().contains("\nzpa_enricher_ready 1\n"));

    health.set_producer_ok(false);
    health.set_stalled(true);
    assert!(!health.is_ready());
    assert_eq!(
        health.not_ready_reasons(),
        [REASON_PRODUCER, REASON_STALLED]
    );
    assert!(metrics.encode().contains("\nzpa_enricher_ready 0\n"));
    health.set_producer_ok(true);
    health.set_stalled(false);
    assert!(health.is_ready());
    health.set_brokers_silent(true);
    assert_eq!(health.not_ready_reasons(), [REASON_BROKERS_SILENT]);
    health.set_brokers_silent(false);
    assert!(health.is_ready());

    health.set_fatal("consumer failed");
    health.set_fatal("second error");
    assert!(!health.is_ready());
    assert!(!health.is_alive());
    assert_eq!(health.not_ready_reasons(), ["fatal error: consumer failed"]);
    health.set_shutting_down();
    assert_eq!(
        health.not_ready_reasons(),
        [REASON_SHUTTING_DOWN, "fatal error: consumer failed"]
    );
    assert!(metrics.encode().contains("\nzpa_enricher_ready 0\n"));
}

#[test]
fn a_receiver_is_ready_with_listeners_bound_and_needs_no_assignment() {
    let metrics = Arc::new(Metrics::new("test").unwrap());
    let health = Health::receiver(Arc::clone(&metrics));
    assert!(!health.is_ready());
    assert_eq!(health.not_ready_reasons(), [REASON_NOT_LISTENING]);
    health.set_listening(true);
    assert!(health.is_ready());
    assert!(metrics.encode().contains("\nzpa_enricher_ready 1\n"));
    health.set_producer_ok(false);
    assert_eq!(health.not_ready_reasons(), [REASON_PRODUCER]);
    health.set_producer_ok(true);
    health.set_shutting_down();
    assert_eq!(health.not_ready_reasons(), [REASON_SHUTTING_DOWN]);
}

#[tokio::test]
async fn endpoints_answer_and_readiness_flips() {
    let server = start().await;

    let health = http_get(server.addr, "/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));

    let ready = http_get(server.addr, "/readyz").await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.body, "not ready: no partitions assigned");

    server.health.set_assigned(true);
    let ready = http_get(server.addr, "/readyz").await;
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready"));

    server.metrics.record_consumed();
    let scrape = http_get(server.addr, "/metrics").await;
    assert_eq!(scrape.status, 200);
    assert_eq!(
        scrape.content_type.as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert!(scrape.body.contains("# TYPE zpa_enricher_ready gauge\n"));
    assert!(
        scrape.body.contains("\nzpa_enricher_ready 1\n"),
        "{}",
        scrape.body
    );
    assert!(
        scrape
            .body
            .contains("\nzpa_enricher_records_consumed_total 1\n")
    );

    server.health.set_producer_ok(false);
    let ready = http_get(server.addr, "/readyz").await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.body, "not ready: producer unavailable");
    let scrape = http_get(server.addr, "/metrics").await;
    assert!(scrape.body.contains("\nzpa_enricher_ready 0\n"));

    server.health.set_producer_ok(true);
    assert_eq!(http_get(server.addr, "/readyz").await.status, 200);

    server.health.set_shutting_down();
    let ready = http_get(server.addr, "/readyz").await;
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (503, "not ready: shutting down")
    );
    // Liveness is not affected by an orderly shutdown.
    assert_eq!(http_get(server.addr, "/healthz").await.status, 200);

    assert_eq!(http_get(server.addr, "/nope").await.status, 404);
    stop(server).await;
}

#[tokio::test]
async fn a_fatal_error_fails_liveness() {
    let server = start().await;
    server.health.set_assigned(true);
    server
        .health
        .set_fatal("delivery failed past message.timeout.ms");
    let health = http_get(server.addr, "/healthz").await;
    assert_eq!(health.status, 503);
    assert_eq!(
        health.body,
        "fatal error: delivery failed past message.timeout.ms"
    );
    let ready = http_get(server.addr, "/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(ready.body.contains("fatal error"), "{}", ready.body);
    stop(server).await;
}

#[tokio::test]
async fn cancelling_the_token_stops_the_server_despite_keep_alive() {
    let server = start().await;
    let addr = server.addr;

    // A scraper keeps its connection open between scrapes; that must not hold shutdown.
    let idle = TcpStream::connect(addr).await.unwrap();
    write_all(&idle, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    let resp = timeout(LIMIT, read_response(&idle)).await.unwrap();
    assert_eq!(resp.status, 200);

    stop(server).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed after shutdown"
    );
}

#[tokio::test]
async fn bind_errors_name_the_address() {
    let taken = bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = bind(&addr).await.unwrap_err();
    assert!(err.to_string().contains(&addr), "{err}");
    assert!(std::error::Error::source(&err).is_some());

    let err = bind("not an address").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot listen on \"not an address\" for /metrics, /healthz and /readyz (metrics.addr, flag --metrics-addr)"
    );
}
