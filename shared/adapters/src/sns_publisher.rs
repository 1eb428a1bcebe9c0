//! `EventPublisher` on SNS: the event JSON as the body (queues use raw delivery),
//! `eventType` as an attribute for subscription filters, and the customer as the
//! message group, which SNS passes on to its SQS standard subscriptions as fair
//! queues: one customer's burst does not delay everyone else's confirmation.

use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use aws_sdk_sns::Client;

use super::config::arn_name;
use super::sdk_error::backend_error;
use ports::event::OrderCreated;
use ports::{BackendError, EventPublisher};

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

    /// The ARN of the topic `name`, if any (every page: SNS has no lookup by name).
    pub async fn find_topic(client: &Client, name: &str) -> Result<Option<String>, BackendError> {
        let mut topics = client.list_topics().into_paginator().items().send();
        while let Some(topic) = topics.next().await {
            let topic = topic.map_err(|e| backend_error("SNS.ListTopics", e))?;
            if let Some(arn) = topic.topic_arn.filter(|arn| arn_name(arn) == name) {
                return Ok(Some(arn));
            }
        }
        Ok(None)
    }
}

/// An event's message group: the customer id if there is one (with sign-in,
/// the caller's own; SNS allows 128 characters), else a digest of the address,
/// so that no address travels in message metadata.
fn fair_group(event: &OrderCreated) -> String {
    match &event.order.customer_id {
        Some(id) if !id.is_empty() && id.len() <= 128 => id.clone(),
        _ => {
            let digest = ports::digest::sha256_hex(event.order.customer_email.as_str().as_bytes());
            format!("customer-{}", &digest[..32])
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
            .message_group_id(fair_group(event))
            .send()
            .await
            .map_err(|e| backend_error("SNS.Publish", e))?;
        Ok(())
    }

    /// One `PublishBatch`: entry `i` is `events[i]`, as `publish` would send it.
    async fn publish_batch(
        &self,
        events: &[OrderCreated],
    ) -> Result<Vec<Result<(), BackendError>>, BackendError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let entries = events
            .iter()
            .enumerate()
            .map(|(index, event)| {
                PublishBatchRequestEntry::builder()
                    .id(index.to_string())
                    .message(event.to_json())
                    .message_attributes("eventType", string_attribute(&event.event_type)?)
                    .message_attributes("correlationId", string_attribute(&event.correlation_id)?)
                    .message_group_id(fair_group(event))
                    .build()
                    .map_err(|e| BackendError::new(BATCH, false, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let output = self
            .client
            .publish_batch()
            .topic_arn(&self.topic_arn)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await
            .map_err(|e| backend_error(BATCH, e))?;
        let unreported = || BackendError::new(BATCH, true, "SNS did not report this entry");
        let mut outcomes: Vec<_> = events.iter().map(|_| Err(unreported())).collect();
        let slot = |id: &str| id.parse::<usize>().ok().filter(|i| *i < events.len());
        for ok in output.successful() {
            if let Some(i) = ok.id().and_then(slot) {
                outcomes[i] = Ok(());
            }
        }
        for failed in output.failed() {
            if let Some(i) = slot(failed.id()) {
                let message = failed.message().unwrap_or("no message");
                let why = format!("{}: {message}", failed.code());
                // A sender fault (a malformed entry) will not heal by itself.
                outcomes[i] = Err(BackendError::new(BATCH, !failed.sender_fault(), why));
            }
        }
        Ok(outcomes)
    }
}

const BATCH: &str = "SNS.PublishBatch";

#[cfg(test)]
mod tests {
    use super::{arn_name, fair_group};
    use ports::fakes::order_created;

    #[test]
    fn an_event_is_grouped_by_its_customer_and_never_by_a_readable_address() {
        let mut event = order_created();
        let by_address = fair_group(&event);
        assert!(by_address.starts_with("customer-") && !by_address.contains('@'));
        assert_eq!(
            by_address,
            fair_group(&order_created()),
            "the same customer"
        );
        event.order.customer_id = Some("CUST-12345".to_owned());
        assert_eq!(fair_group(&event), "CUST-12345");
    }

    #[test]
    fn a_topic_is_found_by_its_whole_name() {
        let arn = "arn:aws:sns:eu-west-1:1:prod-OrderEvents";
        assert_eq!(arn_name(arn), "prod-OrderEvents");
        assert_ne!(
            arn_name("arn:aws:sns:eu-west-1:1:preprod-OrderEvents"),
            "prod-OrderEvents"
        );
    }
}
