//! The audit worker's handler: one audit record per event, however often the
//! event is delivered. The write is conditional on the key being new; finding
//! it taken means this event was audited already, which is success.

use chrono::Utc;
use ports::event::OrderCreated;
use ports::{AuditLog, Recorded};
use runtime::batch::{Delivery, EventHandler, RecordError};
use runtime::metrics::{counter, histogram, name};

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
            Recorded::Written => {
                counter!(name::AUDIT_RECORDS_CREATED).increment(1);
                let took = (Utc::now() - event.order.created_at).num_milliseconds();
                histogram!(name::ORDER_TO_AUDIT_MS).record(took.max(0) as f64);
                tracing::info!(auditId = %record.audit_id, "audit record written")
            }
            Recorded::AlreadyPresent => {
                tracing::info!(auditId = %record.audit_id, "event was already audited")
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    fn delivery(message_id: &str) -> runtime::batch::Delivery {
        runtime::batch::Delivery {
            message_id: message_id.to_owned(),
            receive_count: 1,
            deadline: chrono::Utc::now() + std::time::Duration::from_secs(60),
        }
    }

    use ports::fakes::{order_created, InMemoryAuditLog};
    use ports::FailureKind;

    use super::*;

    #[tokio::test]
    async fn an_event_delivered_three_times_is_audited_once() {
        let handler = RecordAudit::new(InMemoryAuditLog::default());
        let event = order_created();

        for message_id in ["m-1", "m-2", "m-3"] {
            handler
                .handle(&event, &delivery(message_id))
                .await
                .expect("handled");
        }

        let records = handler.log.records();
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert_eq!(record.order_id, event.order.order_id);
        assert_eq!(record.source_message_id, "m-1");
    }

    #[tokio::test]
    async fn a_store_failure_of_any_kind_is_retried() {
        // Even a refusal (a missing table, a denied write) is retried: an
        // operator can fix it before the last attempt dead-letters it.
        for transient in [true, false] {
            let handler = RecordAudit::new(InMemoryAuditLog::failing(transient));

            let error = handler
                .handle(&order_created(), &delivery("m-1"))
                .await
                .expect_err("failed");

            assert_eq!(error.kind(), FailureKind::Transient);
        }
    }
}
