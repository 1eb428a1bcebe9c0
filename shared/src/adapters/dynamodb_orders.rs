//! `OrderRepository` on DynamoDB (`<env>-Orders`, PK `OrderId`).
//!
//! The item uses the reference design's attribute names (PascalCase), money as
//! exact `N` values, `CreatedAt` as ISO 8601 text. `EventId` and `Published`
//! make the table the outbox: an order whose event was not published says so.
//!
//! While an order is unpublished it also carries `OutboxPending`, the key of
//! the sparse index `UnpublishedIndex` (with `CreatedAt` as its sort key):
//! marking the order published removes the attribute, so the index holds
//! the outbox's backlog and nothing else, oldest first, for the relay to
//! sweep without scanning the table. One partition value is enough: only
//! orders in flight or whose publish failed are in it.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::sdk_error::backend_error;
use crate::domain::{
    iso8601, CustomerEmail, CustomerName, Money, Order, OrderId, OrderLine, Quantity,
};
use crate::ports::PendingOrder;
use crate::ports::{BackendError, OrderRecord, OrderRepository, RepositoryError};

/// The sparse index of unpublished orders, and its one partition value.
pub const UNPUBLISHED_INDEX: &str = "UnpublishedIndex";
const OUTBOX_PENDING: &str = "PENDING";

#[derive(Debug, Clone)]
pub struct DynamoDbOrderRepository {
    client: Client,
    table: String,
}

impl DynamoDbOrderRepository {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoDbOrderRepository {
            client,
            table: table.into(),
        }
    }
}

/// The stored shape of an order.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderItem {
    pub order_id: OrderId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    pub customer_name: CustomerName,
    pub customer_email: CustomerEmail,
    pub items: Vec<LineItem>,
    pub total_amount: Money,
    #[serde(with = "iso8601")]
    pub created_at: DateTime<Utc>,
    pub event_id: Uuid,
    pub published: bool,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "iso8601::optional"
    )]
    pub published_at: Option<DateTime<Utc>>,
    /// Present (`PENDING`) exactly while the order is unpublished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox_pending: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LineItem {
    pub product_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    pub quantity: Quantity,
    pub price: Money,
    pub subtotal: Money,
}

impl From<&OrderRecord> for OrderItem {
    fn from(record: &OrderRecord) -> Self {
        let order = &record.order;
        OrderItem {
            order_id: order.order_id,
            customer_id: order.customer_id.clone(),
            customer_name: order.customer_name.clone(),
            customer_email: order.customer_email.clone(),
            items: order
                .items
                .iter()
                .map(|line| LineItem {
                    product_id: line.product_id.clone(),
                    product_name: line.product_name.clone(),
                    quantity: line.quantity,
                    price: line.price,
                    subtotal: line.subtotal,
                })
                .collect(),
            total_amount: order.total_amount,
            created_at: order.created_at,
            event_id: record.event_id,
            published: record.published,
            published_at: record.published_at,
            outbox_pending: (!record.published).then(|| OUTBOX_PENDING.to_owned()),
        }
    }
}

impl From<OrderItem> for OrderRecord {
    fn from(item: OrderItem) -> Self {
        OrderRecord {
            order: Order {
                order_id: item.order_id,
                customer_id: item.customer_id,
                customer_name: item.customer_name,
                customer_email: item.customer_email,
                items: item
                    .items
                    .into_iter()
                    .map(|line| OrderLine {
                        product_id: line.product_id,
                        product_name: line.product_name,
                        quantity: line.quantity,
                        price: line.price,
                        subtotal: line.subtotal,
                    })
                    .collect(),
                total_amount: item.total_amount,
                created_at: item.created_at,
            },
            event_id: item.event_id,
            published: item.published,
            published_at: item.published_at,
        }
    }
}

fn mapping_error(operation: &'static str, error: serde_dynamo::Error) -> RepositoryError {
    RepositoryError::Backend(BackendError::new(operation, false, error))
}

impl OrderRepository for DynamoDbOrderRepository {
    async fn insert(&self, record: &OrderRecord) -> Result<(), RepositoryError> {
        let item = serde_dynamo::to_item(OrderItem::from(record))
            .map_err(|e| mapping_error("Orders.PutItem", e))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(OrderId)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(RepositoryError::AlreadyExists(record.order.order_id))
            }
            Err(e) => Err(backend_error("Orders.PutItem", e).into()),
        }
    }

    async fn get(&self, id: OrderId) -> Result<Option<OrderRecord>, RepositoryError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("OrderId", AttributeValue::S(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend_error("Orders.GetItem", e))?;
        match output.item {
            None => Ok(None),
            Some(item) => {
                let item: OrderItem = serde_dynamo::from_item(item)
                    .map_err(|e| mapping_error("Orders.GetItem", e))?;
                Ok(Some(item.into()))
            }
        }
    }

    async fn mark_published(&self, id: OrderId) -> Result<(), RepositoryError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("OrderId", AttributeValue::S(id.to_string()))
            .update_expression("SET Published = :true, PublishedAt = :now REMOVE OutboxPending")
            .condition_expression("attribute_exists(OrderId)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":now", AttributeValue::S(iso8601::format(&Utc::now())))
            .send()
            .await
            .map_err(|e| backend_error("Orders.UpdateItem", e))?;
        Ok(())
    }

    async fn unpublished(
        &self,
        after: Option<&PendingOrder>,
        limit: usize,
    ) -> Result<Vec<PendingOrder>, RepositoryError> {
        let start = after.map(|last| {
            [
                ("OrderId", AttributeValue::S(last.order_id.to_string())),
                (
                    "OutboxPending",
                    AttributeValue::S(OUTBOX_PENDING.to_owned()),
                ),
                (
                    "CreatedAt",
                    AttributeValue::S(iso8601::format(&last.created_at)),
                ),
            ]
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect()
        });
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(UNPUBLISHED_INDEX)
            .key_condition_expression("OutboxPending = :pending")
            .expression_attribute_values(":pending", AttributeValue::S(OUTBOX_PENDING.to_owned()))
            .scan_index_forward(true)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX).max(1))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| backend_error("Orders.Query", e))?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                serde_dynamo::from_item::<_, PendingItem>(item)
                    .map(|item| PendingOrder {
                        order_id: item.order_id,
                        created_at: item.created_at,
                    })
                    .map_err(|e| mapping_error("Orders.Query", e))
            })
            .collect()
    }
}

/// What the sparse index projects: the keys.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PendingItem {
    order_id: OrderId,
    #[serde(with = "iso8601")]
    created_at: DateTime<Utc>,
}
