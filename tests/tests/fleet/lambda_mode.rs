//! The three functions in Lambda mode, as Lambda runs them: each binary is
//! started with `AWS_LAMBDA_RUNTIME_API` pointing at a stand-in Runtime API,
//! with the environment `infra/template.yaml` gives it (resolved for a test
//! stack on the local AWS), and fed the events API Gateway and the SQS event
//! source mapping would send.
//!
//! The harness is `fleet_tests::lambda`. Each test prints how long a binary
//! took from its start to its first request for an event.

use adapters::failure_attributes::{FAILURE_KIND, FAILURE_REASON, SOURCE_MESSAGE_ID};
use aws_sdk_dynamodb::types::AttributeValue;
use domain::OrderId;
use fleet_tests::lambda::events::{
    api_gateway_event, customer_claims, message_about, queue_arn, sqs_record, unreadable_record,
    with_claims,
};
use fleet_tests::lambda::{Function, Sandbox};
use fleet_tests::runtime_api::RuntimeApi;
use fleet_tests::workers::{audit_trail, mail_to, order_event, publish, take_dead_letters};
use fleet_tests::{LocalAws, Stack};
use serde_json::{json, Value as Json};

// ---------------------------------------------------------------- the tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_posted_through_api_gateway_is_stored_published_emailed_and_audited() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let api_fn = Function::from_template(&stack, "OrderApiFunction", "order-api");
    let email_fn = Function::from_template(&stack, "EmailWorkerFunction", "email-worker");
    let audit_fn = Function::from_template(&stack, "AuditWorkerFunction", "audit-worker");
    let mut api_runtime = RuntimeApi::start().await;
    let mut email_runtime = RuntimeApi::start().await;
    let mut audit_runtime = RuntimeApi::start().await;
    let order_api = Sandbox::start(&api_fn, &stack, &api_runtime).await;
    let email_worker = Sandbox::start(&email_fn, &stack, &email_runtime).await;
    let audit_worker = Sandbox::start(&audit_fn, &stack, &audit_runtime).await;

    // order-api: API Gateway's event for POST /<stage>/order.
    let customer = format!("ada-{}@example.com", stack.env);
    let order = json!({
        "customerId": "c-1",
        "customerName": "Ada Lovelace",
        "customerEmail": customer,
        "items": [{"productId": "p-1", "productName": "Ten-cent nail", "quantity": 3, "price": 0.10}]
    })
    .to_string();
    // The template requires sign-in: the authorizer admitted Ada.
    let post = with_claims(
        api_gateway_event(
            &stack.env,
            "POST",
            &[
                ("Content-Type", "application/json"),
                ("Accept", "application/json"),
            ],
            Some(&order),
        ),
        customer_claims(&customer),
    );
    let answer = order_api.invoke(&mut api_runtime, "post-1", &post).await;
    let response = answer.json();
    assert_eq!(
        response["statusCode"],
        200,
        "{response}\n{}",
        order_api.log_tail()
    );
    let body: Json = serde_json::from_str(response["body"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the API answered a non-JSON body ({e}): {response}"));
    assert_eq!(body["message"], "Order received successfully", "{body}");
    assert!(body["createdAt"].is_string(), "{body}");
    let order_id = body["orderId"].as_str().unwrap_or_default().to_owned();
    let order_id_parsed: OrderId = order_id
        .parse()
        .unwrap_or_else(|e| panic!("orderId {order_id:?} is not a UUID: {e:?}"));

    // Stored…
    let stored = local
        .dynamodb()
        .get_item()
        .table_name(&stack.orders_table)
        .key("OrderId", AttributeValue::S(order_id.clone()))
        .consistent_read(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("reading the order: {e}"))
        .item
        .unwrap_or_else(|| panic!("order {order_id} is not in {}", stack.orders_table));
    assert_eq!(
        stored.get("CustomerEmail").and_then(|v| v.as_s().ok()),
        Some(&customer)
    );
    assert_eq!(
        stored
            .get("TotalAmount")
            .and_then(|v| v.as_n().ok())
            .map(String::as_str),
        Some("0.3")
    );

    // …and published: SNS fanned the event out to both queues, raw.
    let to_email = message_about(local, &stack.email_queue_url, &order_id).await;
    let to_audit = message_about(local, &stack.audit_queue_url, &order_id).await;
    let event: Json = serde_json::from_str(to_email.body().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the queued event is not JSON: {e}"));
    assert_eq!(event["eventType"], "ORDER_CREATED", "{event}");
    assert_eq!(event["orderId"], order_id.as_str(), "{event}");

    // email-worker: the SQS event the email queue's event source mapping sends.
    let email_event =
        json!({"Records": [sqs_record(&to_email, &queue_arn(&stack, "OrderEmailQueue"))]});
    let answer = email_worker
        .invoke(&mut email_runtime, "email-1", &email_event)
        .await;
    assert_eq!(
        answer.json(),
        json!({"batchItemFailures": []}),
        "{}",
        email_worker.log_tail()
    );
    let mail = mail_to(local, &customer).await;
    assert_eq!(mail.len(), 1, "{mail:?}\n{}", email_worker.log_tail());
    assert_eq!(mail[0].source, stack.sender_email);
    assert!(mail[0].subject.contains(&order_id), "{:?}", mail[0].subject);

    // audit-worker: likewise from the audit queue.
    let audit_event =
        json!({"Records": [sqs_record(&to_audit, &queue_arn(&stack, "OrderAuditQueue"))]});
    let answer = audit_worker
        .invoke(&mut audit_runtime, "audit-1", &audit_event)
        .await;
    assert_eq!(
        answer.json(),
        json!({"batchItemFailures": []}),
        "{}",
        audit_worker.log_tail()
    );
    let trail = audit_trail(local, &stack, order_id_parsed).await;
    assert_eq!(trail.len(), 1, "{trail:?}\n{}", audit_worker.log_tail());
    assert_eq!(trail[0].event_type, "ORDER_CREATED");
    assert_eq!(
        trail[0].source_message_id,
        to_audit.message_id().unwrap_or_default()
    );

    // The CORS preflight reaches the same function (the template's OPTIONS method).
    let preflight = api_gateway_event(
        &stack.env,
        "OPTIONS",
        &[
            ("Origin", "https://shop.example.com"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "content-type,idempotency-key",
            ),
        ],
        None,
    );
    let answer = order_api
        .invoke(&mut api_runtime, "preflight-1", &preflight)
        .await;
    let response = answer.json();
    assert!(
        response["statusCode"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s)),
        "{response}"
    );
    let headers = response["multiValueHeaders"]
        .as_object()
        .or_else(|| response["headers"].as_object())
        .unwrap_or_else(|| panic!("no headers in {response}"));
    assert!(
        headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("access-control-allow-origin")),
        "{response}"
    );

    // Every line a function logged in Lambda is JSON (CloudWatch Logs Insights reads it).
    for sandbox in [&order_api, &email_worker, &audit_worker] {
        let log = sandbox.log();
        assert!(!log.trim().is_empty(), "{} logged nothing", sandbox.name);
        for line in log.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                serde_json::from_str::<Json>(line).is_ok(),
                "{} logged a non-JSON line: {line}",
                sandbox.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_record_is_dead_lettered_with_its_reason_and_its_neighbours_succeed() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let audit_fn = Function::from_template(&stack, "AuditWorkerFunction", "audit-worker");
    let mut runtime = RuntimeApi::start().await;
    let audit_worker = Sandbox::start(&audit_fn, &stack, &runtime).await;

    let event = order_event(&stack, 1);
    publish(local, &stack, &event).await;
    let order_id = event.order.order_id.to_string();
    let message = message_about(local, &stack.audit_queue_url, &order_id).await;
    let arn = queue_arn(&stack, "OrderAuditQueue");
    let good = sqs_record(&message, &arn);
    // SQS delivers at least once: the same message twice in one batch.
    let batch = json!({"Records": [good, unreadable_record("garbage-1", &arn), good]});

    let answer = audit_worker.invoke(&mut runtime, "batch-1", &batch).await;

    // Nothing to retry: the unreadable record can never succeed, so it went
    // to the DLQ at once instead of being listed for another attempt.
    assert_eq!(
        answer.json(),
        json!({"batchItemFailures": []}),
        "{}",
        audit_worker.log_tail()
    );
    let trail = audit_trail(local, &stack, event.order.order_id).await;
    assert_eq!(trail.len(), 1, "written once: {trail:?}");
    let letters = take_dead_letters(local, &stack.audit_dlq_url).await;
    assert_eq!(letters.len(), 1, "{letters:?}\n{}", audit_worker.log_tail());
    let letter = &letters[0];
    assert_eq!(letter.body, "order #42 for Ada, please");
    assert_eq!(letter.attributes[SOURCE_MESSAGE_ID], "garbage-1");
    assert_eq!(letter.attributes[FAILURE_KIND], "permanent");
    assert!(
        !letter.attributes[FAILURE_REASON].is_empty(),
        "{:?}",
        letter.attributes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_templates_stage_setting_the_api_would_not_find_its_route() {
    // The control for the first test: the same event, the same binary, but
    // the stage left in the path, as lambda_http does by default. It proves
    // that the template's AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH is what routes.
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let mut api_fn = Function::from_template(&stack, "OrderApiFunction", "order-api");
    let before = api_fn.variables.len();
    api_fn
        .variables
        .retain(|(name, _)| name != "AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH");
    assert_eq!(api_fn.variables.len(), before - 1, "the template sets it");
    let mut runtime = RuntimeApi::start().await;
    let order_api = Sandbox::start(&api_fn, &stack, &runtime).await;

    let post = api_gateway_event(
        &stack.env,
        "POST",
        &[("Content-Type", "application/json")],
        Some(
            r#"{"customerName":"Ada Lovelace","customerEmail":"ada@example.com","items":[{"productId":"p-1","quantity":1,"price":1}]}"#,
        ),
    );
    let answer = order_api.invoke(&mut runtime, "post-1", &post).await;
    assert_eq!(answer.json()["statusCode"], 404, "{}", answer.body);
}
