//! [`IdempotencyStore`] in memory, with the DynamoDB store's rules.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::unavailable;
use crate::{
    BackendError, Claim, ClaimRequest, ClaimToken, Completion, IdempotencyStore, KeyRecord,
};

#[derive(Debug, Clone)]
struct Entry {
    fingerprint: String,
    pending: String,
    result: Option<String>,
    completed_at: Option<DateTime<Utc>>,
    /// The attempt holding the key, and until when; `None` once released.
    holder: Option<(ClaimToken, DateTime<Utc>)>,
}

/// Idempotency records in a map, with the DynamoDB store's rules: a claim
/// is held by its token until its deadline, and only that token completes
/// or releases it. Records never expire on their own. A clone shares them.
#[derive(Debug, Default, Clone)]
pub struct InMemoryIdempotencyStore {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
    /// Completions still to fail, as a store that is briefly down would.
    failing_completions: Arc<std::sync::atomic::AtomicUsize>,
}

impl InMemoryIdempotencyStore {
    /// The next `count` calls to `complete` fail (transiently).
    pub fn fail_next_completions(&self, count: usize) {
        self.failing_completions.store(count, Ordering::SeqCst);
    }

    /// The result recorded for `key`, if the work is done.
    pub fn result(&self, key: &str) -> Option<String> {
        self.entries
            .lock()
            .ok()
            .and_then(|entries| entries.get(key).and_then(|e| e.result.clone()))
    }
}

impl IdempotencyStore for InMemoryIdempotencyStore {
    async fn claim(&self, request: &ClaimRequest<'_>) -> Result<Claim, BackendError> {
        let mut entries = self.entries.lock().map_err(|_| unavailable("claim"))?;
        let entry = entries
            .entry(request.key.to_owned())
            .or_insert_with(|| Entry {
                fingerprint: request.fingerprint.to_owned(),
                pending: request.pending.to_owned(),
                result: None,
                completed_at: None,
                holder: None,
            });
        if entry.fingerprint != request.fingerprint {
            return Ok(Claim::Mismatch);
        }
        if let Some(result) = &entry.result {
            return Ok(Claim::Completed {
                result: result.clone(),
            });
        }
        match entry.holder {
            Some((holder, until)) if holder != request.token && until > request.now => {
                Ok(Claim::InProgress { until })
            }
            _ => {
                entry.holder = Some((request.token, request.hold_until));
                Ok(Claim::Acquired {
                    pending: entry.pending.clone(),
                })
            }
        }
    }

    async fn complete(
        &self,
        key: &str,
        token: ClaimToken,
        result: &str,
        now: DateTime<Utc>,
    ) -> Result<Completion, BackendError> {
        let failing =
            self.failing_completions
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(unavailable("complete"));
        }
        let mut entries = self.entries.lock().map_err(|_| unavailable("complete"))?;
        match entries.get_mut(key) {
            Some(entry) if entry.holder.is_some_and(|(holder, _)| holder == token) => {
                entry.result = Some(result.to_owned());
                entry.completed_at = Some(now);
                entry.holder = None;
                Ok(Completion::Recorded)
            }
            _ => Ok(Completion::Superseded),
        }
    }

    async fn lookup(&self, key: &str) -> Result<Option<KeyRecord>, BackendError> {
        let entries = self.entries.lock().map_err(|_| unavailable("lookup"))?;
        Ok(entries.get(key).map(|entry| KeyRecord {
            completed_at: entry.completed_at,
            result: entry.result.clone(),
        }))
    }

    async fn release(&self, key: &str, token: ClaimToken) -> Result<(), BackendError> {
        let mut entries = self.entries.lock().map_err(|_| unavailable("release"))?;
        if let Some(entry) = entries.get_mut(key) {
            if entry.holder.is_some_and(|(holder, _)| holder == token) {
                entry.holder = None;
            }
        }
        Ok(())
    }
}
