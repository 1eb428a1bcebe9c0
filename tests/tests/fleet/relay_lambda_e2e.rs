//! The outbox relay, the real binary: in Lambda mode under a stand-in for
//! the Lambda Runtime API, invoked by a scheduled event, it publishes an
//! order that order-api stored but could not publish — once, with the
//! order's own event id — and logs the `backlogAgeSeconds` the template's
//! metric filter reads; in local mode, an unreadable entry of the backlog
//! does not hold up the orders behind it.

use std::time::Duration;

use adapters::DynamoDbOrderRepository;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::{parse_order, OrderId};
use fleet_tests::probes::{drain, eventually, PATIENCE};
use fleet_tests::process::FleetProcess;
use fleet_tests::runtime_api::{AnswerKind, RuntimeApi};
use fleet_tests::{LocalAws, Stack};
use ports::{OrderRecord, OrderRepository};
use uuid::Uuid;

/// What EventBridge sends a scheduled function.
fn scheduled_event() -> serde_json::Value {
    serde_json::json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-03T08:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/outbox-relay"],
        "detail": {}
    })
}

/// Stores an order as order-api does when its publish fails: unpublished.
async fn stored_unpublished(local: &LocalAws, stack: &Stack, age: Duration) -> OrderRecord {
    let order = parse_order(
        br#"{"customerName":"Ada Lovelace","customerEmail":"ada@example.com","items":[{"productId":"P-1","quantity":1,"price":5}]}"#,
    )
    .unwrap_or_else(|e| panic!("a valid order: {e}"))
    .accept(
        OrderId::random(),
        chrono::Utc::now() - chrono::Duration::from_std(age).unwrap_or_default(),
    );
    let record = OrderRecord {
        order,
        event_id: Uuid::new_v4(),
        published: false,
        published_at: None,
        fingerprint: None,
    };
    DynamoDbOrderRepository::new(local.dynamodb(), &stack.orders_table)
        .insert(&record)
        .await
        .unwrap_or_else(|e| panic!("storing: {e}"));
    record
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_invocation_publishes_the_outbox_and_logs_the_backlogs_age() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let old = stored_unpublished(local, &stack, Duration::from_secs(90)).await;
    let mut runtime = RuntimeApi::start().await;
    let relay = FleetProcess::start(
        "outbox-relay",
        &stack,
        &runtime.lambda_env(&format!("{}-OutboxRelay", stack.env), 128),
    );

    let answer = runtime
        .call("schedule-1", &scheduled_event(), PATIENCE, || {
            relay.log_tail()
        })
        .await;

    assert_eq!(
        answer.kind,
        AnswerKind::Response,
        "{answer:?}\n{}",
        relay.log_tail()
    );
    assert_eq!(
        answer.json(),
        serde_json::json!({"published": 1, "failed": 0, "unreadable": 0})
    );
    for queue in [&stack.email_queue_url, &stack.audit_queue_url] {
        let events: Vec<serde_json::Value> = drain(local, queue)
            .await
            .iter()
            .map(|m| serde_json::from_str(m.body().unwrap_or_default()).unwrap_or_default())
            .collect();
        assert_eq!(events.len(), 1, "{queue}: {events:#?}");
        assert_eq!(events[0]["eventId"], old.event_id.to_string());
        assert_eq!(events[0]["orderId"], old.order.order_id.to_string());
    }
    let stored = DynamoDbOrderRepository::new(local.dynamodb(), &stack.orders_table)
        .get(old.order.order_id)
        .await
        .unwrap_or_else(|e| panic!("reading: {e}"));
    assert!(stored.is_some_and(|r| r.published));

    // A second invocation finds nothing: the backlog is empty, its age 0.
    let answer = runtime
        .call("schedule-2", &scheduled_event(), PATIENCE, || {
            relay.log_tail()
        })
        .await;
    assert_eq!(
        answer.json(),
        serde_json::json!({"published": 0, "failed": 0, "unreadable": 0})
    );
    let log = relay.log();
    let sweeps: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["message"] == "outbox sweep")
        .collect();
    // A sweep that published something is followed at once by another, so
    // the first invocation sweeps twice (1, then 0); the second, once.
    let by = |request: &str| -> Vec<&serde_json::Value> {
        sweeps
            .iter()
            .filter(|s| s["requestId"] == request)
            .collect()
    };
    let (first, second) = (by("schedule-1"), by("schedule-2"));
    assert_eq!(first.len(), 2, "a line for every sweep:\n{log}");
    assert_eq!(first[0]["published"], 1);
    assert_eq!(first[1]["published"], 0);
    assert_eq!(second.len(), 1, "{log}");
    assert_eq!(
        second[0]["backlogAgeSeconds"], 0,
        "the metric filter reads this field"
    );

    // The metrics, as CloudWatch Embedded Metric Format documents on stdout.
    let documents: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect();
    let first = documents
        .iter()
        .find(|d| d.get("OrdersPublishedByRelay").is_some())
        .unwrap_or_else(|| panic!("no EMF document with OrdersPublishedByRelay in\n{log}"));
    assert_eq!(
        first["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "OrderFleet"
    );
    assert_eq!(
        first["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0],
        serde_json::json!(["Environment", "Function"]),
        "no id is ever a dimension"
    );
    assert_eq!(first["Environment"], stack.env.as_str());
    assert_eq!(first["Function"], format!("{}-OutboxRelay", stack.env));
    assert_eq!(first["OrdersPublishedByRelay"], 1);
    assert_eq!(
        first["ColdStart"], 1,
        "the first invocation is the cold start"
    );
    assert!(
        documents
            .iter()
            .any(|d| d["OutboxBacklogAgeSeconds"] == 0.0),
        "the backlog's age, 0 once it is empty: {documents:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_entry_in_the_backlog_is_skipped_and_the_orders_behind_it_are_published() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let dynamodb = local.dynamodb();
    // In every shard, ahead of the real orders: an entry whose id is no
    // order id, and one whose item is no order.
    let long_ago = domain::iso8601::format(&(chrono::Utc::now() - chrono::Duration::hours(1)));
    for shard in 0..ports::OUTBOX_SHARDS {
        for (order_id, note) in [
            (format!("not-an-order-{shard}"), "a bad id"),
            (Uuid::new_v4().to_string(), "no order at all"),
        ] {
            dynamodb
                .put_item()
                .table_name(&stack.orders_table)
                .item("OrderId", AttributeValue::S(order_id))
                .item(
                    "OutboxPending",
                    AttributeValue::S(format!("PENDING#{shard}")),
                )
                .item("CreatedAt", AttributeValue::S(long_ago.clone()))
                .item("Note", AttributeValue::S(note.to_owned()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("storing a broken entry: {e}"));
        }
    }
    let mut behind = Vec::new();
    for _ in 0..5 {
        behind.push(stored_unpublished(local, &stack, Duration::from_secs(90)).await);
    }

    let started = std::time::Instant::now();
    let relay = FleetProcess::start(
        "outbox-relay",
        &stack,
        &[("RELAY_INTERVAL_SECONDS", "1".to_owned())],
    );
    let orders = DynamoDbOrderRepository::new(local.dynamodb(), &stack.orders_table);
    eventually("the five orders published", &[&relay], || async {
        for record in &behind {
            let stored = orders.get(record.order.order_id).await.ok().flatten()?;
            if !stored.published {
                return None;
            }
        }
        Some(())
    })
    .await;

    assert!(
        started.elapsed() < Duration::from_secs(60),
        "published within a minute: {:?}",
        started.elapsed()
    );
    // The sweep publishes while it reads: its report comes after its last shard.
    eventually("the sweep's report", &[&relay], || async {
        relay.log().contains("unreadable=").then_some(())
    })
    .await;
    let log = relay.log();
    assert!(
        log.contains("OrderId=not-an-order-"),
        "the skipped entry is logged with its key:\n{log}"
    );
    assert!(
        log.contains("unreadable=64"),
        "every broken entry counted:\n{log}"
    );
}
