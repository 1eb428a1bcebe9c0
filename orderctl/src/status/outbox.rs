//! The outbox's backlog as `status` shows it: how many orders are stored
//! unpublished, and how long the oldest has waited.
//!
//! Read straight from the sparse index `UnpublishedIndex` (key
//! `OutboxPending`, sort key `CreatedAt`, keys only), not through the
//! `Outbox` port: the port pages through entries for the relay, while this
//! needs a count (`Select=COUNT`, nothing read but the keys' sizes) and the
//! first entry of each key (`ScanIndexForward`, `Limit=1`). The keys are the
//! shards the relay reads, `PENDING#0` … `PENDING#31`, and the single
//! `PENDING` that orders stored before the index was sharded carry (the
//! relay reads it after the shards). [`unpublished_backlog`] is the whole
//! reader, so that it can move behind a port in one piece.

use adapters::sdk_error::backend_error;
use adapters::UNPUBLISHED_INDEX;
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use domain::iso8601;
use ports::{BackendError, OUTBOX_SHARDS};
use serde::Serialize;
use tokio::task::JoinSet;

/// The index key every unpublished order had before the index was sharded.
const LEGACY_KEY: &str = "PENDING";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backlog {
    pub table: String,
    /// Orders stored whose event is not known to be out.
    pub unpublished: u64,
    /// Of them, those under the unsharded key `PENDING` (stored before the
    /// index was sharded).
    pub legacy_key: u64,
    pub oldest_order_id: Option<String>,
    pub oldest_created_at: Option<String>,
    pub oldest_age_seconds: Option<i64>,
    #[serde(skip)]
    pub oldest_created: Option<DateTime<Utc>>,
}

/// What one index key holds.
#[derive(Debug, Default)]
struct KeyBacklog {
    count: u64,
    /// The first entry's `CreatedAt` and `OrderId`.
    oldest: Option<(DateTime<Utc>, String)>,
}

/// Counts the backlog under every key (`PENDING` and `PENDING#0..31`, read
/// at once) and finds its oldest entry. An entry whose `CreatedAt` does not
/// parse is counted but cannot be the oldest.
pub async fn unpublished_backlog(
    client: &Client,
    table: &str,
    now: DateTime<Utc>,
) -> Result<Backlog, BackendError> {
    let keys = std::iter::once(LEGACY_KEY.to_owned()).chain((0..OUTBOX_SHARDS).map(shard_key));
    let mut reads = JoinSet::new();
    for key in keys {
        let (client, table) = (client.clone(), table.to_owned());
        reads.spawn(async move {
            let backlog = read_key(&client, &table, &key).await;
            (key, backlog)
        });
    }
    let mut backlog = Backlog {
        table: table.to_owned(),
        unpublished: 0,
        legacy_key: 0,
        oldest_order_id: None,
        oldest_created_at: None,
        oldest_age_seconds: None,
        oldest_created: None,
    };
    let mut oldest: Option<(DateTime<Utc>, String)> = None;
    while let Some(joined) = reads.join_next().await {
        let (key, read) = joined.map_err(|e| BackendError::new("Orders.Query", false, e))?;
        let read = read?;
        backlog.unpublished += read.count;
        if key == LEGACY_KEY {
            backlog.legacy_key = read.count;
        }
        if let Some(first) = read.oldest {
            if oldest.as_ref().is_none_or(|o| first < *o) {
                oldest = Some(first);
            }
        }
    }
    if let Some((created_at, order_id)) = oldest {
        backlog.oldest_order_id = Some(order_id);
        backlog.oldest_created_at = Some(iso8601::format(&created_at));
        backlog.oldest_age_seconds = Some((now - created_at).num_seconds());
        backlog.oldest_created = Some(created_at);
    }
    Ok(backlog)
}

/// A shard's key, as the DynamoDB adapter writes it (`adapters::outbox_partition`).
fn shard_key(shard: u32) -> String {
    format!("PENDING#{shard}")
}

async fn read_key(client: &Client, table: &str, key: &str) -> Result<KeyBacklog, BackendError> {
    let query = || {
        client
            .query()
            .table_name(table)
            .index_name(UNPUBLISHED_INDEX)
            .key_condition_expression("OutboxPending = :key")
            .expression_attribute_values(":key", AttributeValue::S(key.to_owned()))
    };
    let mut count = 0;
    let mut start = None;
    loop {
        // A page of a count reads up to 1 MB of keys: a large backlog takes several.
        let page = query()
            .select(Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| backend_error("Orders.Query", e))?;
        count += u64::try_from(page.count).unwrap_or(0);
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    if count == 0 {
        return Ok(KeyBacklog::default());
    }
    let first = query()
        .scan_index_forward(true)
        .limit(1)
        .send()
        .await
        .map_err(|e| backend_error("Orders.Query", e))?;
    let oldest = first.items().first().and_then(|item| {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
        let created_at = DateTime::parse_from_rfc3339(text("CreatedAt")?).ok()?;
        Some((created_at.with_timezone(&Utc), text("OrderId")?.clone()))
    });
    Ok(KeyBacklog { count, oldest })
}
