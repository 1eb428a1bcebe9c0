//! Adapters: the ports implemented against AWS. Conversion between domain
//! types and AWS shapes lives here and nowhere else.

mod dynamodb_idempotency;
mod dynamodb_orders;
pub mod sdk_error;
mod sns_publisher;

pub use dynamodb_idempotency::DynamoDbIdempotencyStore;
pub use dynamodb_orders::{DynamoDbOrderRepository, LineItem, OrderItem};
pub use sns_publisher::SnsEventPublisher;
