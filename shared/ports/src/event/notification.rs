//! The event inside a queue message.
//!
//! With raw delivery (the template's setting) the body is the event itself.
//! Without it SNS wraps the event in a notification envelope; a subscription
//! whose raw delivery was switched off must not turn every order into a
//! dead letter, so both are read.

use serde::Deserialize;

#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Message")]
    message: String,
}

/// The event text in `body`: the envelope's `Message`, or the body itself.
pub fn event_body(body: &str) -> std::borrow::Cow<'_, str> {
    match serde_json::from_str::<Notification>(body) {
        Ok(envelope) if envelope.kind == "Notification" => envelope.message.into(),
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
