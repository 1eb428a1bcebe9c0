//! [`AuditLog`] in memory, keyed like the table.

use std::collections::HashMap;
use std::sync::Mutex;

use uuid::Uuid;

use crate::{AuditLog, AuditRecord, BackendError, Recorded};

/// Audit records by key (`AuditId` + `Timestamp`), like the table; can be
/// told to fail every write.
#[derive(Debug, Default)]
pub struct InMemoryAuditLog {
    records: Mutex<HashMap<(Uuid, String), AuditRecord>>,
    failure: Option<bool>,
}

impl InMemoryAuditLog {
    /// A log whose every write fails, transiently or not.
    pub fn failing(transient: bool) -> Self {
        InMemoryAuditLog {
            failure: Some(transient),
            ..Default::default()
        }
    }

    pub fn records(&self) -> Vec<AuditRecord> {
        self.records
            .lock()
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default()
    }
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
        let mut records = self
            .records
            .lock()
            .map_err(|_| BackendError::new("AuditLogs.PutItem", true, "poisoned"))?;
        if records.contains_key(&key) {
            return Ok(Recorded::AlreadyPresent);
        }
        records.insert(key, record.clone());
        Ok(Recorded::Written)
    }
}
