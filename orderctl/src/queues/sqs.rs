//! [`Queues`] on SQS, and a queue's depth.

use std::time::Duration;

use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageSystemAttributeName,
    QueueAttributeName,
};
use aws_sdk_sqs::Client;
use chrono::{DateTime, Utc};
use serde::Serialize;

use adapters::sdk_error::backend_error;
use ports::BackendError;

use super::{Letter, Queues, MAX_BATCH};

/// Long polling asks every SQS server, so an empty answer means the queue has nothing visible.
const RECEIVE_WAIT_SECONDS: i32 = 1;
const RELEASE: &str = "SQS.ChangeMessageVisibilityBatch";

#[derive(Debug, Clone)]
pub struct SqsQueues(pub Client);

/// A queue's message counts (SQS's approximate ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueDepth {
    pub visible: u64,
    /// Received and not yet deleted or released: being peeked or moved.
    pub in_flight: u64,
    pub delayed: u64,
}

impl QueueDepth {
    pub fn total(&self) -> u64 {
        self.visible + self.in_flight + self.delayed
    }
}

impl SqsQueues {
    pub async fn depth(&self, url: &str) -> Result<QueueDepth, BackendError> {
        let names = [
            QueueAttributeName::ApproximateNumberOfMessages,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            QueueAttributeName::ApproximateNumberOfMessagesDelayed,
        ];
        let attributes = self
            .0
            .get_queue_attributes()
            .queue_url(url)
            .set_attribute_names(Some(names.to_vec()))
            .send()
            .await
            .map_err(|e| backend_error("SQS.GetQueueAttributes", e))?
            .attributes
            .unwrap_or_default();
        let count = |name| attributes.get(&name).map_or(0, |n| n.parse().unwrap_or(0));
        let [visible, in_flight, delayed] = names.map(count);
        Ok(QueueDepth {
            visible,
            in_flight,
            delayed,
        })
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
    ) -> Result<Vec<Letter>, BackendError> {
        let output = self
            .0
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(max.clamp(1, MAX_BATCH) as i32)
            .visibility_timeout(i32::try_from(hide_for.as_secs()).unwrap_or(i32::MAX))
            .wait_time_seconds(RECEIVE_WAIT_SECONDS)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| backend_error("SQS.ReceiveMessage", e))?;
        let messages = output.messages.unwrap_or_default();
        Ok(messages.into_iter().map(letter).collect())
    }

    async fn send(&self, queue_url: &str, letter: &Letter) -> Result<(), BackendError> {
        let attributes = letter.attributes_for_redrive();
        self.0
            .send_message()
            .queue_url(queue_url)
            .message_body(&letter.body)
            .set_message_attributes((!attributes.is_empty()).then_some(attributes))
            .send()
            .await
            .map_err(|e| backend_error("SQS.SendMessage", e))?;
        Ok(())
    }

    async fn delete(&self, queue_url: &str, receipt_handle: &str) -> Result<(), BackendError> {
        self.0
            .delete_message()
            .queue_url(queue_url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|e| backend_error("SQS.DeleteMessage", e))?;
        Ok(())
    }

    async fn release(
        &self,
        queue_url: &str,
        receipt_handles: &[String],
    ) -> Result<(), BackendError> {
        let mut failed: Vec<String> = Vec::new();
        for chunk in receipt_handles.chunks(MAX_BATCH) {
            let entries = chunk.iter().enumerate().map(|(i, handle)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .build()
                    .map_err(|e| BackendError::new(RELEASE, false, e))
            });
            let output = self
                .0
                .change_message_visibility_batch()
                .queue_url(queue_url)
                .set_entries(Some(entries.collect::<Result<_, _>>()?))
                .send()
                .await
                .map_err(|e| backend_error(RELEASE, e))?;
            for f in output.failed {
                failed.push(f.message.unwrap_or(f.code));
            }
        }
        let Some(reason) = failed.first() else {
            return Ok(());
        };
        let n = failed.len();
        let why =
            format!("{n} message(s) stay hidden until their visibility timeout ends: {reason}");
        Err(BackendError::new(RELEASE, true, why))
    }
}
