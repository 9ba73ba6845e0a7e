//! Synthetic LSS traffic for the `generate` command, the demo, tests and benchmarks: records
//! that look like what LSS receivers deliver, on a schedule, written as lines or produced to a
//! Kafka topic.
//!
//! # Entry point
//! Everything outside this module goes through the items below, never through its submodules.
//!
//! - [`Traffic`] is what `zpa-enricher generate` and `zpa-enricher demo` run: records made as
//!   [`GeneratorOptions`] say, `count` of them paced at `rate`, with [`Burst`]s of one code on
//!   top, optionally enriched as `run` would publish them; written as lines
//!   ([`Traffic::write_lines`]), streamed as lines to a log receiver over TCP or TLS
//!   ([`Traffic::send_tcp`], to a [`TcpTarget`]) or produced to a topic ([`Traffic::produce`],
//!   to a [`KafkaTarget`]), counting into [`TrafficCounts`].
//! - [`Generator`] makes the same records one at a time, for tests and benchmarks that want them
//!   in memory.
//!
//! # Layout
//! - `generate`: the generator. Pure: it appends record bytes to a caller's buffer, knows
//!   nothing of the enrichment output or of any I/O, and reads the clock only to start at the
//!   current time ([`Start::Now`], the default; [`Start::At`] pins it).
//! - `traffic`: the schedule (paced records, bursts on top; it is told the elapsed time and
//!   reads no clock), the pump that fills a sink from it, and the sinks: lines, the enriching
//!   wrapper, the TCP/TLS client (`traffic/tcp.rs`) and the Kafka producer
//!   (`traffic/kafka.rs`).
//!
//! Nothing here knows the service: it builds on the catalog (the codes it draws), the event
//! model (log types), the enrichment core (enriched output), rustls (the TLS client) and
//! rdkafka (the producer).

mod generate;
mod traffic;

pub use generate::{Generated, Generator, GeneratorOptions, Start};
pub use traffic::{
    Burst, KafkaTarget, TcpError, TcpTarget, TlsClientFiles, Traffic, TrafficCounts, Undelivered,
};
