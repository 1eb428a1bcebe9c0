//! `orderctl dlq redrive`: messages back to their source queue.
//!
//! The whole DLQ goes with SQS's own move task where the endpoint has one; a
//! selection (`--max`, `--message-id`), a dry run, and any endpoint without
//! move tasks go message by message with the safe move.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use aws_sdk_sqs::Client;
use chrono::Utc;
use clap::Args;
use indicatif::ProgressBar;
use serde::Serialize;

use super::letter::LetterView;
use super::native::{self, NativeError, TaskReport};
use super::queues::SqsQueues;
use super::safe_move::{safe_move, MoveFailure, MovePlan};
use crate::error::{CtlError, Endpoint};
use crate::output::{clip, or_dash, Report, Table};
use crate::target::DlqPair;

#[derive(Debug, Clone, Args)]
pub struct RedriveArgs {
    /// `email` or `audit` (or the name of either of its queues).
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
}

/// How a redrive went about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// SQS's move task.
    Native,
    /// Receive, send, then delete, message by message.
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
    pub failures: Vec<MoveFailure>,
    /// With `--dry-run`: the messages that would have moved.
    pub would_move: Vec<LetterView>,
    /// `--message-id`s no message in the DLQ answered to.
    pub not_found: Vec<String>,
    /// Why the move stopped early, if it did.
    pub aborted: Option<String>,
}

/// Redrives `pair.dlq` into `pair.source` as `args` ask.
pub async fn redrive(
    client: &Client,
    endpoint: &Endpoint,
    pair: &DlqPair,
    args: &RedriveArgs,
    poll_every: Duration,
    progress: &ProgressBar,
) -> Result<RedriveReport, CtlError> {
    let whole = args.max.is_none() && args.message_ids.is_empty() && !args.dry_run;
    let mut fallback_reason = None;
    if whole {
        match native::redrive(client, endpoint, pair, args.rate, poll_every, progress).await {
            Ok(task) => return Ok(native_report(pair, task)),
            Err(NativeError::Unsupported(reason)) => {
                tracing::debug!(%reason, "no native move task here; moving message by message");
                fallback_reason =
                    Some(format!("the endpoint has no message move tasks ({reason})"));
            }
            Err(NativeError::Failed(error)) => return Err(error),
        }
    }
    let plan = MovePlan {
        dlq_url: pair.dlq.url.clone(),
        destination_url: pair.source.url.clone(),
        max: args.max,
        message_ids: args.message_ids.clone(),
        dry_run: args.dry_run,
        rate: args.rate,
        cutoff: Utc::now(),
    };
    let queues = SqsQueues::new(client.clone(), endpoint.clone());
    let tally = safe_move(&queues, &plan, progress).await;
    Ok(RedriveReport {
        queue: pair.dlq.name.clone(),
        destination: pair.source.name.clone(),
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
    })
}

fn native_report(pair: &DlqPair, task: TaskReport) -> RedriveReport {
    let moved = task.moved.max(0) as u64;
    let failed = match task.status.as_str() {
        "COMPLETED" => 0,
        _ => task
            .to_move
            .map_or(0, |n| (n.max(0) as u64).saturating_sub(moved)),
    };
    RedriveReport {
        queue: pair.dlq.name.clone(),
        destination: pair.source.name.clone(),
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
