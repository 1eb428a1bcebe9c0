//! A message in a dead-letter queue, and what an operator reads from it.
//!
//! The workers dead-letter a message themselves, with the reason attached as
//! message attributes (`shared::adapters::failure_attributes`); a message SQS
//! moved by its redrive policy carries none of them, so every field but the
//! id may be unknown.

use std::collections::HashMap;

use aws_sdk_sqs::types::MessageAttributeValue;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::adapters::failure_attributes as note;
use shared::domain::{iso8601, OrderId};

/// The attributes that say why a message failed. They are dropped when the
/// message goes back to its queue: they describe the last failure, not the
/// message, and a new failure writes its own.
pub const FAILURE_ATTRIBUTES: [&str; 7] = [
    note::FAILURE_REASON,
    note::FAILURE_KIND,
    note::FAILED_AT,
    note::SOURCE_QUEUE,
    note::SOURCE_MESSAGE_ID,
    note::RECEIVE_COUNT,
    note::COMPONENT,
];

/// A received DLQ message.
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    pub message_id: String,
    /// Valid while the message is hidden by the receive that returned it.
    pub receipt_handle: String,
    pub body: String,
    pub attributes: HashMap<String, MessageAttributeValue>,
    /// When the message entered the DLQ (SQS's `SentTimestamp`); for a
    /// message SQS moved itself, when it entered the source queue.
    pub sent_at: Option<DateTime<Utc>>,
    /// SQS's `ApproximateReceiveCount`: counts every receive, peeks included.
    pub approximate_receive_count: Option<u32>,
}

impl LetterView {
    /// Why the message is here, in a line: the worker's reason, or that SQS
    /// moved it by itself.
    pub fn reason(&self) -> String {
        match (&self.failure_reason, self.receive_count) {
            (Some(reason), _) => reason.clone(),
            (None, Some(receives)) => format!("moved by SQS after {receives} receives"),
            (None, None) => "moved by SQS".to_owned(),
        }
    }
}

impl Letter {
    fn text(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).and_then(|v| v.string_value())
    }

    /// The order the message is about: the event's `orderId`, raw or inside
    /// an SNS envelope. `None` for a body that is not an order event.
    pub fn order_id(&self) -> Option<OrderId> {
        let body = shared::batch::event_body(&self.body);
        let value: serde_json::Value = serde_json::from_str(&body).ok()?;
        value.get("orderId")?.as_str()?.parse().ok()
    }

    /// The event's type as the body says, for messages that are not orders.
    fn event_type(&self) -> Option<String> {
        let body = shared::batch::event_body(&self.body);
        let value: serde_json::Value = serde_json::from_str(&body).ok()?;
        Some(value.get("eventType")?.as_str()?.to_owned())
    }

    /// How often the source queue delivered the message before the worker
    /// gave up (the worker's note), or else SQS's count.
    pub fn receive_count(&self) -> Option<u32> {
        self.text(note::RECEIVE_COUNT)
            .and_then(|n| n.parse().ok())
            .or(self.approximate_receive_count)
    }

    /// Whether `id` names this message: its DLQ message id, or its id in the
    /// source queue (what the worker logged).
    pub fn is_named(&self, id: &str) -> bool {
        self.message_id == id || self.text(note::SOURCE_MESSAGE_ID) == Some(id)
    }

    /// The attributes to send back to the source queue: the original ones.
    pub fn attributes_for_redrive(&self) -> HashMap<String, MessageAttributeValue> {
        self.attributes
            .iter()
            .filter(|(name, _)| !FAILURE_ATTRIBUTES.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }

    pub fn view(&self) -> LetterView {
        let body_preview = match self.order_id() {
            Some(_) => None,
            None => Some(crate::output::clip(&self.body, 200)),
        };
        LetterView {
            message_id: self.message_id.clone(),
            order_id: self.order_id(),
            event_type: self.event_type(),
            receive_count: self.receive_count(),
            approximate_receive_count: self.approximate_receive_count,
            sent_at: self.sent_at.as_ref().map(iso8601::format),
            failed_at: self.text(note::FAILED_AT).map(str::to_owned),
            failure_kind: self.text(note::FAILURE_KIND).map(str::to_owned),
            failure_reason: self.text(note::FAILURE_REASON).map(str::to_owned),
            source_queue: self.text(note::SOURCE_QUEUE).map(str::to_owned),
            source_message_id: self.text(note::SOURCE_MESSAGE_ID).map(str::to_owned),
            component: self.text(note::COMPONENT).map(str::to_owned),
            moved_by_sqs: self.text(note::FAILURE_REASON).is_none(),
            body_preview,
        }
    }
}

/// A DLQ message as `peek`, `order` and `redrive --dry-run` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LetterView {
    pub message_id: String,
    pub order_id: Option<OrderId>,
    pub event_type: Option<String>,
    /// Deliveries from the source queue before the worker gave up.
    pub receive_count: Option<u32>,
    /// SQS's count, which every peek raises too.
    pub approximate_receive_count: Option<u32>,
    pub sent_at: Option<String>,
    pub failed_at: Option<String>,
    pub failure_kind: Option<String>,
    pub failure_reason: Option<String>,
    pub source_queue: Option<String>,
    pub source_message_id: Option<String>,
    pub component: Option<String>,
    /// No worker dead-lettered it: SQS's redrive policy moved it after its
    /// last receive (a worker that died or timed out every time), so there is
    /// no failure note.
    pub moved_by_sqs: bool,
    /// The start of a body that is not an order event, to tell what it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_preview: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(value: &str) -> MessageAttributeValue {
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .expect("valid attribute")
    }

    fn letter(body: &str) -> Letter {
        Letter {
            message_id: "dlq-1".to_owned(),
            receipt_handle: "r-1".to_owned(),
            body: body.to_owned(),
            attributes: HashMap::from([
                (note::FAILURE_REASON.to_owned(), string("MessageRejected")),
                (note::RECEIVE_COUNT.to_owned(), string("3")),
                (note::SOURCE_MESSAGE_ID.to_owned(), string("src-1")),
                ("eventType".to_owned(), string("ORDER_CREATED")),
            ]),
            sent_at: None,
            approximate_receive_count: Some(5),
        }
    }

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
    fn a_message_without_a_failure_note_says_sqs_moved_it() {
        let mut moved = letter("{}");
        moved.attributes.clear();
        let view = moved.view();
        assert!(view.moved_by_sqs);
        assert_eq!(view.reason(), "moved by SQS after 5 receives");
        let noted = letter("{}").view();
        assert!(!noted.moved_by_sqs);
        assert_eq!(noted.reason(), "MessageRejected");
    }

    #[test]
    fn a_message_is_named_by_its_dlq_id_or_its_source_id() {
        let letter = letter("{}");
        assert!(letter.is_named("dlq-1") && letter.is_named("src-1"));
        assert!(!letter.is_named("other"));
    }

    #[test]
    fn a_body_that_is_no_order_is_previewed() {
        let view = letter("this is not an order").view();
        assert_eq!(view.body_preview.as_deref(), Some("this is not an order"));
        assert_eq!(view.failure_reason.as_deref(), Some("MessageRejected"));
    }
}
