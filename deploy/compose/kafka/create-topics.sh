#!/bin/sh
# Creates the demo stack's topics on the compose Kafka broker, then lists them. Runs once, in the
# one-shot kafka-init service (apache/kafka image), after the broker is healthy. Idempotent:
# `--if-not-exists` leaves topics of an earlier start alone, so `docker compose up` may be run
# again at any time.
#
# Retention is short and segments small, so that a demo left running on a laptop keeps a bounded
# amount of disk (about one hour of traffic per topic).
set -eu

BOOTSTRAP="${BOOTSTRAP:-kafka:9092}"
PARTITIONS="${PARTITIONS:-6}"
TOPICS="${TOPICS:-zpa.raw zpa.enriched zpa.dlq}"
KAFKA_BIN=/opt/kafka/bin

for topic in $TOPICS; do
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor 1 \
    --config retention.ms=3600000 --config segment.bytes=16777216
done

# Fails (and so fails the service, which the enricher and generator wait on) if a topic is missing.
for topic in $TOPICS; do
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --describe --topic "$topic"
done
echo "topics ready: $TOPICS"
