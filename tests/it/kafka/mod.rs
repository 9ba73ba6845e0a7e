//! Tests against the real Kafka-protocol test broker: `scripts/test.sh` starts it and sets
//! `ZPA_ENRICHER_TEST_BROKERS` (and `ZPA_ENRICHER_TEST_BROKER_PID` for the outage test).
//!
//! Nothing outside this module (and `receive::kafka`, the receiver's broker tests) may need the
//! broker, and no other test may have `kafka::` in its name: `cargo test --test it kafka::` and
//! `-- --skip kafka::` select by that.

mod broker;
mod crash;
mod dead_letters;
mod formats;
mod outage;
mod start;
