//! `orderctl dlq`: inspect, redrive and purge the dead-letter queues.
//!
//! - [`list`], [`peek`], [`redrive`], [`purge`]: one module per command.
//! - [`letter`]: a DLQ message and the failure note the workers attach.
//! - [`queues`]: the queue operations as a port ([`Queues`]), on SQS.
//! - [`scan`]: reading a queue without consuming it.
//! - [`safe_move`]: receive → send → delete, never losing a message.
//! - [`native`]: SQS's own move task, where the endpoint has it.

pub mod letter;
pub mod list;
pub mod native;
pub mod peek;
pub mod purge;
pub mod queues;
pub mod redrive;
pub mod safe_move;
pub mod scan;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

pub use letter::{Letter, LetterView};
pub use queues::{Queues, SqsQueues};

use crate::error::CtlError;
use crate::output::emit;
use crate::target::{resolve, Target, TargetArgs};

#[derive(Debug, Args)]
pub struct DlqArgs {
    #[command(flatten)]
    pub target: TargetArgs,
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
    /// Move messages back to their source queue, never losing one.
    Redrive(redrive::RedriveArgs),
    /// Delete every message of a DLQ (asks first).
    Purge(purge::PurgeArgs),
}

pub async fn run(args: DlqArgs) -> Result<ExitCode, CtlError> {
    let json = args.target.json;
    let target = Target::connect(&args.target).await?;
    match args.command {
        DlqCommand::List => emit(&list::run(&target).await?, json),
        DlqCommand::Peek(peek) => emit(&peek::run(&target, &peek).await?, json),
        DlqCommand::Purge(purge) => emit(&purge::run(&target, &purge).await?, json),
        DlqCommand::Redrive(args) => {
            let sqs = target.sqs();
            let pair = resolve(&sqs, &target, target.workflow(&args.queue)?).await?;
            let expected = match (args.message_ids.len(), args.max) {
                (0, max) => {
                    let visible = list::depth(&sqs, &target.endpoint, &pair.dlq.url)
                        .await?
                        .visible;
                    max.map_or(visible, |max| max.min(visible))
                }
                (named, _) => named as u64,
            };
            let progress = progress_bar(expected, json);
            let report = redrive::redrive(
                &sqs,
                &target.endpoint,
                &pair,
                &args,
                native::POLL_EVERY,
                &progress,
            )
            .await;
            progress.finish_and_clear();
            emit(&report?, json)
        }
    }
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
