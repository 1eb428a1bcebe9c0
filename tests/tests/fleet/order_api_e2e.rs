//! order-api end to end: the real binary over HTTP, against the local AWS.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use fleet_tests::app::App;
use fleet_tests::probes::{drain, eventually, stored_orders};
use fleet_tests::process::FleetProcess;
use fleet_tests::{LocalAws, Stack};
use serde_json::{json, Value};

fn order(email: &str) -> Value {
    json!({
        "customerId": "CUST-1",
        "customerName": "Ada Lovelace",
        "customerEmail": email,
        "items": [
            {"productId": "PROD-001", "productName": "Widget A", "quantity": 2, "price": 29.99},
            {"productId": "PROD-002", "quantity": 3, "price": 0.10}
        ]
    })
}

fn text(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_else(|| panic!("{name} is not a string in {item:?}"))
}

#[tokio::test]
async fn a_valid_order_is_stored_and_its_event_reaches_both_queues() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let app = App::spawn(&stack, &[]);

    let (status, body) = app
        .post_order(&order("ada@example.com").to_string(), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "Order received successfully");
    let order_id = body["orderId"].as_str().expect("an orderId").to_owned();

    let items = stored_orders(local, &stack).await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(text(item, "OrderId"), order_id);
    assert_eq!(item["TotalAmount"], AttributeValue::N("60.28".into()));
    assert_eq!(
        text(item, "CreatedAt"),
        body["createdAt"].as_str().expect("a createdAt")
    );
    assert!(text(item, "CreatedAt").ends_with('Z'));
    assert_eq!(item["Published"], AttributeValue::Bool(true));
    let lines = item["Items"].as_l().expect("Items is a list");
    let second = lines[1].as_m().expect("an item is a map");
    assert_eq!(
        second["Subtotal"],
        AttributeValue::N("0.3".into()),
        "exact money"
    );

    for queue in [&stack.email_queue_url, &stack.audit_queue_url] {
        let messages = drain(local, queue).await;
        assert_eq!(messages.len(), 1, "one event in {queue}");
        let message = &messages[0];
        let event: Value = serde_json::from_str(message.body().unwrap_or_default())
            .expect("raw delivery: the body is the event");
        assert_eq!(event["orderId"], order_id.as_str());
        assert_eq!(event["eventType"], "ORDER_CREATED");
        assert_eq!(event["schemaVersion"], 1);
        assert_eq!(event["totalAmount"], json!(60.28));
        assert_eq!(event["items"][1]["subtotal"], json!(0.3));
        assert_eq!(event["customerEmail"], "ada@example.com");
        assert!(event["eventId"]
            .as_str()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()));
        assert!(event["correlationId"].is_string());
        let attributes = message.message_attributes().expect("message attributes");
        assert_eq!(
            attributes["eventType"].string_value(),
            Some("ORDER_CREATED")
        );
    }
}

#[tokio::test]
async fn an_invalid_order_changes_nothing() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let app = App::spawn(&stack, &[]);

    let mut invalid = order("not-an-email");
    invalid["items"][0]["quantity"] = json!(1001);
    let (status, body) = app.post_order(&invalid.to_string(), None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "Validation failed");
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(2), "{body}");
    assert!(body["requestId"].is_string());

    assert!(stored_orders(local, &stack).await.is_empty());
    assert!(drain(local, &stack.email_queue_url).await.is_empty());
    assert!(drain(local, &stack.audit_queue_url).await.is_empty());
}

#[tokio::test]
async fn an_idempotent_retry_creates_one_order_and_one_event() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let app = App::spawn(&stack, &[]);
    let body = order("retry@example.com").to_string();

    let first = app.post_order(&body, Some("mobile-retry-1")).await;
    let second = app.post_order(&body, Some("mobile-retry-1")).await;
    let third = app.post_order(&body, Some("mobile-retry-1")).await;
    assert_eq!(first.0, 200);
    assert_eq!(first, second);
    assert_eq!(first, third);

    let mut other = order("retry@example.com");
    other["items"][0]["quantity"] = json!(7);
    let (status, reused) = app
        .post_order(&other.to_string(), Some("mobile-retry-1"))
        .await;
    assert_eq!(status, 422, "{reused}");

    let items = stored_orders(local, &stack).await;
    assert_eq!(items.len(), 1);
    assert_eq!(drain(local, &stack.email_queue_url).await.len(), 1);
    assert_eq!(drain(local, &stack.audit_queue_url).await.len(), 1);

    // The key names the order, and the order remembers the request: no
    // idempotency record is written for it (docs/decisions/0008).
    let key = order_api::IdempotencyKey::parse("mobile-retry-1").expect("a key");
    assert_eq!(first.1["orderId"], key.order_id(None).to_string());
    assert!(items[0].contains_key("Fingerprint"), "{:?}", items[0]);
    let keys = local
        .dynamodb()
        .scan()
        .table_name(&stack.idempotency_table)
        .send()
        .await
        .expect("a scan");
    assert_eq!(keys.count, 0, "{:?}", keys.items);
}

#[tokio::test]
async fn a_failed_publish_answers_200_and_the_outbox_relay_publishes_it_with_no_operator() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let app = App::spawn(&stack, &[]);
    let relay = FleetProcess::start(
        "outbox-relay",
        &stack,
        &[
            ("RELAY_INTERVAL_SECONDS", "1".to_owned()),
            ("RELAY_GRACE_SECONDS", "1".to_owned()),
        ],
    );
    // The topic goes away: publishing fails while storing still works.
    stack.delete_topic(local).await;
    let keyed = order("outage@example.com").to_string();

    let (status, first) = app.post_order(&keyed, Some("during-outage")).await;
    assert_eq!(status, 200, "a stored order is the promise: {first}");
    let (status, unkeyed) = app
        .post_order(&order("no-key@example.com").to_string(), None)
        .await;
    assert_eq!(status, 200, "{unkeyed}");
    let items = stored_orders(local, &stack).await;
    assert_eq!(items.len(), 2);
    assert!(items
        .iter()
        .all(|item| item["Published"] == AttributeValue::Bool(false)));

    // The app retries anyway: the same order, answered again.
    let (status, again) = app.post_order(&keyed, Some("during-outage")).await;
    assert_eq!((status, &again), (200, &first));

    // The topic and its subscriptions come back (as `orderctl local up` would);
    // nobody runs anything: the relay publishes both.
    Stack::create_named(local, &stack.env).await;
    eventually("the relay to publish both orders", &[&relay], || async {
        let items = stored_orders(local, &stack).await;
        items
            .iter()
            .all(|item| item["Published"] == AttributeValue::Bool(true))
            .then_some(())
    })
    .await;

    let items = stored_orders(local, &stack).await;
    let mut expected: Vec<(String, String)> = items
        .iter()
        .map(|item| (text(item, "OrderId"), text(item, "EventId")))
        .collect();
    expected.sort();
    for queue in [&stack.email_queue_url, &stack.audit_queue_url] {
        let mut events: Vec<(String, String)> = drain(local, queue)
            .await
            .iter()
            .map(|message| {
                let event: Value =
                    serde_json::from_str(message.body().unwrap_or_default()).expect("an event");
                let field = |name: &str| event[name].as_str().unwrap_or_default().to_owned();
                (field("orderId"), field("eventId"))
            })
            .collect();
        events.sort();
        assert_eq!(events, expected, "each order's own event, once");
    }
}

#[tokio::test]
async fn bad_requests_get_4xx_never_500() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let app = App::spawn(&stack, &[]);
    let url = format!("{}/order", app.address);

    let (status, body) = app.post_order("{\"customerName\": ", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "Malformed JSON");

    let mut big = order("big@example.com");
    big["customerId"] = json!("x".repeat(10 * 1024));
    let (status, body) = app.post_order(&big.to_string(), None).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"], "Payload too large");

    let request = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body(order("a@example.com").to_string());
    let (status, body) = app.read(request).await;
    assert_eq!(status, 415);
    assert_eq!(body["error"], "Unsupported media type");

    let (status, _) = app.read(app.client.get(&url)).await;
    assert_eq!(status, 405);
    let (status, _) = app
        .read(app.client.post(format!("{}/orders", app.address)))
        .await;
    assert_eq!(status, 404);

    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("a preflight answer");
    assert!(preflight.status().is_success());
    assert!(preflight
        .headers()
        .contains_key("access-control-allow-origin"));

    // What the review found accepted: a price that needs rounding, a repeated
    // key, a control character, an address SES can never deliver to.
    let fine = order("exact@example.com").to_string();
    let strict = [
        (
            fine.replace("29.99", "19.999999999999999"),
            "items[0].price",
        ),
        (
            fine.replace(
                "\"customerId\":\"CUST-1\"",
                "\"customerId\":\"A\",\"customerId\":\"B\"",
            ),
            "customerId",
        ),
        (
            fine.replace("Ada Lovelace", "Ada\\u0000Lovelace"),
            "customerName",
        ),
        (order("a@localhost").to_string(), "customerEmail"),
    ];
    for (body, field) in strict {
        let (status, answer) = app.post_order(&body, None).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{body}: {answer}");
    }

    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(stored_orders(local, &stack).await.is_empty());
    assert!(
        app.process.log_tail().contains("request rejected"),
        "rejections are logged"
    );
}
