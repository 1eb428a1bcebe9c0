//! `orderctl dlq list`: each DLQ with its source queue, depth and the age of
//! its oldest message.
//!
//! SQS has no "age of the oldest message" attribute (it is a CloudWatch
//! metric, and the local AWS has none), so the age comes from the
//! `SentTimestamp` of the messages themselves, peeked without consuming
//! them. The report says how many it looked at.

use std::io::Write;

use crate::queues::{QueueDepth, SqsQueues};
use chrono::{DateTime, Utc};
use ports::BackendError;
use serde::Serialize;

use super::scan;
use crate::error::CtlError;
use crate::output::{age, or_dash, time, Report, Table};
use crate::target::{Target, Workflow};

/// Messages peeked per DLQ for the oldest one's age.
const AGE_SCAN: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DlqRow {
    pub workflow: Workflow,
    pub queue: String,
    /// None for the delivery DLQ: SNS puts there what it could not deliver.
    pub source_queue: Option<String>,
    /// Visible + in flight + delayed.
    pub depth: u64,
    #[serde(flatten)]
    pub counts: QueueDepth,
    #[serde(skip)]
    pub oldest: Option<DateTime<Utc>>,
    pub oldest_sent_at: Option<String>,
    pub oldest_age_seconds: Option<i64>,
    /// Where the age comes from, and whether it may be more.
    pub age_from: String,
    /// Not every visible message was peeked: the oldest may be older.
    #[serde(skip)]
    pub partial: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListReport {
    pub dead_letter_queues: Vec<DlqRow>,
}

pub async fn run(target: &Target) -> Result<ListReport, CtlError> {
    let queues = target.queues();
    let failed = |e| target.endpoint.error(None, e);
    let mut rows = Vec::new();
    for workflow in Workflow::ALL {
        let dlq = target.resolve(workflow).await?;
        let counts = queues.depth(&dlq.queue.url).await.map_err(failed)?;
        let oldest = oldest_message(&queues, &dlq.queue.url, counts)
            .await
            .map_err(failed)?;
        rows.push(DlqRow {
            workflow,
            queue: dlq.queue.name,
            source_queue: dlq.source.map(|q| q.name),
            depth: counts.total(),
            counts,
            oldest: oldest.sent_at,
            oldest_sent_at: oldest.sent_at.as_ref().map(domain::iso8601::format),
            oldest_age_seconds: oldest.sent_at.map(|at| (Utc::now() - at).num_seconds()),
            partial: oldest.partial,
            age_from: oldest.from,
        });
    }
    Ok(ListReport {
        dead_letter_queues: rows,
    })
}

/// A queue's oldest message as far as a peek can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldestMessage {
    pub sent_at: Option<DateTime<Utc>>,
    /// Where the time comes from, or why there is none.
    pub from: String,
    /// Not every visible message was looked at: the oldest may be older.
    pub partial: bool,
}

/// When the oldest of a DLQ's messages was sent: the `SentTimestamp` of up
/// to `AGE_SCAN` visible messages, peeked without consuming them (`status`
/// reads the DLQs' ages this way too).
pub async fn oldest_message(
    queues: &SqsQueues,
    queue_url: &str,
    counts: QueueDepth,
) -> Result<OldestMessage, BackendError> {
    if counts.visible == 0 {
        let why = match counts.total() {
            0 => "empty",
            _ => "unknown: every message is in flight or delayed",
        };
        return Ok(OldestMessage {
            sent_at: None,
            from: why.to_owned(),
            partial: false,
        });
    }
    let scan = scan::peek(queues, queue_url, AGE_SCAN).await?;
    let sent_at = scan.letters.iter().filter_map(|l| l.sent_at).min();
    let n = scan.letters.len();
    let from = if scan.complete {
        format!("SentTimestamp of all {n} visible message(s)")
    } else {
        format!(
            "SentTimestamp of {n} of ~{} visible messages: the oldest may be older",
            counts.visible
        )
    };
    Ok(OldestMessage {
        sent_at,
        from,
        partial: !scan.complete,
    })
}

impl Report for ListReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut table = Table::new(&[
            "DLQ",
            "SOURCE QUEUE",
            "DEPTH",
            "IN FLIGHT",
            "OLDEST",
            "SENT",
        ]);
        for row in &self.dead_letter_queues {
            let partial = row.partial;
            table.row(vec![
                format!("{} ({})", row.queue, row.workflow.name()),
                row.source_queue
                    .clone()
                    .unwrap_or_else(|| "- (SNS deliveries)".to_owned()),
                row.depth.to_string(),
                row.counts.in_flight.to_string(),
                row.oldest_age_seconds
                    .map(|s| format!("{}{}", if partial { "≥ " } else { "" }, age(s)))
                    .unwrap_or_else(|| "-".to_owned()),
                or_dash(row.oldest.as_ref().map(time)),
            ]);
        }
        table.write(out)
    }
}
