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
    async fn handle(&self, event: &OrderCreated, delivery: &Delivery) -> Result<(), RecordError> {
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

    assert_eq!(sorted(report.failed()), ["garbage", "panics"]);
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
        trace_root("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
        Some("1-5759e988-bd862e3fe1be46a994272793")
    );
    assert_eq!(trace_root("Parent=53995c3f42cd8ad8"), None);
}
