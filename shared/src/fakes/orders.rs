//! [`OrderRepository`] in memory and an [`EventPublisher`] that keeps what
//! it is given.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::unavailable;
use crate::domain::OrderId;
use crate::event::OrderCreated;
use crate::ports::{
    BackendError, EventPublisher, OrderRecord, OrderRepository, PendingOrder, RepositoryError,
};

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
            record.published_at = Some(chrono::Utc::now());
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
