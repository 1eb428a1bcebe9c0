//! Ports: one small trait per capability. Handlers ask only for what they use;
//! adapters (`crate::adapters`) implement them against AWS, fakes in tests.
//!
//! Each error says whether it is worth retrying, because that decides between
//! "try again" and "dead-letter it".

mod audit_log;
mod dead_letters;
mod idempotency;
mod mailer;
mod orders;
mod queues;
mod recipient_limit;

pub use audit_log::{AuditLog, AuditRecord, OrderDetails, Recorded};
pub use dead_letters::{failure_attributes, DeadLetter, DeadLetters, FailureKind, FailureNote};
pub use idempotency::{
    email_key, Claim, ClaimRequest, ClaimToken, Completion, IdempotencyStore, KeyRecord,
};
pub use mailer::{Email, Mailer, Sent};
pub use orders::{
    backlog_shards, outbox_shard, EventPublisher, Fetched, OrderRecord, OrderRepository, Outbox,
    PageToken, Pending, PendingOrder, PendingPage, RepositoryError, LEGACY_SHARD,
    MAX_PUBLISH_BATCH, OUTBOX_SHARDS,
};
pub use queues::{Letter, Queues, FAILURE_ATTRIBUTES, MAX_BATCH};
pub use recipient_limit::{Admission, RecipientLimit};

/// An error from a store or a broker: the cause chain is kept for the log.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed")]
pub struct BackendError {
    pub operation: &'static str,
    /// Throttling, timeouts, 5xx: retrying later may succeed.
    pub transient: bool,
    /// What an operator is told: nobody answered, or the thing is not there.
    pub fault: Fault,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl BackendError {
    pub fn new(
        operation: &'static str,
        transient: bool,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        BackendError {
            operation,
            transient,
            fault: Fault::Other,
            source: source.into(),
        }
    }

    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.fault = fault;
        self
    }

    /// The service asked us to slow down: back-pressure, not a failure.
    pub fn is_throttled(&self) -> bool {
        self.fault == Fault::Throttled
    }
}

/// What kind of failure a [`BackendError`] is, for telling an operator what
/// to check. Handlers decide on [`BackendError::transient`] alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No answer at all: the endpoint is down, unreachable, or too slow.
    Unreachable,
    /// The table, queue or topic does not exist there.
    NotFound,
    /// The service refused the rate of our calls (throttling, HTTP 429):
    /// the caller should slow down, not give up.
    Throttled,
    Other,
}
