//! `orderctl dlq redrive`: messages back to their source queue.
//!
//! The whole DLQ goes with SQS's own move task where the endpoint has one; a
//! selection (`--max`, `--message-id`), a dry run, and any endpoint without
//! move tasks go message by message with the safe move. The delivery DLQ has
//! no source queue: its messages are published to the topic again.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use crate::queues::move_task::{self as sqs_move_task, NativeError, TaskReport};
use crate::queues::SqsQueues;
use aws_sdk_sqs::Client;
use chrono::Utc;
use clap::Args;
use indicatif::ProgressBar;
use ports::EventPublisher;
use serde::Serialize;

use super::letter::{LetterFailure, LetterView};
use super::safe_move::{safe_move, Destination, MovePlan, MoveTally, ToQueue, ToTopic};
use crate::confirm::Confirm;
use crate::error::{CtlError, Endpoint};
use crate::output::{clip, or_dash, Report, Table};
use crate::target::Dlq;

#[derive(Debug, Clone, Args)]
pub struct RedriveArgs {
    /// `email`, `audit` or `delivery` (or the name of one of their queues).
    pub queue: String,
    /// Move at most this many messages.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max: Option<u64>,
    /// Move at most this many messages per second (1–500).
    #[arg(long, value_name = "PER_S", value_parser = clap::value_parser!(u32).range(1..=500))]
    pub rate: Option<u32>,
    /// List what would move, and move nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Move only this message: its id in the DLQ (as `dlq peek` shows) or in
    /// the source queue (as the worker logged). Repeatable.
    #[arg(long = "message-id", value_name = "ID")]
    pub message_ids: Vec<String>,
    #[command(flatten)]
    pub confirm: Confirm,
}

/// How a redrive went about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// SQS's move task.
    Native,
    /// Receive, send (or publish), then delete, message by message.
    SafeMove,
}

/// A redrive's outcome: `moved`, `skipped` and `failed` are the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedriveReport {
    pub queue: String,
    pub destination: String,
    pub method: Method,
    pub dry_run: bool,
    /// Why the native move was not used for a whole-DLQ redrive.
    pub fallback_reason: Option<String>,
    pub moved: u64,
    pub skipped: u64,
    pub failed: u64,
    /// The native move task, when there was one.
    pub task: Option<TaskReport>,
    pub failures: Vec<LetterFailure>,
    /// With `--dry-run`: the messages that would have moved.
    pub would_move: Vec<LetterView>,
    /// `--message-id`s no message in the DLQ answered to.
    pub not_found: Vec<String>,
    /// Why the move stopped early, if it did.
    pub aborted: Option<String>,
}

/// Redrives `dlq` into its source queue as `args` ask.
pub async fn redrive(
    client: &Client,
    endpoint: &Endpoint,
    dlq: &Dlq,
    args: &RedriveArgs,
    poll_every: Duration,
    progress: &ProgressBar,
) -> Result<RedriveReport, CtlError> {
    let Some(source) = &dlq.source else {
        return Err(CtlError::UnknownQueue {
            given: dlq.queue.name.clone(),
            known: vec!["a DLQ with a source queue".to_owned()],
        });
    };
    let whole = args.max.is_none() && args.message_ids.is_empty() && !args.dry_run;
    let mut fallback_reason = None;
    if whole {
        let show = |moved: u64, total: Option<u64>| {
            if let Some(total) = total {
                progress.set_length(total);
            }
            progress.set_position(moved);
        };
        let task = sqs_move_task::move_messages(
            client,
            &dlq.queue.arn,
            &source.arn,
            args.rate,
            poll_every,
            &show,
        );
        match task.await {
            Ok(task) => return Ok(native_report(dlq, &source.name, task)),
            Err(NativeError::Unsupported(reason)) => {
                tracing::debug!(%reason, "no native move task here; moving message by message");
                fallback_reason =
                    Some(format!("the endpoint has no message move tasks ({reason})"));
            }
            Err(NativeError::Failed(error)) => return Err(endpoint.error(None, error)),
        }
    }
    let queues = SqsQueues::new(client.clone());
    let destination = ToQueue {
        queues: &queues,
        url: source.url.clone(),
    };
    let tally = move_safely(&queues, &destination, dlq, args, progress).await;
    Ok(safe_report(dlq, &source.name, args, fallback_reason, tally))
}

/// Redrives the delivery DLQ: each message's event published to the topic
/// `topic` through `events` again, then deleted.
pub async fn redrive_to_topic<P: EventPublisher>(
    queues: &SqsQueues,
    events: &P,
    topic: &str,
    dlq: &Dlq,
    args: &RedriveArgs,
    progress: &ProgressBar,
) -> RedriveReport {
    let tally = move_safely(queues, &ToTopic { events }, dlq, args, progress).await;
    safe_report(dlq, topic, args, None, tally)
}

async fn move_safely<D: Destination>(
    queues: &SqsQueues,
    destination: &D,
    dlq: &Dlq,
    args: &RedriveArgs,
    progress: &ProgressBar,
) -> MoveTally {
    let plan = MovePlan {
        dlq_url: dlq.queue.url.clone(),
        max: args.max,
        message_ids: args.message_ids.clone(),
        dry_run: args.dry_run,
        rate: args.rate,
        cutoff: Utc::now(),
    };
    safe_move(queues, destination, &plan, progress).await
}

fn safe_report(
    dlq: &Dlq,
    destination: &str,
    args: &RedriveArgs,
    fallback_reason: Option<String>,
    tally: MoveTally,
) -> RedriveReport {
    RedriveReport {
        queue: dlq.queue.name.clone(),
        destination: destination.to_owned(),
        method: Method::SafeMove,
        dry_run: args.dry_run,
        fallback_reason,
        moved: tally.moved,
        skipped: tally.skipped,
        failed: tally.failures.len() as u64,
        task: None,
        failures: tally.failures,
        would_move: tally.would_move,
        not_found: tally.not_found,
        aborted: tally.aborted,
    }
}

fn native_report(dlq: &Dlq, destination: &str, task: TaskReport) -> RedriveReport {
    let moved = task.moved.max(0) as u64;
    let failed = match task.status.as_str() {
        "COMPLETED" => 0,
        _ => task
            .to_move
            .map_or(0, |n| (n.max(0) as u64).saturating_sub(moved)),
    };
    RedriveReport {
        queue: dlq.queue.name.clone(),
        destination: destination.to_owned(),
        method: Method::Native,
        dry_run: false,
        fallback_reason: None,
        moved,
        skipped: 0,
        failed,
        task: Some(task),
        failures: Vec::new(),
        would_move: Vec::new(),
        not_found: Vec::new(),
        aborted: None,
    }
}

impl Report for RedriveReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let how = match self.method {
            Method::Native => "SQS move task".to_owned(),
            Method::SafeMove => "message by message: send, then delete".to_owned(),
        };
        writeln!(out, "{} → {} ({how})", self.queue, self.destination)?;
        if let Some(reason) = &self.fallback_reason {
            writeln!(out, "note: {reason}")?;
        }
        if let Some(task) = &self.task {
            writeln!(
                out,
                "move task {}: {}{}{}",
                or_dash(task.task_handle.as_deref()),
                task.status,
                if task.already_running {
                    " (was already running; followed it)"
                } else {
                    ""
                },
                task.failure_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )?;
        }
        if self.dry_run {
            writeln!(
                out,
                "dry run: {} message(s) would move; nothing was moved",
                self.would_move.len()
            )?;
            let mut table = Table::new(&["MESSAGE ID", "ORDER ID", "REASON"]);
            for letter in &self.would_move {
                table.row(vec![
                    letter.message_id.clone(),
                    or_dash(letter.order_id),
                    clip(&letter.reason(), 70),
                ]);
            }
            if !table.is_empty() {
                table.write(out)?;
            }
        }
        if !self.failures.is_empty() {
            let mut table = Table::new(&["FAILED MESSAGE", "ORDER ID", "WHY"]);
            for failure in &self.failures {
                table.row(vec![
                    failure.message_id.clone(),
                    or_dash(failure.order_id),
                    failure.reason.clone(),
                ]);
            }
            table.write(out)?;
        }
        if !self.not_found.is_empty() {
            writeln!(out, "not in the DLQ: {}", self.not_found.join(", "))?;
        }
        if let Some(reason) = &self.aborted {
            writeln!(out, "stopped early: {reason}")?;
        }
        writeln!(
            out,
            "moved {}, skipped {}, failed {}",
            self.moved, self.skipped, self.failed
        )
    }

    fn exit_code(&self) -> ExitCode {
        let clean = self.failed == 0
            && self.not_found.is_empty()
            && self.aborted.is_none()
            && self.task.as_ref().is_none_or(|t| t.status == "COMPLETED");
        if clean {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}
