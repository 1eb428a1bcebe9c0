//! The use case: store a valid order once, unpublished, then publish its event and
//! mark it. The stored order is the promise: 200 from then on; an event that did not
//! go out is the relay's. A repeated key finds its order in that write's answer
//! (docs/decisions/0008).

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{iso8601, NewOrder, OrderId};
use ports::error_chain;
use ports::outbox::publish_order;
use ports::{EventPublisher, Inserted, OrderRecord, OrderRepository, RepositoryError};
use runtime::metrics::{counter, name};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a request waits for SNS by default: a brownout never holds a customer long.
pub const PUBLISH_BUDGET: Duration = Duration::from_secs(1);

/// The body of a 200: what the app shows the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderConfirmation {
    /// The order's id (a UUID): the same for every retry with the same Idempotency-Key.
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub order_id: String,
    /// `Order received successfully`.
    pub message: String,
    /// When the order was received, ISO 8601 in UTC with milliseconds.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
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
    #[error("could not store order")]
    Store(#[from] RepositoryError),
    #[error("order id {0} is taken by another order")]
    IdTaken(OrderId),
}

#[derive(Debug, Clone)]
pub struct OrderService<R, P> {
    orders: R,
    events: P,
    publish_budget: Duration,
}

impl<R: OrderRepository, P: EventPublisher> OrderService<R, P> {
    pub fn new(orders: R, events: P) -> Self {
        OrderService {
            orders,
            events,
            publish_budget: PUBLISH_BUDGET,
        }
    }

    /// Waits for SNS `budget` instead of [`PUBLISH_BUDGET`].
    pub fn with_publish_budget(mut self, budget: Duration) -> Self {
        self.publish_budget = budget;
        self
    }

    /// Places `order`; `named` is the id its Idempotency-Key names (`None`: no key).
    pub async fn place(
        &self,
        order: NewOrder,
        named: Option<OrderId>,
        correlation_id: &str,
        deadline: DateTime<Utc>,
    ) -> Result<Placed, PlaceError> {
        let fingerprint = named.map(|_| fingerprint(&order));
        let record = OrderRecord {
            order: order.accept(named.unwrap_or_else(OrderId::random), Utc::now()),
            event_id: Uuid::new_v4(),
            published: false,
            published_at: None,
            fingerprint,
        };
        let (stored, replayed) = match self.orders.insert(&record).await? {
            Inserted::Stored => {
                tracing::info!(
                    orderId = %record.order.order_id,
                    customerId = record.order.customer_id.as_deref().unwrap_or("-"),
                    customerEmail = %record.order.customer_email,
                    totalAmount = %record.order.total_amount,
                    items = record.order.items.len(),
                    "order stored"
                );
                (record, false)
            }
            // The SDK resent our put after a lost reply and it met itself (our event id).
            Inserted::Exists(existing) if existing.event_id == record.event_id => (existing, false),
            // The key named this order before: the same request gets it, another is refused.
            Inserted::Exists(existing) if named.is_some() => {
                if existing.fingerprint != record.fingerprint {
                    return Err(PlaceError::KeyReused);
                }
                (existing, true)
            }
            Inserted::Exists(existing) => return Err(PlaceError::IdTaken(existing.order.order_id)),
        };
        // An earlier attempt may have died before publishing: whoever finds it unpublished does.
        if !stored.published {
            self.publish(&stored, correlation_id, deadline).await;
        }
        let confirmation = OrderConfirmation {
            order_id: stored.order.order_id.to_string(),
            message: "Order received successfully".to_owned(),
            created_at: iso8601::format(&stored.order.created_at),
        };
        Ok(if replayed {
            Placed::Replayed(confirmation)
        } else {
            Placed::Created(confirmation)
        })
    }

    /// Publishes within the budget and the request's deadline; a failure is the relay's.
    async fn publish(&self, record: &OrderRecord, correlation_id: &str, deadline: DateTime<Utc>) {
        let left = ports::time_left(deadline).saturating_sub(ANSWER_TIME);
        let budget = self.publish_budget.min(left);
        let published = publish_order(&self.orders, &self.events, record, correlation_id, budget);
        match published.await {
            Ok(()) => counter!(name::ORDERS_PUBLISHED).increment(1),
            Err(e) => {
                counter!(name::PUBLISH_DEFERRED).increment(1);
                tracing::warn!(
                    orderId = %record.order.order_id,
                    error = %error_chain(&e),
                    "order stored but its event not published; the outbox relay will publish it"
                );
            }
        }
    }
}

/// Kept back from the request's deadline after a publish: the mark and the answer.
const ANSWER_TIME: Duration = Duration::from_secs(2);

/// What makes two requests "the same order": the parsed order, not its formatting.
pub fn fingerprint(order: &NewOrder) -> String {
    #[derive(Serialize)]
    struct Canonical<'a> {
        customer_id: &'a Option<String>,
        customer_name: &'a str,
        customer_email: &'a str,
        items: &'a [domain::OrderLine],
    }
    let canonical = Canonical {
        customer_id: &order.customer_id,
        customer_name: order.customer_name.as_str(),
        customer_email: order.customer_email.as_str(),
        items: &order.items,
    };
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    ports::digest::sha256_hex(&bytes)
}
