//! In-memory fakes of the ports, for tests of the code that uses them.
//! Compiled only for tests (`--features fakes` from other crates).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::domain::OrderId;
use crate::event::OrderCreated;
use crate::ports::{
    BackendError, Claim, ClaimRequest, ClaimToken, Completion, EventPublisher, IdempotencyStore,
    OrderRecord, OrderRepository, PendingOrder, RepositoryError,
};

fn unavailable(operation: &'static str) -> BackendError {
    BackendError::new(operation, true, "the fake was told to fail")
}

/// Orders in a map; can be told to fail every call.
#[derive(Debug, Default)]
pub struct InMemoryOrderRepository {
    orders: Mutex<HashMap<OrderId, OrderRecord>>,
    failing: AtomicBool,
}

impl InMemoryOrderRepository {
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    pub fn all(&self) -> Vec<OrderRecord> {
        self.orders
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    fn check(&self, operation: &'static str) -> Result<(), RepositoryError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(unavailable(operation).into());
        }
        Ok(())
    }
}

impl OrderRepository for InMemoryOrderRepository {
    async fn insert(&self, record: &OrderRecord) -> Result<(), RepositoryError> {
        self.check("insert")?;
        let mut orders = self.orders.lock().map_err(|_| unavailable("insert"))?;
        if orders.contains_key(&record.order.order_id) {
            return Err(RepositoryError::AlreadyExists(record.order.order_id));
        }
        orders.insert(record.order.order_id, record.clone());
        Ok(())
    }

    async fn get(&self, id: OrderId) -> Result<Option<OrderRecord>, RepositoryError> {
        self.check("get")?;
        Ok(self
            .orders
            .lock()
            .map_err(|_| unavailable("get"))?
            .get(&id)
            .cloned())
    }

    async fn mark_published(&self, id: OrderId) -> Result<(), RepositoryError> {
        self.check("mark_published")?;
        if let Some(record) = self
            .orders
            .lock()
            .map_err(|_| unavailable("mark_published"))?
            .get_mut(&id)
        {
            record.published = true;
        }
        Ok(())
    }

    async fn unpublished(
        &self,
        after: Option<&PendingOrder>,
        limit: usize,
    ) -> Result<Vec<PendingOrder>, RepositoryError> {
        self.check("unpublished")?;
        let orders = self.orders.lock().map_err(|_| unavailable("unpublished"))?;
        let mut pending: Vec<PendingOrder> = orders
            .values()
            .filter(|record| !record.published)
            .map(|record| PendingOrder {
                order_id: record.order.order_id,
                created_at: record.order.created_at,
            })
            .collect();
        pending.sort_by_key(|p| (p.created_at, p.order_id.to_string()));
        let start = after.map_or(0, |last| {
            let last = (last.created_at, last.order_id.to_string());
            pending.partition_point(|p| (p.created_at, p.order_id.to_string()) <= last)
        });
        Ok(pending.into_iter().skip(start).take(limit).collect())
    }
}

/// Keeps every event it is given; can be told to fail.
#[derive(Debug, Default)]
pub struct RecordingEventPublisher {
    events: Mutex<Vec<OrderCreated>>,
    failing: AtomicBool,
}

impl RecordingEventPublisher {
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    pub fn events(&self) -> Vec<OrderCreated> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl EventPublisher for RecordingEventPublisher {
    async fn publish(&self, event: &OrderCreated) -> Result<(), BackendError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(BackendError::new("publish", false, "topic does not exist"));
        }
        self.events
            .lock()
            .map_err(|_| unavailable("publish"))?
            .push(event.clone());
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct Entry {
    fingerprint: String,
    pending: String,
    result: Option<String>,
    /// The attempt holding the key, and until when; `None` once released.
    holder: Option<(ClaimToken, DateTime<Utc>)>,
}

/// Idempotency records in a map, with the DynamoDB store's rules: a claim
/// is held by its token until its deadline, and only that token completes
/// or releases it. Records never expire on their own.
#[derive(Debug, Default)]
pub struct InMemoryIdempotencyStore {
    entries: Mutex<HashMap<String, Entry>>,
    /// Completions still to fail, as a store that is briefly down would.
    failing_completions: std::sync::atomic::AtomicUsize,
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
        _now: DateTime<Utc>,
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
                entry.holder = None;
                Ok(Completion::Recorded)
            }
            _ => Ok(Completion::Superseded),
        }
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

/// The first delivery of message `message_id`, with a minute to handle it.
pub fn delivery(message_id: &str) -> crate::batch::Delivery {
    crate::batch::Delivery {
        message_id: message_id.to_owned(),
        receive_count: 1,
        deadline: Utc::now() + chrono::Duration::seconds(60),
    }
}

/// Counts events per address, with no window: `limit` per address in all.
#[derive(Debug)]
pub struct InMemoryRecipientLimit {
    limit: u32,
    sent: Mutex<HashMap<String, std::collections::HashSet<uuid::Uuid>>>,
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

impl crate::ports::RecipientLimit for InMemoryRecipientLimit {
    async fn admit(
        &self,
        to: &crate::domain::CustomerEmail,
        event_id: uuid::Uuid,
        _now: DateTime<Utc>,
    ) -> Result<crate::ports::Admission, BackendError> {
        let mut sent = self.sent.lock().map_err(|_| unavailable("admit"))?;
        let events = sent.entry(to.as_str().to_ascii_lowercase()).or_default();
        if events.contains(&event_id) || events.len() < self.limit as usize {
            events.insert(event_id);
            Ok(crate::ports::Admission::Admitted)
        } else {
            Ok(crate::ports::Admission::OverLimit { limit: self.limit })
        }
    }
}
