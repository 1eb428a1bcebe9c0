//! The fleet's ports: what the functions need from the world, with no AWS in sight.
//!
//! # Layout
//!
//! - [`event`]: the versioned `ORDER_CREATED` contract between the API and the workers.
//! - One small trait per capability, each in a module with its types, all failing with
//!   [`BackendError`] ([`error`]); the `adapters` crate implements them on AWS.
//! - [`outbox`]: code written only against the ports: an order's publish, and the relay.
//! - [`digest`], [`redact`]: SHA-256 of private values; addresses masked.
//! - `fakes` (feature `fakes`): an in-memory fake of every port, for tests.

mod audit_log;
mod dead_letters;
pub mod digest;
pub mod error;
pub mod event;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
mod idempotency;
mod mailer;
mod orders;
pub mod outbox;
mod recipient_limit;
pub mod redact;

pub use audit_log::{AuditLog, AuditRecord, OrderDetails, Recorded};
pub use dead_letters::{failure_attributes, DeadLetter, DeadLetters, FailureKind, FailureNote};
pub use error::{error_chain, BackendError, Fault};
pub use idempotency::{
    email_key, Claim, ClaimRequest, ClaimToken, Completion, IdempotencyStore, KeyRecord,
};
pub use mailer::{Email, Mailer, Sent};
pub use orders::{
    backlog_shards, outbox_shard, EventPublisher, Fetched, Inserted, OrderRecord, OrderRepository,
    Outbox, PageToken, Pending, PendingOrder, PendingPage, RepositoryError, LEGACY_SHARD,
    MAX_PUBLISH_BATCH, OUTBOX_SHARDS,
};
pub use recipient_limit::{Admission, RecipientLimit};

/// The time left until `until`; zero once it has passed.
pub fn time_left(until: chrono::DateTime<chrono::Utc>) -> std::time::Duration {
    (until - chrono::Utc::now()).to_std().unwrap_or_default()
}
