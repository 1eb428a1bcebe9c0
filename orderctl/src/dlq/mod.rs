//! `orderctl dlq`: the dead-letter queue commands, one module each; [`scan`] reads
//! a queue without consuming it, [`safe_move`] moves its messages without losing one.

pub mod letter;
pub mod list;
pub mod peek;
pub mod purge;
pub mod redrive;
pub mod safe_move;
pub mod scan;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::CtlError;
use crate::output::emit;
use crate::target::{Globals, Target};

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

pub async fn run(command: DlqCommand, globals: &Globals) -> Result<ExitCode, CtlError> {
    let json = globals.json();
    let target = Target::connect(globals).await?;
    match command {
        DlqCommand::List => emit(&list::run(&target).await?, json),
        DlqCommand::Peek(args) => emit(&peek::run(&target, &args).await?, json),
        DlqCommand::Purge(args) => emit(&purge::run(&target, &args, json).await?, json),
        DlqCommand::Redrive(args) => emit(&redrive::run(&target, &args, json).await?, json),
    }
}

/// A bar on stderr for a person watching; none for a script or a pipe.
fn progress_bar(length: u64, json: bool) -> ProgressBar {
    if json || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template = "{bar:40} {pos}/{len} messages, {elapsed} elapsed";
    let bar = ProgressBar::new(length);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}
