//! `orderctl republish` end to end: the real order-api stores an order while
//! the stack's topic is gone (and answers 200: the order is stored); the real
//! orderctl publishes it once the topic is back — once, with the order's own
//! event id. No relay and no worker runs, so the order stays unpublished
//! until the operator acts, and the events stay in the queues to be counted.

use crate::orderctl_support::orderctl;
use adapters::OrderItem;
use fleet_tests::app::App;
use fleet_tests::{probes, LocalAws, Stack};
use serde_json::{json, Value};

fn order(email: &str) -> String {
    json!({
        "customerName": "Ada Lovelace",
        "customerEmail": email,
        "items": [{"productId": "PROD-001", "quantity": 2, "price": 29.99}]
    })
    .to_string()
}

/// Every order in the stack's table, as stored.
async fn stored_orders(local: &LocalAws, stack: &Stack) -> Vec<OrderItem> {
    serde_dynamo::from_items(probes::stored_orders(local, stack).await).expect("stored orders")
}

/// The events in a queue, consumed.
async fn drain(local: &LocalAws, queue_url: &str) -> Vec<Value> {
    probes::drain(local, queue_url)
        .await
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap_or_default()).expect("an event"))
        .collect()
}

/// The one order the API stored during the outage, unpublished.
async fn the_unpublished_order(local: &LocalAws, stack: &Stack) -> OrderItem {
    let mut stored = stored_orders(local, stack).await;
    assert_eq!(stored.len(), 1, "{stored:#?}");
    let order = stored.remove(0);
    assert!(!order.published, "marked unpublished: {order:#?}");
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_whose_publish_failed_is_published_once_by_republish() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let app = App::spawn(&stack, &[]);
    let queues = [&stack.email_queue_url, &stack.audit_queue_url];
    stack.delete_topic(local).await;

    let (status, accepted) = app.post_order(&order("outage@example.com"), None).await;
    assert_eq!(status, 200, "{accepted}");
    let stored = the_unpublished_order(local, &stack).await;
    let order_id = stored.order_id.to_string();
    let event_id = stored.event_id.to_string();
    let shown = orderctl(&stack, &["order", &order_id, "--json"], &[])
        .await
        .succeeded()
        .json();
    assert_eq!(shown["published"], false, "{shown:#}");
    assert_eq!(shown["eventId"], event_id.as_str());

    // The topic and its subscriptions come back (as `orderctl local up` would).
    Stack::create_named(local, &stack.env).await;

    let dry = orderctl(
        &stack,
        &["republish", "--all-unpublished", "--dry-run", "--json"],
        &[],
    )
    .await
    .succeeded()
    .json();
    assert_eq!(
        (&dry["wouldPublish"], &dry["published"]),
        (&json!(1), &json!(0))
    );
    assert_eq!(dry["orders"][0]["orderId"], order_id.as_str(), "{dry:#}");
    assert_eq!(dry["orders"][0]["eventId"], event_id.as_str());
    assert_eq!(dry["orders"][0]["outcome"], "wouldPublish");
    for queue in queues {
        assert_eq!(
            drain(local, queue).await,
            Vec::<Value>::new(),
            "a dry run published"
        );
    }
    assert!(!the_unpublished_order(local, &stack).await.published);

    // Without ORDER_TOPIC_ARN ("" is unset) the topic is found by its name.
    let run = orderctl(
        &stack,
        &["republish", &order_id, "--yes", "--json"],
        &[("ORDER_TOPIC_ARN", "")],
    )
    .await
    .succeeded()
    .json();
    assert_eq!(run["topicArn"], stack.topic_arn.as_str(), "{run:#}");
    assert_eq!((&run["published"], &run["failed"]), (&json!(1), &json!(0)));
    assert_eq!(run["orders"][0]["outcome"], "published");
    let correlation_id = run["correlationId"].as_str().expect("a correlation id");
    assert!(correlation_id.starts_with("orderctl-republish-"), "{run:#}");
    for queue in queues {
        let events = drain(local, queue).await;
        assert_eq!(events.len(), 1, "{queue}: {events:#?}");
        assert_eq!(events[0]["eventId"], event_id.as_str());
        assert_eq!(events[0]["orderId"], order_id.as_str());
        assert_eq!(events[0]["correlationId"], correlation_id);
    }
    let shown = orderctl(&stack, &["order", &order_id, "--json"], &[])
        .await
        .succeeded()
        .json();
    assert_eq!(shown["published"], true, "{shown:#}");

    // Published orders are never sent again.
    let again = orderctl(&stack, &["republish", &order_id, "--yes", "--json"], &[])
        .await
        .succeeded()
        .json();
    assert_eq!(
        (&again["skipped"], &again["published"]),
        (&json!(1), &json!(0))
    );
    assert_eq!(again["orders"][0]["outcome"], "skipped", "{again:#}");
    let none = orderctl(&stack, &["republish", "--all-unpublished", "--json"], &[])
        .await
        .succeeded()
        .json();
    assert_eq!(none["orders"], json!([]), "{none:#}");
    for queue in queues {
        assert_eq!(drain(local, queue).await, Vec::<Value>::new(), "sent twice");
    }

    let unknown = uuid::Uuid::new_v4().to_string();
    let missing = orderctl(&stack, &["republish", &unknown, "--yes", "--json"], &[])
        .await
        .failed_with(&format!("no order {unknown} in {}", stack.orders_table));
    assert_eq!(missing.json()["notFound"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_republish_without_its_topic_fails_clearly_and_leaves_the_order_unpublished() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let app = App::spawn(&stack, &[]);
    stack.delete_topic(local).await;
    let (status, accepted) = app.post_order(&order("gone@example.com"), None).await;
    assert_eq!(status, 200, "{accepted}");
    let order_id = the_unpublished_order(local, &stack)
        .await
        .order_id
        .to_string();

    // A dry run still lists it, and says that a real run would fail.
    let dry = orderctl(
        &stack,
        &["republish", "--all-unpublished", "--dry-run", "--json"],
        &[("ORDER_TOPIC_ARN", "")],
    )
    .await
    .failed_with(&format!("no SNS topic {}-OrderEvents", stack.env))
    .json();
    assert_eq!(dry["topicArn"], Value::Null, "{dry:#}");
    assert_eq!(dry["wouldPublish"], 1);
    assert_eq!(dry["orders"][0]["orderId"], order_id.as_str());

    // The topic ORDER_TOPIC_ARN names is gone. The two orders go in one
    // batch (the relay's path: ten per PublishBatch): the unknown one is not
    // found, the stored one fails, and no later batch would be tried.
    let unknown = uuid::Uuid::new_v4().to_string();
    let failed = orderctl(
        &stack,
        &["republish", &order_id, &unknown, "--yes", "--json"],
        &[],
    )
    .await
    .failed_with(&format!("order {order_id} was not published"));
    let report = failed.json();
    assert_eq!(
        (
            &report["failed"],
            &report["notAttempted"],
            &report["notFound"]
        ),
        (&json!(1), &json!(0), &json!(1)),
        "{report:#}"
    );
    assert!(
        report["orders"][0]["note"]
            .as_str()
            .is_some_and(|note| note.contains("SNS.Publish")),
        "{report:#}"
    );
    the_unpublished_order(local, &stack).await;

    // A real run looks it up by name, and stops: there is none.
    orderctl(
        &stack,
        &["republish", "--all-unpublished"],
        &[("ORDER_TOPIC_ARN", "")],
    )
    .await
    .failed_with(&format!("no SNS topic {}-OrderEvents", stack.env));
}
