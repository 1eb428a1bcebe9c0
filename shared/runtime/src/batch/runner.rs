//! The SQS batch runner: what a worker does with one `SqsEvent`, in Lambda
//! and in local mode alike.
//!
//! Each record is read and handled on its own, concurrently with its
//! neighbours, in a span keyed by its message id. Its error — or its panic —
//! is its own: the response lists only the records SQS must deliver again.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use futures_util::{FutureExt, StreamExt};
use tracing::field::{display, Empty};
use tracing::{Instrument, Span};

use super::error::{disposition, Backoff, Disposition, RecordError};
use crate::panic_message;
use ports::error_chain;
use ports::event::event_body;
use ports::event::OrderCreated;
use ports::{DeadLetter, DeadLetters, FailureKind, FailureNote};

/// What a worker does with one event. Called once per delivery: it must make
/// its effect idempotent (SQS delivers at least once).
pub trait EventHandler: Send + Sync {
    fn handle(
        &self,
        event: &OrderCreated,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<(), RecordError>> + Send;
}

/// Facts about the delivery of the message an event came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub message_id: String,
    /// 1 on the first delivery (`ApproximateReceiveCount`).
    pub receive_count: u32,
    /// When this attempt's time is up. The runner abandons the handler then
    /// (and SQS delivers the record again), so a claim held until this
    /// instant is never held by an attempt that could still act.
    pub deadline: DateTime<Utc>,
}

impl Delivery {
    /// The first delivery of message `message_id`, with `time` to handle it.
    pub fn first(message_id: &str, time: std::time::Duration) -> Delivery {
        Delivery {
            message_id: message_id.to_owned(),
            receive_count: 1,
            deadline: Utc::now() + chrono::Duration::from_std(time).unwrap_or_default(),
        }
    }
}

/// How a runner treats its queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerSettings {
    /// The worker's name, written on what it dead-letters.
    pub component: String,
    /// The queue consumed, written on what it dead-letters.
    pub source_queue: String,
    /// The receive on which the worker gives up on a transient failure.
    pub max_receive_count: u32,
    /// Records handled at once; the rest of the batch waits its turn.
    pub concurrency: usize,
    /// How long a record that failed transiently waits before its next delivery.
    pub backoff: Backoff,
}

/// How each record of a batch ended, by message id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// The effect is done (or was found done).
    pub succeeded: Vec<String>,
    /// Failed for good, or on their last attempt: now in the DLQ with the
    /// reason, and to be deleted from the source queue.
    pub dead_lettered: Vec<String>,
    /// Failed: SQS must deliver them again.
    pub retry: Vec<String>,
    /// Of those, the ones to keep hidden a while first (the backoff): the
    /// caller changes their visibility (`ChangeMessageVisibility`) before it
    /// answers. A record not listed comes back after the visibility timeout.
    pub retry_after: Vec<RetryAfter>,
}

/// A record to deliver again only after `delay`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryAfter {
    pub message_id: String,
    pub receipt_handle: String,
    pub delay: std::time::Duration,
}

impl BatchReport {
    /// Every record that failed, whatever became of it.
    pub fn failed(&self) -> impl Iterator<Item = &str> {
        self.dead_lettered
            .iter()
            .chain(&self.retry)
            .map(String::as_str)
    }

    /// What Lambda is told (`ReportBatchItemFailures`): only the records to
    /// deliver again. A dead-lettered one is safe in the DLQ and may go.
    pub fn response(&self) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        response.set_failures(self.retry.iter().cloned());
        response
    }
}

/// At most this much of a batch's time is kept back from the handlers, to
/// fail the failed records (a send to the DLQ, a visibility change) and
/// answer: one SQS call's attempt ([`adapters::config::CallBudget::DATA`]) and a little.
const FAIL_MARGIN: std::time::Duration = std::time::Duration::from_millis(2500);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    DeadLettered,
    /// Delivered again, after the delay if there is one.
    Retry(Option<RetryAfter>),
}

#[derive(Debug)]
pub struct BatchRunner<H, D> {
    handler: H,
    dead_letters: D,
    settings: RunnerSettings,
}

impl<H: EventHandler, D: DeadLetters> BatchRunner<H, D> {
    pub fn new(handler: H, dead_letters: D, settings: RunnerSettings) -> Self {
        BatchRunner {
            handler,
            dead_letters,
            settings,
        }
    }

    pub fn settings(&self) -> &RunnerSettings {
        &self.settings
    }

    /// Handles every record and says how each one ended, by `deadline` (the
    /// invocation's, or the local poller's): a record still running a little
    /// before it fails as timed out, leaving time to settle and answer.
    pub async fn run(&self, event: SqsEvent, deadline: DateTime<Utc>) -> BatchReport {
        let margin = (deadline - Utc::now()).to_std().unwrap_or_default() / 10;
        let handler_deadline =
            deadline - chrono::Duration::from_std(margin.min(FAIL_MARGIN)).unwrap_or_default();
        let outcomes: Vec<(String, Outcome)> = futures_util::stream::iter(event.records)
            .map(|record| self.process(record, handler_deadline))
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut report = BatchReport::default();
        for (message_id, outcome) in outcomes {
            match outcome {
                Outcome::Succeeded => report.succeeded.push(message_id),
                Outcome::DeadLettered => report.dead_lettered.push(message_id),
                Outcome::Retry(after) => {
                    report.retry.push(message_id);
                    report.retry_after.extend(after);
                }
            }
        }
        report
    }

    /// One record, start to end.
    async fn process(&self, record: SqsMessage, deadline: DateTime<Utc>) -> (String, Outcome) {
        let delivery = Delivery {
            message_id: record.message_id.clone().unwrap_or_default(),
            receive_count: record
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|count| count.parse().ok())
                .unwrap_or(1),
            deadline,
        };
        // At ERROR level so that the span, and the ids it carries, exist
        // whenever any log line does, whatever the configured level.
        let span = tracing::error_span!(
            "record",
            messageId = %delivery.message_id,
            receiveCount = delivery.receive_count,
            traceId = Empty,
            eventId = Empty,
            orderId = Empty,
            correlationId = Empty,
            customerId = Empty,
        );
        // The X-Ray trace the order's request started (API Gateway → order-api
        // → SNS → SQS): each record of a batch may belong to another one.
        if let Some(root) = record
            .attributes
            .get("AWSTraceHeader")
            .and_then(|header| trace_root(header))
        {
            span.record("traceId", root);
        }
        async {
            // A panic unwinds to here and no further: the neighbours go on.
            let attempt = AssertUnwindSafe(self.attempt(&record, &delivery)).catch_unwind();
            let budget = (delivery.deadline - Utc::now())
                .to_std()
                .unwrap_or_default();
            let outcome = match tokio::time::timeout(budget, attempt).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(panic)) => Err(RecordError::Panicked(panic_message(&*panic))),
                Err(_) => Err(RecordError::TimedOut),
            };
            let outcome = match outcome {
                Ok(()) => Outcome::Succeeded,
                // Failing a record calls an adapter too; a worker must not die of it.
                Err(error) => AssertUnwindSafe(self.fail_record(&record, &delivery, error))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|panic| {
                        tracing::error!(
                            panic = %panic_message(&*panic),
                            "failing the record panicked; SQS will deliver it again"
                        );
                        Outcome::Retry(None)
                    }),
            };
            (delivery.message_id, outcome)
        }
        .instrument(span)
        .await
    }

    async fn attempt(&self, record: &SqsMessage, delivery: &Delivery) -> Result<(), RecordError> {
        let event = OrderCreated::parse(&event_body(record.body.as_deref().unwrap_or_default()))?;
        let span = Span::current();
        span.record("eventId", display(event.event_id));
        span.record("orderId", display(event.order.order_id));
        span.record("correlationId", event.correlation_id.as_str());
        if let Some(customer) = &event.order.customer_id {
            span.record("customerId", customer.as_str());
        }
        self.handler.handle(&event, delivery).await
    }

    /// Logs the failure once and decides its fate: delivered again after a
    /// backoff, or dead-lettered with its reason.
    async fn fail_record(
        &self,
        record: &SqsMessage,
        delivery: &Delivery,
        error: RecordError,
    ) -> Outcome {
        let kind = error.kind();
        let reason = error_chain(&error);
        match disposition(
            kind,
            delivery.receive_count,
            self.settings.max_receive_count,
        ) {
            Disposition::Retry => {
                let delay = self
                    .settings
                    .backoff
                    .delay(delivery.receive_count, fastrand::f64());
                crate::metrics::counter!(crate::metrics::name::RECORDS_RETRIED).increment(1);
                if error.is_throttled() {
                    // Back-pressure: the dependency is fine, we are too fast.
                    crate::metrics::counter!(crate::metrics::name::RECORDS_THROTTLED).increment(1);
                    tracing::info!(error = %reason, retryIn = ?delay, "record held back; SQS will deliver it again after the delay");
                } else {
                    tracing::warn!(error = %reason, %kind, retryIn = ?delay, "record failed; SQS will deliver it again after the delay");
                }
                Outcome::Retry(
                    record
                        .receipt_handle
                        .clone()
                        .map(|receipt_handle| RetryAfter {
                            message_id: delivery.message_id.clone(),
                            receipt_handle,
                            delay,
                        }),
                )
            }
            Disposition::DeadLetter => {
                let letter = DeadLetter {
                    body: record.body.clone().unwrap_or_default(),
                    attributes: record.message_attributes.clone(),
                    note: FailureNote {
                        reason: reason.clone(),
                        kind,
                        failed_at: Utc::now(),
                        source_queue: self.settings.source_queue.clone(),
                        message_id: delivery.message_id.clone(),
                        receive_count: delivery.receive_count,
                        component: self.settings.component.clone(),
                    },
                };
                match self.dead_letters.send(&letter).await {
                    Ok(()) => {
                        let metric = match kind {
                            FailureKind::Permanent => crate::metrics::name::DEAD_LETTERED_PERMANENT,
                            FailureKind::Transient => crate::metrics::name::DEAD_LETTERED_TRANSIENT,
                        };
                        crate::metrics::counter!(metric).increment(1);
                        tracing::error!(error = %reason, %kind, "record moved to the dead-letter queue");
                        Outcome::DeadLettered
                    }
                    // Deleting it now would lose it: SQS delivers it again,
                    // and its own redrive policy still catches it in the end.
                    Err(dlq_error) => {
                        tracing::error!(
                            error = %reason,
                            %kind,
                            dlqError = %error_chain(&dlq_error),
                            "record failed and could not be dead-lettered; SQS will deliver it again"
                        );
                        Outcome::Retry(None)
                    }
                }
            }
        }
    }
}

/// The trace id (`Root=1-…`) of an X-Ray trace header
/// (`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=…;Sampled=1`).
fn trace_root(header: &str) -> Option<&str> {
    header
        .split(';')
        .find_map(|part| part.trim().strip_prefix("Root="))
        .filter(|root| !root.is_empty())
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod tests;
