//! The email worker's handler: one confirmation per event, however often the
//! event is delivered.
//!
//! The event id is claimed in the idempotency store (`email#<eventId>`) with
//! this attempt's own token until its deadline, and marked done with SES's
//! message id after sending. Another attempt on the same event (a redelivery
//! while this one runs, or after this one's worker died) waits for the claim
//! to be completed or to lapse, within its own deadline, instead of failing.
//! An address gets at most a few confirmations an hour
//! (`ports::RecipientLimit`), so the public endpoint cannot flood an
//! inbox; one over the limit is dead-lettered with the reason, not sent.
//! The one window in which a customer may get the email twice is a send
//! whose reply was lost, or a worker dying between sending and recording —
//! instead of never.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ports::error_chain;
use ports::event::OrderCreated;
use ports::{
    Admission, BackendError, Claim, ClaimRequest, ClaimToken, Completion, Fault, IdempotencyStore,
    Mailer, RecipientLimit, Sent,
};
use runtime::batch::{Delivery, EventHandler, RecordError};
use runtime::metrics::{counter, histogram, name};

use crate::confirmation;
use crate::pacer::Pacer;

/// Kept for recording a send once SES took it: two DynamoDB attempts
/// (`CallBudget::DATA`) and a pause between them. A send is cut off early
/// enough to leave this, so its claim is never abandoned mid-way.
const RECORD_RESERVE: Duration = Duration::from_secs(5);
/// A send is started only if this much of the attempt is left: one SES
/// attempt (`CallBudget::MAIL`) and the record's reserve.
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
    /// Spaces the sends to this worker's share of the SES rate; none: unpaced.
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

    /// Sends no faster than `pacer` allows.
    pub fn with_pacer(mut self, pacer: Pacer) -> Self {
        self.pacer = Some(pacer);
        self
    }

    /// Waits for this worker's next send slot, if one comes early enough to
    /// send and record the send before `deadline`; otherwise why not.
    async fn wait_to_send(&self, deadline: DateTime<Utc>) -> Result<(), RecordError> {
        let left = (deadline - Utc::now()).to_std().unwrap_or_default();
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

    /// Claims the event for this attempt. `Ok(true)`: ours to send;
    /// `Ok(false)`: already sent.
    async fn claim(
        &self,
        event: &OrderCreated,
        key: &str,
        token: ClaimToken,
        delivery: &Delivery,
    ) -> Result<bool, RecordError> {
        // The order id is the fingerprint: the same event id must always
        // carry the same order.
        let fingerprint = event.order.order_id.to_string();
        loop {
            let now = Utc::now();
            let request = ClaimRequest {
                key,
                fingerprint: &fingerprint,
                pending: "",
                token,
                hold_until: delivery.deadline,
                now,
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
                    let wait = (until - now).to_std().unwrap_or_default().min(WAIT_STEP);
                    tokio::time::sleep(wait.max(Duration::from_millis(50))).await;
                }
                Claim::InProgress { .. } => {
                    return Err(RecordError::InProgress {
                        key: key.to_owned(),
                    })
                }
            }
        }
    }

    /// Records that SES took the mail, retrying while the attempt has time:
    /// the record is what keeps a redelivery from sending it again.
    async fn record_sent(&self, key: &str, token: ClaimToken, sent: &Sent, delivery: &Delivery) {
        let mut wait = FIRST_RECORD_RETRY;
        loop {
            match self
                .claims
                .complete(key, token, &sent.message_id, Utc::now())
                .await
            {
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
                // Failing the record now would send the mail again; the
                // message is settled and the claim lapses at the deadline.
                Err(error) => {
                    tracing::error!(error = %error_chain(&error), "confirmation sent but could not be recorded as sent");
                    return;
                }
            }
        }
    }
}

/// A mail the address's hourly limit stops, counted.
fn over_limit(reason: String) -> RecordError {
    counter!(name::EMAILS_OVER_LIMIT).increment(1);
    RecordError::OverLimit(reason)
}

/// The idempotency key of an event's confirmation.
pub fn claim_key(event: &OrderCreated) -> String {
    ports::email_key(event.event_id)
}

impl<M: Mailer, S: IdempotencyStore, L: RecipientLimit> EventHandler for SendConfirmation<M, S, L> {
    async fn handle(&self, event: &OrderCreated, delivery: &Delivery) -> Result<(), RecordError> {
        let order = &event.order;
        // Rendered before claiming: nothing between claim and release may panic.
        let email = confirmation::render(order);
        let key = claim_key(event);
        let token = ClaimToken::random();
        if !self.claim(event, &key, token, delivery).await? {
            return Ok(());
        }
        let admitted = match self
            .limit
            .admit(&order.customer_email, event.event_id, Utc::now())
            .await
        {
            Ok(Admission::Admitted) => Ok(()),
            Ok(Admission::OverLimit { limit }) => Err(over_limit(format!(
                "{} already got {limit} confirmations this hour; not sent",
                order.customer_email
            ))),
            Err(error) => Err(error.into()),
        };
        let ready = match admitted {
            Ok(()) => self.wait_to_send(delivery.deadline).await,
            Err(error) => Err(error),
        };
        if let Err(error) = ready {
            // Not sent: the next attempt, or a redrive, may claim it again.
            if let Err(release) = self.claims.release(&key, token).await {
                tracing::warn!(error = %error_chain(&release), "could not release the claim; it lapses at the attempt's deadline");
            }
            return Err(error);
        }
        // Cut off in time to record: a send SES has not answered by then is
        // as uncertain as a lost reply, and handled the same way.
        let send_for = (delivery.deadline - Utc::now())
            .to_std()
            .unwrap_or_default()
            .saturating_sub(RECORD_RESERVE);
        let sent = tokio::time::timeout(send_for, self.mailer.send(&email))
            .await
            .unwrap_or_else(|_| {
                Err(BackendError::new(
                    "SES.SendEmail",
                    true,
                    format!("SES did not answer within {send_for:?}"),
                )
                .with_fault(Fault::Unreachable))
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
                // Let the next attempt (or a redrive) claim the key at once.
                if let Err(release) = self.claims.release(&key, token).await {
                    tracing::warn!(error = %error_chain(&release), "could not release the claim; it lapses at the attempt's deadline");
                }
                Err(error.into())
            }
        }
    }
}

#[cfg(test)]
#[path = "send_confirmation_tests.rs"]
mod tests;
