//! The audit worker's handler: one audit record per event, however often the
//! event is delivered. The write is conditional on the key being new; finding
//! it taken means this event was audited already, which is success.

use chrono::Utc;
use shared::batch::{Delivery, EventHandler, RecordError};
use shared::event::OrderCreated;
use shared::ports::{AuditLog, Recorded};

use crate::audit_record::audit_record;

#[derive(Debug)]
pub struct RecordAudit<A> {
    log: A,
}

impl<A: AuditLog> RecordAudit<A> {
    pub fn new(log: A) -> Self {
        RecordAudit { log }
    }
}

impl<A: AuditLog> EventHandler for RecordAudit<A> {
    async fn handle(&self, event: &OrderCreated, delivery: &Delivery) -> Result<(), RecordError> {
        let record = audit_record(event, delivery, Utc::now());
        match self.log.record(&record).await? {
            Recorded::Written => tracing::info!(auditId = %record.audit_id, "audit record written"),
            Recorded::AlreadyPresent => {
                tracing::info!(auditId = %record.audit_id, "event was already audited")
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use shared::domain::{parse_order, OrderId};
    use shared::fakes::delivery;
    use shared::ports::{AuditRecord, BackendError, FailureKind};
    use uuid::Uuid;

    use super::*;

    /// Audit records by key, like the table; can be told to fail.
    #[derive(Default)]
    struct InMemoryAuditLog {
        records: Mutex<HashMap<(Uuid, String), AuditRecord>>,
        failure: Option<bool>,
    }

    impl AuditLog for InMemoryAuditLog {
        async fn record(&self, record: &AuditRecord) -> Result<Recorded, BackendError> {
            if let Some(transient) = self.failure {
                return Err(BackendError::new(
                    "AuditLogs.PutItem",
                    transient,
                    "unavailable",
                ));
            }
            let key = (record.audit_id, record.timestamp.to_rfc3339());
            let mut records = self.records.lock().expect("not poisoned");
            if records.contains_key(&key) {
                return Ok(Recorded::AlreadyPresent);
            }
            records.insert(key, record.clone());
            Ok(Recorded::Written)
        }
    }

    fn event() -> OrderCreated {
        let order = parse_order(
            br#"{"customerName":"Ada Lovelace","customerEmail":"ada@example.com","items":[{"productId":"p-1","quantity":1,"price":5}]}"#,
        )
        .expect("a valid order")
        .accept(OrderId::new(), Utc::now());
        OrderCreated::new(Uuid::new_v4(), "corr-1", order)
    }

    #[tokio::test]
    async fn an_event_delivered_three_times_is_audited_once() {
        let handler = RecordAudit::new(InMemoryAuditLog::default());
        let event = event();

        for message_id in ["m-1", "m-2", "m-3"] {
            handler
                .handle(&event, &delivery(message_id))
                .await
                .expect("handled");
        }

        let records = handler.log.records.lock().expect("not poisoned");
        assert_eq!(records.len(), 1);
        let record = records.values().next().expect("one record");
        assert_eq!(record.order_id, event.order.order_id);
        assert_eq!(record.source_message_id, "m-1");
    }

    #[tokio::test]
    async fn a_store_failure_of_any_kind_is_retried() {
        // Even a refusal (a missing table, a denied write) is retried: an
        // operator can fix it before the last attempt dead-letters it.
        for transient in [true, false] {
            let handler = RecordAudit::new(InMemoryAuditLog {
                failure: Some(transient),
                ..Default::default()
            });

            let error = handler
                .handle(&event(), &delivery("m-1"))
                .await
                .expect_err("failed");

            assert_eq!(error.kind(), FailureKind::Transient);
        }
    }
}
