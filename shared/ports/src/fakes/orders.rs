//! [`OrderRepository`] in memory and an [`EventPublisher`] that keeps what
//! it is given.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::unavailable;
use crate::event::OrderCreated;
use crate::{
    outbox_shard, BackendError, EventPublisher, Fetched, Inserted, OrderRecord, OrderRepository,
    Outbox, PageToken, Pending, PendingOrder, PendingPage, RepositoryError,
};
use domain::OrderId;

/// A backlog entry that reads as no order: (shard, created, key).
type UnreadableEntry = (u32, DateTime<Utc>, String);

/// Orders in a map; can be told to fail every call. A clone shares the map
/// (the app and a test may hold the same one).
#[derive(Debug, Default, Clone)]
pub struct InMemoryOrderRepository {
    orders: Arc<Mutex<HashMap<OrderId, OrderRecord>>>,
    unreadable: Arc<Mutex<Vec<UnreadableEntry>>>,
    failing: Arc<AtomicBool>,
    lose_insert_reply: Arc<AtomicBool>,
}

impl InMemoryOrderRepository {
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Loses the reply of the next insert that stores an order: it is
    /// stored, and answered as the retry of a lost reply finds it — taken,
    /// by the very record given.
    pub fn lose_next_insert_reply(&self) {
        self.lose_insert_reply.store(true, Ordering::SeqCst);
    }

    /// Puts an entry in the backlog's `shard` that does not read as an
    /// order, as a hand-edited or corrupted item would.
    pub fn add_unreadable_entry(&self, shard: u32, created_at: DateTime<Utc>, key: &str) {
        if let Ok(mut entries) = self.unreadable.lock() {
            entries.push((shard, created_at, key.to_owned()));
        }
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
    async fn insert(&self, record: &OrderRecord) -> Result<Inserted, RepositoryError> {
        self.check("insert")?;
        let mut orders = self.orders.lock().map_err(|_| unavailable("insert"))?;
        if let Some(existing) = orders.get(&record.order.order_id) {
            return Ok(Inserted::Exists(existing.clone()));
        }
        orders.insert(record.order.order_id, record.clone());
        if self.lose_insert_reply.swap(false, Ordering::SeqCst) {
            // What the adapter answers when the SDK sent the write again
            // after its reply was lost: the retry met the first write.
            return Ok(Inserted::Exists(record.clone()));
        }
        Ok(Inserted::Stored)
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
}

impl Outbox for InMemoryOrderRepository {
    async fn unpublished(
        &self,
        shard: u32,
        page: Option<&PageToken>,
        limit: usize,
    ) -> Result<PendingPage, RepositoryError> {
        self.check("unpublished")?;
        let orders = self.orders.lock().map_err(|_| unavailable("unpublished"))?;
        let mut entries: Vec<(DateTime<Utc>, String, Pending)> = orders
            .values()
            .filter(|record| !record.published && outbox_shard(record.order.order_id) == shard)
            .map(|record| {
                let pending = PendingOrder {
                    order_id: record.order.order_id,
                    created_at: record.order.created_at,
                };
                (
                    pending.created_at,
                    pending.order_id.to_string(),
                    Pending::Order(pending),
                )
            })
            .collect();
        let unreadable = self
            .unreadable
            .lock()
            .map_err(|_| unavailable("unpublished"))?;
        entries.extend(
            unreadable
                .iter()
                .filter(|(in_shard, _, _)| *in_shard == shard)
                .map(|(_, at, key)| {
                    let entry = Pending::Unreadable {
                        key: key.clone(),
                        reason: "the fake's unreadable entry".to_owned(),
                    };
                    (*at, key.clone(), entry)
                }),
        );
        entries.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let start: usize = page.and_then(|t| t.0.parse().ok()).unwrap_or(0);
        let end = (start + limit.max(1)).min(entries.len());
        let next = (end < entries.len()).then(|| PageToken(end.to_string()));
        Ok(PendingPage {
            entries: entries
                .into_iter()
                .skip(start)
                .take(end - start)
                .map(|(_, _, e)| e)
                .collect(),
            next,
        })
    }

    async fn mark_many_published(&self, records: &[OrderRecord]) -> Result<(), RepositoryError> {
        for record in records {
            self.mark_published(record.order.order_id).await?;
        }
        Ok(())
    }

    async fn get_many(&self, ids: &[OrderId]) -> Result<Vec<Fetched>, RepositoryError> {
        self.check("get_many")?;
        let orders = self.orders.lock().map_err(|_| unavailable("get_many"))?;
        Ok(ids
            .iter()
            .map(|id| match orders.get(id) {
                Some(record) => Fetched::Found(record.clone()),
                None => Fetched::Missing(*id),
            })
            .collect())
    }
}

/// Keeps every event it is given; can be told to fail. A clone shares them.
#[derive(Debug, Default, Clone)]
pub struct RecordingEventPublisher {
    events: Arc<Mutex<Vec<OrderCreated>>>,
    batches: Arc<std::sync::atomic::AtomicUsize>,
    failed_batches: Arc<std::sync::atomic::AtomicUsize>,
    failing: Arc<AtomicBool>,
}

impl RecordingEventPublisher {
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    pub fn events(&self) -> Vec<OrderCreated> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// How many `publish_batch` calls it refused.
    pub fn failed_batches(&self) -> usize {
        self.failed_batches.load(Ordering::SeqCst)
    }

    /// How many `publish_batch` calls it took.
    pub fn batches(&self) -> usize {
        self.batches.load(Ordering::SeqCst)
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

    async fn publish_batch(
        &self,
        events: &[OrderCreated],
    ) -> Result<Vec<Result<(), BackendError>>, BackendError> {
        if self.failing.load(Ordering::SeqCst) {
            self.failed_batches.fetch_add(1, Ordering::SeqCst);
            return Err(BackendError::new(
                "publish_batch",
                false,
                "topic does not exist",
            ));
        }
        self.batches.fetch_add(1, Ordering::SeqCst);
        let mut kept = self.events.lock().map_err(|_| unavailable("publish"))?;
        kept.extend(events.iter().cloned());
        Ok(events.iter().map(|_| Ok(())).collect())
    }
}
