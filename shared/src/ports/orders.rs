//! Storing orders and publishing their events.

use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::BackendError;
use crate::domain::{Order, OrderId};
use crate::event::OrderCreated;

/// An order with its publication state: the order table is also the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub order: Order,
    /// The id of the order's one `OrderCreated` event, fixed when the order is stored.
    pub event_id: Uuid,
    /// Whether the event is known to be published. `false` until SNS accepted it.
    pub published: bool,
    /// When the order was marked published (unknown for orders stored before
    /// this was recorded).
    pub published_at: Option<DateTime<Utc>>,
}

/// An order stored whose event may not be out yet: the outbox's backlog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOrder {
    pub order_id: OrderId,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    #[error("order {0} already exists")]
    AlreadyExists(OrderId),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Where orders live.
pub trait OrderRepository: Send + Sync {
    /// Stores a new order; `AlreadyExists` if its id is taken (never overwrites).
    fn insert(
        &self,
        record: &OrderRecord,
    ) -> impl Future<Output = Result<(), RepositoryError>> + Send;
    fn get(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<Option<OrderRecord>, RepositoryError>> + Send;
    fn mark_published(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<(), RepositoryError>> + Send;
    /// Up to `limit` orders not yet marked published, oldest first, after
    /// `after` (the last one of the previous page). The list may lag a write
    /// by a moment: read an order before acting on it.
    fn unpublished(
        &self,
        after: Option<&PendingOrder>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PendingOrder>, RepositoryError>> + Send;
}

/// Where events go.
pub trait EventPublisher: Send + Sync {
    fn publish(
        &self,
        event: &OrderCreated,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
}

/// A shared repository is a repository (the app and a test may hold the same one).
impl<T: OrderRepository> OrderRepository for std::sync::Arc<T> {
    fn insert(
        &self,
        record: &OrderRecord,
    ) -> impl Future<Output = Result<(), RepositoryError>> + Send {
        T::insert(self, record)
    }
    fn get(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<Option<OrderRecord>, RepositoryError>> + Send {
        T::get(self, id)
    }
    fn mark_published(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<(), RepositoryError>> + Send {
        T::mark_published(self, id)
    }
    fn unpublished(
        &self,
        after: Option<&PendingOrder>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PendingOrder>, RepositoryError>> + Send {
        T::unpublished(self, after, limit)
    }
}

impl<T: EventPublisher> EventPublisher for std::sync::Arc<T> {
    fn publish(
        &self,
        event: &OrderCreated,
    ) -> impl Future<Output = Result<(), BackendError>> + Send {
        T::publish(self, event)
    }
}
