//! Doing a piece of work once per key.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::BackendError;

/// The outcome of asking to do the work for an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller now owns the key. `pending` is what the owner wrote when it
    /// claimed it: the caller's own value on a first claim, or that of an earlier
    /// attempt that crashed or released it, so a retry can resume that work.
    Acquired { pending: String },
    /// The work is done; `result` is what the owner recorded.
    Completed { result: String },
    /// Someone else is doing the work and their claim has not expired.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// Remembers which keys have been handled, so that work happens once.
///
/// A claim expires after a while (the in-progress expiry), so that an attempt
/// that crashed without completing or releasing is retried, not lost.
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request whose body hashes to `fingerprint`.
    fn claim(
        &self,
        key: &str,
        fingerprint: &str,
        pending: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Claim, BackendError>> + Send;
    /// Records the result; later claims get `Completed`.
    fn complete(
        &self,
        key: &str,
        result: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Gives the key up after a failure, so a retry may claim it at once.
    fn release(&self, key: &str) -> impl Future<Output = Result<(), BackendError>> + Send;
}
