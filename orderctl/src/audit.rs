//! `orderctl audit <orderId>`: an order's audit trail, oldest first (every page of `OrderIdIndex`).

use std::io::Write;
use std::process::ExitCode;

use adapters::DynamoDbAuditLog;
use chrono::{DateTime, Utc};
use domain::{iso8601, CustomerEmail, CustomerName, Money, OrderId};
use ports::{AuditRecord, OrderDetails};
use serde::Serialize;
use uuid::Uuid;

use crate::error::CtlError;
use crate::output::{emit, table, time, Report};
use crate::target::{Globals, OrderArg, Target};

/// One audit record as the operator reads it: its order details inline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow(#[serde(with = "Record")] pub AuditRecord);

/// The fields shown, in order (the port's record has no `Serialize`).
#[derive(Serialize)]
#[serde(remote = "AuditRecord", rename_all = "camelCase")]
struct Record {
    #[serde(with = "iso8601")]
    timestamp: DateTime<Utc>,
    event_type: String,
    event_id: Uuid,
    audit_id: Uuid,
    correlation_id: String,
    source_message_id: String,
    #[serde(with = "iso8601")]
    recorded_at: DateTime<Utc>,
    #[serde(flatten, with = "Details")]
    details: OrderDetails,
}

#[derive(Serialize)]
#[serde(remote = "OrderDetails", rename_all = "camelCase")]
struct Details {
    customer_name: CustomerName,
    customer_email: CustomerEmail,
    item_count: u32,
    total_amount: Money,
}

pub async fn trail(target: &Target, order_id: OrderId) -> Result<Vec<AuditRow>, CtlError> {
    let table = &target.config.audit_table;
    let records = DynamoDbAuditLog::new(target.dynamodb(), table)
        .for_order(order_id)
        .await
        .map_err(|e| target.endpoint.table_error(table, e))?;
    Ok(records.into_iter().map(AuditRow).collect())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub order_id: OrderId,
    pub records: Vec<AuditRow>,
}

pub async fn run(args: OrderArg, globals: &Globals) -> Result<ExitCode, CtlError> {
    let target = Target::connect(globals).await?;
    let records = trail(&target, args.order_id).await?;
    // An empty trail of an order that never existed is a typo, not news.
    if records.is_empty() {
        target.order(args.order_id).await?;
    }
    let report = AuditReport {
        order_id: args.order_id,
        records,
    };
    emit(&report, globals.json())
}

/// The trail as a table; shared with `orderctl order`.
pub fn write_trail(rows: &[AuditRow], out: &mut dyn Write) -> std::io::Result<()> {
    if rows.is_empty() {
        return writeln!(
            out,
            "no audit record yet: is audit-worker running? `orderctl dlq peek audit` shows what failed"
        );
    }
    let rows = rows.iter().map(|AuditRow(row)| {
        vec![
            time(&row.timestamp),
            row.event_type.clone(),
            row.event_id.to_string(),
            row.correlation_id.clone(),
            row.source_message_id.clone(),
            time(&row.recorded_at),
        ]
    });
    let headers = [
        "TIMESTAMP",
        "EVENT",
        "EVENT ID",
        "CORRELATION ID",
        "SOURCE MESSAGE",
        "RECORDED",
    ];
    table(out, &headers, rows)
}

impl Report for AuditReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let (id, n) = (self.order_id, self.records.len());
        writeln!(
            out,
            "audit trail of order {id} ({n} record(s), oldest first)"
        )?;
        write_trail(&self.records, out)
    }
}
