//! moto's own publish ceiling: how fast the local AWS takes order events by
//! `PublishBatch` (ten per call, several calls in flight) when nothing else
//! is asked of it — the limit the relay's drain is measured against, in the
//! same run.

use std::time::Instant;

use adapters::SnsEventPublisher;
use domain::{parse_order, OrderId};
use futures_util::StreamExt;
use ports::event::OrderCreated;
use ports::{EventPublisher, MAX_PUBLISH_BATCH};
use uuid::Uuid;

use crate::{LocalAws, Stack};

/// Publishes `events` order events to `stack`'s topic, `in_flight` batches
/// at once, straight to moto; returns events per second. The stack's queues
/// are purged afterwards, so nothing consumes what this sent.
pub async fn publish_ceiling(
    local: &LocalAws,
    stack: &Stack,
    events: usize,
    in_flight: usize,
) -> f64 {
    let order = parse_order(
        br#"{"customerName":"Ceiling","customerEmail":"ceiling@example.com","items":[{"productId":"p-1","quantity":1,"price":5}]}"#,
    )
    .unwrap_or_else(|e| panic!("a valid order: {e:?}"));
    let batches: Vec<Vec<OrderCreated>> = (0..events)
        .map(|_| {
            let order = order.clone().accept(OrderId::random(), chrono::Utc::now());
            OrderCreated::new(Uuid::new_v4(), "ceiling", order)
        })
        .collect::<Vec<_>>()
        .chunks(MAX_PUBLISH_BATCH)
        .map(<[OrderCreated]>::to_vec)
        .collect();
    let publisher = SnsEventPublisher::new(local.sns(), &stack.topic_arn);
    let started = Instant::now();
    let published: usize = futures_util::stream::iter(batches)
        .map(|batch| {
            let publisher = &publisher;
            async move {
                match publisher.publish_batch(&batch).await {
                    Ok(results) => results.iter().filter(|r| r.is_ok()).count(),
                    Err(_) => 0,
                }
            }
        })
        .buffer_unordered(in_flight.max(1))
        .collect::<Vec<usize>>()
        .await
        .into_iter()
        .sum();
    let seconds = started.elapsed().as_secs_f64();
    for queue in [&stack.email_queue_url, &stack.audit_queue_url] {
        let _ = local.sqs().purge_queue().queue_url(queue).send().await;
    }
    published as f64 / seconds.max(f64::EPSILON)
}
