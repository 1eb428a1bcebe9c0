//! The email worker's handler: one confirmation per event, however often the
//! event is delivered.
//!
//! The event id is claimed in the idempotency store (`email#<eventId>`)
//! before sending and marked done with SES's message id after. A claim
//! expires after about the function's timeout, so an attempt that died
//! between claiming and completing is retried — the one window in which a
//! customer may get the email twice, instead of never.

use chrono::Utc;
use shared::batch::{Delivery, EventHandler, RecordError};
use shared::event::OrderCreated;
use shared::ports::{Claim, IdempotencyStore, Mailer};
use shared::telemetry::error_chain;

use crate::confirmation;

#[derive(Debug)]
pub struct SendConfirmation<M, S> {
    mailer: M,
    claims: S,
}

impl<M: Mailer, S: IdempotencyStore> SendConfirmation<M, S> {
    pub fn new(mailer: M, claims: S) -> Self {
        SendConfirmation { mailer, claims }
    }
}

/// The idempotency key of an event's confirmation.
pub fn claim_key(event: &OrderCreated) -> String {
    format!("email#{}", event.event_id)
}

impl<M: Mailer, S: IdempotencyStore> EventHandler for SendConfirmation<M, S> {
    async fn handle(&self, event: &OrderCreated, _delivery: &Delivery) -> Result<(), RecordError> {
        let order = &event.order;
        // Rendered before claiming: nothing between claim and release may panic.
        let email = confirmation::render(order);
        let key = claim_key(event);
        // The order id is the fingerprint: the same event id must always
        // carry the same order.
        let fingerprint = order.order_id.to_string();
        match self
            .claims
            .claim(&key, &fingerprint, "", Utc::now())
            .await?
        {
            Claim::Acquired { .. } => {}
            Claim::Completed { result } => {
                tracing::info!(sesMessageId = %result, "confirmation was already sent");
                return Ok(());
            }
            Claim::InProgress => return Err(RecordError::InProgress { key }),
            Claim::Mismatch => {
                return Err(RecordError::Conflict(format!(
                    "event {} was already used for another order",
                    event.event_id
                )))
            }
        }
        match self.mailer.send(&email).await {
            Ok(sent) => {
                tracing::info!(to = %order.customer_email, sesMessageId = %sent.message_id, "confirmation sent");
                if let Err(error) = self
                    .claims
                    .complete(&key, &sent.message_id, Utc::now())
                    .await
                {
                    // The mail is out. Failing the record now would send it
                    // again once the claim expires; the record ages out instead.
                    tracing::warn!(error = %error_chain(&error), "confirmation sent but not recorded as sent");
                }
                Ok(())
            }
            Err(error) => {
                // Let the next attempt (or a redrive) claim the key at once.
                if let Err(release) = self.claims.release(&key).await {
                    tracing::warn!(error = %error_chain(&release), "could not release the claim; it expires by itself");
                }
                Err(error.into())
            }
        }
    }
}

#[cfg(test)]
#[path = "send_confirmation_tests.rs"]
mod tests;
