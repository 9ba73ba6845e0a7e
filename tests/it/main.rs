//! The integration tests: one test binary, so that the library and librdkafka are linked once.
//!
//! The tests under [`kafka`] and `receive::kafka` run against the real Kafka-protocol test broker
//! (`scripts/test.sh` starts one): `cargo test --test it kafka::` runs them alone, and
//! `cargo test --test it -- --skip kafka::` runs everything else, which needs no broker.
//! Libtest runs the tests of this binary in parallel threads; `common::kafka` tells how the
//! broker tests share the broker.

mod architecture;
mod catalog_and_config_cli;
mod catalog_coverage;
mod catalog_severity;
mod catalog_sync;
mod common;
mod demo;
mod enrich_cli;
mod enrich_files;
mod event_time;
mod fixtures_golden;
mod format_ecs;
mod format_splunk_hec;
mod generate_cli;
mod generate_tcp;
mod kafka;
mod lines;
mod mock_cluster;
mod properties;
mod receive;
