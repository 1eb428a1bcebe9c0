//! Looking at what the fleet did: the rows a stack's tables hold and the
//! messages its queues hold.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::Message;

use crate::{LocalAws, Stack};

/// Every item of the stack's orders table, as stored (raw attribute values,
/// so a test can check the stored types: `N` money, `BOOL` flags).
pub async fn stored_orders(
    local: &LocalAws,
    stack: &Stack,
) -> Vec<HashMap<String, AttributeValue>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = local
            .dynamodb()
            .scan()
            .table_name(&stack.orders_table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap_or_else(|e| panic!("scanning {}: {e}", stack.orders_table));
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
