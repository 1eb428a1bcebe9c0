//! Reading a queue without consuming it.
//!
//! SQS has no "peek": a receive hides what it returns. A receive with a
//! visibility timeout of 0 would hide nothing, but then every receive may
//! return the same first messages and the scan never gets past them. So the
//! scan hides each message for [`PEEK_HOLD`] while it pages on, and makes
//! every one visible again as soon as it is done — whatever happened. If
//! orderctl dies mid-scan, the hold simply runs out.

use std::collections::HashMap;
use std::time::Duration;

use shared::ports::{BackendError, Letter, Queues, MAX_BATCH};

/// Long enough to page through a few hundred messages without meeting the
/// first ones again; short enough that a crashed scan delays nothing much.
pub const PEEK_HOLD: Duration = Duration::from_secs(30);

/// What a scan saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// Distinct messages, in the order SQS returned them.
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
    let mut letters: Vec<Letter> = Vec::new();
    // The newest receipt of each message: only it can change the visibility.
    let mut receipts: HashMap<String, String> = HashMap::new();
    let scanned = page(queues, queue_url, max, &mut letters, &mut receipts).await;
    let handles: Vec<String> = receipts.into_values().collect();
    if let Err(error) = queues.release(queue_url, &handles).await {
        tracing::warn!(
            error = %shared::telemetry::error_chain(&error),
            "peeked messages are visible again in at most {}s",
            PEEK_HOLD.as_secs()
        );
    }
    let complete = scanned?;
    Ok(Scan { letters, complete })
}

async fn page<Q: Queues>(
    queues: &Q,
    queue_url: &str,
    max: usize,
    letters: &mut Vec<Letter>,
    receipts: &mut HashMap<String, String>,
) -> Result<bool, BackendError> {
    while letters.len() < max {
        let want = (max - letters.len()).min(MAX_BATCH);
        let batch = queues.receive(queue_url, want, PEEK_HOLD).await?;
        if batch.is_empty() {
            return Ok(true);
        }
        let mut new = false;
        for letter in batch {
            let seen = receipts
                .insert(letter.message_id.clone(), letter.receipt_handle.clone())
                .is_some();
            if !seen {
                new = true;
                letters.push(letter);
            }
        }
        // Only messages seen before: their hold ran out, the rest is hidden.
        if !new {
            return Ok(true);
        }
    }
    Ok(false)
}
