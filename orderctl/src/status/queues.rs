//! Each queue as `status` shows it: SQS's counts, and the age of its oldest
//! message where that can be had without disturbing it (`status --help` says how).

use std::collections::HashMap;

use aws_sdk_cloudwatch::Client as CloudWatch;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::cloudwatch::{oldest_message_ages, MetricAge};
use crate::dlq::list::{read_dlqs, Peeked};
use crate::error::CtlError;
use crate::output::time;
use crate::queues::{QueueDepth, SqsQueues};
use crate::target::{Target, Workflow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueKind {
    Work,
    Dlq,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    pub queue: String,
    pub workflow: Workflow,
    pub kind: QueueKind,
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

/// Every work queue and DLQ, each work queue before its DLQ, the delivery DLQ last.
pub async fn read_queues(
    target: &Target,
    queues: &SqsQueues,
    peeked: &mut Peeked,
    cloudwatch: &CloudWatch,
    now: DateTime<Utc>,
) -> Result<Vec<QueueStatus>, CtlError> {
    let mut rows = Vec::new();
    for (dlq, counts, oldest) in read_dlqs(target, queues, peeked).await? {
        let workflow = dlq.workflow;
        if let Some(source) = dlq.source {
            let counts = queues.depth(&source.url).await;
            rows.push(QueueStatus {
                queue: source.name,
                workflow,
                kind: QueueKind::Work,
                counts: counts.map_err(|e| target.failed(e))?,
                oldest_age_seconds: None,
                age_at_least: false,
                age_from: String::new(),
            });
        }
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
    let work = |row: &&mut QueueStatus| row.kind == QueueKind::Work;
    // CloudWatch is asked only about queues that hold something.
    let busy = rows.iter_mut().filter(|r| work(r) && r.counts.total() > 0);
    let names: Vec<String> = busy.map(|row| row.queue.clone()).collect();
    let ages = oldest_message_ages(cloudwatch, &names, now).await;
    for row in rows.iter_mut().filter(work) {
        (row.oldest_age_seconds, row.age_from) = work_queue_age(row.counts, &row.queue, &ages);
    }
    Ok(rows)
}

/// A work queue's age from CloudWatch's metric, or why there is none.
fn work_queue_age(
    counts: QueueDepth,
    queue: &str,
    ages: &Result<HashMap<String, MetricAge>, String>,
) -> (Option<i64>, String) {
    match (counts.total(), ages.as_ref().map(|ages| ages.get(queue))) {
        (0, _) => (None, "empty".to_owned()),
        (_, Ok(Some(metric))) => {
            let at = time(&metric.at);
            let from = format!("CloudWatch ApproximateAgeOfOldestMessage at {at}");
            (Some(metric.seconds), from)
        }
        (_, Ok(None)) => (
            None,
            "unknown: CloudWatch has no ApproximateAgeOfOldestMessage for it \
             in the last 15 minutes, and a work queue is not peeked"
                .to_owned(),
        ),
        (_, Err(reason)) => (
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
