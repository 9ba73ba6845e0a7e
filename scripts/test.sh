#!/usr/bin/env bash
# The whole test suite. Starts a fresh Kafka-protocol test broker (scripts/kafka-test-broker) on a
# free 127.0.0.1 port, unless ZPA_ENRICHER_TEST_BROKERS names one already, runs `cargo test`, and
# stops the broker. Extra arguments go to `cargo test`, e.g. `scripts/test.sh kafka::` for only
# the broker tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${ZPA_ENRICHER_TEST_BROKERS:-}" ]; then
  broker=scripts/kafka-test-broker
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # A state folder of our own, so that a broker started elsewhere is never reused.
  KAFKA_TEST_BROKER_DIR=$(mktemp -d)
  export KAFKA_TEST_BROKER_DIR
  export KAFKA_TEST_BROKER_ARGS="--group-initial-rebalance-delay 0s"
  trap '"$broker" stop >/dev/null 2>&1 || true; rm -rf "$KAFKA_TEST_BROKER_DIR"' EXIT
  ZPA_ENRICHER_TEST_BROKERS=$("$broker" start "$port")
  ZPA_ENRICHER_TEST_BROKER_PID=$("$broker" pid)
  export ZPA_ENRICHER_TEST_BROKERS ZPA_ENRICHER_TEST_BROKER_PID
  echo "test broker on $ZPA_ENRICHER_TEST_BROKERS (pid $ZPA_ENRICHER_TEST_BROKER_PID)"
fi

# Every test binary runs even when an earlier one fails, so one failure hides no other.
cargo test --locked --no-fail-fast "$@"
