//! `EventPublisher` on SNS: the event JSON as the message body (queues use raw
//! delivery), `eventType` as a message attribute for subscription filters.

use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;

use super::sdk_error::backend_error;
use crate::event::OrderCreated;
use crate::ports::{BackendError, EventPublisher};

#[derive(Debug, Clone)]
pub struct SnsEventPublisher {
    client: Client,
    topic_arn: String,
}

impl SnsEventPublisher {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        SnsEventPublisher {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, BackendError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| BackendError::new("SNS.Publish", false, e))
}

impl EventPublisher for SnsEventPublisher {
    async fn publish(&self, event: &OrderCreated) -> Result<(), BackendError> {
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(event.to_json())
            .message_attributes("eventType", string_attribute(&event.event_type)?)
            .message_attributes("correlationId", string_attribute(&event.correlation_id)?)
            .send()
            .await
            .map_err(|e| backend_error("SNS.Publish", e))?;
        Ok(())
    }
}
