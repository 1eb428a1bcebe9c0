//! The poller against a mocked SQS client: what it deletes, and the event it builds.

use aws_sdk_sqs::operation::delete_message_batch::DeleteMessageBatchOutput;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use super::*;

fn queue() -> SqsQueue {
    SqsQueue {
        name: "local-OrderAuditQueue".to_owned(),
        url: "http://sqs/local-OrderAuditQueue".to_owned(),
        arn: "arn:aws:sqs:us-east-1:123456789012:local-OrderAuditQueue".to_owned(),
        dead_letter: adapters::QueueAddress {
            name: "local-OrderAuditDLQ".to_owned(),
            url: "http://sqs/local-OrderAuditDLQ".to_owned(),
            arn: "arn:aws:sqs:us-east-1:123456789012:local-OrderAuditDLQ".to_owned(),
        },
        max_receive_count: 3,
        visibility_timeout: Duration::from_secs(2),
    }
}

#[tokio::test]
async fn deletes_the_handled_and_dead_lettered_messages_and_leaves_the_rest() {
    let rule = mock!(Client::delete_message_batch)
        .match_requests(|req| {
            let handles: Vec<&str> = req.entries().iter().map(|e| e.receipt_handle()).collect();
            req.queue_url() == Some("http://sqs/local-OrderAuditQueue") && handles == ["r-1", "r-3"]
        })
        .then_output(|| {
            DeleteMessageBatchOutput::builder()
                .set_successful(Some(Vec::new()))
                .set_failed(Some(Vec::new()))
                .build()
                .expect("both lists set")
        });
    let client = mock_client!(aws_sdk_sqs, RuleMode::Sequential, [&rule]);
    let messages: Vec<Message> = (1..=3)
        .map(|i| {
            Message::builder()
                .message_id(format!("m-{i}"))
                .receipt_handle(format!("r-{i}"))
                .body("{}")
                .build()
        })
        .collect();
    let report = BatchReport {
        succeeded: vec!["m-1".to_owned()],
        dead_lettered: vec!["m-3".to_owned()],
        retry: vec!["m-2".to_owned()],
        retry_after: Vec::new(),
    };

    Poller::new(client, &queue(), "us-east-1", Duration::from_secs(30))
        .delete_settled(&messages, &report)
        .await;

    assert_eq!(rule.num_calls(), 1);
}

#[test]
fn builds_the_event_a_lambda_would_get() {
    let client = mock_client!(aws_sdk_sqs, []);
    let queue = queue();
    let message = Message::builder()
        .message_id("m-1")
        .receipt_handle("r-1")
        .body("{}")
        .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "2")
        .message_attributes(
            "eventType",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("ORDER_CREATED")
                .build()
                .expect("data type set"),
        )
        .build();

    let event = Poller::new(client, &queue, "us-east-1", Duration::from_secs(30)).event(&[message]);

    let record = &event.records[0];
    assert_eq!(record.message_id.as_deref(), Some("m-1"));
    assert_eq!(record.receipt_handle.as_deref(), Some("r-1"));
    assert_eq!(record.body.as_deref(), Some("{}"));
    assert_eq!(record.attributes["ApproximateReceiveCount"], "2");
    assert_eq!(
        record.message_attributes["eventType"]
            .string_value
            .as_deref(),
        Some("ORDER_CREATED")
    );
    assert_eq!(record.event_source.as_deref(), Some("aws:sqs"));
    assert_eq!(record.event_source_arn.as_deref(), Some(queue.arn.as_str()));
    assert_eq!(record.aws_region.as_deref(), Some("us-east-1"));
}
