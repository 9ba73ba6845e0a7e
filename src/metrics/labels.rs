//! Closed label values: every label of a metric other than the per-code counter's comes from
//! one of these enums, so no free text can become a label value.

/// Where a produced record went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// The output topic.
    Output,
    /// The dead-letter topic.
    Dlq,
    /// The raw topic `receive` writes what it reads to.
    Raw,
}

impl Destination {
    /// Every destination, in declaration order.
    pub const ALL: [Destination; 3] = [Destination::Output, Destination::Dlq, Destination::Raw];

    /// The `destination` label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Destination::Output => "output",
            Destination::Dlq => "dlq",
            Destination::Raw => "raw",
        }
    }
}

/// The class of a failed produce attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProduceErrorKind {
    /// The producer's local queue was full (retried after a pause).
    QueueFull,
    /// The delivery timed out (`message.timeout.ms`).
    Timeout,
    /// The broker rejected the record.
    Broker,
    /// Anything else.
    Other,
}

impl ProduceErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ProduceErrorKind; 4] = [
        ProduceErrorKind::QueueFull,
        ProduceErrorKind::Timeout,
        ProduceErrorKind::Broker,
        ProduceErrorKind::Other,
    ];

    /// The `kind` label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ProduceErrorKind::QueueFull => "queue_full",
            ProduceErrorKind::Timeout => "timeout",
            ProduceErrorKind::Broker => "broker",
            ProduceErrorKind::Other => "other",
        }
    }
}

/// A consumer-group rebalance event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RebalanceKind {
    /// Partitions were assigned.
    Assign,
    /// Partitions were revoked.
    Revoke,
    /// The assignment was lost (session timeout, fenced member).
    Lost,
}

impl RebalanceKind {
    /// Every kind, in declaration order.
    pub const ALL: [RebalanceKind; 3] = [
        RebalanceKind::Assign,
        RebalanceKind::Revoke,
        RebalanceKind::Lost,
    ];

    /// The `kind` label value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RebalanceKind::Assign => "assign",
            RebalanceKind::Revoke => "revoke",
            RebalanceKind::Lost => "lost",
        }
    }
}
