//! The audit trail: one record per event, written once.

use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::BackendError;
use domain::{CustomerEmail, CustomerName, Money, OrderId};

/// What the audit trail keeps about one event. The key, `audit_id` and
/// `timestamp`, comes from the event, never from the moment of writing, so a
/// redelivered event maps to the same key and the conditional write sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub audit_id: Uuid,
    /// When the audited thing happened (the order's `createdAt`).
    pub timestamp: DateTime<Utc>,
    pub order_id: OrderId,
    pub event_type: String,
    pub event_id: Uuid,
    pub correlation_id: String,
    pub details: OrderDetails,
    /// The SQS message the record was written from.
    pub source_message_id: String,
    pub recorded_at: DateTime<Utc>,
}

/// A snapshot of the order at the time of the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDetails {
    pub customer_id: Option<String>,
    pub customer_name: CustomerName,
    pub customer_email: CustomerEmail,
    pub item_count: u32,
    pub total_amount: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Written,
    /// A record with the same key exists: this event was audited before.
    AlreadyPresent,
}

/// Where audit records go. Writing the same record twice leaves one record.
pub trait AuditLog: Send + Sync {
    fn record(
        &self,
        record: &AuditRecord,
    ) -> impl Future<Output = Result<Recorded, BackendError>> + Send;
}
