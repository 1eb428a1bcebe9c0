//! The four queue operations that peeking and moving need, as a port, so
//! that their logic (selection, pacing, send-before-delete) is tested with a
//! fake; [`SqsQueues`] is the port on SQS.

use std::future::Future;
use std::time::Duration;

use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageSystemAttributeName,
};
use aws_sdk_sqs::Client;
use chrono::{DateTime, Utc};

use super::letter::Letter;
use crate::error::{CtlError, Endpoint};

/// How long a receive waits for messages: long polling asks every SQS
/// server, so an empty answer means the queue really has nothing visible.
const RECEIVE_WAIT_SECONDS: i32 = 1;
/// SQS's largest batch.
pub const MAX_BATCH: usize = 10;

pub trait Queues: Send + Sync {
    /// Up to `max` (at most 10) messages, hidden from other consumers for
    /// `hide_for`; empty when nothing is visible.
    fn receive(
        &self,
        queue_url: &str,
        max: usize,
        hide_for: Duration,
    ) -> impl Future<Output = Result<Vec<Letter>, CtlError>> + Send;

    /// Sends the letter's body with [`Letter::attributes_for_redrive`].
    fn send(
        &self,
        queue_url: &str,
        letter: &Letter,
    ) -> impl Future<Output = Result<(), CtlError>> + Send;

    fn delete(
        &self,
        queue_url: &str,
        receipt_handle: &str,
    ) -> impl Future<Output = Result<(), CtlError>> + Send;

    /// Makes received messages visible again at once.
    fn release(
        &self,
        queue_url: &str,
        receipt_handles: &[String],
    ) -> impl Future<Output = Result<(), CtlError>> + Send;
}

#[derive(Debug, Clone)]
pub struct SqsQueues {
    client: Client,
    endpoint: Endpoint,
}

impl SqsQueues {
    pub fn new(client: Client, endpoint: Endpoint) -> Self {
        SqsQueues { client, endpoint }
    }
}

fn letter(message: Message) -> Letter {
    let mut system = message.attributes.unwrap_or_default();
    let mut number = |name: MessageSystemAttributeName| {
        system
            .remove(&name)
            .and_then(|text| text.parse::<i64>().ok())
    };
    Letter {
        sent_at: number(MessageSystemAttributeName::SentTimestamp)
            .and_then(DateTime::<Utc>::from_timestamp_millis),
        approximate_receive_count: number(MessageSystemAttributeName::ApproximateReceiveCount)
            .and_then(|n| u32::try_from(n).ok()),
        message_id: message.message_id.unwrap_or_default(),
        receipt_handle: message.receipt_handle.unwrap_or_default(),
        body: message.body.unwrap_or_default(),
        attributes: message.message_attributes.unwrap_or_default(),
    }
}

impl Queues for SqsQueues {
    async fn receive(
        &self,
        queue_url: &str,
        max: usize,
        hide_for: Duration,
    ) -> Result<Vec<Letter>, CtlError> {
        let output = self
            .client
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(max.clamp(1, MAX_BATCH) as i32)
            .visibility_timeout(i32::try_from(hide_for.as_secs()).unwrap_or(i32::MAX))
            .wait_time_seconds(RECEIVE_WAIT_SECONDS)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| self.endpoint.error("sqs:ReceiveMessage", e))?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(letter)
            .collect())
    }

    async fn send(&self, queue_url: &str, letter: &Letter) -> Result<(), CtlError> {
        let attributes = letter.attributes_for_redrive();
        self.client
            .send_message()
            .queue_url(queue_url)
            .message_body(&letter.body)
            .set_message_attributes((!attributes.is_empty()).then_some(attributes))
            .send()
            .await
            .map_err(|e| self.endpoint.error("sqs:SendMessage", e))?;
        Ok(())
    }

    async fn delete(&self, queue_url: &str, receipt_handle: &str) -> Result<(), CtlError> {
        self.client
            .delete_message()
            .queue_url(queue_url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|e| self.endpoint.error("sqs:DeleteMessage", e))?;
        Ok(())
    }

    async fn release(&self, queue_url: &str, receipt_handles: &[String]) -> Result<(), CtlError> {
        let mut failed: Vec<String> = Vec::new();
        for chunk in receipt_handles.chunks(MAX_BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, handle)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .visibility_timeout(0)
                        .build()
                        .map_err(|e| CtlError::Aws {
                            action: "sqs:ChangeMessageVisibilityBatch",
                            source: e.into(),
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .change_message_visibility_batch()
                .queue_url(queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| self.endpoint.error("sqs:ChangeMessageVisibilityBatch", e))?;
            failed.extend(
                output
                    .failed
                    .into_iter()
                    .map(|entry| entry.message.unwrap_or(entry.code)),
            );
        }
        match failed.first() {
            None => Ok(()),
            Some(reason) => Err(CtlError::Aws {
                action: "sqs:ChangeMessageVisibilityBatch",
                source: format!(
                    "{} message(s) stay hidden until their visibility timeout ends: {reason}",
                    failed.len()
                )
                .into(),
            }),
        }
    }
}
