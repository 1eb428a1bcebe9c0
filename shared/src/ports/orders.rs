//! Storing orders and publishing their events.

use std::future::Future;

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
}

impl<T: EventPublisher> EventPublisher for std::sync::Arc<T> {
    fn publish(
        &self,
        event: &OrderCreated,
    ) -> impl Future<Output = Result<(), BackendError>> + Send {
        T::publish(self, event)
    }
}
