//! The safe move: receive from the DLQ, put the message back (to its source queue,
//! the topic, or nowhere for a purge), and only then delete it from the DLQ. A crash
//! in between delivers it twice, which the (idempotent) workers are built for.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use ports::event::OrderCreated;
use ports::{error_chain, BackendError, EventPublisher};
use serde::Serialize;
use tokio::time::MissedTickBehavior;

use super::letter::{LetterFailure, LetterView};
use super::scan::Scanner;
use crate::queues::{Letter, Queues, MAX_BATCH};

/// Far longer than one send and one delete take, so that nobody else moves the message meanwhile.
const MOVE_HOLD: Duration = Duration::from_secs(60);

pub trait Destination: Send + Sync {
    /// Why a message put there but not deleted from the DLQ is a failure.
    const UNDELETED: &'static str = "put back but still in the DLQ (it will be delivered twice; \
                                     the workers ignore the second)";

    fn put(&self, letter: &Letter) -> impl Future<Output = Result<(), BackendError>> + Send;
}

/// The source queue: the body and the original attributes.
#[derive(Debug)]
pub struct ToQueue<'a, Q> {
    pub queues: &'a Q,
    pub url: String,
}

impl<Q: Queues> Destination for ToQueue<'_, Q> {
    async fn put(&self, letter: &Letter) -> Result<(), BackendError> {
        self.queues.send(&self.url, letter).await
    }
}

/// The topic, for what SNS could not deliver: the order event is published
/// again; the queue that did get it drops it as already handled.
#[derive(Debug)]
pub struct ToTopic<'a, P> {
    pub events: &'a P,
}

impl<P: EventPublisher> Destination for ToTopic<'_, P> {
    async fn put(&self, letter: &Letter) -> Result<(), BackendError> {
        let body = ports::event::event_body(&letter.body);
        let event =
            OrderCreated::parse(&body).map_err(|e| BackendError::new("SNS.Publish", false, e))?;
        self.events.publish(&event).await
    }
}

/// Nowhere: what a purge moves is only deleted.
#[derive(Debug)]
pub struct Discard;

impl Destination for Discard {
    const UNDELETED: &'static str = "not deleted, still in the DLQ";

    async fn put(&self, _: &Letter) -> Result<(), BackendError> {
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub struct MovePlan {
    pub dlq_url: String,
    pub max: Option<u64>,
    /// Move only these (DLQ message ids, or the ids in the source queue).
    pub message_ids: Vec<String>,
    pub dry_run: bool,
    /// Messages per second, at most.
    pub rate: Option<u32>,
    /// Messages that entered the DLQ after this are left alone: one that
    /// fails again while the move runs must not keep it running for ever.
    pub cutoff: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveTally {
    pub moved: u64,
    /// Seen but not asked for (`--message-id`), or newer than the move.
    pub skipped: u64,
    /// Counted apart from `failures`: a native move task names none.
    pub failed: u64,
    pub failures: Vec<LetterFailure>,
    /// With `--dry-run`: the messages that would have moved.
    pub would_move: Vec<LetterView>,
    /// `--message-id`s no message in the DLQ answered to.
    pub not_found: Vec<String>,
    pub aborted: Option<String>,
}

impl MoveTally {
    /// Messages moved, failed or listed: what `--max` counts.
    fn taken(&self) -> u64 {
        self.moved + self.failed + self.would_move.len() as u64
    }
}

/// Runs `plan`, putting each message to `destination`; what went wrong is in the tally.
pub async fn safe_move<Q: Queues, D: Destination>(
    queues: &Q,
    destination: &D,
    plan: &MovePlan,
    progress: &ProgressBar,
) -> MoveTally {
    let mut tally = MoveTally::default();
    let mut scanner = Scanner::new(queues, &plan.dlq_url, MOVE_HOLD, Some(plan.cutoff));
    // Asked-for ids not met yet.
    let mut wanted: HashSet<&String> = plan.message_ids.iter().collect();
    let selective = !wanted.is_empty();
    let mut pacer = plan.rate.filter(|r| *r > 0).map(|r| {
        let mut pacer = tokio::time::interval(Duration::from_secs(1) / r);
        pacer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        pacer
    });
    let done = |tally: &MoveTally, wanted: &HashSet<_>| {
        plan.max.is_some_and(|max| tally.taken() >= max) || (selective && wanted.is_empty())
    };
    let passed: Result<(), BackendError> = async {
        while !done(&tally, &wanted) {
            let room = plan.max.map_or(MAX_BATCH as u64, |max| max - tally.taken());
            let room = room.min(MAX_BATCH as u64) as usize;
            // None: nothing older than the move left that we have not looked at.
            let Some(batch) = scanner.next_batch(room).await? else {
                break;
            };
            for letter in batch {
                if done(&tally, &wanted) {
                    // The rest of a batch received before the last wanted one.
                    scanner.leave(&letter);
                    continue;
                }
                let named = plan.message_ids.iter().filter(|id| letter.is_named(id));
                let named: Vec<&String> = named.collect();
                // A named message moves however new it is: each name moves
                // once, so it cannot keep the move going.
                if (selective && named.is_empty()) || (!selective && scanner.is_newer(&letter)) {
                    tally.skipped += 1;
                    scanner.leave(&letter);
                    continue;
                }
                for id in named {
                    wanted.remove(id);
                }
                if plan.dry_run {
                    tally.would_move.push(LetterView::of(&letter));
                    scanner.leave(&letter);
                } else {
                    if let Some(pacer) = &mut pacer {
                        pacer.tick().await;
                    }
                    match move_one(queues, destination, &plan.dlq_url, &letter).await {
                        Ok(()) => tally.moved += 1,
                        Err(reason) => {
                            tally.failed += 1;
                            tally.failures.push(LetterFailure::of(&letter, reason));
                            scanner.leave(&letter);
                        }
                    }
                }
                progress.inc(1);
            }
        }
        Ok(())
    }
    .await;
    tally.aborted = passed.err().map(|error| error_chain(&error));
    scanner.release().await;
    tally.not_found = wanted.into_iter().cloned().collect();
    tally.not_found.sort();
    tally
}

/// Puts `letter` to `destination`, then deletes it from the DLQ; why not, if either failed.
async fn move_one<Q: Queues, D: Destination>(
    queues: &Q,
    destination: &D,
    dlq_url: &str,
    letter: &Letter,
) -> Result<(), String> {
    let put = destination.put(letter).await;
    put.map_err(|e| format!("not sent, left in the DLQ: {}", error_chain(&e)))?;
    let deleted = queues.delete(dlq_url, &letter.receipt_handle).await;
    deleted.map_err(|e| format!("{}: {}", D::UNDELETED, error_chain(&e)))
}
