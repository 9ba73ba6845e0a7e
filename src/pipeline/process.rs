//! One record in: enriched to the output, or, when it cannot go out enriched, unchanged where
//! `kafka.on_invalid` says; handed to the producer and to the in-flight window.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::Message;
use rdkafka::error::KafkaError;
use rdkafka::message::OwnedMessage;
use rdkafka::producer::FutureRecord;
use rdkafka::types::RDKafkaErrorCode;
use tokio::time::Instant;

use super::record::OutputRecord;
use super::window::{Pending, Window};
use super::{Clients, Core, PipelineError};
use crate::enrich::Outcome;
use crate::event::InvalidRecord;
use crate::kafka::{InvalidPolicy, OutputTimestamp, Partitioning};
use crate::metrics::{Destination, ProduceErrorKind};

impl Core {
    /// Enriches one record and hands it to the producer.
    pub(super) async fn process<M: Message>(
        &mut self,
        clients: &Clients,
        msg: &M,
        window: &mut Window,
        now: Instant,
    ) -> Result<(), PipelineError> {
        let metrics = Arc::clone(&self.handles.metrics);
        metrics.record_consumed();
        let payload = msg.payload().unwrap_or_default();
        #[cfg(feature = "bench-passthrough")]
        if self.opts.passthrough != super::Passthrough::Off {
            return self.pass_through(clients, msg, window, now).await;
        }
        // Work done, not time waited: real time, even where tokio's clock is paused.
        let started = std::time::Instant::now();
        self.state.out.clear();
        let outcome = self.state.enricher.enrich(payload, &mut self.state.out);
        metrics.observe_processing(started.elapsed());
        let outcome = match outcome {
            Outcome::Invalid(error) => {
                return self.send_invalid(clients, msg, error, window, now).await;
            }
            outcome => outcome,
        };
        if let Outcome::Unknown { code, source, .. } = &outcome
            && self.state.unknown.observe(code)
        {
            tracing::warn!(code = %crate::metrics::shown_code(code), field = %source, "unknown status code (logged once per code)");
            metrics.unknown_code_seen_count(self.state.unknown.distinct());
        }
        let topic = self.state.topic(&self.opts.output_topic);
        let record = OutputRecord::enriched(msg, &topic);
        let timestamp = match self.opts.timestamp {
            OutputTimestamp::Source => msg.timestamp().to_millis(),
            OutputTimestamp::Event => outcome.event_time().map(|t| t.millis),
        };
        let body = std::mem::take(&mut self.state.out);
        let result = self
            .send(clients, msg, record, Some(&body), timestamp, window, now)
            .await;
        let enriched_len = body.len();
        // Give the buffer back so the next record reuses its capacity.
        self.state.out = body;
        match result {
            Ok(()) => {
                self.state.counters.count(&outcome);
                Ok(())
            }
            // The enrichment made the record larger than the producer accepts: the record
            // cannot go out enriched, and stopping would only meet it again after the restart.
            // It goes where unreadable records go, unchanged.
            Err(PipelineError::Delivery { error, .. }) if too_large(&error) => {
                // The enriched record carries the source record's key and headers.
                let key_and_headers = OutputRecord::enriched(msg, &topic).key_and_headers_len(msg);
                let error = InvalidRecord::enriched_too_large(
                    enriched_len,
                    enriched_len + key_and_headers,
                    payload.len(),
                );
                self.send_invalid(clients, msg, error, window, now).await
            }
            Err(e) => Err(e),
        }
    }

    /// Sends a record that cannot go out enriched where `kafka.on_invalid` says: unchanged, with
    /// headers naming the problem, to the dead-letter topic (`dlq`) or the output (`pass`); or
    /// stops the service (`fail`).
    async fn send_invalid<M: Message>(
        &mut self,
        clients: &Clients,
        msg: &M,
        error: InvalidRecord,
        window: &mut Window,
        now: Instant,
    ) -> Result<(), PipelineError> {
        self.handles.metrics.record_invalid(error.reason);
        if self.opts.on_invalid == InvalidPolicy::Fail {
            return Err(PipelineError::Invalid {
                topic: msg.topic().to_owned(),
                partition: msg.partition(),
                offset: msg.offset(),
                error,
            });
        }
        let (topic, destination) = self.invalid_destination(&error);
        tracing::debug!(topic = msg.topic(), partition = msg.partition(), offset = msg.offset(), %error, "invalid record");
        let record = OutputRecord::dead_letter(msg, &error, &topic, destination);
        let key_and_headers = record.key_and_headers_len(msg);
        // Unchanged: a record without a value (a tombstone) stays without one.
        match self
            .send(
                clients,
                msg,
                record,
                msg.payload(),
                msg.timestamp().to_millis(),
                window,
                now,
            )
            .await
        {
            // Too large for the producer even as read: it cannot be written anywhere, and
            // stopping would only meet it again after the restart. What goes out is the
            // headers without the value, pointing at the record in its source partition.
            Err(PipelineError::Delivery { error: e, .. }) if too_large(&e) => {
                let size = msg.payload().map_or(0, <[u8]>::len);
                let error = InvalidRecord::value_left_out(size, size + key_and_headers, &error);
                let record = OutputRecord::dead_letter(msg, &error, &topic, destination);
                let timestamp = msg.timestamp().to_millis();
                let result = self
                    .send(clients, msg, record, None, timestamp, window, now)
                    .await;
                if matches!(&result, Err(PipelineError::Delivery { error, .. }) if too_large(error))
                {
                    // Not even the headers fit: the service stops.
                    self.handles.metrics.produce_error(ProduceErrorKind::Other);
                }
                result
            }
            result => result,
        }
    }

    /// Where a record that cannot go out enriched goes when the service goes on: the output
    /// under `kafka.on_invalid = "pass"`, else the dead-letter topic (counted as dead-lettered).
    fn invalid_destination(&mut self, error: &InvalidRecord) -> (Arc<str>, Destination) {
        if self.opts.on_invalid == InvalidPolicy::Pass {
            (
                self.state.topic(&self.opts.output_topic),
                Destination::Output,
            )
        } else {
            self.handles.metrics.record_dead_lettered(error.reason);
            (self.state.topic(&self.opts.dlq_topic), Destination::Dlq)
        }
    }

    /// Sends, in place of `refused`, which the broker refused as too large, a record without
    /// the value, its headers pointing at the source record (where `kafka.on_invalid` sends
    /// unreadable records), and puts it at the front of `window`, so that the source offset is
    /// stored only once it is acknowledged.
    pub(super) fn replace_refused(
        &mut self,
        clients: &Clients,
        window: &mut Window,
        pending: Pending,
        refused: &OwnedMessage,
    ) -> Result<(), PipelineError> {
        let error = InvalidRecord::refused_by_broker(refused.payload().map_or(0, <[u8]>::len));
        tracing::warn!(topic = %pending.destination_topic, source_topic = %pending.topic, partition = pending.partition, offset = pending.offset, %error, "record refused by the broker; sent without its value");
        self.handles.metrics.record_invalid(error.reason);
        let (topic, destination) = self.invalid_destination(&error);
        let headers = super::record::left_out_headers(refused, &pending, &error);
        let mut fr = FutureRecord::<[u8], [u8]>::to(&topic).headers(headers);
        if let Some(k) = refused.key() {
            fr = fr.key(k);
        }
        if let Some(ts) = pending.timestamp_ms {
            fr = fr.timestamp(ts);
        }
        if let Partitioning::Source = self.opts.partitioning {
            fr = fr.partition(pending.partition);
        }
        match clients.producer.send_result(fr) {
            Ok(delivery) => {
                let replacement = Pending {
                    destination,
                    destination_topic: topic,
                    replacement: true,
                    ..pending
                };
                window.push_front(replacement, delivery, Instant::now());
                Ok(())
            }
            Err((error, _)) => Err(PipelineError::Delivery {
                topic: topic.to_string(),
                source_topic: pending.topic.to_string(),
                partition: pending.partition,
                offset: pending.offset,
                error: Box::new(error),
            }),
        }
    }

    /// Hands one record for `msg` to the producer, with `timestamp_ms` as its timestamp, and
    /// puts it in the in-flight window.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn send<M: Message>(
        &mut self,
        clients: &Clients,
        msg: &M,
        record: OutputRecord,
        body: Option<&[u8]>,
        timestamp_ms: Option<i64>,
        window: &mut Window,
        now: Instant,
    ) -> Result<(), PipelineError> {
        let mut fr = FutureRecord::<[u8], [u8]>::to(&record.topic);
        if let Some(body) = body {
            fr = fr.payload(body);
        }
        if let Some(headers) = record.headers {
            fr = fr.headers(headers);
        }
        if let Some(k) = msg.key() {
            fr = fr.key(k);
        }
        if let Some(ts) = timestamp_ms {
            fr = fr.timestamp(ts);
        }
        if let Partitioning::Source = self.opts.partitioning {
            fr = fr.partition(msg.partition());
        }
        loop {
            match clients.producer.send_result(fr) {
                Ok(delivery) => {
                    let pending = Pending {
                        topic: self.state.topic(msg.topic()),
                        partition: msg.partition(),
                        offset: msg.offset(),
                        timestamp_ms: msg.timestamp().to_millis(),
                        destination: record.destination,
                        destination_topic: Arc::clone(&record.topic),
                        replacement: false,
                    };
                    window.push(pending, delivery, now);
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    self.handles
                        .metrics
                        .produce_error(ProduceErrorKind::QueueFull);
                    // Make room: wait for the oldest delivery, or a moment when nothing of
                    // ours is in flight; then offer the same record again.
                    match window.next().await {
                        Some(done) => self.settle_one(clients, window, done)?,
                        None => tokio::time::sleep(Duration::from_millis(10)).await,
                    }
                    fr = back;
                }
                Err((error, _)) => {
                    // A record too large is the caller's to handle: it is dead-lettered (an
                    // invalid record, not a failure of the producer), or counted there when it
                    // cannot be.
                    if !too_large(&error) {
                        self.handles.metrics.produce_error(ProduceErrorKind::Other);
                    }
                    return Err(PipelineError::Delivery {
                        topic: record.topic.to_string(),
                        source_topic: msg.topic().to_owned(),
                        partition: msg.partition(),
                        offset: msg.offset(),
                        error: Box::new(error),
                    });
                }
            }
        }
    }
}

/// A record was refused as too large: by the producer, before sending it (its
/// `message.max.bytes`), or by the broker (the topic's `max.message.bytes`).
pub(super) fn too_large(e: &KafkaError) -> bool {
    matches!(
        e,
        KafkaError::MessageProduction(
            RDKafkaErrorCode::MessageSizeTooLarge | RDKafkaErrorCode::MessageBatchTooLarge
        )
    )
}
