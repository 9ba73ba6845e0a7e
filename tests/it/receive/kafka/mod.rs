//! The receive tests against the test broker: `scripts/test.sh` starts it and sets
//! `ZPA_ENRICHER_TEST_BROKERS` (and `ZPA_ENRICHER_TEST_BROKER_PID` for the frozen-broker test).

mod enrich;
mod formats;
mod lines;
mod pressure;
mod tls;
