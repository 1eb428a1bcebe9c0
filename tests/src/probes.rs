//! Looking at what the fleet did: the rows a stack's tables hold, the
//! messages its queues hold, and waiting for an effect to show.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::Message;

use crate::process::FleetProcess;
use crate::{LocalAws, Stack};

/// Bounds every wait: generous, because moto on a busy two-core machine is
/// slow; the tests never assert speed.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Polls `probe` until it yields a value or [`PATIENCE`] runs out; then
/// panics naming `what` and showing the logs of `processes`.
pub async fn eventually<T, F, Fut>(what: &str, processes: &[&FleetProcess], mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = processes.iter().map(|p| p.log_tail()).collect();
            panic!("gave up waiting for {what}\n{}", logs.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Every item of the stack's orders table, as stored (raw attribute values,
/// so a test can check the stored types: `N` money, `BOOL` flags).
pub async fn stored_orders(
    local: &LocalAws,
    stack: &Stack,
) -> Vec<HashMap<String, AttributeValue>> {
    scan(local, &stack.orders_table).await
}

/// Every item of a table, as stored.
pub async fn scan(local: &LocalAws, table: &str) -> Vec<HashMap<String, AttributeValue>> {
    let dynamodb = local.dynamodb();
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = dynamodb
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap_or_else(|e| panic!("scanning {table}: {e}"));
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return items,
        }
    }
}

/// Every message in a queue, with its message attributes, consumed: received
/// and deleted until a receive comes back empty. For queues no worker drains.
pub async fn drain(local: &LocalAws, queue_url: &str) -> Vec<Message> {
    let sqs = local.sqs();
    let mut messages = Vec::new();
    loop {
        let batch = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap_or_else(|e| panic!("receiving from {queue_url}: {e}"))
            .messages
            .unwrap_or_default();
        if batch.is_empty() {
            return messages;
        }
        for message in &batch {
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .unwrap_or_else(|e| panic!("deleting from {queue_url}: {e}"));
        }
        messages.extend(batch);
    }
}

/// Every message in a queue, with its message attributes, left in it: each is
/// received and so hidden for `hide_for`, then seen again by whoever polls.
/// For a final look at a DLQ: what an operator would find there.
pub async fn peek(local: &LocalAws, queue_url: &str, hide_for: Duration) -> Vec<Message> {
    let sqs = local.sqs();
    let mut messages = Vec::new();
    loop {
        let batch = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(i32::try_from(hide_for.as_secs()).unwrap_or(i32::MAX))
            .message_attribute_names("All")
            .send()
            .await
            .unwrap_or_else(|e| panic!("receiving from {queue_url}: {e}"))
            .messages
            .unwrap_or_default();
        if batch.is_empty() {
            return messages;
        }
        messages.extend(batch);
    }
}

/// Messages in a queue: (visible, in flight).
pub async fn depth(local: &LocalAws, queue_url: &str) -> (u64, u64) {
    let attributes = local
        .sqs()
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(
            aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("attributes of {queue_url}: {e}"))
        .attributes
        .unwrap_or_default();
    let count = |name| {
        attributes
            .get(&name)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (
        count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages),
        count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}

/// A message SES accepted, as moto recorded it.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub source: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// Every mail moto's SES accepted (`GET /moto-api/data.json`, `ses.Message`).
pub async fn sent_mail(local: &LocalAws) -> Vec<SentMail> {
    let state = local.moto_state().await;
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    state["ses"]["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| SentMail {
            source: text(&m["source"]),
            recipients: addresses(&m["destinations"]),
            subject: text(&m["subject"]),
            body: text(&m["body"]),
        })
        .collect()
}

/// Addresses wherever moto put them (a list, or a map of lists).
fn addresses(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items.iter().flat_map(addresses).collect(),
        serde_json::Value::Object(map) => map.values().flat_map(addresses).collect(),
        _ => Vec::new(),
    }
}
