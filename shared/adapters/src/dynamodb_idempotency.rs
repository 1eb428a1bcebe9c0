//! `IdempotencyStore` on DynamoDB (`<env>-Idempotency`, PK `Id`, TTL `ExpiresAt`).
//! A record is `IN_PROGRESS` (held by `Token` until `LockExpiresAt`), `RELEASED`
//! or `COMPLETED` (with its `Result`). Each transition is one conditional write
//! checked against the caller's clock, never left to the TTL sweep (it may lag
//! by days); a failed condition returns the record (`ALL_OLD`): no second read.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

use super::sdk_error::backend_error;
use ports::{
    BackendError, Claim, ClaimRequest, ClaimToken, Completion, IdempotencyStore, KeyRecord,
};

const IN_PROGRESS: &str = "IN_PROGRESS";
const RELEASED: &str = "RELEASED";
const COMPLETED: &str = "COMPLETED";
/// A write by the claim's holder.
const HELD: &str = "#token = :token AND #status = :in_progress";

/// Write-then-look rounds on a key that keeps changing (each decides or saw progress).
const ROUNDS: usize = 4;

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Clone)]
pub struct DynamoDbIdempotencyStore {
    client: Client,
    table: String,
    /// DynamoDB TTL, also checked on claim.
    keep_for: Duration,
}

enum Written {
    Done(Item),
    /// The condition failed; the record as it was, if there was one.
    Refused(Option<Item>),
}

impl DynamoDbIdempotencyStore {
    pub fn new(client: Client, table: impl Into<String>, keep_for: Duration) -> Self {
        DynamoDbIdempotencyStore {
            client,
            table: table.into(),
            keep_for,
        }
    }

    fn keep_until(&self, now: DateTime<Utc>) -> AttributeValue {
        epoch(now + self.keep_for)
    }

    /// An `UpdateItem` of `key`, whose expressions must name `#status`, `#token`,
    /// `:token` and `:in_progress` (DynamoDB refuses unused ones).
    fn update(&self, key: &str, token: impl ToString) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("Id", text_value(key))
            .expression_attribute_names("#status", "Status")
            .expression_attribute_names("#token", "Token")
            .expression_attribute_values(":token", text_value(token))
            .expression_attribute_values(":in_progress", text_value(IN_PROGRESS))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
    }

    /// Claims a new key, one this token holds (a retry whose reply was lost), or
    /// one not completed whose hold lapsed, keeping the first attempt's `Pending`.
    async fn claim_in_place(&self, request: &ClaimRequest<'_>) -> Result<Written, BackendError> {
        let claim = self
            .update(request.key, request.token)
            .update_expression(
                "SET Fingerprint = :fingerprint, Pending = if_not_exists(Pending, :pending), \
                 #status = :in_progress, #token = :token, LockExpiresAt = :hold, \
                 ExpiresAt = :keep",
            )
            .condition_expression(
                "attribute_not_exists(Id) OR (Fingerprint = :fingerprint AND ExpiresAt > :now AND \
                 ((#token = :token AND #status = :in_progress) OR \
                  (#status <> :completed AND LockExpiresAt <= :now)))",
            )
            .expression_attribute_values(":fingerprint", text_value(request.fingerprint))
            .expression_attribute_values(":pending", text_value(request.pending))
            .expression_attribute_values(":completed", text_value(COMPLETED))
            .expression_attribute_values(":hold", epoch(request.hold_until))
            .expression_attribute_values(":keep", self.keep_until(request.now))
            .expression_attribute_values(":now", epoch_now(request.now))
            .return_values(ReturnValue::AllNew);
        written(claim).await
    }

    /// A fresh claim over a record whose time is up (TTL has not swept it yet),
    /// unless someone else replaced it first.
    async fn replace_expired(
        &self,
        request: &ClaimRequest<'_>,
        seen_expiry: AttributeValue,
    ) -> Result<bool, BackendError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("Id", text_value(request.key))
            .item("Fingerprint", text_value(request.fingerprint))
            .item("Pending", text_value(request.pending))
            .item("Status", text_value(IN_PROGRESS))
            .item("Token", text_value(request.token))
            .item("LockExpiresAt", epoch(request.hold_until))
            .item("ExpiresAt", self.keep_until(request.now))
            .condition_expression("ExpiresAt = :seen")
            .expression_attribute_values(":seen", seen_expiry)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => match e.as_service_error() {
                Some(s) if s.is_conditional_check_failed_exception() => Ok(false),
                _ => Err(backend_error("Idempotency.PutItem", e)),
            },
        }
    }
}

fn text_value(text: impl ToString) -> AttributeValue {
    AttributeValue::S(text.to_string())
}

/// Epoch seconds, rounded up: a hold never ends before the instant it names.
fn epoch(at: DateTime<Utc>) -> AttributeValue {
    let seconds = at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0);
    AttributeValue::N(seconds.to_string())
}

/// Epoch seconds, rounded down: with holds rounded up, `LockExpiresAt <= :now`
/// only once the hold's instant has passed.
fn epoch_now(now: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(now.timestamp().to_string())
}

/// Sends `update`; a failed condition answers the record as it was.
async fn written(update: UpdateItemFluentBuilder) -> Result<Written, BackendError> {
    match update.send().await {
        Ok(output) => Ok(Written::Done(output.attributes.unwrap_or_default())),
        Err(e) => match e.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(refused)) => {
                Ok(Written::Refused(refused.item.clone()))
            }
            _ => Err(backend_error("Idempotency.UpdateItem", e)),
        },
    }
}

fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

fn seconds(item: &Item, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl IdempotencyStore for DynamoDbIdempotencyStore {
    async fn claim(&self, request: &ClaimRequest<'_>) -> Result<Claim, BackendError> {
        let now = request.now.timestamp();
        for _ in 0..ROUNDS {
            let found = match self.claim_in_place(request).await? {
                Written::Done(item) => {
                    let pending = text(&item, "Pending").to_owned();
                    return Ok(Claim::Acquired { pending });
                }
                // Gone between the write and its answer (TTL): write again.
                Written::Refused(None) => continue,
                Written::Refused(Some(found)) => found,
            };
            if seconds(&found, "ExpiresAt") <= now {
                // A record whose time is up is no record: start afresh.
                let zero = || AttributeValue::N("0".to_owned());
                let seen = found.get("ExpiresAt").cloned().unwrap_or_else(zero);
                if self.replace_expired(request, seen).await? {
                    let pending = request.pending.to_owned();
                    return Ok(Claim::Acquired { pending });
                }
                continue;
            }
            if text(&found, "Fingerprint") != request.fingerprint {
                return Ok(Claim::Mismatch);
            }
            if text(&found, "Status") == COMPLETED {
                let result = text(&found, "Result").to_owned();
                return Ok(Claim::Completed { result });
            }
            let held_until = seconds(&found, "LockExpiresAt");
            if held_until > now {
                let until = DateTime::from_timestamp(held_until, 0);
                return Ok(Claim::InProgress {
                    until: until.unwrap_or(DateTime::<Utc>::MIN_UTC),
                });
            }
            // The hold lapsed between our write and its check: try again.
        }
        // The key changed under us every round: someone else is busy with it.
        Ok(Claim::InProgress {
            until: request.now + chrono::Duration::seconds(1),
        })
    }

    async fn complete(
        &self,
        key: &str,
        token: ClaimToken,
        result: &str,
        now: DateTime<Utc>,
    ) -> Result<Completion, BackendError> {
        let complete = self
            .update(key, token)
            .update_expression(
                "SET #status = :completed, #result = :result, ExpiresAt = :keep, \
                 CompletedAt = :now REMOVE LockExpiresAt",
            )
            .condition_expression(HELD)
            .expression_attribute_names("#result", "Result")
            .expression_attribute_values(":completed", text_value(COMPLETED))
            .expression_attribute_values(":result", text_value(result))
            .expression_attribute_values(":now", text_value(domain::iso8601::format(&now)))
            .expression_attribute_values(":keep", self.keep_until(now));
        Ok(match written(complete).await? {
            Written::Done(_) => Completion::Recorded,
            // Our own earlier write, whose reply was lost, already recorded it.
            Written::Refused(Some(found))
                if text(&found, "Token") == token.to_string()
                    && text(&found, "Status") == COMPLETED =>
            {
                Completion::Recorded
            }
            Written::Refused(_) => Completion::Superseded,
        })
    }

    async fn lookup(&self, key: &str) -> Result<Option<KeyRecord>, BackendError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("Id", text_value(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend_error("Idempotency.GetItem", e))?;
        Ok(output.item.map(|item| KeyRecord {
            completed_at: text(&item, "CompletedAt").parse().ok(),
            result: (text(&item, "Status") == COMPLETED).then(|| text(&item, "Result").to_owned()),
        }))
    }

    async fn release(&self, key: &str, token: ClaimToken) -> Result<(), BackendError> {
        // The record stays (its Pending lets a retry resume the same work), free
        // to claim now; a key no longer ours has nothing of ours to give up.
        let release = self
            .update(key, token)
            .update_expression("SET #status = :released, LockExpiresAt = :zero")
            .condition_expression(HELD)
            .expression_attribute_values(":released", text_value(RELEASED))
            .expression_attribute_values(":zero", AttributeValue::N("0".to_owned()));
        written(release).await.map(drop)
    }
}
