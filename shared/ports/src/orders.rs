//! Storing orders and publishing their events.

use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{event::OrderCreated, BackendError};
use domain::{Order, OrderId};

/// An order with its publication state: the order table is also the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub order: Order,
    /// The id of the order's one `OrderCreated` event, fixed when the order is stored.
    pub event_id: Uuid,
    /// `false` until SNS accepted the event.
    pub published: bool,
    /// When the order was marked published (unknown for older orders).
    pub published_at: Option<DateTime<Utc>>,
    /// For an order placed under an Idempotency-Key, order-api's fingerprint
    /// of the parsed order: a repeat of the key with another is refused.
    pub fingerprint: Option<String>,
}

/// What [`OrderRepository::insert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    Stored,
    /// The id was taken: the order stored under it (maybe the record given, sent again).
    Exists(OrderRecord),
}

/// An order stored whose event may not be out yet: the outbox's backlog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOrder {
    pub order_id: OrderId,
    pub created_at: DateTime<Utc>,
}

/// The outbox backlog's partitions (`PENDING#0` … `PENDING#31` on DynamoDB), by order id, so no
/// one takes every write. Not a setting: an entry in a shard the relay no longer read is lost.
pub const OUTBOX_SHARDS: u32 = 32;

/// The backlog from before it was sharded (`PENDING` on DynamoDB): read
/// after the shards so an upgrade leaves no order behind; not written to.
pub const LEGACY_SHARD: u32 = OUTBOX_SHARDS;

/// Every part of the backlog a sweep reads: the shards, then the legacy one.
pub fn backlog_shards() -> std::ops::RangeInclusive<u32> {
    0..=LEGACY_SHARD
}

/// The shard of an order's backlog entry: its id's last four bytes, big-endian.
pub fn outbox_shard(order_id: OrderId) -> u32 {
    order_id.as_uuid().as_u128() as u32 % OUTBOX_SHARDS
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Order(PendingOrder),
    /// Not an order (a bad id or date): skipped, and shown by its key.
    Unreadable {
        key: String,
        reason: String,
    },
}

/// Where a read of the backlog left off; opaque but to the adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken(pub String);

/// One page of one shard of the backlog, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingPage {
    pub entries: Vec<Pending>,
    /// Where the next page starts; `None` after the last.
    pub next: Option<PageToken>,
}

/// An order read back by id, among several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Found(OrderRecord),
    Missing(OrderId),
    /// Stored, but not as an order this build can read.
    Unreadable {
        order_id: OrderId,
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    #[error(transparent)]
    Backend(#[from] BackendError),
}

pub trait OrderRepository: Send + Sync {
    /// Stores a new order, or answers the one stored under its id: one write, no overwrite.
    fn insert(
        &self,
        record: &OrderRecord,
    ) -> impl Future<Output = Result<Inserted, RepositoryError>> + Send;
    fn get(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<Option<OrderRecord>, RepositoryError>> + Send;
    fn mark_published(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<(), RepositoryError>> + Send;
}

/// The orders table read as the outbox: the orders whose event may not be out yet.
pub trait Outbox: OrderRepository {
    /// Up to `limit` entries of one shard ([`backlog_shards`]), oldest
    /// first, from `page` on. It may lag a write: read an order before acting.
    fn unpublished(
        &self,
        shard: u32,
        page: Option<&PageToken>,
        limit: usize,
    ) -> impl Future<Output = Result<PendingPage, RepositoryError>> + Send;
    /// Reads up to 100 orders at once, consistently; one outcome per id, in any order.
    fn get_many(
        &self,
        ids: &[OrderId],
    ) -> impl Future<Output = Result<Vec<Fetched>, RepositoryError>> + Send;
    /// Marks orders just read (and published) published, all at once.
    fn mark_many_published(
        &self,
        records: &[OrderRecord],
    ) -> impl Future<Output = Result<(), RepositoryError>> + Send;
}

/// SNS's largest batch (`PublishBatch`).
pub const MAX_PUBLISH_BATCH: usize = 10;

pub trait EventPublisher: Send + Sync {
    fn publish(
        &self,
        event: &OrderCreated,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Publishes up to [`MAX_PUBLISH_BATCH`] events in one call: each one's outcome, in order.
    fn publish_batch(
        &self,
        events: &[OrderCreated],
    ) -> impl Future<Output = Result<Vec<Result<(), BackendError>>, BackendError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_spread_over_every_shard_of_the_backlog() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let shard = outbox_shard(OrderId::random());
            assert!(shard < OUTBOX_SHARDS);
            seen.insert(shard);
        }
        assert_eq!(seen.len(), OUTBOX_SHARDS as usize);
    }
}
