//! The use case: accept a valid order exactly once, store it, publish its event.
//!
//! Persist, then publish. The order is stored unpublished and marked after SNS
//! accepts its event. A stored order is the promise: once it is stored the
//! answer is 200, whatever happens to the publish — an event that did not go
//! out is the outbox relay's job (`ports::outbox::OutboxRelay`), within a
//! minute, with the order's own event id.
//!
//! With an `Idempotency-Key`, each request claims the key with a token of its
//! own until its deadline. A retry resumes the first attempt's order (same id,
//! same event id) instead of creating another; a retry that arrives while the
//! first attempt still runs waits for it (within its own deadline) and
//! replays its answer.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{iso8601, NewOrder, OrderId};
use ports::error_chain;
use ports::{
    BackendError, Claim, ClaimRequest, ClaimToken, Completion, EventPublisher, IdempotencyStore,
    OrderRecord, OrderRepository, RepositoryError,
};
use runtime::metrics::{counter, name};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::idempotency_key::IdempotencyKey;

/// How often a request waiting on another attempt with the same key looks again.
const WAIT_STEP: Duration = Duration::from_millis(200);

/// How long a request waits for SNS to take its event, by default: past it
/// the order (already stored) is answered 200 and left to the outbox relay,
/// so an SNS brownout never holds a customer, or a Lambda slot, for long.
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
    #[error("another request with the same idempotency key is still in progress")]
    InProgress,
    #[error("could not store order")]
    Store(#[source] RepositoryError),
    #[error("idempotency store failed")]
    Idempotency(#[source] BackendError),
    #[error("the idempotency record holds an unreadable result")]
    CorruptRecord(#[source] serde_json::Error),
    #[error("the idempotency record holds an unreadable order id {0:?}")]
    CorruptPending(String),
}

/// Places orders through the ports it is given.
#[derive(Debug, Clone)]
pub struct OrderService<R, P, I> {
    orders: R,
    events: P,
    idempotency: I,
    publish_budget: Duration,
}

impl<R: OrderRepository, P: EventPublisher, I: IdempotencyStore> OrderService<R, P, I> {
    pub fn new(orders: R, events: P, idempotency: I) -> Self {
        OrderService {
            orders,
            events,
            idempotency,
            publish_budget: PUBLISH_BUDGET,
        }
    }

    /// How long a request waits for SNS before it leaves the event to the
    /// relay ([`PUBLISH_BUDGET`] unless set).
    pub fn with_publish_budget(mut self, budget: Duration) -> Self {
        self.publish_budget = budget;
        self
    }

    /// Places `order`; `deadline` is when this request's time is up (the
    /// Lambda invocation's, or the local server's request budget).
    pub async fn place(
        &self,
        order: NewOrder,
        key: Option<&IdempotencyKey>,
        correlation_id: &str,
        deadline: DateTime<Utc>,
    ) -> Result<Placed, PlaceError> {
        let Some(key) = key else {
            let record = self.store(order, OrderId::random()).await?;
            self.publish(&record, correlation_id, deadline).await;
            return Ok(Placed::Created(OrderConfirmation::of(&record)));
        };

        let store_key = key.store_key();
        let token = ClaimToken::random();
        let order_id = match self
            .claim(&store_key, &fingerprint(&order), token, deadline)
            .await?
        {
            Ok(order_id) => order_id,
            Err(replayed) => return Ok(Placed::Replayed(replayed)),
        };

        match self.resume(order, order_id, correlation_id, deadline).await {
            Ok(confirmation) => {
                let result =
                    serde_json::to_string(&confirmation).map_err(PlaceError::CorruptRecord)?;
                match self
                    .idempotency
                    .complete(&store_key, token, &result, Utc::now())
                    .await
                {
                    Ok(Completion::Recorded) => {}
                    // Whoever holds the key now resumes this same order.
                    Ok(Completion::Superseded) => {
                        tracing::warn!(
                            "idempotency key was taken over before the result was recorded"
                        )
                    }
                    // The order is placed; a retry resumes it and answers the same.
                    Err(e) => {
                        tracing::warn!(error = %error_chain(&e), "could not record idempotent result")
                    }
                }
                Ok(Placed::Created(confirmation))
            }
            Err(e) => {
                if let Err(release) = self.idempotency.release(&store_key, token).await {
                    // The claim lapses at this request's deadline; a retry waits for that.
                    tracing::warn!(error = %error_chain(&release), "could not release idempotency key");
                }
                Err(e)
            }
        }
    }

    /// Claims the key: `Ok(order id)` to work on (ours, or the one an earlier
    /// attempt chose), or `Err(confirmation)` when the work is already done.
    /// Waits for another attempt that holds the key, while our deadline allows.
    async fn claim(
        &self,
        store_key: &str,
        fingerprint: &str,
        token: ClaimToken,
        deadline: DateTime<Utc>,
    ) -> Result<Result<OrderId, OrderConfirmation>, PlaceError> {
        let candidate = OrderId::random().to_string();
        loop {
            let now = Utc::now();
            let request = ClaimRequest {
                key: store_key,
                fingerprint,
                pending: &candidate,
                token,
                hold_until: deadline,
                now,
            };
            match self
                .idempotency
                .claim(&request)
                .await
                .map_err(PlaceError::Idempotency)?
            {
                Claim::Acquired { pending } => {
                    return pending
                        .parse()
                        .map(Ok)
                        .map_err(|_| PlaceError::CorruptPending(pending))
                }
                Claim::Completed { result } => {
                    return serde_json::from_str(&result)
                        .map(Err)
                        .map_err(PlaceError::CorruptRecord)
                }
                Claim::Mismatch => return Err(PlaceError::KeyReused),
                // The other attempt finishes, gives up or lapses before we
                // must answer: wait for it rather than refuse the client.
                Claim::InProgress { until } if until < deadline => {
                    let wait = (until - now).to_std().unwrap_or_default().min(WAIT_STEP);
                    tokio::time::sleep(wait.max(Duration::from_millis(20))).await;
                }
                Claim::InProgress { .. } => return Err(PlaceError::InProgress),
            }
        }
    }

    /// Stores the order under `order_id`, or picks up the one an earlier
    /// attempt stored, then publishes it if nobody has yet.
    async fn resume(
        &self,
        order: NewOrder,
        order_id: OrderId,
        correlation_id: &str,
        deadline: DateTime<Utc>,
    ) -> Result<OrderConfirmation, PlaceError> {
        let record = self.store(order, order_id).await?;
        if !record.published {
            self.publish(&record, correlation_id, deadline).await;
        }
        Ok(OrderConfirmation::of(&record))
    }

    /// Stores a new order under `order_id`; if that id is taken (by an
    /// earlier attempt with the same key, or by this one's own write whose
    /// reply was lost) the stored order is the one to answer for.
    async fn store(&self, order: NewOrder, order_id: OrderId) -> Result<OrderRecord, PlaceError> {
        let record = OrderRecord {
            order: order.accept(order_id, Utc::now()),
            event_id: Uuid::new_v4(),
            published: false,
            published_at: None,
        };
        match self.orders.insert(&record).await {
            Ok(()) => {}
            Err(RepositoryError::AlreadyExists(_)) => {
                return match self.orders.get(order_id).await.map_err(PlaceError::Store)? {
                    Some(existing) => Ok(existing),
                    None => Err(PlaceError::Store(RepositoryError::AlreadyExists(order_id))),
                }
            }
            Err(e) => return Err(PlaceError::Store(e)),
        }
        tracing::info!(
            orderId = %record.order.order_id,
            customerId = record.order.customer_id.as_deref().unwrap_or("-"),
            customerEmail = %record.order.customer_email,
            totalAmount = %record.order.total_amount,
            items = record.order.items.len(),
            "order stored"
        );
        Ok(record)
    }

    /// Publishes the order's event, waiting for SNS no longer than the
    /// publish budget (and never past the request's deadline, less the time
    /// to record the answer). A failure, or SNS being slow, is not the
    /// client's: the order is stored, and the outbox relay publishes what is
    /// left unpublished.
    async fn publish(&self, record: &OrderRecord, correlation_id: &str, deadline: DateTime<Utc>) {
        let left = (deadline - Utc::now())
            .to_std()
            .unwrap_or_default()
            .saturating_sub(ANSWER_TIME);
        let budget = self.publish_budget.min(left);
        match ports::outbox::publish_order(
            &self.orders,
            &self.events,
            record,
            correlation_id,
            budget,
        )
        .await
        {
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

/// Kept back from the request's deadline after a publish: recording the
/// idempotent answer and writing the response.
const ANSWER_TIME: Duration = Duration::from_secs(2);

/// What makes two requests "the same order": the parsed order, not its
/// formatting (key order, spacing, `2` vs `2.0`).
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
