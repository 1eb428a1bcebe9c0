//! The use case: accept a valid order exactly once, store it, publish its event.
//!
//! Persist, then publish. The order is stored with `published = false` and
//! flipped after SNS accepts the event, so an order whose event is lost says
//! so. With an `Idempotency-Key`, a retry resumes the same order (same id, same
//! event id) instead of creating another: after a failed publish it publishes,
//! after a success it replays the first response.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::domain::{iso8601, NewOrder, OrderId};
use shared::ports::{
    BackendError, Claim, EventPublisher, IdempotencyStore, OrderRecord, OrderRepository,
    RepositoryError,
};
use uuid::Uuid;

use crate::idempotency_key::IdempotencyKey;

/// The body of a 200: what the app shows the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderConfirmation {
    pub order_id: String,
    pub message: String,
    pub created_at: String,
}

impl OrderConfirmation {
    fn of(record: &OrderRecord) -> Self {
        OrderConfirmation {
            order_id: record.order.order_id.to_string(),
            message: "Order received successfully".to_owned(),
            created_at: iso8601::format(&record.order.created_at),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// This request did the work.
    Created(OrderConfirmation),
    /// An earlier request with the same key did; this is its response.
    Replayed(OrderConfirmation),
}

#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("the idempotency key was used for a different order")]
    KeyReused,
    #[error("another request with the same idempotency key is in progress")]
    InProgress,
    #[error("could not store order")]
    Store(#[source] RepositoryError),
    #[error("order {order_id} is stored but its event was not published")]
    Publish {
        order_id: OrderId,
        #[source]
        source: BackendError,
    },
    #[error("idempotency store failed")]
    Idempotency(#[source] BackendError),
    #[error("the idempotency record holds an unreadable result")]
    CorruptRecord(#[source] serde_json::Error),
}

/// Places orders through the ports it is given.
#[derive(Debug, Clone)]
pub struct OrderService<R, P, I> {
    orders: R,
    events: P,
    idempotency: I,
}

impl<R: OrderRepository, P: EventPublisher, I: IdempotencyStore> OrderService<R, P, I> {
    pub fn new(orders: R, events: P, idempotency: I) -> Self {
        OrderService {
            orders,
            events,
            idempotency,
        }
    }

    pub async fn place(
        &self,
        order: NewOrder,
        key: Option<&IdempotencyKey>,
        correlation_id: &str,
    ) -> Result<Placed, PlaceError> {
        let Some(key) = key else {
            let record = self.store_new(order, OrderId::new()).await?;
            self.publish(&record, correlation_id).await?;
            return Ok(Placed::Created(OrderConfirmation::of(&record)));
        };

        let now = Utc::now();
        let store_key = key.store_key();
        let claim = self
            .idempotency
            .claim(
                &store_key,
                &fingerprint(&order),
                &OrderId::new().to_string(),
                now,
            )
            .await
            .map_err(PlaceError::Idempotency)?;
        let order_id = match claim {
            Claim::Completed { result } => {
                let confirmation =
                    serde_json::from_str(&result).map_err(PlaceError::CorruptRecord)?;
                return Ok(Placed::Replayed(confirmation));
            }
            Claim::InProgress => return Err(PlaceError::InProgress),
            Claim::Mismatch => return Err(PlaceError::KeyReused),
            // The id chosen by the first attempt with this key, so a retry resumes it.
            Claim::Acquired { pending } => pending.parse().unwrap_or_default(),
        };

        match self.resume(order, order_id, correlation_id).await {
            Ok(confirmation) => {
                let result =
                    serde_json::to_string(&confirmation).map_err(PlaceError::CorruptRecord)?;
                if let Err(e) = self
                    .idempotency
                    .complete(&store_key, &result, Utc::now())
                    .await
                {
                    // The order is placed; a retry will find it and answer the same.
                    tracing::warn!(error = %shared::telemetry::error_chain(&e), "could not record idempotent result");
                }
                Ok(Placed::Created(confirmation))
            }
            Err(e) => {
                if let Err(release) = self.idempotency.release(&store_key).await {
                    // The claim expires on its own; a retry just waits for that.
                    tracing::warn!(error = %shared::telemetry::error_chain(&release), "could not release idempotency key");
                }
                Err(e)
            }
        }
    }

    /// Stores the order under `order_id`, or picks up the one an earlier attempt stored.
    async fn resume(
        &self,
        order: NewOrder,
        order_id: OrderId,
        correlation_id: &str,
    ) -> Result<OrderConfirmation, PlaceError> {
        let record = match self.store_new(order, order_id).await {
            Ok(record) => record,
            Err(PlaceError::Store(RepositoryError::AlreadyExists(_))) => {
                match self.orders.get(order_id).await.map_err(PlaceError::Store)? {
                    Some(existing) => existing,
                    None => {
                        return Err(PlaceError::Store(RepositoryError::AlreadyExists(order_id)))
                    }
                }
            }
            Err(e) => return Err(e),
        };
        if !record.published {
            self.publish(&record, correlation_id).await?;
        }
        Ok(OrderConfirmation::of(&record))
    }

    async fn store_new(
        &self,
        order: NewOrder,
        order_id: OrderId,
    ) -> Result<OrderRecord, PlaceError> {
        let record = OrderRecord {
            order: order.accept(order_id, Utc::now()),
            event_id: Uuid::new_v4(),
            published: false,
        };
        self.orders
            .insert(&record)
            .await
            .map_err(PlaceError::Store)?;
        tracing::info!(
            orderId = %record.order.order_id,
            customerEmail = %record.order.customer_email,
            totalAmount = %record.order.total_amount,
            items = record.order.items.len(),
            "order stored"
        );
        Ok(record)
    }

    async fn publish(&self, record: &OrderRecord, correlation_id: &str) -> Result<(), PlaceError> {
        shared::outbox::publish_order(&self.orders, &self.events, record, correlation_id)
            .await
            .map_err(|source| PlaceError::Publish {
                order_id: record.order.order_id,
                source,
            })
    }
}

/// What makes two requests "the same order": the parsed order, not its
/// formatting (key order, spacing, `2` vs `2.0`).
pub fn fingerprint(order: &NewOrder) -> String {
    #[derive(Serialize)]
    struct Canonical<'a> {
        customer_id: &'a Option<String>,
        customer_name: &'a str,
        customer_email: &'a str,
        items: &'a [shared::domain::OrderLine],
    }
    let canonical = Canonical {
        customer_id: &order.customer_id,
        customer_name: order.customer_name.as_str(),
        customer_email: order.customer_email.as_str(),
        items: &order.items,
    };
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    format!("{:x}", Sha256::digest(bytes))
}
