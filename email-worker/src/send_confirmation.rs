//! The email worker's handler: one confirmation per event, however often it is
//! delivered. The event id is claimed until the attempt's deadline; another
//! attempt waits for that claim to complete or lapse. A customer gets the email
//! twice only if a send's reply is lost or the worker dies before recording it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ports::event::OrderCreated;
use ports::{
    error_chain, Admission, BackendError, Claim, ClaimRequest, ClaimToken, Completion,
    IdempotencyStore, Mailer, RecipientLimit, Sent,
};
use runtime::batch::{Delivery, EventHandler, RecordError};
use runtime::metrics::{counter, histogram, name};

use crate::confirmation;
use crate::pacer::Pacer;

/// Kept to record a send SES took: two DynamoDB attempts (`CallBudget::DATA`) and a pause.
const RECORD_RESERVE: Duration = Duration::from_secs(5);
/// Needed to start a send: one SES attempt (`CallBudget::MAIL`) and the record's reserve.
const SEND_AND_RECORD: Duration = Duration::from_secs(10);

/// How often an attempt waiting on another attempt's claim looks again.
const WAIT_STEP: Duration = Duration::from_millis(500);
/// The first pause before recording a send again; it doubles each time.
const FIRST_RECORD_RETRY: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub struct SendConfirmation<M, S, L> {
    mailer: M,
    claims: S,
    limit: L,
    pacer: Option<Pacer>,
}

impl<M: Mailer, S: IdempotencyStore, L: RecipientLimit> SendConfirmation<M, S, L> {
    pub fn new(mailer: M, claims: S, limit: L) -> Self {
        SendConfirmation {
            mailer,
            claims,
            limit,
            pacer: None,
        }
    }

    pub fn with_pacer(mut self, pacer: Pacer) -> Self {
        self.pacer = Some(pacer);
        self
    }

    /// Waits for the next send slot, if it leaves time to send and record by `deadline`.
    async fn wait_to_send(&self, deadline: DateTime<Utc>) -> Result<(), RecordError> {
        let left = ports::time_left(deadline);
        let Some(room) = left.checked_sub(SEND_AND_RECORD) else {
            return Err(RecordError::Backpressure(format!(
                "not sent: {left:?} of the attempt left, less than the {SEND_AND_RECORD:?} a send and its record need"
            )));
        };
        match &self.pacer {
            None => Ok(()),
            Some(pacer) if pacer.wait_for_slot(tokio::time::Instant::now() + room).await => Ok(()),
            Some(pacer) => Err(RecordError::Backpressure(format!(
                "not sent: this worker's share of the SES send rate (one send every {:?}) has no slot left in this attempt",
                pacer.interval()
            ))),
        }
    }

    /// Claims the event for this attempt: `Ok(false)` if it was already sent.
    async fn claim(
        &self,
        event: &OrderCreated,
        key: &str,
        token: ClaimToken,
        delivery: &Delivery,
    ) -> Result<bool, RecordError> {
        // The order id is the fingerprint: an event id always carries the same order.
        let fingerprint = event.order.order_id.to_string();
        loop {
            let request = ClaimRequest {
                key,
                fingerprint: &fingerprint,
                pending: "",
                token,
                hold_until: delivery.deadline,
                now: Utc::now(),
            };
            match self.claims.claim(&request).await? {
                Claim::Acquired { .. } => return Ok(true),
                Claim::Completed { result } => {
                    tracing::info!(sesMessageId = %result, "confirmation was already sent");
                    return Ok(false);
                }
                Claim::Mismatch => {
                    return Err(RecordError::Conflict(format!(
                        "event {} was already used for another order",
                        event.event_id
                    )))
                }
                // The holder finishes or lapses before our own deadline: wait.
                Claim::InProgress { until } if until < delivery.deadline => {
                    let wait = ports::time_left(until).clamp(Duration::from_millis(50), WAIT_STEP);
                    tokio::time::sleep(wait).await;
                }
                Claim::InProgress { .. } => {
                    return Err(RecordError::InProgress {
                        key: key.to_owned(),
                    })
                }
            }
        }
    }

    /// Not sent: gives the claim up for the next attempt, and passes `error` on.
    async fn release(&self, key: &str, token: ClaimToken, error: RecordError) -> RecordError {
        if let Err(release) = self.claims.release(key, token).await {
            tracing::warn!(error = %error_chain(&release), "could not release the claim; it lapses at the attempt's deadline");
        }
        error
    }

    /// Records the send, retrying while there is time: it keeps a redelivery from resending.
    async fn record_sent(&self, key: &str, token: ClaimToken, sent: &Sent, delivery: &Delivery) {
        let mut wait = FIRST_RECORD_RETRY;
        loop {
            let completed = self
                .claims
                .complete(key, token, &sent.message_id, Utc::now());
            match completed.await {
                Ok(Completion::Recorded) => return,
                Ok(Completion::Superseded) => {
                    tracing::warn!(
                        "confirmation sent, but the claim had lapsed and was taken over"
                    );
                    return;
                }
                Err(error) if Utc::now() + wait < delivery.deadline => {
                    tracing::warn!(error = %error_chain(&error), retryIn = ?wait, "confirmation sent but not yet recorded as sent");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                // Failing now would send the mail again: succeed; the claim lapses.
                Err(error) => {
                    tracing::error!(error = %error_chain(&error), "confirmation sent but could not be recorded as sent");
                    return;
                }
            }
        }
    }
}

impl<M: Mailer, S: IdempotencyStore, L: RecipientLimit> EventHandler for SendConfirmation<M, S, L> {
    async fn handle(&self, event: &OrderCreated, delivery: &Delivery) -> Result<(), RecordError> {
        let order = &event.order;
        // Rendered before claiming: nothing between claim and release may panic.
        let email = confirmation::render(order);
        let key = ports::email_key(event.event_id);
        let token = ClaimToken::random();
        if !self.claim(event, &key, token, delivery).await? {
            return Ok(());
        }
        let admitted = self
            .limit
            .admit(&order.customer_email, event.event_id, Utc::now());
        let ready = match admitted.await {
            Ok(Admission::Admitted) => self.wait_to_send(delivery.deadline).await,
            Ok(Admission::OverLimit { limit }) => {
                counter!(name::EMAILS_OVER_LIMIT).increment(1);
                Err(RecordError::OverLimit(format!(
                    "{} already got {limit} confirmations this hour; not sent",
                    order.customer_email
                )))
            }
            Err(error) => Err(error.into()),
        };
        if let Err(error) = ready {
            return Err(self.release(&key, token, error).await);
        }
        // Cut off in time to record: an unanswered send is handled as a lost reply.
        let send_for = ports::time_left(delivery.deadline).saturating_sub(RECORD_RESERVE);
        let sent = tokio::time::timeout(send_for, self.mailer.send(&email))
            .await
            .unwrap_or_else(|_| {
                let why = format!("SES did not answer within {send_for:?}");
                Err(BackendError::no_answer("SES.SendEmail", why))
            });
        match sent {
            Ok(sent) => {
                counter!(name::EMAILS_SENT).increment(1);
                let took = (Utc::now() - order.created_at).num_milliseconds().max(0);
                histogram!(name::ORDER_TO_EMAIL_MS).record(took as f64);
                tracing::info!(to = %order.customer_email, sesMessageId = %sent.message_id, "confirmation sent");
                self.record_sent(&key, token, &sent, delivery).await;
                Ok(())
            }
            Err(error) => {
                if !error.is_throttled() {
                    counter!(name::EMAILS_FAILED).increment(1);
                }
                Err(self.release(&key, token, error.into()).await)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ports::fakes::{
        order_created, InMemoryIdempotencyStore, InMemoryRecipientLimit, RecordingMailer,
    };
    use ports::{BackendError, Claim, ClaimRequest, ClaimToken, Completion, FailureKind};

    use super::*;

    fn delivery() -> Delivery {
        Delivery {
            message_id: "m-1".to_owned(),
            receive_count: 1,
            deadline: Utc::now() + Duration::from_secs(60),
        }
    }

    #[tokio::test]
    async fn an_event_delivered_three_times_sends_one_email() {
        let handler = SendConfirmation::new(
            RecordingMailer::default(),
            InMemoryIdempotencyStore::default(),
            InMemoryRecipientLimit::default(),
        );
        let event = order_created();

        for _ in 0..3 {
            handler.handle(&event, &delivery()).await.expect("handled");
        }

        let sent = handler.mailer.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to.as_str(), "ada@example.com");
        assert_eq!(
            sent[0].subject,
            format!("Order Confirmation - Order #{}", event.order.order_id)
        );
    }

    #[tokio::test]
    async fn two_events_send_two_emails() {
        let handler = SendConfirmation::new(
            RecordingMailer::default(),
            InMemoryIdempotencyStore::default(),
            InMemoryRecipientLimit::default(),
        );

        handler
            .handle(&order_created(), &delivery())
            .await
            .expect("handled");
        handler
            .handle(&order_created(), &delivery())
            .await
            .expect("handled");

        assert_eq!(handler.mailer.sent().len(), 2);
    }

    #[tokio::test]
    async fn a_throttled_send_releases_the_claim_so_the_retry_sends() {
        let throttled = BackendError::new("SES.SendEmail", true, "Throttling");
        let handler = SendConfirmation::new(
            RecordingMailer::failing_with([throttled]),
            InMemoryIdempotencyStore::default(),
            InMemoryRecipientLimit::default(),
        );
        let event = order_created();

        let error = handler
            .handle(&event, &delivery())
            .await
            .expect_err("throttled");
        assert_eq!(error.kind(), FailureKind::Transient);

        handler
            .handle(&event, &delivery())
            .await
            .expect("the retry sends");
        assert_eq!(handler.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_rejected_message_is_retried_with_its_reason_and_the_claim_released() {
        let rejected = BackendError::new(
            "SES.SendEmail",
            false,
            "MessageRejected: Email address is not verified.",
        );
        let handler = SendConfirmation::new(
            RecordingMailer::failing_with([rejected]),
            InMemoryIdempotencyStore::default(),
            InMemoryRecipientLimit::default(),
        );

        let error = handler
            .handle(&order_created(), &delivery())
            .await
            .expect_err("rejected");

        // An unverified sender can be verified while SQS retries.
        assert_eq!(error.kind(), FailureKind::Transient);
        assert!(error_chain(&error).contains("not verified"));
        handler
            .handle(&order_created(), &delivery())
            .await
            .expect("once SES accepts it, the retry sends");
        assert_eq!(handler.mailer.sent().len(), 1);
    }

    /// Claims the event's key for another attempt, held until `until`.
    async fn held_elsewhere(
        claims: &InMemoryIdempotencyStore,
        event: &OrderCreated,
        until: chrono::DateTime<Utc>,
    ) -> ClaimToken {
        let token = ClaimToken::random();
        let held = claims
            .claim(&ClaimRequest {
                key: &ports::email_key(event.event_id),
                fingerprint: &event.order.order_id.to_string(),
                pending: "",
                token,
                hold_until: until,
                now: Utc::now(),
            })
            .await
            .expect("claimed");
        assert!(matches!(held, Claim::Acquired { .. }));
        token
    }

    #[tokio::test]
    async fn an_event_held_by_another_attempt_beyond_our_deadline_is_retried_later() {
        let claims = InMemoryIdempotencyStore::default();
        let event = order_created();
        held_elsewhere(&claims, &event, Utc::now() + chrono::Duration::minutes(5)).await;
        let handler = SendConfirmation::new(
            RecordingMailer::default(),
            claims,
            InMemoryRecipientLimit::default(),
        );

        let error = handler.handle(&event, &delivery()).await.expect_err("busy");

        assert!(matches!(error, RecordError::InProgress { .. }));
        assert_eq!(error.kind(), FailureKind::Transient);
        assert!(handler.mailer.sent().is_empty());
    }

    #[tokio::test]
    async fn the_claim_of_an_attempt_that_died_is_waited_out_and_taken_over_without_failing() {
        let claims = InMemoryIdempotencyStore::default();
        let event = order_created();
        held_elsewhere(
            &claims,
            &event,
            Utc::now() + chrono::Duration::milliseconds(300),
        )
        .await;
        let handler = SendConfirmation::new(
            RecordingMailer::default(),
            claims,
            InMemoryRecipientLimit::default(),
        );

        handler
            .handle(&event, &delivery())
            .await
            .expect("sent once the dead attempt's claim lapsed");

        assert_eq!(handler.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn an_attempt_waiting_on_a_live_one_sends_nothing_once_that_one_has_sent() {
        let claims = InMemoryIdempotencyStore::default();
        let event = order_created();
        let other =
            held_elsewhere(&claims, &event, Utc::now() + chrono::Duration::seconds(20)).await;
        let handler = SendConfirmation::new(
            RecordingMailer::default(),
            claims.clone(),
            InMemoryRecipientLimit::default(),
        );

        let key = ports::email_key(event.event_id);
        let delivery = delivery();
        let (handled, completed) = tokio::join!(handler.handle(&event, &delivery), async {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            claims
                .complete(&key, other, "ses-by-the-other", Utc::now())
                .await
        });

        handled.expect("done: the other attempt sent it");
        assert_eq!(completed.expect("recorded"), Completion::Recorded);
        assert!(handler.mailer.sent().is_empty());
    }

    #[tokio::test]
    async fn a_send_whose_recording_fails_at_first_is_recorded_on_a_retry_and_never_sent_again() {
        let claims = InMemoryIdempotencyStore::default();
        claims.fail_next_completions(2);
        let handler = SendConfirmation::new(
            RecordingMailer::default(),
            claims,
            InMemoryRecipientLimit::default(),
        );
        let event = order_created();

        handler
            .handle(&event, &delivery())
            .await
            .expect("sent and recorded");
        handler
            .handle(&event, &delivery())
            .await
            .expect("a redelivery");

        assert_eq!(handler.mailer.sent().len(), 1);
        assert_eq!(
            handler
                .claims
                .result(&ports::email_key(event.event_id))
                .as_deref(),
            Some("ses-1")
        );
    }

    #[tokio::test]
    async fn an_event_id_reused_for_another_order_is_refused() {
        let handler = SendConfirmation::new(
            RecordingMailer::default(),
            InMemoryIdempotencyStore::default(),
            InMemoryRecipientLimit::default(),
        );
        let first = order_created();
        let mut reused = order_created();
        reused.event_id = first.event_id;

        handler.handle(&first, &delivery()).await.expect("handled");
        let error = handler
            .handle(&reused, &delivery())
            .await
            .expect_err("conflict");

        assert_eq!(error.kind(), FailureKind::Permanent);
        assert_eq!(handler.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn an_address_over_its_limit_gets_nothing_and_the_event_is_dead_lettered_with_the_reason()
    {
        let handler = SendConfirmation::new(
            RecordingMailer::default(),
            InMemoryIdempotencyStore::default(),
            InMemoryRecipientLimit::new(2),
        );
        let (first, second, third) = (order_created(), order_created(), order_created());

        for event in [&first, &second, &first] {
            handler
                .handle(event, &delivery())
                .await
                .expect("within the limit");
        }
        let error = handler
            .handle(&third, &delivery())
            .await
            .expect_err("over the limit");

        assert_eq!(
            handler.mailer.sent().len(),
            2,
            "a redelivery never counts twice"
        );
        assert_eq!(error.kind(), FailureKind::Permanent);
        let reason = error_chain(&error);
        assert!(
            reason.contains("a***@example.com already got 2 confirmations"),
            "{reason}"
        );
        assert!(!reason.contains("ada@"), "{reason}");
    }

    #[tokio::test]
    async fn a_send_without_time_left_to_record_it_is_held_back_and_its_claim_released() {
        let handler = SendConfirmation::new(
            RecordingMailer::default(),
            InMemoryIdempotencyStore::default(),
            InMemoryRecipientLimit::default(),
        );
        let event = order_created();
        let late = Delivery {
            deadline: Utc::now() + chrono::Duration::seconds(3),
            ..delivery()
        };

        let error = handler.handle(&event, &late).await.expect_err("held back");

        assert!(matches!(error, RecordError::Backpressure(_)), "{error:?}");
        assert!(error.is_throttled(), "back-pressure, not a failure");
        assert!(handler.mailer.sent().is_empty());
        handler
            .handle(&event, &delivery())
            .await
            .expect("the next attempt claims it at once and sends");
        assert_eq!(handler.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_worker_whose_share_of_the_send_rate_is_used_up_holds_the_rest_back() {
        // One send a second: in an attempt with 10.5 s left, the first slot is
        // the only one before the last moment a send may start.
        let handler = SendConfirmation::new(
            RecordingMailer::default(),
            InMemoryIdempotencyStore::default(),
            InMemoryRecipientLimit::new(100),
        )
        .with_pacer(crate::Pacer::new(1, 1));
        let deadline = Utc::now() + chrono::Duration::milliseconds(10_500);
        let attempt = |id: &str| Delivery {
            message_id: id.to_owned(),
            deadline,
            ..delivery()
        };
        let (first, second) = (order_created(), order_created());

        handler.handle(&first, &attempt("m-1")).await.expect("sent");
        let error = handler
            .handle(&second, &attempt("m-2"))
            .await
            .expect_err("no slot left");

        assert!(error.is_throttled(), "{error:?}");
        assert_eq!(handler.mailer.sent().len(), 1);
    }
}
