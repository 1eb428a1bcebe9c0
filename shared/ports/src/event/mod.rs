//! The `ORDER_CREATED` event, the contract between order-api and the workers: the
//! order as stored plus the envelope fields (`eventType` is also an SNS attribute,
//! for filter policies), read envelope first to tell an unknown version from garbage.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use domain::Order;

/// The event type, in the body and in the `eventType` attribute.
pub const ORDER_CREATED: &str = "ORDER_CREATED";

pub const SCHEMA_VERSION: u32 = 1;

/// An order was accepted and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    /// One per order (a re-publish reuses it): the workers' idempotency key.
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    /// Ties the request, the event and every worker log line together.
    pub correlation_id: String,
    #[serde(flatten)]
    pub order: Order,
}

impl OrderCreated {
    pub fn new(event_id: Uuid, correlation_id: impl Into<String>, order: Order) -> Self {
        OrderCreated {
            event_id,
            event_type: ORDER_CREATED.to_owned(),
            schema_version: SCHEMA_VERSION,
            correlation_id: correlation_id.into(),
            order,
        }
    }

    pub fn to_json(&self) -> String {
        // An `OrderCreated` is plain data with string keys: serializing it cannot fail.
        serde_json::to_string(self).unwrap_or_else(|e| unreachable!("OrderCreated serializes: {e}"))
    }

    /// Reads an event body; the error says whether retrying could ever help.
    pub fn parse(body: &str) -> Result<OrderCreated, EventError> {
        let envelope: Envelope =
            serde_json::from_str(body).map_err(|e| EventError::NotAnEvent(e.to_string()))?;
        if envelope.event_type.as_deref() != Some(ORDER_CREATED) {
            let found = envelope.event_type.unwrap_or_else(|| "<missing>".into());
            return Err(EventError::UnknownType(found));
        }
        if envelope.schema_version != Some(SCHEMA_VERSION) {
            return Err(EventError::UnsupportedVersion(envelope.schema_version));
        }
        serde_json::from_str(body).map_err(|e| EventError::InvalidSchema(e.to_string()))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    event_type: Option<String>,
    schema_version: Option<u32>,
}

/// Why a message is not an event we can handle. None of these heal on retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("message body is not a JSON object: {0}")]
    NotAnEvent(String),
    #[error("unknown eventType {0:?}")]
    UnknownType(String),
    #[error("unsupported schemaVersion {0:?} (this build reads {SCHEMA_VERSION})")]
    UnsupportedVersion(Option<u32>),
    #[error("event does not match schema version {SCHEMA_VERSION}: {0}")]
    InvalidSchema(String),
}

/// The event in a queue message's `body`: the body itself with raw delivery
/// (the template's), else the `Message` of SNS's envelope, so a subscription
/// whose raw delivery was switched off does not dead-letter every order.
pub fn event_body(body: &str) -> Cow<'_, str> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Notification {
        r#type: String,
        message: String,
    }
    match serde_json::from_str::<Notification>(body) {
        Ok(envelope) if envelope.r#type == "Notification" => envelope.message.into(),
        _ => body.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_body_is_the_event() {
        assert_eq!(event_body(r#"{"eventId":"1"}"#), r#"{"eventId":"1"}"#);
        assert_eq!(event_body("not json"), "not json");
    }

    #[test]
    fn an_sns_notification_is_unwrapped() {
        let body = r#"{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":"{\"eventId\":\"1\"}","Timestamp":"2024-01-15T10:30:00.000Z"}"#;
        assert_eq!(event_body(body), r#"{"eventId":"1"}"#);
    }

    #[test]
    fn other_sns_messages_are_not_events() {
        let body = r#"{"Type":"SubscriptionConfirmation","Message":"confirm"}"#;
        assert_eq!(event_body(body), body);
    }
}
