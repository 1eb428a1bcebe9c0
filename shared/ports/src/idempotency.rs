//! Doing a piece of work once per key. Each attempt has a [`ClaimToken`] of
//! its own: finding its own token on the key, it carries on (the SDK retried a
//! write whose reply was lost); completing or releasing is conditioned on it,
//! so a late attempt never records over, or frees, its successor's claim; and a
//! claim holds until the attempt's deadline, when it can no longer be running.

use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::BackendError;

/// One attempt's mark on the keys it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimToken(Uuid);

impl ClaimToken {
    /// A token no other attempt has.
    pub fn random() -> ClaimToken {
        ClaimToken(Uuid::new_v4())
    }
}

impl std::fmt::Display for ClaimToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimRequest<'a> {
    pub key: &'a str,
    /// What makes two requests "the same": another fingerprint is a `Mismatch`.
    pub fingerprint: &'a str,
    /// What this attempt would do, for a retry to resume (an earlier attempt's
    /// wins). The email worker, the one user (decision 0008), leaves it empty.
    pub pending: &'a str,
    pub token: ClaimToken,
    /// When the attempt's time is up: the claim lapses then, not before.
    pub hold_until: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// The outcome of asking to do the work for an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller now owns the key. `pending` is the first claimer's value:
    /// the caller's own, or an earlier attempt's, whose work a retry resumes.
    Acquired { pending: String },
    /// The work is done; `result` is what the owner recorded.
    Completed { result: String },
    /// Another attempt holds the key until `until` (or finishes first).
    InProgress { until: DateTime<Utc> },
    /// The key was used for a different request.
    Mismatch,
}

/// Whether [`IdempotencyStore::complete`] recorded the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    Recorded,
    /// The claim lapsed and another attempt, which records its own result, took over.
    Superseded,
}

/// What the store holds for a key, as an operator reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub completed_at: Option<DateTime<Utc>>,
    pub result: Option<String>,
}

/// The key of an event's confirmation email (claimed by the email worker).
pub fn email_key(event_id: Uuid) -> String {
    format!("email#{event_id}")
}

pub trait IdempotencyStore: Send + Sync {
    /// Claims `request.key` for the attempt `request.token`, until `request.hold_until`.
    fn claim(
        &self,
        request: &ClaimRequest<'_>,
    ) -> impl Future<Output = Result<Claim, BackendError>> + Send;
    /// Records the result, if `token` still holds the key; later claims get `Completed`.
    fn complete(
        &self,
        key: &str,
        token: ClaimToken,
        result: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Completion, BackendError>> + Send;
    /// Gives the key up after a failure, if `token` holds it: a retry may claim it at once.
    fn release(
        &self,
        key: &str,
        token: ClaimToken,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
    fn lookup(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<KeyRecord>, BackendError>> + Send;
}
