//! Test doubles of every port, for tests of the code that uses them, and the
//! fixtures they share. Compiled only for tests (`--features fakes` from
//! other crates).
//!
//! | port | fake |
//! |---|---|
//! | `OrderRepository` | [`InMemoryOrderRepository`] |
//! | `EventPublisher` | [`RecordingEventPublisher`] |
//! | `IdempotencyStore` | [`InMemoryIdempotencyStore`] |
//! | `Mailer` | [`RecordingMailer`] |
//! | `AuditLog` | [`InMemoryAuditLog`] |
//! | `DeadLetters` | [`RecordingDeadLetters`] |
//! | `Queues` | [`InMemoryQueues`] |
//! | `RecipientLimit` | [`InMemoryRecipientLimit`] |

mod audit_log;
mod dead_letters;
mod idempotency;
mod mailer;
mod orders;
mod queues;
mod recipient_limit;

pub use audit_log::InMemoryAuditLog;
pub use dead_letters::RecordingDeadLetters;
pub use idempotency::InMemoryIdempotencyStore;
pub use mailer::RecordingMailer;
pub use orders::{InMemoryOrderRepository, RecordingEventPublisher};
pub use queues::InMemoryQueues;
pub use recipient_limit::InMemoryRecipientLimit;

use chrono::Utc;
use uuid::Uuid;

use std::collections::HashMap;

use aws_sdk_sqs::types::MessageAttributeValue;

use crate::domain::{parse_order, OrderId};
use crate::event::OrderCreated;
use crate::ports::failure_attributes as note;
use crate::ports::{BackendError, Letter};

fn unavailable(operation: &'static str) -> BackendError {
    BackendError::new(operation, true, "the fake was told to fail")
}

/// An `ORDER_CREATED` event of a one-line order by Ada Lovelace
/// (`ada@example.com`), created now.
pub fn order_created() -> OrderCreated {
    order_created_by("Ada Lovelace")
}

/// [`order_created`] by another customer (the name is what scripted
/// handlers go by).
pub fn order_created_by(customer_name: &str) -> OrderCreated {
    let body = serde_json::json!({
        "customerName": customer_name,
        "customerEmail": "ada@example.com",
        "items": [{"productId": "p-1", "quantity": 1, "price": 5}],
    });
    let order = parse_order(body.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("the fixture is a valid order: {e:?}"))
        .accept(OrderId::random(), Utc::now());
    OrderCreated::new(Uuid::new_v4(), "corr-1", order)
}

/// The first delivery of message `message_id`, with a minute to handle it.
pub fn delivery(message_id: &str) -> crate::batch::Delivery {
    crate::batch::Delivery {
        message_id: message_id.to_owned(),
        receive_count: 1,
        deadline: Utc::now() + chrono::Duration::seconds(60),
    }
}

/// A DLQ message `dlq-1` with a worker's failure note (`MessageRejected`
/// after 3 receives of source message `src-1`) and its own `eventType`;
/// SQS counted 5 receives.
pub fn dead_letter(body: &str) -> Letter {
    let string = |value: &str| {
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .unwrap_or_else(|e| panic!("a valid attribute: {e}"))
    };
    Letter {
        message_id: "dlq-1".to_owned(),
        receipt_handle: "r-1".to_owned(),
        body: body.to_owned(),
        attributes: HashMap::from([
            (note::FAILURE_REASON.to_owned(), string("MessageRejected")),
            (note::RECEIVE_COUNT.to_owned(), string("3")),
            (note::SOURCE_MESSAGE_ID.to_owned(), string("src-1")),
            ("eventType".to_owned(), string("ORDER_CREATED")),
        ]),
        sent_at: None,
        approximate_receive_count: Some(5),
    }
}
