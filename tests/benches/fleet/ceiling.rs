//! moto's own ceiling: the AWS calls the fleet makes, made by the smallest
//! client that makes them, at the same concurrency, on the same moto, in the
//! same run. Sections 2 and 3 set order-api's and the workers' throughput
//! against it: what is left between the two is ours.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use adapters::{
    DynamoDbAuditLog, DynamoDbIdempotencyStore, DynamoDbOrderRepository, DynamoDbRecipientLimit,
    SesMailer, SnsEventPublisher,
};
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use chrono::Utc;
use domain::parse_order;
use fleet_tests::{LocalAws, Stack};
use order_api::{fingerprint, IdempotencyKey};
use ports::event::OrderCreated;
use ports::{Inserted, OrderRecord, OrderRepository};
use runtime::batch::{event_body, Delivery, EventHandler};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::stats::{closed_loop, Load};

/// One order's calls, as order-api makes them for a POST with a fresh
/// Idempotency-Key: the body parsed, the order id the key names and the
/// request's fingerprint, DynamoDB PutItem (conditional), SNS Publish,
/// DynamoDB UpdateItem. `requests` of them from `concurrency` clients on a
/// fresh stack, after `warm_up` from one.
pub async fn orders(
    local: &LocalAws,
    body: &Arc<str>,
    warm_up: usize,
    requests: usize,
    concurrency: usize,
) -> Load {
    let stack = Stack::create(local).await;
    let client = Arc::new(OrderClient {
        orders: DynamoDbOrderRepository::new(local.dynamodb(), &stack.orders_table),
        events: SnsEventPublisher::new(local.sns(), &stack.topic_arn),
        body: body.clone(),
    });
    client.run(warm_up, 1).await;
    client.run(requests, concurrency).await
}

struct OrderClient {
    orders: DynamoDbOrderRepository,
    events: SnsEventPublisher,
    body: Arc<str>,
}

impl OrderClient {
    async fn run(self: &Arc<Self>, requests: usize, concurrency: usize) -> Load {
        let client = self.clone();
        closed_loop(requests, concurrency, move |_| {
            let client = client.clone();
            async move { client.place().await }
        })
        .await
    }

    async fn place(&self) -> bool {
        let Ok(order) = parse_order(self.body.as_bytes()) else {
            return false;
        };
        let Ok(key) = IdempotencyKey::parse(&Uuid::new_v4().to_string()) else {
            return false;
        };
        let fingerprint = fingerprint(&order);
        let record = OrderRecord {
            order: order.accept(key.order_id(None), Utc::now()),
            event_id: Uuid::new_v4(),
            published: false,
            published_at: None,
            fingerprint: Some(fingerprint),
        };
        matches!(self.orders.insert(&record).await, Ok(Inserted::Stored))
            && ports::outbox::publish_order(
                &self.orders,
                &self.events,
                &record,
                "ceiling",
                std::time::Duration::from_secs(30),
            )
            .await
            .is_ok()
    }
}

/// Both workers' calls, made by minimal consumers on the stack's queues:
/// ReceiveMessage (10 at a time), the workers' own handlers (audit: one
/// conditional PutItem; email: the recipient limit, the claim, SES, the
/// completion), DeleteMessageBatch. No runner, no dead-letter bookkeeping,
/// no visibility extension. They run until the returned guard is dropped.
pub fn workers(local: &LocalAws, stack: &Stack) -> Consumers {
    let stop = Arc::new(AtomicBool::new(false));
    let dynamodb = local.dynamodb();
    let audit =
        audit_worker::RecordAudit::new(DynamoDbAuditLog::new(dynamodb.clone(), &stack.audit_table));
    let email = email_worker::SendConfirmation::new(
        SesMailer::new(local.ses(), &stack.sender_email),
        DynamoDbIdempotencyStore::new(
            dynamodb.clone(),
            &stack.idempotency_table,
            Duration::from_secs(30 * 24 * 3600),
        ),
        // email-worker's default EMAIL_LIMIT_PER_HOUR; every event has its own address.
        DynamoDbRecipientLimit::new(dynamodb, &stack.idempotency_table, 5),
    );
    Consumers {
        stop: stop.clone(),
        tasks: vec![
            tokio::spawn(consume(
                local.sqs(),
                stack.audit_queue_url.clone(),
                audit,
                stop.clone(),
            )),
            tokio::spawn(consume(
                local.sqs(),
                stack.email_queue_url.clone(),
                email,
                stop,
            )),
        ],
    }
}

/// The minimal consumers; they stop after their current receive when dropped.
pub struct Consumers {
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Consumers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn consume<H: EventHandler>(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    handler: H,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(received) = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
        else {
            continue;
        };
        let messages = received.messages.unwrap_or_default();
        let deadline = Utc::now() + chrono::Duration::seconds(30);
        let handled = futures_util::future::join_all(messages.iter().map(|message| {
            let handler = &handler;
            async move {
                let event = OrderCreated::parse(&event_body(message.body.as_deref()?)).ok()?;
                let delivery = Delivery {
                    message_id: message.message_id.clone().unwrap_or_default(),
                    receive_count: 1,
                    deadline,
                };
                handler.handle(&event, &delivery).await.ok()?;
                message.receipt_handle.clone()
            }
        }))
        .await;
        let entries: Vec<_> = handled
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, handle)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .build()
                    .ok()
            })
            .collect();
        if !entries.is_empty() {
            let _ = sqs
                .delete_message_batch()
                .queue_url(&queue_url)
                .set_entries(Some(entries))
                .send()
                .await;
        }
    }
}
