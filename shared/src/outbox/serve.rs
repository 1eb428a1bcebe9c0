//! The relay binary's entry: a scheduled Lambda function, or locally a loop —
//! the same sweep either way.
//!
//! In Lambda a schedule invokes it every minute. If the first sweep left
//! orders in their grace, the invocation waits for them and sweeps once more,
//! so an order is relayed within a minute of being stored, not a minute after
//! its grace. Every invocation logs the backlog's age (`backlogAgeSeconds`)
//! and emits it as the metric `OutboxBacklogAgeSeconds`, which the
//! template's alarm watches, with `OrdersPublishedByRelay`.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use lambda_runtime::{service_fn, LambdaEvent};

use super::relay::{OutboxRelay, SweepReport};
use crate::ports::{EventPublisher, OrderRepository, RepositoryError};
use crate::telemetry::error_chain;

/// Kept back from the invocation's deadline to answer.
const ANSWER_MARGIN: Duration = Duration::from_secs(2);

/// Runs the relay `make_relay` builds until the Lambda runtime stops or, in
/// local mode, until Ctrl-C or SIGTERM, sweeping every `interval`.
///
/// In Lambda the relay, and its SDK clients, are built with the first
/// invocation (see [`crate::config::AwsSettings::function`]).
pub async fn serve<R, P, F>(
    make_relay: F,
    lambda_mode: bool,
    interval: Duration,
) -> Result<(), lambda_runtime::Error>
where
    R: OrderRepository,
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
                let report = invocation(relay, deadline(&event.context)).await;
                crate::metrics::flush();
                crate::telemetry::invocation_done();
                let report = report.map_err(|e| {
                    tracing::error!(error = %error_chain(&e), "could not read the outbox backlog");
                    lambda_runtime::Error::from(e)
                })?;
                Ok::<_, lambda_runtime::Error>(serde_json::json!({
                    "published": report.published,
                    "failed": report.failed,
                }))
            },
        ))
        .await;
    }
    let relay = started();
    let shutdown = crate::shutdown::signal();
    tokio::pin!(shutdown);
    loop {
        match relay.sweep(Utc::now()).await {
            Ok(report) => {
                log(&report, false);
                crate::metrics::flush();
            }
            Err(e) => {
                tracing::error!(error = %error_chain(&e), "could not read the outbox backlog; trying again")
            }
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
    tracing::info!("outbox relay stopped");
    Ok(())
}

/// One scheduled invocation: a sweep, and a second one for the orders the
/// first left in their grace if they come due before the deadline.
async fn invocation<R: OrderRepository, P: EventPublisher>(
    relay: &OutboxRelay<R, P>,
    deadline: DateTime<Utc>,
) -> Result<SweepReport, RepositoryError> {
    let first = relay.sweep(Utc::now()).await?;
    let stop_by = deadline - chrono::Duration::from_std(ANSWER_MARGIN).unwrap_or_default();
    let report = match first.next_due {
        Some(due) if due < stop_by => {
            tokio::time::sleep((due - Utc::now()).to_std().unwrap_or_default()).await;
            let second = relay.sweep(Utc::now()).await?;
            SweepReport {
                published: first.published + second.published,
                already_published: first.already_published + second.already_published,
                failed: second.failed,
                ..second
            }
        }
        _ => first,
    };
    log(&report, true);
    Ok(report)
}

/// The sweep's figures; always in Lambda (the backlog-age metric is read
/// from this line), locally only when something happened.
fn log(report: &SweepReport, always: bool) {
    let age = report.backlog_age(Utc::now()).as_secs();
    crate::metrics::counter!(crate::metrics::name::ORDERS_PUBLISHED_BY_RELAY)
        .increment(report.published as u64);
    crate::metrics::gauge!(crate::metrics::name::OUTBOX_BACKLOG_AGE).set(age as f64);
    if always || report.published > 0 || report.failed > 0 {
        tracing::info!(
            published = report.published,
            alreadyPublished = report.already_published,
            failed = report.failed,
            backlogAgeSeconds = age,
            "outbox sweep"
        );
    } else {
        tracing::debug!(backlogAgeSeconds = age, "outbox sweep: nothing to relay");
    }
}

fn deadline(context: &lambda_runtime::Context) -> DateTime<Utc> {
    i64::try_from(context.deadline)
        .ok()
        .and_then(|millis| Utc.timestamp_millis_opt(millis).single())
        .unwrap_or_else(|| Utc::now() + chrono::Duration::seconds(30))
}
