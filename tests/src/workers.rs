//! What the worker end-to-end tests and the bench share: the real worker binaries run as
//! child processes against a test stack, and probes of their effects.

use crate::{LocalAws, Stack};
use adapters::{DynamoDbAuditLog, SnsEventPublisher};
use aws_sdk_sqs::types::MessageSystemAttributeName;
use domain::OrderId;
use ports::event::OrderCreated;
use ports::{AuditRecord, Claim, ClaimRequest, ClaimToken, EventPublisher, IdempotencyStore};
use uuid::Uuid;

/// A worker binary running against a stack; stopped when dropped.
pub type Worker = crate::process::FleetProcess;

/// An `ORDER_CREATED` event for a customer whose address no other test uses.
pub fn order_event(stack: &Stack, index: usize) -> OrderCreated {
    let body = serde_json::json!({
        "eventId": Uuid::new_v4(),
        "eventType": "ORDER_CREATED",
        "schemaVersion": 1,
        "correlationId": format!("{}-{index}", stack.env),
        "orderId": OrderId::random(),
        "customerId": format!("customer-{index}"),
        "customerName": format!("Customer <{index}> & Co"),
        "customerEmail": format!("buyer-{index}-{}@example.com", stack.env),
        "items": [
            {"productId": "p-1", "productName": "Ten-cent nail", "quantity": 3, "price": 0.1, "subtotal": 0.3},
            {"productId": "p-2", "productName": "Hammer", "quantity": 2, "price": 19.99, "subtotal": 39.98}
        ],
        "totalAmount": 40.28,
        "createdAt": "2024-05-01T12:00:00.123Z"
    });
    OrderCreated::parse(&body.to_string()).unwrap_or_else(|e| panic!("a valid event: {e}"))
}

/// Publishes through the same adapter order-api uses.
pub async fn publish(local: &LocalAws, stack: &Stack, event: &OrderCreated) {
    SnsEventPublisher::new(local.sns(), &stack.topic_arn)
        .publish(event)
        .await
        .unwrap_or_else(|e| panic!("publishing: {}", ports::error_chain(&e)));
}

/// Holds `event`'s email claim for an hour, as a slow concurrent attempt
/// would: every delivery meanwhile finds it busy beyond its own deadline.
pub async fn hold_email_claim(local: &LocalAws, stack: &Stack, event: &OrderCreated) {
    let now = chrono::Utc::now();
    let held = adapters::DynamoDbIdempotencyStore::new(
        aws_sdk_dynamodb::Client::new(&local.aws_sdk_config()),
        &stack.idempotency_table,
        std::time::Duration::from_secs(3600),
    )
    .claim(&ClaimRequest {
        key: &format!("email#{}", event.event_id),
        fingerprint: &event.order.order_id.to_string(),
        pending: "",
        token: ClaimToken::random(),
        hold_until: now + chrono::Duration::hours(1),
        now,
    })
    .await
    .unwrap_or_else(|e| panic!("claiming: {e}"));
    assert!(matches!(held, Claim::Acquired { .. }), "{held:?}");
}

/// Sends `body` straight into a queue, as a duplicate delivery would arrive.
pub async fn send_to_queue(local: &LocalAws, queue_url: &str, body: &str) {
    local
        .sqs()
        .send_message()
        .queue_url(queue_url)
        .message_body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("sending to {queue_url}: {e}"));
}

pub use crate::probes::SentMail;

/// Every mail moto's SES accepted for `recipient`.
pub async fn mail_to(local: &LocalAws, recipient: &str) -> Vec<SentMail> {
    crate::probes::sent_mail(local)
        .await
        .into_iter()
        .filter(|m| m.recipients.iter().any(|r| r == recipient))
        .collect()
}

/// The order's audit trail (the `OrderIdIndex` query).
pub async fn audit_trail(local: &LocalAws, stack: &Stack, order_id: OrderId) -> Vec<AuditRecord> {
    DynamoDbAuditLog::new(local.dynamodb(), &stack.audit_table)
        .for_order(order_id)
        .await
        .unwrap_or_else(|e| panic!("querying the audit trail: {}", ports::error_chain(&e)))
}

/// A message taken from a DLQ, with what the worker attached.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub body: String,
    pub attributes: std::collections::HashMap<String, String>,
}

/// Takes every message now in the DLQ (and keeps them invisible a while).
pub async fn take_dead_letters(local: &LocalAws, dlq_url: &str) -> Vec<DeadLetter> {
    let output = local
        .sqs()
        .receive_message()
        .queue_url(dlq_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .visibility_timeout(60)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap_or_else(|e| panic!("receiving from {dlq_url}: {e}"));
    output
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(|m| DeadLetter {
            body: m.body.clone().unwrap_or_default(),
            attributes: m
                .message_attributes
                .unwrap_or_default()
                .into_iter()
                .map(|(name, value)| (name, value.string_value.unwrap_or_default()))
                .collect(),
        })
        .collect()
}
