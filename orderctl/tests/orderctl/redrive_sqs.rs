//! The redrive against the real SQS client with mocked answers
//! (aws-smithy-mocks): the native move task where the endpoint has it, the
//! fallback where it does not, and the order of send and delete.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use adapters::QueueAddress;
use aws_sdk_sqs::operation::change_message_visibility_batch::ChangeMessageVisibilityBatchOutput;
use aws_sdk_sqs::operation::delete_message::DeleteMessageOutput;
use aws_sdk_sqs::operation::list_message_move_tasks::ListMessageMoveTasksOutput;
use aws_sdk_sqs::operation::receive_message::ReceiveMessageOutput;
use aws_sdk_sqs::operation::send_message::{SendMessageError, SendMessageOutput};
use aws_sdk_sqs::operation::start_message_move_task::StartMessageMoveTaskOutput;
use aws_sdk_sqs::types::error::InvalidMessageContents;
use aws_sdk_sqs::types::{ListMessageMoveTasksResultEntry, Message, MessageAttributeValue};
use aws_sdk_sqs::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use indicatif::ProgressBar;
use orderctl::confirm::Confirm;
use orderctl::dlq::redrive::{redrive, Method, RedriveArgs, RedriveReport};
use orderctl::error::Endpoint;
use orderctl::output::Report;
use orderctl::target::{Dlq, Workflow};

const DLQ_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:t-OrderEmailDLQ";
const SOURCE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:t-OrderEmailQueue";
const DLQ_URL: &str = "http://sqs/123456789012/t-OrderEmailDLQ";
const SOURCE_URL: &str = "http://sqs/123456789012/t-OrderEmailQueue";
/// What moto answers for an operation it does not implement.
const MOTO_500: &str = "<!doctype html>\n<title>500 Internal Server Error</title>";

fn pair() -> Dlq {
    Dlq {
        workflow: Workflow::Email,
        source: Some(QueueAddress {
            name: "t-OrderEmailQueue".to_owned(),
            url: SOURCE_URL.to_owned(),
            arn: SOURCE_ARN.to_owned(),
        }),
        queue: QueueAddress {
            name: "t-OrderEmailDLQ".to_owned(),
            url: DLQ_URL.to_owned(),
            arn: DLQ_ARN.to_owned(),
        },
    }
}

fn whole_dlq() -> RedriveArgs {
    RedriveArgs {
        queue: "email".to_owned(),
        max: None,
        rate: None,
        dry_run: false,
        message_ids: Vec::new(),
        confirm: Confirm { yes: false },
    }
}

fn client(mode: RuleMode, rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_sqs, mode, rules)
}

async fn run(client: &Client, args: &RedriveArgs) -> RedriveReport {
    let endpoint = Endpoint {
        label: "http://sqs".to_owned(),
        env: "t".to_owned(),
        local: true,
    };
    let pair = pair();
    redrive(
        client,
        &endpoint,
        &pair.queue,
        pair.source.as_ref().expect("a source queue"),
        args,
        Duration::from_millis(1),
        &ProgressBar::hidden(),
    )
    .await
    .expect("a report")
}

fn task(status: &str, moved: i64) -> ListMessageMoveTasksOutput {
    ListMessageMoveTasksOutput::builder()
        .results(
            ListMessageMoveTasksResultEntry::builder()
                .status(status)
                .source_arn(DLQ_ARN)
                .destination_arn(SOURCE_ARN)
                .approximate_number_of_messages_moved(moved)
                .approximate_number_of_messages_to_move(3)
                .set_failure_reason((status == "FAILED").then(|| "AccessDenied".to_owned()))
                .build(),
        )
        .build()
}

fn string(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .expect("an attribute")
}

/// A message as the email worker dead-letters it.
fn dead_letter(id: &str, body: &str) -> Message {
    Message::builder()
        .message_id(id)
        .receipt_handle(format!("receipt-{id}"))
        .body(body)
        .message_attributes("FailureReason", string("MessageRejected: not verified"))
        .message_attributes("FailureKind", string("permanent"))
        .message_attributes("eventType", string("ORDER_CREATED"))
        .build()
}

/// `messages` at the first receive, then nothing, however often the scan
/// asks again before it ends.
fn receive(messages: Vec<Message>) -> Rule {
    mock!(Client::receive_message)
        .sequence()
        .output(move || {
            ReceiveMessageOutput::builder()
                .set_messages(Some(messages.clone()))
                .build()
        })
        .output(|| ReceiveMessageOutput::builder().build())
        .repeatedly()
        .build()
}

#[tokio::test]
async fn the_whole_dlq_is_moved_by_a_move_task_followed_until_it_completes() {
    let no_task_yet = mock!(Client::list_message_move_tasks)
        .then_output(|| ListMessageMoveTasksOutput::builder().build());
    let start = mock!(Client::start_message_move_task)
        .match_requests(|req| {
            req.source_arn() == Some(DLQ_ARN)
                && req.destination_arn() == Some(SOURCE_ARN)
                && req.max_number_of_messages_per_second() == Some(50)
        })
        .then_output(|| {
            StartMessageMoveTaskOutput::builder()
                .task_handle("handle-1")
                .build()
        });
    let progress = mock!(Client::list_message_move_tasks)
        .sequence()
        .output(|| task("RUNNING", 1))
        .output(|| task("RUNNING", 2))
        .output(|| task("COMPLETED", 3))
        .build();
    let client = client(RuleMode::Sequential, &[&no_task_yet, &start, &progress]);

    let report = run(
        &client,
        &RedriveArgs {
            rate: Some(50),
            ..whole_dlq()
        },
    )
    .await;

    assert_eq!(report.method, Method::Native);
    assert_eq!(
        (
            report.tally.moved,
            report.tally.skipped,
            report.tally.failed
        ),
        (3, 0, 0)
    );
    let task = report.task.as_ref().expect("the task");
    assert_eq!(task.status, "COMPLETED");
    assert_eq!(task.task_handle.as_deref(), Some("handle-1"));
    assert!(!task.already_running);
    assert_eq!(start.num_calls(), 1);
    assert_eq!(progress.num_calls(), 3);
    assert_eq!(report.exit_code(), ExitCode::SUCCESS);
}

#[tokio::test]
async fn a_move_task_already_running_is_followed_instead_of_started_twice() {
    let running = mock!(Client::list_message_move_tasks)
        .sequence()
        .output(|| task("RUNNING", 1))
        .output(|| task("COMPLETED", 3))
        .build();
    let start = mock!(Client::start_message_move_task)
        .then_output(|| StartMessageMoveTaskOutput::builder().build());
    let client = client(RuleMode::MatchAny, &[&running, &start]);

    let report = run(&client, &whole_dlq()).await;

    assert_eq!(start.num_calls(), 0);
    assert!(report.task.as_ref().is_some_and(|t| t.already_running));
    assert_eq!(report.tally.moved, 3);
}

#[tokio::test]
async fn a_failed_move_task_reports_what_it_did_not_move() {
    let tasks = mock!(Client::list_message_move_tasks)
        .sequence()
        .output(|| ListMessageMoveTasksOutput::builder().build())
        .output(|| task("FAILED", 1))
        .build();
    let start = mock!(Client::start_message_move_task)
        .then_output(|| StartMessageMoveTaskOutput::builder().build());
    let client = client(RuleMode::MatchAny, &[&tasks, &start]);

    let report = run(&client, &whole_dlq()).await;

    assert_eq!((report.tally.moved, report.tally.failed), (1, 2));
    assert_eq!(
        report
            .task
            .as_ref()
            .and_then(|t| t.failure_reason.as_deref()),
        Some("AccessDenied")
    );
    assert_eq!(report.exit_code(), ExitCode::FAILURE);
}

/// The safe-move half of the mocks: one dead letter, moved.
fn safe_move_rules() -> (Rule, Rule, Rule, Rule) {
    let body = r#"{"eventType":"ORDER_CREATED","orderId":"4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10"}"#;
    let received = receive(vec![dead_letter("m-1", body)]);
    let send = mock!(Client::send_message)
        .match_requests(move |req| {
            let attributes = req.message_attributes().cloned().unwrap_or_default();
            req.queue_url() == Some(SOURCE_URL)
                && req.message_body() == Some(body)
                && attributes.keys().collect::<Vec<_>>() == ["eventType"]
        })
        .then_output(|| SendMessageOutput::builder().message_id("new-1").build());
    let delete = mock!(Client::delete_message)
        .match_requests(|req| {
            req.queue_url() == Some(DLQ_URL) && req.receipt_handle() == Some("receipt-m-1")
        })
        .then_output(|| DeleteMessageOutput::builder().build());
    let release = mock!(Client::change_message_visibility_batch).then_output(|| {
        ChangeMessageVisibilityBatchOutput::builder()
            .set_successful(Some(Vec::new()))
            .set_failed(Some(Vec::new()))
            .build()
            .expect("output")
    });
    (received, send, delete, release)
}

#[tokio::test]
async fn without_move_tasks_on_the_endpoint_the_whole_dlq_is_moved_message_by_message() {
    let unsupported = mock!(Client::list_message_move_tasks)
        .sequence()
        .http_status(500, Some(MOTO_500.to_owned()))
        .build();
    let start = mock!(Client::start_message_move_task)
        .then_output(|| StartMessageMoveTaskOutput::builder().build());
    let (received, send, delete, release) = safe_move_rules();
    let client = client(
        RuleMode::MatchAny,
        &[&unsupported, &start, &received, &send, &delete, &release],
    );

    let report = run(&client, &whole_dlq()).await;

    assert_eq!(report.method, Method::SafeMove);
    assert!(
        report
            .fallback_reason
            .as_deref()
            .is_some_and(|r| r.contains("HTTP 500")),
        "{report:?}"
    );
    assert_eq!(
        start.num_calls(),
        0,
        "no task is started once listing failed"
    );
    assert_eq!((report.tally.moved, report.tally.failed), (1, 0));
    assert_eq!((send.num_calls(), delete.num_calls()), (1, 1));
    assert_eq!(unsupported.num_calls(), 1, "a probe is not retried");
}

#[tokio::test]
async fn a_start_the_endpoint_does_not_know_falls_back_to_the_safe_move() {
    let no_task = mock!(Client::list_message_move_tasks)
        .then_output(|| ListMessageMoveTasksOutput::builder().build());
    let unknown = mock!(Client::start_message_move_task)
        .sequence()
        .http_status(
            400,
            Some(
                r#"{"__type":"com.amazonaws.sqs#UnsupportedOperation","message":"no"}"#.to_owned(),
            ),
        )
        .build();
    let (received, send, delete, release) = safe_move_rules();
    let client = client(
        RuleMode::MatchAny,
        &[&no_task, &unknown, &received, &send, &delete, &release],
    );

    let report = run(&client, &whole_dlq()).await;

    assert_eq!(report.method, Method::SafeMove);
    assert_eq!(report.tally.moved, 1);
}

#[tokio::test]
async fn a_selection_never_starts_a_move_task() {
    let tasks = mock!(Client::list_message_move_tasks)
        .then_output(|| ListMessageMoveTasksOutput::builder().build());
    let (received, send, delete, release) = safe_move_rules();
    let client = client(
        RuleMode::MatchAny,
        &[&tasks, &received, &send, &delete, &release],
    );

    let report = run(
        &client,
        &RedriveArgs {
            max: Some(1),
            ..whole_dlq()
        },
    )
    .await;

    assert_eq!(tasks.num_calls(), 0);
    assert_eq!((report.method, report.tally.moved), (Method::SafeMove, 1));
    assert_eq!(report.fallback_reason, None);
}

#[tokio::test]
async fn a_message_whose_send_failed_is_never_deleted() {
    let received = receive(vec![
        dead_letter("m-1", "refused body"),
        dead_letter("m-2", "accepted body"),
    ]);
    let refused = mock!(Client::send_message)
        .match_requests(|req| req.message_body() == Some("refused body"))
        .then_error(|| {
            SendMessageError::InvalidMessageContents(InvalidMessageContents::builder().build())
        });
    let accepted = mock!(Client::send_message)
        .match_requests(|req| req.message_body() == Some("accepted body"))
        .then_output(|| SendMessageOutput::builder().build());
    let deleted: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let seen = deleted.clone();
    let delete = mock!(Client::delete_message)
        .match_requests(move |req| {
            seen.lock()
                .expect("not poisoned")
                .push(req.receipt_handle().unwrap_or_default().to_owned());
            true
        })
        .then_output(|| DeleteMessageOutput::builder().build());
    let released: std::sync::Arc<std::sync::Mutex<HashMap<String, i32>>> = Default::default();
    let put_back = released.clone();
    let release = mock!(Client::change_message_visibility_batch)
        .match_requests(move |req| {
            for entry in req.entries() {
                put_back.lock().expect("not poisoned").insert(
                    entry.receipt_handle().to_owned(),
                    entry.visibility_timeout().unwrap_or(-1),
                );
            }
            true
        })
        .then_output(|| {
            ChangeMessageVisibilityBatchOutput::builder()
                .set_successful(Some(Vec::new()))
                .set_failed(Some(Vec::new()))
                .build()
                .expect("output")
        });
    let client = client(
        RuleMode::MatchAny,
        &[&received, &refused, &accepted, &delete, &release],
    );

    let report = run(
        &client,
        &RedriveArgs {
            max: Some(10),
            ..whole_dlq()
        },
    )
    .await;

    assert_eq!(*deleted.lock().expect("not poisoned"), ["receipt-m-2"]);
    assert_eq!(
        *released.lock().expect("not poisoned"),
        HashMap::from([("receipt-m-1".to_owned(), 0)]),
        "the refused message is visible in the DLQ again at once"
    );
    assert_eq!((report.tally.moved, report.tally.failed), (1, 1));
    assert_eq!(report.tally.failures[0].message_id, "m-1");
    assert!(report.tally.failures[0]
        .reason
        .starts_with("not sent, left in the DLQ"));
    assert_eq!(report.exit_code(), ExitCode::FAILURE);
}
