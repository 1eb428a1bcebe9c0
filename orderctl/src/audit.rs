//! `orderctl audit <orderId>`: an order's audit trail, oldest first — the
//! `OrderIdIndex` query, every page of it.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use domain::{iso8601, Money, OrderId};
use ports::{AuditRecord, OrderRepository};
use serde::Serialize;
use uuid::Uuid;

use crate::error::CtlError;
use crate::output::{emit, time, Report, Table};
use crate::target::{order_id_arg, Globals, Target};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The order's id (a UUID, as the API returned it).
    #[arg(value_parser = order_id_arg)]
    pub order_id: OrderId,
}

/// One audit record as the operator reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRow {
    pub timestamp: String,
    pub event_type: String,
    pub event_id: Uuid,
    pub audit_id: Uuid,
    pub correlation_id: String,
    pub source_message_id: String,
    pub recorded_at: String,
    pub customer_name: String,
    pub customer_email: String,
    pub item_count: u32,
    pub total_amount: Money,
    #[serde(skip)]
    record: AuditRecord,
}

impl From<AuditRecord> for AuditRow {
    fn from(record: AuditRecord) -> Self {
        AuditRow {
            timestamp: iso8601::format(&record.timestamp),
            event_type: record.event_type.clone(),
            event_id: record.event_id,
            audit_id: record.audit_id,
            correlation_id: record.correlation_id.clone(),
            source_message_id: record.source_message_id.clone(),
            recorded_at: iso8601::format(&record.recorded_at),
            customer_name: record.details.customer_name.as_str().to_owned(),
            customer_email: record.details.customer_email.as_str().to_owned(),
            item_count: record.details.item_count,
            total_amount: record.details.total_amount,
            record,
        }
    }
}

/// Every audit record of the order, oldest first (the `OrderIdIndex` query).
pub async fn trail(target: &Target, order_id: OrderId) -> Result<Vec<AuditRow>, CtlError> {
    let table = &target.config.audit_table;
    let records = target
        .audit_log()
        .for_order(order_id)
        .await
        .map_err(|e| target.endpoint.error(Some(&format!("table {table}")), e))?;
    Ok(records.into_iter().map(AuditRow::from).collect())
}

/// Whether the order is in the orders table at all.
pub async fn order_exists(target: &Target, order_id: OrderId) -> Result<bool, CtlError> {
    let table = &target.config.orders_table;
    match target.orders().get(order_id).await {
        Ok(found) => Ok(found.is_some()),
        Err(e) => Err(target.endpoint.table_error(table, e)),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub order_id: OrderId,
    pub records: Vec<AuditRow>,
}

pub async fn run(args: AuditArgs, globals: &Globals) -> Result<ExitCode, CtlError> {
    let target = Target::connect(globals).await?;
    let records = trail(&target, args.order_id).await?;
    // An empty trail of an order that never existed is a typo, not news.
    if records.is_empty() && !order_exists(&target, args.order_id).await? {
        return Err(CtlError::NoSuchOrder {
            order_id: args.order_id,
            table: target.config.orders_table.clone(),
        });
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
    let mut table = Table::new(&[
        "TIMESTAMP",
        "EVENT",
        "EVENT ID",
        "CORRELATION ID",
        "SOURCE MESSAGE",
        "RECORDED",
    ]);
    for row in rows {
        table.row(vec![
            time(&row.record.timestamp),
            row.event_type.clone(),
            row.event_id.to_string(),
            row.correlation_id.clone(),
            row.source_message_id.clone(),
            time(&row.record.recorded_at),
        ]);
    }
    table.write(out)
}

impl Report for AuditReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "audit trail of order {} ({} record(s), oldest first)",
            self.order_id,
            self.records.len()
        )?;
        write_trail(&self.records, out)
    }
}
