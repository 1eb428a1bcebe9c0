//! `AuditLog` on DynamoDB (`<env>-AuditLogs`: PK `AuditId`, SK `Timestamp`,
//! GSI `OrderIdIndex` = `OrderId` + `Timestamp`). A record is written with
//! `attribute_not_exists(AuditId)`, checked against the item of the same full
//! key: both parts come from the event, so a redelivery finds its own earlier
//! write and the failed condition means "already recorded".

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::sdk_error::backend_error;
use domain::{iso8601, CustomerEmail, CustomerName, Money, OrderId};
use ports::{AuditLog, AuditRecord, BackendError, OrderDetails, Recorded};

const ORDER_ID_INDEX: &str = "OrderIdIndex";

#[derive(Debug, Clone)]
pub struct DynamoDbAuditLog {
    client: Client,
    table: String,
}

impl DynamoDbAuditLog {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoDbAuditLog {
            client,
            table: table.into(),
        }
    }

    /// Every audit record of an order, oldest first (the `OrderIdIndex` query).
    pub async fn for_order(&self, order_id: OrderId) -> Result<Vec<AuditRecord>, BackendError> {
        let mut items = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(ORDER_ID_INDEX)
            .key_condition_expression("OrderId = :order")
            .expression_attribute_values(":order", AttributeValue::S(order_id.to_string()))
            .scan_index_forward(true)
            .into_paginator()
            .items()
            .send();
        let mut records = Vec::new();
        while let Some(item) = items.next().await {
            let item = item.map_err(|e| backend_error("AuditLogs.Query", e))?;
            let item: Stored = serde_dynamo::from_item(item)
                .map_err(|e| BackendError::new("AuditLogs.Query", false, e))?;
            records.push(item.0);
        }
        Ok(records)
    }
}

/// [`AuditRecord`]'s stored shape (the reference design's names), by serde's `remote`.
#[derive(Serialize, Deserialize)]
#[serde(remote = "AuditRecord", rename_all = "PascalCase")]
struct AuditItem {
    audit_id: Uuid,
    #[serde(with = "iso8601")]
    timestamp: DateTime<Utc>,
    order_id: OrderId,
    event_type: String,
    event_id: Uuid,
    correlation_id: String,
    #[serde(rename = "OrderDetails", with = "OrderDetailsItem")]
    details: OrderDetails,
    source_message_id: String,
    #[serde(with = "iso8601")]
    recorded_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "OrderDetails", rename_all = "PascalCase")]
struct OrderDetailsItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customer_id: Option<String>,
    customer_name: CustomerName,
    customer_email: CustomerEmail,
    item_count: u32,
    /// An exact `N` (see `Money`'s serialization).
    total_amount: Money,
}

#[derive(Serialize, Deserialize)]
struct Stored(#[serde(with = "AuditItem")] AuditRecord);

impl AuditLog for DynamoDbAuditLog {
    async fn record(&self, record: &AuditRecord) -> Result<Recorded, BackendError> {
        let item = serde_dynamo::to_item(Stored(record.clone()))
            .map_err(|e| BackendError::new("AuditLogs.PutItem", false, e))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(AuditId)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(Recorded::Written),
            Err(e) => match e.as_service_error() {
                Some(s) if s.is_conditional_check_failed_exception() => {
                    Ok(Recorded::AlreadyPresent)
                }
                _ => Err(backend_error("AuditLogs.PutItem", e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use rust_decimal_macros::dec;

    use super::*;

    fn record() -> AuditRecord {
        let at = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .expect("valid time")
                .with_timezone(&Utc)
        };
        AuditRecord {
            audit_id: Uuid::from_u128(7),
            timestamp: at("2024-01-15T10:30:00.123Z"),
            order_id: "4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10"
                .parse()
                .expect("uuid"),
            event_type: "ORDER_CREATED".to_owned(),
            event_id: Uuid::from_u128(9),
            correlation_id: "corr-1".to_owned(),
            details: OrderDetails {
                customer_id: None,
                customer_name: CustomerName::parse("Ada Lovelace").expect("name"),
                customer_email: CustomerEmail::parse("ada@example.com").expect("email"),
                item_count: 2,
                total_amount: Money::from_decimal(dec!(0.30)),
            },
            source_message_id: "msg-1".to_owned(),
            recorded_at: at("2024-01-15T10:30:05.000Z"),
        }
    }

    fn client(rule: &aws_smithy_mocks::Rule) -> Client {
        mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [rule], |c| c
            .retry_config(
                aws_sdk_dynamodb::config::retry::RetryConfig::disabled()
            ))
    }

    fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .map_or("<absent>", String::as_str)
    }

    #[tokio::test]
    async fn writes_the_reference_attributes_under_a_guard_against_a_second_write() {
        let rule = mock!(aws_sdk_dynamodb::Client::put_item)
            .match_requests(|req| {
                let item = req.item().expect("an item");
                let details = item
                    .get("OrderDetails")
                    .and_then(|v| v.as_m().ok())
                    .expect("a map");
                req.condition_expression() == Some("attribute_not_exists(AuditId)")
                    && text(item, "AuditId") == "00000000-0000-0000-0000-000000000007"
                    && text(item, "Timestamp") == "2024-01-15T10:30:00.123Z"
                    && text(item, "OrderId") == "4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10"
                    && text(item, "EventType") == "ORDER_CREATED"
                    && text(item, "SourceMessageId") == "msg-1"
                    && text(item, "RecordedAt") == "2024-01-15T10:30:05.000Z"
                    && text(details, "CustomerEmail") == "ada@example.com"
                    && details.get("ItemCount").and_then(|v| v.as_n().ok()) == Some(&"2".to_owned())
                    && details.get("TotalAmount").and_then(|v| v.as_n().ok())
                        == Some(&"0.3".to_owned())
                    && !details.contains_key("CustomerId")
            })
            .then_output(|| PutItemOutput::builder().build());
        let log = DynamoDbAuditLog::new(client(&rule), "local-AuditLogs");

        assert_eq!(
            log.record(&record()).await.expect("written"),
            Recorded::Written
        );
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_failed_condition_means_the_event_was_already_recorded() {
        let rule = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
            PutItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder().build(),
            )
        });
        let log = DynamoDbAuditLog::new(client(&rule), "local-AuditLogs");

        assert_eq!(
            log.record(&record()).await.expect("a no-op"),
            Recorded::AlreadyPresent
        );
    }

    #[tokio::test]
    async fn throughput_exceeded_is_transient() {
        let rule = mock!(aws_sdk_dynamodb::Client::put_item)
            .sequence()
            .http_status(
                400,
                Some(
                    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#
                        .to_owned(),
                ),
            )
            .build();
        let log = DynamoDbAuditLog::new(client(&rule), "local-AuditLogs");

        let error = log.record(&record()).await.expect_err("throttled");

        assert!(error.transient);
    }

    #[test]
    fn an_item_reads_back_as_the_record_it_was_written_from() {
        let item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(Stored(record())).expect("serializes");
        let back: Stored = serde_dynamo::from_item(item).expect("deserializes");
        assert_eq!(back.0, record());
    }
}
