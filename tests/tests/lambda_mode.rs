//! The three functions in Lambda mode, as Lambda runs them: each binary is
//! started with `AWS_LAMBDA_RUNTIME_API` pointing at a stand-in Runtime API,
//! with the environment `infra/template.yaml` gives it (resolved for a test
//! stack on the local AWS), and fed the events API Gateway and the SQS event
//! source mapping would send.
//!
//! The binaries are the workspace's debug builds, or — with
//! `LAMBDA_BOOTSTRAP_DIR=target/lambda/x86_64` (`make test-lambda`) — the
//! release `bootstrap` files `make package` zips. Each test prints how long a
//! binary took from its start to its first request for an event.

mod workers_support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use fleet_tests::runtime_api::{Answer, AnswerKind, RuntimeApi};
use fleet_tests::{LocalAws, Stack};
use serde_json::{json, Value as Json};
use serde_yaml::Value as Yaml;
use shared::adapters::failure_attributes::{FAILURE_KIND, FAILURE_REASON, SOURCE_MESSAGE_ID};
use shared::domain::OrderId;
use workers_support::{audit_trail, mail_to, order_event, publish, take_dead_letters};

/// Bounds every wait; moto on a busy two-core machine is slow. Timings are
/// printed, never asserted.
const PATIENCE: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------- the functions

/// A function as the template defines it.
#[derive(Debug)]
struct Function {
    /// The binary's name: `order-api`, `email-worker`, `audit-worker`.
    binary: &'static str,
    /// The deployed name (`<env>-OrderApi`).
    name: String,
    memory_size: u64,
    /// `Environment.Variables`, resolved for the stack.
    variables: Vec<(String, String)>,
}

impl Function {
    /// The template's `logical_id` function, resolved for `stack`.
    fn from_template(stack: &Stack, logical_id: &str, binary: &'static str) -> Function {
        let path = Stack::template_path();
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let template: Yaml = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
        let resource = &template["Resources"][logical_id];
        assert_eq!(
            resource["Type"].as_str(),
            Some("AWS::Lambda::Function"),
            "the template has no function {logical_id}"
        );
        let properties = &resource["Properties"];
        let resolve = |value: &Yaml| resolve(&template, stack, value);
        let variables = properties["Environment"]["Variables"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{logical_id} has no environment variables"))
            .iter()
            .map(|(name, value)| {
                let name = name.as_str().unwrap_or_default().to_owned();
                (name, resolve(value))
            })
            .collect();
        Function {
            binary,
            name: resolve(&properties["FunctionName"]),
            memory_size: properties["MemorySize"].as_u64().unwrap_or(128),
            variables,
        }
    }

    /// The file to run.
    fn bootstrap(&self) -> PathBuf {
        match std::env::var_os("LAMBDA_BOOTSTRAP_DIR") {
            Some(dir) => {
                let path = PathBuf::from(dir).join(self.binary).join("bootstrap");
                assert!(
                    path.is_file(),
                    "{} is missing: run `make package` first",
                    path.display()
                );
                path
            }
            None => fleet_tests::binary(self.binary),
        }
    }
}

/// A template value as CloudFormation would resolve it for this stack: the
/// few forms a function's environment uses.
fn resolve(template: &Yaml, stack: &Stack, value: &Yaml) -> String {
    let Yaml::Tagged(tagged) = value else {
        return match value {
            Yaml::String(s) => s.clone(),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_owned(),
        };
    };
    let function = tagged.tag.to_string();
    let argument = tagged.value.as_str().unwrap_or_default();
    let reference = |id: &str| -> String {
        match id {
            "Environment" => stack.env.clone(),
            "SenderEmail" => stack.sender_email.clone(),
            _ => {
                if let Some(table) = stack.template.table(id) {
                    return table.name.clone();
                }
                if let Some(topic) = stack.template.topic(id) {
                    return topic.arn.clone();
                }
                match template["Parameters"][id]["Default"].as_str() {
                    Some(default) => default.to_owned(),
                    None => panic!("cannot resolve !Ref {id} for the test stack"),
                }
            }
        }
    };
    match function.trim_start_matches('!') {
        "Ref" => reference(argument),
        "GetAtt" => match argument.split_once('.') {
            Some((queue, "QueueName")) => stack
                .template
                .queue(queue)
                .map(|q| q.name.clone())
                .unwrap_or_else(|| panic!("the template has no queue {queue}")),
            _ => panic!("cannot resolve !GetAtt {argument} for the test stack"),
        },
        "Sub" => {
            let resolved = argument.replace("${Environment}", &stack.env);
            assert!(
                !resolved.contains("${"),
                "cannot resolve !Sub {argument:?} for the test stack"
            );
            resolved
        }
        _ => panic!("cannot resolve {function} {argument:?} for the test stack"),
    }
}

// ---------------------------------------------------------------- a Lambda sandbox

/// A function binary running in Lambda mode; killed when dropped, and gone
/// anyway once its Runtime API (in this test process) is.
struct Sandbox {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Sandbox {
    /// Starts `function` against `api` with the environment Lambda would give
    /// it: its template variables, Lambda's own, and the local AWS's endpoint
    /// and dummy credentials; prints the time from its start to its first
    /// request for an event.
    async fn start(function: &Function, stack: &Stack, api: &RuntimeApi) -> Sandbox {
        let binary = function.bootstrap();
        let log = log_dir().join(format!("{}-{}.log", stack.env, function.binary));
        let file = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let err = file
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot share {}: {e}", log.display()));
        let local: Vec<(&str, String)> = stack
            .env_vars()
            .into_iter()
            .filter(|(name, _)| name.starts_with("AWS_"))
            .collect();
        let lambda = [
            ("AWS_LAMBDA_RUNTIME_API", api.address.clone()),
            ("AWS_LAMBDA_FUNCTION_NAME", function.name.clone()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                function.memory_size.to_string(),
            ),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", function.name),
            ),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/21/[$LATEST]test".to_owned(),
            ),
            ("_HANDLER", "bootstrap".to_owned()),
            ("TZ", ":UTC".to_owned()),
        ];
        let started = Instant::now();
        let child = Command::new(&binary)
            // Only what Lambda would set: nothing leaks in from the test's shell.
            .env_clear()
            .envs(
                function
                    .variables
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .envs(lambda.iter().map(|(k, v)| (*k, v.as_str())))
            .envs(local.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut sandbox = Sandbox {
            name: function.binary,
            child,
            log,
        };
        let first_poll = api.first_poll(PATIENCE).await.unwrap_or_else(|| {
            panic!(
                "{} never asked for an event (running: {})\n{}",
                function.binary,
                sandbox.is_running(),
                sandbox.log_tail()
            )
        });
        // stderr: shown with `--nocapture` (as `make test-lambda` runs it).
        eprintln!(
            "{:<13} {} -> first /invocation/next in {:>4} ms",
            function.binary,
            binary.display(),
            first_poll.duration_since(started).as_millis()
        );
        sandbox
    }

    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn log_tail(&self) -> String {
        fleet_tests::process::log_tail(self.name, &self.log)
    }

    /// Invokes the function with `event` and returns its successful answer.
    async fn invoke(&self, api: &mut RuntimeApi, request_id: &str, event: &Json) -> Answer {
        let answer = api
            .call(request_id, event, PATIENCE, || self.log_tail())
            .await;
        assert_eq!(
            answer.kind,
            AnswerKind::Response,
            "{answer:?}\n{}",
            self.log_tail()
        );
        answer
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/debug/lambda-mode/`, next to the test binaries, ignored by git.
fn log_dir() -> PathBuf {
    let dir = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("lambda-mode")))
        .unwrap_or_else(std::env::temp_dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

// ---------------------------------------------------------------- the events

/// What API Gateway (REST API, Lambda proxy integration) sends for a request
/// to the stage `stage`.
fn api_gateway_event(
    stage: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Json {
    let host = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com";
    let mut all: Vec<(&str, &str)> = vec![
        ("Host", host),
        ("User-Agent", "OrderApp/1.0 (MAUI; Android 14)"),
        (
            "X-Amzn-Trace-Id",
            "Root=1-66500000-000000000000000000000002",
        ),
        ("X-Forwarded-For", "203.0.113.7"),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ];
    all.extend_from_slice(headers);
    let single: serde_json::Map<String, Json> = all
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let multi: serde_json::Map<String, Json> = all
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!([v])))
        .collect();
    json!({
        "resource": "/order",
        "path": "/order",
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "resourceId": "x1y2z3",
            "resourcePath": "/order",
            "httpMethod": method,
            "extendedRequestId": "Yq1xTGl2IAMFbQA=",
            "requestTime": "21/Nov/2026:06:00:00 +0000",
            "path": format!("/{stage}/order"),
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "a1b2c3d4e5",
            "requestTimeEpoch": 1_795_500_000_000_u64,
            "requestId": uuid::Uuid::new_v4().to_string(),
            "identity": {
                "cognitoIdentityPoolId": null,
                "accountId": null,
                "cognitoIdentityId": null,
                "caller": null,
                "sourceIp": "203.0.113.7",
                "principalOrgId": null,
                "accessKey": null,
                "cognitoAuthenticationType": null,
                "cognitoAuthenticationProvider": null,
                "userArn": null,
                "userAgent": "OrderApp/1.0 (MAUI; Android 14)",
                "user": null
            },
            "domainName": host,
            "apiId": "a1b2c3d4e5"
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// An SQS message as the event source mapping hands it to the function.
fn sqs_record(message: &Message, queue_arn: &str) -> Json {
    let attributes: serde_json::Map<String, Json> = message
        .attributes()
        .map(|attributes| {
            attributes
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), json!(value)))
                .collect()
        })
        .unwrap_or_default();
    let message_attributes: serde_json::Map<String, Json> = message
        .message_attributes()
        .map(|attributes| {
            attributes
                .iter()
                .map(|(name, value)| {
                    (
                        name.clone(),
                        json!({
                            "stringValue": value.string_value(),
                            "stringListValues": [],
                            "binaryListValues": [],
                            "dataType": value.data_type(),
                        }),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "messageId": message.message_id(),
        "receiptHandle": message.receipt_handle(),
        "body": message.body(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.md5_of_body(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1"
    })
}

/// A record the way a producer that is not ours might have sent it.
fn unreadable_record(message_id: &str, queue_arn: &str) -> Json {
    json!({
        "messageId": message_id,
        "receiptHandle": format!("receipt-{message_id}"),
        "body": "order #42 for Ada, please",
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795500000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1795500000001"
        },
        "messageAttributes": {},
        "md5OfBody": "0cd5f1bb38d3e9dc2a7dbd0ff9bc3c58",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1"
    })
}

/// Waits for the message about `order_id` in a queue, as published (without
/// consuming it: nothing deletes it, and the test stack's short visibility
/// timeout shows it again).
async fn message_about(local: &LocalAws, queue_url: &str, order_id: &str) -> Message {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let received = local
            .sqs()
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(2)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap_or_else(|e| panic!("receiving from {queue_url}: {e}"));
        if let Some(message) = received
            .messages
            .unwrap_or_default()
            .into_iter()
            .find(|m| m.body().is_some_and(|b| b.contains(order_id)))
        {
            return message;
        }
        assert!(
            Instant::now() < deadline,
            "no message about order {order_id} in {queue_url}"
        );
    }
}

fn queue_arn(stack: &Stack, logical_id: &str) -> String {
    stack
        .template
        .queue(logical_id)
        .map(|q| q.arn.clone())
        .unwrap_or_else(|| panic!("the template has no queue {logical_id}"))
}

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
    let post = api_gateway_event(
        &stack.env,
        "POST",
        &[
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ],
        Some(&order),
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
