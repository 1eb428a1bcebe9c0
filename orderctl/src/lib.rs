//! `orderctl`: the operators' CLI — a client of the `ports` and `adapters`
//! crates — and the runner of the local stack. What only operators need of
//! SQS (peeking, moving and purging messages) lives here, in [`queues`], so
//! that no function compiles it.
//!
//! # Layout
//!
//! - [`local`]: `orderctl local up|verify`, the `local-stack` crate (the
//!   stack of `infra/template.yaml` on moto) behind a command line.
//! - [`dlq`]: `orderctl dlq list|peek|redrive|purge` — the email, audit and
//!   delivery DLQs, read without consuming, moved back (the delivery DLQ's:
//!   published to the topic again) without ever losing a message.
//! - [`audit`], [`order`]: `orderctl audit <orderId>` (the `OrderIdIndex`
//!   trail) and `orderctl order <orderId>` (the order, its trail, its DLQ
//!   messages, and its [`timeline`]: stored, published, emailed, audited,
//!   dead-lettered, each with when).
//! - [`status`]: `orderctl status [--watch]` — one screen for "is the
//!   pipeline healthy right now?": the queues and DLQs, the outbox's backlog,
//!   the alarms in ALARM, and what needs attention first. Only reads.
//! - [`republish`]: `orderctl republish` — publishes the events of orders stored
//!   unpublished, through the outbox relay's own code (`ports::outbox`); one
//!   already published is skipped.
//! - [`queues`]: the operator's port on queues (receive without consuming,
//!   send back, delete, release), on SQS, with `StartMessageMoveTask`, and
//!   in memory for tests.
//! - [`target`]: the global options (`--env`, `--profile`, `--region`,
//!   `--endpoint-url`, `--output`) → endpoint, credentials, resource names,
//!   the DLQs and the topic; [`error`]: the CLI's one error enum, naming the
//!   endpoint; [`output`]: tables for people, JSON for scripts;
//!   [`confirm`]: the question before a redrive, purge or republish.
//! - [`Cli`] and [`run`]: the command line, and `orderctl completions`;
//!   `main.rs` only parses and calls `run`.

pub mod audit;
pub mod confirm;
pub mod dlq;
pub mod error;
pub mod local;
pub mod order;
pub mod output;
pub mod queues;
pub mod republish;
pub mod status;
pub mod target;
pub mod timeline;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "orderctl",
    version,
    about = "Operate the order fleet and run its local stack"
)]
pub struct Cli {
    #[command(flatten)]
    pub globals: target::Globals,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The local stack on moto, built from infra/template.yaml.
    #[command(subcommand)]
    Local(local::LocalCommand),
    /// Is the pipeline healthy right now? Queues, DLQs, the outbox, alarms,
    /// and what needs attention first. Changes nothing.
    Status(status::StatusArgs),
    /// The dead-letter queues: list, peek, redrive, purge.
    Dlq(dlq::DlqArgs),
    /// An order's audit trail, oldest first.
    Audit(audit::AuditArgs),
    /// An order: as stored, its audit trail, and whether a DLQ holds it.
    Order(order::OrderArgs),
    /// Publish the events of orders stored unpublished (order-api answered 500).
    Republish(republish::RepublishArgs),
    /// Print the completion script for bash, zsh, fish, powershell or elvish.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Runs one command; the exit code says whether it found what it should.
pub async fn run(cli: Cli) -> Result<ExitCode, error::CtlError> {
    let globals = &cli.globals;
    match cli.command {
        Command::Local(command) => local::run(command, globals).await,
        Command::Status(args) => status::run(args, globals).await,
        Command::Dlq(args) => dlq::run(args, globals).await,
        Command::Audit(args) => audit::run(args, globals).await,
        Command::Order(args) => order::run(args, globals).await,
        Command::Republish(args) => republish::run(args, globals).await,
        Command::Completions { shell } => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "orderctl", &mut out);
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
