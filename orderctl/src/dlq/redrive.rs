//! `orderctl dlq redrive`: messages back to their source queue, the whole DLQ with SQS's move
//! task where the endpoint has one, else (and for `--max`, `--message-id`, `--dry-run`) message
//! by message with the safe move. The delivery DLQ has no source queue: it publishes to the topic.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use adapters::{QueueAddress, SnsEventPublisher};
use aws_sdk_sqs::Client;
use chrono::Utc;
use clap::Args;
use indicatif::ProgressBar;
use serde::Serialize;

use super::letter::write_failures;
use super::safe_move::{safe_move, MovePlan, MoveTally, ToQueue, ToTopic};
use crate::confirm::{confirm, Confirm};
use crate::error::{CtlError, Endpoint};
use crate::output::{clip, exit_code, or_dash, table, Report};
use crate::queues::move_task::{self, NativeError, TaskReport};
use crate::queues::SqsQueues;
use crate::target::Target;

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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// SQS's move task.
    Native,
    #[default]
    SafeMove,
}

/// A redrive's outcome: `moved`, `skipped` and `failed` are the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedriveReport {
    pub queue: String,
    pub destination: String,
    pub method: Method,
    pub dry_run: bool,
    /// Why the native move was not used for a whole-DLQ redrive.
    pub fallback_reason: Option<String>,
    pub task: Option<TaskReport>,
    #[serde(flatten)]
    pub tally: MoveTally,
}

pub async fn run(
    target: &Target,
    args: &RedriveArgs,
    json: bool,
) -> Result<RedriveReport, CtlError> {
    let dlq = target.dlq(&args.queue).await?;
    let queues = target.queues();
    let (expected, about) = match (args.message_ids.len(), args.max) {
        (0, max) => {
            let depth = queues.depth(&dlq.queue.url).await;
            let visible = depth.map_err(|e| target.failed(e))?.visible;
            (max.map_or(visible, |max| max.min(visible)), "~")
        }
        (named, _) => (named as u64, ""),
    };
    let destination = match &dlq.source {
        Some(source) => source.name.clone(),
        None => target.topic_arn().await?,
    };
    if !args.dry_run {
        let from = &dlq.queue.name;
        let change = format!("redrive {about}{expected} message(s) from {from} to {destination}");
        confirm(args.confirm, &target.config.environment, &change, false)?;
    }
    let progress = super::progress_bar(expected, json);
    let report = match &dlq.source {
        Some(source) => {
            let (client, endpoint) = (target.sqs(), &target.endpoint);
            let every = move_task::POLL_EVERY;
            redrive(
                &client, endpoint, &dlq.queue, source, args, every, &progress,
            )
            .await
        }
        None => {
            let sns = aws_sdk_sns::Client::new(&target.sdk);
            let events = SnsEventPublisher::new(sns, &destination);
            let to_topic = ToTopic { events: &events };
            let tally = safe_move(&queues, &to_topic, &plan(&dlq.queue, args), &progress).await;
            let queue = &dlq.queue.name;
            Ok(safe_report(queue, &destination, args.dry_run, tally))
        }
    };
    progress.finish_and_clear();
    report
}

pub async fn redrive(
    client: &Client,
    endpoint: &Endpoint,
    dlq: &QueueAddress,
    source: &QueueAddress,
    args: &RedriveArgs,
    poll_every: Duration,
    progress: &ProgressBar,
) -> Result<RedriveReport, CtlError> {
    let whole = args.max.is_none() && args.message_ids.is_empty() && !args.dry_run;
    let mut fallback_reason = None;
    if whole {
        let show = |moved: u64, total: Option<u64>| {
            if let Some(total) = total {
                progress.set_length(total);
            }
            progress.set_position(moved);
        };
        let (from, to) = (&dlq.arn, &source.arn);
        let task = move_task::move_messages(client, from, to, args.rate, poll_every, &show);
        match task.await {
            Ok(task) => return Ok(native_report(&dlq.name, &source.name, task)),
            Err(NativeError::Unsupported(reason)) => {
                tracing::debug!(%reason, "no native move task here; moving message by message");
                fallback_reason =
                    Some(format!("the endpoint has no message move tasks ({reason})"));
            }
            Err(NativeError::Failed(error)) => return Err(endpoint.error(None, error)),
        }
    }
    let queues = SqsQueues(client.clone());
    let to_queue = ToQueue {
        queues: &queues,
        url: source.url.clone(),
    };
    let tally = safe_move(&queues, &to_queue, &plan(dlq, args), progress).await;
    Ok(RedriveReport {
        fallback_reason,
        ..safe_report(&dlq.name, &source.name, args.dry_run, tally)
    })
}

fn plan(dlq: &QueueAddress, args: &RedriveArgs) -> MovePlan {
    MovePlan {
        dlq_url: dlq.url.clone(),
        max: args.max,
        message_ids: args.message_ids.clone(),
        dry_run: args.dry_run,
        rate: args.rate,
        cutoff: Utc::now(),
    }
}

fn safe_report(queue: &str, destination: &str, dry_run: bool, tally: MoveTally) -> RedriveReport {
    RedriveReport {
        queue: queue.to_owned(),
        destination: destination.to_owned(),
        dry_run,
        tally,
        ..RedriveReport::default()
    }
}

fn native_report(queue: &str, destination: &str, task: TaskReport) -> RedriveReport {
    let moved = task.moved.max(0) as u64;
    let to_move = task.to_move.map_or(0, |n| n.max(0) as u64);
    let failed = match task.status.as_str() {
        "COMPLETED" => 0,
        _ => to_move.saturating_sub(moved),
    };
    let tally = MoveTally {
        moved,
        failed,
        ..MoveTally::default()
    };
    RedriveReport {
        method: Method::Native,
        task: Some(task),
        ..safe_report(queue, destination, false, tally)
    }
}

impl Report for RedriveReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let how = match self.method {
            Method::Native => "SQS move task",
            Method::SafeMove => "message by message: send, then delete",
        };
        writeln!(out, "{} → {} ({how})", self.queue, self.destination)?;
        if let Some(reason) = &self.fallback_reason {
            writeln!(out, "note: {reason}")?;
        }
        if let Some(task) = &self.task {
            let followed = match task.already_running {
                true => " (was already running; followed it)",
                false => "",
            };
            let why = task.failure_reason.as_deref().map(|r| format!(": {r}"));
            let (handle, status) = (or_dash(task.task_handle.as_deref()), &task.status);
            let why = why.unwrap_or_default();
            writeln!(out, "move task {handle}: {status}{followed}{why}")?;
        }
        if self.dry_run {
            let n = self.tally.would_move.len();
            writeln!(out, "dry run: {n} message(s) would move; nothing was moved")?;
            if n > 0 {
                let rows = self.tally.would_move.iter().map(|letter| {
                    let order = or_dash(letter.order_id);
                    vec![letter.message_id.clone(), order, clip(&letter.reason(), 70)]
                });
                table(out, &["MESSAGE ID", "ORDER ID", "REASON"], rows)?;
            }
        }
        let tally = &self.tally;
        write_failures(out, &tally.failures)?;
        if !tally.not_found.is_empty() {
            writeln!(out, "not in the DLQ: {}", tally.not_found.join(", "))?;
        }
        if let Some(reason) = &tally.aborted {
            writeln!(out, "stopped early: {reason}")?;
        }
        let (moved, skipped, failed) = (tally.moved, tally.skipped, tally.failed);
        writeln!(out, "moved {moved}, skipped {skipped}, failed {failed}")
    }

    fn exit_code(&self) -> ExitCode {
        let tally = &self.tally;
        let clean = tally.failed == 0 && tally.not_found.is_empty() && tally.aborted.is_none();
        exit_code(clean && self.task.as_ref().is_none_or(|t| t.status == "COMPLETED"))
    }
}
