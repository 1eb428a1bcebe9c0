//! `RecipientLimit` in memory.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::unavailable;
use crate::{Admission, BackendError, RecipientLimit};
use domain::CustomerEmail;

/// Counts events per address, with no window: `limit` per address in all.
#[derive(Debug)]
pub struct InMemoryRecipientLimit {
    limit: u32,
    sent: Mutex<HashMap<String, HashSet<Uuid>>>,
}

impl InMemoryRecipientLimit {
    pub fn new(limit: u32) -> Self {
        InMemoryRecipientLimit {
            limit,
            sent: Mutex::default(),
        }
    }
}

impl Default for InMemoryRecipientLimit {
    /// High enough never to matter to a test about something else.
    fn default() -> Self {
        InMemoryRecipientLimit::new(1000)
    }
}

impl RecipientLimit for InMemoryRecipientLimit {
    async fn admit(
        &self,
        to: &CustomerEmail,
        event_id: Uuid,
        _now: DateTime<Utc>,
    ) -> Result<Admission, BackendError> {
        let mut sent = self.sent.lock().map_err(|_| unavailable("admit"))?;
        let events = sent.entry(to.as_str().to_ascii_lowercase()).or_default();
        if events.contains(&event_id) || events.len() < self.limit as usize {
            events.insert(event_id);
            Ok(Admission::Admitted)
        } else {
            Ok(Admission::OverLimit { limit: self.limit })
        }
    }
}
