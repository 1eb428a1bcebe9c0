//! Why a record failed, and the one place that decides whether that is worth
//! retrying, and how long to wait first.

use std::time::Duration;

use ports::event::EventError;
use ports::{BackendError, FailureKind};

/// A record's failure: the runner retries it, or dead-letters it with this as the reason.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Not JSON, or not an event this build reads (`eventType`, `schemaVersion`).
    #[error("unreadable message")]
    Unreadable(#[from] EventError),
    /// A store, a queue or the mail service failed or refused: see [`RecordError::kind`].
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// Another attempt's unexpired claim holds the work for this key.
    #[error("another attempt is handling {key}")]
    InProgress { key: String },
    /// An event id reused for another order: no retry can reconcile it.
    #[error("{0}")]
    Conflict(String),
    /// The address got all the mails it may in this window (`ports::RecipientLimit`):
    /// dead-lettered at once, so an operator sees the flood and may redrive later.
    #[error("{0}")]
    OverLimit(String),
    /// A bug, perhaps a passing one: retried.
    #[error("the handler panicked: {0}")]
    Panicked(String),
    #[error("the handler did not finish before the attempt's deadline")]
    TimedOut,
    /// The handler held back: its dependency's rate is used up (SES's send
    /// rate), or too little of the attempt is left to finish what it would start.
    #[error("{0}")]
    Backpressure(String),
}

impl RecordError {
    /// Only a message that can never succeed is permanent. A backend's refusal (an
    /// unverified sender, a deleted table) an operator can fix while SQS retries.
    pub fn kind(&self) -> FailureKind {
        match self {
            RecordError::Unreadable(_) | RecordError::Conflict(_) | RecordError::OverLimit(_) => {
                FailureKind::Permanent
            }
            RecordError::Backend(_)
            | RecordError::InProgress { .. }
            | RecordError::Panicked(_)
            | RecordError::TimedOut
            | RecordError::Backpressure(_) => FailureKind::Transient,
        }
    }

    /// A dependency asked us to slow down, or the handler held back for it.
    pub fn is_throttled(&self) -> bool {
        match self {
            RecordError::Backend(backend) => backend.is_throttled(),
            RecordError::Backpressure(_) => true,
            _ => false,
        }
    }
}

/// A transient failure's wait before SQS delivers the record again: `first × 2^(n−1)` after
/// the n-th receive, at most `max`, plus up to a quarter more at random (never less). With
/// `maxReceiveCount` 10 and the production values (60 s, 2 h), the nine waits before the last
/// receive add up to at least 22,020 s: six hours of outage dead-letter nothing
/// (infra/README.md, "Retries").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

/// SQS's longest visibility timeout: 12 hours.
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);

impl Backoff {
    /// The wait after the `receive_count`-th receive failed, without jitter.
    pub fn base(&self, receive_count: u32) -> Duration {
        let doublings = receive_count.saturating_sub(1).min(30);
        self.first
            .saturating_mul(1u32 << doublings)
            .min(self.max)
            .min(MAX_VISIBILITY)
    }

    /// [`Backoff::base`] plus `jitter` (0.0–1.0) of a quarter of it.
    pub fn delay(&self, receive_count: u32, jitter: f64) -> Duration {
        let base = self.base(receive_count);
        (base + base.mul_f64(jitter.clamp(0.0, 1.0) / 4.0)).min(MAX_VISIBILITY)
    }
}

/// Whether a failed record goes to the DLQ now: a permanent failure at once; a
/// transient one on the receive on which SQS would give up, to keep its reason.
pub fn dead_letter_now(kind: FailureKind, receive_count: u32, max_receive_count: u32) -> bool {
    kind == FailureKind::Permanent || receive_count >= max_receive_count
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRODUCTION: Backoff = Backoff {
        first: Duration::from_secs(60),
        max: Duration::from_secs(7200),
    };

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
    fn the_backoff_doubles_from_a_minute_to_two_hours_and_covers_six_hours_in_ten_receives() {
        let backoff = PRODUCTION;
        let waits: Vec<u64> = (1..=9).map(|n| backoff.base(n).as_secs()).collect();
        assert_eq!(
            waits,
            [60, 120, 240, 480, 960, 1920, 3840, 7200, 7200],
            "the waits before receives 2..=10"
        );
        assert!(waits.iter().sum::<u64>() >= 6 * 3600);
        assert_eq!(backoff.base(40), Duration::from_secs(7200));
    }

    #[test]
    fn jitter_only_adds_up_to_a_quarter() {
        let backoff = PRODUCTION;
        assert_eq!(backoff.delay(1, 0.0), Duration::from_secs(60));
        assert_eq!(backoff.delay(1, 1.0), Duration::from_secs(75));
        assert_eq!(backoff.delay(1, 7.0), Duration::from_secs(75));
        let long = Backoff {
            first: Duration::from_secs(40_000),
            max: Duration::from_secs(100_000),
        };
        assert_eq!(long.delay(1, 1.0), MAX_VISIBILITY, "SQS's ceiling");
    }

    #[test]
    fn throttling_and_holding_back_are_told_apart_from_failures() {
        let throttled = BackendError::new("SES.SendEmail", true, "Throttling")
            .with_fault(ports::Fault::Throttled);
        assert!(RecordError::from(throttled).is_throttled());
        assert!(RecordError::Backpressure("rate used up".into()).is_throttled());
        assert!(!backend(true).is_throttled());
        assert_eq!(
            RecordError::Backpressure("x".into()).kind(),
            FailureKind::Transient
        );
    }

    #[test]
    fn a_transient_failure_is_retried_until_the_last_attempt() {
        use FailureKind::*;
        assert!(!dead_letter_now(Transient, 1, 3));
        assert!(!dead_letter_now(Transient, 2, 3));
        assert!(dead_letter_now(Transient, 3, 3));
        // A message redriven from the DLQ keeps counting in its new queue.
        assert!(dead_letter_now(Transient, 7, 3));
        assert!(dead_letter_now(Permanent, 1, 3));
    }
}
