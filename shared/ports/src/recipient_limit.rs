//! How many confirmations one address may receive, so the public endpoint
//! cannot flood an inbox (a script ordering for a victim, a retry storm). Each
//! event counts once per address per window, however often it is delivered.

use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::BackendError;
use domain::CustomerEmail;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The address already got `limit` mails (other events) in this window.
    OverLimit {
        limit: u32,
    },
}

pub trait RecipientLimit: Send + Sync {
    /// Counts `event_id`'s mail to `to` (once, however often asked): may it go?
    fn admit(
        &self,
        to: &CustomerEmail,
        event_id: Uuid,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Admission, BackendError>> + Send;
}
