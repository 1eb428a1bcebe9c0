//! `orderctl dlq purge`: delete every message of a DLQ, after asking.
//!
//! Purging cannot be undone, so it asks on a terminal and refuses when
//! nobody can answer (a script) unless `--yes` says so up front.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::error::CtlError;
use crate::output::Report;
use crate::target::Target;

#[derive(Debug, Clone, Args)]
pub struct PurgeArgs {
    /// `email`, `audit` or `delivery` (or the name of one of their queues).
    pub queue: String,
    /// Purge without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PurgeReport {
    pub queue: String,
    /// Messages in the queue when it was purged (SQS's approximate count).
    pub approximate_messages: u64,
    pub purged: bool,
}

pub async fn run(target: &Target, args: &PurgeArgs) -> Result<PurgeReport, CtlError> {
    let dlq = target.resolve(target.workflow(&args.queue)?).await?;
    let queues = target.queues();
    let failed = |e| target.endpoint.error(None, e);
    let count = queues.depth(&dlq.queue.url).await.map_err(failed)?.total();
    if !args.yes && !confirmed(&dlq.queue.name, count)? {
        return Ok(PurgeReport {
            queue: dlq.queue.name,
            approximate_messages: count,
            purged: false,
        });
    }
    queues.purge(&dlq.queue.url).await.map_err(failed)?;
    Ok(PurgeReport {
        queue: dlq.queue.name,
        approximate_messages: count,
        purged: true,
    })
}

/// Asks on the terminal; an error when stdin is not one.
fn confirmed(queue: &str, count: u64) -> Result<bool, CtlError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CtlError::NotConfirmed {
            queue: queue.to_owned(),
        });
    }
    let mut err = std::io::stderr().lock();
    write!(
        err,
        "Delete all ~{count} message(s) in {queue}? They cannot be recovered. [y/N] "
    )?;
    err.flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

impl Report for PurgeReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.purged {
            writeln!(
                out,
                "purged {} (~{} message(s)); SQS may take up to 60 seconds to delete them",
                self.queue, self.approximate_messages
            )
        } else {
            writeln!(out, "not purged: {} is unchanged", self.queue)
        }
    }

    fn exit_code(&self) -> ExitCode {
        if self.purged {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}
