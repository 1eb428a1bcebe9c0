//! The outbox relay: publishes the events that order-api stored an order for
//! but could not publish (SNS failed, the reply was lost, the function died),
//! with no operator.
//!
//! A sweep reads the backlog oldest first (`OrderRepository::unpublished`, a
//! sparse index on DynamoDB) and publishes each order older than the grace —
//! order-api's own deadline, before which the request may still publish it
//! itself. Each order is read again before it is published (the index may
//! lag a write), and published with its own event id, so a race with a late
//! request costs at most a duplicate the workers drop.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::publish_order;
use crate::ports::{EventPublisher, OrderRepository, PendingOrder, RepositoryError};
use crate::telemetry::error_chain;

/// How the relay treats the backlog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelaySettings {
    /// An order younger than this may still be published by its own request
    /// (order-api's deadline): it is left for a later sweep.
    pub grace: Duration,
    /// Orders read per page of the backlog.
    pub page_size: usize,
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Events the relay published.
    pub published: usize,
    /// Orders the index still listed but that were published already.
    pub already_published: usize,
    /// Orders whose publish failed; the next sweep tries again.
    pub failed: usize,
    /// The oldest order still unpublished after the sweep: the backlog's age.
    pub oldest_unpublished: Option<DateTime<Utc>>,
    /// When the first order left for its grace becomes due.
    pub next_due: Option<DateTime<Utc>>,
}

impl SweepReport {
    /// How long the oldest unpublished order has waited, at `now` (zero if none).
    pub fn backlog_age(&self, now: DateTime<Utc>) -> Duration {
        self.oldest_unpublished
            .and_then(|oldest| (now - oldest).to_std().ok())
            .unwrap_or_default()
    }

    fn still_unpublished(&mut self, created_at: DateTime<Utc>) {
        self.oldest_unpublished = Some(
            self.oldest_unpublished
                .map_or(created_at, |oldest| oldest.min(created_at)),
        );
    }
}

#[derive(Debug)]
pub struct OutboxRelay<R, P> {
    orders: R,
    events: P,
    settings: RelaySettings,
}

impl<R: OrderRepository, P: EventPublisher> OutboxRelay<R, P> {
    pub fn new(orders: R, events: P, settings: RelaySettings) -> Self {
        OutboxRelay {
            orders,
            events,
            settings,
        }
    }

    pub fn settings(&self) -> &RelaySettings {
        &self.settings
    }

    /// One pass over the backlog as it stands at `now`. Only reading the
    /// backlog can fail the sweep; an order that fails is counted and left.
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<SweepReport, RepositoryError> {
        let grace = chrono::Duration::from_std(self.settings.grace).unwrap_or_default();
        let cutoff = now - grace;
        let mut report = SweepReport::default();
        let mut after: Option<PendingOrder> = None;
        loop {
            let page = self
                .orders
                .unpublished(after.as_ref(), self.settings.page_size)
                .await?;
            let full = page.len() >= self.settings.page_size;
            for pending in &page {
                if pending.created_at > cutoff {
                    // Oldest first: everything from here on is in its grace.
                    report.still_unpublished(pending.created_at);
                    report.next_due = Some(pending.created_at + grace);
                    return Ok(report);
                }
                self.relay(pending, &mut report).await;
            }
            match page.last() {
                Some(last) if full => after = Some(last.clone()),
                _ => return Ok(report),
            }
        }
    }

    async fn relay(&self, pending: &PendingOrder, report: &mut SweepReport) {
        let order_id = pending.order_id;
        let record = match self.orders.get(order_id).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                tracing::warn!(orderId = %order_id, "the outbox lists an order that is not stored");
                return;
            }
            Err(e) => {
                tracing::warn!(orderId = %order_id, error = %error_chain(&e), "could not read an unpublished order; the next sweep tries again");
                report.failed += 1;
                report.still_unpublished(pending.created_at);
                return;
            }
        };
        if record.published {
            report.already_published += 1;
            return;
        }
        // The request's correlation id is not stored with the order: the
        // relayed event is correlated by the order's own event id.
        let correlation_id = format!("outbox-relay-{}", record.event_id);
        match publish_order(&self.orders, &self.events, &record, &correlation_id).await {
            Ok(()) => {
                report.published += 1;
                tracing::info!(orderId = %order_id, eventId = %record.event_id, "order event published by the outbox relay");
            }
            Err(e) => {
                report.failed += 1;
                report.still_unpublished(pending.created_at);
                tracing::warn!(orderId = %order_id, error = %error_chain(&e), "outbox relay could not publish; the next sweep tries again");
            }
        }
    }
}

#[cfg(test)]
#[path = "relay_tests.rs"]
mod tests;
