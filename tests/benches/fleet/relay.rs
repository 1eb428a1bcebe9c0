//! Section 6, the outbox relay draining a backlog: N orders stored
//! unpublished (as an SNS outage leaves them), then the release relay
//! started; timed until its sweeps report every one published. The limit is
//! moto's own ceiling for the relay's calls, measured just before in the
//! same run ([`fleet_tests::relay_ceiling`]).

use std::time::{Duration, Instant};

use fleet_tests::process::FleetProcess;
use fleet_tests::relay_ceiling::{relay_ceiling, store_unpublished};
use fleet_tests::{LocalAws, Stack};
use ports::outbox::RelaySettings;

use crate::report::{Figure, Row, Section, THROUGHPUT_GOAL};

/// Bounds the wait; a stuck relay ends the bench with its log.
const PATIENCE: Duration = Duration::from_secs(300);

pub async fn run(local: &LocalAws, backlog: usize) -> Section {
    let in_flight = RelaySettings::with_grace(Duration::ZERO).in_flight;
    let ceiling = {
        let scratch = Stack::create(local).await;
        relay_ceiling(local, &scratch, backlog).await
    };
    let stack = Stack::create(local).await;
    store_unpublished(local, &stack, backlog).await;
    let started = Instant::now();
    let relay = FleetProcess::start(
        "outbox-relay",
        &stack,
        &[
            ("RELAY_INTERVAL_SECONDS", "1".to_owned()),
            ("RELAY_GRACE_SECONDS", "10".to_owned()),
        ],
    );
    let drained = wait_for_published(&relay, backlog, started).await;
    for queue in [&stack.email_queue_url, &stack.audit_queue_url] {
        let _ = local.sqs().purge_queue().queue_url(queue).send().await;
    }
    let rate = backlog as f64 / drained.as_secs_f64().max(f64::EPSILON);
    Section {
        id: "relay".to_owned(),
        title: "6. The outbox relay draining a backlog (release build)".to_owned(),
        note: format!(
            "{backlog} orders stored unpublished a minute ago, as an SNS outage leaves them; \
             the relay started, timed until its sweeps report every one published. Per ten \
             orders it reads them (one BatchGetItem), publishes them (one PublishBatch) and \
             marks them (one BatchWriteItem that writes them back published), {in_flight} \
             batches in flight, while it reads the backlog's 32 shards. \
             The limit is moto's own ceiling for those three calls, measured just before: the \
             same number of orders read, published and marked by the relay's own batch code \
             (no sweep), {in_flight} batches in flight, nothing else."
        ),
        rows: vec![
            Row::new(
                "moto's ceiling for the relay's calls".to_owned(),
                format!(
                    "{backlog} orders read, published and marked, {in_flight} batches in flight"
                ),
                vec![Figure::new("throughput", ceiling, "orders/s")],
            ),
            Row::new(
                format!("relay, backlog of {backlog}"),
                "from the relay's start until every order is published".to_owned(),
                vec![
                    Figure::time("drained", drained, "s"),
                    Figure::new("throughput", rate, "orders/s"),
                    Figure::ratio("vs ceiling", rate, ceiling).with_goal(THROUGHPUT_GOAL),
                ],
            ),
        ],
    }
}

/// Waits until the relay's `outbox sweep` lines add up to `count` published.
async fn wait_for_published(relay: &FleetProcess, count: usize, since: Instant) -> Duration {
    loop {
        let published = relay.relay_published();
        if published >= count {
            return since.elapsed();
        }
        if since.elapsed() > PATIENCE {
            panic!(
                "the relay published {published} of {count} within {PATIENCE:?}\n{}",
                relay.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
