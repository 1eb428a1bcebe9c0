//! `OrderRepository` and `Outbox` on DynamoDB (`<env>-Orders`, PK `OrderId`),
//! under the reference design's attribute names. `EventId` and `Published`
//! make the table the outbox; an order placed under an Idempotency-Key keeps
//! the request's `Fingerprint` (docs/decisions/0008). A taken id's PutItem
//! returns the item it found (`ALL_OLD`: consistent, free), so a repeated key or
//! a retried put learns what is stored without a second call. An unpublished
//! order carries `OutboxPending` (`PENDING#<shard>`), the key of the sparse index
//! `UnpublishedIndex`: the backlog, oldest first (docs/decisions/0001).

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, PutRequest, ReturnValuesOnConditionCheckFailure,
    WriteRequest,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::sdk_error::backend_error;
use domain::{iso8601, CustomerEmail, CustomerName, Money, Order, OrderId, OrderLine, Quantity};
use ports::{
    outbox_shard, BackendError, Fetched, Inserted, OrderRecord, OrderRepository, Outbox, PageToken,
    Pending, PendingOrder, PendingPage, RepositoryError, LEGACY_SHARD, OUTBOX_SHARDS,
};

pub const UNPUBLISHED_INDEX: &str = "UnpublishedIndex";

const MARK_PUBLISHED: &str = "SET Published = :true, PublishedAt = :now REMOVE OutboxPending";

/// A backlog shard's index key, `PENDING#<shard>` ([`LEGACY_SHARD`]: the unsharded `PENDING`).
pub fn outbox_partition(shard: u32) -> String {
    if shard == LEGACY_SHARD {
        return "PENDING".to_owned();
    }
    format!("PENDING#{}", shard % OUTBOX_SHARDS)
}

/// The keys a page of the index ends on (all three are strings).
const INDEX_KEYS: [&str; 3] = ["OrderId", "OutboxPending", "CreatedAt"];
/// How often a batch call asks again for what DynamoDB left unprocessed.
const BATCH_ROUNDS: u32 = 5;
/// DynamoDB's largest `BatchWriteItem`.
const MAX_BATCH_WRITE: usize = 25;

type Item = HashMap<String, AttributeValue>;

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "iso8601::optional")]
    pub published_at: Option<DateTime<Utc>>,
    /// Present exactly while the order is unpublished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox_pending: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LineItem(#[serde(with = "StoredLine")] pub OrderLine);

/// An order line's stored shape, derived for [`OrderLine`] itself (serde's `remote`).
#[derive(Serialize, Deserialize)]
#[serde(remote = "OrderLine", rename_all = "PascalCase")]
struct StoredLine {
    product_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    product_name: Option<String>,
    quantity: Quantity,
    price: Money,
    subtotal: Money,
}

impl From<&OrderRecord> for OrderItem {
    fn from(record: &OrderRecord) -> Self {
        let order = &record.order;
        OrderItem {
            order_id: order.order_id,
            customer_id: order.customer_id.clone(),
            customer_name: order.customer_name.clone(),
            customer_email: order.customer_email.clone(),
            items: order.items.iter().cloned().map(LineItem).collect(),
            total_amount: order.total_amount,
            created_at: order.created_at,
            event_id: record.event_id,
            published: record.published,
            published_at: record.published_at,
            outbox_pending: (!record.published)
                .then(|| outbox_partition(outbox_shard(order.order_id))),
            fingerprint: record.fingerprint.clone(),
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
                items: item.items.into_iter().map(|line| line.0).collect(),
                total_amount: item.total_amount,
                created_at: item.created_at,
            },
            event_id: item.event_id,
            published: item.published,
            published_at: item.published_at,
            fingerprint: item.fingerprint,
        }
    }
}

/// Sends `pending` through `call` (answering what it returned and what was left
/// unprocessed) at most [`BATCH_ROUNDS`] times; what is left then is throttling.
async fn in_rounds<T, R, Fut>(
    operation: &'static str,
    mut pending: Vec<T>,
    call: impl Fn(Vec<T>) -> Fut,
) -> Result<Vec<R>, RepositoryError>
where
    Fut: std::future::Future<Output = Result<(Vec<R>, Vec<T>), RepositoryError>>,
{
    let mut returned = Vec::new();
    for round in 0..BATCH_ROUNDS {
        if pending.is_empty() {
            break;
        }
        if round > 0 {
            // Unprocessed items are DynamoDB's back-pressure: wait a little.
            tokio::time::sleep(std::time::Duration::from_millis(50 << round)).await;
        }
        let (answered, left) = call(std::mem::take(&mut pending)).await?;
        returned.extend(answered);
        pending = left;
    }
    if !pending.is_empty() {
        let left = pending.len();
        let why = format!("{left} item(s) still unprocessed after {BATCH_ROUNDS} rounds");
        let throttled = BackendError::new(operation, true, why).with_fault(ports::Fault::Throttled);
        return Err(throttled.into());
    }
    Ok(returned)
}

fn to_item(record: &OrderRecord, operation: &'static str) -> Result<Item, BackendError> {
    serde_dynamo::to_item(OrderItem::from(record))
        .map_err(|e| BackendError::new(operation, false, e))
}

fn from_item(item: Item, operation: &'static str) -> Result<OrderRecord, BackendError> {
    let item: OrderItem =
        serde_dynamo::from_item(item).map_err(|e| BackendError::new(operation, false, e))?;
    Ok(item.into())
}

impl OrderRepository for DynamoDbOrderRepository {
    async fn insert(&self, record: &OrderRecord) -> Result<Inserted, RepositoryError> {
        let item = to_item(record, "Orders.PutItem")?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(OrderId)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let found = match result {
            Ok(_) => return Ok(Inserted::Stored),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(taken)) => taken.item.clone(),
                _ => return Err(backend_error("Orders.PutItem", e).into()),
            },
        };
        let id = record.order.order_id;
        let existing = match found {
            Some(item) => from_item(item, "Orders.PutItem")?,
            // DynamoDB returns the item it found; should it not, read it.
            None => self.get(id).await?.ok_or_else(|| {
                let why = format!("order {id} is taken, but no order could be read under its id");
                BackendError::new("Orders.PutItem", true, why)
            })?,
        };
        Ok(Inserted::Exists(existing))
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
        let record = output.item.map(|item| from_item(item, "Orders.GetItem"));
        Ok(record.transpose()?)
    }

    async fn mark_published(&self, id: OrderId) -> Result<(), RepositoryError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("OrderId", AttributeValue::S(id.to_string()))
            .update_expression(MARK_PUBLISHED)
            .condition_expression("attribute_exists(OrderId)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":now", AttributeValue::S(iso8601::format(&Utc::now())))
            .send()
            .await
            .map_err(|e| backend_error("Orders.UpdateItem", e))?;
        Ok(())
    }
}

impl Outbox for DynamoDbOrderRepository {
    async fn unpublished(
        &self,
        shard: u32,
        page: Option<&PageToken>,
        limit: usize,
    ) -> Result<PendingPage, RepositoryError> {
        let start = page.map(start_key).transpose()?;
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(UNPUBLISHED_INDEX)
            .key_condition_expression("OutboxPending = :pending")
            .expression_attribute_values(":pending", AttributeValue::S(outbox_partition(shard)))
            .scan_index_forward(true)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX).max(1))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| backend_error("Orders.Query", e))?;
        let items = output.items.unwrap_or_default();
        let entries = items.into_iter().map(pending_entry).collect();
        Ok(PendingPage {
            entries,
            next: output.last_evaluated_key.as_ref().map(page_token),
        })
    }

    /// Puts each order back as read but published, 25 a batch, unconditionally (decision 0001).
    async fn mark_many_published(&self, records: &[OrderRecord]) -> Result<(), RepositoryError> {
        let now = Utc::now();
        for chunk in records.chunks(MAX_BATCH_WRITE) {
            let writes = chunk
                .iter()
                .map(|record| {
                    let marked = OrderRecord {
                        published: true,
                        published_at: Some(now),
                        ..record.clone()
                    };
                    let item = to_item(&marked, "Orders.BatchWriteItem")?;
                    let put = PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .map_err(|e| BackendError::new("Orders.BatchWriteItem", false, e))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, RepositoryError>>()?;
            in_rounds::<_, (), _>("Orders.BatchWriteItem", writes, |writes| async {
                let left = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, writes)
                    .send()
                    .await
                    .map_err(|e| backend_error("Orders.BatchWriteItem", e))?
                    .unprocessed_items
                    .and_then(|mut tables| tables.remove(&self.table))
                    .unwrap_or_default();
                Ok((Vec::new(), left))
            })
            .await?;
        }
        Ok(())
    }

    async fn get_many(&self, ids: &[OrderId]) -> Result<Vec<Fetched>, RepositoryError> {
        let wanted: Vec<Item> = ids
            .iter()
            .map(|id| HashMap::from([("OrderId".to_owned(), AttributeValue::S(id.to_string()))]))
            .collect();
        let items = in_rounds("Orders.BatchGetItem", wanted, |keys| async {
            let keys = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(|e| BackendError::new("Orders.BatchGetItem", false, e))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, keys)
                .send()
                .await
                .map_err(|e| backend_error("Orders.BatchGetItem", e))?;
            let items = output
                .responses
                .and_then(|mut tables| tables.remove(&self.table))
                .unwrap_or_default();
            let left = output
                .unprocessed_keys
                .and_then(|mut tables| tables.remove(&self.table))
                .map(|left| left.keys)
                .unwrap_or_default();
            Ok((items, left))
        })
        .await?;
        // An item whose id does not parse is not one asked for by id.
        let mut found: HashMap<_, _> = items.into_iter().filter_map(fetched_entry).collect();
        let outcome = |id: &OrderId| found.remove(id).unwrap_or(Fetched::Missing(*id));
        Ok(ids.iter().map(outcome).collect())
    }
}

/// An index entry as an order, or, if its keys do not read as one, its raw key.
fn pending_entry(item: Item) -> Pending {
    let key = raw_key(&item);
    match serde_dynamo::from_item::<_, PendingItem>(item) {
        Ok(item) => Pending::Order(PendingOrder {
            order_id: item.order_id,
            created_at: item.created_at,
        }),
        Err(e) => Pending::Unreadable {
            key,
            reason: e.to_string(),
        },
    }
}

fn fetched_entry(item: Item) -> Option<(OrderId, Fetched)> {
    let order_id: OrderId = item.get("OrderId")?.as_s().ok()?.parse().ok()?;
    let fetched = match serde_dynamo::from_item::<_, OrderItem>(item) {
        Ok(item) => Fetched::Found(item.into()),
        Err(e) => Fetched::Unreadable {
            order_id,
            reason: e.to_string(),
        },
    };
    Some((order_id, fetched))
}

/// The item's keys as text, for an operator.
fn raw_key(item: &Item) -> String {
    let value = |name| match item.get(name) {
        None => "-".to_owned(),
        Some(AttributeValue::S(text)) => text.clone(),
        Some(other) => format!("{other:?}"),
    };
    INDEX_KEYS
        .map(|name| format!("{name}={}", value(name)))
        .join(" ")
}

/// A page's last key as a token: the three string keys, as JSON.
fn page_token(key: &Item) -> PageToken {
    let strings: std::collections::BTreeMap<&str, &str> = key
        .iter()
        .filter_map(|(name, value)| value.as_s().ok().map(|s| (name.as_str(), s.as_str())))
        .collect();
    PageToken(serde_json::to_string(&strings).unwrap_or_default())
}

fn start_key(token: &PageToken) -> Result<Item, RepositoryError> {
    let strings: HashMap<String, String> =
        serde_json::from_str(&token.0).map_err(|e| BackendError::new("Orders.Query", false, e))?;
    Ok(strings
        .into_iter()
        .map(|(name, value)| (name, AttributeValue::S(value)))
        .collect())
}

/// What the sparse index projects: the keys.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PendingItem {
    order_id: OrderId,
    #[serde(with = "iso8601")]
    created_at: DateTime<Utc>,
}
