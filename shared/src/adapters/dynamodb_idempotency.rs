//! `IdempotencyStore` on DynamoDB (`<env>-Idempotency`, PK `Id`, TTL `ExpiresAt`).
//!
//! A record is `IN_PROGRESS` (with `LockExpiresAt`), `RELEASED` or `COMPLETED`.
//! Every transition is a conditional write, so two racing attempts cannot both
//! own a key.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

use super::sdk_error::backend_error;
use crate::ports::{BackendError, Claim, IdempotencyStore};

const IN_PROGRESS: &str = "IN_PROGRESS";
const RELEASED: &str = "RELEASED";
const COMPLETED: &str = "COMPLETED";

#[derive(Debug, Clone)]
pub struct DynamoDbIdempotencyStore {
    client: Client,
    table: String,
    /// How long a claim holds before another attempt may take the key over.
    lock_for: Duration,
    /// How long a record is kept (DynamoDB TTL) after it is written.
    keep_for: Duration,
}

impl DynamoDbIdempotencyStore {
    pub fn new(
        client: Client,
        table: impl Into<String>,
        lock_for: Duration,
        keep_for: Duration,
    ) -> Self {
        DynamoDbIdempotencyStore {
            client,
            table: table.into(),
            lock_for,
            keep_for,
        }
    }

    fn epoch_after(now: DateTime<Utc>, after: Duration) -> AttributeValue {
        AttributeValue::N((now.timestamp() + after.as_secs() as i64).to_string())
    }

    async fn try_insert(
        &self,
        key: &str,
        fingerprint: &str,
        pending: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, BackendError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("Id", AttributeValue::S(key.to_owned()))
            .item("Fingerprint", AttributeValue::S(fingerprint.to_owned()))
            .item("Status", AttributeValue::S(IN_PROGRESS.to_owned()))
            .item("Pending", AttributeValue::S(pending.to_owned()))
            .item("LockExpiresAt", Self::epoch_after(now, self.lock_for))
            .item("ExpiresAt", Self::epoch_after(now, self.keep_for))
            .condition_expression("attribute_not_exists(Id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(backend_error("Idempotency.PutItem", e)),
        }
    }

    async fn read(
        &self,
        key: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, BackendError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("Id", AttributeValue::S(key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend_error("Idempotency.GetItem", e))?;
        Ok(output.item)
    }

    /// Takes over a released or expired claim, if nobody else did first.
    async fn take_over(
        &self,
        key: &str,
        seen_lock: &AttributeValue,
        now: DateTime<Utc>,
    ) -> Result<bool, BackendError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("Id", AttributeValue::S(key.to_owned()))
            .update_expression("SET #status = :in_progress, LockExpiresAt = :lock")
            .condition_expression("LockExpiresAt = :seen AND #status <> :completed")
            .expression_attribute_names("#status", "Status")
            .expression_attribute_values(":in_progress", AttributeValue::S(IN_PROGRESS.to_owned()))
            .expression_attribute_values(":completed", AttributeValue::S(COMPLETED.to_owned()))
            .expression_attribute_values(":lock", Self::epoch_after(now, self.lock_for))
            .expression_attribute_values(":seen", seen_lock.clone())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(backend_error("Idempotency.UpdateItem", e)),
        }
    }
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

fn epoch(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl IdempotencyStore for DynamoDbIdempotencyStore {
    async fn claim(
        &self,
        key: &str,
        fingerprint: &str,
        pending: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim, BackendError> {
        // A record can vanish between our writes (TTL, a release by delete), so
        // a few rounds may be needed; each round makes progress or decides.
        for _ in 0..3 {
            if self.try_insert(key, fingerprint, pending, now).await? {
                return Ok(Claim::Acquired {
                    pending: pending.to_owned(),
                });
            }
            let Some(item) = self.read(key).await? else {
                continue;
            };
            if text(&item, "Fingerprint") != fingerprint {
                return Ok(Claim::Mismatch);
            }
            match text(&item, "Status") {
                COMPLETED => {
                    return Ok(Claim::Completed {
                        result: text(&item, "Result").to_owned(),
                    })
                }
                IN_PROGRESS if epoch(&item, "LockExpiresAt") > now.timestamp() => {
                    return Ok(Claim::InProgress)
                }
                _ => {}
            }
            let seen_lock = item
                .get("LockExpiresAt")
                .cloned()
                .unwrap_or(AttributeValue::N("0".to_owned()));
            return if self.take_over(key, &seen_lock, now).await? {
                Ok(Claim::Acquired {
                    pending: text(&item, "Pending").to_owned(),
                })
            } else {
                Ok(Claim::InProgress)
            };
        }
        Ok(Claim::InProgress)
    }

    async fn complete(
        &self,
        key: &str,
        result: &str,
        now: DateTime<Utc>,
    ) -> Result<(), BackendError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("Id", AttributeValue::S(key.to_owned()))
            .update_expression("SET #status = :completed, #result = :result, ExpiresAt = :expires")
            .expression_attribute_names("#status", "Status")
            .expression_attribute_names("#result", "Result")
            .expression_attribute_values(":completed", AttributeValue::S(COMPLETED.to_owned()))
            .expression_attribute_values(":result", AttributeValue::S(result.to_owned()))
            .expression_attribute_values(":expires", Self::epoch_after(now, self.keep_for))
            .send()
            .await
            .map_err(|e| backend_error("Idempotency.UpdateItem", e))?;
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), BackendError> {
        // Keep the record (its Pending value lets the retry resume the same
        // work) but let anyone claim it now.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("Id", AttributeValue::S(key.to_owned()))
            .update_expression("SET #status = :released, LockExpiresAt = :zero")
            .condition_expression("#status = :in_progress")
            .expression_attribute_names("#status", "Status")
            .expression_attribute_values(":released", AttributeValue::S(RELEASED.to_owned()))
            .expression_attribute_values(":in_progress", AttributeValue::S(IN_PROGRESS.to_owned()))
            .expression_attribute_values(":zero", AttributeValue::N("0".to_owned()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(backend_error("Idempotency.UpdateItem", e)),
        }
    }
}
