//! In-memory fakes of the ports, for tests of the code that uses them.
//! Compiled only for tests (`--features fakes` from other crates).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::domain::OrderId;
use crate::event::OrderCreated;
use crate::ports::{
    BackendError, Claim, EventPublisher, IdempotencyStore, OrderRecord, OrderRepository,
    RepositoryError,
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
    locked: bool,
}

/// Idempotency records in a map. Claims never expire on their own: tests
/// that need a takeover release the key.
#[derive(Debug, Default)]
pub struct InMemoryIdempotencyStore {
    entries: Mutex<HashMap<String, Entry>>,
}

impl IdempotencyStore for InMemoryIdempotencyStore {
    async fn claim(
        &self,
        key: &str,
        fingerprint: &str,
        pending: &str,
        _now: DateTime<Utc>,
    ) -> Result<Claim, BackendError> {
        let mut entries = self.entries.lock().map_err(|_| unavailable("claim"))?;
        let entry = entries.entry(key.to_owned()).or_insert_with(|| Entry {
            fingerprint: fingerprint.to_owned(),
            pending: pending.to_owned(),
            result: None,
            locked: false,
        });
        if entry.fingerprint != fingerprint {
            return Ok(Claim::Mismatch);
        }
        if let Some(result) = &entry.result {
            return Ok(Claim::Completed {
                result: result.clone(),
            });
        }
        if entry.locked {
            return Ok(Claim::InProgress);
        }
        entry.locked = true;
        Ok(Claim::Acquired {
            pending: entry.pending.clone(),
        })
    }

    async fn complete(
        &self,
        key: &str,
        result: &str,
        _now: DateTime<Utc>,
    ) -> Result<(), BackendError> {
        if let Some(entry) = self
            .entries
            .lock()
            .map_err(|_| unavailable("complete"))?
            .get_mut(key)
        {
            entry.result = Some(result.to_owned());
            entry.locked = false;
        }
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), BackendError> {
        if let Some(entry) = self
            .entries
            .lock()
            .map_err(|_| unavailable("release"))?
            .get_mut(key)
        {
            entry.locked = false;
        }
        Ok(())
    }
}
