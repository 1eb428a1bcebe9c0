//! Why a record failed, and the one place that decides whether that is worth
//! retrying.

use crate::event::EventError;
use crate::ports::{BackendError, FailureKind};

/// A record's failure. Handlers return it; the runner settles it: retry, or
/// move the message to the DLQ with this error as the reason.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Not an event this build can read (not JSON, wrong schema, unknown
    /// `eventType` or `schemaVersion`).
    #[error("unreadable message")]
    Unreadable(#[from] EventError),
    /// A store, a queue or the mail service failed or refused. Always retried:
    /// see [`RecordError::kind`].
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// Another attempt holds the work for this key and its claim has not
    /// expired: try again once it has finished or given up.
    #[error("another attempt is handling {key}")]
    InProgress { key: String },
    /// The message contradicts what was recorded before (an event id reused
    /// for another order): no retry can reconcile it.
    #[error("{0}")]
    Conflict(String),
    /// The address already got as many mails as it may in this window
    /// (`shared::ports::RecipientLimit`): not retried, but dead-lettered with
    /// the reason, so an operator sees the flood and may redrive later.
    #[error("{0}")]
    OverLimit(String),
    /// The handler panicked. A bug, perhaps a passing one: retried, and
    /// dead-lettered with the panic message on the last attempt.
    #[error("the handler panicked: {0}")]
    Panicked(String),
    /// The attempt's time ran out (a slow backend): retried.
    #[error("the handler did not finish before the attempt's deadline")]
    TimedOut,
}

impl RecordError {
    /// Only a message that can never succeed is permanent. A backend's refusal
    /// (SES `MessageRejected` for an unverified sender, a missing permission, a
    /// deleted table) depends on the environment, which an operator can fix
    /// while SQS retries; its `transient` flag only says how likely that is. On
    /// the last attempt the runner dead-letters it with the reason.
    pub fn kind(&self) -> FailureKind {
        match self {
            RecordError::Unreadable(_) | RecordError::Conflict(_) | RecordError::OverLimit(_) => {
                FailureKind::Permanent
            }
            RecordError::Backend(_)
            | RecordError::InProgress { .. }
            | RecordError::Panicked(_)
            | RecordError::TimedOut => FailureKind::Transient,
        }
    }
}

/// What happens to a failed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Report it as a batch item failure: SQS delivers it again.
    Retry,
    /// Send it to the DLQ with its reason, then let it be deleted.
    DeadLetter,
}

/// A permanent failure goes to the DLQ at once; a transient one is retried
/// until the receive on which SQS would give up, when the worker moves it
/// itself so that the reason travels with it.
pub fn disposition(kind: FailureKind, receive_count: u32, max_receive_count: u32) -> Disposition {
    match kind {
        FailureKind::Permanent => Disposition::DeadLetter,
        FailureKind::Transient if receive_count >= max_receive_count => Disposition::DeadLetter,
        FailureKind::Transient => Disposition::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(transient: bool) -> RecordError {
        BackendError::new("SES.SendEmail", transient, "boom").into()
    }

    #[test]
    fn only_unreadable_messages_and_conflicts_are_permanent() {
        assert_eq!(
            RecordError::from(EventError::NotAnEvent("x".into())).kind(),
            FailureKind::Permanent
        );
        assert_eq!(
            RecordError::Conflict("reused".into()).kind(),
            FailureKind::Permanent
        );
    }

    #[test]
    fn backend_failures_busy_claims_and_panics_are_retried() {
        assert_eq!(backend(true).kind(), FailureKind::Transient);
        assert_eq!(
            backend(false).kind(),
            FailureKind::Transient,
            "a refusal such as an unverified sender heals once an operator fixes it"
        );
        assert_eq!(
            RecordError::InProgress {
                key: "email#1".into()
            }
            .kind(),
            FailureKind::Transient
        );
        assert_eq!(
            RecordError::Panicked("oops".into()).kind(),
            FailureKind::Transient
        );
    }

    #[test]
    fn a_transient_failure_is_retried_until_the_last_attempt() {
        use Disposition::*;
        use FailureKind::*;
        assert_eq!(disposition(Transient, 1, 3), Retry);
        assert_eq!(disposition(Transient, 2, 3), Retry);
        assert_eq!(disposition(Transient, 3, 3), DeadLetter);
        // A message redriven from the DLQ keeps counting in its new queue.
        assert_eq!(disposition(Transient, 7, 3), DeadLetter);
        assert_eq!(disposition(Permanent, 1, 3), DeadLetter);
    }
}
