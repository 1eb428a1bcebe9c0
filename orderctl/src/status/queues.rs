//! Each queue of the environment as `status` shows it: SQS's counts, and the
//! age of its oldest message where that can be had without disturbing it.
//!
//! SQS counts messages (`GetQueueAttributes`) but gives no age; on AWS the
//! age is CloudWatch's `ApproximateAgeOfOldestMessage`. The two kinds of
//! queue get it differently:
//!
//! - a DLQ is peeked as `dlq list` peeks it (the `SentTimestamp` of up to 100
//!   messages, received and made visible again at once). Nothing consumes a
//!   DLQ, so hiding its messages for a moment and raising their receive count
//!   harms nobody. Under `--watch` a DLQ is peeked again only when its counts
//!   changed, so that a watch does not raise its messages' receive counts
//!   every few seconds;
//! - a work queue is never received from: a receive hides the message from
//!   its worker and counts toward `maxReceiveCount`, so a peek could itself
//!   send an order to the DLQ. Its age is CloudWatch's metric (on AWS, a
//!   minute or a few behind), or `-` where there is none (the local AWS).

use std::collections::HashMap;

use crate::queues::{QueueDepth, SqsQueues};
use chrono::{DateTime, Utc};
use ports::BackendError;
use serde::Serialize;

use super::cloudwatch::{CloudWatch, MetricAge};
use crate::dlq::list::{oldest_message, OldestMessage};
use crate::error::CtlError;
use crate::target::{Target, Workflow};

/// A worker's queue, or a dead-letter queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueKind {
    Work,
    Dlq,
}

/// One queue's line on the screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    pub queue: String,
    pub workflow: Workflow,
    pub kind: QueueKind,
    /// `visible`, `inFlight`, `delayed`: SQS's approximate counts.
    #[serde(flatten)]
    pub counts: QueueDepth,
    pub oldest_age_seconds: Option<i64>,
    /// Not every message was looked at: the oldest may be older.
    pub age_at_least: bool,
    /// Where the age comes from, or why there is none.
    pub age_from: String,
}

impl QueueStatus {
    /// `email queue`, `audit DLQ`, `delivery DLQ`.
    pub fn label(&self) -> String {
        let kind = match self.kind {
            QueueKind::Work => "queue",
            QueueKind::Dlq => "DLQ",
        };
        format!("{} {kind}", self.workflow.name())
    }
}

/// Reads the queues, remembering each DLQ's oldest message between draws.
#[derive(Debug)]
pub struct QueueReader {
    queues: SqsQueues,
    /// By DLQ URL: the counts when it was last peeked, and what the peek found.
    peeked: HashMap<String, (QueueDepth, OldestMessage)>,
}

impl QueueReader {
    pub fn new(queues: SqsQueues) -> QueueReader {
        QueueReader {
            queues,
            peeked: HashMap::new(),
        }
    }

    /// Every work queue and DLQ of the environment, each work queue before
    /// its DLQ, the delivery DLQ last.
    pub async fn read(
        &mut self,
        target: &Target,
        cloudwatch: &CloudWatch,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueStatus>, CtlError> {
        let failed = |e| target.endpoint.error(None, e);
        let mut rows = Vec::new();
        let mut work = Vec::new();
        for workflow in Workflow::ALL {
            let dlq = target.resolve(workflow).await?;
            if let Some(source) = &dlq.source {
                let counts = self.queues.depth(&source.url).await.map_err(failed)?;
                work.push(rows.len());
                rows.push(QueueStatus {
                    queue: source.name.clone(),
                    workflow,
                    kind: QueueKind::Work,
                    counts,
                    oldest_age_seconds: None,
                    age_at_least: false,
                    age_from: String::new(),
                });
            }
            let counts = self.queues.depth(&dlq.queue.url).await.map_err(failed)?;
            let oldest = self
                .oldest_dead_letter(&dlq.queue.url, counts)
                .await
                .map_err(failed)?;
            rows.push(QueueStatus {
                queue: dlq.queue.name,
                workflow,
                kind: QueueKind::Dlq,
                counts,
                oldest_age_seconds: oldest.sent_at.map(|at| (now - at).num_seconds()),
                age_at_least: oldest.partial,
                age_from: oldest.from,
            });
        }
        // CloudWatch is asked only about queues that hold something.
        let names: Vec<String> = work
            .iter()
            .map(|&i| &rows[i])
            .filter(|row| row.counts.total() > 0)
            .map(|row| row.queue.clone())
            .collect();
        let ages = cloudwatch.oldest_message_ages(&names, now).await;
        for i in work {
            let row = &mut rows[i];
            let (age, from) = work_queue_age(row.counts, &row.queue, &ages);
            row.oldest_age_seconds = age;
            row.age_from = from;
        }
        Ok(rows)
    }

    /// The DLQ's oldest message: peeked, unless the counts are those of the
    /// last peek (then nothing came or went, most likely).
    async fn oldest_dead_letter(
        &mut self,
        url: &str,
        counts: QueueDepth,
    ) -> Result<OldestMessage, BackendError> {
        if let Some((seen, oldest)) = self.peeked.get(url) {
            if *seen == counts {
                return Ok(oldest.clone());
            }
        }
        let oldest = oldest_message(&self.queues, url, counts).await?;
        self.peeked.insert(url.to_owned(), (counts, oldest.clone()));
        Ok(oldest)
    }
}

/// A work queue's age from CloudWatch's metric, or why there is none.
fn work_queue_age(
    counts: QueueDepth,
    queue: &str,
    ages: &Result<HashMap<String, MetricAge>, String>,
) -> (Option<i64>, String) {
    if counts.total() == 0 {
        return (None, "empty".to_owned());
    }
    match ages {
        Ok(ages) => match ages.get(queue) {
            Some(metric) => (
                Some(metric.seconds),
                format!(
                    "CloudWatch ApproximateAgeOfOldestMessage at {}",
                    crate::output::time(&metric.at)
                ),
            ),
            None => (
                None,
                "unknown: CloudWatch has no ApproximateAgeOfOldestMessage for it \
                 in the last 15 minutes, and a work queue is not peeked"
                    .to_owned(),
            ),
        },
        Err(reason) => (
            None,
            format!("unknown: a work queue is not peeked, and CloudWatch: {reason}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn counts(visible: u64) -> QueueDepth {
        QueueDepth {
            visible,
            in_flight: 0,
            delayed: 0,
        }
    }

    #[test]
    fn a_work_queue_takes_its_age_from_cloudwatch_or_shows_none() {
        let at = Utc
            .with_ymd_and_hms(2026, 1, 2, 3, 4, 0)
            .single()
            .expect("a time");
        let ages = Ok(HashMap::from([(
            "t-OrderEmailQueue".to_owned(),
            MetricAge { seconds: 42, at },
        )]));
        let (age, from) = work_queue_age(counts(3), "t-OrderEmailQueue", &ages);
        assert_eq!(age, Some(42));
        assert!(from.contains("2026-01-02 03:04:00Z"), "{from}");

        let (age, from) = work_queue_age(counts(3), "t-OrderAuditQueue", &ages);
        assert_eq!(age, None);
        assert!(from.contains("not peeked"), "{from}");

        let down = Err("not available".to_owned());
        let (age, from) = work_queue_age(counts(3), "t-OrderEmailQueue", &down);
        assert_eq!(age, None);
        assert!(from.contains("not available"), "{from}");

        assert_eq!(
            work_queue_age(counts(0), "t-OrderEmailQueue", &ages),
            (None, "empty".to_owned())
        );
    }
}
