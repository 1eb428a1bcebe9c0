//! moto's own ceiling for what the outbox relay asks of it: per ten orders one
//! consistent `BatchGetItem`, one `PublishBatch` and one `BatchWriteItem` that
//! marks them published, several batches in flight, made straight by the
//! harness while nothing else asks anything of moto. It is the limit the
//! relay's drain is measured against, in the same run: what the relay adds
//! is its own (the backlog's index read shard by shard, its sweeps).
//!
//! Publishes alone are no yardstick: on moto they cost less than the
//! DynamoDB calls around them (decision 0009).

use std::time::Instant;

use adapters::{DynamoDbOrderRepository, SnsEventPublisher};
use domain::{parse_order, OrderId};
use futures_util::StreamExt;
use ports::event::OrderCreated;
use ports::{EventPublisher, Fetched, OrderRecord, OrderRepository, Outbox, MAX_PUBLISH_BATCH};
use uuid::Uuid;

use crate::{LocalAws, Stack};

/// Relays `orders` orders stored for it in `stack`, `in_flight` batches at
/// once, straight to moto; returns orders per second. The stack's queues are
/// purged afterwards, so nothing consumes what this sent.
pub async fn relay_ceiling(
    local: &LocalAws,
    stack: &Stack,
    orders: usize,
    in_flight: usize,
) -> f64 {
    let ids = store_unpublished(local, stack, orders).await;
    let repository = DynamoDbOrderRepository::new(local.dynamodb(), &stack.orders_table);
    let publisher = SnsEventPublisher::new(local.sns(), &stack.topic_arn);
    let started = Instant::now();
    let relayed: usize = futures_util::stream::iter(ids.chunks(MAX_PUBLISH_BATCH))
        .map(|batch| relay(&repository, &publisher, batch))
        .buffer_unordered(in_flight.max(1))
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

/// One batch the relay's way: read, publish, mark; the orders marked.
async fn relay(
    repository: &DynamoDbOrderRepository,
    publisher: &SnsEventPublisher,
    ids: &[OrderId],
) -> usize {
    let fetched = repository
        .get_many(ids)
        .await
        .unwrap_or_else(|e| panic!("reading a batch: {e}"));
    let records: Vec<OrderRecord> = fetched
        .into_iter()
        .filter_map(|f| match f {
            Fetched::Found(record) => Some(record),
            _ => None,
        })
        .collect();
    let events: Vec<OrderCreated> = records
        .iter()
        .map(|r| OrderCreated::new(r.event_id, "ceiling", r.order.clone()))
        .collect();
    let published = publisher
        .publish_batch(&events)
        .await
        .unwrap_or_else(|e| panic!("publishing a batch: {e}"));
    assert!(
        published.iter().all(Result::is_ok),
        "moto refused a publish"
    );
    repository
        .mark_many_published(&records)
        .await
        .unwrap_or_else(|e| panic!("marking a batch: {e}"));
    records.len()
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
