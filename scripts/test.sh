#!/usr/bin/env bash
# The whole test suite. Starts a fresh Kafka-protocol test broker on a free 127.0.0.1 port
# (unless ZPA_ENRICHER_TEST_BROKERS names one already), runs `cargo test`, stops the broker.
# Extra arguments go to `cargo test`, e.g. `scripts/test.sh --test kafka_broker`.
set -euo pipefail
cd "$(dirname "$0")/.."

tool=${KAFKA_TEST_BROKER_TOOL:-../shared/tools/kafka-test-broker}

if [ -z "${ZPA_ENRICHER_TEST_BROKERS:-}" ]; then
  if [ ! -x "$tool" ]; then
    echo "scripts/test.sh: the test broker tool $tool is missing." >&2
    echo "Set KAFKA_TEST_BROKER_TOOL to it, or ZPA_ENRICHER_TEST_BROKERS=host:port (and" >&2
    echo "ZPA_ENRICHER_TEST_BROKER_PID for the outage test) to use a broker of your own." >&2
    exit 1
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # A state folder of our own, so that a broker started elsewhere is never reused.
  KAFKA_TEST_BROKER_DIR=$(mktemp -d)
  export KAFKA_TEST_BROKER_DIR
  export KAFKA_TEST_BROKER_ARGS="--group-initial-rebalance-delay 0s"
  trap '"$tool" stop >/dev/null 2>&1 || true; rm -rf "$KAFKA_TEST_BROKER_DIR"' EXIT
  ZPA_ENRICHER_TEST_BROKERS=$("$tool" start "$port")
  ZPA_ENRICHER_TEST_BROKER_PID=$("$tool" pid)
  export ZPA_ENRICHER_TEST_BROKERS ZPA_ENRICHER_TEST_BROKER_PID
  echo "test broker on $ZPA_ENRICHER_TEST_BROKERS (pid $ZPA_ENRICHER_TEST_BROKER_PID)"
fi

cargo test --locked "$@"
