//! Fair queues: each event reaches both queues with its customer as the
//! message group (SNS passes a standard topic's `MessageGroupId` to its SQS
//! standard subscriptions), so one customer's burst cannot hold up another's
//! confirmation. moto carries the group through; whether SQS then schedules
//! the groups fairly is AWS's to do and cannot be seen here.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use fleet_tests::workers::{order_event, publish};
use fleet_tests::{LocalAws, Stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_reaches_both_queues_grouped_by_its_customer() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let mut event = order_event(&stack, 1);
    event.order.customer_id = Some("CUST-fair-1".to_owned());

    publish(local, &stack, &event).await;

    for queue in [&stack.email_queue_url, &stack.audit_queue_url] {
        let received = local
            .sqs()
            .receive_message()
            .queue_url(queue.as_str())
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .wait_time_seconds(5)
            .send()
            .await
            .unwrap_or_else(|e| panic!("receiving from {queue}: {e}"));
        let message = received
            .messages()
            .first()
            .unwrap_or_else(|| panic!("no message in {queue}"));
        let group = message
            .attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId));
        assert_eq!(group.map(String::as_str), Some("CUST-fair-1"), "{queue}");
    }
}
