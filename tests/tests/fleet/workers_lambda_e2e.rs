//! End to end in Lambda mode: the email-worker binary under a stand-in for
//! the Lambda Runtime API answers an SQS batch with only the failed ids, and
//! logs JSON lines that carry the request, message, order and correlation ids.

use fleet_tests::probes::{eventually, PATIENCE};
use fleet_tests::runtime_api::{AnswerKind, RuntimeApi};
use fleet_tests::workers::{hold_email_claim, mail_to, order_event, take_dead_letters, Worker};
use fleet_tests::{LocalAws, Stack};

/// An SQS record as Lambda delivers it.
fn record(stack: &Stack, message_id: &str, body: &str, receive_count: u32) -> serde_json::Value {
    serde_json::json!({
        "messageId": message_id,
        "receiptHandle": format!("receipt-{message_id}"),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": receive_count.to_string(),
            "SentTimestamp": "1714564800123",
            // The trace the order's request started, carried by SNS and SQS.
            "AWSTraceHeader": format!("Root=1-66500000-{message_id:0>24};Parent=53995c3f42cd8ad8;Sampled=1"),
        },
        "messageAttributes": {
            "eventType": {"stringValue": "ORDER_CREATED", "dataType": "String"}
        },
        "md5OfBody": "not checked",
        "eventSource": "aws:sqs",
        "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{}-OrderEmailQueue", stack.env),
        "awsRegion": "us-east-1",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_lambda_mode_a_batch_reports_only_the_record_to_retry() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let mut runtime = RuntimeApi::start().await;
    let email = Worker::start(
        "email-worker",
        &stack,
        &runtime.lambda_env(&format!("{}-email-worker", stack.env), 256),
    );
    let good = order_event(&stack, 1);
    let busy = order_event(&stack, 2);
    hold_email_claim(local, &stack, &busy).await;
    let batch = serde_json::json!({"Records": [
        record(&stack, "good", &good.to_json(), 1),
        record(&stack, "garbage", "{\"not\": \"an order\"}", 1),
        record(&stack, "busy-first-attempt", &busy.to_json(), 1),
        record(&stack, "busy-last-attempt", &busy.to_json(), 10),
    ]});

    let answer = runtime
        .call("request-1", &batch, PATIENCE, || email.log_tail())
        .await;

    assert_eq!(
        answer.kind,
        AnswerKind::Response,
        "{answer:?}\n{}",
        email.log_tail()
    );
    assert_eq!(
        answer.json(),
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "busy-first-attempt"}]})
    );

    assert_eq!(
        mail_to(local, good.order.customer_email.as_str())
            .await
            .len(),
        1
    );
    let letters = eventually("two dead letters", &[&email], || async {
        let letters = take_dead_letters(local, &stack.email_dlq_url).await;
        (letters.len() == 2).then_some(letters)
    })
    .await;
    let kinds: Vec<(&str, &str)> = letters
        .iter()
        .map(|l| {
            (
                l.attributes["SourceMessageId"].as_str(),
                l.attributes["FailureKind"].as_str(),
            )
        })
        .collect();
    assert!(kinds.contains(&("garbage", "permanent")), "{kinds:?}");
    assert!(
        kinds.contains(&("busy-last-attempt", "transient")),
        "{kinds:?}"
    );

    // JSON lines, with the ids of the invocation, the record and the order.
    let log = email.log();
    let sent = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["message"] == "confirmation sent")
        .unwrap_or_else(|| panic!("no JSON line for the sent confirmation in\n{log}"));
    assert_eq!(sent["component"], "email-worker");
    assert_eq!(sent["requestId"], "request-1");
    assert_eq!(sent["messageId"], "good");
    assert_eq!(sent["orderId"], good.order.order_id.to_string());
    assert_eq!(sent["correlationId"], good.correlation_id);
    assert_eq!(sent["to"], good.order.customer_email.masked());
    assert_eq!(
        sent["traceId"],
        format!("1-66500000-{:0>24}", "good"),
        "each record's own trace"
    );
    assert_eq!(sent["functionName"], format!("{}-email-worker", stack.env));
    assert_eq!(sent["functionVersion"], "$LATEST");
    assert_eq!(
        sent["customerId"],
        good.order.customer_id.clone().unwrap_or_default()
    );
    assert_eq!(
        sent["coldStart"], true,
        "the first invocation paid the cold start"
    );
    assert!(
        !log.contains(good.order.customer_email.as_str()),
        "an unmasked address was logged"
    );
}

/// Lambda's init is the cold start a caller waits for, so a worker looks its
/// queue up on the first batch, not before its first poll. A lookup that
/// fails fails that invocation only (SQS delivers the batch again), and the
/// next invocation looks again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_lambda_mode_the_queue_is_looked_up_on_the_first_batch() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let mut runtime = RuntimeApi::start().await;
    let queue = format!("{}-LateAuditQueue", stack.env);
    let mut env = runtime.lambda_env(&format!("{}-audit-worker", stack.env), 256);
    env.push(("AUDIT_QUEUE", queue.clone()));
    let audit = Worker::start("audit-worker", &stack, &env);

    assert!(
        runtime.first_poll(PATIENCE).await.is_some(),
        "the worker asked for no event although its queue was not needed yet\n{}",
        audit.log_tail()
    );
    let event = order_event(&stack, 1);
    let batch = serde_json::json!({"Records": [record(&stack, "m-1", &event.to_json(), 1)]});
    let failed = runtime
        .call("request-1", &batch, PATIENCE, || audit.log_tail())
        .await;
    assert_eq!(failed.kind, AnswerKind::Error, "{failed:?}");
    assert!(
        failed.body.contains(&queue),
        "the error names the queue: {failed:?}"
    );

    // The queue appears (without a redrive policy: the configured DLQ serves).
    local
        .sqs()
        .create_queue()
        .queue_name(&queue)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating {queue}: {e}"));
    let answer = runtime
        .call("request-2", &batch, PATIENCE, || audit.log_tail())
        .await;
    assert_eq!(
        answer.kind,
        AnswerKind::Response,
        "{answer:?}\n{}",
        audit.log_tail()
    );
    assert_eq!(answer.json(), serde_json::json!({"batchItemFailures": []}));
    assert!(
        audit.log().contains("audit-worker started"),
        "{}",
        audit.log_tail()
    );
}
