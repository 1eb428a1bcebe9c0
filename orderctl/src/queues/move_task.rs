//! The native redrive: SQS's own message move task (`StartMessageMoveTask`), followed with
//! `ListMessageMoveTasks` until it ends. Not every endpoint has it (moto answers HTTP 500), so
//! "unsupported" is told apart from other errors: the caller falls back to the safe move. The
//! task moves messages as they are, failure note included; a worker failing again overwrites it.

use std::time::Duration;

use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::config::retry::RetryConfig;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::Client;
use serde::Serialize;

use adapters::sdk_error::{backend_error, DetailedSdkError};
use ports::BackendError;

const LIST: &str = "SQS.ListMessageMoveTasks";
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// Answers without our task in a row before giving up on following it.
const MISSING_TASK_LIMIT: u32 = 5;

const UNSUPPORTED_CODES: [&str; 6] = [
    "UnsupportedOperation",
    "AWS.SimpleQueueService.UnsupportedOperation",
    "InvalidAction",
    "UnknownOperation",
    "UnknownOperationException",
    "NotImplemented",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskReport {
    pub task_handle: Option<String>,
    /// `COMPLETED`, `FAILED` or `CANCELLED`.
    pub status: String,
    pub moved: i64,
    pub to_move: Option<i64>,
    pub failure_reason: Option<String>,
    /// A task was already running on this DLQ: it was followed, not doubled.
    pub already_running: bool,
}

#[derive(Debug)]
pub enum NativeError {
    /// The endpoint has no move tasks; the reason is its answer.
    Unsupported(String),
    Failed(BackendError),
}

/// "Unsupported" where the endpoint lacks the operation, or on a server error: moto
/// answers 500 for what it lacks, and if AWS failed, the safe move is still correct.
fn classify<E>(action: &'static str, err: SdkError<E, HttpResponse>) -> NativeError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    let server_error = err
        .raw_response()
        .is_some_and(|r| r.status().is_server_error());
    let code = match &err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    };
    if server_error || code.is_some_and(|c| UNSUPPORTED_CODES.contains(&c)) {
        NativeError::Unsupported(format!("{action}: {}", DetailedSdkError(err)))
    } else {
        NativeError::Failed(backend_error(action, err))
    }
}

/// Moves every message of `dlq_arn` to `destination_arn` with a move task (or
/// follows the one already running), telling `progress` (moved, to move).
pub async fn move_messages(
    client: &Client,
    dlq_arn: &str,
    destination_arn: &str,
    rate: Option<u32>,
    poll_every: Duration,
    progress: &(dyn Fn(u64, Option<u64>) + Send + Sync),
) -> Result<TaskReport, NativeError> {
    let list = || {
        client
            .list_message_move_tasks()
            .source_arn(dlq_arn)
            .max_results(1)
    };
    // The first two calls only probe: a retried 500 would just delay the fallback.
    let probe = aws_sdk_sqs::config::Builder::default().retry_config(RetryConfig::disabled());
    let latest = list().customize().config_override(probe.clone()).send();
    let latest = latest.await.map_err(|e| classify(LIST, e))?.results;
    let running = latest
        .into_iter()
        .flatten()
        .find(|task| task.status() == Some("RUNNING"));
    let (task_handle, already_running) = match running {
        Some(task) => (task.task_handle, true),
        None => {
            // The destination is named: messages a worker dead-lettered
            // itself were sent to the DLQ, so SQS knows no source for them.
            let started = client
                .start_message_move_task()
                .source_arn(dlq_arn)
                .destination_arn(destination_arn)
                .set_max_number_of_messages_per_second(rate.map(|r| r as i32))
                .customize()
                .config_override(probe)
                .send()
                .await
                .map_err(|e| classify("SQS.StartMessageMoveTask", e))?;
            (started.task_handle, false)
        }
    };
    let mut missing = 0;
    loop {
        tokio::time::sleep(poll_every).await;
        let tasks = list().send().await;
        let tasks = tasks.map_err(|e| NativeError::Failed(backend_error(LIST, e)))?;
        // The newest task is ours: a finished task no longer shows its handle.
        let Some(task) = tasks.results.unwrap_or_default().into_iter().next() else {
            missing += 1;
            if missing >= MISSING_TASK_LIMIT {
                let gone = format!("the move task on {dlq_arn} is no longer listed");
                return Err(NativeError::Failed(BackendError::new(LIST, false, gone)));
            }
            continue;
        };
        let to_move = task.approximate_number_of_messages_to_move;
        let moved = task.approximate_number_of_messages_moved;
        progress(moved.max(0) as u64, to_move.map(|n| n.max(0) as u64));
        if let Some("RUNNING" | "CANCELLING") = task.status() {
            continue;
        }
        return Ok(TaskReport {
            task_handle: task_handle.or(task.task_handle.clone()),
            status: task.status().unwrap_or("UNKNOWN").to_owned(),
            moved,
            to_move,
            failure_reason: task.failure_reason,
            already_running,
        });
    }
}
