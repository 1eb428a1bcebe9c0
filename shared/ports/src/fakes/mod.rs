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
//! | `RecipientLimit` | [`InMemoryRecipientLimit`] |

mod audit_log;
mod dead_letters;
mod idempotency;
mod mailer;
mod orders;
mod recipient_limit;

pub use audit_log::InMemoryAuditLog;
pub use dead_letters::RecordingDeadLetters;
pub use idempotency::InMemoryIdempotencyStore;
pub use mailer::RecordingMailer;
pub use orders::{InMemoryOrderRepository, RecordingEventPublisher};
pub use recipient_limit::InMemoryRecipientLimit;

use chrono::Utc;
use uuid::Uuid;

use domain::{parse_order, OrderId};

use crate::event::OrderCreated;
use crate::BackendError;

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
