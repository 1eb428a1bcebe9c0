//! The outbox relay: publishes the orders order-api stored but did not
//! publish (ARCHITECTURE.md, "The failure paths"). The backlog's index may lag
//! a write, so each order is read again, consistently, before it is published.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use uuid::Uuid;

use crate::event::OrderCreated;
use crate::{
    backlog_shards, error_chain, EventPublisher, Fetched, Outbox, Pending, PendingOrder,
    RepositoryError, MAX_PUBLISH_BATCH,
};
use domain::OrderId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelaySettings {
    /// Younger orders may still be published by their own request: left for later.
    pub grace: Duration,
    /// Entries read per page of a shard of the backlog.
    pub page_size: usize,
    /// Batches of ten being published at once.
    pub in_flight: usize,
}

impl RelaySettings {
    pub fn with_grace(grace: Duration) -> RelaySettings {
        RelaySettings {
            grace,
            page_size: 100,
            in_flight: 16,
        }
    }
}

/// What became of one order the relay was asked to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relayed {
    Published,
    /// Marked published already: not sent again.
    AlreadyPublished,
    /// A dry run: unpublished, and left so.
    WouldPublish,
    NotFound,
    /// Stored, but not as an order this build can read.
    Unreadable(String),
    /// Not published: the reason, for the next sweep or the operator.
    Failed(String),
}

/// One order's outcome, with what was read of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayedOrder {
    pub order_id: OrderId,
    pub outcome: Relayed,
    /// The order's one event id and its creation, once the order was read.
    pub event_id: Option<Uuid>,
    pub created_at: Option<DateTime<Utc>>,
}

/// Each of `ids` with `outcome`, none of them read.
fn unread(ids: impl IntoIterator<Item = OrderId>, outcome: &Relayed) -> Vec<RelayedOrder> {
    ids.into_iter()
        .map(|order_id| RelayedOrder {
            order_id,
            outcome: outcome.clone(),
            event_id: None,
            created_at: None,
        })
        .collect()
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub published: usize,
    /// Orders the index still listed but that were published already.
    pub already_published: usize,
    /// Orders whose publish failed; the next sweep tries again.
    pub failed: usize,
    /// Entries skipped because they do not read as orders (each logged with its key).
    pub unreadable: usize,
    pub unread_shards: u32,
    /// The sweep reached its deadline with backlog left to read or publish.
    pub cut_short: bool,
    /// SNS failed batch after batch, so the sweep stopped publishing.
    pub publish_failing: bool,
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

    /// This sweep's counts added to `self`; the backlog as the later one saw it.
    pub fn then(self, later: SweepReport) -> SweepReport {
        SweepReport {
            published: self.published + later.published,
            already_published: self.already_published + later.already_published,
            ..later
        }
    }

    fn still_unpublished(&mut self, created_at: DateTime<Utc>) {
        let oldest = self.oldest_unpublished.unwrap_or(created_at);
        self.oldest_unpublished = Some(oldest.min(created_at));
    }

    fn count(&mut self, pending: &[PendingOrder], outcomes: &[RelayedOrder]) {
        for (order, relayed) in pending.iter().zip(outcomes) {
            match relayed.outcome {
                Relayed::Published => self.published += 1,
                Relayed::AlreadyPublished => self.already_published += 1,
                Relayed::Unreadable(_) => self.unreadable += 1,
                // Gone since the index listed it: nothing to publish.
                Relayed::NotFound => {}
                Relayed::Failed(_) => {
                    self.failed += 1;
                    self.still_unpublished(order.created_at);
                }
                Relayed::WouldPublish => self.still_unpublished(order.created_at),
            }
        }
    }
}

/// Batches in a row whose every order failed, after which a sweep stops.
const FAILED_BATCHES_TO_STOP: usize = 3;

/// From a sweep's last new batch to the cut-off of those in flight: one
/// publish attempt (adapters' `CallBudget::BACKGROUND`) and its mark.
const FINISH_IN_FLIGHT: Duration = Duration::from_secs(12);

#[derive(Debug)]
pub struct OutboxRelay<R, P> {
    orders: R,
    events: P,
    settings: RelaySettings,
}

impl<R: Outbox, P: EventPublisher> OutboxRelay<R, P> {
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

    /// Publishes the unpublished orders among `ids` (at most ten) in one batch, then
    /// marks them; one outcome per id, in order. The correlation id is `outbox-relay-
    /// <eventId>` by default (the request's is not stored). A dry run publishes nothing.
    pub async fn relay_batch(
        &self,
        ids: &[OrderId],
        correlation_id: Option<&str>,
        dry_run: bool,
    ) -> Vec<RelayedOrder> {
        let fetched = match self.orders.get_many(ids).await {
            Ok(fetched) => fetched,
            Err(e) => {
                let reason = error_chain(&e);
                tracing::warn!(orders = ids.len(), error = %reason, "could not read unpublished orders; the next sweep tries again");
                return unread(ids.iter().copied(), &Relayed::Failed(reason));
            }
        };
        let mut outcomes = unread(ids.iter().copied(), &Relayed::NotFound);
        let slot = |id: OrderId| ids.iter().position(|wanted| *wanted == id);
        let mut to_publish = Vec::new();
        for entry in fetched {
            match entry {
                Fetched::Found(record) => {
                    let Some(i) = slot(record.order.order_id) else {
                        continue;
                    };
                    outcomes[i].event_id = Some(record.event_id);
                    outcomes[i].created_at = Some(record.order.created_at);
                    if record.published {
                        outcomes[i].outcome = Relayed::AlreadyPublished;
                    } else if dry_run {
                        outcomes[i].outcome = Relayed::WouldPublish;
                    } else {
                        to_publish.push((i, record));
                    }
                }
                Fetched::Unreadable { order_id, reason } => {
                    tracing::warn!(orderId = %order_id, error = %reason, "skipped an order the outbox cannot read");
                    if let Some(i) = slot(order_id) {
                        outcomes[i].outcome = Relayed::Unreadable(reason);
                    }
                }
                Fetched::Missing(order_id) => {
                    tracing::warn!(orderId = %order_id, "the outbox lists an order that is not stored");
                }
            }
        }
        if to_publish.is_empty() {
            return outcomes;
        }
        let events: Vec<OrderCreated> = to_publish
            .iter()
            .map(|(_, record)| {
                let correlation = correlation_id.map_or_else(
                    || format!("outbox-relay-{}", record.event_id),
                    str::to_owned,
                );
                OrderCreated::new(record.event_id, correlation, record.order.clone())
            })
            .collect();
        let results = match self.events.publish_batch(&events).await {
            Ok(results) => results,
            Err(e) => {
                let reason = error_chain(&e);
                tracing::warn!(orders = events.len(), error = %reason, "outbox relay could not publish; the next sweep tries again");
                for (i, _) in &to_publish {
                    outcomes[*i].outcome = Relayed::Failed(reason.clone());
                }
                return outcomes;
            }
        };
        let mut published = Vec::new();
        for ((i, record), result) in to_publish.into_iter().zip(results) {
            match result {
                Ok(()) => {
                    outcomes[i].outcome = Relayed::Published;
                    tracing::info!(orderId = %record.order.order_id, eventId = %record.event_id, "order event published by the outbox relay");
                    published.push(record);
                }
                Err(e) => {
                    let reason = error_chain(&e);
                    tracing::warn!(orderId = %record.order.order_id, error = %reason, "outbox relay could not publish; the next sweep tries again");
                    outcomes[i].outcome = Relayed::Failed(reason);
                }
            }
        }
        if !published.is_empty() {
            if let Err(e) = self.orders.mark_many_published(&published).await {
                tracing::warn!(orders = published.len(), error = %error_chain(&e), "could not mark orders published; the next sweep publishes them again, with the same event ids");
            }
        }
        outcomes
    }

    /// One pass over the backlog at `now`, oldest first, publishing while it reads; no
    /// new batch after `stop_by`. Fails only if no shard could be read.
    pub async fn sweep(
        &self,
        now: DateTime<Utc>,
        stop_by: DateTime<Utc>,
    ) -> Result<SweepReport, RepositoryError> {
        let cutoff = now - self.settings.grace;
        let hard_stop = stop_by + FINISH_IN_FLIGHT;
        let (in_flight, page_size) = (self.settings.in_flight.max(1), self.settings.page_size);
        let (batches, mut to_publish) = tokio::sync::mpsc::channel::<Vec<PendingOrder>>(in_flight);
        let mut report = SweepReport::default();
        let mut first_error = None;
        let failed_in_a_row = &AtomicUsize::new(0);
        let failing = move || failed_in_a_row.load(Relaxed) >= FAILED_BATCHES_TO_STOP;

        let read = async {
            let mut batch = Vec::with_capacity(MAX_PUBLISH_BATCH);
            'shards: for shard in backlog_shards() {
                let mut page = None;
                loop {
                    if Utc::now() >= stop_by {
                        report.cut_short = true;
                        break 'shards;
                    }
                    if failing() {
                        break 'shards;
                    }
                    let listed = self.orders.unpublished(shard, page.as_ref(), page_size);
                    let listed = match listed.await {
                        Ok(listed) => listed,
                        Err(e) => {
                            tracing::warn!(shard, error = %error_chain(&e), "could not read a shard of the outbox backlog; the next sweep tries again");
                            report.unread_shards += 1;
                            first_error.get_or_insert(e);
                            continue 'shards;
                        }
                    };
                    for entry in listed.entries {
                        match entry {
                            Pending::Unreadable { key, reason } => {
                                report.unreadable += 1;
                                tracing::warn!(shard, key = %key, error = %reason, "skipped an entry of the outbox backlog that is not an order");
                            }
                            // Oldest first: the rest of the shard is in its grace.
                            Pending::Order(pending) if pending.created_at > cutoff => {
                                report.still_unpublished(pending.created_at);
                                let due = pending.created_at + self.settings.grace;
                                report.next_due = Some(report.next_due.map_or(due, |d| d.min(due)));
                                continue 'shards;
                            }
                            Pending::Order(pending) => {
                                batch.push(pending);
                                if batch.len() == MAX_PUBLISH_BATCH
                                    && batches.send(std::mem::take(&mut batch)).await.is_err()
                                {
                                    break 'shards;
                                }
                            }
                        }
                    }
                    match listed.next {
                        Some(next) => page = Some(next),
                        None => continue 'shards,
                    }
                }
            }
            if !batch.is_empty() {
                let _ = batches.send(batch).await;
            }
            drop(batches);
        };

        let publish = futures_util::stream::poll_fn(|cx| to_publish.poll_recv(cx))
            .map(|pending: Vec<PendingOrder>| async move {
                let ids: Vec<OrderId> = pending.iter().map(|p| p.order_id).collect();
                if failing() {
                    let reason = "not tried: SNS failed the batches before it".to_owned();
                    return (pending, Some(unread(ids, &Relayed::Failed(reason))));
                }
                let relayed = self.relay_batch(&ids, None, false);
                let relayed = tokio::time::timeout(crate::time_left(hard_stop), relayed)
                    .await
                    .ok();
                let all_failed = relayed.as_ref().is_some_and(|outcomes| {
                    outcomes
                        .iter()
                        .all(|o| matches!(o.outcome, Relayed::Failed(_)))
                });
                if all_failed {
                    failed_in_a_row.fetch_add(1, Relaxed);
                } else {
                    failed_in_a_row.store(0, Relaxed);
                }
                (pending, relayed)
            })
            .buffer_unordered(in_flight)
            .collect::<Vec<_>>();

        let ((), outcomes) = tokio::join!(read, publish);
        report.publish_failing = failing();
        for (pending, relayed) in outcomes {
            let relayed = relayed.unwrap_or_else(|| {
                // Cut off in flight: published or not, the next sweep looks again.
                report.cut_short = true;
                let ids = pending.iter().map(|p| p.order_id);
                unread(ids, &Relayed::Failed("cut off in flight".to_owned()))
            });
            report.count(&pending, &relayed);
        }
        match first_error {
            Some(e) if report.unread_shards == backlog_shards().count() as u32 => Err(e),
            _ => Ok(report),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::fakes::{InMemoryOrderRepository, RecordingEventPublisher};
    use crate::{outbox_shard, OrderRecord, OrderRepository};
    use domain::{parse_order, OrderId};

    fn in_a_minute() -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(60)
    }

    const GRACE: Duration = Duration::from_secs(10);

    type TestRelay = OutboxRelay<InMemoryOrderRepository, RecordingEventPublisher>;

    fn relay(page_size: usize) -> (TestRelay, InMemoryOrderRepository, RecordingEventPublisher) {
        let orders = InMemoryOrderRepository::default();
        let events = RecordingEventPublisher::default();
        let relay = OutboxRelay::new(
            orders.clone(),
            events.clone(),
            RelaySettings {
                grace: GRACE,
                page_size,
                in_flight: 3,
            },
        );
        (relay, orders, events)
    }

    /// Stores an unpublished order created `age` ago.
    async fn stored(orders: &InMemoryOrderRepository, age: Duration) -> OrderRecord {
        let order = parse_order(
            br#"{"customerName":"Ada Lovelace","customerEmail":"ada@example.com","items":[{"productId":"p-1","quantity":2,"price":4.5}]}"#,
        )
        .expect("a valid order")
        .accept(
            OrderId::random(),
            Utc::now() - chrono::Duration::from_std(age).expect("small"),
        );
        let record = OrderRecord {
            order,
            event_id: Uuid::new_v4(),
            published: false,
            published_at: None,
            fingerprint: None,
        };
        orders.insert(&record).await.expect("stored");
        record
    }

    #[tokio::test]
    async fn publishes_an_order_left_unpublished_with_its_own_event_id_and_marks_it() {
        let (relay, orders, events) = relay(10);
        let record = stored(&orders, Duration::from_secs(30)).await;

        let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

        assert_eq!(report.published, 1);
        assert_eq!(report.failed, 0);
        assert_eq!(report.oldest_unpublished, None);
        let published = events.events();
        assert_eq!(published.len(), 1);
        assert_eq!(published[0].event_id, record.event_id);
        assert_eq!(published[0].order, record.order);
        let stored = orders.get(record.order.order_id).await.expect("read");
        assert!(stored.is_some_and(|r| r.published));
    }

    #[tokio::test]
    async fn leaves_an_order_within_its_grace_to_its_own_request_and_says_when_it_is_due() {
        let (relay, orders, events) = relay(10);
        let record = stored(&orders, Duration::from_secs(2)).await;

        let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

        assert_eq!(report.published, 0);
        assert!(events.events().is_empty());
        let grace = chrono::Duration::from_std(GRACE).expect("small");
        assert_eq!(report.next_due, Some(record.order.created_at + grace));
        assert_eq!(report.oldest_unpublished, Some(record.order.created_at));
    }

    #[tokio::test]
    async fn a_failed_publish_is_counted_left_for_the_next_sweep_and_ages_the_backlog() {
        let (relay, orders, events) = relay(10);
        let record = stored(&orders, Duration::from_secs(45)).await;
        events.fail(true);

        let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

        assert_eq!((report.published, report.failed), (0, 1));
        assert!(report.backlog_age(Utc::now()) >= Duration::from_secs(45));

        events.fail(false);
        let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");
        assert_eq!((report.published, report.failed), (1, 0));
        assert_eq!(events.events()[0].event_id, record.event_id);
    }

    #[tokio::test]
    async fn pages_through_every_shard_and_publishes_in_batches_of_ten() {
        let (relay, orders, events) = relay(2);
        let mut stored_ids = Vec::new();
        for age in 0..25 {
            let record = stored(&orders, Duration::from_secs(20 + age)).await;
            stored_ids.push(record.order.order_id);
        }
        let young = stored(&orders, Duration::from_secs(1)).await;

        let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

        assert_eq!(report.published, 25);
        assert_eq!(report.oldest_unpublished, Some(young.order.created_at));
        let mut published: Vec<_> = events.events().iter().map(|e| e.order.order_id).collect();
        published.sort();
        stored_ids.sort();
        assert_eq!(published, stored_ids, "each due order once");
        assert!(
            (3..=6).contains(&events.batches()),
            "{} PublishBatch calls for 25 orders",
            events.batches()
        );
        assert!(orders
            .all()
            .iter()
            .all(|r| r.published || r.order.order_id == young.order.order_id));
    }

    #[tokio::test]
    async fn an_unreadable_entry_is_skipped_and_counted_and_the_orders_behind_it_are_published() {
        let (relay, orders, events) = relay(100);
        let first = stored(&orders, Duration::from_secs(60)).await;
        let shard = outbox_shard(first.order.order_id);
        orders.add_unreadable_entry(
            shard,
            Utc::now() - chrono::Duration::seconds(120),
            "OrderId=not-a-uuid",
        );
        let mut behind = vec![first];
        for age in [50, 40, 30] {
            behind.push(stored(&orders, Duration::from_secs(age)).await);
        }

        let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

        assert_eq!(report.unreadable, 1);
        assert_eq!(report.published, behind.len());
        assert_eq!(events.events().len(), behind.len());
        assert_eq!(
            report.oldest_unpublished, None,
            "the skipped entry is no order"
        );
    }

    #[tokio::test]
    async fn a_sweep_past_its_deadline_takes_no_new_work_and_says_it_was_cut_short() {
        let (relay, orders, events) = relay(10);
        stored(&orders, Duration::from_secs(30)).await;

        let report = relay
            .sweep(Utc::now(), Utc::now() - chrono::Duration::seconds(1))
            .await
            .expect("swept");

        assert!(report.cut_short);
        assert!(events.events().is_empty());
    }

    #[tokio::test]
    async fn a_batch_reports_each_order_and_a_dry_run_publishes_nothing() {
        let (relay, orders, events) = relay(10);
        let unpublished = stored(&orders, Duration::from_secs(30)).await;
        let done = stored(&orders, Duration::from_secs(30)).await;
        orders
            .mark_published(done.order.order_id)
            .await
            .expect("marked");
        let unknown = OrderId::random();
        let ids = [unpublished.order.order_id, done.order.order_id, unknown];

        let dry = relay.relay_batch(&ids, Some("corr-op"), true).await;
        let outcomes: Vec<_> = dry.iter().map(|o| o.outcome.clone()).collect();
        assert_eq!(
            outcomes,
            [
                Relayed::WouldPublish,
                Relayed::AlreadyPublished,
                Relayed::NotFound
            ]
        );
        assert!(events.events().is_empty());
        assert_eq!(dry[0].event_id, Some(unpublished.event_id));

        let real = relay.relay_batch(&ids, Some("corr-op"), false).await;
        assert_eq!(real[0].outcome, Relayed::Published);
        assert_eq!(real[1].outcome, Relayed::AlreadyPublished);
        let published = events.events();
        assert_eq!(published.len(), 1);
        assert_eq!(published[0].correlation_id, "corr-op");
    }

    #[tokio::test]
    async fn a_backlog_that_cannot_be_read_fails_the_sweep() {
        let (relay, orders, _events) = relay(10);
        orders.fail(true);

        assert!(relay.sweep(Utc::now(), in_a_minute()).await.is_err());
    }

    #[tokio::test]
    async fn a_sweep_stops_publishing_once_sns_fails_batch_after_batch() {
        let (relay, orders, events) = relay(100);
        for age in 0..60 {
            stored(&orders, Duration::from_secs(30 + age)).await;
        }
        events.fail(true);

        let report = relay.sweep(Utc::now(), in_a_minute()).await.expect("swept");

        assert!(report.publish_failing);
        assert!(events.events().is_empty());
        assert!(
            report.oldest_unpublished.is_some(),
            "the backlog still ages"
        );
        assert!(
            events.failed_batches() < 6,
            "it gave up after a few failed batches, not after all six: {}",
            events.failed_batches()
        );
    }
}
