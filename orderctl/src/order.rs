//! `orderctl order <orderId>`: everything about one order — as stored
//! (including whether its event was published), its audit trail, and
//! whether a DLQ holds a message of it (looked for without consuming).

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use domain::{Order, OrderId};
use ports::error_chain;
use ports::{email_key, IdempotencyStore, OrderRecord, OrderRepository};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{trail, write_trail, AuditRow};
use crate::dlq::{scan, DeadLetterHit, LetterView};
use crate::error::CtlError;
use crate::output::{clip, emit, or_dash, time, Report, Table};
use crate::target::{order_id_arg, Globals, Target, Workflow};
use crate::timeline::{timeline, write_timeline, Step};

/// DLQ messages looked at per queue: enough for an incident, bounded so a
/// flooded DLQ cannot stall the command (the report says when it stopped).
const DLQ_SCAN: usize = 500;

#[derive(Debug, Args)]
pub struct OrderArgs {
    /// The order's id (a UUID, as the API returned it).
    #[arg(value_parser = order_id_arg)]
    pub order_id: OrderId,
}

/// How far each DLQ was searched.
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
    /// Stored, published, emailed, audited, dead-lettered: when each happened.
    pub timeline: Vec<Step>,
    pub audit_trail: Vec<AuditRow>,
    pub dead_letters: Vec<DeadLetterHit>,
    pub dlq_search: Vec<DlqSearch>,
}

pub async fn run(args: OrderArgs, globals: &Globals) -> Result<ExitCode, CtlError> {
    let target = Target::connect(globals).await?;
    let record = get(&target, args.order_id).await?;
    let audit_trail = trail(&target, args.order_id).await?;
    let (dead_letters, dlq_search) = search_dlqs(&target, args.order_id).await;
    // A store that cannot be read leaves the email step unknown, not the command failed.
    let email = target
        .idempotency()
        .lookup(&email_key(record.event_id))
        .await
        .unwrap_or_default();
    let timeline = timeline(&record, email.as_ref(), &audit_trail, &dead_letters);
    let report = OrderReport {
        timeline,
        order: record.order,
        event_id: record.event_id,
        published: record.published,
        audit_trail,
        dead_letters,
        dlq_search,
    };
    emit(&report, globals.json())
}

async fn get(target: &Target, order_id: OrderId) -> Result<OrderRecord, CtlError> {
    let table = &target.config.orders_table;
    match target.orders().get(order_id).await {
        Ok(Some(record)) => Ok(record),
        Ok(None) => Err(CtlError::NoSuchOrder {
            order_id,
            table: table.clone(),
        }),
        Err(e) => Err(target.endpoint.table_error(table, e)),
    }
}

/// The order's messages in any DLQ. A DLQ that cannot be searched is
/// reported, not fatal: the order and its trail are still worth showing.
async fn search_dlqs(target: &Target, order_id: OrderId) -> (Vec<DeadLetterHit>, Vec<DlqSearch>) {
    let queues = target.queues();
    let mut hits = Vec::new();
    let mut searches = Vec::new();
    for workflow in Workflow::ALL {
        let found = async {
            let dlq = target.resolve(workflow).await?;
            let scan = scan::peek(&queues, &dlq.queue.url, DLQ_SCAN)
                .await
                .map_err(|e| target.endpoint.error(None, e))?;
            Ok::<_, CtlError>((dlq.queue.name, scan))
        }
        .await;
        match found {
            Ok((queue, scan)) => {
                hits.extend(
                    scan.letters
                        .iter()
                        .filter(|l| l.order_id() == Some(order_id))
                        .map(|l| DeadLetterHit {
                            workflow,
                            queue: queue.clone(),
                            message: LetterView::of(l),
                        }),
                );
                searches.push(DlqSearch {
                    workflow,
                    queue: Some(queue),
                    scanned: scan.letters.len(),
                    complete: scan.complete,
                    error: None,
                });
            }
            Err(error) => searches.push(DlqSearch {
                workflow,
                queue: None,
                scanned: 0,
                complete: false,
                error: Some(error_chain(&error)),
            }),
        }
    }
    (hits, searches)
}

impl Report for OrderReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let order = &self.order;
        writeln!(out, "order      {}", order.order_id)?;
        writeln!(out, "created    {}", time(&order.created_at))?;
        writeln!(
            out,
            "customer   {} <{}>{}",
            order.customer_name.as_str(),
            order.customer_email.as_str(),
            order
                .customer_id
                .as_deref()
                .map(|id| format!(" (id {id})"))
                .unwrap_or_default()
        )?;
        writeln!(
            out,
            "total      {} ({} line(s))",
            order.total_amount.to_display_string(),
            order.items.len()
        )?;
        let published = if self.published {
            "published"
        } else {
            "NOT published: the workers never saw it; `orderctl republish <orderId>` (or a retry of the POST with its Idempotency-Key) publishes it"
        };
        writeln!(out, "event      {} {published}", self.event_id)?;
        writeln!(out, "\ntimeline")?;
        write_timeline(&self.timeline, out)?;
        writeln!(out)?;
        let mut items = Table::new(&["PRODUCT", "NAME", "QTY", "PRICE", "SUBTOTAL"]);
        for line in &order.items {
            items.row(vec![
                line.product_id.clone(),
                or_dash(line.product_name.as_deref()),
                line.quantity.get().to_string(),
                line.price.to_display_string(),
                line.subtotal.to_display_string(),
            ]);
        }
        items.write(out)?;
        writeln!(out, "\naudit trail ({} record(s))", self.audit_trail.len())?;
        write_trail(&self.audit_trail, out)?;
        writeln!(out, "\ndead-letter queues")?;
        for search in &self.dlq_search {
            let name = search.queue.as_deref().unwrap_or(search.workflow.name());
            match &search.error {
                Some(error) => writeln!(out, "  {name}: not searched: {error}")?,
                None if search.complete => {
                    writeln!(out, "  {name}: all {} message(s) searched", search.scanned)?
                }
                None => writeln!(
                    out,
                    "  {name}: the first {} message(s) searched; there are more",
                    search.scanned
                )?,
            }
        }
        if self.dead_letters.is_empty() {
            return writeln!(out, "no DLQ message of this order found");
        }
        let mut table = Table::new(&["QUEUE", "MESSAGE ID", "FAILED AT", "REASON"]);
        for hit in &self.dead_letters {
            table.row(vec![
                hit.queue.clone(),
                hit.message.message_id.clone(),
                or_dash(hit.message.failed_at.as_deref()),
                clip(&hit.message.reason(), 80),
            ]);
        }
        table.write(out)?;
        writeln!(
            out,
            "`orderctl dlq redrive <queue> --message-id <id>` moves one back"
        )
    }

    fn exit_code(&self) -> ExitCode {
        if self.dlq_search.iter().any(|s| s.error.is_some()) {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }
}
