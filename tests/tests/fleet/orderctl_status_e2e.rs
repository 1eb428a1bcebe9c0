//! `orderctl status` end to end: the real binary against a test stack on the
//! local AWS. No worker or relay runs, so what the test puts in place stays:
//! a dead letter, a message waiting in the email queue, unpublished orders
//! under both shapes of the outbox index's key (the unsharded `PENDING` and a
//! shard's `PENDING#<n>`), and an alarm in ALARM. The screen shows each one,
//! puts the DLQ first, and disturbs nothing.

use std::process::Stdio;

use crate::orderctl_support::orderctl;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use chrono::Utc;
use domain::{iso8601, OrderId};
use fleet_tests::local_aws::REGION;
use fleet_tests::probes::{depth, PATIENCE};
use fleet_tests::{LocalAws, Stack};
use ports::outbox_shard;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Calls moto's CloudWatch in the Query protocol: this crate has no
/// CloudWatch SDK, and moto reads the service and region from the
/// credential scope without checking the signature.
async fn cloudwatch(stack: &Stack, action: &str, params: &[(&str, &str)]) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/monitoring/aws4_request, \
         SignedHeaders=host, Signature=0"
    );
    let mut form = vec![("Action", action), ("Version", "2010-08-01")];
    form.extend_from_slice(params);
    let response = reqwest::Client::new()
        .post(format!("{}/", stack.endpoint))
        .header("Authorization", auth)
        .form(&form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CloudWatch {action}: {e}"));
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "CloudWatch {action}: {status}\n{body}");
}

/// An alarm as the template would make it, in `state`.
async fn alarm(stack: &Stack, name: &str, state: &str) {
    cloudwatch(
        stack,
        "PutMetricAlarm",
        &[
            ("AlarmName", name),
            ("AlarmDescription", "Run `orderctl dlq peek email`."),
            ("Namespace", "AWS/SQS"),
            ("MetricName", "ApproximateNumberOfMessagesVisible"),
            ("Statistic", "Maximum"),
            ("Period", "60"),
            ("EvaluationPeriods", "1"),
            ("Threshold", "0"),
            ("ComparisonOperator", "GreaterThanThreshold"),
        ],
    )
    .await;
    let reason = format!("set to {state} by the test");
    cloudwatch(
        stack,
        "SetAlarmState",
        &[
            ("AlarmName", name),
            ("StateValue", state),
            ("StateReason", &reason),
        ],
    )
    .await;
}

/// An order stored `minutes_ago` and never published, with `OutboxPending`
/// as the unsharded design wrote it (`PENDING`) or as the sharded one does.
async fn unpublished_order(
    local: &LocalAws,
    stack: &Stack,
    minutes_ago: i64,
    legacy: bool,
) -> String {
    let order_id: OrderId = uuid::Uuid::new_v4()
        .to_string()
        .parse()
        .expect("an order id");
    let key = match legacy {
        true => "PENDING".to_owned(),
        false => format!("PENDING#{}", outbox_shard(order_id)),
    };
    let created_at = Utc::now() - chrono::Duration::minutes(minutes_ago);
    let text = |s: String| AttributeValue::S(s);
    local
        .dynamodb()
        .put_item()
        .table_name(&stack.orders_table)
        .item("OrderId", text(order_id.to_string()))
        .item("CreatedAt", text(iso8601::format(&created_at)))
        .item("EventId", text(uuid::Uuid::new_v4().to_string()))
        .item("Published", AttributeValue::Bool(false))
        .item("OutboxPending", text(key))
        .send()
        .await
        .unwrap_or_else(|e| panic!("storing order {order_id}: {e}"));
    order_id.to_string()
}

async fn send(local: &LocalAws, queue_url: &str, body: &str) {
    local
        .sqs()
        .send_message()
        .queue_url(queue_url)
        .message_body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("sending to {queue_url}: {e}"));
}

fn find<'a>(rows: &'a Value, field: &str, value: &str) -> &'a Value {
    rows.as_array()
        .into_iter()
        .flatten()
        .find(|row| row[field] == value)
        .unwrap_or_else(|| panic!("no {field} = {value} in {rows:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_each_trouble_with_the_dead_letter_first_and_changes_nothing() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let env = stack.env.clone();

    // An empty stack: healthy.
    let quiet = orderctl(&stack, &["status", "--json"], &[])
        .await
        .succeeded()
        .json();
    assert_eq!(quiet["healthy"], true, "{quiet:#}");
    assert_eq!(quiet["attention"], serde_json::json!([]), "{quiet:#}");
    let queues = quiet["queues"].as_array().expect("queues");
    assert_eq!(queues.len(), 5, "{quiet:#}");
    assert!(queues.iter().all(|q| q["visible"] == 0), "{quiet:#}");
    assert_eq!(quiet["outbox"]["unpublished"], 0, "{quiet:#}");
    assert_eq!(quiet["alarms"]["available"], true, "{quiet:#}");
    assert_eq!(quiet["alarms"]["namePrefix"], format!("{env}-"));
    let table = orderctl(&stack, &["status"], &[]).await.succeeded();
    assert!(
        table
            .stdout
            .contains("needs attention: nothing: the pipeline is healthy"),
        "{}",
        table.stdout
    );

    // Trouble of every kind.
    let dead_order = uuid::Uuid::new_v4().to_string();
    let event = format!(r#"{{"orderId":"{dead_order}","eventType":"ORDER_CREATED"}}"#);
    send(local, &stack.email_dlq_url, &event).await;
    send(local, &stack.email_queue_url, &event).await;
    let legacy = unpublished_order(local, &stack, 10, true).await;
    unpublished_order(local, &stack, 7, false).await;
    let firing = format!("{env}-OrderEmailDLQ-not-empty");
    alarm(&stack, &firing, "ALARM").await;
    // Neither is shown: one is fine, the other another environment's.
    alarm(&stack, &format!("{env}-OrderApi-5xx-rate"), "OK").await;
    alarm(&stack, &format!("{env}0-OrderApi-5xx-rate"), "ALARM").await;

    let status = orderctl(&stack, &["status", "--output", "json"], &[])
        .await
        .succeeded()
        .json();
    assert_eq!(status["healthy"], false, "{status:#}");
    assert_eq!(status["environment"], env.as_str());

    let attention = status["attention"].as_array().expect("attention");
    let rules: Vec<&str> = attention
        .iter()
        .filter_map(|c| c["rule"].as_str())
        .collect();
    assert_eq!(
        rules,
        ["dead-letters", "alarm", "outbox-backlog"],
        "{status:#}"
    );
    assert_eq!(attention[0]["subject"], format!("{env}-OrderEmailDLQ"));
    assert!(
        attention[0]["nextStep"]
            .as_str()
            .is_some_and(|s| s.contains(&format!("orderctl --env {env} dlq peek email"))),
        "{status:#}"
    );
    assert_eq!(attention[1]["subject"], firing.as_str());
    assert_eq!(attention[2]["subject"], stack.orders_table.as_str());

    let email_dlq = find(&status["queues"], "queue", &format!("{env}-OrderEmailDLQ"));
    assert_eq!(
        (&email_dlq["kind"], &email_dlq["workflow"]),
        (&Value::from("dlq"), &Value::from("email")),
        "{status:#}"
    );
    assert_eq!(
        (
            &email_dlq["visible"],
            &email_dlq["inFlight"],
            &email_dlq["delayed"]
        ),
        (&1.into(), &0.into(), &0.into()),
        "{status:#}"
    );
    assert!(
        email_dlq["oldestAgeSeconds"]
            .as_i64()
            .is_some_and(|s| (0..600).contains(&s)),
        "{status:#}"
    );
    let email_queue = find(
        &status["queues"],
        "queue",
        &format!("{env}-OrderEmailQueue"),
    );
    assert_eq!(email_queue["kind"], "work");
    assert_eq!(email_queue["visible"], 1, "{status:#}");
    // The local AWS has no CloudWatch metrics, and a work queue is not peeked.
    assert!(email_queue["oldestAgeSeconds"].is_null(), "{status:#}");
    assert!(
        email_queue["ageFrom"]
            .as_str()
            .is_some_and(|s| s.contains("not peeked")),
        "{status:#}"
    );
    let delivery = find(
        &status["queues"],
        "queue",
        &format!("{env}-OrderEventsDeliveryDLQ"),
    );
    assert_eq!(delivery["visible"], 0, "{status:#}");

    let outbox = &status["outbox"];
    assert_eq!(outbox["table"], stack.orders_table.as_str());
    assert_eq!(outbox["unpublished"], 2, "{status:#}");
    assert_eq!(outbox["legacyKey"], 1, "{status:#}");
    assert_eq!(outbox["oldestOrderId"], legacy.as_str(), "{status:#}");
    assert!(
        outbox["oldestAgeSeconds"]
            .as_i64()
            .is_some_and(|s| s >= 600),
        "{status:#}"
    );

    let alarms = &status["alarms"];
    assert_eq!(alarms["available"], true, "{status:#}");
    let names: Vec<&str> = alarms["inAlarm"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, [firing.as_str()], "{status:#}");
    assert_eq!(alarms["inAlarm"][0]["reason"], "set to ALARM by the test");

    // The table says the same, the dead letter first.
    let table = orderctl(&stack, &["status"], &[]).await.succeeded();
    let text = &table.stdout;
    assert!(
        text.contains(&format!(
            " 1. {env}-OrderEmailDLQ: 1 message(s) in the email DLQ"
        )),
        "{text}"
    );
    assert!(text.contains(&format!(" 2. {firing}: in ALARM")), "{text}");
    assert!(
        text.contains("outbox   2 unpublished order(s), the oldest waiting 10m"),
        "{text}"
    );

    // Nothing changed: the messages are where they were, and the email
    // queue's one was never received (its first receive is this one).
    assert_eq!(depth(local, &stack.email_dlq_url).await, (1, 0));
    assert_eq!(depth(local, &stack.email_queue_url).await, (1, 0));
    let received = local
        .sqs()
        .receive_message()
        .queue_url(&stack.email_queue_url)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .expect("receiving the email queue's message");
    let message = received.messages().first().expect("the message");
    let receives = message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount));
    assert_eq!(receives.map(String::as_str), Some("1"), "{message:#?}");
}

/// Runs `orderctl status --watch --interval 1 <extra>` until `marker` has
/// appeared `draws` times in its output, then presses Ctrl-C: its exit code,
/// stdout and stderr.
async fn watch(
    stack: &Stack,
    extra: &[&str],
    marker: &str,
    draws: usize,
) -> (Option<i32>, String, String) {
    let mut args = vec!["status", "--watch", "--interval", "1", "--env", &stack.env];
    args.extend_from_slice(extra);
    let mut child = tokio::process::Command::new(fleet_tests::binary("orderctl"))
        .args(&args)
        .envs(stack.env_vars())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start orderctl: {e}"));
    let mut lines = BufReader::new(child.stdout.take().expect("its stdout")).lines();
    let mut stdout = String::new();
    let drawn = tokio::time::timeout(PATIENCE, async {
        while stdout.matches(marker).count() < draws {
            match lines.next_line().await.expect("its output") {
                Some(line) => stdout.push_str(&format!("{line}\n")),
                None => break,
            }
        }
    })
    .await;
    let pid = child.id().expect("a running orderctl").to_string();
    let sent = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .expect("kill -INT");
    assert!(sent.success() && drawn.is_ok(), "{stdout}");
    while let Ok(Some(line)) = lines.next_line().await {
        stdout.push_str(&format!("{line}\n"));
    }
    let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
        .await
        .expect("orderctl --watch ends on Ctrl-C")
        .expect("its exit");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_watch_draws_again_every_interval_until_ctrl_c() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;

    let (code, json, stderr) = watch(&stack, &["--json"], "\"readAt\"", 2).await;
    assert_eq!(code, Some(0), "{stderr}");
    let draws: Vec<Value> = json
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(draws.len() >= 2, "{json}\n{stderr}");
    assert!(draws.iter().all(|d| d["healthy"] == true), "{json}");
    assert_ne!(draws[0]["readAt"], draws[1]["readAt"], "{json}");

    let header = format!("environment {} at", stack.env);
    let (code, table, stderr) = watch(&stack, &[], &header, 2).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(table.matches(&header).count() >= 2, "{table}\n{stderr}");
    // Not a terminal: one draw after another, never cleared.
    assert!(!table.contains('\x1b'), "{table:?}");
}
