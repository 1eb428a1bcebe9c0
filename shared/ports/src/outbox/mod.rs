//! The orders table is the outbox: an order is stored unpublished, its event is
//! published, then the order is marked. Whoever finds it unpublished publishes it
//! with its own event id, so a second publish (a lost mark, a publish cut off that
//! still reached SNS, a race with the relay) is a duplicate the workers drop.

pub mod relay;

pub use relay::{OutboxRelay, RelaySettings, Relayed, RelayedOrder, SweepReport};

use crate::event::OrderCreated;
use crate::{error_chain, BackendError, EventPublisher, OrderRecord, OrderRepository};

/// Publishes the order's event, waiting for SNS at most `budget`, and marks it
/// published. Only the publish can fail: once SNS has the event, the flag merely lags.
pub async fn publish_order<R: OrderRepository, P: EventPublisher>(
    orders: &R,
    events: &P,
    record: &OrderRecord,
    correlation_id: &str,
    budget: std::time::Duration,
) -> Result<(), BackendError> {
    let order_id = record.order.order_id;
    let event = OrderCreated::new(record.event_id, correlation_id, record.order.clone());
    tokio::time::timeout(budget, events.publish(&event))
        .await
        .map_err(|_| {
            let why = format!("SNS did not answer within the publish budget of {budget:?}");
            BackendError::no_answer("SNS.Publish", why)
        })??;
    if let Err(e) = orders.mark_published(order_id).await {
        tracing::warn!(orderId = %order_id, error = %error_chain(&e), "could not mark order published");
    }
    tracing::info!(orderId = %order_id, eventId = %record.event_id, "order event published");
    Ok(())
}
