//! `orderctl dlq list`: each DLQ with its source queue, depth and the age of its oldest message.
//! SQS has no such attribute (it is a CloudWatch metric, which the local AWS lacks), so the age
//! is the oldest `SentTimestamp` of the messages, peeked. `status` reads the DLQs so too.

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use domain::iso8601;
use ports::BackendError;
use serde::Serialize;

use super::scan;
use crate::error::CtlError;
use crate::output::{age_at_least, or_dash, table, time, Report};
use crate::queues::{QueueDepth, SqsQueues};
use crate::target::{Dlq, Target, Workflow};

/// Messages peeked per DLQ for the oldest one's age.
const AGE_SCAN: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DlqRow {
    pub workflow: Workflow,
    pub queue: String,
    /// None for the delivery DLQ.
    pub source_queue: Option<String>,
    /// Visible + in flight + delayed.
    pub depth: u64,
    #[serde(flatten)]
    pub counts: QueueDepth,
    pub oldest_age_seconds: Option<i64>,
    #[serde(flatten)]
    pub oldest: OldestMessage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListReport {
    pub dead_letter_queues: Vec<DlqRow>,
}

pub async fn run(target: &Target) -> Result<ListReport, CtlError> {
    let read = read_dlqs(target, &target.queues(), &mut Peeked::new()).await?;
    let rows = read.into_iter().map(|(dlq, counts, oldest)| DlqRow {
        workflow: dlq.workflow,
        queue: dlq.queue.name,
        source_queue: dlq.source.map(|q| q.name),
        depth: counts.total(),
        counts,
        oldest_age_seconds: oldest.sent_at.map(|at| (Utc::now() - at).num_seconds()),
        oldest,
    });
    Ok(ListReport {
        dead_letter_queues: rows.collect(),
    })
}

/// By DLQ URL: the counts when it was last peeked, and what the peek found.
pub type Peeked = HashMap<String, (QueueDepth, OldestMessage)>;

/// Each DLQ with its counts and oldest message; one whose counts are those of its
/// last peek is not peeked again: `status --watch` must not raise receive counts.
pub async fn read_dlqs(
    target: &Target,
    queues: &SqsQueues,
    peeked: &mut Peeked,
) -> Result<Vec<(Dlq, QueueDepth, OldestMessage)>, CtlError> {
    let mut read = Vec::new();
    for workflow in Workflow::ALL {
        let dlq = target.resolve(workflow).await?;
        let url = &dlq.queue.url;
        let counts = queues.depth(url).await.map_err(|e| target.failed(e))?;
        let oldest = match peeked.get(url) {
            Some((seen, oldest)) if *seen == counts => oldest.clone(),
            _ => oldest_message(queues, url, counts)
                .await
                .map_err(|e| target.failed(e))?,
        };
        peeked.insert(url.clone(), (counts, oldest.clone()));
        read.push((dlq, counts, oldest));
    }
    Ok(read)
}

/// A queue's oldest message as far as a peek can tell.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OldestMessage {
    #[serde(rename = "oldestSentAt", with = "iso8601::optional")]
    pub sent_at: Option<DateTime<Utc>>,
    /// Where the time comes from, or why there is none.
    #[serde(rename = "ageFrom")]
    pub from: String,
    /// Not every visible message was looked at: the oldest may be older.
    #[serde(skip)]
    pub partial: bool,
}

async fn oldest_message(
    queues: &SqsQueues,
    queue_url: &str,
    counts: QueueDepth,
) -> Result<OldestMessage, BackendError> {
    if counts.visible == 0 {
        let from = match counts.total() {
            0 => "empty",
            _ => "unknown: every message is in flight or delayed",
        };
        return Ok(OldestMessage {
            from: from.to_owned(),
            ..OldestMessage::default()
        });
    }
    let scan = scan::peek(queues, queue_url, AGE_SCAN).await?;
    let (n, visible) = (scan.letters.len(), counts.visible);
    let from = if scan.complete {
        format!("SentTimestamp of all {n} visible message(s)")
    } else {
        format!("SentTimestamp of {n} of ~{visible} visible messages: the oldest may be older")
    };
    Ok(OldestMessage {
        sent_at: scan.letters.iter().filter_map(|l| l.sent_at).min(),
        from,
        partial: !scan.complete,
    })
}

impl Report for ListReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let rows = self.dead_letter_queues.iter().map(|row| {
            let source = row.source_queue.as_deref().unwrap_or("- (SNS deliveries)");
            let oldest = row.oldest_age_seconds;
            let oldest = oldest.map(|s| age_at_least(s, row.oldest.partial));
            vec![
                format!("{} ({})", row.queue, row.workflow.name()),
                source.to_owned(),
                row.depth.to_string(),
                row.counts.in_flight.to_string(),
                or_dash(oldest),
                or_dash(row.oldest.sent_at.as_ref().map(time)),
            ]
        });
        let headers = [
            "DLQ",
            "SOURCE QUEUE",
            "DEPTH",
            "IN FLIGHT",
            "OLDEST",
            "SENT",
        ];
        table(out, &headers, rows)
    }
}
