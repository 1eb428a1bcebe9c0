use std::sync::Arc;

use chrono::Utc;
use uuid::Uuid;

use super::*;
use crate::fakes::{InMemoryOrderRepository, RecordingEventPublisher};
use crate::{outbox_shard, OrderRecord, OrderRepository};
use domain::{parse_order, OrderId};

fn in_a_minute() -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(60)
}

const GRACE: Duration = Duration::from_secs(10);

type TestRelay = OutboxRelay<Arc<InMemoryOrderRepository>, Arc<RecordingEventPublisher>>;

fn relay(
    page_size: usize,
) -> (
    TestRelay,
    Arc<InMemoryOrderRepository>,
    Arc<RecordingEventPublisher>,
) {
    let orders = Arc::new(InMemoryOrderRepository::default());
    let events = Arc::new(RecordingEventPublisher::default());
    let relay = OutboxRelay::new(
        orders.clone(),
        events.clone(),
        RelaySettings {
            grace: GRACE,
            page_size,
            in_flight: 3,
        },
    );
    (relay, orders, events)
}

/// Stores an unpublished order created `age` ago.
async fn stored(orders: &InMemoryOrderRepository, age: Duration) -> OrderRecord {
    let order = parse_order(
        br#"{"customerName":"Ada Lovelace","customerEmail":"ada@example.com","items":[{"productId":"p-1","quantity":2,"price":4.5}]}"#,
    )
    .expect("a valid order")
    .accept(
        OrderId::random(),
        Utc::now() - chrono::Duration::from_std(age).expect("small"),
    );
    let record = OrderRecord {
        order,
        event_id: Uuid::new_v4(),
        published: false,
        published_at: None,
    };
    orders.insert(&record).await.expect("stored");
    record
}

#[tokio::test]
async fn publishes_an_order_left_unpublished_with_its_own_event_id_and_marks_it() {
    let (relay, orders, events) = relay(10);
    let record = stored(&orders, Duration::from_secs(30)).await;

    let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

    assert_eq!(report.published, 1);
    assert_eq!(report.failed, 0);
    assert_eq!(report.oldest_unpublished, None);
    let published = events.events();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].event_id, record.event_id);
    assert_eq!(published[0].order, record.order);
    let stored = orders.get(record.order.order_id).await.expect("read");
    assert!(stored.is_some_and(|r| r.published));
}

#[tokio::test]
async fn leaves_an_order_within_its_grace_to_its_own_request_and_says_when_it_is_due() {
    let (relay, orders, events) = relay(10);
    let record = stored(&orders, Duration::from_secs(2)).await;

    let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

    assert_eq!(report.published, 0);
    assert!(events.events().is_empty());
    let grace = chrono::Duration::from_std(GRACE).expect("small");
    assert_eq!(report.next_due, Some(record.order.created_at + grace));
    assert_eq!(report.oldest_unpublished, Some(record.order.created_at));
}

#[tokio::test]
async fn a_failed_publish_is_counted_left_for_the_next_sweep_and_ages_the_backlog() {
    let (relay, orders, events) = relay(10);
    let record = stored(&orders, Duration::from_secs(45)).await;
    events.fail(true);

    let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

    assert_eq!((report.published, report.failed), (0, 1));
    assert!(report.backlog_age(Utc::now()) >= Duration::from_secs(45));

    events.fail(false);
    let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");
    assert_eq!((report.published, report.failed), (1, 0));
    assert_eq!(events.events()[0].event_id, record.event_id);
}

#[tokio::test]
async fn pages_through_every_shard_and_publishes_in_batches_of_ten() {
    let (relay, orders, events) = relay(2);
    let mut stored_ids = Vec::new();
    for age in 0..25 {
        let record = stored(&orders, Duration::from_secs(20 + age)).await;
        stored_ids.push(record.order.order_id);
    }
    let young = stored(&orders, Duration::from_secs(1)).await;

    let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

    assert_eq!(report.published, 25);
    assert_eq!(report.oldest_unpublished, Some(young.order.created_at));
    let mut published: Vec<_> = events.events().iter().map(|e| e.order.order_id).collect();
    published.sort();
    stored_ids.sort();
    assert_eq!(published, stored_ids, "each due order once");
    assert!(
        (3..=6).contains(&events.batches()),
        "{} PublishBatch calls for 25 orders",
        events.batches()
    );
    assert!(orders
        .all()
        .iter()
        .all(|r| r.published || r.order.order_id == young.order.order_id));
}

#[tokio::test]
async fn an_unreadable_entry_is_skipped_and_counted_and_the_orders_behind_it_are_published() {
    let (relay, orders, events) = relay(100);
    let first = stored(&orders, Duration::from_secs(60)).await;
    let shard = outbox_shard(first.order.order_id);
    orders.add_unreadable_entry(
        shard,
        Utc::now() - chrono::Duration::seconds(120),
        "OrderId=not-a-uuid",
    );
    let mut behind = vec![first];
    for age in [50, 40, 30] {
        behind.push(stored(&orders, Duration::from_secs(age)).await);
    }

    let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

    assert_eq!(report.unreadable, 1);
    assert_eq!(report.published, behind.len());
    assert_eq!(events.events().len(), behind.len());
    assert_eq!(
        report.oldest_unpublished, None,
        "the skipped entry is no order"
    );
}

#[tokio::test]
async fn a_sweep_past_its_deadline_takes_no_new_work_and_says_it_was_cut_short() {
    let (relay, orders, events) = relay(10);
    stored(&orders, Duration::from_secs(30)).await;

    let report = relay
        .sweep(Utc::now(), Utc::now() - chrono::Duration::seconds(1))
        .await
        .expect("swept");

    assert!(report.cut_short);
    assert!(events.events().is_empty());
}

#[tokio::test]
async fn a_batch_reports_each_order_and_a_dry_run_publishes_nothing() {
    let (relay, orders, events) = relay(10);
    let unpublished = stored(&orders, Duration::from_secs(30)).await;
    let done = stored(&orders, Duration::from_secs(30)).await;
    orders
        .mark_published(done.order.order_id)
        .await
        .expect("marked");
    let unknown = OrderId::random();
    let ids = [unpublished.order.order_id, done.order.order_id, unknown];

    let dry = relay.relay_batch(&ids, Some("corr-op"), true).await;
    let outcomes: Vec<_> = dry.iter().map(|o| o.outcome.clone()).collect();
    assert_eq!(
        outcomes,
        [
            Relayed::WouldPublish,
            Relayed::AlreadyPublished,
            Relayed::NotFound
        ]
    );
    assert!(events.events().is_empty());
    assert_eq!(dry[0].event_id, Some(unpublished.event_id));

    let real = relay.relay_batch(&ids, Some("corr-op"), false).await;
    assert_eq!(real[0].outcome, Relayed::Published);
    assert_eq!(real[1].outcome, Relayed::AlreadyPublished);
    let published = events.events();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].correlation_id, "corr-op");
}

#[tokio::test]
async fn a_backlog_that_cannot_be_read_fails_the_sweep() {
    let (relay, orders, _events) = relay(10);
    orders.fail(true);

    assert!(relay.sweep(Utc::now(), in_a_minute()).await.is_err());
}

#[tokio::test]
async fn a_sweep_stops_publishing_once_sns_fails_batch_after_batch() {
    let (relay, orders, events) = relay(100);
    for age in 0..60 {
        stored(&orders, Duration::from_secs(30 + age)).await;
    }
    events.fail(true);

    let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

    assert!(report.publish_failing);
    assert!(events.events().is_empty());
    assert!(
        report.oldest_unpublished.is_some(),
        "the backlog still ages"
    );
    assert!(
        events.failed_batches() < 6,
        "it gave up after a few failed batches, not after all six: {}",
        events.failed_batches()
    );
}
