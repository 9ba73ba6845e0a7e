//! Helpers for tests against the real Kafka-protocol test broker: topics, producing and
//! consuming test records, and the `zpa-enricher run` service as a child process.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    clippy::cast_possible_truncation
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Message, Offset, TopicPartitionList};

/// The test broker as the tests of this binary share it. Libtest runs them in parallel
/// threads, and a few do things to the broker that the others must not meet: the outage test
/// freezes it (`SIGSTOP`), which would stall every other test's service, and the crash test
/// drives 100,000 records through a service it `kill -9`s on a schedule that is only meaningful
/// while nothing else loads the broker and the machine.
///
/// So every test that uses the broker holds a guard for its whole length: [`shared_broker`] for
/// an ordinary test, which may run beside other ordinary ones (each uses topics and a group of
/// its own), [`exclusive_broker`] for a test that freezes or stresses the broker, which then runs
/// with no other broker test. Tests that need no broker do not take it.
static BROKER: RwLock<()> = RwLock::new(());

/// Takes the broker for an ordinary test; see [`BROKER`]. Hold the guard until the test ends
/// (`let _broker = shared_broker();`).
pub fn shared_broker() -> RwLockReadGuard<'static, ()> {
    // A test that failed while holding the broker leaves nothing to repair.
    BROKER.read().unwrap_or_else(PoisonError::into_inner)
}

/// Takes the broker for a test that freezes or stresses it, waiting until no other broker test
/// runs; see [`BROKER`]. Hold the guard until the test ends.
pub fn exclusive_broker() -> RwLockWriteGuard<'static, ()> {
    BROKER.write().unwrap_or_else(PoisonError::into_inner)
}

/// The broker the tests run against (`scripts/test.sh` starts one and sets this).
pub fn brokers() -> String {
    std::env::var("ZPA_ENRICHER_TEST_BROKERS").unwrap_or_else(|_| {
        panic!(
            "these tests need a Kafka-protocol broker: run `scripts/test.sh`, which starts one, \
             or set ZPA_ENRICHER_TEST_BROKERS=host:port"
        )
    })
}

/// A name no other test (or earlier run against the same broker) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Creates topics with the given partition counts.
pub fn create_topics(topics: &[(&str, i32)]) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|(t, p)| NewTopic::new(t, *p, TopicReplication::Fixed(1)))
        .collect();
    let results = runtime()
        .block_on(admin.create_topics(&new, &AdminOptions::new()))
        .unwrap();
    for r in results {
        r.unwrap();
    }
    // Wait until metadata shows every partition.
    let deadline = Instant::now() + Duration::from_secs(20);
    for (t, p) in topics {
        loop {
            let md = admin
                .inner()
                .fetch_metadata(Some(t), Duration::from_secs(5))
                .unwrap();
            if md
                .topics()
                .first()
                .is_some_and(|mt| mt.partitions().len() == *p as usize)
            {
                break;
            }
            assert!(Instant::now() < deadline, "topic {t} not ready");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// One input record.
#[derive(Debug, Clone)]
pub struct TestRecord {
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub timestamp_ms: i64,
}

/// `n` generated LSS records (every log type, the default mix), keyed over `keys` session
/// keys, each with an `id` header (its index) and a distinct timestamp.
pub fn generated(n: usize, seed: u64, keys: usize, unknown_ratio: f64) -> Vec<TestRecord> {
    let catalog = zpa_enricher::catalog::Catalog::builtin();
    let mut g = zpa_enricher::synth::Generator::new(
        &catalog,
        zpa_enricher::synth::GeneratorOptions {
            seed,
            unknown_ratio,
            ..zpa_enricher::synth::GeneratorOptions::default()
        },
    );
    (0..n)
        .map(|i| {
            let mut payload = Vec::new();
            g.next_record(&mut payload);
            TestRecord {
                key: Some(format!("session-{}", i % keys).into_bytes()),
                payload,
                headers: vec![("id".into(), i.to_string().into_bytes())],
                timestamp_ms: 1_764_000_000_000 + i as i64,
            }
        })
        .collect()
}

/// The `id` header of a record produced from [`generated`].
pub fn id(m: &OwnedMessage) -> usize {
    std::str::from_utf8(header(m, "id").unwrap())
        .unwrap()
        .parse()
        .unwrap()
}

/// Produces records in order and waits until the broker has them all.
pub fn produce(topic: &str, records: &[TestRecord], compression: &str) {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("compression.type", compression)
        .set("partitioner", "murmur2_random")
        .create()
        .unwrap();
    for r in records {
        let mut headers = OwnedHeaders::new_with_capacity(r.headers.len());
        for (k, v) in &r.headers {
            headers = headers.insert(Header {
                key: k,
                value: Some(v),
            });
        }
        let mut record = BaseRecord::<[u8], [u8]>::to(topic)
            .payload(&r.payload)
            .headers(headers)
            .timestamp(r.timestamp_ms);
        if let Some(k) = &r.key {
            record = record.key(k);
        }
        let mut record = record;
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(60)).unwrap();
}

/// Produces one record without a value (a tombstone) with an `id` header, and waits for it.
pub fn produce_tombstone(topic: &str, id: usize) {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    let id = id.to_string();
    let headers = OwnedHeaders::new().insert(Header {
        key: "id",
        value: Some(&id),
    });
    producer
        .send(
            BaseRecord::<[u8], [u8]>::to(topic)
                .key(b"gone")
                .headers(headers),
        )
        .map_err(|(e, _)| e)
        .unwrap();
    producer.flush(Duration::from_secs(60)).unwrap();
}

/// Reads every record of `topic` (all partitions, from the start, no group) until `expected`
/// records have arrived and nothing more comes for `settle`, or `timeout` passes.
pub fn consume(topic: &str, expected: usize, timeout: Duration) -> Vec<OwnedMessage> {
    consume_settled(topic, expected, timeout, Duration::from_millis(500))
}

/// [`consume`] with an explicit quiet period after the expected count is reached.
pub fn consume_settled(
    topic: &str,
    expected: usize,
    timeout: Duration,
    settle: Duration,
) -> Vec<OwnedMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create()
        .unwrap();
    let md = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in md.topics()[0].partitions() {
        tpl.add_partition_offset(topic, p.id(), Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    let mut quiet_since: Option<Instant> = None;
    while Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                out.push(m.detach());
                quiet_since = None;
            }
            Some(Err(e)) => panic!("consume {topic}: {e}"),
            None => {
                if out.len() >= expected {
                    let since = *quiet_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= settle {
                        break;
                    }
                }
            }
        }
    }
    out
}

/// The value of a header.
pub fn header<'a>(m: &'a OwnedMessage, key: &str) -> Option<&'a [u8]> {
    m.headers()?
        .iter()
        .find(|h| h.key == key)
        .and_then(|h| h.value)
}

/// A free TCP port on 127.0.0.1 (bound and released; fine for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `zpa-enricher run` child process.
pub struct Service {
    child: Child,
    pub metrics_port: u16,
    log: Arc<Mutex<String>>,
    /// Set to stop reading the service's stderr: the pipe is closed after the next line.
    log_closed: Arc<AtomicBool>,
}

/// Settings of a service under test.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub input: String,
    pub output: String,
    pub dlq: String,
    pub group: String,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
}

impl ServiceSpec {
    /// Topics and a group named after `name`, unique.
    pub fn new(name: &str) -> Self {
        let base = unique(name);
        Self {
            input: format!("{base}.raw"),
            output: format!("{base}.enriched"),
            dlq: format!("{base}.dlq"),
            group: format!("{base}.group"),
            env: Vec::new(),
            args: Vec::new(),
        }
    }

    /// Sets `ZPA_ENRICHER__<KEY>`.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env
            .push((format!("ZPA_ENRICHER__{key}"), value.to_owned()));
        self
    }

    /// Creates the three topics with `partitions` each.
    pub fn create_topics(&self, partitions: i32) -> &Self {
        create_topics(&[
            (&self.input, partitions),
            (&self.output, partitions),
            (&self.dlq, partitions),
        ]);
        self
    }
}

impl Service {
    /// Starts the service.
    pub fn start(spec: &ServiceSpec) -> Service {
        let port = free_port();
        let mut cmd = super::bin();
        cmd.args([
            "run",
            "--brokers",
            &brokers(),
            "--input-topic",
            &spec.input,
            "--output-topic",
            &spec.output,
            "--dlq-topic",
            &spec.dlq,
            "--group",
            &spec.group,
            "--metrics-addr",
            &format!("127.0.0.1:{port}"),
        ])
        .args(&spec.args)
        // Fast feedback in tests: frequent commits, short linger, quick group membership.
        .env("ZPA_ENRICHER__KAFKA__COMMIT_INTERVAL_MS", "300")
        .env("ZPA_ENRICHER__KAFKA__LINGER_MS", "1")
        .env("ZPA_ENRICHER__SERVICE__STATISTICS_INTERVAL_MS", "1000")
        .env(
            "RUST_LOG",
            "info,zpa_enricher=debug,librdkafka=warn,rdkafka=warn",
        );
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        Service::spawn(cmd, port)
    }

    /// Starts `cmd` (a service whose admin endpoint is on `metrics_port`), keeping its log.
    pub fn spawn(mut cmd: std::process::Command, metrics_port: u16) -> Service {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        let log_closed = Arc::new(AtomicBool::new(false));
        let closed = Arc::clone(&log_closed);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if closed.load(Ordering::Relaxed) {
                    // Dropping the reader closes the pipe: later log lines meet a broken pipe.
                    break;
                }
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        Service {
            child,
            metrics_port,
            log,
            log_closed,
        }
    }

    /// Stops reading the service's log, as a log shipper that goes away: its stderr pipe is
    /// closed at the next line it writes.
    pub fn close_log(&self) {
        self.log_closed.store(true, Ordering::Relaxed);
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the service logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// GET a path of the admin endpoint: (status, body).
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        http_get(self.metrics_port, path)
    }

    /// The `/metrics` text.
    pub fn metrics(&self) -> String {
        self.get("/metrics").map(|(_, b)| b).unwrap_or_default()
    }

    /// Waits until `/readyz` answers 200.
    pub fn wait_ready(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((200, _)) = self.get("/readyz") {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("service exited with {status} before ready:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "service not ready in {timeout:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until a metric (a full sample line prefix, e.g. `zpa_enricher_records_consumed_total`)
    /// reaches `value`.
    pub fn wait_metric(&self, name: &str, value: f64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if metric(&self.metrics(), name).is_some_and(|v| v >= value) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not reach {value} in {timeout:?} (now {:?}):\n{}",
                metric(&self.metrics(), name),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM and wait for the exit status.
    pub fn stop(self, timeout: Duration) -> (ExitStatus, String) {
        signal(self.child.id(), "TERM");
        self.wait_exit(timeout)
    }

    /// SIGKILL, no goodbye.
    pub fn kill9(mut self) {
        signal(self.child.id(), "KILL");
        self.child.wait().unwrap();
    }

    /// Waits for the process to exit (by itself or after a signal).
    pub fn wait_exit(mut self, timeout: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the log reader catch up.
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.log());
            }
            assert!(
                Instant::now() < deadline,
                "service still running after {timeout:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resident memory in KiB (Linux `VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// Peak resident memory so far, in KiB (Linux `VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// A memory figure of `/proc/PID/status`, in KiB (0 when it cannot be read).
    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            signal(self.child.id(), "KILL");
            self.child.wait().ok();
        }
    }
}

/// Sends a signal with `kill`.
pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid} failed");
}

/// A minimal HTTP/1.1 GET.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    let body = buf.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// The value of the first sample whose line starts with `name` (a metric name, optionally with
/// labels, e.g. `zpa_enricher_records_produced_total{destination="output"}`); for a bare name
/// the sum of all its samples.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    let mut sum = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let matches = if name.contains('{') {
            series == name
        } else {
            series == name || series.starts_with(&format!("{name}{{"))
        };
        if matches {
            let v: f64 = value.parse().ok()?;
            sum = Some(sum.unwrap_or(0.0) + v);
        }
    }
    sum
}

/// Every series of `name` with its labels parsed: (labels, value).
pub fn series(text: &str, name: &str) -> Vec<(HashMap<String, String>, f64)> {
    let prefix = format!("{name}{{");
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&prefix)?;
            let (labels, value) = rest.rsplit_once("} ")?;
            let labels = labels
                .split("\",")
                .filter_map(|kv| {
                    let (k, v) = kv.split_once("=\"")?;
                    Some((k.to_owned(), v.trim_end_matches('"').to_owned()))
                })
                .collect();
            Some((labels, value.parse().ok()?))
        })
        .collect()
}
