//! Going through a queue batch by batch without losing track. SQS has no "peek": a receive
//! hides what it returns, and one with a visibility timeout of 0 may return the same first
//! messages every time. So a [`Scanner`] hides each message it receives for a while (its hold)
//! and makes the ones left visible again once done; if orderctl dies mid-scan, the hold runs out.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ports::{error_chain, BackendError};

use crate::queues::{Letter, Queues, MAX_BATCH};

/// Long enough to page through a few hundred messages without meeting the
/// first ones again; short enough that a crashed scan delays nothing much.
pub const PEEK_HOLD: Duration = Duration::from_secs(30);

/// Receives in a row with nothing sent before the cut-off that end a scan with one: SQS answers
/// with a sample, so one proves nothing; a few in a row, the newer ones held meanwhile, do.
const PATIENCE: u32 = 3;

/// Receives a queue's messages once each, holding those left until [`Scanner::release`].
#[derive(Debug)]
pub struct Scanner<'a, Q> {
    queues: &'a Q,
    queue_url: &'a str,
    hold: Duration,
    /// Without one, the scan ends at the first receive that brings nothing new;
    /// with one, after `PATIENCE` receives in a row brought nothing older.
    cutoff: Option<DateTime<Utc>>,
    /// Receives in a row that brought nothing to work on.
    quiet: u32,
    seen: HashSet<String>,
    /// The newest receipt of each message left in the queue: only it can change the visibility.
    held: HashMap<String, String>,
}

impl<'a, Q: Queues> Scanner<'a, Q> {
    pub fn new(
        queues: &'a Q,
        queue_url: &'a str,
        hold: Duration,
        cutoff: Option<DateTime<Utc>>,
    ) -> Self {
        Scanner {
            queues,
            queue_url,
            hold,
            cutoff,
            quiet: 0,
            seen: HashSet::new(),
            held: HashMap::new(),
        }
    }

    /// Whether `letter` entered the queue after the cut-off (no `SentTimestamp`: before).
    pub fn is_newer(&self, letter: &Letter) -> bool {
        self.cutoff
            .is_some_and(|cutoff| letter.sent_at.is_some_and(|at| at > cutoff))
    }

    /// Up to `max` (at most 10) messages not received before, or `None` once
    /// the scan is over. [`Scanner::leave`] the ones that stay in the queue.
    pub async fn next_batch(&mut self, max: usize) -> Result<Option<Vec<Letter>>, BackendError> {
        let patience = if self.cutoff.is_some() { PATIENCE } else { 1 };
        if self.quiet >= patience {
            return Ok(None);
        }
        let batch = self
            .queues
            .receive(self.queue_url, max.min(MAX_BATCH), self.hold)
            .await?;
        let mut new = Vec::new();
        for letter in batch {
            if self.seen.insert(letter.message_id.clone()) {
                new.push(letter);
            } else {
                // Its hold ran out while we paged on: hold it again.
                self.leave(&letter);
            }
        }
        let progress = new.iter().any(|letter| !self.is_newer(letter));
        self.quiet = if progress { 0 } else { self.quiet + 1 };
        Ok(Some(new))
    }

    /// Leaves `letter` in the queue, hidden until the release (else it comes back).
    pub fn leave(&mut self, letter: &Letter) {
        self.held
            .insert(letter.message_id.clone(), letter.receipt_handle.clone());
    }

    /// Makes the messages left visible again; if that fails (logged), their hold ends it.
    pub async fn release(self) {
        let handles: Vec<String> = self.held.into_values().collect();
        if let Err(error) = self.queues.release(self.queue_url, &handles).await {
            tracing::warn!(
                error = %error_chain(&error),
                "messages left in the queue are visible again in at most {}s",
                self.hold.as_secs()
            );
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    pub letters: Vec<Letter>,
    /// Whether the queue ran out of visible messages before `max` was reached.
    pub complete: bool,
}

/// Up to `max` messages of the queue, left in it and visible again.
pub async fn peek<Q: Queues>(
    queues: &Q,
    queue_url: &str,
    max: usize,
) -> Result<Scan, BackendError> {
    let mut scanner = Scanner::new(queues, queue_url, PEEK_HOLD, None);
    let mut letters: Vec<Letter> = Vec::new();
    let scanned: Result<bool, BackendError> = async {
        while letters.len() < max {
            let Some(batch) = scanner.next_batch(max - letters.len()).await? else {
                return Ok(true);
            };
            for letter in batch {
                scanner.leave(&letter);
                letters.push(letter);
            }
        }
        Ok(false)
    }
    .await;
    scanner.release().await;
    let complete = scanned?;
    Ok(Scan { letters, complete })
}
