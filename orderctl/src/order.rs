//! `orderctl order <orderId>`: everything about one order — as stored, its
//! audit trail, its DLQ messages (peeked), and its timeline, each step read
//! from where it leaves its mark (the order, the email's idempotency record, …).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use adapters::DynamoDbIdempotencyStore;
use chrono::{DateTime, Utc};
use domain::{iso8601, Order, OrderId};
use ports::{email_key, error_chain, IdempotencyStore, KeyRecord, OrderRecord};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{trail, write_trail, AuditRow};
use crate::dlq::letter::{DeadLetterHit, LetterView};
use crate::dlq::scan;
use crate::error::CtlError;
use crate::output::{clip, emit, exit_code, or_dash, table, time, Report};
use crate::target::{Globals, OrderArg, Target, Workflow};

/// DLQ messages looked at per queue: enough for an incident, bounded so a
/// flooded DLQ cannot stall the command (the report says when it stopped).
const DLQ_SCAN: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DlqSearch {
    pub workflow: Workflow,
    pub queue: Option<String>,
    pub scanned: usize,
    /// Every visible message was looked at.
    pub complete: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderReport {
    pub order: Order,
    pub event_id: Uuid,
    /// Whether SNS accepted the order's event. If not, the workers never saw it.
    pub published: bool,
    pub timeline: Vec<Step>,
    pub audit_trail: Vec<AuditRow>,
    pub dead_letters: Vec<DeadLetterHit>,
    pub dlq_search: Vec<DlqSearch>,
}

pub async fn run(args: OrderArg, globals: &Globals) -> Result<ExitCode, CtlError> {
    let target = Target::connect(globals).await?;
    let record = target.order(args.order_id).await?;
    let audit_trail = trail(&target, args.order_id).await?;
    let (dead_letters, dlq_search) = search_dlqs(&target, args.order_id).await;
    // Only read: how long a record is kept matters to writers alone.
    let table = &target.config.idempotency_table;
    let idempotency = DynamoDbIdempotencyStore::new(target.dynamodb(), table, Duration::ZERO);
    // A store that cannot be read leaves the email step unknown, not the command failed.
    let email = idempotency.lookup(&email_key(record.event_id)).await;
    let email = email.unwrap_or_default();
    let report = OrderReport {
        timeline: timeline(&record, email.as_ref(), &audit_trail, &dead_letters),
        order: record.order,
        event_id: record.event_id,
        published: record.published,
        audit_trail,
        dead_letters,
        dlq_search,
    };
    emit(&report, globals.json())
}

/// The order's messages in any DLQ. A DLQ that cannot be searched is
/// reported, not fatal: the order and its trail are still worth showing.
async fn search_dlqs(target: &Target, order_id: OrderId) -> (Vec<DeadLetterHit>, Vec<DlqSearch>) {
    let queues = target.queues();
    let (mut hits, mut searches) = (Vec::new(), Vec::new());
    for workflow in Workflow::ALL {
        let found = async {
            let dlq = target.resolve(workflow).await?;
            let scan = scan::peek(&queues, &dlq.queue.url, DLQ_SCAN).await;
            Ok::<_, CtlError>((dlq.queue.name, scan.map_err(|e| target.failed(e))?))
        };
        let (queue, scanned, complete, error) = match found.await {
            Err(error) => (None, 0, false, Some(error_chain(&error))),
            Ok((queue, scan)) => {
                let letters = scan.letters.iter();
                let of_order = letters.filter(|l| l.order_id() == Some(order_id));
                hits.extend(of_order.map(|l| DeadLetterHit {
                    workflow,
                    queue: queue.clone(),
                    message: LetterView::of(l),
                }));
                (Some(queue), scan.letters.len(), scan.complete, None)
            }
        };
        searches.push(DlqSearch {
            workflow,
            queue,
            scanned,
            complete,
            error,
        });
    }
    (hits, searches)
}

/// One step: what, when (ISO 8601, if known), and what it left behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub step: &'static str,
    /// `done`, `pending` or `failed`.
    pub state: &'static str,
    pub at: Option<String>,
    pub detail: String,
}

pub fn timeline(
    record: &OrderRecord,
    email: Option<&KeyRecord>,
    trail: &[AuditRow],
    dead_letters: &[DeadLetterHit],
) -> Vec<Step> {
    let at = |time: Option<&DateTime<Utc>>| time.map(iso8601::format);
    let step = |step, state, at, detail| Step {
        step,
        state,
        at,
        detail,
    };
    let not_done = |name, workflow: Workflow| {
        if dead_letters.iter().any(|h| h.workflow == workflow) {
            let detail = format!("no: its message is in the {} DLQ (below)", workflow.name());
            step(name, "failed", None, detail)
        } else {
            step(name, "pending", None, "not yet".to_owned())
        }
    };
    let stored = format!("event {}", record.event_id);
    let created = at(Some(&record.order.created_at));
    let mut steps = vec![step("stored", "done", created, stored)];
    steps.push(match record.published {
        true => {
            let at = at(record.published_at.as_ref());
            step("published", "done", at, "SNS accepted the event".into())
        }
        false => {
            let detail = "not yet: the outbox relay publishes it within a minute \
                          (`orderctl republish` by hand)";
            step("published", "pending", None, detail.into())
        }
    });
    let email = email.and_then(|e| Some((e.completed_at.as_ref(), e.result.as_ref()?)));
    steps.push(match email {
        Some((completed, ses_id)) => {
            let detail = format!("SES message {ses_id}");
            step("emailed", "done", at(completed), detail)
        }
        None => not_done("emailed", Workflow::Email),
    });
    steps.push(match trail.first() {
        Some(first) => {
            let records = format!("{} audit record(s)", trail.len());
            step("audited", "done", at(Some(&first.0.recorded_at)), records)
        }
        None => not_done("audited", Workflow::Audit),
    });
    steps.extend(dead_letters.iter().map(|hit| {
        let message = &hit.message;
        let at = message.failed_at.clone().or(message.sent_at.clone());
        let detail = format!("{}: {}", hit.queue, message.reason());
        step("dead-lettered", "failed", at, detail)
    }));
    steps
}

impl Report for OrderReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let order = &self.order;
        writeln!(out, "order      {}", order.order_id)?;
        writeln!(out, "created    {}", time(&order.created_at))?;
        let (name, email) = (order.customer_name.as_str(), order.customer_email.as_str());
        let id = order.customer_id.as_deref().map(|id| format!(" (id {id})"));
        writeln!(out, "customer   {name} <{email}>{}", id.unwrap_or_default())?;
        let (total, lines) = (order.total_amount.to_display_string(), order.items.len());
        writeln!(out, "total      {total} ({lines} line(s))")?;
        let published = if self.published {
            "published"
        } else {
            "NOT published: the workers never saw it; `orderctl republish <orderId>` (or a retry of the POST with its Idempotency-Key) publishes it"
        };
        writeln!(out, "event      {} {published}", self.event_id)?;
        writeln!(out, "\ntimeline")?;
        let steps = self.timeline.iter().map(|step| {
            vec![
                step.step.to_owned(),
                step.state.to_owned(),
                or_dash(step.at.as_deref().map(|t| t.replacen('T', " ", 1))),
                clip(&step.detail, 90),
            ]
        });
        table(out, &["STEP", "STATE", "AT", "DETAIL"], steps)?;
        writeln!(out)?;
        let items = order.items.iter().map(|line| {
            vec![
                line.product_id.clone(),
                or_dash(line.product_name.as_deref()),
                line.quantity.get().to_string(),
                line.price.to_display_string(),
                line.subtotal.to_display_string(),
            ]
        });
        table(out, &["PRODUCT", "NAME", "QTY", "PRICE", "SUBTOTAL"], items)?;
        writeln!(out, "\naudit trail ({} record(s))", self.audit_trail.len())?;
        write_trail(&self.audit_trail, out)?;
        writeln!(out, "\ndead-letter queues")?;
        for search in &self.dlq_search {
            let name = search.queue.as_deref().unwrap_or(search.workflow.name());
            let n = search.scanned;
            match &search.error {
                Some(error) => writeln!(out, "  {name}: not searched: {error}")?,
                None if search.complete => writeln!(out, "  {name}: all {n} message(s) searched")?,
                None => writeln!(
                    out,
                    "  {name}: the first {n} message(s) searched; there are more"
                )?,
            }
        }
        if self.dead_letters.is_empty() {
            return writeln!(out, "no DLQ message of this order found");
        }
        let rows = self.dead_letters.iter().map(|hit| {
            vec![
                hit.queue.clone(),
                hit.message.message_id.clone(),
                or_dash(hit.message.failed_at.as_deref()),
                clip(&hit.message.reason(), 80),
            ]
        });
        table(out, &["QUEUE", "MESSAGE ID", "FAILED AT", "REASON"], rows)?;
        writeln!(
            out,
            "`orderctl dlq redrive <queue> --message-id <id>` moves one back"
        )
    }

    fn exit_code(&self) -> ExitCode {
        exit_code(self.dlq_search.iter().all(|s| s.error.is_none()))
    }
}
