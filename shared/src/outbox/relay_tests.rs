use std::sync::Arc;

use chrono::Utc;
use uuid::Uuid;

use super::*;
use crate::domain::{parse_order, OrderId};
use crate::fakes::{InMemoryOrderRepository, RecordingEventPublisher};
use crate::ports::OrderRecord;

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

    let report = relay.sweep(Utc::now()).await.expect("swept");

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

    let report = relay.sweep(Utc::now()).await.expect("swept");

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

    let report = relay.sweep(Utc::now()).await.expect("swept");

    assert_eq!((report.published, report.failed), (0, 1));
    assert!(report.backlog_age(Utc::now()) >= Duration::from_secs(45));

    events.fail(false);
    let report = relay.sweep(Utc::now()).await.expect("swept");
    assert_eq!((report.published, report.failed), (1, 0));
    assert_eq!(events.events()[0].event_id, record.event_id);
}

#[tokio::test]
async fn pages_through_a_backlog_larger_than_a_page_oldest_first() {
    let (relay, orders, events) = relay(2);
    for age in [50, 40, 30, 20, 15] {
        stored(&orders, Duration::from_secs(age)).await;
    }
    let young = stored(&orders, Duration::from_secs(1)).await;

    let report = relay.sweep(Utc::now()).await.expect("swept");

    assert_eq!(report.published, 5);
    let created: Vec<_> = events.events().iter().map(|e| e.order.created_at).collect();
    let mut sorted = created.clone();
    sorted.sort();
    assert_eq!(created, sorted, "the oldest order goes first");
    assert_eq!(report.oldest_unpublished, Some(young.order.created_at));
}

#[tokio::test]
async fn a_backlog_that_cannot_be_read_fails_the_sweep() {
    let (relay, orders, _events) = relay(10);
    orders.fail(true);

    assert!(relay.sweep(Utc::now()).await.is_err());
}
