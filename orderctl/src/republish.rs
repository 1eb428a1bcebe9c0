//! `orderctl republish`: publishes on demand, through the outbox relay's own code
//! ([`OutboxRelay::relay_batch`]), the orders stored with `Published = false`. Each is read again
//! first: a published one is skipped, an unpublished one goes out with its own event id, so a
//! publish racing the relay is still one event. The first failed batch stops the run: a publish
//! fails for the topic's reasons (gone, forbidden, unreachable): later batches would wait them out.

use std::collections::HashSet;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use adapters::SnsEventPublisher;
use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args};
use domain::{iso8601, OrderId};
use ports::outbox::{OutboxRelay, RelaySettings, Relayed, RelayedOrder};
use ports::{backlog_shards, EventPublisher, Outbox, Pending, RepositoryError, MAX_PUBLISH_BATCH};
use serde::Serialize;
use uuid::Uuid;

use crate::confirm::{confirm, some_of, Confirm};
use crate::error::CtlError;
use crate::output::{clip, emit, exit_code, or_dash, table, time, Report};
use crate::target::{order_id_arg, Globals, Target};

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("which").required(true).args(["order_ids", "all_unpublished"])
))]
pub struct RepublishArgs {
    /// The orders' ids (UUIDs, as the API returned them).
    #[arg(value_name = "ORDER_ID", value_parser = order_id_arg)]
    pub order_ids: Vec<OrderId>,
    /// Every order whose event was not published (the outbox's backlog).
    #[arg(long)]
    pub all_unpublished: bool,
    /// List what would be published, and publish nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub confirm: Confirm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Published,
    /// `--dry-run`: unpublished, and left so.
    WouldPublish,
    /// Already published: not sent again.
    Skipped,
    NotFound,
    Failed,
    /// Not looked at: an earlier order failed.
    NotAttempted,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Published => "published",
            Outcome::WouldPublish => "would publish",
            Outcome::Skipped => "skipped",
            Outcome::NotFound => "not found",
            Outcome::Failed => "FAILED",
            Outcome::NotAttempted => "not attempted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderOutcome {
    pub order_id: OrderId,
    pub outcome: Outcome,
    /// The order's one event id, once the order was read.
    pub event_id: Option<Uuid>,
    #[serde(with = "iso8601::optional")]
    pub created_at: Option<DateTime<Utc>>,
    /// What went wrong, or why nothing was done.
    pub note: Option<String>,
}

impl OrderOutcome {
    fn unread(order_id: OrderId, outcome: Outcome, note: Option<String>) -> OrderOutcome {
        OrderOutcome {
            order_id,
            outcome,
            event_id: None,
            created_at: None,
            note,
        }
    }
}

impl From<RelayedOrder> for OrderOutcome {
    fn from(relayed: RelayedOrder) -> OrderOutcome {
        let (outcome, note) = match relayed.outcome {
            Relayed::Published => (Outcome::Published, None),
            Relayed::WouldPublish => (Outcome::WouldPublish, None),
            Relayed::AlreadyPublished => (
                Outcome::Skipped,
                Some("already published; not sent again".into()),
            ),
            Relayed::NotFound => (Outcome::NotFound, None),
            Relayed::Unreadable(why) => (
                Outcome::Failed,
                Some(format!("stored, but not readable as an order: {why}")),
            ),
            Relayed::Failed(reason) => (Outcome::Failed, Some(reason)),
        };
        OrderOutcome {
            event_id: relayed.event_id,
            created_at: relayed.created_at,
            ..OrderOutcome::unread(relayed.order_id, outcome, note)
        }
    }
}

/// A run's outcome: the counts are the summary, `orders` the details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepublishReport {
    pub table: String,
    /// Where the events went, or would go.
    pub topic_arn: Option<String>,
    /// Dry runs only: why there is no topic. A real run would stop there.
    pub topic_error: Option<String>,
    /// The `correlationId` of every event this run published.
    pub correlation_id: String,
    pub dry_run: bool,
    pub published: usize,
    pub would_publish: usize,
    pub skipped: usize,
    pub not_found: usize,
    pub failed: usize,
    pub not_attempted: usize,
    pub orders: Vec<OrderOutcome>,
}

impl RepublishReport {
    fn new(
        table: &str,
        topic: Result<&str, String>,
        correlation_id: &str,
        dry_run: bool,
        orders: Vec<OrderOutcome>,
    ) -> RepublishReport {
        let count = |outcome| orders.iter().filter(|o| o.outcome == outcome).count();
        RepublishReport {
            table: table.to_owned(),
            topic_arn: topic.as_ref().ok().map(|arn| (*arn).to_owned()),
            topic_error: topic.err(),
            correlation_id: correlation_id.to_owned(),
            dry_run,
            published: count(Outcome::Published),
            would_publish: count(Outcome::WouldPublish),
            skipped: count(Outcome::Skipped),
            not_found: count(Outcome::NotFound),
            failed: count(Outcome::Failed),
            not_attempted: count(Outcome::NotAttempted),
            orders,
        }
    }

    /// What needs the operator's attention, for stderr: stdout may be JSON for a script.
    fn problems(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.topic_error.iter().cloned().collect();
        for order in &self.orders {
            let (id, table) = (order.order_id, &self.table);
            let note = order.note.as_deref().unwrap_or("unknown error");
            match order.outcome {
                Outcome::NotFound => lines.push(format!("no order {id} in {table}")),
                Outcome::Failed => lines.push(format!("order {id} was not published: {note}")),
                _ => {}
            }
        }
        if self.not_attempted > 0 {
            let n = self.not_attempted;
            lines.push(format!(
                "{n} order(s) not attempted after the failure; run again once it is fixed"
            ));
        }
        lines
    }
}

pub async fn run(args: RepublishArgs, globals: &Globals) -> Result<ExitCode, CtlError> {
    let target = Target::connect(globals).await?;
    let topic = match target.topic_arn().await {
        Ok(arn) => Ok(arn),
        // A dry run still lists the orders: during an outage that is the point.
        Err(e @ CtlError::NoSuchTopic { .. }) if args.dry_run => Err(e.to_string()),
        Err(e) => return Err(e),
    };
    let table = &target.config.orders_table;
    let orders = target.orders();
    let ids = if args.all_unpublished {
        let ids = unpublished(&orders).await;
        ids.map_err(|e| target.endpoint.table_error(table, e))?
    } else {
        let mut seen = HashSet::new();
        let ids = args.order_ids.into_iter();
        ids.filter(|id| seen.insert(*id)).collect()
    };
    if let (Ok(arn), false, false) = (&topic, args.dry_run, ids.is_empty()) {
        let (n, which) = (ids.len(), some_of(&ids));
        let change = format!("publish the events of {n} order(s) ({which}) to {arn}");
        confirm(args.confirm, &target.config.environment, &change, false)?;
    }
    // A dry run never publishes: without a topic, its publisher's ARN is empty.
    let sns = aws_sdk_sns::Client::new(&target.sdk);
    let events = SnsEventPublisher::new(sns, topic.as_deref().unwrap_or_default());
    let relay = OutboxRelay::new(orders, events, RelaySettings::with_grace(Duration::ZERO));
    let correlation_id = format!("orderctl-republish-{}", Uuid::new_v4());
    let outcomes = republish(&relay, &ids, &correlation_id, args.dry_run).await;
    let topic = topic.as_deref().map_err(String::clone);
    let report = RepublishReport::new(table, topic, &correlation_id, args.dry_run, outcomes);
    let code = emit(&report, globals.json())?;
    let mut err = std::io::stderr().lock();
    for line in report.problems() {
        writeln!(err, "error: {line}")?;
    }
    Ok(code)
}

/// Publishes the unpublished orders of `ids`, ten at a time, until a batch fails.
pub async fn republish<R: Outbox, P: EventPublisher>(
    relay: &OutboxRelay<R, P>,
    ids: &[OrderId],
    correlation_id: &str,
    dry_run: bool,
) -> Vec<OrderOutcome> {
    let mut outcomes = Vec::with_capacity(ids.len());
    let mut batches = ids.chunks(MAX_PUBLISH_BATCH);
    for batch in batches.by_ref() {
        let relayed = relay
            .relay_batch(batch, Some(correlation_id), dry_run)
            .await;
        let failed = relayed
            .iter()
            .any(|r| matches!(r.outcome, Relayed::Failed(_)));
        outcomes.extend(relayed.into_iter().map(OrderOutcome::from));
        if failed {
            break;
        }
    }
    let rest = batches.flatten();
    outcomes.extend(rest.map(|id| OrderOutcome::unread(*id, Outcome::NotAttempted, None)));
    outcomes
}

/// The outbox's backlog, shard by shard (oldest first in each); non-orders are logged.
async fn unpublished<R: Outbox>(orders: &R) -> Result<Vec<OrderId>, RepositoryError> {
    let mut ids = Vec::new();
    for shard in backlog_shards() {
        let mut page = None;
        loop {
            let listed = orders.unpublished(shard, page.as_ref(), 100).await?;
            for entry in listed.entries {
                match entry {
                    Pending::Order(pending) => ids.push(pending.order_id),
                    Pending::Unreadable { key, reason } => {
                        tracing::warn!(key = %key, error = %reason, "skipped an entry of the backlog that is not an order");
                    }
                }
            }
            let Some(next) = listed.next else { break };
            page = Some(next);
        }
    }
    Ok(ids)
}

impl Report for RepublishReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mode = if self.dry_run { "dry run: " } else { "" };
        let topic = self.topic_arn.as_deref().unwrap_or("no topic");
        writeln!(out, "{mode}{} → {topic}", self.table)?;
        if self.orders.is_empty() {
            writeln!(out, "no unpublished order in {}", self.table)?;
        } else {
            let rows = self.orders.iter().map(|order| {
                vec![
                    order.order_id.to_string(),
                    or_dash(order.created_at.as_ref().map(time)),
                    or_dash(order.event_id),
                    order.outcome.label().to_owned(),
                    clip(order.note.as_deref().unwrap_or_default(), 80),
                ]
            });
            let headers = ["ORDER ID", "CREATED", "EVENT ID", "RESULT", "NOTE"];
            table(out, &headers, rows)?;
        }
        let done = match self.dry_run {
            true => format!("would publish {}", self.would_publish),
            false => format!("published {}", self.published),
        };
        let (skipped, not_found, failed) = (self.skipped, self.not_found, self.failed);
        write!(
            out,
            "{done}, skipped {skipped}, not found {not_found}, failed {failed}"
        )?;
        if self.not_attempted > 0 {
            write!(out, ", not attempted {}", self.not_attempted)?;
        }
        match (self.dry_run, self.published) {
            (true, _) => writeln!(out, "; nothing was published"),
            (false, 0) => writeln!(out),
            (false, _) => writeln!(out, " (correlation id {})", self.correlation_id),
        }
    }

    fn exit_code(&self) -> ExitCode {
        let unfinished = self.not_found + self.failed + self.not_attempted;
        exit_code(self.topic_error.is_none() && unfinished == 0)
    }
}

#[cfg(test)]
mod tests {
    //! Unit tests of `orderctl republish`: arguments and reports.
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    fn parse(args: &[&str]) -> Result<RepublishArgs, clap::Error> {
        let cli = Cli::try_parse_from(["orderctl", "republish"].iter().chain(args))?;
        match cli.command {
            Command::Republish(args) => Ok(args),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn orders_are_named_or_all_unpublished_are_asked_for() {
        let id = "4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10";
        assert_eq!(parse(&[id]).expect("one id").order_ids.len(), 1);
        let all = parse(&["--all-unpublished", "--dry-run"]).expect("all");
        assert!(all.all_unpublished && all.dry_run && all.order_ids.is_empty());
        assert!(parse(&[]).is_err(), "neither ids nor --all-unpublished");
        assert!(parse(&[id, "--all-unpublished"]).is_err(), "both");
        let typo = parse(&["12345"]).expect_err("not a UUID");
        assert!(typo.to_string().contains("not an order id"), "{typo}");
    }

    fn outcome(outcome: Outcome) -> OrderOutcome {
        OrderOutcome::unread(OrderId::random(), outcome, None)
    }

    #[test]
    fn an_order_not_found_or_not_published_fails_the_run() {
        let report = |outcomes: &[Outcome]| {
            let orders = outcomes.iter().map(|o| outcome(*o)).collect();
            RepublishReport::new("t-Orders", Ok("arn"), "c", false, orders)
        };
        let fine = report(&[Outcome::Published, Outcome::Skipped]);
        assert_eq!((fine.published, fine.skipped), (1, 1));
        assert_eq!(fine.exit_code(), ExitCode::SUCCESS);
        assert!(fine.problems().is_empty());
        for bad in [Outcome::NotFound, Outcome::Failed, Outcome::NotAttempted] {
            let run = report(&[Outcome::Published, bad]);
            assert_eq!(run.exit_code(), ExitCode::FAILURE, "{bad:?}");
            assert_eq!(run.problems().len(), 1, "{bad:?}");
        }
    }

    #[test]
    fn a_dry_run_publishes_nothing_and_fails_without_a_topic() {
        let dry_run = |topic| {
            let orders = vec![outcome(Outcome::WouldPublish)];
            RepublishReport::new("t-Orders", topic, "c", true, orders)
        };
        let report = dry_run(Ok("arn"));
        let mut out = Vec::new();
        report.write_text(&mut out).expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        let summary = "would publish 1, skipped 0, not found 0, failed 0; nothing was published\n";
        assert!(text.ends_with(summary), "{text}");
        assert_eq!(report.exit_code(), ExitCode::SUCCESS);

        let report = dry_run(Err("no SNS topic t-OrderEvents".to_owned()));
        assert_eq!(report.would_publish, 1);
        assert_eq!(report.exit_code(), ExitCode::FAILURE);
        assert_eq!(report.problems(), ["no SNS topic t-OrderEvents"]);
    }
}
