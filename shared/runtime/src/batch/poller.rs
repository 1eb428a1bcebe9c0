//! Local mode (on containers too): the event source mapping's work, done by the
//! worker. A running batch's visibility is extended every half timeout, so a short
//! timeout never hands a record in progress to a second worker.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;

use aws_lambda_events::encodings::Base64Data;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageAttributeValue, MessageSystemAttributeName,
};
use aws_sdk_sqs::Client;

use super::runner::{BatchReport, BatchRunner, EventHandler};
use adapters::sdk_error::backend_error;
use adapters::SqsQueue;
use ports::{error_chain, BackendError, DeadLetters};

/// SQS's longest long poll, and its largest batch.
const WAIT_SECONDS: i32 = 20;
const MAX_MESSAGES: i32 = 10;
/// Waits after a failed receive: doubling from the first to the last.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long the batch in hand may still run once shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Poller {
    client: Client,
    queue: SqsQueue,
    region: String,
    /// A batch's deadline from its receipt: the function's timeout, locally.
    handler_timeout: Duration,
}

impl Poller {
    pub fn new(client: Client, queue: SqsQueue, region: &str, handler_timeout: Duration) -> Self {
        Poller {
            client,
            queue,
            region: region.to_owned(),
            handler_timeout,
        }
    }

    /// Polls until `shutdown`, finishing a batch in hand within [`SHUTDOWN_GRACE`]. A
    /// receive still waiting is abandoned (its messages reappear after the timeout).
    pub async fn run<H, D>(&self, runner: &BatchRunner<H, D>, shutdown: impl Future<Output = ()>)
    where
        H: EventHandler,
        D: DeadLetters,
    {
        tokio::pin!(shutdown);
        let hide_for = i32::try_from(self.queue.visibility_timeout.as_secs())
            .unwrap_or(i32::MAX)
            .max(1);
        let mut backoff = FIRST_BACKOFF;
        let mut stopping = false;
        while !stopping {
            let received = tokio::select! {
                biased;
                () = &mut shutdown => break,
                received = self.receive() => received,
            };
            let messages = match received {
                Ok(messages) => {
                    backoff = FIRST_BACKOFF;
                    messages
                }
                Err(error) => {
                    tracing::error!(error = %error_chain(&error), retryIn = ?backoff, "could not receive from the queue");
                    tokio::select! {
                        biased;
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            if messages.is_empty() {
                continue;
            }
            let work = runner.run(self.event(&messages), Utc::now() + self.handler_timeout);
            tokio::pin!(work);
            let every = (self.queue.visibility_timeout / 2).max(Duration::from_millis(500));
            let mut heartbeat =
                tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            let grace = tokio::time::sleep(Duration::MAX);
            tokio::pin!(grace);
            let report = loop {
                tokio::select! {
                    biased;
                    report = &mut work => break Some(report),
                    _ = heartbeat.tick() => self.change_visibility(&messages, hide_for).await,
                    () = &mut shutdown, if !stopping => {
                        stopping = true;
                        grace.as_mut().reset(tokio::time::Instant::now() + SHUTDOWN_GRACE);
                        tracing::info!(grace = ?SHUTDOWN_GRACE, "shutdown requested; finishing the batch in hand");
                    }
                    () = &mut grace => break None,
                }
            };
            match report {
                Some(report) => {
                    tracing::info!(
                        succeeded = report.succeeded.len(),
                        deadLettered = report.dead_lettered.len(),
                        retry = report.retry.len(),
                        "batch done"
                    );
                    crate::metrics::flush();
                    super::delay_retries(&self.client, &self.queue.url, &report.retry_after).await;
                    self.delete_finished(&messages, &report).await;
                }
                None => {
                    tracing::warn!(
                        records = messages.len(),
                        "shutdown grace over; the batch in hand is abandoned and delivered again"
                    );
                    self.change_visibility(&messages, 0).await;
                }
            }
        }
        tracing::info!("poller stopped");
    }

    async fn change_visibility(&self, messages: &[Message], seconds: i32) {
        let entries = messages
            .iter()
            .filter_map(|m| m.receipt_handle.as_deref())
            .map(|receipt_handle| (receipt_handle, seconds));
        super::redelivery::change_visibility(&self.client, &self.queue.url, entries).await;
    }

    async fn receive(&self) -> Result<Vec<Message>, BackendError> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.queue.url)
            .max_number_of_messages(MAX_MESSAGES)
            .wait_time_seconds(WAIT_SECONDS)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            // The long poll holds the call up to 20 s: an attempt timeout above the client's.
            .customize()
            .config_override(
                aws_sdk_sqs::config::Builder::default()
                    .timeout_config(adapters::config::CallBudget::LONG_POLL.timeouts()),
            )
            .send()
            .await
            .map_err(|e| backend_error("SQS.ReceiveMessage", e))?;
        Ok(output.messages.unwrap_or_default())
    }

    /// The event Lambda would have been invoked with.
    pub fn event(&self, messages: &[Message]) -> SqsEvent {
        let mut event = SqsEvent::default();
        for message in messages {
            let mut record = SqsMessage::default();
            record.message_id = message.message_id.clone();
            record.receipt_handle = message.receipt_handle.clone();
            record.body = message.body.clone();
            record.md5_of_body = message.md5_of_body.clone();
            record.md5_of_message_attributes = message.md5_of_message_attributes.clone();
            record.attributes = message
                .attributes()
                .into_iter()
                .flatten()
                .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
                .collect();
            record.message_attributes = message
                .message_attributes()
                .into_iter()
                .flatten()
                .map(|(name, value)| (name.clone(), attribute(value)))
                .collect();
            record.event_source = Some("aws:sqs".to_owned());
            record.event_source_arn = Some(self.queue.arn.clone());
            record.aws_region = Some(self.region.clone());
            event.records.push(record);
        }
        event
    }

    /// Deletes every message but those to deliver again, as the event source
    /// mapping does. A failed delete is only logged: the handler is idempotent.
    async fn delete_finished(&self, messages: &[Message], report: &BatchReport) {
        let entries: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                let id = m.message_id().unwrap_or_default();
                !report.retry.iter().any(|retried| retried == id)
            })
            .filter_map(|(index, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .set_receipt_handle(m.receipt_handle.clone())
                    .build()
                    .ok()
            })
            .collect();
        if entries.is_empty() {
            return;
        }
        let result = self
            .client
            .delete_message_batch()
            .queue_url(&self.queue.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| backend_error("SQS.DeleteMessageBatch", e));
        super::redelivery::log_undone(
            result.as_ref().map(|output| output.failed()),
            "could not delete a handled message; it will be delivered again",
            "could not delete handled messages; they will be delivered again",
        );
    }
}

fn attribute(value: &MessageAttributeValue) -> SqsMessageAttribute {
    // `Base64Data` is non-exhaustive: filled through its `DerefMut` to `Vec<u8>`.
    let bytes = |blob: &aws_sdk_sqs::primitives::Blob| {
        let mut data = Base64Data::default();
        data.extend_from_slice(blob.as_ref());
        data
    };
    let mut attribute = SqsMessageAttribute::default();
    attribute.data_type = Some(value.data_type().to_owned());
    attribute.string_value = value.string_value().map(str::to_owned);
    attribute.binary_value = value.binary_value().map(bytes);
    attribute.string_list_values = value.string_list_values().to_vec();
    attribute.binary_list_values = value.binary_list_values().iter().map(bytes).collect();
    attribute
}

#[cfg(test)]
mod tests {
    //! The poller against a mocked SQS client: what it deletes, and the event it builds.

    use aws_sdk_sqs::operation::delete_message_batch::DeleteMessageBatchOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    fn queue() -> SqsQueue {
        SqsQueue {
            name: "local-OrderAuditQueue".to_owned(),
            url: "http://sqs/local-OrderAuditQueue".to_owned(),
            arn: "arn:aws:sqs:us-east-1:123456789012:local-OrderAuditQueue".to_owned(),
            dead_letter: adapters::QueueAddress {
                name: "local-OrderAuditDLQ".to_owned(),
                url: "http://sqs/local-OrderAuditDLQ".to_owned(),
                arn: "arn:aws:sqs:us-east-1:123456789012:local-OrderAuditDLQ".to_owned(),
            },
            max_receive_count: 3,
            visibility_timeout: Duration::from_secs(2),
        }
    }

    #[tokio::test]
    async fn deletes_the_handled_and_dead_lettered_messages_and_leaves_the_rest() {
        let rule = mock!(Client::delete_message_batch)
            .match_requests(|req| {
                let handles: Vec<&str> = req.entries().iter().map(|e| e.receipt_handle()).collect();
                req.queue_url() == Some("http://sqs/local-OrderAuditQueue")
                    && handles == ["r-1", "r-3"]
            })
            .then_output(|| {
                DeleteMessageBatchOutput::builder()
                    .set_successful(Some(Vec::new()))
                    .set_failed(Some(Vec::new()))
                    .build()
                    .expect("both lists set")
            });
        let client = mock_client!(aws_sdk_sqs, RuleMode::Sequential, [&rule]);
        let messages: Vec<Message> = (1..=3)
            .map(|i| {
                Message::builder()
                    .message_id(format!("m-{i}"))
                    .receipt_handle(format!("r-{i}"))
                    .body("{}")
                    .build()
            })
            .collect();
        let report = BatchReport {
            succeeded: vec!["m-1".to_owned()],
            dead_lettered: vec!["m-3".to_owned()],
            retry: vec!["m-2".to_owned()],
            retry_after: Vec::new(),
        };

        Poller::new(client, queue(), "us-east-1", Duration::from_secs(30))
            .delete_finished(&messages, &report)
            .await;

        assert_eq!(rule.num_calls(), 1);
    }

    #[test]
    fn builds_the_event_a_lambda_would_get() {
        let client = mock_client!(aws_sdk_sqs, []);
        let queue = queue();
        let message = Message::builder()
            .message_id("m-1")
            .receipt_handle("r-1")
            .body("{}")
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "2")
            .message_attributes(
                "eventType",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("ORDER_CREATED")
                    .build()
                    .expect("data type set"),
            )
            .build();

        let event = Poller::new(client, queue.clone(), "us-east-1", Duration::from_secs(30))
            .event(&[message]);

        let record = &event.records[0];
        assert_eq!(record.message_id.as_deref(), Some("m-1"));
        assert_eq!(record.receipt_handle.as_deref(), Some("r-1"));
        assert_eq!(record.body.as_deref(), Some("{}"));
        assert_eq!(record.attributes["ApproximateReceiveCount"], "2");
        assert_eq!(
            record.message_attributes["eventType"]
                .string_value
                .as_deref(),
            Some("ORDER_CREATED")
        );
        assert_eq!(record.event_source.as_deref(), Some("aws:sqs"));
        assert_eq!(record.event_source_arn.as_deref(), Some(queue.arn.as_str()));
        assert_eq!(record.aws_region.as_deref(), Some("us-east-1"));
    }
}
