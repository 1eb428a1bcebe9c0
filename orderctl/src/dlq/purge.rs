//! `orderctl dlq purge`: delete every message of a DLQ, after asking.
//!
//! Purging cannot be undone, so it asks even in `local` (see [`crate::confirm`]).

use std::io::Write;

use clap::Args;
use serde::Serialize;

use crate::confirm::{confirm, Confirm};
use crate::error::CtlError;
use crate::output::Report;
use crate::target::Target;

#[derive(Debug, Clone, Args)]
pub struct PurgeArgs {
    /// `email`, `audit` or `delivery` (or the name of one of their queues).
    pub queue: String,
    #[command(flatten)]
    pub confirm: Confirm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PurgeReport {
    pub queue: String,
    /// Messages in the queue when it was purged (SQS's approximate count).
    pub approximate_messages: u64,
    /// Always true: a purge declined or refused is an error, not a report.
    pub purged: bool,
}

pub async fn run(target: &Target, args: &PurgeArgs) -> Result<PurgeReport, CtlError> {
    let dlq = target.resolve(target.workflow(&args.queue)?).await?;
    let queues = target.queues();
    let failed = |e| target.endpoint.error(None, e);
    let count = queues.depth(&dlq.queue.url).await.map_err(failed)?.total();
    let change = format!(
        "purge {}, deleting all ~{count} message(s) for good",
        dlq.queue.name
    );
    confirm(args.confirm, &target.config.environment, &change, true)?;
    queues.purge(&dlq.queue.url).await.map_err(failed)?;
    Ok(PurgeReport {
        queue: dlq.queue.name,
        approximate_messages: count,
        purged: true,
    })
}

impl Report for PurgeReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "purged {} (~{} message(s)); SQS may take up to 60 seconds to delete them",
            self.queue, self.approximate_messages
        )
    }
}
