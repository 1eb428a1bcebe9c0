//! moto's own ceiling for what the outbox relay asks of it: per ten orders one
//! consistent `BatchGetItem`, one `PublishBatch` and one `BatchWriteItem` that
//! marks them published, as many batches in flight as the relay keeps, made by
//! the relay's own batch code ([`OutboxRelay::relay_batch`]) straight from the
//! harness while nothing else asks anything of moto. It is the limit the
//! relay's drain is measured against, in the same run: what the relay adds is
//! its sweep (the backlog's index read shard by shard, its schedule).
//!
//! Publishes alone are no yardstick: on moto they cost less than the
//! DynamoDB calls around them (decision 0009).

use std::time::{Duration, Instant};

use adapters::{DynamoDbOrderRepository, SnsEventPublisher};
use domain::{parse_order, OrderId};
use futures_util::StreamExt;
use ports::outbox::{OutboxRelay, RelaySettings, Relayed};
use ports::{OrderRecord, OrderRepository, MAX_PUBLISH_BATCH};
use uuid::Uuid;

use crate::{LocalAws, Stack};

/// Relays `orders` orders stored for it in `stack`, batch by batch with the
/// relay's own settings; returns orders per second. The stack's queues are
/// purged afterwards, so nothing consumes what this sent.
pub async fn relay_ceiling(local: &LocalAws, stack: &Stack, orders: usize) -> f64 {
    let ids = store_unpublished(local, stack, orders).await;
    let relay = OutboxRelay::new(
        DynamoDbOrderRepository::new(local.dynamodb(), &stack.orders_table),
        SnsEventPublisher::new(local.sns(), &stack.topic_arn),
        RelaySettings::with_grace(Duration::ZERO),
    );
    let relay = &relay;
    let started = Instant::now();
    let relayed: usize = futures_util::stream::iter(ids.chunks(MAX_PUBLISH_BATCH))
        .map(|batch| async move {
            let outcomes = relay.relay_batch(batch, Some("ceiling"), false).await;
            let published = outcomes.iter().filter(|o| o.outcome == Relayed::Published);
            published.count()
        })
        .buffer_unordered(relay.settings().in_flight)
        .collect::<Vec<usize>>()
        .await
        .into_iter()
        .sum();
    let seconds = started.elapsed().as_secs_f64();
    for queue in [&stack.email_queue_url, &stack.audit_queue_url] {
        let _ = local.sqs().purge_queue().queue_url(queue).send().await;
    }
    assert_eq!(
        relayed, orders,
        "moto's relay ceiling: every order read, published and marked"
    );
    relayed as f64 / seconds.max(f64::EPSILON)
}

/// Stores `count` orders as order-api does when SNS is down: unpublished, and
/// a minute old, so a relay's grace is over. Returns their ids.
pub async fn store_unpublished(local: &LocalAws, stack: &Stack, count: usize) -> Vec<OrderId> {
    let orders = DynamoDbOrderRepository::new(local.dynamodb(), &stack.orders_table);
    let order = parse_order(
        br#"{"customerName":"Backlog","customerEmail":"backlog@example.com","items":[{"productId":"p-1","quantity":1,"price":5}]}"#,
    )
    .unwrap_or_else(|e| panic!("a valid order: {e:?}"));
    let created = chrono::Utc::now() - chrono::Duration::seconds(60);
    futures_util::stream::iter(0..count)
        .map(|_| {
            let record = OrderRecord {
                order: order.clone().accept(OrderId::random(), created),
                event_id: Uuid::new_v4(),
                published: false,
                published_at: None,
                fingerprint: None,
            };
            let orders = &orders;
            async move {
                orders
                    .insert(&record)
                    .await
                    .unwrap_or_else(|e| panic!("storing the backlog: {e}"));
                record.order.order_id
            }
        })
        .buffer_unordered(8)
        .collect()
        .await
}
