//! The SQS batch runner: what a worker does with one `SqsEvent`, in Lambda
//! and in local mode alike. Each record is handled on its own, concurrently,
//! in a span keyed by its message id; its error, or its panic, is its own.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use futures_util::{FutureExt, StreamExt};
use tracing::field::{display, Empty};
use tracing::{Instrument, Span};

use super::error::{dead_letter_now, Backoff, RecordError};
use crate::panic_message;
use ports::event::{event_body, OrderCreated};
use ports::{error_chain, DeadLetter, DeadLetters, FailureKind, FailureNote};

/// What a worker does with one event, once per delivery: its effect must be idempotent.
pub trait EventHandler: Send + Sync {
    fn handle(
        &self,
        event: &OrderCreated,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<(), RecordError>> + Send;
}

/// A shared handler is a handler (a Lambda worker's is made on first use).
impl<T: EventHandler> EventHandler for &T {
    async fn handle(&self, event: &OrderCreated, delivery: &Delivery) -> Result<(), RecordError> {
        T::handle(self, event, delivery).await
    }
}

/// Facts about the delivery of the message an event came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub message_id: String,
    /// 1 on the first delivery (`ApproximateReceiveCount`).
    pub receive_count: u32,
    /// When this attempt's time is up: the runner abandons the handler then, so
    /// a claim held until this instant outlives any attempt that could act.
    pub deadline: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerSettings {
    /// The worker's name and the queue consumed, written on what it dead-letters.
    pub component: String,
    pub source_queue: String,
    /// The receive on which the worker gives up on a transient failure.
    pub max_receive_count: u32,
    /// Records handled at once.
    pub concurrency: usize,
    pub backoff: Backoff,
}

/// How each record of a batch ended, by message id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub succeeded: Vec<String>,
    /// In the DLQ with the reason: to be deleted from the source queue.
    pub dead_lettered: Vec<String>,
    /// Failed: SQS must deliver them again.
    pub retry: Vec<String>,
    /// Of those, the ones the caller hides for their backoff before it answers;
    /// the others come back after the visibility timeout.
    pub retry_after: Vec<RetryAfter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryAfter {
    pub message_id: String,
    pub receipt_handle: String,
    pub delay: std::time::Duration,
}

impl BatchReport {
    /// What Lambda is told (`ReportBatchItemFailures`): only the records to deliver again.
    pub fn response(&self) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        response.set_failures(self.retry.iter().cloned());
        response
    }
}

/// At most this much of a batch's time is kept from the handlers to fail
/// records and answer: one SQS attempt ([`adapters::config::CallBudget::DATA`]) and a little.
const FAIL_MARGIN: std::time::Duration = std::time::Duration::from_millis(2500);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    DeadLettered,
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

    /// Handles every record and says how each one ended, by `deadline`: a
    /// record still running a little before it fails as timed out.
    pub async fn run(&self, event: SqsEvent, deadline: DateTime<Utc>) -> BatchReport {
        let handler_deadline = deadline - (ports::time_left(deadline) / 10).min(FAIL_MARGIN);
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
        // The X-Ray trace of the order's request: each record may belong to another.
        let trace = record.attributes.get("AWSTraceHeader");
        // At ERROR level so that the span, and the ids it carries, exist
        // whenever any log line does, whatever the configured level.
        let span = tracing::error_span!(
            "record",
            messageId = %delivery.message_id,
            receiveCount = delivery.receive_count,
            traceId = trace.and_then(|header| trace_root(header)),
            eventId = Empty,
            orderId = Empty,
            correlationId = Empty,
            customerId = Empty,
        );
        async {
            // A panic unwinds to here and no further: the neighbours go on.
            let attempt = AssertUnwindSafe(self.attempt(&record, &delivery)).catch_unwind();
            let budget = ports::time_left(delivery.deadline);
            let error = match tokio::time::timeout(budget, attempt).await {
                Ok(Ok(Ok(()))) => return (delivery.message_id, Outcome::Succeeded),
                Ok(Ok(Err(error))) => error,
                Ok(Err(panic)) => RecordError::Panicked(panic_message(&*panic)),
                Err(_) => RecordError::TimedOut,
            };
            // Failing a record calls an adapter too; a worker must not die of it.
            let outcome = AssertUnwindSafe(self.fail_record(&record, &delivery, error))
                .catch_unwind()
                .await
                .unwrap_or_else(|panic| {
                    tracing::error!(
                        panic = %panic_message(&*panic),
                        "failing the record panicked; SQS will deliver it again"
                    );
                    Outcome::Retry(None)
                });
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
        use crate::metrics::{counter, name};
        let kind = error.kind();
        let reason = error_chain(&error);
        let receive_count = delivery.receive_count;
        if !dead_letter_now(kind, receive_count, self.settings.max_receive_count) {
            let delay = self.settings.backoff.delay(receive_count, fastrand::f64());
            counter!(name::RECORDS_RETRIED).increment(1);
            if error.is_throttled() {
                // Back-pressure: the dependency is fine, we are too fast.
                counter!(name::RECORDS_THROTTLED).increment(1);
                tracing::info!(error = %reason, retryIn = ?delay, "record held back; SQS will deliver it again after the delay");
            } else {
                tracing::warn!(error = %reason, %kind, retryIn = ?delay, "record failed; SQS will deliver it again after the delay");
            }
            return Outcome::Retry(record.receipt_handle.clone().map(|receipt_handle| {
                RetryAfter {
                    message_id: delivery.message_id.clone(),
                    receipt_handle,
                    delay,
                }
            }));
        }
        let letter = DeadLetter {
            body: record.body.clone().unwrap_or_default(),
            attributes: record.message_attributes.clone(),
            note: FailureNote {
                reason: reason.clone(),
                kind,
                failed_at: Utc::now(),
                source_queue: self.settings.source_queue.clone(),
                message_id: delivery.message_id.clone(),
                receive_count,
                component: self.settings.component.clone(),
            },
        };
        match self.dead_letters.send(&letter).await {
            Ok(()) => {
                counter!(match kind {
                    FailureKind::Permanent => name::DEAD_LETTERED_PERMANENT,
                    FailureKind::Transient => name::DEAD_LETTERED_TRANSIENT,
                })
                .increment(1);
                tracing::error!(error = %reason, %kind, "record moved to the dead-letter queue");
                Outcome::DeadLettered
            }
            // Deleting it now would lose it: SQS delivers it again, and its
            // own redrive policy still catches it in the end.
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

/// The trace id (`Root=1-…`) of an X-Ray trace header
/// (`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=…;Sampled=1`).
fn trace_root(header: &str) -> Option<&str> {
    header
        .split(';')
        .find_map(|part| part.trim().strip_prefix("Root="))
        .filter(|root| !root.is_empty())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use aws_lambda_events::sqs::SqsMessageAttribute;
    use chrono::Utc;

    use super::*;
    use crate::batch::Backoff;
    use ports::fakes::{order_created_by, RecordingDeadLetters};
    use ports::{BackendError, FailureKind};

    /// Handles an order by the customer's name: `Panic` panics, `Throttled`
    /// fails transiently, `Rejected` permanently, `Stuck` never finishes;
    /// anyone else succeeds.
    #[derive(Default)]
    struct ScriptedHandler {
        handled: Mutex<Vec<String>>,
    }

    impl EventHandler for ScriptedHandler {
        async fn handle(
            &self,
            event: &OrderCreated,
            delivery: &Delivery,
        ) -> Result<(), RecordError> {
            match event.order.customer_name.as_str() {
                "Panic" => panic!("the template is missing"),
                "Stuck" => std::future::pending().await,
                "Throttled" => Err(BackendError::new("SES.SendEmail", true, "Throttling").into()),
                "Rejected" => Err(BackendError::new(
                    "SES.SendEmail",
                    false,
                    "MessageRejected: Address blacklisted: jane.doe@example.com",
                )
                .into()),
                _ => {
                    self.handled
                        .lock()
                        .expect("not poisoned")
                        .push(delivery.message_id.clone());
                    Ok(())
                }
            }
        }
    }

    fn event_by(customer: &str) -> String {
        order_created_by(customer).to_json()
    }

    fn record(id: &str, body: &str, receive_count: u32) -> SqsMessage {
        let mut record = SqsMessage::default();
        record.message_id = Some(id.to_owned());
        record.receipt_handle = Some(format!("receipt-{id}"));
        record.body = Some(body.to_owned());
        record.attributes = HashMap::from([(
            "ApproximateReceiveCount".to_owned(),
            receive_count.to_string(),
        )]);
        let mut event_type = SqsMessageAttribute::default();
        event_type.data_type = Some("String".to_owned());
        event_type.string_value = Some("ORDER_CREATED".to_owned());
        record.message_attributes = HashMap::from([("eventType".to_owned(), event_type)]);
        record
    }

    /// A batch deadline far enough not to matter.
    fn in_a_minute() -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(60)
    }

    fn batch(records: Vec<SqsMessage>) -> SqsEvent {
        let mut event = SqsEvent::default();
        event.records = records;
        event
    }

    fn runner(
        dead_letters: RecordingDeadLetters,
    ) -> BatchRunner<ScriptedHandler, RecordingDeadLetters> {
        BatchRunner::new(
            ScriptedHandler::default(),
            dead_letters,
            RunnerSettings {
                component: "test-worker".to_owned(),
                source_queue: "local-OrderEmailQueue".to_owned(),
                max_receive_count: 3,
                concurrency: 10,
                backoff: Backoff {
                    first: std::time::Duration::from_secs(60),
                    max: std::time::Duration::from_secs(600),
                },
            },
        )
    }

    /// The ids Lambda is told to deliver again.
    fn retried(report: &BatchReport) -> Vec<String> {
        let mut ids: Vec<String> = report
            .response()
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        ids.sort();
        ids
    }

    fn sorted<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        let mut ids: Vec<&str> = ids.collect();
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn one_bad_record_and_one_panicking_record_fail_alone() {
        let runner = runner(RecordingDeadLetters::default());

        let report = runner
            .run(
                batch(vec![
                    record("good", &event_by("Ada Lovelace"), 1),
                    record("garbage", "not json", 1),
                    record("panics", &event_by("Panic"), 1),
                ]),
                in_a_minute(),
            )
            .await;

        let failed = report.dead_lettered.iter().chain(&report.retry);
        assert_eq!(sorted(failed.map(String::as_str)), ["garbage", "panics"]);
        assert_eq!(report.succeeded, ["good"]);
        // The panic is delivered again; the garbage never can succeed, so it is
        // in the DLQ with its reason and may be deleted from the queue.
        assert_eq!(retried(&report), ["panics"]);
        assert_eq!(report.dead_lettered, ["garbage"]);
        assert_eq!(
            *runner.handler.handled.lock().expect("not poisoned"),
            ["good"]
        );
        let letters = runner.dead_letters.letters();
        assert_eq!(letters.len(), 1);
        let letter = &letters[0];
        assert_eq!(letter.body, "not json");
        assert_eq!(letter.note.kind, FailureKind::Permanent);
        assert_eq!(letter.note.message_id, "garbage");
        assert_eq!(letter.note.source_queue, "local-OrderEmailQueue");
        assert_eq!(letter.note.component, "test-worker");
        assert!(
            letter
                .note
                .reason
                .starts_with("unreadable message: message body is not a JSON object"),
            "{}",
            letter.note.reason
        );
        assert!(letter.attributes.contains_key("eventType"));
    }

    #[tokio::test]
    async fn without_a_reachable_dlq_both_bad_records_are_reported() {
        let runner = runner(RecordingDeadLetters::broken());

        let report = runner
            .run(
                batch(vec![
                    record("good", &event_by("Ada Lovelace"), 1),
                    record("garbage", "not json", 1),
                    record("panics", &event_by("Panic"), 1),
                ]),
                in_a_minute(),
            )
            .await;

        // Nothing may be deleted before its reason is recorded: both come back.
        assert_eq!(retried(&report), ["garbage", "panics"]);
        assert_eq!(
            *runner.handler.handled.lock().expect("not poisoned"),
            ["good"]
        );
    }

    #[tokio::test]
    async fn a_transient_failure_is_retried_then_dead_lettered_on_the_last_attempt() {
        let runner = runner(RecordingDeadLetters::default());

        for attempt in 1..=2 {
            let report = runner
                .run(
                    batch(vec![record("slow", &event_by("Throttled"), attempt)]),
                    in_a_minute(),
                )
                .await;
            assert_eq!(retried(&report), ["slow"], "attempt {attempt}");
        }
        assert!(runner.dead_letters.letters().is_empty());

        let report = runner
            .run(
                batch(vec![record("slow", &event_by("Throttled"), 3)]),
                in_a_minute(),
            )
            .await;
        assert!(
            report.retry_after.is_empty(),
            "nothing to delay: it is in the DLQ"
        );

        assert!(retried(&report).is_empty());
        let letters = runner.dead_letters.letters();
        assert_eq!(letters.len(), 1);
        assert_eq!(letters[0].note.kind, FailureKind::Transient);
        assert_eq!(letters[0].note.receive_count, 3);
        assert_eq!(letters[0].note.reason, "SES.SendEmail failed: Throttling");
    }

    #[tokio::test]
    async fn a_record_to_retry_is_put_back_with_a_delay_that_grows_with_its_receives() {
        let runner = runner(RecordingDeadLetters::default());
        let mut delays = Vec::new();
        for attempt in 1..=2 {
            let report = runner
                .run(
                    batch(vec![
                        record("good", &event_by("Ada Lovelace"), attempt),
                        record("slow", &event_by("Throttled"), attempt),
                    ]),
                    in_a_minute(),
                )
                .await;
            assert_eq!(report.retry_after.len(), 1);
            let retry = &report.retry_after[0];
            assert_eq!(retry.message_id, "slow");
            assert_eq!(retry.receipt_handle, "receipt-slow");
            delays.push(retry.delay.as_secs_f64());
        }
        assert!((60.0..=75.0).contains(&delays[0]), "{delays:?}");
        assert!((120.0..=150.0).contains(&delays[1]), "{delays:?}");
    }

    #[tokio::test]
    async fn a_backend_refusal_is_retried_and_dead_lettered_with_its_reason_on_the_last_attempt() {
        let runner = runner(RecordingDeadLetters::default());

        let report = runner
            .run(
                batch(vec![record("refused", &event_by("Rejected"), 1)]),
                in_a_minute(),
            )
            .await;
        assert_eq!(
            retried(&report),
            ["refused"],
            "an operator may still fix the sender"
        );
        assert!(runner.dead_letters.letters().is_empty());

        let report = runner
            .run(
                batch(vec![record("refused", &event_by("Rejected"), 3)]),
                in_a_minute(),
            )
            .await;
        assert!(retried(&report).is_empty());
        let letters = runner.dead_letters.letters();
        assert_eq!(letters[0].note.kind, FailureKind::Transient);
        assert_eq!(
            letters[0].note.reason,
            "SES.SendEmail failed: MessageRejected: Address blacklisted: j***@example.com"
        );
    }

    #[tokio::test]
    async fn an_event_in_an_sns_envelope_is_handled_and_an_unknown_version_is_not() {
        let runner = runner(RecordingDeadLetters::default());
        let wrapped = serde_json::json!({
            "Type": "Notification",
            "Message": event_by("Ada Lovelace"),
        })
        .to_string();
        let future_version =
            event_by("Ada Lovelace").replace(r#""schemaVersion":1"#, r#""schemaVersion":2"#);

        let report = runner
            .run(
                batch(vec![
                    record("wrapped", &wrapped, 1),
                    record("v2", &future_version, 1),
                ]),
                in_a_minute(),
            )
            .await;

        assert!(retried(&report).is_empty());
        assert_eq!(
            *runner.handler.handled.lock().expect("not poisoned"),
            ["wrapped"]
        );
        let letters = runner.dead_letters.letters();
        assert_eq!(letters.len(), 1);
        assert!(letters[0]
            .note
            .reason
            .contains("unsupported schemaVersion Some(2)"));
    }

    #[tokio::test]
    async fn a_panic_while_dead_lettering_leaves_the_record_to_sqs() {
        let runner = runner(RecordingDeadLetters::buggy());

        let report = runner
            .run(
                batch(vec![
                    record("good", &event_by("Ada Lovelace"), 1),
                    record("garbage", "not json", 1),
                ]),
                in_a_minute(),
            )
            .await;

        assert_eq!(report.succeeded, ["good"]);
        assert_eq!(retried(&report), ["garbage"]);
    }

    #[tokio::test]
    async fn a_record_still_running_at_the_deadline_fails_as_timed_out_and_alone() {
        let runner = runner(RecordingDeadLetters::default());
        let deadline = Utc::now() + chrono::Duration::milliseconds(600);

        let report = runner
            .run(
                batch(vec![
                    record("good", &event_by("Ada Lovelace"), 1),
                    record("stuck", &event_by("Stuck"), 1),
                ]),
                deadline,
            )
            .await;

        assert!(
            Utc::now() < deadline,
            "the batch answers before its deadline"
        );
        assert_eq!(report.succeeded, ["good"]);
        assert_eq!(retried(&report), ["stuck"]);
    }

    #[tokio::test]
    async fn no_address_in_an_aws_error_reaches_the_dead_letters_reason() {
        let runner = runner(RecordingDeadLetters::default());

        runner
            .run(
                batch(vec![record("refused", &event_by("Rejected"), 3)]),
                in_a_minute(),
            )
            .await;

        let reason = &runner.dead_letters.letters()[0].note.reason;
        assert!(reason.contains("j***@example.com"), "{reason}");
        assert!(!reason.contains("jane.doe"), "{reason}");
    }

    #[test]
    fn the_trace_id_is_read_from_the_records_xray_header() {
        assert_eq!(
            trace_root(
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            ),
            Some("1-5759e988-bd862e3fe1be46a994272793")
        );
        assert_eq!(trace_root("Parent=53995c3f42cd8ad8"), None);
    }
}
