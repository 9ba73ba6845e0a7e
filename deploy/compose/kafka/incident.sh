#!/bin/sh
# A recurring access-policy incident for the demo's alerts. Runs in the incident service
# (apache/kafka image) of docker-compose.yml.
#
# The incident-generator service produces, without pause, records of one status code (bursts of
# `zpa-enricher generate`) into a holding topic that nothing else reads. This script stays quiet
# for QUIET_SECS, then copies INCIDENT_RECORDS of them, at the pace they are generated, into the
# raw topic the enricher consumes, and starts over.
#
# Why a quiet hour and a sustained incident: the code-spike and class-burst alerts compare a
# code's rate over 5 minutes with its own rate over the hour before, fire only once the enricher
# has an hour of history, and only when the excess lasts 5 minutes (`for: 5m`). A one-off batch,
# or bursts that recur from the start, never fire them. The quiet time (65 minutes) gives the
# first incident an hour of ordinary baseline; each later one comes after the previous incident
# has left the one-hour window again.
set -eu

BOOTSTRAP="${BOOTSTRAP:-kafka:9092}"
FROM_TOPIC="${FROM_TOPIC:-zpa.incident}"
TO_TOPIC="${TO_TOPIC:-zpa.raw}"
QUIET_SECS="${QUIET_SECS:-3900}"
INCIDENT_RECORDS="${INCIDENT_RECORDS:-27900}"
KAFKA_BIN=/opt/kafka/bin

while true; do
  echo "incident: quiet for ${QUIET_SECS} s"
  sleep "$QUIET_SECS"
  echo "incident: starts, copying ${INCIDENT_RECORDS} records from ${FROM_TOPIC} to ${TO_TOPIC}"
  # The consumer starts at the end of the holding topic (no committed offsets: a new group each
  # time) and flushes every record, so records reach the raw topic as they are generated.
  "$KAFKA_BIN/kafka-console-consumer.sh" --bootstrap-server "$BOOTSTRAP" --topic "$FROM_TOPIC" \
      --max-messages "$INCIDENT_RECORDS" \
    | "$KAFKA_BIN/kafka-console-producer.sh" --bootstrap-server "$BOOTSTRAP" --topic "$TO_TOPIC"
  echo "incident: over"
done
