//! `orderctl dlq`: inspect, redrive and purge the dead-letter queues.
//!
//! - [`list`], [`peek`], [`redrive`], [`purge`]: one module per command.
//! - [`letter`]: a DLQ message (`ports::Letter`) as the operator reads it.
//! - [`scan`]: going through a queue batch by batch, holding what stays in
//!   it until the end; reading it without consuming it.
//! - [`safe_move`]: receive → send (or publish) → delete, never losing a message.
//!
//! The queue operations are orderctl's own (`crate::queues`): the `Queues` port on `SqsQueues`,
//! and SQS's own move task (`crate::queues::move_task`).

pub mod letter;
pub mod list;
pub mod peek;
pub mod purge;
pub mod redrive;
pub mod safe_move;
pub mod scan;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use adapters::SnsEventPublisher;
pub use letter::{DeadLetterHit, LetterView};

use crate::queues::move_task as sqs_move_task;

use crate::confirm::confirm;
use crate::error::CtlError;
use crate::output::emit;
use crate::target::{Globals, Target};

#[derive(Debug, Args)]
pub struct DlqArgs {
    #[command(subcommand)]
    pub command: DlqCommand,
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Each DLQ: its source queue, depth, and the age of its oldest message.
    List,
    /// A DLQ's messages with order id, receive count and failure reason,
    /// left in the queue and visible again at once.
    Peek(peek::PeekArgs),
    /// Move messages back to their source queue (the delivery DLQ's: to the
    /// topic), never losing one. Asks first outside `local`.
    Redrive(redrive::RedriveArgs),
    /// Delete the messages a DLQ holds when the purge is confirmed (asks
    /// first); any that arrive later stay.
    Purge(purge::PurgeArgs),
}

pub async fn run(args: DlqArgs, globals: &Globals) -> Result<ExitCode, CtlError> {
    let json = globals.json();
    let target = Target::connect(globals).await?;
    match args.command {
        DlqCommand::List => emit(&list::run(&target).await?, json),
        DlqCommand::Peek(peek) => emit(&peek::run(&target, &peek).await?, json),
        DlqCommand::Purge(purge) => emit(&purge::run(&target, &purge, json).await?, json),
        DlqCommand::Redrive(args) => redrive(&target, &args, json).await,
    }
}

async fn redrive(
    target: &Target,
    args: &redrive::RedriveArgs,
    json: bool,
) -> Result<ExitCode, CtlError> {
    let dlq = target.resolve(target.workflow(&args.queue)?).await?;
    let queues = target.queues();
    let (expected, about) = match (args.message_ids.len(), args.max) {
        (0, max) => {
            let depth = queues.depth(&dlq.queue.url).await;
            let visible = depth.map_err(|e| target.endpoint.error(None, e))?.visible;
            (max.map_or(visible, |max| max.min(visible)), "~")
        }
        (named, _) => (named as u64, ""),
    };
    // The delivery DLQ has no source queue: back to the topic, as `republish` publishes.
    let (topic, destination) = match &dlq.source {
        Some(source) => (None, source.name.clone()),
        None => {
            let arn = target.topic_arn().await?;
            (Some(arn.clone()), arn)
        }
    };
    if !args.dry_run {
        let from = &dlq.queue.name;
        let change = format!("redrive {about}{expected} message(s) from {from} to {destination}");
        confirm(args.confirm, &target.config.environment, &change, false)?;
    }
    let progress = progress_bar(expected, json);
    let report = if let Some(topic) = topic {
        let sns = aws_sdk_sns::Client::new(&target.sdk);
        let events = SnsEventPublisher::new(sns, &topic);
        let to = redrive::redrive_to_topic(&queues, &events, &topic, &dlq, args, &progress);
        Ok(to.await)
    } else {
        let (sqs, every) = (target.sqs(), sqs_move_task::POLL_EVERY);
        redrive::redrive(&sqs, &target.endpoint, &dlq, args, every, &progress).await
    };
    progress.finish_and_clear();
    emit(&report?, json)
}

/// A bar on stderr for a person watching; none for a script or a pipe.
fn progress_bar(length: u64, json: bool) -> ProgressBar {
    if json || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} messages, {elapsed} elapsed")
    {
        bar.set_style(style);
    }
    bar
}
