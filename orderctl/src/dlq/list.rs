//! `orderctl dlq list`: each DLQ with its source queue, depth and the age of
//! its oldest message.
//!
//! SQS has no "age of the oldest message" attribute (it is a CloudWatch
//! metric, and the local AWS has none), so the age comes from the
//! `SentTimestamp` of the messages themselves, peeked without consuming
//! them. The report says how many it looked at.

use std::io::Write;

use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::queues::SqsQueues;
use super::scan;
use crate::error::{CtlError, Endpoint};
use crate::output::{age, or_dash, time, Report, Table};
use crate::target::{resolve, Target, Workflow};

/// Messages peeked per DLQ for the oldest one's age.
const AGE_SCAN: usize = 100;

/// A queue's message counts (SQS's approximate ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Depth {
    pub visible: u64,
    /// Received and not yet deleted or released: being peeked or moved.
    pub in_flight: u64,
    pub delayed: u64,
}

impl Depth {
    pub fn total(&self) -> u64 {
        self.visible + self.in_flight + self.delayed
    }
}

pub async fn depth(client: &Client, endpoint: &Endpoint, url: &str) -> Result<Depth, CtlError> {
    let attributes = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| endpoint.error("sqs:GetQueueAttributes", e))?
        .attributes
        .unwrap_or_default();
    let count = |name: QueueAttributeName| {
        attributes
            .get(&name)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Ok(Depth {
        visible: count(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DlqRow {
    pub workflow: Workflow,
    pub queue: String,
    pub source_queue: String,
    /// Visible + in flight + delayed.
    pub depth: u64,
    #[serde(flatten)]
    pub counts: Depth,
    #[serde(skip)]
    pub oldest: Option<DateTime<Utc>>,
    pub oldest_sent_at: Option<String>,
    pub oldest_age_seconds: Option<i64>,
    /// Where the age comes from, and whether it may be more.
    pub age_from: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListReport {
    pub dead_letter_queues: Vec<DlqRow>,
}

pub async fn run(target: &Target) -> Result<ListReport, CtlError> {
    let sqs = target.sqs();
    let queues = SqsQueues::new(sqs.clone(), target.endpoint.clone());
    let mut rows = Vec::new();
    for workflow in Workflow::ALL {
        let pair = resolve(&sqs, target, workflow).await?;
        let counts = depth(&sqs, &target.endpoint, &pair.dlq.url).await?;
        let (oldest, age_from) = if counts.visible == 0 {
            let why = match counts.total() {
                0 => "empty",
                _ => "unknown: every message is in flight or delayed",
            };
            (None, why.to_owned())
        } else {
            let scan = scan::peek(&queues, &pair.dlq.url, AGE_SCAN).await?;
            let oldest = scan.letters.iter().filter_map(|l| l.sent_at).min();
            let n = scan.letters.len();
            let from = if scan.complete {
                format!("SentTimestamp of all {n} visible message(s)")
            } else {
                format!(
                    "SentTimestamp of {n} of ~{} visible messages: the oldest may be older",
                    counts.visible
                )
            };
            (oldest, from)
        };
        rows.push(DlqRow {
            workflow,
            queue: pair.dlq.name,
            source_queue: pair.source.name,
            depth: counts.total(),
            counts,
            oldest,
            oldest_sent_at: oldest.as_ref().map(shared::domain::iso8601::format),
            oldest_age_seconds: oldest.map(|at| (Utc::now() - at).num_seconds()),
            age_from,
        });
    }
    Ok(ListReport {
        dead_letter_queues: rows,
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
            let partial = row.age_from.contains("may be older");
            table.row(vec![
                format!("{} ({})", row.queue, row.workflow.name()),
                row.source_queue.clone(),
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
