//! The outbox's backlog as `status` shows it, read from `UnpublishedIndex` itself: the `Outbox`
//! port pages through entries for the relay, this needs a count (`Select=COUNT`) and each key's
//! first entry. [`unpublished_backlog`] is the whole reader, to move behind a port in one piece.

use adapters::sdk_error::backend_error;
use adapters::{outbox_partition, UNPUBLISHED_INDEX};
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use domain::iso8601;
use ports::{backlog_shards, BackendError, LEGACY_SHARD};
use serde::Serialize;
use tokio::task::JoinSet;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backlog {
    pub table: String,
    /// Orders stored whose event is not known to be out.
    pub unpublished: u64,
    /// Of them, those under the unsharded key `PENDING` (stored before sharding).
    pub legacy_key: u64,
    pub oldest_order_id: Option<String>,
    #[serde(with = "iso8601::optional")]
    pub oldest_created_at: Option<DateTime<Utc>>,
    pub oldest_age_seconds: Option<i64>,
}

/// Counts the backlog under every key (`PENDING#0..31` and the legacy `PENDING`, read
/// at once) and finds its oldest entry (one whose `CreatedAt` does not parse cannot be).
pub async fn unpublished_backlog(
    client: &Client,
    table: &str,
    now: DateTime<Utc>,
) -> Result<Backlog, BackendError> {
    let mut reads = JoinSet::new();
    for shard in backlog_shards() {
        let (client, table) = (client.clone(), table.to_owned());
        reads.spawn(async move {
            let read = read_key(&client, &table, &outbox_partition(shard)).await;
            (shard, read)
        });
    }
    let mut backlog = Backlog {
        table: table.to_owned(),
        ..Backlog::default()
    };
    let mut oldest: Option<(DateTime<Utc>, String)> = None;
    while let Some(joined) = reads.join_next().await {
        let (shard, read) = joined.map_err(|e| BackendError::new("Orders.Query", false, e))?;
        let (count, first) = read?;
        backlog.unpublished += count;
        if shard == LEGACY_SHARD {
            backlog.legacy_key = count;
        }
        oldest = oldest.into_iter().chain(first).min();
    }
    if let Some((created_at, order_id)) = oldest {
        backlog.oldest_order_id = Some(order_id);
        backlog.oldest_created_at = Some(created_at);
        backlog.oldest_age_seconds = Some((now - created_at).num_seconds());
    }
    Ok(backlog)
}

/// How many entries one index key holds, and the first one's `CreatedAt` and `OrderId`.
async fn read_key(
    client: &Client,
    table: &str,
    key: &str,
) -> Result<(u64, Option<(DateTime<Utc>, String)>), BackendError> {
    let query = || {
        client
            .query()
            .table_name(table)
            .index_name(UNPUBLISHED_INDEX)
            .key_condition_expression("OutboxPending = :key")
            .expression_attribute_values(":key", AttributeValue::S(key.to_owned()))
    };
    // A page of a count reads up to 1 MB of keys: a large backlog takes several.
    let mut pages = query().select(Select::Count).into_paginator().send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| backend_error("Orders.Query", e))?;
        count += u64::try_from(page.count).unwrap_or(0);
    }
    if count == 0 {
        return Ok((0, None));
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
    Ok((count, oldest))
}
