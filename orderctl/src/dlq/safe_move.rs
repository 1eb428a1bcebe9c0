//! The safe move: receive from the DLQ, put the message where it goes back
//! to (its source queue, or the topic for the delivery DLQ), and only once
//! that succeeded delete it from the DLQ.
//!
//! A crash between send and delete leaves the message in both queues — it is
//! delivered twice, which the workers are built for (idempotent by event
//! id) — but no step can lose one. A message whose send failed is never
//! deleted; it is made visible in the DLQ again.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use ports::event::OrderCreated;
use ports::{BackendError, EventPublisher};

use crate::queues::{Letter, Queues, MAX_BATCH};
use ports::error_chain;
use tokio::time::Instant;

use super::letter::{LetterFailure, LetterView};
use super::scan::Scanner;

/// How long a message being moved stays hidden: far longer than one send
/// and one delete take, so that nobody else moves it meanwhile.
const MOVE_HOLD: Duration = Duration::from_secs(60);

/// Where a moved message goes back to.
pub trait Destination: Send + Sync {
    fn put(&self, letter: &Letter) -> impl Future<Output = Result<(), BackendError>> + Send;
}

/// The source queue: the body and the original attributes, as received.
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

/// The topic, for what SNS could not deliver: the body must be an order
/// event, published again as order-api published it. Both workers drop an
/// event they already handled, so the queue that did get it sees no change.
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

/// What to move.
#[derive(Debug, Clone)]
pub struct MovePlan {
    pub dlq_url: String,
    /// Move at most this many.
    pub max: Option<u64>,
    /// Move only these (DLQ message ids, or the ids in the source queue).
    pub message_ids: Vec<String>,
    /// Report what would move, move nothing.
    pub dry_run: bool,
    /// Messages per second, at most.
    pub rate: Option<u32>,
    /// Messages that entered the DLQ after this are left alone: one that
    /// fails again while the move runs must not keep it running for ever.
    pub cutoff: DateTime<Utc>,
}

/// What the move did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoveTally {
    pub moved: u64,
    /// Seen but not asked for (`--message-id`), or newer than the move.
    pub skipped: u64,
    pub failures: Vec<LetterFailure>,
    /// With `--dry-run`: the messages that would have moved.
    pub would_move: Vec<LetterView>,
    /// `--message-id`s no message in the DLQ answered to.
    pub not_found: Vec<String>,
    /// Why the move stopped early, if it did.
    pub aborted: Option<String>,
}

/// Spaces calls `1/rate` seconds apart; no limit without a rate.
#[derive(Debug)]
pub struct Pacer {
    interval: Option<Duration>,
    next: Option<Instant>,
}

impl Pacer {
    pub fn new(per_second: Option<u32>) -> Pacer {
        Pacer {
            interval: per_second
                .filter(|r| *r > 0)
                .map(|r| Duration::from_secs(1) / r),
            next: None,
        }
    }

    pub async fn wait(&mut self) {
        let Some(interval) = self.interval else {
            return;
        };
        let now = Instant::now();
        let at = self.next.filter(|t| *t > now).unwrap_or(now);
        tokio::time::sleep_until(at).await;
        self.next = Some(at + interval);
    }
}

/// Runs `plan`, putting each message to `destination`; never fails as a
/// whole — what went wrong is in the tally.
pub async fn safe_move<Q: Queues, D: Destination>(
    queues: &Q,
    destination: &D,
    plan: &MovePlan,
    progress: &ProgressBar,
) -> MoveTally {
    let mut run = Run {
        queues,
        destination,
        plan,
        progress,
        tally: MoveTally::default(),
        pacer: Pacer::new(plan.rate),
        scanner: Scanner::new(queues, &plan.dlq_url, MOVE_HOLD).until(plan.cutoff),
        wanted: plan.message_ids.iter().cloned().collect(),
    };
    if let Err(error) = run.pass().await {
        run.tally.aborted = Some(error_chain(&error));
    }
    run.scanner.release().await;
    let mut not_found: Vec<String> = run.wanted.into_iter().collect();
    not_found.sort();
    run.tally.not_found = not_found;
    run.tally
}

struct Run<'a, Q, D> {
    queues: &'a Q,
    destination: &'a D,
    plan: &'a MovePlan,
    progress: &'a ProgressBar,
    tally: MoveTally,
    pacer: Pacer,
    /// The DLQ, batch by batch; what stays in it is held until the end.
    scanner: Scanner<'a, Q>,
    /// Asked-for ids not met yet.
    wanted: HashSet<String>,
}

impl<Q: Queues, D: Destination> Run<'_, Q, D> {
    /// Messages moved, failed or listed: what `--max` counts.
    fn taken(&self) -> u64 {
        self.tally.moved + self.tally.failures.len() as u64 + self.tally.would_move.len() as u64
    }

    fn done(&self) -> bool {
        let selective = !self.plan.message_ids.is_empty();
        self.plan.max.is_some_and(|max| self.taken() >= max)
            || (selective && self.wanted.is_empty())
    }

    async fn pass(&mut self) -> Result<(), BackendError> {
        while !self.done() {
            let room = self
                .plan
                .max
                .map_or(MAX_BATCH as u64, |max| max - self.taken());
            let batch = self
                .scanner
                .next_batch(room.min(MAX_BATCH as u64) as usize)
                .await?;
            // None: nothing older than the move left that we have not looked at.
            let Some(batch) = batch else {
                break;
            };
            for letter in batch {
                self.consider(letter).await;
            }
        }
        Ok(())
    }

    async fn consider(&mut self, letter: Letter) {
        if self.done() {
            // The rest of a batch received before the last wanted one.
            self.scanner.leave(&letter);
            return;
        }
        let selective = !self.plan.message_ids.is_empty();
        let named: Vec<&String> = self
            .plan
            .message_ids
            .iter()
            .filter(|id| letter.is_named(id))
            .collect();
        // A named message moves however new it is: each name moves once,
        // so it cannot keep the move going.
        let newer = !selective && self.scanner.is_newer(&letter);
        if (selective && named.is_empty()) || newer {
            self.tally.skipped += 1;
            self.scanner.leave(&letter);
            return;
        }
        for id in named {
            self.wanted.remove(id);
        }
        if self.plan.dry_run {
            self.tally.would_move.push(LetterView::of(&letter));
            self.scanner.leave(&letter);
        } else {
            self.pacer.wait().await;
            self.move_one(letter).await;
        }
        self.progress.inc(1);
    }

    async fn move_one(&mut self, letter: Letter) {
        let failure = |reason: String| LetterFailure::of(&letter, reason);
        if let Err(error) = self.destination.put(&letter).await {
            let reason = format!("not sent, left in the DLQ: {}", error_chain(&error));
            self.tally.failures.push(failure(reason));
            self.scanner.leave(&letter);
            return;
        }
        match self
            .queues
            .delete(&self.plan.dlq_url, &letter.receipt_handle)
            .await
        {
            Ok(()) => self.tally.moved += 1,
            Err(error) => {
                let reason = format!(
                    "put back but still in the DLQ (it will be delivered twice; \
                     the workers ignore the second): {}",
                    error_chain(&error)
                );
                self.tally.failures.push(failure(reason));
            }
        }
    }
}
