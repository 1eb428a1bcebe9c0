//! Setting aside a message that will not be processed, with the reason why.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;

use aws_lambda_events::sqs::SqsMessageAttribute;
use chrono::{DateTime, Utc};

use crate::BackendError;

/// The DLQ message attributes that carry a [`FailureNote`].
pub mod failure_attributes {
    pub const FAILURE_REASON: &str = "FailureReason";
    pub const FAILURE_KIND: &str = "FailureKind";
    /// ISO 8601, UTC.
    pub const FAILED_AT: &str = "FailedAt";
    pub const SOURCE_QUEUE: &str = "SourceQueue";
    pub const SOURCE_MESSAGE_ID: &str = "SourceMessageId";
    pub const RECEIVE_COUNT: &str = "ReceiveCount";
    pub const COMPONENT: &str = "Component";
}

/// Whether retrying a failed message could ever help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The message itself is wrong (not JSON, unknown schema): retrying repeats the failure.
    Permanent,
    /// Throttling, timeouts, a busy lock: a later attempt may succeed.
    Transient,
}

impl FailureKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            FailureKind::Permanent => "permanent",
            FailureKind::Transient => "transient",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why and where a message failed: what an operator reads in the DLQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureNote {
    /// The error and its cause chain, in one line.
    pub reason: String,
    pub kind: FailureKind,
    pub failed_at: DateTime<Utc>,
    /// The queue the message was consumed from (its name or ARN).
    pub source_queue: String,
    pub message_id: String,
    pub receive_count: u32,
    /// The worker that gave up on it (`email-worker`, …).
    pub component: String,
}

/// A message on its way to the dead-letter queue.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// The body exactly as received, so that a redrive replays it unchanged.
    pub body: String,
    pub attributes: HashMap<String, SqsMessageAttribute>,
    pub note: FailureNote,
}

pub trait DeadLetters: Send + Sync {
    /// Stores the letter; only once this succeeded may the original be deleted.
    fn send(&self, letter: &DeadLetter) -> impl Future<Output = Result<(), BackendError>> + Send;
}
