//! `zpa-enricher receive`, the LSS log receiver, driven by real clients over real sockets (plain
//! TCP, and TLS with certificates the tests make) into the real test broker.
//!
//! Every test here needs the broker, so they live under `receive::kafka::`: the suite's
//! `kafka::` filter selects them with the other broker tests, and `receive::` alone selects
//! these.

mod kafka;
mod support;
