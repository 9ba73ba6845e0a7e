//! The rdkafka client context shared by the consumer and the producer: statistics into
//! metrics (consumer lag), rebalance and commit bookkeeping, and escalation of fatal errors.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::TopicPartitionList;
use rdkafka::types::RDKafkaErrorCode;
use tokio_util::sync::CancellationToken;

use crate::admin::Health;
use crate::metrics::{Metrics, RebalanceKind};

/// A fatal condition: the first reason raised wins and cancels the token the service runs on.
#[derive(Debug, Default)]
pub(crate) struct Fatal {
    token: CancellationToken,
    reason: Mutex<Option<String>>,
}

impl Fatal {
    /// A fatal slot that cancels `token` when raised.
    #[must_use]
    pub(crate) fn new(token: CancellationToken) -> Self {
        Self {
            token,
            reason: Mutex::new(None),
        }
    }

    /// Records `reason` (unless one is already recorded) and cancels the token.
    pub(crate) fn raise(&self, reason: String) {
        let mut slot = self
            .reason
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none() {
            tracing::error!(%reason, "fatal error, stopping");
            *slot = Some(reason);
        }
        self.token.cancel();
    }

    /// The recorded reason, if any.
    #[must_use]
    pub(crate) fn reason(&self) -> Option<String> {
        self.reason
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// What the Kafka clients report into.
#[derive(Debug)]
pub(crate) struct ServiceContext {
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    fatal: Arc<Fatal>,
    /// How long the consumer's brokers may stay silent before the service is not ready.
    silence_limit: Duration,
}

impl ServiceContext {
    /// A context reporting into `metrics` and `health`, raising `fatal` on fatal errors; the
    /// service is not ready while no broker has answered the consumer for `silence_limit`.
    #[must_use]
    pub(crate) fn new(
        metrics: Arc<Metrics>,
        health: Arc<Health>,
        fatal: Arc<Fatal>,
        silence_limit: Duration,
    ) -> Self {
        Self {
            metrics,
            health,
            fatal,
            silence_limit,
        }
    }

    fn update_assignment(&self, consumer: &BaseConsumer<Self>) {
        let n = consumer.assignment().map_or(0, |tpl| tpl.count());
        self.metrics.set_assigned_partitions(n);
        self.health.set_assigned(n > 0);
    }
}

impl ClientContext for ServiceContext {
    fn stats(&self, stats: Statistics) {
        if stats.client_type != "consumer" {
            return;
        }
        let mut lags = Vec::new();
        for (topic, t) in &stats.topics {
            for (partition, p) in &t.partitions {
                // Partition -1 is librdkafka's internal "unassigned" bucket; a negative lag
                // means "not known yet".
                if *partition >= 0 && p.desired && p.consumer_lag >= 0 {
                    lags.push((topic.clone(), *partition, p.consumer_lag));
                }
            }
        }
        let lags: Vec<(&str, i32, i64)> =
            lags.iter().map(|(t, p, l)| (t.as_str(), *p, *l)).collect();
        self.metrics.replace_consumer_lag(&lags);
        // The brokers it learned, and the group coordinator's connection (a logical broker
        // without a node id), which answers the heartbeats: a member without partitions fetches
        // nothing, so only the coordinator shows that the cluster still answers it.
        let idle: Vec<i64> = stats
            .brokers
            .values()
            .filter(|b| b.nodeid >= 0 || b.source == "logical")
            .map(|b| b.rxidle)
            .collect();
        self.health
            .set_brokers_silent(brokers_silent(&idle, self.silence_limit));
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if super::is_fatal(&error) {
            self.fatal.raise(format!("{error}: {reason}"));
        } else if matches!(error, KafkaError::Global(RDKafkaErrorCode::AllBrokersDown)) {
            tracing::warn!(%error, reason, "all brokers are down; retrying");
            self.health.set_producer_ok(false);
        } else {
            tracing::warn!(%error, reason, "Kafka client error; retrying");
        }
    }
}

impl ConsumerContext for ServiceContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(tpl) => {
                self.metrics.rebalance(RebalanceKind::Revoke);
                // Commit what has been delivered before the partitions go to another member;
                // records still in flight will be consumed again there (at-least-once).
                let result = consumer.commit_consumer_state(CommitMode::Sync);
                match &result {
                    Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {
                        self.metrics.commit(true);
                    }
                    Err(e) => {
                        self.metrics.commit(false);
                        tracing::warn!(error = %e, "commit on partition revoke failed");
                    }
                }
                tracing::info!(partitions = %describe(tpl), "partitions revoked");
            }
            Rebalance::Assign(_) => {}
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance error"),
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                self.metrics.rebalance(RebalanceKind::Assign);
                if tpl.count() == 0 {
                    tracing::info!(
                        "no partitions assigned: the group has more members than the input has partitions, or is still forming"
                    );
                } else {
                    tracing::info!(partitions = %describe(tpl), "partitions assigned");
                }
            }
            Rebalance::Revoke(_) => {
                if consumer.assignment_lost() {
                    self.metrics.rebalance(RebalanceKind::Lost);
                }
            }
            Rebalance::Error(_) => {}
        }
        self.update_assignment(consumer);
    }

    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        match result {
            // Nothing stored since the last commit: not a failure.
            Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {
                self.metrics.commit(true);
            }
            Err(e) => {
                self.metrics.commit(false);
                tracing::warn!(error = %e, "offset commit failed; will retry on the next interval");
            }
        }
    }
}

fn describe(tpl: &TopicPartitionList) -> String {
    let mut parts: Vec<String> = tpl
        .elements()
        .iter()
        .map(|e| format!("{}/{}", e.topic(), e.partition()))
        .collect();
    parts.sort();
    parts.join(",")
}

/// True when the consumer has brokers and none has answered within `limit`. `idle` holds each
/// broker's time since it last sent anything, in microseconds (librdkafka's `rxidle`; -1 before
/// the first answer, which does not count as silence). A consumer fetches continuously, so a
/// working broker answers at least every `fetch.wait.max.ms`; a frozen or cut-off one does not,
/// although its connection may look up for a long time.
fn brokers_silent(idle: &[i64], limit: Duration) -> bool {
    let limit = i64::try_from(limit.as_micros()).unwrap_or(i64::MAX);
    !idle.is_empty() && idle.iter().all(|&us| us > limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_needs_every_broker_quiet_past_the_limit() {
        let limit = Duration::from_secs(15);
        let s = 1_000_000;
        assert!(!brokers_silent(&[], limit), "no brokers known yet");
        assert!(!brokers_silent(&[-1, -1], limit), "no answer yet");
        assert!(!brokers_silent(&[20 * s, 50_000], limit), "one answers");
        assert!(!brokers_silent(&[15 * s], limit), "at the limit");
        assert!(brokers_silent(&[15 * s + 1], limit));
        assert!(brokers_silent(&[20 * s, 16 * s], limit));
    }
}
