//! The fleet's ports: what the functions need from the world, with no AWS in sight. One
//! small trait per capability, each in a module with its types, all failing with
//! [`BackendError`]; the `adapters` crate implements them on AWS, `fakes` (feature `fakes`)
//! in memory for tests. [`outbox`] is the code written only against them.

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
