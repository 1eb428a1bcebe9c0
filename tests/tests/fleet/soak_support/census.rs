//! What a stack holds after a soak: the orders stored, the audit rows, the
//! mail sent, and what sits in the dead-letter queues — read from moto
//! directly, never through the fault proxy.

use std::collections::HashMap;
use std::time::Duration;

use adapters::failure_attributes::{FAILURE_KIND, FAILURE_REASON};
use aws_sdk_dynamodb::types::AttributeValue;
use fleet_tests::probes::{peek, scan, stored_orders};
use fleet_tests::{LocalAws, Stack};
use serde::Serialize;

/// The logical id of the subscriptions' delivery DLQ, where the template has one.
pub const DELIVERY_DLQ: &str = "OrderEventsDeliveryDLQ";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    pub order_id: String,
    /// The `Published` attribute: its event went out.
    pub published: bool,
}

/// How far one accepted order got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Stored under the order id the app was given.
    pub stored: bool,
    pub published: bool,
    pub audited: bool,
    pub emailed: bool,
}

impl Progress {
    pub fn done(&self) -> bool {
        self.stored && self.published && self.audited && self.emailed
    }

    /// What is missing, for the list of lost orders.
    pub fn missing(&self) -> String {
        let missing: Vec<&str> = [
            (self.stored, "not stored"),
            (self.published, "unpublished"),
            (self.audited, "no audit row"),
            (self.emailed, "no email"),
        ]
        .iter()
        .filter(|(done, _)| !done)
        .map(|(_, what)| *what)
        .collect();
        missing.join(", ")
    }
}

#[derive(Debug, Default)]
pub struct Census {
    /// Stored orders by customer address (each soak order has its own).
    pub orders: HashMap<String, Vec<StoredOrder>>,
    /// Audit rows by order id.
    pub audit_rows: HashMap<String, usize>,
    /// Mail SES accepted, by recipient; `None` until counted (it is the
    /// slow part: moto serializes its whole state for it).
    pub emails: Option<HashMap<String, usize>>,
}

impl Census {
    /// The orders and the audit rows; the mail with [`Census::count_mail`].
    pub async fn take(local: &LocalAws, stack: &Stack) -> Census {
        let mut orders: HashMap<String, Vec<StoredOrder>> = HashMap::new();
        for item in stored_orders(local, stack).await {
            orders
                .entry(text(&item, "CustomerEmail"))
                .or_default()
                .push(StoredOrder {
                    order_id: text(&item, "OrderId"),
                    published: matches!(item.get("Published"), Some(AttributeValue::Bool(true))),
                });
        }
        let mut audit_rows: HashMap<String, usize> = HashMap::new();
        for item in scan(local, &stack.audit_table).await {
            *audit_rows.entry(text(&item, "OrderId")).or_default() += 1;
        }
        Census {
            orders,
            audit_rows,
            emails: None,
        }
    }

    /// Counts the mail sent to addresses containing `marker` (the stack's env).
    pub async fn count_mail(&mut self, local: &LocalAws, marker: &str) {
        let mut emails: HashMap<String, usize> = HashMap::new();
        for mail in fleet_tests::probes::sent_mail(local).await {
            for recipient in mail.recipients {
                if recipient.contains(marker) {
                    *emails.entry(recipient).or_default() += 1;
                }
            }
        }
        self.emails = Some(emails);
    }

    /// How far the order the app was given `order_id` for got.
    pub fn progress(&self, email: &str, order_id: &str) -> Progress {
        let stored = self
            .orders
            .get(email)
            .and_then(|orders| orders.iter().find(|o| o.order_id == order_id));
        Progress {
            stored: stored.is_some(),
            published: stored.is_some_and(|o| o.published),
            audited: self.audit_rows.get(order_id).is_some_and(|n| *n > 0),
            emailed: self.mail_to(email) > 0,
        }
    }

    pub fn mail_to(&self, email: &str) -> usize {
        self.emails
            .as_ref()
            .and_then(|emails| emails.get(email))
            .copied()
            .unwrap_or(0)
    }

    pub fn stored_total(&self) -> usize {
        self.orders.values().map(Vec::len).sum()
    }

    /// Rows beyond the first, summed: orders stored twice for one customer
    /// (one order each), audit rows twice for one order, mail twice.
    pub fn orders_created_twice(&self) -> usize {
        extra(self.orders.values().map(Vec::len))
    }

    pub fn duplicate_audit_rows(&self) -> usize {
        extra(self.audit_rows.values().copied())
    }

    pub fn duplicate_emails(&self) -> usize {
        extra(self.emails.iter().flat_map(|e| e.values().copied()))
    }

    pub fn unpublished(&self) -> usize {
        self.orders
            .values()
            .flatten()
            .filter(|o| !o.published)
            .count()
    }
}

fn extra(counts: impl Iterator<Item = usize>) -> usize {
    counts.map(|n| n.saturating_sub(1)).sum()
}

/// A message in one of the stack's DLQs: an order that needs an operator.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub queue: &'static str,
    pub order_id: Option<String>,
    /// `FailureKind`: `transient` or `permanent` when a worker moved it.
    pub kind: Option<String>,
    /// `FailureReason`; `None` when SQS moved it (its redrive policy), not a worker.
    pub reason: Option<String>,
}

impl DeadLetter {
    pub fn moved_by_sqs(&self) -> bool {
        self.reason.is_none()
    }

    pub fn is_transient(&self) -> bool {
        self.kind.as_deref() == Some("transient")
    }
}

/// Everything in the email DLQ, the audit DLQ and (if the stack has it) the
/// delivery DLQ, left where it is for an operator to see.
pub async fn dead_letters(local: &LocalAws, stack: &Stack) -> Vec<DeadLetter> {
    let mut queues = vec![
        ("email DLQ", stack.email_dlq_url.clone()),
        ("audit DLQ", stack.audit_dlq_url.clone()),
    ];
    if let Some(url) = stack.provisioned.queues.get(DELIVERY_DLQ) {
        queues.push(("delivery DLQ", url.clone()));
    }
    let mut letters = Vec::new();
    for (queue, url) in queues {
        for message in peek(local, &url, Duration::from_secs(300)).await {
            let attribute = |name: &str| {
                message
                    .message_attributes()
                    .and_then(|a| a.get(name))
                    .and_then(|v| v.string_value())
                    .map(str::to_owned)
            };
            letters.push(DeadLetter {
                queue,
                order_id: order_id(message.body().unwrap_or_default()),
                kind: attribute(FAILURE_KIND),
                reason: attribute(FAILURE_REASON),
            });
        }
    }
    letters
}

/// The order id of an event, raw or in an SNS envelope (a delivery DLQ's).
fn order_id(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    if let Some(id) = value["orderId"].as_str() {
        return Some(id.to_owned());
    }
    order_id(value["Message"].as_str()?)
}

fn text(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}
