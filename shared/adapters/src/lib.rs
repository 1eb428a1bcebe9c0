//! The ports implemented on AWS, and how the fleet reaches AWS at all.
//! Conversion between domain types and AWS shapes lives here and nowhere else.
//!
//! # Layout
//!
//! - One adapter per port, named `<Service><Port>`; [`SqsQueue`] is a worker's
//!   queue resolved with its dead-letter queue and `maxReceiveCount`.
//! - [`sdk_error`]: the one place that reads an SDK error (retry? throttled?
//!   missing? unreachable?) and writes it without addresses.
//! - [`config`]: the environment, where AWS is, each service's call budget, names from ARNs.
//! - [`https`]: the SDK's HTTPS client on rustls and ring (docs/decisions/0004).

pub mod config;
mod dynamodb_audit_log;
mod dynamodb_idempotency;
mod dynamodb_orders;
mod dynamodb_recipient_limit;
pub mod https;
mod redrive_policy;
pub mod sdk_error;
mod ses_mailer;
mod sns_publisher;
mod sqs_dead_letters;
mod sqs_queue;

pub use config::{AwsSettings, CallBudget, ConfigError, Env};
pub use dynamodb_audit_log::DynamoDbAuditLog;
pub use dynamodb_idempotency::DynamoDbIdempotencyStore;
pub use dynamodb_orders::{
    outbox_partition, DynamoDbOrderRepository, OrderItem, UNPUBLISHED_INDEX,
};
pub use dynamodb_recipient_limit::DynamoDbRecipientLimit;
/// The attributes a dead letter carries: the port names them, SQS carries them.
pub use ports::failure_attributes;
pub use redrive_policy::{RedrivePolicy, RedrivePolicyError};
pub use ses_mailer::SesMailer;
pub use sns_publisher::SnsEventPublisher;
pub use sqs_dead_letters::SqsDeadLetters;
pub use sqs_queue::{QueueAddress, SqsQueue};
