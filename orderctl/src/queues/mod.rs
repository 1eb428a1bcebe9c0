//! A queue as an operator handles it: messages received without being consumed,
//! sent on, deleted, or made visible again. A message SQS moved by its redrive
//! policy has no failure note ([`note`]): any field of a [`Letter`] but the id may be unknown.

#[cfg(any(test, feature = "fakes"))]
pub mod in_memory;
pub mod move_task;
mod sqs;

pub use sqs::{QueueDepth, SqsQueues};

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_sqs::types::MessageAttributeValue;
use chrono::{DateTime, Utc};

use domain::OrderId;
use ports::failure_attributes as note;
use ports::BackendError;

/// SQS's largest batch.
pub const MAX_BATCH: usize = 10;

/// The attributes that say why a message failed, dropped when it goes back to
/// its queue: they describe the last failure, and a new one writes its own.
pub const FAILURE_ATTRIBUTES: [&str; 7] = [
    note::FAILURE_REASON,
    note::FAILURE_KIND,
    note::FAILED_AT,
    note::SOURCE_QUEUE,
    note::SOURCE_MESSAGE_ID,
    note::RECEIVE_COUNT,
    note::COMPONENT,
];

/// A received message (of a DLQ, mostly).
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    pub message_id: String,
    /// Valid while the message is hidden by the receive that returned it.
    pub receipt_handle: String,
    pub body: String,
    pub attributes: HashMap<String, MessageAttributeValue>,
    /// When the message entered the queue (SQS's `SentTimestamp`); for a
    /// message SQS moved itself, when it entered the source queue.
    pub sent_at: Option<DateTime<Utc>>,
    /// SQS's `ApproximateReceiveCount`: counts every receive, peeks included.
    pub approximate_receive_count: Option<u32>,
}

impl Letter {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).and_then(|v| v.string_value())
    }

    /// The event's `orderId`, raw or in an SNS envelope; `None` if it is no order event.
    pub fn order_id(&self) -> Option<OrderId> {
        self.event_field("orderId")?.parse().ok()
    }

    pub fn event_field(&self, name: &str) -> Option<String> {
        let body = ports::event::event_body(&self.body);
        let value: serde_json::Value = serde_json::from_str(&body).ok()?;
        Some(value.get(name)?.as_str()?.to_owned())
    }

    /// Deliveries before the worker gave up (its note), or else SQS's count.
    pub fn receive_count(&self) -> Option<u32> {
        self.text(note::RECEIVE_COUNT)
            .and_then(|n| n.parse().ok())
            .or(self.approximate_receive_count)
    }

    /// Whether `id` is this message's DLQ id, or its source queue id (as logged).
    pub fn is_named(&self, id: &str) -> bool {
        self.message_id == id || self.text(note::SOURCE_MESSAGE_ID) == Some(id)
    }

    pub fn attributes_for_redrive(&self) -> HashMap<String, MessageAttributeValue> {
        let original = self.attributes.iter();
        let original = original.filter(|(name, _)| !FAILURE_ATTRIBUTES.contains(&name.as_str()));
        original.map(|(n, v)| (n.clone(), v.clone())).collect()
    }
}

/// The queue operations that peeking and moving need.
pub trait Queues: Send + Sync {
    /// Up to `max` (at most 10) messages, hidden for `hide_for`; empty if none is visible.
    fn receive(
        &self,
        queue_url: &str,
        max: usize,
        hide_for: Duration,
    ) -> impl Future<Output = Result<Vec<Letter>, BackendError>> + Send;

    /// Sends the letter's body with [`Letter::attributes_for_redrive`].
    fn send(
        &self,
        queue_url: &str,
        letter: &Letter,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    fn delete(
        &self,
        queue_url: &str,
        receipt_handle: &str,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Makes received messages visible again at once.
    fn release(
        &self,
        queue_url: &str,
        receipt_handles: &[String],
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::in_memory::dead_letter as letter;

    #[test]
    fn the_order_id_is_read_from_a_raw_event_or_an_sns_envelope() {
        let id = "4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10";
        let raw = format!(r#"{{"orderId":"{id}","eventType":"ORDER_CREATED"}}"#);
        let wrapped = serde_json::json!({"Type": "Notification", "Message": raw}).to_string();
        assert_eq!(
            letter(&raw).order_id().map(|o| o.to_string()).as_deref(),
            Some(id)
        );
        assert_eq!(
            letter(&wrapped)
                .order_id()
                .map(|o| o.to_string())
                .as_deref(),
            Some(id)
        );
        assert_eq!(letter("not json").order_id(), None);
    }

    #[test]
    fn a_redriven_message_keeps_its_own_attributes_but_not_the_failure_note() {
        let kept = letter("{}").attributes_for_redrive();
        assert_eq!(kept.keys().collect::<Vec<_>>(), ["eventType"]);
    }

    #[test]
    fn the_workers_count_wins_over_the_one_peeks_raise() {
        assert_eq!(letter("{}").receive_count(), Some(3));
        let mut moved_by_sqs = letter("{}");
        moved_by_sqs.attributes.clear();
        assert_eq!(moved_by_sqs.receive_count(), Some(5));
    }

    #[test]
    fn a_message_is_named_by_its_dlq_id_or_its_source_id() {
        let letter = letter("{}");
        assert!(letter.is_named("dlq-1") && letter.is_named("src-1"));
        assert!(!letter.is_named("other"));
    }
}
