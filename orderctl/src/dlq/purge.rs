//! `orderctl dlq purge`: delete every message of a DLQ, after asking.
//!
//! Purging cannot be undone, so it asks on a terminal and refuses when
//! nobody can answer (a script) unless `--yes` says so up front.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::list::depth;
use crate::error::CtlError;
use crate::output::Report;
use crate::target::{resolve, Target};

#[derive(Debug, Clone, Args)]
pub struct PurgeArgs {
    /// `email` or `audit` (or the name of either of its queues).
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
    let sqs = target.sqs();
    let workflow = target.workflow(&args.queue)?;
    let pair = resolve(&sqs, target, workflow).await?;
    let count = depth(&sqs, &target.endpoint, &pair.dlq.url).await?.total();
    if !args.yes && !confirmed(&pair.dlq.name, count)? {
        return Ok(PurgeReport {
            queue: pair.dlq.name,
            approximate_messages: count,
            purged: false,
        });
    }
    match sqs.purge_queue().queue_url(&pair.dlq.url).send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_purge_queue_in_progress()) =>
        {
            return Err(CtlError::Aws {
                action: "sqs:PurgeQueue",
                source: format!(
                    "{} is being purged already; SQS allows one purge per 60 seconds",
                    pair.dlq.name
                )
                .into(),
            })
        }
        Err(e) => return Err(target.endpoint.error("sqs:PurgeQueue", e)),
    }
    Ok(PurgeReport {
        queue: pair.dlq.name,
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
