//! `orderctl dlq purge`: delete what a DLQ held when the operator said yes (asked even in
//! `local`: it cannot be undone). Not with SQS's `PurgeQueue`, which may also delete messages
//! sent up to 60 seconds after the call, unseen: the confirmation is the cut-off, and the safe
//! move to nowhere deletes each message whose `SentTimestamp` is at or before it (a clock here
//! ahead of SQS's moves the cut-off later by as much). Later messages stay, as do those hidden
//! by someone else meanwhile (a peek, a redrive).

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Args;
use domain::iso8601;
use indicatif::ProgressBar;
use serde::Serialize;

use super::letter::{write_failures, LetterFailure};
use super::safe_move::{safe_move, Discard, MovePlan, MoveTally};
use crate::confirm::{confirm, Confirm};
use crate::error::CtlError;
use crate::output::{exit_code, time, Report};
use crate::queues::Queues;
use crate::target::Target;

#[derive(Debug, Clone, Args)]
pub struct PurgeArgs {
    /// `email`, `audit` or `delivery` (or the name of one of their queues).
    pub queue: String,
    #[command(flatten)]
    pub confirm: Confirm,
}

/// What a purge did: `deleted`, `arrivedAfterCutoff` and `failed` are the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PurgeReport {
    pub queue: String,
    /// Messages in the queue when the operator was asked (SQS's approximate count).
    pub approximate_messages: u64,
    /// When the purge was confirmed.
    #[serde(with = "iso8601")]
    pub cutoff: DateTime<Utc>,
    pub deleted: u64,
    /// Left in the DLQ: they entered it after the cut-off.
    pub arrived_after_cutoff: u64,
    pub failed: u64,
    pub failures: Vec<LetterFailure>,
    pub aborted: Option<String>,
}

pub async fn run(target: &Target, args: &PurgeArgs, json: bool) -> Result<PurgeReport, CtlError> {
    let dlq = target.dlq(&args.queue).await?;
    let queues = target.queues();
    let count = queues.depth(&dlq.queue.url).await;
    let count = count.map_err(|e| target.failed(e))?.total();
    let name = &dlq.queue.name;
    let change = format!("purge {name}, deleting all ~{count} message(s) for good");
    confirm(args.confirm, &target.config.environment, &change, true)?;
    let cutoff = Utc::now();
    let progress = super::progress_bar(count, json);
    let tally = purge(&queues, &dlq.queue.url, cutoff, &progress).await;
    progress.finish_and_clear();
    Ok(PurgeReport {
        queue: dlq.queue.name,
        approximate_messages: count,
        cutoff,
        deleted: tally.moved,
        arrived_after_cutoff: tally.skipped,
        failed: tally.failed,
        failures: tally.failures,
        aborted: tally.aborted,
    })
}

/// Deletes what entered at or before `cutoff` (`moved`), leaves the rest (`skipped`).
pub async fn purge<Q: Queues>(
    queues: &Q,
    dlq_url: &str,
    cutoff: DateTime<Utc>,
    progress: &ProgressBar,
) -> MoveTally {
    let plan = MovePlan {
        dlq_url: dlq_url.to_owned(),
        cutoff,
        ..MovePlan::default()
    };
    safe_move(queues, &Discard, &plan, progress).await
}

impl Report for PurgeReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let (queue, n, cutoff) = (&self.queue, self.approximate_messages, time(&self.cutoff));
        writeln!(
            out,
            "purge of {queue} (~{n} message(s) when asked): cut-off {cutoff}, when it was \
             confirmed; what arrived later stays"
        )?;
        write_failures(out, &self.failures)?;
        if let Some(reason) = &self.aborted {
            writeln!(out, "stopped early: {reason}")?;
        }
        writeln!(
            out,
            "deleted {}, left {} that arrived after the cut-off, failed {}",
            self.deleted, self.arrived_after_cutoff, self.failed
        )
    }

    fn exit_code(&self) -> ExitCode {
        exit_code(self.failed == 0 && self.aborted.is_none())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use ports::BackendError;

    use crate::queues::in_memory::InMemoryQueues;
    use crate::queues::Letter;

    use super::*;

    const DLQ: &str = "dlq";

    fn letter(id: &str, sent_at: DateTime<Utc>) -> Letter {
        Letter {
            message_id: id.to_owned(),
            receipt_handle: String::new(),
            body: format!("body of {id}"),
            attributes: HashMap::new(),
            sent_at: Some(sent_at),
            approximate_receive_count: Some(1),
        }
    }

    /// A DLQ of `count` messages sent a minute before `cutoff`, then one
    /// sent a second after it.
    fn dlq_around(cutoff: DateTime<Utc>, count: usize) -> InMemoryQueues {
        let queues = InMemoryQueues::default();
        for i in 1..=count {
            queues.push(
                DLQ,
                letter(&format!("m-{i}"), cutoff - chrono::Duration::minutes(1)),
            );
        }
        queues.push(DLQ, letter("late", cutoff + chrono::Duration::seconds(1)));
        queues
    }

    /// [`InMemoryQueues`] with something going on: the deletes of one
    /// message fail, or a new message arrives before each receive.
    #[derive(Default)]
    struct BusyQueues {
        queues: InMemoryQueues,
        failing_delete: Option<&'static str>,
        arriving: Option<DateTime<Utc>>,
        arrived: std::sync::atomic::AtomicUsize,
    }

    impl Queues for BusyQueues {
        async fn receive(
            &self,
            url: &str,
            max: usize,
            hide_for: Duration,
        ) -> Result<Vec<Letter>, BackendError> {
            if let Some(sent_at) = self.arriving {
                let n = self
                    .arrived
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                self.queues.push(url, letter(&format!("new-{n}"), sent_at));
            }
            self.queues.receive(url, max, hide_for).await
        }

        async fn send(&self, url: &str, letter: &Letter) -> Result<(), BackendError> {
            self.queues.send(url, letter).await
        }

        async fn delete(&self, url: &str, receipt: &str) -> Result<(), BackendError> {
            // The fake's receipts are `<message id>#<n>`.
            let failing = self
                .failing_delete
                .is_some_and(|id| receipt.starts_with(&format!("{id}#")));
            if failing {
                return Err(BackendError::new("SQS.DeleteMessage", true, "throttled"));
            }
            self.queues.delete(url, receipt).await
        }

        async fn release(&self, url: &str, receipts: &[String]) -> Result<(), BackendError> {
            self.queues.release(url, receipts).await
        }
    }

    #[tokio::test]
    async fn deletes_every_batch_sent_before_the_cutoff_and_keeps_the_later_message_visible() {
        let cutoff = Utc::now();
        let queues = dlq_around(cutoff, 25);

        let tally = purge(&queues, DLQ, cutoff, &ProgressBar::hidden()).await;

        assert_eq!((tally.moved, tally.skipped), (25, 1));
        assert!(tally.failures.is_empty() && tally.aborted.is_none());
        assert_eq!(queues.bodies(DLQ), ["body of late"]);
        assert!(queues.all_visible(DLQ));
    }

    #[tokio::test]
    async fn a_message_sent_exactly_at_the_cutoff_is_deleted() {
        let cutoff = Utc::now();
        let queues = InMemoryQueues::default();
        queues.push(DLQ, letter("at", cutoff));

        let tally = purge(&queues, DLQ, cutoff, &ProgressBar::hidden()).await;

        assert_eq!((tally.moved, tally.skipped), (1, 0));
        assert!(queues.bodies(DLQ).is_empty());
    }

    #[tokio::test]
    async fn a_failed_delete_is_reported_and_the_message_stays_visible() {
        let cutoff = Utc::now();
        let queues = BusyQueues {
            queues: dlq_around(cutoff, 3),
            failing_delete: Some("m-2"),
            ..BusyQueues::default()
        };

        let tally = purge(&queues, DLQ, cutoff, &ProgressBar::hidden()).await;

        assert_eq!((tally.moved, tally.skipped), (2, 1));
        assert_eq!(tally.failures.len(), 1);
        assert_eq!(tally.failures[0].message_id, "m-2");
        assert!(tally.failures[0].reason.contains("throttled"));
        assert_eq!(queues.queues.bodies(DLQ), ["body of late", "body of m-2"]);
        assert!(queues.queues.all_visible(DLQ));
    }

    #[tokio::test]
    async fn messages_that_keep_arriving_after_the_cutoff_do_not_keep_the_purge_going() {
        let cutoff = Utc::now();
        let queues = BusyQueues {
            queues: dlq_around(cutoff, 12),
            arriving: Some(cutoff + chrono::Duration::seconds(2)),
            ..BusyQueues::default()
        };

        let progress = ProgressBar::hidden();
        let purged = purge(&queues, DLQ, cutoff, &progress);
        let tally = tokio::time::timeout(Duration::from_secs(10), purged)
            .await
            .expect("the purge ends");

        assert_eq!(tally.moved, 12);
        let arrived = queues.arrived.load(std::sync::atomic::Ordering::SeqCst);
        // Each was received once and left, as was the one there before the purge.
        assert_eq!(tally.skipped as usize, arrived + 1);
        assert!(queues
            .queues
            .letters(DLQ)
            .iter()
            .all(|l| l.sent_at > Some(cutoff)));
        assert_eq!(queues.queues.letters(DLQ).len(), arrived + 1);
        assert!(queues.queues.all_visible(DLQ));
    }

    #[test]
    fn a_purge_with_a_failure_exits_non_zero_and_says_what_it_left() {
        let report = PurgeReport {
            queue: "t-OrderAuditDLQ".to_owned(),
            approximate_messages: 3,
            cutoff: Utc::now(),
            deleted: 2,
            arrived_after_cutoff: 1,
            failed: 1,
            failures: vec![LetterFailure::of(
                &letter("m-2", Utc::now()),
                "no".to_owned(),
            )],
            aborted: None,
        };
        let mut text = Vec::new();
        report.write_text(&mut text).expect("written");
        let text = String::from_utf8(text).expect("utf-8");

        assert_eq!(report.exit_code(), ExitCode::FAILURE);
        assert!(
            text.contains("deleted 2, left 1 that arrived after the cut-off, failed 1"),
            "{text}"
        );
        assert!(!text.contains("60 seconds"), "{text}");
    }
}
