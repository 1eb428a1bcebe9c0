//! The delivery DLQ end to end: what SNS could not deliver to either queue
//! is listed, peeked, and redriven by publishing it to the topic again.

use crate::orderctl_support::orderctl;
use fleet_tests::probes::{depth, drain};
use fleet_tests::workers::order_event;
use fleet_tests::{LocalAws, Stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undelivered_event_is_published_again_and_what_is_no_event_stays() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let delivery_dlq = &stack.provisioned.queues["OrderEventsDeliveryDLQ"];
    let event = order_event(&stack, 1);
    for body in [event.to_json(), "not an order event".to_owned()] {
        local
            .sqs()
            .send_message()
            .queue_url(delivery_dlq)
            .message_body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("sending to the delivery DLQ: {e}"));
    }

    let list = orderctl(&stack, &["dlq", "list", "--json"], &[])
        .await
        .succeeded()
        .json();
    let row = list["deadLetterQueues"]
        .as_array()
        .and_then(|rows| rows.iter().find(|q| q["workflow"] == "delivery"))
        .cloned()
        .unwrap_or_else(|| panic!("no delivery DLQ in {list:#}"));
    assert_eq!(
        row["queue"],
        format!("{}-OrderEventsDeliveryDLQ", stack.env)
    );
    assert_eq!(row["depth"], 2, "{list:#}");
    assert!(row["sourceQueue"].is_null(), "{list:#}");

    let peek = orderctl(&stack, &["dlq", "peek", "delivery", "--json"], &[])
        .await
        .succeeded()
        .json();
    let messages = peek["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 2, "{peek:#}");
    assert!(
        messages
            .iter()
            .any(|m| m["orderId"] == event.order.order_id.to_string()),
        "{peek:#}"
    );

    let redrive = orderctl(
        &stack,
        &["dlq", "redrive", "delivery", "--yes", "--json"],
        &[],
    )
    .await;
    assert_eq!(
        redrive.code,
        Some(1),
        "one message is no event: {redrive:#?}"
    );
    let report = redrive.json();
    assert_eq!(
        (report["moved"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(1)),
        "{report:#}"
    );
    assert_eq!(report["destination"], stack.topic_arn);
    for queue in [&stack.email_queue_url, &stack.audit_queue_url] {
        let delivered = drain(local, queue).await;
        assert_eq!(delivered.len(), 1, "{queue}: {delivered:#?}");
        let body = delivered[0].body().unwrap_or_default();
        assert!(body.contains(&event.event_id.to_string()), "{body}");
    }
    let (visible, hidden) = depth(local, delivery_dlq).await;
    assert_eq!(visible + hidden, 1, "the non-event stays");
}
