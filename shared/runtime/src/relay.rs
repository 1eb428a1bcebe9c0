//! The relay binary's entry: a scheduled Lambda function, or locally a loop. An
//! invocation (every minute) sweeps while there is work, then waits for the orders
//! in their grace: an order is relayed within a minute of being stored, not of its grace.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lambda_runtime::{service_fn, LambdaEvent};

use crate::metrics::{counter, gauge, name};
use ports::outbox::{OutboxRelay, SweepReport};
use ports::{error_chain, EventPublisher, Outbox, RepositoryError};

/// Kept back from the invocation's deadline: the batches in flight finish and it answers.
const ANSWER_MARGIN: Duration = Duration::from_secs(15);
/// A local sweep's deadline, from its start.
const LOCAL_SWEEP: Duration = Duration::from_secs(30);

/// Runs the relay `make_relay` builds until the Lambda runtime stops or, in
/// local mode, until Ctrl-C or SIGTERM, sweeping every `interval`. In Lambda it
/// is built with the first invocation ([`adapters::config::AwsSettings::function`]).
pub async fn serve<R, P, F>(
    make_relay: F,
    lambda_mode: bool,
    interval: Duration,
) -> Result<(), lambda_runtime::Error>
where
    R: Outbox,
    P: EventPublisher,
    F: FnOnce() -> OutboxRelay<R, P> + Send,
{
    let started = move || {
        let relay = make_relay();
        tracing::info!(grace = ?relay.settings().grace, lambda = lambda_mode, "outbox relay started");
        relay
    };
    if lambda_mode {
        let relay = LazyLock::new(started);
        let relay = &relay;
        return lambda_runtime::run(service_fn(
            move |event: LambdaEvent<serde_json::Value>| async move {
                let deadline = crate::invocation_deadline(&event.context);
                let report = invocation(relay, deadline - ANSWER_MARGIN).await;
                crate::metrics::flush();
                crate::telemetry::invocation_done();
                let report = report.inspect_err(|e| {
                    tracing::error!(error = %error_chain(e), "could not read the outbox backlog");
                })?;
                Ok::<_, lambda_runtime::Error>(serde_json::json!({
                    "published": report.published,
                    "failed": report.failed,
                    "unreadable": report.unreadable,
                }))
            },
        ))
        .await;
    }
    let relay = started();
    let shutdown = crate::shutdown::signal();
    tokio::pin!(shutdown);
    loop {
        let now = Utc::now();
        let busy = tokio::select! {
            () = &mut shutdown => break,
            swept = relay.sweep(now, now + LOCAL_SWEEP) => match swept {
                Ok(report) => {
                    log(&report);
                    crate::metrics::flush();
                    more_to_do(&report)
                }
                Err(e) => {
                    tracing::error!(error = %error_chain(&e), "could not read the outbox backlog; trying again");
                    false
                }
            },
        };
        if busy {
            continue;
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
    tracing::info!("outbox relay stopped");
    Ok(())
}

/// Whether the backlog may hold more that is due right now, and SNS takes it.
fn more_to_do(report: &SweepReport) -> bool {
    !report.publish_failing && (report.cut_short || report.published > 0)
}

/// One scheduled invocation: sweeps while there is due work and time, then once
/// more for the orders left in their grace, if they come due before `stop_by`.
async fn invocation<R: Outbox, P: EventPublisher>(
    relay: &OutboxRelay<R, P>,
    stop_by: DateTime<Utc>,
) -> Result<SweepReport, RepositoryError> {
    let mut total = SweepReport::default();
    loop {
        let report = relay.sweep(Utc::now(), stop_by).await?;
        log(&report);
        let busy = more_to_do(&report) && Utc::now() < stop_by;
        let next_due = report.next_due;
        total = total.then(report);
        if busy {
            continue;
        }
        match next_due {
            Some(due) if due < stop_by => {
                tokio::time::sleep(ports::time_left(due)).await;
            }
            _ => break,
        }
    }
    Ok(total)
}

/// A sweep's report: one log line, and its metrics.
fn log(report: &SweepReport) {
    let age = report.backlog_age(Utc::now()).as_secs();
    counter!(name::ORDERS_PUBLISHED_BY_RELAY).increment(report.published as u64);
    counter!(name::OUTBOX_UNREADABLE).increment(report.unreadable as u64);
    gauge!(name::OUTBOX_BACKLOG_AGE).set(age as f64);
    tracing::info!(
        published = report.published,
        alreadyPublished = report.already_published,
        failed = report.failed,
        unreadable = report.unreadable,
        unreadShards = report.unread_shards,
        cutShort = report.cut_short,
        publishFailing = report.publish_failing,
        backlogAgeSeconds = age,
        "outbox sweep"
    );
}
